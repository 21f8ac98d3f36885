"""Sweep files: a sweep written down in TOML or JSON, read within a size cap and handed to
:meth:`SweepSpec.from_document <xentlab.sweeps.grid.SweepSpec.from_document>`, which checks
its keys and values; a file that is not UTF-8, not TOML or not JSON is refused by name."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

from ..errors import XentlabError
from ..files import read_bytes_capped
from ..formats.documents import not_json
from .grid import SweepSpec

MAX_SWEEP_FILE_BYTES = 2**20
SWEEP_FILE_SUFFIXES = (".toml", ".json")


def read_sweep_file(path: str | os.PathLike[str]) -> SweepSpec:
    """The sweep described by a TOML or JSON file (see :meth:`SweepSpec.from_document`)::

        dataset = "digits"
        cost = ["quadratic", "cross-entropy"]
        eta = [0.1, 0.5, 3.0]
        seed = [1, 2, 3]

    TOML needs Python 3.11 (tomllib) or the tomli package; JSON needs nothing.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in SWEEP_FILE_SUFFIXES:
        raise XentlabError(
            f"sweep file {os.fspath(path)} must end in {' or '.join(SWEEP_FILE_SUFFIXES)}"
        )
    raw = read_bytes_capped(path, "sweep", MAX_SWEEP_FILE_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise XentlabError(f"{os.fspath(path)} is not a sweep file: not UTF-8 text") from None
    if suffix == ".json":
        import json

        try:
            document = json.loads(text, parse_constant=not_json)
        except (ValueError, RecursionError) as exc:
            raise XentlabError(f"{os.fspath(path)} is not JSON: {exc}") from None
    else:
        toml = _toml_reader(path)
        try:
            document = toml.loads(text)
        except (ValueError, RecursionError) as exc:  # tomllib.TOMLDecodeError is a ValueError
            raise XentlabError(f"{os.fspath(path)} is not TOML: {exc}") from None
    return SweepSpec.from_document(document, where=os.fspath(path))


def _toml_reader(path: str | os.PathLike[str]) -> ModuleType:
    """tomllib (Python 3.11+) or, before 3.11, tomli where it is installed (the same API)."""
    for name in ("tomllib", "tomli"):
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    raise XentlabError(
        f"reading the TOML sweep file {os.fspath(path)} needs Python 3.11 or later, or the "
        "tomli package (pip install tomli); a JSON sweep file needs neither"
    )
