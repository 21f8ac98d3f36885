"""One run of a sweep, as a worker trains it: a plain function, nothing here knows of Dask.

The engine sends :func:`train_point` to a worker process with a point; the run goes through
``xentlab.runs`` like any other, and comes back as a :class:`RunRecord` for the sweep to write.
Called directly, it trains the same run in this process, to the same bits: that is how the
tests and the benchmark run a sweep serially.
"""

from __future__ import annotations

import os
import platform
import socket
import time

import numpy as np
from threadpoolctl import threadpool_limits

from .. import __version__, runs
from ..data import DatasetCache
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
    """Train the run ``point`` describes (its data from ``datasets``, by default this
    process's cache) and return its record. A run that diverges is a result too (a sweep over η
    finds where training breaks down): its record says where, and has no test accuracy.

    BLAS runs on one thread here, wherever this is called: a matrix product split over more
    threads may add in another order and differ in its last bits (the cost over a whole data
    set, say), and a run should give the same bits on a worker and in this process. Sweeps
    are parallel across runs instead."""
    loaded = datasets if datasets is not None else PROCESS_DATASETS
    with threadpool_limits(limits=1, user_api="blas"):
        started = time.perf_counter()
        run = runs.prepare(point.run_spec(data_dir), load=loaded.load)
        prepared = time.perf_counter()
        try:
            result = run.train()
            accuracy, diverged, warnings = result.test_accuracy, None, result.warnings
        except TrainingDiverged as exc:
            accuracy, diverged, warnings = None, str(exc), ()
        finished = time.perf_counter()
    return RunRecord(
        point=point,
        network=run.state.network,
        history=run.state.history,
        test_accuracy=accuracy,
        diverged=diverged,
        warnings=warnings,
        seconds={"prepare": prepared - started, "train": finished - prepared},
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
