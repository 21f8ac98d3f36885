"""Data sets kept decoded on disk: the arrays a data set's files decode to, stored uncompressed in
xentlab's cache folder (``files.places.decoded_cache_folder``), so that the next process reads
them back in a few hundredths of a second instead of decompressing and checking the files again
(MNIST's gzipped IDX files take 0.3 to 0.8 s, the book's pickle seconds, and the embedded digits
the import of scikit-learn, a second or two).

An entry is never trusted blindly:

- it is keyed on its source files: the real path, size, mtime_ns, ctime_ns, inode and device
  of each, and DECODED_VERSION (how xentlab decodes); a source changed in any of these makes it
  stale;
- each array carries the CRC-32 of its bytes, checked as they are read (a CRC, not a
  cryptographic hash: the folder is the user's own, the danger is damage, not forgery);
- its header is checked before anything is allocated: the declared types and shapes must add
  up to the file's size, within MAX_DECODED_BYTES.

The folder is bounded: after an entry is written, the least recently used entries (by their
modification time, which each read renews) are removed until all of them take at most
KEPT_BYTES, so that entries for sources since moved or deleted do not pile up.

A missing, truncated, corrupt, foreign or stale entry, or one that cannot be read, is no error:
the sources are decoded as if there were no cache, and the entry is written again. Nothing is
kept of a source changed less than RECENT_SECONDS before its decoding began: file systems keep
times at a coarse grain (a few milliseconds, up to 2 s), so a file rewritten within the same
tick, at the same size, would look unchanged; nor of a source that changed while it was
decoded. A cache folder that cannot be written means no cache, silently. Entries are written
atomically (``files.atomic_write``): a reader sees a whole entry or none.

An entry is one file: a header (HEADER: magic, version, key, number of arrays), one ARRAY
record per array (dtype, dimension count, shape, CRC-32), then the arrays' bytes in C order,
little-endian, one after another.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import struct
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import XentlabError
from ..files import PIECE, atomic_write, open_input, places

# What xentlab's decoding gives: raised whenever it changes, so that no entry written by an
# older decoding is read.
DECODED_VERSION = 1
MAGIC = b"xentlab decoded\n"
HEADER = struct.Struct("<16sI32sI")  # magic, version, SHA-256 of the key, number of arrays
ARRAY = struct.Struct("<3sB4QI")  # dtype ('|u1', '<f4', ...), dimensions, shape, CRC-32
MAX_DIMENSIONS = 4
MAX_ARRAYS = 8  # the book's pickle: three parts of two arrays
MAX_DECODED_BYTES = 2**30  # as much as one load of a data set may take (data.MAX_LOAD_BYTES)
DTYPES = {code.encode(): np.dtype(code) for code in ("|u1", "<i4", "<i8", "<f4", "<f8")}
RECENT_SECONDS = 3  # a source changed this recently is decoded, not kept
SUFFIX = ".decoded"
# The entries kept at most: MNIST's, Fashion-MNIST's and the book's pickle take about 330 MB.
KEPT_BYTES = 2 * MAX_DECODED_BYTES

Arrays = tuple[NDArray[Any], ...]


def cached_arrays(
    label: str,
    sources: Sequence[str | os.PathLike[str]],
    decode: Callable[[], Sequence[NDArray[Any]]],
    fits: Callable[[Arrays], bool] = lambda arrays: True,
) -> Arrays:
    """The arrays ``decode()`` gives for the files ``sources``: read from the cache when an
    entry for them is there, current and intact (and ``fits`` them: a last check of their
    shapes against what the sources declare), else decoded and kept for the next time.

    ``label`` names the entry's file (``mnist-train``), beside a digest of the sources' paths:
    each set of sources has an entry of its own. The arrays come back in ``decode``'s order, in
    native byte order, C-contiguous and writable. Errors are ``decode``'s own: the cache never
    raises.
    """
    folder = places.decoded_cache_folder()
    identity = _identity(sources) if folder is not None else None
    if folder is None or identity is None:  # off, or a source decode will name as missing
        return tuple(decode())
    key, newest = identity
    entry = folder / f"{label}-{_paths_digest(sources)}{SUFFIX}"
    found = read_entry(entry, key)
    if found is not None and fits(found):
        _used(entry)
        return found
    started = time.time_ns()
    arrays = tuple(np.ascontiguousarray(a) for a in decode())
    if started - newest >= RECENT_SECONDS * 10**9 and _still(sources, key):
        if write_entry(entry, key, arrays):
            prune(folder, entry, KEPT_BYTES)
    return arrays


def _used(entry: Path) -> None:
    """Mark ``entry`` as just used (its modification time), for :func:`prune`."""
    try:
        os.utime(entry)
    except OSError:  # a folder that cannot be written: no cache to bound
        pass


def prune(folder: Path, keep: Path, budget: int = KEPT_BYTES) -> list[Path]:
    """Remove the least recently used entries of ``folder``, all but ``keep`` (the entry just
    written), until its entries take at most ``budget`` bytes; the entries removed. An entry
    that cannot be looked at or removed is left (another process may be at it)."""
    found = []
    for path in folder.glob(f"*{SUFFIX}"):
        try:
            info = path.stat()
        except OSError:
            continue
        found.append((info.st_mtime_ns, info.st_size, path))
    total = sum(size for _, size, _ in found)
    removed = []
    for _, size, path in sorted(found):  # the least recently used first
        if total <= budget:
            break
        if path == keep:
            continue
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed.append(path)
    return removed


def _identity(sources: Sequence[str | os.PathLike[str]]) -> tuple[bytes, int] | None:
    """(the SHA-256 of the sources' identity, the latest of their mtimes in ns), or None when a
    source cannot be looked at."""
    digest = hashlib.sha256(f"xentlab decoded {DECODED_VERSION}\n".encode())
    newest = 0
    for source in sources:
        try:
            info = os.stat(source)
        except OSError:
            return None
        digest.update(os.fsencode(os.path.realpath(source)) + b"\0")
        fields = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
        digest.update(" ".join(map(str, fields)).encode() + b"\n")
        newest = max(newest, info.st_mtime_ns)
    return digest.digest(), newest


def _still(sources: Sequence[str | os.PathLike[str]], key: bytes) -> bool:
    """Whether the sources are as they were when ``key`` was taken (none changed meanwhile)."""
    identity = _identity(sources)
    return identity is not None and identity[0] == key


def _paths_digest(sources: Sequence[str | os.PathLike[str]]) -> str:
    """16 hexadecimal digits naming the sources by their real paths."""
    joined = b"\0".join(os.fsencode(os.path.realpath(source)) for source in sources)
    return hashlib.sha256(joined).hexdigest()[:16]


def read_entry(path: Path, key: bytes) -> Arrays | None:
    """The arrays of the entry at ``path`` if it is one for ``key``, complete and intact; else
    None (whatever is wrong with it, or with reading it)."""
    try:
        with open_input(path, "decoded data") as handle:
            size = os.fstat(handle.fileno()).st_size
            layout = _layout(handle.read(HEADER.size), key)
            if layout is None:
                return None
            table = handle.read(ARRAY.size * layout)
            specs = _specs(table, layout, size)
            if specs is None:
                return None
            arrays = []
            for dtype, shape, crc in specs:
                array = np.empty(shape, dtype)
                if not _read_checked(handle, array, crc):
                    return None
                arrays.append(array.astype(dtype.newbyteorder("="), copy=False))
            return tuple(arrays)
    except (OSError, XentlabError, MemoryError):
        return None


def _layout(header: bytes, key: bytes) -> int | None:
    """The number of arrays the entry's header declares, if it is an entry for ``key``."""
    if len(header) != HEADER.size:
        return None
    magic, version, stored_key, count = HEADER.unpack(header)
    if magic != MAGIC or version != DECODED_VERSION or stored_key != key:
        return None
    return count if 1 <= count <= MAX_ARRAYS else None


def _specs(
    table: bytes, count: int, size: int
) -> list[tuple[np.dtype[Any], tuple[int, ...], int]] | None:
    """(dtype, shape, CRC-32) of each array the table declares, if every one is an array
    xentlab writes and together they fill the rest of the file of ``size`` bytes exactly."""
    if len(table) != ARRAY.size * count:
        return None
    specs, total = [], 0
    for at in range(0, len(table), ARRAY.size):
        code, dimensions, *shape, crc = ARRAY.unpack_from(table, at)
        dtype = DTYPES.get(code)
        if dtype is None or not 1 <= dimensions <= MAX_DIMENSIONS or any(shape[dimensions:]):
            return None
        total += math.prod(shape[:dimensions]) * dtype.itemsize
        if total > MAX_DECODED_BYTES:
            return None
        specs.append((dtype, tuple(shape[:dimensions]), crc))
    return specs if HEADER.size + len(table) + total == size else None


def _read_checked(handle: io.BufferedReader, array: NDArray[Any], crc: int) -> bool:
    """Fill ``array`` from ``handle``, piece by piece, each piece added to the CRC-32 while it
    is still in the processor's cache; whether all its bytes came and their CRC-32 is ``crc``."""
    view = array.data.cast("B")
    done, running = 0, 0
    while done < len(view):
        count = handle.readinto(view[done : done + PIECE])
        if not count:
            return False
        running = zlib.crc32(view[done : done + count], running)
        done += count
    return running == crc


def write_entry(path: Path, key: bytes, arrays: Arrays) -> bool:
    """Write the entry for ``key`` holding ``arrays`` at ``path``, atomically; whether it was
    written (a folder that cannot be written, or arrays no entry can hold, are no error)."""
    stored = [np.ascontiguousarray(a, a.dtype.newbyteorder("<")) for a in arrays]
    codes = [a.dtype.str.encode() for a in stored]
    if (
        not 1 <= len(stored) <= MAX_ARRAYS
        or any(code not in DTYPES for code in codes)
        or any(not 1 <= a.ndim <= MAX_DIMENSIONS for a in stored)
        or sum(a.nbytes for a in stored) > MAX_DECODED_BYTES
    ):
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "wb", kind="decoded data", force=True) as out:
            out.write(HEADER.pack(MAGIC, DECODED_VERSION, key, len(stored)))
            for code, array in zip(codes, stored, strict=True):
                shape = (*array.shape, *(0,) * (MAX_DIMENSIONS - array.ndim))
                crc = zlib.crc32(array.data.cast("B"))
                out.write(ARRAY.pack(code, array.ndim, *shape, crc))
            for array in stored:
                out.write(array.data.cast("B"))
    except (OSError, XentlabError):
        return False
    return True
