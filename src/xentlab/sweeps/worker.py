"""Runs of a sweep, as a worker trains them: plain functions, nothing here knows of Dask.

The engine sends :func:`train_points` to a worker process with a group of points (runs that
share their data and order of mini-batches, trained in one pass); the runs go through
``xentlab.runs`` like any other, and come back as :class:`RunRecord` s for the sweep to write.
Called directly, it trains the same run in this process, to the same bits: that is how the
tests and the benchmark run a sweep serially.
"""

from __future__ import annotations

import os
import platform
import socket
import time
from collections.abc import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from .. import __version__, runs
from ..data import DatasetCache
from ..errors import XentlabError
from ..training import TrainingDiverged
from .grid import SweepPoint
from .records import RunRecord

# This process's data sets. A worker process lives for many runs: it reads its data once,
# with the first run that needs it, and every later run trains on the same (read-only) arrays.
PROCESS_DATASETS = DatasetCache()


def train_point(
    point: SweepPoint,
    data_dir: str | os.PathLike[str] | None = None,
    datasets: DatasetCache | None = None,
) -> RunRecord:
    """Train the run ``point`` describes alone: :func:`train_points` of one."""
    return train_points([point], data_dir, datasets)[0]


def train_points(
    points: Sequence[SweepPoint],
    data_dir: str | os.PathLike[str] | None = None,
    datasets: DatasetCache | None = None,
) -> list[RunRecord]:
    """Train the runs ``points`` describe (their data from ``datasets``, by default this
    process's cache), those that can share a pass over their data in one
    (``runs.train_together``: each to the bits it gets alone), and return their records. A run
    that diverges is a result too (a sweep over η finds where training breaks down): its record
    says where, and has no test accuracy. A run that fails otherwise raises, naming it.

    BLAS runs on one thread here, wherever this is called: a matrix product split over more
    threads may add in another order and differ in its last bits (the cost over a whole data
    set, say), and a run should give the same bits on a worker and in this process. Sweeps
    are parallel across groups of runs instead."""
    loaded = datasets if datasets is not None else PROCESS_DATASETS
    with threadpool_limits(limits=1, user_api="blas"):
        prepared, seconds = [], []
        for point in points:
            started = time.perf_counter()
            prepared.append(runs.prepare(point.run_spec(data_dir), load=loaded.load))
            seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        outcomes = runs.train_together(prepared)
        trained = time.perf_counter() - started
    records = []
    warnings: tuple[str, ...]
    for point, run, outcome, prepare_seconds in zip(
        points, prepared, outcomes, seconds, strict=True
    ):
        if isinstance(outcome, TrainingDiverged):
            accuracy, diverged, warnings = None, str(outcome), ()
        elif isinstance(outcome, Exception):
            raise XentlabError(f"run {point.id} ({point.describe()}) failed: {outcome}") from None
        else:
            accuracy, diverged, warnings = outcome.test_accuracy, None, outcome.warnings
        records.append(_record(point, run, accuracy, diverged, warnings, prepare_seconds, trained))
    return records


def _record(
    point: SweepPoint,
    run: runs.Run,
    accuracy: float | None,
    diverged: str | None,
    warnings: tuple[str, ...],
    prepare_seconds: float,
    train_seconds: float,
) -> RunRecord:
    """A trained run's record (``train_seconds``: its group's training, shared)."""
    return RunRecord(
        point=point,
        network=run.state.network,
        history=run.state.history,
        test_accuracy=accuracy,
        diverged=diverged,
        warnings=warnings,
        seconds={"prepare": prepare_seconds, "train": train_seconds},
        worker=f"{socket.gethostname()} pid {os.getpid()}",
        data={
            "dataset": run.data_info["dataset"],
            "n": run.data_info["n"],
            "fingerprint": run.data_info["fingerprint"],
        },
        versions={
            "xentlab": __version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        kernel=run.kernel,
    )
