"""A sweep's output folder and the result file of each of its runs.

::

    OUT/
      sweep.json           the sweep: its grids and the id and settings of every run
      runs/<id>.json       one per finished run, written the moment it arrives
      summary.csv, .json   the table: each setting's test accuracy over seeds (written at the end)
      sweep.png            the figure (written at the end)

A run's result file is an ordinary xentlab network file (format ``xentlab.network``, checksummed,
written atomically): the trained weights, and in its meta what ``xentlab train --save`` records
(data set, settings, history, test accuracy) plus a ``sweep`` section — the run's id and point,
whether it diverged, its timing, the worker that ran it and the versions it ran with. So
``xentlab evaluate OUT/runs/<id>.json`` works on it, and a sweep run again reads it back,
checksum first, instead of training the run again.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__, checks
from ..errors import FormatError, XentlabError
from ..files import register_output_kind
from ..formats import (
    history_document,
    history_from_document,
    load_network,
    read_document,
    recognise_document,
    save_network,
    seal,
    write_json,
)
from ..formats.checkpoint import fields_document
from ..kernel import KERNELS
from ..model import Network
from ..training import History
from .grid import SweepPoint, SweepSpec

SWEEP_FORMAT = "xentlab.sweep"
# Version 2, as xentlab's formats carry their checksum from version 2 on (formats.documents);
# there was no version 1.
SWEEP_VERSION = 2
RECORD_VERSION = 1  # of the "sweep" section in a run's result file
INDEX_NAME = "sweep.json"
RUNS_FOLDER = "runs"
register_output_kind("sweep", recognise_document(SWEEP_FORMAT))


@dataclass(frozen=True)
class RunRecord:
    """One finished run of a sweep: its point, trained network and history, its test accuracy
    (None when it diverged; then ``diverged`` says where, and the network is the one from
    before the first bad mini-batch), and how it ran: ``seconds`` ({"prepare", "train"}), the
    ``worker`` (host and process), the data it saw, the ``versions`` it ran with and the
    ``kernel`` (numpy or compiled: what the point's kernel was on that worker)."""

    point: SweepPoint
    network: Network
    history: History
    test_accuracy: float | None
    diverged: str | None = None
    warnings: tuple[str, ...] = ()
    seconds: Mapping[str, float] = field(default_factory=dict)
    worker: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)
    kernel: str | None = None  # None in files written before runs recorded it

    @property
    def id(self) -> str:
        return self.point.id

    def meta(self) -> dict[str, Any]:
        """The result file's meta: what ``train --save`` writes, and the sweep's section."""
        return {
            "dataset": self.point.dataset,
            "config": {
                **fields_document(self.point.config),
                **({"kernel": self.kernel} if self.kernel else {}),
            },
            "history": history_document(self.history),
            "test_accuracy": self.test_accuracy,
            "sweep": {
                "version": RECORD_VERSION,
                "id": self.id,
                "point": self.point.document(),
                "diverged": self.diverged,
                "warnings": list(self.warnings),
                "seconds": dict(self.seconds),
                "worker": self.worker,
                "data": dict(self.data),
                "versions": dict(self.versions),
                "kernel": self.kernel,
            },
        }


def write_record(record: RunRecord, path: str | os.PathLike[str]) -> None:
    """Write the run's result file atomically (a crash leaves it whole or absent)."""
    save_network(record.network, path, record.meta())


def read_record(path: str | os.PathLike[str], point: SweepPoint) -> RunRecord:
    """The result of ``point`` stored at ``path``: the file's checksum verified, and every
    field of its sweep section checked, its point equal to ``point`` (else FormatError)."""
    network, meta = load_network(path)
    section = meta.get("sweep")
    if not isinstance(section, dict):
        raise FormatError(f"{path} is a network file, not the result of a sweep's run")
    version = section.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > RECORD_VERSION:
        raise FormatError(
            f"{path}: sweep result version {version!r}; this xentlab reads up to "
            f"{RECORD_VERSION}: upgrade xentlab"
        )
    if section.get("id") not in (point.id, point.legacy_id) or not _same_run(
        section.get("point"), point
    ):
        raise FormatError(
            f"{path} holds the result of another run (id {section.get('id')!r}, not {point.id})"
        )
    try:
        history = history_from_document(meta.get("history"))
        fraction = checks.Optional(checks.FRACTION)
        accuracy = fraction.check("test_accuracy", meta.get("test_accuracy"))
        diverged = checks.Optional(checks.Text()).check("diverged", section.get("diverged"))
        warnings = _texts("warnings", section.get("warnings"))
        seconds = _mapping("seconds", section.get("seconds"), checks.Real(non_negative=True))
        worker = checks.Text().check("worker", section.get("worker"))
        data = _mapping("data", section.get("data"), None)
        versions = _mapping("versions", section.get("versions"), checks.Text())
        kernel = checks.Optional(KERNELS).check("kernel", section.get("kernel"))
    except XentlabError as exc:
        raise FormatError(f"{path}: {exc}") from None
    if (accuracy is None) == (diverged is None):
        raise FormatError(f"{path}: a run has a test accuracy unless it diverged, not both")
    done, epochs = len(history.records), point.config.epochs
    if done > epochs or (done < epochs and diverged is None and history.stop_reason is None):
        raise FormatError(
            f"{path}: its history holds {checks.plural(done, 'epoch')} of a run of "
            f"{checks.plural(epochs, 'epoch')} that neither diverged nor stopped early"
            if done < epochs
            else f"{path}: its history holds {done} epochs of a run of {epochs}"
        )
    return RunRecord(
        point,
        network,
        history,
        accuracy,
        diverged,
        warnings,
        seconds,
        worker,
        data,
        versions,
        kernel,
    )


def _same_run(stored: Any, point: SweepPoint) -> bool:
    """Whether a result file's point is ``point``: the same document, but for the kernel
    asked for (which changes no result) and the settings added since the file was written
    (at their defaults)."""
    if not isinstance(stored, dict) or not isinstance(stored.get("config"), dict):
        return False
    expected = point.document()
    config = {**expected["config"], **stored["config"], "kernel": None}
    return {**stored, "config": config} == {
        **expected,
        "config": {**expected["config"], "kernel": None},
    }


def _texts(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise XentlabError(f"{name} must be a list of texts")
    return tuple(checks.Text().check(name, v) for v in value)


def _mapping(name: str, value: Any, constraint: checks.Constraint | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise XentlabError(f"{name} must be an object")
    if constraint is None:
        return value
    return {k: constraint.check(f"{name} {k}", v) for k, v in value.items()}


class SweepFolder:
    """The folder a sweep writes to. It is created if absent (its parent must exist); an
    existing folder must be a sweep's (it holds sweep.json) or empty, so that a sweep never
    writes over files that are not its own."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.index = self.path / INDEX_NAME
        self.runs = self.path / RUNS_FOLDER

    def check(self) -> None:
        """Refuse a folder the sweep must not write to, before any work: one that is not a
        sweep's, or one (or whose parent, for a folder still to be made) in which no file can
        be created, tried by creating one (a read-only folder or mount, /proc)."""
        where = os.fspath(self.path)
        if not where.strip():
            raise XentlabError("the sweep's folder must not be an empty path")
        if self.path.exists() and not self.path.is_dir():
            raise XentlabError(f"{where} is not a folder: a sweep writes a folder of results")
        if self.path.is_dir():
            if not self.index.exists() and any(self.path.iterdir()):
                raise XentlabError(
                    f"{where} holds files but no {INDEX_NAME}: it is not a sweep's folder, and "
                    "a sweep writes only to its own; choose another folder"
                )
            if self.index.exists():
                read_document(self.index, "sweep", SWEEP_FORMAT, SWEEP_VERSION)
            for folder in (self.path, self.runs):
                if folder.is_dir():
                    _check_writable(folder, f"cannot write to the sweep folder {where}")
            return
        parent = self.path.absolute().parent
        if not parent.is_dir():
            raise XentlabError(f"cannot create the sweep folder {where}: {parent} is not a folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise XentlabError(f"cannot create the sweep folder {where}: {parent} is not writable")
        _check_writable(parent, f"cannot create the sweep folder {where}")

    def start(self, spec: SweepSpec, points: Sequence[SweepPoint]) -> None:
        """Create the folder (and runs/) and describe the sweep in sweep.json."""
        self.check()
        self.path.mkdir(exist_ok=True)
        self.runs.mkdir(exist_ok=True)
        document = {
            "format": SWEEP_FORMAT,
            "version": SWEEP_VERSION,
            "sweep": spec.document(),
            "runs": [{"id": p.id, "point": p.document()} for p in points],
            "xentlab": __version__,
        }
        write_json(self.index, seal(document), "sweep")

    def result_path(self, point: SweepPoint) -> Path:
        return self.runs / f"{point.id}.json"

    def finished(self, points: Sequence[SweepPoint]) -> dict[str, RunRecord]:
        """The runs of ``points`` whose result file is here (named by the run's id, or by the
        id a folder of an earlier xentlab gave it), read and checked (a damaged file is
        refused, naming it: remove it to train that run again)."""
        found = {}
        for point in points:
            names = (point.id, point.legacy_id)
            paths = [self.runs / f"{name}.json" for name in names if name is not None]
            path = next((p for p in paths if p.exists()), None)
            if path is not None:
                found[point.id] = read_record(path, point)
        return found

    def write(self, record: RunRecord) -> Path:
        path = self.result_path(record.point)
        write_record(record, path)
        return path


def _check_writable(folder: Path, refused: str) -> None:
    """Create (and remove) a file in ``folder``: the one test that the sweep can write there,
    whatever permission bits say (root ignores them; a read-only mount does not)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise XentlabError(
            f"{refused}: no file can be created in {folder} ({exc.strerror or exc})"
        ) from None
