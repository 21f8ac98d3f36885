"""Where data lives: an explicit ``data_dir``, then ``$XENTLAB_DATA``, then the per-user cache
(``$XDG_CACHE_HOME/xentlab`` or ``~/.cache/xentlab``); and finding a file in a directory,
plain or gzipped.

In a directory the files lie in a subfolder named for the data set (``mnist/``,
``fashion-mnist/``), or directly in it. MNIST and Fashion-MNIST share their four file names, so
files lying directly in a folder are read as a data set only when something says they are it:
their content (the SHA-256 of the test labels is the published one), the folder's name, or the
user, by passing the folder as ``data_dir``. Content that is the other data set's is refused
even then.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import XentlabError
from ..hints import command_line
from .idx import IDX_FILES
from .sources import IDENTIFYING_FILE, MIRRORS, identify


def cache_dir() -> Path:
    """The per-user cache: $XDG_CACHE_HOME/xentlab, or ~/.cache/xentlab."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "xentlab"


def check_data_dir(data_dir: str | os.PathLike[str] | None) -> None:
    """A data folder given explicitly must exist, whichever data set is asked for (even the
    embedded digits, which never read it): a mistyped folder is an error, not ignored."""
    if data_dir is not None and not Path(data_dir).is_dir():
        what = "is not a directory" if Path(data_dir).exists() else "does not exist"
        raise XentlabError(f"data directory {data_dir} {what}")


def resolve_data_dir(name: str, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The directory to read data set ``name`` from: ``data_dir``, else $XENTLAB_DATA, else the
    cache. A subdirectory named ``name`` is taken when it exists. Files lying directly in the
    directory are taken when their test labels are ``name``'s published ones, when the directory
    is named ``name``, or when it was given as ``data_dir`` (for the pickle, whose file name
    says what it is, always); never when their test labels are another data set's."""
    if data_dir is not None:
        base, origin, explicit = Path(data_dir), "--data-dir", True
    elif os.environ.get("XENTLAB_DATA"):
        base, origin, explicit = Path(os.environ["XENTLAB_DATA"]), "XENTLAB_DATA", False
    else:
        base, origin, explicit = cache_dir(), "the cache", False
    where = f"{base} ({origin})"
    if (base / name).is_dir():
        return base / name
    dest = [] if origin == "the cache" else [("--dest", base / name)]  # fetch's default: the cache
    fetch = command_line(("xentlab", "data", "fetch", name), dest)
    hint = f"pass --data-dir, or fetch it: {fetch}" if name in MIRRORS else "pass --data-dir"
    if not base.is_dir():
        missing = "not a folder" if os.path.lexists(base) else "no such folder"
        raise XentlabError(f"no {name} data in {where}: {missing}; {hint}")
    if name == "mnist-pkl":
        return base
    labels = _direct_file(base, IDX_FILES["test_labels"])
    held = identify(labels) if labels is not None else None
    if held is not None and held != name:
        raise XentlabError(
            f"{where} holds {held}, not {name} (by the checksum of {labels}); put the {name} "
            f"files in {base / name} or pass --data-dir"
        )
    if held == name or explicit or base.name == name:
        return base
    if not any(_direct_file(base, stem) for stem in IDX_FILES.values()):
        raise XentlabError(
            f"no {name} data in {where}: expected a subfolder {name}/ holding "
            f"{', '.join(IDX_FILES.values())} (gzipped or not); {hint}"
        )
    raise XentlabError(
        f"no {name} data in {where}: the IDX files lying there are not the published {name} "
        f"(by the checksum of {IDENTIFYING_FILE}), and since MNIST and Fashion-MNIST share file "
        f"names, such files are read as {name} only from a folder named '{name}': move them to "
        f"{base / name} or pass --data-dir"
    )


def _direct_file(directory: Path, stem: str) -> Path | None:
    """``directory/stem`` or ``directory/stem.gz`` if either exists (as anything), else None."""
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if os.path.lexists(candidate):
            return candidate
    return None


def find_file(directory: Path, stem: str) -> Path:
    """``directory/stem``, or else ``directory/stem.gz``: the first that exists."""
    found = _direct_file(directory, stem)
    if found is None:
        raise XentlabError(f"data file not found: {directory / stem}[.gz]")
    return found
