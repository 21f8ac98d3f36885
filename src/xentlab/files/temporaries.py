"""Each writer's own temporary files: their names, which say whose they are (process, host,
target), and the removal of those whose writer is gone, never of anyone else's."""

from __future__ import annotations

import contextlib
import glob
import os
import stat
import zlib
from pathlib import Path

# A temporary file is named .{stem}.xentlab-{pid}-{host}-{token}.tmp: xentlab's, written by
# process {pid} on the host whose name hashes to {host}, unique by {token} (8 random hex digits).
# {stem} is the target's name, or for a name longer than TEMP_STEM_MAX bytes its beginning, cut
# at a character, then "~" and 8 hex digits of the whole name's CRC-32: so a temporary name is
# never longer than TEMP_STEM_MAX + TEMP_EXTRA bytes (142, which fits even eCryptfs's 143),
# whatever the target's (up to the file system's 255), and still names its target alone.
TEMP_TAG = ".xentlab-"
HOST_TAG = f"{zlib.crc32(os.uname().nodename.encode()):08x}"
TEMP_EXTRA = len(f".{TEMP_TAG}{'9' * 10}-{HOST_TAG}-{'f' * 8}.tmp")  # bytes beyond the stem
TEMP_STEM_MAX = 100
STEM_HASH = len("~01234567")
IN_FLIGHT: set[str] = set()  # this process's temporary files being written now


def temporary_name(target_name: str, pid: int, token: str) -> str:
    """The name of the temporary file that process ``pid`` writes for ``target_name``: at most
    TEMP_STEM_MAX + TEMP_EXTRA bytes, whatever the length of ``target_name``."""
    return f".{temporary_stem(target_name)}{TEMP_TAG}{pid}-{HOST_TAG}-{token}.tmp"


def temporary_stem(target_name: str) -> str:
    """``target_name`` if it is at most TEMP_STEM_MAX bytes long; else its beginning, cut
    between characters (never inside a UTF-8 sequence), "~" and the CRC-32 of the whole name,
    TEMP_STEM_MAX bytes at most."""
    encoded = os.fsencode(target_name)
    if len(encoded) <= TEMP_STEM_MAX:
        return target_name
    return f"{cut_to_bytes(target_name, TEMP_STEM_MAX - STEM_HASH)}~{zlib.crc32(encoded):08x}"


def cut_to_bytes(text: str, limit: int) -> str:
    """The longest beginning of the file name ``text`` whose encoding (os.fsencode) is at most
    ``limit`` bytes, cut between characters."""
    size = 0
    for index, character in enumerate(text):
        size += len(os.fsencode(character))
        if size > limit:
            return text[:index]
    return text


def temporary_owner(name: str, target_name: str) -> int | None:
    """The id of the process that wrote ``name``, if it is one of xentlab's temporary files
    for ``target_name`` made on this host; else None."""
    prefix = f".{temporary_stem(target_name)}{TEMP_TAG}"
    if not (name.startswith(prefix) and name.endswith(".tmp")):
        return None
    pid, host, token = ([*name[len(prefix) : -len(".tmp")].split("-", 2), "", ""])[:3]
    hexadecimal = len(token) == 8 and all(c in "0123456789abcdef" for c in token)
    if not (pid.isascii() and pid.isdigit() and host == HOST_TAG and hexadecimal):
        return None
    return int(pid)


def remove_stale_temporaries(target: Path) -> None:
    """Remove temporary files for ``target`` that are provably xentlab's (by name, made on this
    host, regular files of this user) and whose writer is gone: no process has its id, or it is
    this process and the file is none of those it is writing now (an earlier process had the
    same id)."""
    stem = temporary_stem(target.name)
    for candidate in target.parent.glob(f".{glob.escape(stem)}{TEMP_TAG}*.tmp"):
        pid = temporary_owner(candidate.name, target.name)
        if pid is None or str(candidate) in IN_FLIGHT or (pid != os.getpid() and _alive(pid)):
            continue
        with contextlib.suppress(OSError):
            info = candidate.lstat()
            if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid():
                candidate.unlink()


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (one we may not signal exists too)."""
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except (ProcessLookupError, OverflowError, ValueError):  # none, or an id none can have
        return False
    return True
