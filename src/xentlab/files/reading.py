"""Reading files: only regular files are read. A missing file, a directory, a FIFO, a device or
a socket is an :class:`XentlabError` naming the kind of file and the path, raised before a byte
is read (and without hanging on a FIFO). A read never takes more bytes than its caller allows,
however large the file, the size its header claims or the content a small gzip file expands
to, and the bytes read are held once; a gzip file is read through its content, and damage to it
is a :class:`FormatError` naming the file."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import stat
import zlib
from collections.abc import Iterator
from pathlib import Path

from ..errors import FormatError, XentlabError

# What open_content yields: the file itself, or its gunzipped content.
Stream = io.BufferedReader | gzip.GzipFile
GZIP_MAGIC = b"\x1f\x8b"
PIECE = 1 << 20  # bounded reads go in 1 MiB pieces


# Reading opens without blocking (a FIFO swapped in after the check must not hang the open) and
# without making a terminal the controlling one; the flags a platform lacks are left out.
_OPEN_FLAGS = os.O_RDONLY
for _flag in ("O_NONBLOCK", "O_NOCTTY", "O_BINARY"):
    _OPEN_FLAGS |= getattr(os, _flag, 0)

# What a path that is not a regular file is, for the message that refuses it.
_FILE_TYPES = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(path: Path, kind: str, mode: int) -> XentlabError:
    if stat.S_ISDIR(mode):
        return XentlabError(f"{kind} file is a directory: {path}")
    what = next((name for test, name in _FILE_TYPES if test(mode)), "not a file")
    return XentlabError(f"{kind} file is not a regular file: {path} ({what})")


def open_input(path: str | os.PathLike[str], kind: str) -> io.BufferedReader:
    """Open ``path`` for reading bytes, refusing before the first byte anything that is not a
    regular file: a missing file, a directory, a FIFO, a device, a socket, or a symbolic link to
    one. Each becomes an XentlabError naming ``kind`` ("data", "network", "checkpoint") and the
    path.

    A FIFO would block ``open`` until a writer came, and a device such as /dev/zero never ends:
    so the path is checked with ``stat`` before it is opened, opened without blocking, and
    checked again on the open descriptor (the path may have changed in between).
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode  # follows symbolic links, as open does
        if not stat.S_ISREG(mode):
            raise _not_regular(path, kind, mode)
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise XentlabError(f"{kind} file not found: {path}") from None
    except NotADirectoryError:  # a parent in the path is a file
        raise XentlabError(f"{kind} file not found: {path}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(path, kind, mode)
        if _OPEN_FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)  # reads of a regular file then behave as usual
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


@contextlib.contextmanager
def open_content(path: str | os.PathLike[str], kind: str) -> Iterator[Stream]:
    """The file's content as a stream: gunzipped if it starts with the gzip magic (1f 8b),
    else the file itself. Opened as :func:`open_input` opens it."""
    with open_input(path, kind) as handle:
        if handle.read(2) != GZIP_MAGIC:
            handle.seek(0)
            yield handle
            return
        handle.seek(0)
        with gzip.GzipFile(fileobj=handle, mode="rb") as unzipped:
            yield unzipped


def read_capped(path: str | os.PathLike[str], stream: Stream, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``stream`` (fewer where it ends). Memory follows the bytes
    actually there, not the size a header claims, and the content is held once (see
    :func:`_read_at_most`). Damaged gzip content becomes a FormatError naming ``path``, the file
    the stream reads."""
    try:
        return _read_at_most(path, stream, limit)
    except (EOFError, OSError, zlib.error) as exc:
        raise FormatError(f"{path}: damaged gzip data ({exc})") from None


def read_content_capped(path: str | os.PathLike[str], kind: str, limit: int) -> bytes:
    """The whole content of ``path`` (gunzipped if it is gzip), refused with a FormatError naming
    the cap as soon as it passes ``limit`` bytes: a small gzip file that expands to gigabytes
    costs ``limit`` bytes of memory, never more."""
    with open_content(path, kind) as stream:
        content = read_capped(path, stream, limit + 1)
    if len(content) > limit:
        raise FormatError(
            f"{path}: the {kind} content is larger than {_size(limit)}, the most xentlab reads "
            f"for a {kind} file"
        )
    return content


def read_bytes_capped(path: str | os.PathLike[str], kind: str, limit: int) -> bytes:
    """The bytes of ``path``, a ``kind`` file, refused with a FormatError when there are more
    than ``limit`` of them: no file too large to be what it claims is read into memory."""
    path = Path(path)
    with open_input(path, kind) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise FormatError(f"{path}: {size} bytes is too large for a {kind} file")
        content = _read_at_most(path, handle, limit + 1)  # one more byte reveals a file that grew
    if len(content) > limit:
        raise FormatError(f"{path}: more than {limit} bytes is too large for a {kind} file")
    return content


def _size(count: int) -> str:
    """A byte count for a message: 536870912 -> '512 MiB (536870912 bytes)'."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift:
            return f"{count / (1 << shift):.3g} {unit} ({count} bytes)"
    return f"{count} bytes"


def _read_at_most(path: str | os.PathLike[str], stream: Stream, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``stream``, read in pieces of at most 1 MiB into one growing
    buffer, which becomes the result without being copied.

    Each piece is read into the same 1 MiB scratch buffer and appended to a BytesIO, whose
    storage grows in place; ``getvalue`` then hands that storage over as the bytes object. So
    the content is held once (a list of pieces joined at the end would hold it twice), and
    memory grows with the bytes actually read, whatever the size a header claims. Where memory
    runs out first, the read is a FormatError naming ``path`` and how far it got.
    """
    content, remaining = io.BytesIO(), limit
    try:
        scratch = memoryview(bytearray(min(limit, PIECE)))
        while remaining > 0:
            count = stream.readinto(scratch[: min(remaining, PIECE)])
            if not count:
                break
            content.write(scratch[:count])
            remaining -= count
        return content.getvalue()
    except MemoryError:
        content = io.BytesIO()  # let go of what was read
        raise FormatError(
            f"{path}: not enough memory to read it ({limit - remaining} bytes read)"
        ) from None
