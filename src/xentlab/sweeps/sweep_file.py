"""Sweep files: a sweep written down in TOML or JSON, read within a size cap and handed to
:meth:`SweepSpec.from_document <xentlab.sweeps.grid.SweepSpec.from_document>`, which checks
its keys and values; a file that is not UTF-8, not TOML or not JSON, or that gives a key twice
(``eta = 0.1`` then ``eta = 5``: which was meant?), is refused by name."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import XentlabError
from ..files import read_bytes_capped
from ..formats.documents import parse_json, parse_toml
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
    try:
        document = parse_json(text) if suffix == ".json" else parse_toml(text)
    except XentlabError as exc:  # no TOML reader installed
        raise XentlabError(
            f"cannot read the sweep file {os.fspath(path)}: {exc}; a JSON sweep file needs neither"
        ) from None
    except ValueError as exc:  # not JSON or TOML, a key given twice among them
        kind = "JSON" if suffix == ".json" else "TOML"
        raise XentlabError(f"{os.fspath(path)} is not {kind}: {exc}") from None
    return SweepSpec.from_document(document, where=os.fspath(path))
