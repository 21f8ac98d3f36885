"""The options several commands share, each written once: --force, --data-dir, --dataset, and
the help texts of --init and --kernel. A command's own options are in its module."""

from __future__ import annotations

import argparse

from ..data import DATASETS
from ..model import INIT_MEANINGS
from ..training import TrainConfig
from .argument_types import path

KERNEL_HELP = (
    "the epoch loop: compiled (numba), numpy (the reference) or auto (compiled where numba "
    "is installed)"
)
INIT_HELP = "; ".join(f"{name}: {meaning}" for name, meaning in INIT_MEANINGS.items())
DATA_DIR_HELP = "where the data files are (default: $XENTLAB_DATA, then the cache)"
TRAIN_DEFAULTS = TrainConfig()  # the defaults train and sweep show in their help
FORCE_HELP = (
    "replace a file in the way even when it is not one xentlab wrote of the same kind "
    "(without it, such a file is refused before any work)"
)


def add_force(p: argparse.ArgumentParser) -> None:
    """--force, for a command that writes files."""
    p.add_argument("--force", action="store_true", help=FORCE_HELP)


def add_data_dir(p: argparse.ArgumentParser) -> None:
    """--data-dir, for a command that reads a data set."""
    p.add_argument("--data-dir", type=path, help=DATA_DIR_HELP)


def add_dataset(p: argparse.ArgumentParser, help: str, default: str | None = None) -> None:
    """--dataset, one of the data sets xentlab reads; ``help`` says what its absence means."""
    p.add_argument("--dataset", choices=DATASETS, default=default, help=help)
