"""The options several commands share, each written once: --force, --data-dir, --dataset,
--lang. The
training settings' options are derived from xentlab.settings (setting_options.py); a command's
own options are in its module."""

from __future__ import annotations

import argparse

from ..data import DATASETS
from ..settings import LANGUAGE
from .argument_types import path

DATA_DIR_HELP = "where the data files are (default: $XENTLAB_DATA, then the cache)"
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


def add_language(p: argparse.ArgumentParser, command: str) -> None:
    """--lang, as settings.LANGUAGE declares it, for a command it is offered in."""
    if command not in LANGUAGE.offered:
        raise ValueError(f"{LANGUAGE.option} is not declared as offered by {command}")
    p.add_argument(
        LANGUAGE.option, choices=LANGUAGE.constraint, default=LANGUAGE.default, help=LANGUAGE.help
    )
