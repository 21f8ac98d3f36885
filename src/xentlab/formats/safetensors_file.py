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

Bounds come first: at most ``MAX_TENSORS`` tensors (counted while the header is parsed, so a
header of 100,000 tensors is refused after 10,000), ``MAX_DIMENSIONS`` dimensions each, no
dimension and no product of the non-zero ones above ``MAX_ELEMENTS``; so NumPy is never handed
a shape it refuses (65 dimensions, [2⁶³, 0]), and every check after the bounds is linear.

Then only what is asked for is read: :func:`open_safetensors` gives the checked header with the
file still open, and each tensor's bytes are read from where its offsets say, straight into the
array that keeps them (or in blocks of rows, for a caller that keeps them in another layout).
A caller decides from the header alone whether the file holds what it wants, so a 1.5 GB file
of another model's tensors is refused having read its header and nothing more.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import FormatError, XentlabError
from ..files import PIECE, atomic_write, open_input, read_capped, register_output_kind
from .documents import MAX_FILE_BYTES, TooManyObjects, parse_json

LENGTH_BYTES = 8
MAX_HEADER_BYTES = 100_000_000  # the largest header the reference implementation reads
METADATA = "__metadata__"
TENSOR_KEYS = ("dtype", "shape", "data_offsets")
DTYPES: dict[str, np.dtype[Any]] = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
XENTLAB_KEYS = b'"xentlab_'  # the metadata keys xentlab writes all begin so
MAX_TENSORS = 10_000  # a network has 2 per layer: 5,000 layers is far beyond any trained here
MAX_DIMENSIONS = 8  # a network's tensors have 1 or 2 (NumPy itself stops at 64)
MAX_ELEMENTS = MAX_FILE_BYTES  # along one axis, or all the non-zero ones: no file holds more


@dataclass(frozen=True)
class Tensors:
    """A safetensors file's content: its arrays as stored (native byte order) and metadata."""

    arrays: dict[str, NDArray[np.floating]]
    metadata: dict[str, str]


@dataclass(frozen=True)
class TensorInfo:
    """One tensor as the header describes it, checked: its dtype code ("F32" or "F64"), shape,
    and where its bytes lie, [begin, end) of the data that follows the header."""

    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int

    @property
    def numpy_dtype(self) -> np.dtype[Any]:
        """The dtype of the array that holds the tensor in memory (native byte order)."""
        return DTYPES[self.dtype].newbyteorder("=")


class SafetensorsReader:
    """An open safetensors file whose header has been read and checked (``metadata``,
    ``tensors``), from which tensors are read one at a time, each from its own offsets: nothing
    is read that is not asked for. Made by :func:`open_safetensors`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        handle: Any,
        metadata: dict[str, str],
        tensors: dict[str, TensorInfo],
        data_start: int,
    ) -> None:
        self.path = path
        self.metadata = metadata
        self.tensors = tensors
        self._handle = handle
        self._data_start = data_start

    def read(self, name: str) -> NDArray[np.floating]:
        """The tensor ``name``, its bytes read into the array returned (held once)."""
        info = self.tensors[name]
        array = self._allocate(name, info, info.shape)
        self._read_into(name, info.begin, array)
        return array

    def blocks(
        self, name: str, block_bytes: int = PIECE
    ) -> Iterator[tuple[int, NDArray[np.floating]]]:
        """The tensor ``name`` in blocks of whole rows along its first axis, each of about
        ``block_bytes`` (at least one row): (index of the block's first row, the block). The
        blocks share one buffer, so each is valid until the next is read; memory stays one
        block, whatever the tensor's size."""
        info = self.tensors[name]
        if not info.shape or info.end == info.begin:
            if info.end > info.begin:  # a scalar: one block of itself
                yield 0, self.read(name)
            return
        rows, row_shape = info.shape[0], info.shape[1:]
        row_bytes = (info.end - info.begin) // rows
        per_block = max(1, min(rows, block_bytes // row_bytes))
        buffer = self._allocate(name, info, (per_block, *row_shape))
        for first in range(0, rows, per_block):
            block = buffer[: min(per_block, rows - first)]
            self._read_into(name, info.begin + first * row_bytes, block)
            yield first, block

    def _allocate(
        self, name: str, info: TensorInfo, shape: tuple[int, ...]
    ) -> NDArray[np.floating]:
        try:  # the shape is bounded (_layout); memory is what may still run out
            return np.empty(shape, info.numpy_dtype)
        except (MemoryError, ValueError) as exc:
            raise FormatError(
                f"{self.path}: tensor {name[:60]!r} of shape {list(info.shape)} cannot be held "
                f"in memory ({_reason(exc)})"
            ) from None

    def _read_into(self, name: str, begin: int, array: NDArray[np.floating]) -> None:
        """Fill ``array`` with the bytes at ``begin`` of the data, little-endian as stored."""
        if not array.size:
            return  # nothing to read (and a view with a 0 in its shape cannot be cast)
        view = array.data.cast("B")
        self._handle.seek(self._data_start + begin)
        done = 0
        while done < len(view):
            count = self._handle.readinto(view[done:])
            if not count:
                raise FormatError(
                    f"{self.path}: the file changed while it was read (tensor {name[:60]!r} ends "
                    "early)"
                )
            done += count
        if DTYPES[self.tensors[name].dtype] != array.dtype:  # a big-endian machine
            array.byteswap(inplace=True)


@contextlib.contextmanager
def open_safetensors(
    path: str | os.PathLike[str], kind: str = "network"
) -> Iterator[SafetensorsReader]:
    """The safetensors file ``path`` open for reading, its header read and every field of it
    checked (FormatError naming the file), and no byte of its tensors read yet. Only regular
    files (``kind`` names the file in messages: "network file not found: ...")."""
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
        yield SafetensorsReader(path, handle, metadata, layout, LENGTH_BYTES + length)


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
    """All the tensors and the metadata of the safetensors file ``path``, every header field
    checked first (see :func:`open_safetensors`); each tensor's bytes are read into its array,
    and held once."""
    with open_safetensors(path, kind) as file:
        arrays = {name: file.read(name) for name in file.tensors}
        return Tensors(arrays, file.metadata)


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
        # one object per tensor, besides the header and its metadata: stop at the bound
        header = parse_json(text, max_objects=MAX_TENSORS + 2)
    except TooManyObjects:
        raise FormatError(_too_many_tensors(path)) from None
    except ValueError as exc:  # a key twice among them
        raise FormatError(f"{path}: its safetensors header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise FormatError(f"{path}: its safetensors header is not a JSON object")
    return header


def _too_many_tensors(path: Any) -> str:
    return (
        f"{path}: its safetensors header describes more than {MAX_TENSORS} tensors; xentlab "
        f"reads at most {MAX_TENSORS} (a network has 2 per layer)"
    )


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


def _layout(path: Any, header: dict[str, Any], data_bytes: int) -> dict[str, TensorInfo]:
    """{name: TensorInfo} of the tensors the header describes, checked: their number, each
    one's keys, dtype, shape (bounded) and offsets, and together that they fill the data
    exactly. Linear in the number of tensors, but for sorting their offsets."""
    if len(header) > MAX_TENSORS:  # also counted during the parse; this is the exact count
        raise FormatError(_too_many_tensors(path))
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
        if len(shape) > MAX_DIMENSIONS:
            raise FormatError(
                f"{where} has {len(shape)} dimensions; xentlab reads at most {MAX_DIMENSIONS}"
            )
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
        # A zero-size tensor may declare any other dimension: [2**63, 0] takes 0 bytes, but
        # NumPy refuses to make it. No dimension, nor the product of the non-zero ones, may
        # exceed what a file can hold.
        if max(shape, default=0) > MAX_ELEMENTS or math.prod(n for n in shape if n) > MAX_ELEMENTS:
            raise FormatError(
                f"{where} has shape {_shown(shape)}; no dimension, nor the product of those "
                f"that are not 0, may exceed {MAX_ELEMENTS}"
            )
        spans.append((offsets[0], offsets[1], name))
        layout[name] = TensorInfo(dtype, tuple(shape), offsets[0], offsets[1])
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


def _shown(shape: list[int]) -> str:
    """A shape for a message, shortened past 10 dimensions."""
    return str(shape) if len(shape) <= 10 else f"[{', '.join(map(str, shape[:10]))}, ...]"


def _reason(exc: BaseException) -> str:
    """An exception's first line, or its type where it has no text."""
    text = str(exc).splitlines()
    return text[0] if text and text[0] else type(exc).__name__
