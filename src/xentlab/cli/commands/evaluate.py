"""``xentlab evaluate``: a saved network's accuracy on a part of a data set, and its confusion
matrix."""

from __future__ import annotations

import argparse

from rich.console import Console

from ... import runs
from ...runs import SPLITS, Evaluation
from .. import text
from ..argument_types import path
from ..exit_codes import EXIT_OK
from ..options import add_data_dir, add_dataset
from ..parser import Subcommands
from ..tables import Column, FittedTable


def add_parser(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "evaluate",
        help="accuracy and confusion matrix of a saved network",
        description="Load a saved network and report its accuracy and confusion matrix.",
    )
    p.add_argument(
        "network",
        type=path,
        help="a network saved by xentlab train --save: JSON, or a .safetensors file",
    )
    add_dataset(p, "default: the data set the network was trained on")
    add_data_dir(p)
    p.add_argument("--split", default="test", choices=SPLITS, help="which part of the data set")
    p.add_argument("--seed", type=int, help="the digits split's seed (default: the training seed)")
    p.set_defaults(run=run, command_parser=p)


def run(args: argparse.Namespace, out: Console) -> int:
    network, evaluation = runs.evaluate_saved(
        args.network, args.dataset, args.data_dir, args.split, args.seed
    )
    out.print(
        f"{args.network} ({list(network.sizes)}, {network.cost.label}) on {evaluation.dataset} "
        f"{evaluation.split} ({evaluation.n} images): accuracy {evaluation.accuracy:.2%}"
    )
    for warning in evaluation.warnings:
        text.warning_line(warning)
    out.print(confusion_table(evaluation))
    return EXIT_OK


def confusion_table(evaluation: Evaluation) -> FittedTable:
    classes = len(evaluation.confusion)
    table = FittedTable(
        "confusion matrix: rows true class, columns predicted",
        [Column("true", key=True), *(Column(str(c)) for c in range(classes))],
    )
    for t in range(classes):
        table.add_row(str(t), *(str(v) for v in evaluation.confusion[t]))
    return table
