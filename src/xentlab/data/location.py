"""Where data lives: an explicit ``data_dir``, then ``$XENTLAB_DATA``, then the per-user cache
(``$XDG_CACHE_HOME/xentlab`` or ``~/.cache/xentlab``); and finding a file in a directory,
plain or gzipped.

In a directory the files may lie directly or in a subdirectory named after the data set.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import XentlabError
from .sources import MIRRORS


def cache_dir() -> Path:
    """The per-user cache: $XDG_CACHE_HOME/xentlab, or ~/.cache/xentlab."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "xentlab"


def resolve_data_dir(name: str, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The directory to read data set ``name`` from: ``data_dir``, else $XENTLAB_DATA, else the
    cache. A subdirectory named ``name`` is preferred when it exists. Files lying directly in the
    directory are taken when it was given explicitly, is itself named ``name``, or (for the
    pickle, whose file name says what it is) always: MNIST and Fashion-MNIST files share their
    names, and one must never be read as the other."""
    if data_dir is not None:
        base, origin, direct = Path(data_dir), "--data-dir", True
    elif os.environ.get("XENTLAB_DATA"):
        base, origin = Path(os.environ["XENTLAB_DATA"]), "XENTLAB_DATA"
        direct = base.name == name or name == "mnist-pkl"
    else:
        base, origin, direct = cache_dir(), "the cache", False
    if (base / name).is_dir():
        return base / name
    if direct and base.is_dir():
        return base
    hint = f"xentlab data fetch {name}" if name in MIRRORS else "--data-dir"
    raise XentlabError(
        f"no {name} data in {base / name if not direct else base} ({origin}); run '{hint}' or "
        "pass --data-dir"
    )


def find_file(directory: Path, stem: str) -> Path:
    """``directory/stem``, or else ``directory/stem.gz``: the first that exists."""
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if candidate.exists():
            return candidate
    raise XentlabError(f"data file not found: {directory / stem}[.gz]")
