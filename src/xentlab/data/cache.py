"""Data sets loaded once per process and kept, for a process that trains many runs.

A sweep's worker trains run after run on the same data: reading and converting MNIST each time
would cost a second or two per run, as much as a short run itself. A :class:`DatasetCache` loads
each data set the first time it is asked for and hands out the same arrays afterwards, made
read-only, so that no run can change what the next one trains on.
"""

from __future__ import annotations

import os
import threading

from .labelled import Dataset
from .sets import SEEDED_SPLITS, load_dataset


class DatasetCache:
    """``load(name, data_dir, seed)`` as :func:`load_dataset` does, each data set read once.

    The seed only tells splits apart for the SEEDED_SPLITS (the digits): MNIST is kept once,
    whatever the seed of the runs that use it. Safe to share between threads."""

    def __init__(self) -> None:
        self._loaded: dict[tuple[str, str | None, int], Dataset] = {}
        self._lock = threading.Lock()

    def load(
        self, name: str, data_dir: str | os.PathLike[str] | None = None, seed: int = 0
    ) -> Dataset:
        key = (name, None if data_dir is None else os.fspath(data_dir), seed)
        if name not in SEEDED_SPLITS:
            key = (*key[:2], 0)
        with self._lock:
            if key not in self._loaded:
                dataset = load_dataset(name, data_dir, seed)
                for part in (dataset.train, dataset.validation, dataset.test):
                    part.X.flags.writeable = False
                    part.labels.flags.writeable = False
                self._loaded[key] = dataset
            return self._loaded[key]

    def __len__(self) -> int:
        return len(self._loaded)
