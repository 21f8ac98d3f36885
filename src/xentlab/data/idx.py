"""Reading IDX files, the format of MNIST and Fashion-MNIST, gzipped or not.

The reader checks what it reads before trusting it: a malformed file raises FormatError naming
the file and the problem, and no declared size is allocated before the bytes behind it have been
seen (a header claiming 10¹² images fails at once, without the memory).
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import FormatError
from ..files import Stream, open_content, read_capped

# The four files of an MNIST-style data set (MNIST and Fashion-MNIST share these names).
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# The most bytes one IDX file may declare: far above MNIST's 47 MB, and small enough that reading
# it cannot exhaust the memory of the machines xentlab runs on (a small gzip file can declare,
# and expand to, gigabytes).
MAX_IDX_BYTES = 2**30


def idx_shape(path: str | os.PathLike[str]) -> tuple[int, ...]:
    """The shape an IDX file (gzipped or not) declares in its header, read without its data:
    enough to decide whether the data is worth reading. The header is checked as
    :func:`read_idx` checks it."""
    path = Path(path)
    with open_content(path, "data") as stream:
        return _read_header(path, stream)


def read_idx(path: str | os.PathLike[str]) -> NDArray[np.uint8]:
    """The unsigned-byte array stored in an IDX file (gzipped or not), with its declared shape.

    IDX: two zero bytes, a type byte (0x08: unsigned byte), a dimension count d, d big-endian
    uint32 sizes, then the data in C order.
    """
    path = Path(path)
    with open_content(path, "data") as stream:
        shape = _read_header(path, stream)
        expected = math.prod(shape)
        data = read_capped(path, stream, expected + 1)  # one more byte reveals trailing data
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "longer than declared"
        raise FormatError(
            f"{path}: {what}: shape {shape} needs {expected} data bytes, found "
            f"{len(data) if len(data) <= expected else 'more'}"
        )
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def _read_header(path: Path, stream: Stream) -> tuple[int, ...]:
    """The shape in the IDX header at the start of ``stream``, checked: magic, type, dimension
    count, and a size no larger than MAX_IDX_BYTES."""
    header = read_capped(path, stream, 4)
    if len(header) < 4:
        raise FormatError(f"{path}: too short for an IDX header ({len(header)} bytes)")
    zero, kind, dims = header[:2], header[2], header[3]
    if zero != b"\x00\x00":
        raise FormatError(f"{path}: not an IDX file (magic {header.hex()})")
    if kind != 0x08:
        raise FormatError(f"{path}: IDX type 0x{kind:02x} is not supported (only 0x08, bytes)")
    if not 1 <= dims <= 4:
        raise FormatError(f"{path}: IDX dimension count {dims} is not in 1..4")
    size_bytes = read_capped(path, stream, 4 * dims)
    if len(size_bytes) < 4 * dims:
        raise FormatError(f"{path}: truncated IDX header")
    shape: tuple[int, ...] = struct.unpack(f">{dims}I", size_bytes)
    # Zero dimensions are counted as 1 here: (0, 4e9, 4e9) holds no bytes but is no more an
    # array xentlab can build than (1, 4e9, 4e9) is.
    if math.prod(max(d, 1) for d in shape) > MAX_IDX_BYTES:
        raise FormatError(
            f"{path}: declares shape {shape} ({math.prod(shape)} bytes), more than xentlab reads "
            f"from one IDX file ({MAX_IDX_BYTES} bytes)"
        )
    return shape
