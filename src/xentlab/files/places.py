"""Where xentlab keeps its per-user cache, with or without a home directory.

The cache is ``$XDG_CACHE_HOME/xentlab``, else ``~/.cache/xentlab``. A process may have no
home directory: a container run as a user id with no entry in the password database and no
``HOME`` (``Path.home()`` then raises RuntimeError). Then, unless ``XDG_CACHE_HOME`` says
where caches go, a temporary cache of the user's own stands in for it,
``<temporary folder>/xentlab-cache-<uid>`` (made private to the user, and used only if it is
the user's own private folder: another user may have made a folder or a link by that name
first; failing that, a fresh private folder). The libraries xentlab uses that keep caches of
their own under the home directory (Matplotlib's font cache, Numba's compiled kernels) are
pointed into xentlab's cache then, so that none of them writes into a folder named "~" in
the current folder, builds a new temporary cache every run, or prints a warning of its own.

Inside it, ``decoded/`` keeps the data sets decoded (``data.decoded_cache``), unless the
environment variable ``XENTLAB_NO_DECODED_CACHE`` is set (to anything but "" or "0").

This module says what it did; it prints nothing (the command line says it once, as a
warning).
"""

from __future__ import annotations

import functools
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

CACHE_NAME = "xentlab"
FALLBACK_PREFIX = "xentlab-cache-"
# The variables by which the libraries xentlab uses are told where their caches go, and the
# subfolder of xentlab's cache each gets when there is no home directory.
DEPENDENCY_CACHES = {"MPLCONFIGDIR": "matplotlib", "NUMBA_CACHE_DIR": "numba"}
# The subfolder of xentlab's cache that keeps decoded data sets, and the variable that turns it
# off (set to anything but "" or "0": neither read nor written).
DECODED_FOLDER = "decoded"
NO_DECODED_CACHE = "XENTLAB_NO_DECODED_CACHE"


@dataclass(frozen=True)
class Cache:
    """xentlab's cache folder, and, when it is a temporary stand-in (no home directory), why."""

    path: Path
    stand_in_because: str | None = None


def home_directory() -> Path | None:
    """The user's home directory ($HOME, else the password database's), or None when neither
    says (``Path.home()`` raises RuntimeError, or, on some Pythons, returns "~" unexpanded)."""
    try:
        home = Path.home()
    except (RuntimeError, KeyError, OSError):
        return None
    return home if home.is_absolute() else None


def cache() -> Cache:
    """xentlab's per-user cache: ``$XDG_CACHE_HOME/xentlab``, ``~/.cache/xentlab``, or with
    neither, the temporary stand-in (see the module's docstring), created private to the
    user."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Cache(Path(xdg) / CACHE_NAME)
    home = home_directory()
    if home is not None:
        return Cache(home / ".cache" / CACHE_NAME)
    why = f"user id {os.getuid()} has no home directory (HOME is unset and no passwd entry)"
    return Cache(_private_temporary_folder(tempfile.gettempdir(), os.getuid()), why)


def decoded_cache_folder() -> Path | None:
    """Where decoded data sets are kept: ``decoded/`` in xentlab's cache (see :func:`cache`),
    or None when the environment turns that off (NO_DECODED_CACHE). Not created here."""
    if os.environ.get(NO_DECODED_CACHE, "") not in ("", "0"):
        return None
    return cache().path / DECODED_FOLDER


def point_dependency_caches() -> Cache | None:
    """Without a home directory, point Matplotlib's and Numba's caches (where the environment
    does not already) into xentlab's cache, and return that cache; with one, do nothing and
    return None. Call it before those libraries are imported (the command line does, first)."""
    if home_directory() is not None:
        return None
    where = cache()
    for variable, folder in DEPENDENCY_CACHES.items():
        if not os.environ.get(variable):
            os.environ[variable] = os.fspath(where.path / folder)
    return where


@functools.cache  # one stand-in a process: the one the warning names is the one used
def _private_temporary_folder(temporary: str, uid: int) -> Path:
    """``<temporary>/xentlab-cache-<uid>``, made mode 0700 if absent; used only when it is a
    real folder (not a link) of this user that no one else may write to; otherwise a fresh
    private folder made by tempfile (a name another user chose first is never trusted)."""
    folder = Path(temporary) / f"{FALLBACK_PREFIX}{uid}"
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError:
        return Path(tempfile.mkdtemp(prefix=f"{FALLBACK_PREFIX}{uid}-", dir=temporary))
    try:
        info = folder.lstat()
    except OSError:
        info = None
    if (
        info is None
        or not stat.S_ISDIR(info.st_mode)
        or info.st_uid != uid
        or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        return Path(tempfile.mkdtemp(prefix=f"{FALLBACK_PREFIX}{uid}-", dir=temporary))
    return folder
