"""Where data lives: an explicit ``data_dir``, then ``$XENTLAB_DATA``, then the per-user cache
(``$XDG_CACHE_HOME/xentlab`` or ``~/.cache/xentlab``, or without a home directory a temporary
stand-in: see files.places); and finding a file in a directory,
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
from ..files import places
from ..hints import command_line
from .idx import IDX_FILES
from .mnist_pkl import PKL_NAME
from .sources import IDENTIFYING_FILE, MIRRORS, identify

# How the folder xentlab reads was chosen, as the messages name it.
DATA_DIR, XENTLAB_DATA, CACHE = "--data-dir", "XENTLAB_DATA", "the cache"
PKL_STEM = PKL_NAME.removesuffix(".gz")  # the book's pickle, gzipped or not


def cache_dir() -> Path:
    """The per-user cache: $XDG_CACHE_HOME/xentlab, or ~/.cache/xentlab, or without a home
    directory a temporary one of the user's own (see files.places)."""
    return places.cache().path


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
    says what it is, always); never when their test labels are another data set's.

    When the data is not there, the message says where xentlab looked and why (--data-dir,
    XENTLAB_DATA or the cache), what is missing there, and a fix that fits how the folder was
    chosen (see :func:`_how_to_get`)."""
    if data_dir is not None:
        base, origin = Path(data_dir), DATA_DIR
    elif os.environ.get("XENTLAB_DATA"):
        base, origin = Path(os.environ["XENTLAB_DATA"]), XENTLAB_DATA
    else:
        base, origin = cache_dir(), CACHE
    explicit = origin == DATA_DIR
    where = f"{base} ({origin})"
    if (base / name).is_dir():
        return base / name
    if not base.is_dir():
        missing = "not a folder" if os.path.lexists(base) else "no such folder"
        raise XentlabError(
            f"no {name} data in {where}: {missing}; {_how_to_get(name, base, origin)}"
        )
    if name == "mnist-pkl":
        if _direct_file(base, PKL_STEM) is None:
            fix = "" if explicit else f"; put it there, or {_look_elsewhere(name)}"
            raise XentlabError(
                f"no {name} data in {where}: the book's {PKL_NAME} (gzipped or not) is not "
                f"there{fix}"
            )
        return base
    labels = _direct_file(base, IDX_FILES["test_labels"])
    held = identify(labels) if labels is not None else None
    if held is not None and held != name:
        raise XentlabError(
            f"{where} holds {held}, not {name} (by the checksum of {labels}); "
            f"{_how_to_get(name, base, origin)}"
        )
    if held == name or base.name == name:
        return base
    lying = [stem for stem in IDX_FILES.values() if _direct_file(base, stem)]
    if explicit and lying:  # the user says these are the data set's files
        return base
    if not lying:
        themselves = ", or those files themselves" if explicit else ""
        raise XentlabError(
            f"no {name} data in {where}: expected a subfolder {name}/ holding "
            f"{', '.join(IDX_FILES.values())} (gzipped or not){themselves}; "
            f"{_how_to_get(name, base, origin)}"
        )
    raise XentlabError(
        f"no {name} data in {where}: the IDX files lying there are not the published {name} "
        f"(by the checksum of {IDENTIFYING_FILE}), and since MNIST and Fashion-MNIST share file "
        f"names, such files are read as {name} only from a folder named '{name}': move them to "
        f"{base / name}, or pass --data-dir {base} to read them as {name}"
    )


def _how_to_get(name: str, base: Path, origin: str) -> str:
    """What to do when data set ``name`` is not in ``base``, chosen by ``origin``: look
    elsewhere, in the words of how the folder was chosen, or get it there (fetched into the
    subfolder xentlab looks in first, or for the pickle, which cannot be fetched, put there by
    hand). A folder given as --data-dir is not answered with "pass --data-dir"; a command comes
    last on the line, quoted for the shell, so that it works when copied."""
    if name in MIRRORS:
        dest = [] if origin == CACHE else [("--dest", base / name)]  # fetch's default: the cache
        get = f"fetch it: {command_line(('xentlab', 'data', 'fetch', name), dest)}"
    else:
        get = f"put the book's {PKL_NAME} in {base}"
    return get if origin == DATA_DIR else f"{_look_elsewhere(name)}, or {get}"


def _look_elsewhere(name: str) -> str:
    holds = f"a folder that holds {name}/" if name in MIRRORS else "the folder that holds it"
    return f"point XENTLAB_DATA (or --data-dir) at {holds}"


def _direct_file(directory: Path, stem: str) -> Path | None:
    """``directory/stem`` or ``directory/stem.gz`` if either exists (as anything), else None."""
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if os.path.lexists(candidate):
            return candidate
    return None


def find_file(directory: Path, stem: str, dataset: str | None = None) -> Path:
    """``directory/stem``, or else ``directory/stem.gz``: the first that exists. A file missing
    from a folder of ``dataset`` (one xentlab can fetch) is fetched there by the command the
    message gives, whichever way the folder was chosen."""
    found = _direct_file(directory, stem)
    if found is None:
        fetch = (
            "; fetch what is missing: "
            + command_line(("xentlab", "data", "fetch", dataset), [("--dest", directory)])
            if dataset is not None and dataset in MIRRORS
            else ""
        )
        raise XentlabError(f"data file not found: {directory / stem}[.gz]{fetch}")
    return found
