"""Networks as safetensors files, read and written by xentlab itself: no pickle, nothing
executed, and the ``safetensors`` package is not needed. PyTorch, JAX, NumPy and others open
them.

The format::

    8 bytes   N, the header's length: an unsigned little-endian integer
    N bytes   the header: a JSON object (UTF-8, padded with spaces to a multiple of 8 bytes)
              {"__metadata__": {string: string, ...},
               NAME: {"dtype": "F32", "shape": [out, in], "data_offsets": [begin, end]}, ...}
    the rest  the tensors' bytes, little-endian, row-major, each at [begin, end) of this part,
              together filling it exactly, without gaps or overlaps

A network of L layers is stored as the ``state_dict`` of :meth:`Network.to_torch`'s module:
"0.weight" = W_1ᵀ (n_1, n_0), "0.bias" = b_1, "2.weight" = W_2ᵀ, "2.bias" = b_2, ... (layer
l's Linear sits at index 2l), all F32 or all F64; so
``net.to_torch().load_state_dict(safetensors.torch.load_file(path))`` works as it is. The
tensors are laid out in the order of their names, as the reference implementation lays them
out: the same tensors give the same data bytes (its metadata's key order varies).

The metadata xentlab writes (all strings):
    "cost"             quadratic, cross-entropy or log-likelihood
    "sizes"            the layer sizes, "784,30,10"
    "xentlab_version"  the version that wrote the file
    "xentlab_meta"     the network's meta (data set, settings, history, accuracy) as JSON
    "xentlab_sha256"   SHA-256 of the canonical JSON of the metadata without this key (keys
                       sorted, no spaces, ASCII), then of the tensors' bytes in the order
                       0.weight, 0.bias, 2.weight, ...: one changed byte anywhere is refused

Reading checks every field before building an array: the header's length against the file
and a cap, UTF-8 and strict JSON without duplicate keys, each tensor's keys, dtype (F32 or
F64), shape and offsets (in range, contiguous, non-overlapping, filling the data exactly), the
names and shapes of one network's layers, finite values. Of the metadata only xentlab's keys
are read, each checked; other tools' keys are ignored. A file that records no cost (one saved
from a torch state_dict, say) is read as having the cost given, or else cross-entropy.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import __version__
from ..errors import FormatError, XentlabError
from ..files import atomic_write, open_input, read_capped, register_output_kind
from ..functions import Cost, get_cost
from ..model import LOGITS_COST, Network, check_sizes
from ..sequential import parameter_names
from .documents import MAX_FILE_BYTES

LENGTH_BYTES = 8
MAX_HEADER_BYTES = 100_000_000  # the largest header the reference implementation reads
METADATA = "__metadata__"
TENSOR_KEYS = ("dtype", "shape", "data_offsets")
DTYPES: dict[str, np.dtype[Any]] = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
CHECKSUM = "xentlab_sha256"
XENTLAB_KEYS = b'"xentlab_'  # the metadata keys xentlab writes all begin so
HEX_DIGEST = re.compile(r"[0-9a-f]{64}\Z")


@dataclass(frozen=True)
class Tensors:
    """A safetensors file's content: its arrays as stored (native byte order) and metadata."""

    arrays: dict[str, NDArray[np.floating]]
    metadata: dict[str, str]


# --- the format -------------------------------------------------------------------------------


def written_as_network(head: bytes, tail: bytes) -> bool:
    """Whether a file beginning with ``head`` is a safetensors network xentlab wrote: its
    header, metadata first (the keys sorted: cost, sizes, then xentlab_meta, ...), names
    xentlab's keys within the bytes read."""
    header = head[LENGTH_BYTES:]
    return header.startswith(b'{"' + METADATA.encode() + b'":{') and XENTLAB_KEYS in header


register_output_kind("network", written_as_network)


def write_safetensors(
    path: str | os.PathLike[str],
    arrays: Mapping[str, NDArray[np.floating]],
    metadata: Mapping[str, str],
    kind: str = "network",
    *,
    force: bool = False,
) -> None:
    """Write ``arrays`` (float32 or float64) and ``metadata`` to ``path`` atomically: tensors
    in the order of their names, metadata keys sorted, the header padded to 8 bytes. An
    existing file there must be a ``kind`` file xentlab wrote, unless ``force``."""
    names = sorted(arrays)
    header: dict[str, Any] = {METADATA: dict(sorted(metadata.items()))} if metadata else {}
    offset = 0
    for name in names:
        array = arrays[name]
        code = next(c for c, dt in DTYPES.items() if dt == array.dtype.newbyteorder("<"))
        header[name] = {"dtype": code, "shape": list(array.shape), "data_offsets": [offset]}
        offset += array.nbytes
        header[name]["data_offsets"].append(offset)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    text += b" " * (-len(text) % LENGTH_BYTES)
    if len(text) > MAX_HEADER_BYTES:
        raise XentlabError(
            f"cannot write {path}: its safetensors header would take {len(text)} bytes; at most "
            f"{MAX_HEADER_BYTES} can be read back"
        )
    with atomic_write(path, "wb", kind=kind, force=force) as handle:
        handle.write(struct.pack("<Q", len(text)) + text)
        for name in names:
            handle.write(_little_endian(arrays[name]).tobytes())


def read_safetensors(path: str | os.PathLike[str], kind: str = "network") -> Tensors:
    """The tensors and metadata of the safetensors file ``path``, every header field checked
    (FormatError naming the file); only regular files, and no more bytes than the header
    accounts for."""
    with open_input(path, kind) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_FILE_BYTES:
            raise FormatError(f"{path}: {size} bytes is too large for a {kind} file")
        if size < LENGTH_BYTES:
            raise FormatError(
                f"{path} is not a safetensors file: {size} bytes, fewer than the "
                f"{LENGTH_BYTES} that give its header's length"
            )
        (length,) = struct.unpack("<Q", read_capped(path, handle, LENGTH_BYTES))
        if length > MAX_HEADER_BYTES:
            raise FormatError(
                f"{path}: its safetensors header would be {length} bytes; at most "
                f"{MAX_HEADER_BYTES} are read (is it a safetensors file?)"
            )
        if length > size - LENGTH_BYTES:
            raise FormatError(
                f"{path}: its safetensors header would be {length} bytes, but only "
                f"{size - LENGTH_BYTES} follow its length (a truncated file, or not safetensors)"
            )
        header = _parse_header(path, read_capped(path, handle, length), length)
        metadata = _metadata(path, header.pop(METADATA, None))
        layout = _layout(path, header, size - LENGTH_BYTES - length)
        data = read_capped(path, handle, size - LENGTH_BYTES - length)
    if len(data) != size - LENGTH_BYTES - length:
        raise FormatError(f"{path}: the file changed while it was read")
    arrays = {
        name: np.frombuffer(data, DTYPES[dtype], math.prod(shape), begin)
        .astype(DTYPES[dtype].newbyteorder("="))
        .reshape(shape)
        for name, (dtype, shape, begin) in layout.items()
    }
    return Tensors(arrays, metadata)


def _little_endian(array: NDArray[np.floating]) -> NDArray[np.floating]:
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))


def _parse_header(path: Any, raw: bytes, length: int) -> dict[str, Any]:
    if len(raw) != length:
        raise FormatError(f"{path}: the file changed while it was read")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{path}: its safetensors header is not UTF-8 text") from None
    if not text.startswith("{"):
        raise FormatError(f"{path}: its safetensors header is not a JSON object")
    try:
        header = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FormatError(f"{path}: its safetensors header is not JSON ({reason})") from None
    if not isinstance(header, dict):
        raise FormatError(f"{path}: its safetensors header is not a JSON object")
    return header


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key {key[:60]!r} appears twice")
        found[key] = value
    return found


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _metadata(path: Any, metadata: Any) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise FormatError(f"{path}: {METADATA!r} must be an object; got {_type(metadata)}")
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise FormatError(
                f"{path}: {METADATA!r} must map strings to strings; {key[:60]!r} maps to "
                f"{_type(value)}"
            )
    return metadata


def _layout(path: Any, header: dict[str, Any], data_bytes: int) -> dict[str, Any]:
    """{name: (dtype, shape, begin)} of the tensors the header describes, checked: each one's
    keys, dtype, shape and offsets, and together that they fill the data exactly."""
    spans = []
    layout = {}
    for name, info in header.items():
        where = f"{path}: tensor {name[:60]!r}"
        if not isinstance(info, dict) or set(info) != set(TENSOR_KEYS):
            got = sorted(info) if isinstance(info, dict) else _type(info)
            raise FormatError(f"{where} must have the keys {', '.join(TENSOR_KEYS)}; got {got}")
        dtype, shape, offsets = (info[key] for key in TENSOR_KEYS)
        if dtype not in DTYPES:
            raise FormatError(
                f"{where} has dtype {str(dtype)[:20]!r}; xentlab reads {' and '.join(DTYPES)}"
            )
        if not isinstance(shape, list) or not all(_is_count(n) for n in shape):
            raise FormatError(f"{where}: 'shape' must be a list of integers >= 0")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(_is_count(n) for n in offsets)
            or offsets[0] > offsets[1]
        ):
            raise FormatError(
                f"{where}: 'data_offsets' must be [begin, end], integers with 0 <= begin <= end"
            )
        needed = math.prod(shape) * DTYPES[dtype].itemsize
        if offsets[1] - offsets[0] != needed:
            raise FormatError(
                f"{where} of shape {shape} in {dtype} takes {needed} bytes, but its data_offsets "
                f"{offsets} span {offsets[1] - offsets[0]}"
            )
        spans.append((offsets[0], offsets[1], name))
        layout[name] = (dtype, tuple(shape), offsets[0])
    end, previous = 0, ""
    for begin, stop, name in sorted(spans):
        if begin < end:
            raise FormatError(
                f"{path}: tensors {previous[:60]!r} and {name[:60]!r} overlap (bytes {begin} to "
                f"{min(end, stop)} of the data)"
            )
        if begin > end:
            raise FormatError(f"{path}: bytes {end} to {begin} of the data belong to no tensor")
        end, previous = stop, name
    if end != data_bytes:
        raise FormatError(
            f"{path}: its tensors take {end} bytes, but {data_bytes} follow the header"
            f"{' (a truncated file?)' if end > data_bytes else ''}"
        )
    return layout


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _type(value: Any) -> str:
    """What a JSON value is, for a message."""
    kinds: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    return kinds.get(type(value), repr(value)[:20])


# --- networks ---------------------------------------------------------------------------------


def save_safetensors(
    network: Network,
    path: str | os.PathLike[str],
    meta: dict[str, Any] | None = None,
    *,
    force: bool = False,
) -> None:
    """Write ``network`` (and JSON-ready ``meta``) to ``path`` as a safetensors file,
    atomically, with its checksum. An existing file there must be a network xentlab wrote,
    unless ``force``."""
    arrays = network_tensors(network)
    try:
        meta_text = json.dumps(meta or {}, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise XentlabError(f"the network's meta cannot be written as JSON: {exc}") from None
    metadata = {
        "cost": network.cost.name,
        "sizes": ",".join(map(str, network.sizes)),
        "xentlab_version": __version__,
        "xentlab_meta": meta_text,
    }
    metadata[CHECKSUM] = _digest(metadata, arrays)
    write_safetensors(path, arrays, metadata, force=force)


def network_tensors(network: Network) -> dict[str, NDArray[np.floating]]:
    """{"0.weight": W_1ᵀ, "0.bias": b_1, "2.weight": W_2ᵀ, ...}: the torch module's state_dict."""
    names = iter(parameter_names(len(network.weights)))
    arrays = {}
    for W, b in zip(network.weights, network.biases, strict=True):
        arrays[next(names)] = np.ascontiguousarray(W.T)
        arrays[next(names)] = b
    return arrays


def load_safetensors(
    path: str | os.PathLike[str], cost: str | Cost | None = None
) -> tuple[Network, dict[str, Any]]:
    """The network stored at ``path`` and its meta ({} for a file xentlab did not write).
    ``cost`` is for a file that records none (default cross-entropy); given for a file that
    records another, it is refused."""
    tensors = read_safetensors(path)
    return network_from_tensors(tensors, path, cost), network_meta(tensors, path)


def network_meta(tensors: Tensors, path: Any) -> dict[str, Any]:
    """The network's meta that xentlab wrote into the metadata ("xentlab_meta"), else {}."""
    try:
        meta = json.loads(tensors.metadata.get("xentlab_meta", "{}"), parse_constant=_not_json)
    except (ValueError, RecursionError):
        meta = None
    if not isinstance(meta, dict):
        raise FormatError(f"{path}: its metadata 'xentlab_meta' must be a JSON object")
    return meta


def recorded_cost(tensors: Tensors) -> str | None:
    """The cost the file's metadata names, if any."""
    return tensors.metadata.get("cost")


def network_from_tensors(tensors: Tensors, path: Any, cost: str | Cost | None = None) -> Network:
    """The network whose layers ``tensors`` holds, checked: the names of one network's layers,
    one dtype, shapes that chain, finite values, and the metadata's cost, sizes and checksum."""
    arrays, metadata = tensors.arrays, tensors.metadata
    names = parameter_names(max(1, (len(arrays) + 1) // 2))
    unexpected = [name for name in arrays if name not in names]
    missing = [name for name in names if name not in arrays]
    if unexpected or missing:
        what = f"has a tensor {unexpected[0][:60]!r}" if unexpected else f"lacks {missing[0]!r}"
        raise FormatError(
            f"{path} {what}; a network's tensors are named 0.weight, 0.bias, 2.weight, 2.bias, "
            "... (the state_dict of Linear layers at 0, 2, 4, ... of a Sequential)"
        )
    dtypes = {name: array.dtype for name, array in arrays.items()}
    odd = next((name for name in names if dtypes[name] != dtypes[names[0]]), None)
    if odd is not None:
        raise FormatError(
            f"{path}: tensor {odd!r} is {dtypes[odd].name} but {names[0]!r} is "
            f"{dtypes[names[0]].name}; a network has one dtype"
        )
    weights: list[NDArray[np.floating]] = []
    biases: list[NDArray[np.floating]] = []
    for weight_name, bias_name in zip(names[::2], names[1::2], strict=True):
        weight, bias = arrays[weight_name], arrays[bias_name]
        if weight.ndim != 2:
            raise FormatError(
                f"{path}: tensor {weight_name!r} must be 2-dimensional (outputs, inputs); got "
                f"shape {list(weight.shape)}"
            )
        if bias.shape != weight.shape[:1]:
            raise FormatError(
                f"{path}: tensor {bias_name!r} must have shape [{weight.shape[0]}] to go with "
                f"{weight_name!r} of shape {list(weight.shape)}; got {list(bias.shape)}"
            )
        if weights and weight.shape[1] != weights[-1].shape[1]:
            raise FormatError(
                f"{path}: tensor {weight_name!r} takes {weight.shape[1]} inputs, but the layer "
                f"before gives {weights[-1].shape[1]} outputs"
            )
        for name, array in ((weight_name, weight), (bias_name, bias)):
            if not np.isfinite(array).all():
                raise FormatError(f"{path}: tensor {name!r} holds NaN or infinite values")
        weights.append(np.ascontiguousarray(weight.T))
        biases.append(bias)
    try:
        sizes = check_sizes((weights[0].shape[0], *(W.shape[1] for W in weights)))
    except XentlabError as exc:
        raise FormatError(f"{path}: {exc}") from None
    shown = ",".join(map(str, sizes))
    if "sizes" in metadata and metadata["sizes"] != shown:
        raise FormatError(
            f"{path}: its metadata says sizes {metadata['sizes'][:60]!r}, but its tensors make "
            f"{shown}"
        )
    _check_digest(path, metadata, arrays)
    return Network(sizes, weights, biases, _cost(path, recorded_cost(tensors), cost))


def _cost(path: Any, recorded: str | None, given: str | Cost | None) -> Cost:
    if recorded is None:
        return get_cost(LOGITS_COST if given is None else given)
    try:
        cost = get_cost(recorded)
    except XentlabError as exc:
        raise FormatError(f"{path}: its metadata's {exc}") from None
    if given is not None and get_cost(given) != cost:
        raise XentlabError(
            f"{path} records cost {cost.name!r}, not {get_cost(given).name!r}; a cost is given "
            "only for a file that records none"
        )
    return cost


def _digest(metadata: Mapping[str, str], arrays: Mapping[str, NDArray[np.floating]]) -> str:
    """SHA-256 of the canonical JSON of ``metadata`` without the checksum, then of the arrays'
    little-endian bytes in layer order (0.weight, 0.bias, 2.weight, ...)."""
    content = {key: value for key, value in metadata.items() if key != CHECKSUM}
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    )
    for name in parameter_names(len(arrays) // 2):
        digest.update(_little_endian(arrays[name]).tobytes())
    return digest.hexdigest()


def _check_digest(
    path: Any,
    metadata: Mapping[str, str],
    arrays: Mapping[str, NDArray[np.floating]],
) -> None:
    if CHECKSUM not in metadata:
        return  # not written by xentlab: nothing to verify against
    claimed = metadata[CHECKSUM]
    if not HEX_DIGEST.match(claimed):
        raise FormatError(
            f"{path} is corrupt: its checksum {CHECKSUM!r} must be 64 lowercase hexadecimal "
            f"digits; got {claimed[:70]!r}"
        )
    if _digest(metadata, arrays) != claimed:
        raise FormatError(
            f"{path} is corrupt: its content does not match its checksum ({CHECKSUM} "
            f"{claimed[:16]}... recorded); the file was damaged or edited after xentlab wrote it"
        )
