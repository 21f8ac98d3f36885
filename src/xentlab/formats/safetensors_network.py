"""A network as a safetensors file: which tensors make it, the metadata xentlab writes, and its
checksum (the file format itself is ``safetensors_file``'s).

A network of L layers is stored as the ``state_dict`` of :meth:`Network.to_torch`'s module:
"0.weight" = W_1ᵀ (n_1, n_0), "0.bias" = b_1, "2.weight" = W_2ᵀ, "2.bias" = b_2, ... (layer
l's Linear sits at index 2l), all F32 or all F64; so
``net.to_torch().load_state_dict(safetensors.torch.load_file(path))`` works as it is.

The metadata xentlab writes (all strings):
    "cost"             quadratic, cross-entropy or log-likelihood
    "sizes"            the layer sizes, "784,30,10"
    "xentlab_version"  the version that wrote the file
    "xentlab_meta"     the network's meta (data set, settings, history, accuracy) as JSON
    "xentlab_sha256"   SHA-256 of the canonical JSON of the metadata without this key (keys
                       sorted, no spaces, ASCII), then of the tensors' bytes in the order
                       0.weight, 0.bias, 2.weight, ...: one changed byte anywhere is refused

Reading decides from the header alone whether the file holds a network: the names of one
network's layers (and nothing else), one dtype, shapes that chain into layer sizes within
bounds, and the metadata's cost, sizes and meta; only then are tensors read, each weight in
blocks of rows straight into the transposed array the network keeps, its values checked
finite and fed to the checksum as they come. So a file of another model's tensors costs its
header, and reading a network takes about the memory of the network. Of the metadata only
xentlab's keys are read, each checked; other tools' keys are ignored. A file that records no
cost (one saved from a torch state_dict, say) is read as having the cost given, or else
cross-entropy.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import __version__
from ..errors import FormatError, XentlabError
from ..functions import Cost, get_cost
from ..model import LOGITS_COST, Network, check_sizes
from ..sequential import parameter_names
from .documents import parse_json
from .history import check_meta
from .safetensors_file import (
    SafetensorsReader,
    Tensors,
    little_endian,
    open_safetensors,
    write_safetensors,
)

CHECKSUM = "xentlab_sha256"
HEX_DIGEST = re.compile(r"[0-9a-f]{64}\Z")


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
        **({"output": str(network.cost.output)} if network.cost.label != network.cost.name else {}),
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


@dataclass(frozen=True)
class SafetensorsNetwork:
    """A network read from a safetensors file, its meta ({} for a file xentlab did not write),
    and whether the file records its cost (one saved from a torch state_dict may not)."""

    network: Network
    meta: dict[str, Any]
    cost_recorded: bool


def load_safetensors(
    path: str | os.PathLike[str], cost: str | Cost | None = None
) -> tuple[Network, dict[str, Any]]:
    """The network stored at ``path`` and its meta ({} for a file xentlab did not write).
    ``cost`` is for a file that records none (default cross-entropy); given for a file that
    records another, it is refused."""
    read = read_safetensors_network(path, cost)
    return read.network, read.meta


def read_safetensors_network(
    path: str | os.PathLike[str], cost: str | Cost | None = None
) -> SafetensorsNetwork:
    """The network stored at ``path``, as :func:`load_safetensors` reads it, and whether the
    file records its cost. Everything the header says is checked before a tensor is read;
    then each tensor is read once, into the array the network keeps."""
    with open_safetensors(path) as file:
        shapes = {name: (info.numpy_dtype, info.shape) for name, info in file.tensors.items()}
        names, sizes = _network_layout(path, shapes, file.metadata)
        the_cost = _cost(path, recorded_cost(file), cost, recorded_output(file))
        meta = network_meta(file, path)
        claimed = _claimed_digest(path, file.metadata)
        digest = _metadata_digest(file.metadata)
        weights, biases = _read_layers(file, names, digest)
    if claimed is not None and digest.hexdigest() != claimed:
        raise _corrupt(path, claimed)
    return SafetensorsNetwork(
        Network(sizes, weights, biases, the_cost), meta, recorded_cost(file) is not None
    )


def network_meta(tensors: Tensors | SafetensorsReader, path: Any) -> dict[str, Any]:
    """The network's meta that xentlab wrote into the metadata ("xentlab_meta"), else {}."""
    try:
        meta = parse_json(tensors.metadata.get("xentlab_meta", "{}"))
    except ValueError as exc:
        raise FormatError(
            f"{path}: its metadata 'xentlab_meta' must be a JSON object; it is not JSON ({exc})"
        ) from None
    if not isinstance(meta, dict):
        raise FormatError(f"{path}: its metadata 'xentlab_meta' must be a JSON object")
    check_meta(meta, path)
    return meta


def recorded_cost(tensors: Tensors | SafetensorsReader) -> str | None:
    """The cost the file's metadata names, if any."""
    return tensors.metadata.get("cost")


def recorded_output(tensors: Tensors | SafetensorsReader) -> str | None:
    """The output layer the file's metadata names, if any: only one that is not its cost's
    own is written (a linear output under the quadratic cost)."""
    return tensors.metadata.get("output")


def network_from_tensors(tensors: Tensors, path: Any, cost: str | Cost | None = None) -> Network:
    """The network whose layers ``tensors`` (in memory) holds, checked as a file is: the names
    of one network's layers, one dtype, shapes that chain, finite values, and the metadata's
    cost, sizes and checksum."""
    arrays, metadata = tensors.arrays, tensors.metadata
    shapes = {name: (array.dtype, array.shape) for name, array in arrays.items()}
    names, sizes = _network_layout(path, shapes, metadata)
    the_cost = _cost(path, recorded_cost(tensors), cost, recorded_output(tensors))
    weights: list[NDArray[np.floating]] = []
    biases: list[NDArray[np.floating]] = []
    for weight_name, bias_name in zip(names[::2], names[1::2], strict=True):
        for name in (weight_name, bias_name):
            if not np.isfinite(arrays[name]).all():
                raise _not_finite(path, name)
        weights.append(np.ascontiguousarray(arrays[weight_name].T))
        biases.append(arrays[bias_name])
    claimed = _claimed_digest(path, metadata)
    if claimed is not None and _digest(metadata, arrays) != claimed:
        raise _corrupt(path, claimed)
    return Network(sizes, weights, biases, the_cost)


def _network_layout(
    path: Any,
    shapes: Mapping[str, tuple[np.dtype[Any], tuple[int, ...]]],
    metadata: Mapping[str, str],
) -> tuple[list[str], tuple[int, ...]]:
    """The tensors' names in layer order (0.weight, 0.bias, 2.weight, ...) and the layer sizes,
    from their dtypes and shapes alone: the names of one network's layers and no other, one
    dtype, each weight 2-dimensional (outputs, inputs) with a bias to match, layers that chain,
    sizes within bounds and as the metadata says. Linear in the number of tensors."""
    names = parameter_names(max(1, (len(shapes) + 1) // 2))
    expected = set(names)
    unexpected = next((name for name in shapes if name not in expected), None)
    missing = next((name for name in names if name not in shapes), None)
    if unexpected is not None or missing is not None:
        what = (
            f"has a tensor {unexpected[:60]!r}" if unexpected is not None else f"lacks {missing!r}"
        )
        raise FormatError(
            f"{path} {what}; a network's tensors are named 0.weight, 0.bias, 2.weight, 2.bias, "
            "... (the state_dict of Linear layers at 0, 2, 4, ... of a Sequential)"
        )
    first = shapes[names[0]][0]
    odd = next((name for name in names if shapes[name][0] != first), None)
    if odd is not None:
        raise FormatError(
            f"{path}: tensor {odd!r} is {shapes[odd][0].name} but {names[0]!r} is "
            f"{first.name}; a network has one dtype"
        )
    outputs: int | None = None
    for weight_name, bias_name in zip(names[::2], names[1::2], strict=True):
        weight, bias = shapes[weight_name][1], shapes[bias_name][1]
        if len(weight) != 2:
            raise FormatError(
                f"{path}: tensor {weight_name!r} must be 2-dimensional (outputs, inputs); got "
                f"shape {list(weight)}"
            )
        if bias != weight[:1]:
            raise FormatError(
                f"{path}: tensor {bias_name!r} must have shape [{weight[0]}] to go with "
                f"{weight_name!r} of shape {list(weight)}; got {list(bias)}"
            )
        if outputs is not None and weight[1] != outputs:
            raise FormatError(
                f"{path}: tensor {weight_name!r} takes {weight[1]} inputs, but the layer "
                f"before gives {outputs} outputs"
            )
        outputs = weight[0]
    try:
        sizes = check_sizes((shapes[names[0]][1][1], *(shapes[name][1][0] for name in names[::2])))
    except XentlabError as exc:
        raise FormatError(f"{path}: {exc}") from None
    shown = ",".join(map(str, sizes))
    if "sizes" in metadata and metadata["sizes"] != shown:
        raise FormatError(
            f"{path}: its metadata says sizes {metadata['sizes'][:60]!r}, but its tensors make "
            f"{shown}"
        )
    return names, sizes


def _read_layers(
    file: SafetensorsReader, names: list[str], digest: Any
) -> tuple[list[NDArray[np.floating]], list[NDArray[np.floating]]]:
    """Each layer's W_l (n_in, n_out) and b_l, read in layer order: a weight W_lᵀ in blocks of
    rows, each checked finite, fed to ``digest`` as stored and copied into its column of W_l;
    so memory is the network plus one block."""
    weights: list[NDArray[np.floating]] = []
    biases: list[NDArray[np.floating]] = []
    for weight_name, bias_name in zip(names[::2], names[1::2], strict=True):
        outputs, inputs = file.tensors[weight_name].shape
        weight = _empty(file, weight_name, (inputs, outputs))
        for first, block in file.blocks(weight_name):
            _take(file.path, weight_name, block, digest)
            weight[:, first : first + len(block)] = block.T
        bias = file.read(bias_name)
        _take(file.path, bias_name, bias, digest)
        weights.append(weight)
        biases.append(bias)
    return weights, biases


def _empty(file: SafetensorsReader, name: str, shape: tuple[int, ...]) -> NDArray[np.floating]:
    info = file.tensors[name]
    try:
        return np.empty(shape, info.numpy_dtype)
    except MemoryError:
        raise FormatError(
            f"{file.path}: not enough memory to hold tensor {name!r} of shape {list(info.shape)}"
        ) from None


def _take(path: Any, name: str, values: NDArray[np.floating], digest: Any) -> None:
    """Check ``values`` (part of tensor ``name``) finite and add their bytes to ``digest``."""
    if not np.isfinite(values).all():
        raise _not_finite(path, name)
    digest.update(little_endian(values))


def _not_finite(path: Any, name: str) -> FormatError:
    return FormatError(f"{path}: tensor {name!r} holds NaN or infinite values")


def _cost(
    path: Any, recorded: str | None, given: str | Cost | None, output: str | None = None
) -> Cost:
    """The cost (on its output) the metadata records, else ``given``, else LOGITS_COST; a cost
    given that is not the one recorded is refused."""
    if recorded is None:
        if output is not None:
            raise FormatError(f"{path}: its metadata names output {output!r} but no cost")
        return get_cost(LOGITS_COST if given is None else given)
    try:
        cost = get_cost(recorded, output=output)
    except XentlabError as exc:
        raise FormatError(f"{path}: its metadata's {exc}") from None
    check_given_cost(path, cost, given, "a file")
    return cost


def check_given_cost(path: Any, recorded: Cost, given: str | Cost | None, which: str) -> None:
    """Refuse a cost given for a file that records another: a name must be the recorded cost's
    (whatever its output), a Cost must be the recorded one."""
    if given is None:
        return
    wanted = get_cost(given)  # a name is checked, and stands for the cost on any output
    if wanted.name != recorded.name if isinstance(given, str) else wanted != recorded:
        raise XentlabError(
            f"{path} records cost {recorded.label!r}, not {wanted.label!r}; a cost is given "
            f"only for {which} that records none"
        )


def _metadata_digest(metadata: Mapping[str, str]) -> Any:
    """SHA-256 begun with the canonical JSON of ``metadata`` without the checksum; the tensors'
    bytes follow, in layer order."""
    content = {key: value for key, value in metadata.items() if key != CHECKSUM}
    return hashlib.sha256(
        json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    )


def _digest(metadata: Mapping[str, str], arrays: Mapping[str, NDArray[np.floating]]) -> str:
    """SHA-256 of the canonical JSON of ``metadata`` without the checksum, then of the arrays'
    little-endian bytes in layer order (0.weight, 0.bias, 2.weight, ...)."""
    digest = _metadata_digest(metadata)
    for name in parameter_names(len(arrays) // 2):
        digest.update(little_endian(arrays[name]))
    return str(digest.hexdigest())


def _claimed_digest(path: Any, metadata: Mapping[str, str]) -> str | None:
    """The checksum the metadata records (None for a file xentlab did not write), checked to
    be one before any tensor is read."""
    if CHECKSUM not in metadata:
        return None  # not written by xentlab: nothing to verify against
    claimed = metadata[CHECKSUM]
    if not HEX_DIGEST.match(claimed):
        raise FormatError(
            f"{path} is corrupt: its checksum {CHECKSUM!r} must be 64 lowercase hexadecimal "
            f"digits; got {claimed[:70]!r}"
        )
    return claimed


def _corrupt(path: Any, claimed: str) -> FormatError:
    return FormatError(
        f"{path} is corrupt: its content does not match its checksum ({CHECKSUM} "
        f"{claimed[:16]}... recorded); the file was damaged or edited after xentlab wrote it"
    )
