"""Files, both ways: atomic writes and bounded reads.

Writing: a crash never leaves a file half-written (temporary file, fsync, rename).
Reading: a missing file or a directory is an :class:`XentlabError` naming the kind of file and
the path; a read never takes more bytes than its caller allows, however large the file or the
size its header claims; a gzip file is read through its content, and damage to it is a
:class:`FormatError` naming the file.
"""

from __future__ import annotations

import contextlib
import glob
import gzip
import os
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

from .errors import FormatError, XentlabError

Stream = BinaryIO | gzip.GzipFile  # what open_content yields: the file, or its gunzipped content
GZIP_MAGIC = b"\x1f\x8b"
PIECE = 1 << 20  # bounded reads go in 1 MiB pieces


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one rename.

    If the block raises, the temporary file is removed and ``path`` is left as it was. A writer
    killed outright (SIGKILL, power cut) cannot clean up: its temporary file is removed by the
    next write to the same path.
    """
    target = Path(path)
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        os.chmod(tmp, _mode_for(target))  # mkstemp makes 0600; a user's file gets the usual mode
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _mode_for(target: Path) -> int:
    """The mode a file written at ``target`` should have: the old file's, or 0666 less umask."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def check_writable(path: str | os.PathLike[str]) -> None:
    """Fail before hours of work, not after, if a result can't be written to ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory) or not os.access(directory, os.W_OK):
        raise XentlabError(f"cannot write to {path}: {directory} is not a writable directory")


# --- bounded reads ---------------------------------------------------------------------------


def open_input(path: str | os.PathLike[str], kind: str) -> BinaryIO:
    """Open ``path`` for reading bytes. A missing file or a directory becomes an XentlabError
    naming ``kind`` ("data", "network", "checkpoint") and the path."""
    path = Path(path)
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise XentlabError(f"{kind} file not found: {path}") from None
    except IsADirectoryError:
        raise XentlabError(f"{kind} file is a directory: {path}") from None


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
    """Up to ``limit`` bytes of ``stream`` (fewer where it ends), read in 1 MiB pieces so that
    memory follows the bytes actually there rather than the size a header claims. Damaged gzip
    content becomes a FormatError naming ``path``, the file the stream reads."""
    try:
        return _read_at_most(stream, limit)
    except (EOFError, OSError, zlib.error) as exc:
        raise FormatError(f"{path}: damaged gzip data ({exc})") from None


def read_bytes_capped(path: str | os.PathLike[str], kind: str, limit: int) -> bytes:
    """The bytes of ``path``, a ``kind`` file, refused with a FormatError when there are more
    than ``limit`` of them: no file too large to be what it claims is read into memory."""
    path = Path(path)
    with open_input(path, kind) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise FormatError(f"{path}: {size} bytes is too large for a {kind} file")
        content = _read_at_most(handle, limit + 1)  # one more byte reveals a file that grew
    if len(content) > limit:
        raise FormatError(f"{path}: more than {limit} bytes is too large for a {kind} file")
    return content


def _read_at_most(stream: Stream, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``stream``, in pieces of at most 1 MiB."""
    pieces, remaining = [], limit
    while remaining > 0:
        piece = stream.read(min(remaining, PIECE))
        if not piece:
            break
        pieces.append(piece)
        remaining -= len(piece)
    return b"".join(pieces)
