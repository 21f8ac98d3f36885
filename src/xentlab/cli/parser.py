"""The ``xentlab`` command line: its commands, their arguments and help texts."""

from __future__ import annotations

import argparse
from typing import NoReturn, TypeAlias

from .. import __version__
from ..data import DATASETS, FETCHABLE
from ..functions import COST_NAMES
from ..model import DTYPES, INITS, REGULARIZATIONS
from ..neuron import NEURON_COSTS
from ..runs import FILE_KINDS, SPLITS
from . import commands

EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the message and where to get help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="xentlab",
        description="Why a sigmoid neuron learns slowly under the quadratic cost, and how the "
        "cross-entropy cost cures it.",
    )
    parser.add_argument("--version", action="version", version=f"xentlab {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    _add_neuron(subcommands)
    _add_slowdown(subcommands)
    _add_train(subcommands)
    _add_evaluate(subcommands)
    _add_data(subcommands)
    return parser


Subcommands: TypeAlias = "argparse._SubParsersAction[Parser]"


def _add_neuron(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "neuron",
        help="train one sigmoid neuron by gradient descent and show its path",
        description="Train one sigmoid neuron a = σ(wx + b) on one example by gradient descent.",
    )
    p.add_argument("--cost", default="cross-entropy", help=" or ".join(NEURON_COSTS))
    p.add_argument("--w", type=float, default=2.0, help="starting weight (default 2.0)")
    p.add_argument("--b", type=float, default=2.0, help="starting bias (default 2.0)")
    p.add_argument("--x", type=float, default=1.0, help="the input (default 1.0)")
    p.add_argument("--y", type=float, default=0.0, help="the target in [0, 1] (default 0.0)")
    p.add_argument("--eta", type=float, default=0.005, help="learning rate η > 0 (default 0.005)")
    p.add_argument("--epochs", type=int, default=300, help="epochs ≥ 1 (default 300)")
    p.add_argument("--plot", metavar="FILE", help="write the cost figure here: .png, .svg, .pdf")
    p.add_argument("--json", action="store_true", help="print the whole trajectory as JSON")
    p.set_defaults(run=commands.run_neuron)


def _add_slowdown(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "slowdown",
        help="the article's experiment: both costs from two starts, one figure and a table",
        description="Train one neuron (x = 1, y = 0) from (w, b) = (0.6, 0.9) and (2.0, 2.0) "
        "under both costs, at the article's rates (quadratic 0.15, cross-entropy 0.005) and at "
        "one common rate; write a figure and print when each run's output falls below 0.5 and 0.2.",
    )
    p.add_argument("--epochs", type=int, default=300, help="epochs ≥ 1 (default 300)")
    p.add_argument(
        "--common-eta", type=float, default=0.15, help="the rate used for both costs (default 0.15)"
    )
    p.add_argument("--out", default="slowdown.png", help="figure: .png/.svg/.pdf (slowdown.png)")
    p.set_defaults(run=commands.run_slowdown)


def _add_train(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "train",
        help="train a network of sigmoid neurons by mini-batch SGD",
        description="Train a feed-forward network on MNIST, Fashion-MNIST or the embedded 8x8 "
        "digits (no download), with a progress bar, one line per epoch and a summary.",
    )
    p.add_argument(
        "--dataset", choices=DATASETS, help="default: digits, or the data set of --resume"
    )
    p.add_argument("--data-dir", help="where the data files are (default: $XENTLAB_DATA, cache)")
    p.add_argument("--sizes", help="layer sizes, e.g. 784,30,10 (default: inputs,30,classes)")
    p.add_argument("--cost", default="cross-entropy", choices=COST_NAMES)
    p.add_argument("--epochs", type=int, default=30, help="default 30")
    p.add_argument("--batch-size", type=int, default=10, help="mini-batch size (default 10)")
    p.add_argument("--eta", type=float, default=0.5, help="learning rate η (default 0.5)")
    p.add_argument("--lmbda", type=float, default=0.0, help="regularisation λ ≥ 0 (default 0)")
    p.add_argument("--regularization", default="l2", choices=REGULARIZATIONS)
    p.add_argument("--init", default="default", choices=INITS, help="default: 1/√n_in weights")
    p.add_argument("--seed", type=int, default=0, help="weights, shuffles and splits (default 0)")
    p.add_argument("--dtype", default="float32", choices=DTYPES)
    p.add_argument(
        "--early-stop",
        type=int,
        metavar="N",
        help="stop after N epochs without a better validation accuracy",
    )
    p.add_argument(
        "--schedule",
        type=int,
        metavar="N",
        help="halve η after N epochs without a better validation accuracy; stop at η₀/128",
    )
    p.add_argument("--save", metavar="JSON", help="write the trained network here")
    p.add_argument("--plot", metavar="FILE", help="the learning curves figure: .png, .svg, .pdf")
    p.add_argument(
        "--checkpoint", metavar="PATH", help="write the training state here after every epoch"
    )
    p.add_argument("--checkpoint-every", type=int, metavar="N", help="... and every N mini-batches")
    p.add_argument(
        "--resume",
        metavar="PATH",
        help="continue the run saved in this checkpoint (its "
        "settings are used; the checkpoint keeps being updated)",
    )
    p.set_defaults(run=commands.run_train)


def _add_evaluate(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "evaluate",
        help="accuracy and confusion matrix of a saved network",
        description="Load a saved network and report its accuracy and confusion matrix.",
    )
    p.add_argument("network", help="a network file written by xentlab train --save")
    p.add_argument(
        "--dataset", choices=DATASETS, help="default: the data set the network was trained on"
    )
    p.add_argument("--data-dir", help="where the data files are (default: $XENTLAB_DATA, cache)")
    p.add_argument("--split", default="test", choices=SPLITS)
    p.add_argument("--seed", type=int, help="the digits split's seed (default: the training seed)")
    p.set_defaults(run=commands.run_evaluate)


def _add_data(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "data", help="download data sets, inspect files", description="Data sets and files."
    )
    data_commands = p.add_subparsers(dest="data_command", required=True, parser_class=Parser)
    p = data_commands.add_parser(
        "fetch",
        help="download MNIST or Fashion-MNIST and verify checksums",
        description="Download a data set from known public mirrors into the cache (or --dest) "
        "and verify the SHA-256 of every file.",
    )
    p.add_argument("name", choices=FETCHABLE)
    p.add_argument("--dest", help="directory to download into (default: the per-user cache)")
    p.set_defaults(run=commands.run_fetch)
    p = data_commands.add_parser(
        "inspect",
        help="check a file xentlab reads and say what it holds",
        description="Read an IDX file, an MNIST pickle, a network or a checkpoint with every "
        "check xentlab applies, and summarise it (or say exactly what is wrong).",
    )
    p.add_argument("file")
    p.add_argument("--kind", choices=FILE_KINDS, help="default: from the file name")
    p.set_defaults(run=commands.run_inspect)
