"""Writing files: every output target is checked before any work (:func:`check_output_target`);
a crash never leaves a file half-written (temporary file, fsync, rename); a device, FIFO, socket
or directory is never replaced, nor a file that is not one xentlab wrote of the same kind (unless
the user forces it: see :func:`register_output_kind`); each writer has its own temporary file
and removes no file but its own and those of writers that are gone. No message ever names a
temporary file: a failure names the file the user asked for."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import XentlabError
from .reading import open_input
from .temporaries import IN_FLIGHT, cut_to_bytes, remove_stale_temporaries, temporary_name


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    mode: str = "w",
    *,
    kind: str = "output",
    force: bool = False,
    **kwargs: Any,
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one rename.

    ``path`` goes through the checks of :func:`check_output_target` first (a device, FIFO or
    directory is never replaced, nor, unless ``force``, a file that is not a ``kind`` file
    xentlab wrote), and where it is a symbolic link, the file it leads to is replaced and the
    link kept. If the block raises, the temporary file is removed and ``path`` is left as it
    was. Each writer has a temporary file of its own (see :func:`temporary_owner`), so writers
    of the same path never disturb each other: the last rename wins, and the file is always one
    writer's complete content. A writer killed outright (SIGKILL, power cut) cannot clean up:
    its temporary file is removed by the next write to the same path on the same host, once
    no process has the writer's id. A failure to create, write or rename the temporary file is
    an XentlabError naming ``path`` (never the temporary file, which the user did not ask for).
    """
    target = Path(_check_target(path, kind, force))
    remove_stale_temporaries(target)
    where = f"cannot write {kind} file {_shown(os.fspath(path))}"
    fd, tmp = -1, ""
    try:
        fd, tmp = _create_temporary(target)
        os.fchmod(fd, _mode_for(target))  # made 0600; a user's file gets the usual mode
        with os.fdopen(fd, mode, **kwargs) as handle:
            fd = -1  # the handle owns it now
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _refuse_special(target, kind)  # once more: nothing may have taken its place meanwhile
        os.replace(tmp, target)
    except OSError as exc:
        _discard(fd, tmp)
        named = {os.fspath(n) for n in (exc.filename, exc.filename2) if n is not None}
        if not named <= {tmp, os.fspath(target)}:
            raise  # about another file the block used: not this write's
        raise XentlabError(f"{where}: {exc.strerror or exc}") from None
    except BaseException:
        _discard(fd, tmp)
        raise
    IN_FLIGHT.discard(tmp)
    _sync_directory(target.parent)


def _discard(fd: int, tmp: str) -> None:
    """Close and remove a temporary file that will not become its target."""
    if fd >= 0:
        os.close(fd)
    if tmp:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        IN_FLIGHT.discard(tmp)


def _create_temporary(target: Path) -> tuple[int, str]:
    """Create this writer's temporary file beside ``target`` (exclusively: never an existing
    file or link) and note it as in flight; its descriptor and path."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        tmp = str(target.parent / temporary_name(target.name, os.getpid(), os.urandom(4).hex()))
        IN_FLIGHT.add(tmp)  # before it exists: another thread's clean-up must never see it stale
        try:
            return os.open(tmp, flags, 0o600), tmp
        except BaseException as exc:
            IN_FLIGHT.discard(tmp)
            if not isinstance(exc, FileExistsError):
                raise
    raise FileExistsError(f"no free temporary file name beside {target}")


def _mode_for(target: Path) -> int:
    """The mode a file written at ``target`` should have: the old file's, or 0666 less umask."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_directory(directory: Path) -> None:
    """fsync a directory so that a rename in it survives a power cut (where the system can)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- output targets ---------------------------------------------------------------------------

FALLBACK_NAME_MAX, FALLBACK_PATH_MAX = 255, 4096
SPECIAL_FILES = (
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISFIFO, "FIFO (named pipe)"),
    (stat.S_ISSOCK, "socket"),
)


def check_output_target(path: str | os.PathLike[str], kind: str, *, force: bool = False) -> str:
    """Fail before any work, not after it, if a ``kind`` file ("network", "checkpoint",
    "figure") cannot be written at ``path``, or writing it would destroy what it should not.

    Refused, each with an XentlabError naming the file and the reason: an empty path or one
    that names a directory; a path or a file name too long for the file system (a name up to
    its limit, 255 bytes mostly, is written: the temporary file's name is never longer than 142
    bytes); a parent that is missing, not a directory or not writable, or in which no file can
    be created (tried: a file is made there and removed, so that /proc or a read-only mount is
    found now, not after hours of training);
    an existing directory, device, FIFO or socket (or a link to one), which xentlab never
    replaces with a regular file; an existing file that is read-only; and, unless ``force``,
    an existing file that is not empty and is not a ``kind`` file xentlab wrote (see
    :func:`register_output_kind`): a user's notes.json is never replaced by a network. Returns
    the path to write: ``path``, or the file its symbolic links lead to.
    """
    real = _check_target(path, kind, force)
    _try_creating_beside(real, kind, path)
    return real


def _check_target(path: str | os.PathLike[str], kind: str, force: bool) -> str:
    """Every check of :func:`check_output_target` but the file made to try the directory (a
    write makes its own temporary file there anyway)."""
    text = os.fspath(path)
    where = f"cannot write {kind} file {_shown(text)}"
    if not text:
        raise XentlabError(f"cannot write {kind} file: its path is empty; give a file name")
    if "\0" in text:
        raise XentlabError(f"{where}: a path cannot contain a NUL character")
    if text.endswith(os.sep) or os.path.basename(text) in (".", ".."):
        raise XentlabError(f"{where}: that names a directory; give a file name")
    size, path_max = len(os.fsencode(text)), _limit(text, "PC_PATH_MAX", FALLBACK_PATH_MAX)
    if size >= path_max:
        raise XentlabError(f"{where}: the path is {size} bytes long; at most {path_max - 1} fit")
    _check_name(where, text)
    _refuse_special(text, kind)  # through its links: a link to /dev/null is refused too
    real = os.path.realpath(text)
    if os.path.basename(real) != os.path.basename(text):
        _check_name(where, real)  # a link may lead to a longer name
    parent = os.path.dirname(real)
    shown = (os.path.dirname(text) or ".") if real == os.path.abspath(text) else parent
    try:
        is_directory = stat.S_ISDIR(os.stat(parent).st_mode)
    except FileNotFoundError:
        raise XentlabError(f"{where}: directory {_shown(shown)} does not exist") from None
    except NotADirectoryError:  # a component of it is a file
        is_directory = False
    except OSError as exc:
        raise XentlabError(f"{where}: {_shown(shown)}: {exc.strerror}") from None
    if not is_directory:
        raise XentlabError(f"{where}: {_shown(shown)} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise XentlabError(f"{where}: directory {_shown(shown)} is not writable")
    if not force:
        _refuse_foreign(real, kind, where)
    return real


def beside(path: str | os.PathLike[str], suffix: str) -> str:
    """Where a file that goes with ``path`` is written: in the same folder, named after it
    (its name without its extension, then ``suffix``): ``cmp/compare.png`` with ``.json`` is
    ``cmp/compare.json``; ``runs/net.json`` with ``-interrupted.ckpt`` is
    ``runs/net-interrupted.ckpt``. A name that would be too long for the file system (a
    250-byte ``path``'s, say) has its stem cut (between characters) so that it fits."""
    folder, name = os.path.split(os.fspath(path))
    stem = os.path.splitext(name)[0]
    room = _limit(os.fspath(path), "PC_NAME_MAX", FALLBACK_NAME_MAX) - len(os.fsencode(suffix))
    return os.path.join(folder, cut_to_bytes(stem, max(room, 1)) + suffix)


def _try_creating_beside(real: str, kind: str, path: str | os.PathLike[str]) -> None:
    """Create and remove a temporary file beside ``real``: the one test that a file can be
    made there (permissions, a read-only mount, /proc, ...), whatever the checks before say."""
    try:
        fd, tmp = _create_temporary(Path(real))
    except OSError as exc:
        where = f"cannot write {kind} file {_shown(os.fspath(path))}"
        folder = os.path.dirname(real) or "."
        raise XentlabError(
            f"{where}: no file can be created in {_shown(folder)} ({exc.strerror or exc})"
        ) from None
    _discard(fd, tmp)


def check_distinct_targets(targets: Iterable[tuple[str | os.PathLike[str] | None, str]]) -> None:
    """The outputs of one piece of work, as (path or None, kind) pairs, must be different files
    (after symbolic links): else the later write would replace the earlier."""
    seen: dict[str, str] = {}
    for path, kind in targets:
        if path is None:
            continue
        real = os.path.realpath(path)
        if real in seen:
            raise XentlabError(
                f"the {seen[real]} file and the {kind} file are both {_shown(os.fspath(path))}; "
                "give them different names"
            )
        seen[real] = kind


# --- what an existing target may be -------------------------------------------------------------

SAMPLE_BYTES = 1 << 16  # how much of each end of an existing file is read to recognise it
# A recogniser is given the first and the last SAMPLE_BYTES of a file (the whole file, twice,
# when it is smaller) and says whether xentlab wrote it, as a file of the recogniser's kind.
Recogniser = Callable[[bytes, bytes], bool]
_RECOGNISERS: dict[str, list[Recogniser]] = {}


def register_output_kind(kind: str, recognise: Recogniser) -> None:
    """Declare how a ``kind`` file that xentlab writes ("network", "figure", ...) is recognised
    by its content, so that such a file may be replaced by another of its kind without asking.
    The module that writes a kind declares it beside its format; a kind may be recognised in
    several ways (a network is xentlab's JSON or a safetensors file). An existing file that no
    recogniser of its kind accepts is replaced only when the write is forced."""
    _RECOGNISERS.setdefault(kind, []).append(recognise)


def written_by_xentlab(path: str | os.PathLike[str], kind: str) -> bool:
    """Whether the regular file at ``path`` is a ``kind`` file xentlab wrote (by its content;
    see :func:`register_output_kind`). An empty file counts as one: it holds nothing to lose."""
    with open_input(path, kind) as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(SAMPLE_BYTES)
        tail = head
        if size > SAMPLE_BYTES:
            handle.seek(size - SAMPLE_BYTES)
            tail = handle.read(SAMPLE_BYTES)
    return not head or any(recognise(head, tail) for recognise in _RECOGNISERS.get(kind, ()))


def _refuse_foreign(real: str, kind: str, where: str) -> None:
    """Refuse an existing file at ``real`` that is not a ``kind`` file xentlab wrote."""
    if not os.path.exists(real):
        return
    try:
        ours = written_by_xentlab(real, kind)
    except OSError as exc:
        raise XentlabError(
            f"{where}: it exists and cannot be read to tell whether xentlab wrote it "
            f"({exc.strerror or exc}); add --force to replace it"
        ) from None
    if not ours:
        article = "an" if kind[:1] in tuple("aeiou") else "a"
        raise XentlabError(
            f"{where}: it exists and is not {article} {kind} file xentlab wrote; give another "
            "name, or add --force to replace it"
        )


def _check_name(where: str, path: str) -> None:
    """The file name of ``path`` (and that of its temporary file, which is never longer than
    TEMP_STEM_MAX + TEMP_EXTRA bytes) must fit the file system."""
    name = os.path.basename(path)
    size = len(os.fsencode(name))
    name_max = _limit(path, "PC_NAME_MAX", FALLBACK_NAME_MAX)
    if size > name_max:
        raise XentlabError(f"{where}: its name is {size} bytes long; at most {name_max} fit here")
    temporary = len(os.fsencode(temporary_name(name, 0, "0" * 8))) - 1 + 10  # the longest pid
    if temporary > name_max:  # a file system with very short names only
        raise XentlabError(
            f"{where}: the temporary file written beside it would have a name of {temporary} "
            f"bytes; at most {name_max} fit here"
        )


def _refuse_special(path: str | os.PathLike[str], kind: str) -> None:
    """Refuse a target that exists (after its links) and is not a regular file we may write."""
    where = f"cannot write {kind} file {_shown(os.fspath(path))}"
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there yet (or a parent problem, named by the caller)
    except OSError as exc:
        raise XentlabError(f"{where}: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise XentlabError(f"{where}: it is a directory")
    for test, name in SPECIAL_FILES:
        if test(mode):
            raise XentlabError(
                f"{where}: it is a {name}, not a regular file; xentlab replaces only regular files"
            )
    if not stat.S_ISREG(mode):
        raise XentlabError(f"{where}: it is not a regular file")
    if not os.access(path, os.W_OK):
        raise XentlabError(f"{where}: it is read-only; make it writable to replace it")


def _limit(path: str, name: str, fallback: int) -> int:
    """os.pathconf's ``name`` for the nearest existing directory at or above ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    while True:
        try:
            value = os.pathconf(directory, name)
            return value if value > 0 else fallback
        except OSError:
            if directory == os.path.dirname(directory):
                return fallback
            directory = os.path.dirname(directory)


def _shown(text: str) -> str:
    """A path as a message shows it: whole, or its two ends when it is very long."""
    return text if len(text) <= 120 else f"{text[:60]}...{text[-40:]}"
