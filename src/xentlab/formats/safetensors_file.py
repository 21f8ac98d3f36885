"""The safetensors file format, read and written by xentlab itself: no pickle, nothing
executed, and the ``safetensors`` package is not needed. PyTorch, JAX, NumPy and others open
these files; which tensors make a network is ``safetensors_network``'s job.

The format::

    8 bytes   N, the header's length: an unsigned little-endian integer
    N bytes   the header: a JSON object (UTF-8, padded with spaces to a multiple of 8 bytes)
              {"__metadata__": {string: string, ...},
               NAME: {"dtype": "F32", "shape": [out, in], "data_offsets": [begin, end]}, ...}
    the rest  the tensors' bytes, little-endian, row-major, each at [begin, end) of this part,
              together filling it exactly, without gaps or overlaps

The tensors are laid out in the order of their names, as the reference implementation lays
them out: the same tensors give the same data bytes (its metadata's key order varies).

Reading checks every field before building an array: the header's length against the file
and a cap, UTF-8 and strict JSON without duplicate keys, each tensor's keys, dtype (F32 or
F64), shape and offsets (in range, contiguous, non-overlapping, filling the data exactly).
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import FormatError, XentlabError
from ..files import atomic_write, open_input, read_capped, register_output_kind
from .documents import MAX_FILE_BYTES, parse_json

LENGTH_BYTES = 8
MAX_HEADER_BYTES = 100_000_000  # the largest header the reference implementation reads
METADATA = "__metadata__"
TENSOR_KEYS = ("dtype", "shape", "data_offsets")
DTYPES: dict[str, np.dtype[Any]] = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
XENTLAB_KEYS = b'"xentlab_'  # the metadata keys xentlab writes all begin so


@dataclass(frozen=True)
class Tensors:
    """A safetensors file's content: its arrays as stored (native byte order) and metadata."""

    arrays: dict[str, NDArray[np.floating]]
    metadata: dict[str, str]


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
            handle.write(little_endian(arrays[name]).tobytes())


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


def little_endian(array: NDArray[np.floating]) -> NDArray[np.floating]:
    """``array`` as the file stores it: contiguous, little-endian, its dtype's width kept."""
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
        header = parse_json(text)
    except ValueError as exc:  # a key twice among them
        raise FormatError(f"{path}: its safetensors header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise FormatError(f"{path}: its safetensors header is not a JSON object")
    return header


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
