"""What a saved network records about the data it was trained on, set against the data a user
now gives it: every difference is said, as a warning, so that a number measured on other data
(or on images the network has seen) is never taken for what it is not.

A network file's meta records the data set (``dataset``) and the run's settings (``config``),
among them the ``seed`` that split the data sets whose split depends on it (the
``data.SEEDED_SPLITS``: the digits, cut 60 / 20 / 20 % by a permutation of that seed). A
network from elsewhere (a safetensors file saved from PyTorch, say) records neither, and then
nothing can be said.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..data import SEEDED_SPLITS


def recorded_dataset(meta: Mapping[str, Any]) -> str | None:
    """The data set a network's meta says it was trained on, if it says."""
    name = meta.get("dataset")
    return name if isinstance(name, str) else None


def recorded_seed(meta: Mapping[str, Any]) -> int | None:
    """The seed of the run that trained the network (which split a seeded data set), if
    recorded."""
    config = meta.get("config")
    seed = config.get("seed") if isinstance(config, Mapping) else None
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def data_mismatches(
    path: str | os.PathLike[str],
    meta: Mapping[str, Any],
    dataset: str,
    seed: int,
    use: str,
) -> list[str]:
    """What differs between the data the network at ``path`` was trained on (its ``meta``) and
    ``dataset`` split by ``seed``, which it is given now for ``use`` ("evaluated on",
    "trained further on"): another data set; or, for a data set whose split depends on the
    seed, another seed, whose validation and test images may include images the network
    trained on. Empty when they agree or the file records nothing."""
    shown = os.fspath(path)
    trained_on = recorded_dataset(meta)
    if trained_on is None:
        return []
    if trained_on != dataset:
        return [f"{shown} was trained on {trained_on}, and is {use} {dataset} here"]
    trained_seed = recorded_seed(meta)
    if dataset in SEEDED_SPLITS and trained_seed is not None and trained_seed != seed:
        return [
            f"{shown} was trained on the {dataset} split by seed {trained_seed}, and is {use} "
            f"the split by seed {seed} here, whose validation and test images may include "
            f"images it trained on (--seed {trained_seed} keeps its split)"
        ]
    return []
