"""The ``xentlab`` command line: its commands, their arguments and help texts.

Every option's default is shown by ``--help``; options are never abbreviated (``--epoch`` is an
error, not ``--epochs``); an empty path or size list is an error, not a default; an unknown
option is reported by the subcommand it was given to, pointing at that subcommand's help.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn, TypeAlias

from .. import __version__
from ..data import DATASETS, FETCHABLE
from ..experiments import CompareSpec
from ..functions import COST_NAMES
from ..kernel import KERNELS
from ..model import DTYPES, INIT_MEANINGS, INITS, REGULARIZATIONS
from ..neuron import BOTH, NEURON_COSTS
from ..report.texts import LANGUAGES, REPORT_FORMATS
from ..runs import (
    DEFAULT_COST,
    DEFAULT_DATASET,
    DEFAULT_DTYPE,
    DEFAULT_HIDDEN,
    DEFAULT_INIT,
    EXPORT_SUFFIXES,
    FILE_KINDS,
    RESUMABLE_SETTINGS,
    SPLITS,
)
from ..sweeps import CONFIRM_ABOVE, CONNECT_TIMEOUT
from ..training import SCHEDULE_FLOOR, TrainConfig
from . import commands, experiment_commands, serve_command, sweep_command
from .argument_types import (
    costs,
    etas,
    hidden_layers,
    integers,
    names,
    numbers,
    path,
    seeds,
    sizes,
)
from .text import one_line

EXIT_BAD_INPUT = 2
KERNEL_HELP = (
    "the epoch loop: compiled (numba), numpy (the reference) or auto (compiled where numba "
    "is installed)"
)
INIT_HELP = "; ".join(f"{name}: {meaning}" for name, meaning in INIT_MEANINGS.items())
DATA_DIR_HELP = "where the data files are (default: $XENTLAB_DATA, then the cache)"
TRAIN_DEFAULTS = TrainConfig()
COMPARE = CompareSpec()  # compare's defaults, as the experiment declares them
FORCE_HELP = (
    "replace a file in the way even when it is not one xentlab wrote of the same kind "
    "(without it, such a file is refused before any work)"
)


def _add_force(p: argparse.ArgumentParser) -> None:
    """--force, for a command that writes files."""
    p.add_argument("--force", action="store_true", help=FORCE_HELP)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        if isinstance(action.default, tuple):  # shown as typed: quadratic,cross-entropy
            shown = ",".join(map(str, action.default))
            return f"{action.help} (default: {shown})"
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the message and where to get help), options
    are never abbreviated, and every default is shown in the help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        message = one_line(message)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """Parse; an unknown option is reported by the subcommand it was given to."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            where: Parser = getattr(parsed, "command_parser", self)
            where.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed


def build_parser() -> Parser:
    parser = Parser(
        prog="xentlab",
        description="Why a sigmoid neuron learns slowly under the quadratic cost, and how the "
        "cross-entropy cost cures it.",
    )
    parser.add_argument("--version", action="version", version=f"xentlab {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    _add_neuron(subcommands)
    _add_slowdown(subcommands)
    _add_saturation(subcommands)
    _add_compare(subcommands)
    _add_report(subcommands)
    _add_serve(subcommands)
    _add_sweep(subcommands)
    _add_train(subcommands)
    _add_evaluate(subcommands)
    _add_export(subcommands)
    _add_data(subcommands)
    return parser


Subcommands: TypeAlias = "argparse._SubParsersAction[Parser]"


def _add_neuron(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "neuron",
        help="train one sigmoid neuron by gradient descent and show its path",
        description="Train one sigmoid neuron a = σ(wx + b) on one example by gradient descent.",
    )
    p.add_argument(
        "--cost",
        default="cross-entropy",
        help=f"{', '.join(NEURON_COSTS)} or {BOTH} (each cost from the same start)",
    )
    p.add_argument("--w", type=float, default=2.0, help="starting weight")
    p.add_argument("--b", type=float, default=2.0, help="starting bias")
    p.add_argument("--x", type=float, default=1.0, help="the input")
    p.add_argument("--y", type=float, default=0.0, help="the target, in [0, 1]")
    p.add_argument("--eta", type=float, default=0.005, help="learning rate η > 0")
    p.add_argument("--epochs", type=int, default=300, help="epochs ≥ 1")
    p.add_argument(
        "--plot",
        type=path,
        metavar="FIGURE",
        help="the cost figure (a panel per cost): .png/.svg/.pdf",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help=f"print the whole trajectory as JSON ({BOTH}: the start and one run per cost)",
    )
    _add_force(p)
    p.set_defaults(run=experiment_commands.run_neuron, command_parser=p)


def _add_slowdown(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "slowdown",
        help="the article's experiment: both costs from two starts, one figure and two tables",
        description="Train one neuron (x = 1, y = 0) from (w, b) = (0.6, 0.9) and (2.0, 2.0) "
        "under both costs, at the article's rates (quadratic 0.15, cross-entropy 0.005) and at "
        "one common rate; write a figure and print when each run's output falls below 0.5 and 0.2.",
    )
    p.add_argument("--epochs", type=int, default=300, help="epochs ≥ 1")
    p.add_argument("--common-eta", type=float, default=0.15, help="the rate used for both costs")
    p.add_argument("--out", type=path, default="slowdown.png", help="figure: .png/.svg/.pdf")
    _add_force(p)
    p.set_defaults(run=experiment_commands.run_slowdown, command_parser=p)


def _add_saturation(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "saturation",
        help="the saturation map: epochs until one neuron learns, from every start (w, b)",
        description="Train the article's one-input neuron from every start of a grid of (w, b) "
        "under both costs at one common rate; draw the epochs each start needs as two heat "
        "maps on one colour scale, and print the share of starts that are slow.",
    )
    p.add_argument("--points", type=int, default=201, help="grid points along w and along b")
    p.add_argument("--limit", type=float, default=6.0, help="the grid spans [-limit, limit]²")
    p.add_argument("--eta", type=float, default=0.15, help="the rate of both costs")
    p.add_argument("--epochs", type=int, default=300, help="epochs at most")
    p.add_argument("--x", type=float, default=1.0, help="the input")
    p.add_argument("--y", type=float, default=0.0, help="the target, in [0, 1]")
    p.add_argument("--threshold", type=float, default=0.2, help="learnt: |a − y| below this")
    p.add_argument("--out", type=path, default="saturation.png", help="figure: .png/.svg/.pdf")
    _add_force(p)
    p.set_defaults(run=experiment_commands.run_saturation, command_parser=p)


def _add_compare(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "compare",
        help="train one network under each cost from the same start and watch it learn",
        description="Train the same network under several costs from identical initial weights "
        "and the identical order of mini-batches (per seed), probing it every few mini-batches "
        "of the first epochs: validation accuracy, cost, the output layer's saturation and the "
        "per-layer gradients. Prints how many mini-batches each cost needs to reach 50, 80 and "
        "90% validation accuracy; writes a figure and, beside it, the data (JSON, CSV).",
    )
    p.add_argument(
        "--costs",
        type=costs,
        default=COMPARE.costs,
        help=f"comma-separated, from {', '.join(COST_NAMES)}",
    )
    p.add_argument(
        "--eta",
        type=etas,
        default=COMPARE.eta,
        help="one rate for all, or per cost: quadratic=3,cross-entropy=0.5",
    )
    p.add_argument("--dataset", choices=DATASETS, default=DEFAULT_DATASET, help="the data")
    p.add_argument("--data-dir", type=path, help=DATA_DIR_HELP)
    p.add_argument(
        "--sizes", type=sizes, help=f"layer sizes (default: inputs,{DEFAULT_HIDDEN},classes)"
    )
    p.add_argument(
        "--init",
        choices=INITS,
        default=DEFAULT_INIT,
        help=INIT_HELP,
    )
    p.add_argument("--dtype", choices=DTYPES, default=DEFAULT_DTYPE, help="training precision")
    p.add_argument("--epochs", type=int, default=COMPARE.epochs, help="epochs of each run")
    p.add_argument("--batch-size", type=int, default=COMPARE.batch_size, help="mini-batch size")
    p.add_argument(
        "--seeds",
        type=seeds,
        default=COMPARE.seeds,
        help="one run per cost and seed: 1,2,3 or 1-3",
    )
    p.add_argument(
        "--probe-every",
        type=int,
        default=COMPARE.probe_every,
        help=f"probe every N mini-batches in the first {COMPARE.fine_epochs} epochs (then every "
        "epoch)",
    )
    p.add_argument("--kernel", choices=KERNELS, default="auto", help=KERNEL_HELP)
    p.add_argument(
        "--out",
        type=path,
        default="compare.png",
        help="figure: .png/.svg/.pdf; the data go beside it, named after it",
    )
    p.add_argument(
        "--json",
        type=path,
        help="the data, as JSON (default: beside the figure, cmp/c.json for --out cmp/c.png)",
    )
    p.add_argument(
        "--csv",
        type=path,
        help="the probes, one row each (default: beside the figure, cmp/c.csv for cmp/c.png)",
    )
    _add_force(p)
    p.set_defaults(run=experiment_commands.run_compare, command_parser=p)


def _add_report(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "report",
        help="one document: the slowdown, the saturation map and a network comparison",
        description="Run the article's slowdown experiment, the saturation map and a comparison "
        "of the costs inside a network (MNIST when its files are found, else the embedded "
        "digits), and write them with their explanations as one self-contained HTML file, or "
        "as Markdown with PNG figures beside it.",
    )
    p.add_argument("--format", choices=REPORT_FORMATS, default="html", help="html or md")
    p.add_argument("--lang", choices=LANGUAGES, default="en", help="en or zh (Chinese)")
    p.add_argument(
        "--out",
        type=path,
        help="the report's path (default: report.html or report.md); Markdown's figures go "
        "beside it, named after it (report-slowdown.png, ...)",
    )
    p.add_argument("--dataset", choices=DATASETS, help="default: mnist if found, else digits")
    p.add_argument("--data-dir", type=path, help=DATA_DIR_HELP)
    p.add_argument("--epochs", type=int, default=3, help="epochs of each network run")
    p.add_argument("--seeds", type=seeds, default=(1,), help="one run per cost and seed")
    _add_force(p)
    p.set_defaults(run=experiment_commands.run_report, command_parser=p)


def _add_serve(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "serve",
        help="the interactive page: the neuron, the saturation map and the race",
        description="Serve the interactive page on this machine: one neuron learning under "
        "either cost, the saturation map (click a start to watch it learn), and a race of one "
        "network under both costs, live. Everything the page needs is served from the package: "
        "it works without internet access. Needs the web extra (pip install 'xentlab[web]').",
    )
    p.add_argument(
        "--host",
        default=serve_command.DEFAULT_HOST,
        help="the address to listen on; anything but a loopback address makes the page "
        "reachable from other machines",
    )
    p.add_argument("--port", type=int, default=serve_command.DEFAULT_PORT, help="0: any free port")
    p.add_argument("--open", action="store_true", help="open the page in a browser")
    p.add_argument(
        "--data-dir",
        type=path,
        help="where the race looks for MNIST (default: $XENTLAB_DATA, then the cache)",
    )
    p.set_defaults(run=serve_command.run_serve, command_parser=p)


def _add_sweep(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "sweep",
        help="train one network per point of a grid of settings, on a Dask cluster",
        description="Train a network for every combination of the settings listed (costs, η, "
        "λ, hidden layers, ...) and every seed, in parallel on a Dask cluster: a local one "
        "started for the sweep (one worker process per core), or an existing one (--scheduler). "
        "It writes into one folder, OUT: the sweep's description (OUT/sweep.json) and each "
        "finished run, at once, in OUT/runs/; the same command run again skips what is done, "
        "so an interrupted sweep resumes. At the end it prints a table (test accuracy, mean ± "
        "sd over seeds, the best setting marked) and writes it as OUT/summary.csv and "
        "OUT/summary.json, with a figure (test accuracy against η for each cost; with --book, "
        "the book's accuracies beside xentlab's; OUT/sweep.png unless --figure names another "
        "place). Needs the sweep extra (pip install 'xentlab[sweep]').",
    )
    p.add_argument(
        "file",
        nargs="?",
        type=path,
        help="a sweep file (.toml or .json) instead of the grid options; options given as well "
        "replace its values",
    )
    p.add_argument(
        "--book",
        action="store_true",
        help="the book's three chapter-3 networks on MNIST, 3 seeds each, 30 epochs (9 runs), "
        "and the book-versus-xentlab table; options given as well replace its values (--epochs "
        "1 for a quick look)",
    )
    grid = p.add_argument_group(
        "the grid", "each option takes a comma-separated list of values to try"
    )
    grid.add_argument(
        "--costs",
        dest="cost",
        type=costs,
        metavar="NAMES",
        help="from " + ", ".join(COST_NAMES) + " (default without a file: quadratic,cross-entropy)",
    )
    grid.add_argument(
        "--eta",
        type=numbers,
        metavar="VALUES",
        help=f"learning rates η > 0 (default: {TRAIN_DEFAULTS.eta:g})",
    )
    grid.add_argument(
        "--lmbda",
        type=numbers,
        metavar="VALUES",
        help=f"regularisation λ ≥ 0 (default: {TRAIN_DEFAULTS.lmbda:g})",
    )
    grid.add_argument(
        "--regularization",
        type=names,
        metavar="NAMES",
        help=f"from {', '.join(REGULARIZATIONS)} (default: {TRAIN_DEFAULTS.regularization})",
    )
    grid.add_argument(
        "--hidden",
        type=hidden_layers,
        metavar="WIDTHS",
        help="hidden-layer widths, one network each; widths joined by : make a deeper network "
        f"(30,100,60:30; default: {DEFAULT_HIDDEN})",
    )
    grid.add_argument(
        "--init",
        type=names,
        metavar="NAMES",
        help=f"{INIT_HELP} (default: {DEFAULT_INIT})",
    )
    grid.add_argument(
        "--batch-size",
        type=integers,
        metavar="SIZES",
        help=f"mini-batch sizes (default: {TRAIN_DEFAULTS.batch_size})",
    )
    grid.add_argument(
        "--epochs", type=integers, metavar="COUNTS", help=f"default: {TRAIN_DEFAULTS.epochs}"
    )
    grid.add_argument(
        "--seeds",
        dest="seed",
        type=seeds,
        metavar="SEEDS",
        help="one run per seed: 1,2,3 or 1-5 (default without a file: 1-3)",
    )
    grid.add_argument(
        "--dtype",
        type=names,
        metavar="NAMES",
        help=f"from {', '.join(DTYPES)} (default: {DEFAULT_DTYPE})",
    )
    p.add_argument("--dataset", choices=DATASETS, help=f"the data (default: {DEFAULT_DATASET})")
    p.add_argument(
        "--data-dir",
        type=path,
        metavar="DIR",
        help=DATA_DIR_HELP + "; on a cluster, as the workers see it",
    )
    p.add_argument(
        "--out",
        type=path,
        metavar="DIR",
        help="the sweep's folder (default: xentlab-sweep, or xentlab-book with --book)",
    )
    p.add_argument(
        "--figure",
        type=path,
        metavar="FIGURE",
        help="the figure: .png/.svg/.pdf (default: sweep.png in the sweep's folder)",
    )
    where = p.add_argument_group("where the runs go")
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="an existing Dask scheduler, tcp://host:8786 (default: start a local cluster)",
    )
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes of the local cluster (default: one per usable core)",
    )
    where.add_argument(
        "--connect-timeout",
        type=float,
        default=CONNECT_TIMEOUT,
        metavar="SECONDS",
        help="how long to wait for --scheduler to answer",
    )
    p.add_argument(
        "--yes",
        action="store_true",
        help=f"run a sweep of more than {CONFIRM_ABOVE} runs (without it, such a sweep is refused)",
    )
    _add_force(p)
    p.set_defaults(run=sweep_command.run_sweep, command_parser=p)


def _add_train(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "train",
        help="train a network of sigmoid neurons by mini-batch SGD",
        description="Train a feed-forward network on MNIST, Fashion-MNIST or the embedded 8x8 "
        "digits (no download), with a progress bar, one line per epoch and a summary. With "
        "--resume, every setting comes from the checkpoint: a setting given as well must agree "
        f"with it, except {' and '.join('--' + s for s in RESUMABLE_SETTINGS)}, which may change "
        "(to extend a run, say). With --start-from, a new run begins from a saved network's "
        "weights (JSON or .safetensors) instead of fresh ones.",
    )
    d = TRAIN_DEFAULTS
    saved = "or the checkpoint's"
    p.add_argument("--dataset", choices=DATASETS, help=f"default: {DEFAULT_DATASET} {saved}")
    p.add_argument("--data-dir", type=path, help=DATA_DIR_HELP)
    p.add_argument(
        "--sizes",
        type=sizes,
        help=f"layer sizes, e.g. 784,30,10 (default: inputs,{DEFAULT_HIDDEN},classes)",
    )
    p.add_argument("--cost", choices=COST_NAMES, help=f"default: {DEFAULT_COST} {saved}")
    p.add_argument("--epochs", type=int, help=f"default: {d.epochs} {saved}")
    p.add_argument("--batch-size", type=int, help=f"mini-batch size (default: {d.batch_size})")
    p.add_argument("--eta", type=float, help=f"learning rate η > 0 (default: {d.eta:g})")
    p.add_argument("--lmbda", type=float, help=f"regularisation λ ≥ 0 (default: {d.lmbda:g})")
    p.add_argument("--regularization", choices=REGULARIZATIONS, help=f"default: {d.regularization}")
    p.add_argument(
        "--init",
        choices=INITS,
        help=f"{INIT_HELP} (default: {DEFAULT_INIT})",
    )
    p.add_argument("--seed", type=int, help=f"weights, shuffles and splits (default: {d.seed})")
    p.add_argument("--dtype", choices=DTYPES, help=f"default: {DEFAULT_DTYPE}")
    p.add_argument("--kernel", choices=KERNELS, help=f"{KERNEL_HELP} (default: {d.kernel})")
    p.add_argument(
        "--early-stop",
        type=int,
        metavar="N",
        help="stop after N epochs without a better validation accuracy (default: never)",
    )
    p.add_argument(
        "--schedule",
        type=int,
        metavar="N",
        help="halve η after N epochs without a better validation accuracy; stop at "
        f"η₀/{SCHEDULE_FLOOR} "
        "(default: a constant η)",
    )
    p.add_argument(
        "--save",
        type=path,
        metavar="NETWORK",
        help="write the trained network here: a safetensors file if the name ends in "
        ".safetensors, else JSON; Ctrl-C saves an unfinished run beside it (see --checkpoint)",
    )
    p.add_argument("--plot", type=path, metavar="FIGURE", help="learning curves: .png/.svg/.pdf")
    p.add_argument(
        "--checkpoint",
        type=path,
        metavar="PATH",
        help="write the training state here after every epoch (default: the --resume file). "
        "Ctrl-C saves the run here; without a checkpoint, beside --save and named after it "
        f"(runs/net.json: runs/net{commands.INTERRUPT_SUFFIX}), else beside --plot, else "
        f"{commands.INTERRUPT_CHECKPOINT} in the current folder",
    )
    p.add_argument("--checkpoint-every", type=int, metavar="N", help="... and every N mini-batches")
    p.add_argument(
        "--resume",
        type=path,
        metavar="PATH",
        help="continue the run saved in this checkpoint, with its settings",
    )
    p.add_argument(
        "--start-from",
        type=path,
        metavar="NETWORK",
        help="begin a new run from this saved network (JSON or .safetensors): its sizes, and "
        "its cost and dtype unless --cost or --dtype say otherwise",
    )
    _add_force(p)
    p.set_defaults(run=commands.run_train, command_parser=p)


def _add_evaluate(subcommands: Subcommands) -> None:
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
    p.add_argument(
        "--dataset", choices=DATASETS, help="default: the data set the network was trained on"
    )
    p.add_argument("--data-dir", type=path, help=DATA_DIR_HELP)
    p.add_argument("--split", default="test", choices=SPLITS, help="which part of the data set")
    p.add_argument("--seed", type=int, help="the digits split's seed (default: the training seed)")
    p.set_defaults(run=commands.run_evaluate, command_parser=p)


def _add_export(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "export",
        help="convert a saved network between JSON and safetensors",
        description="Convert a saved network to the format the target's name ends in: "
        ".safetensors (the weights for PyTorch, JAX and others, named as torch names the "
        "parameters of Linear layers at 0, 2, 4, ... of a Sequential: 0.weight (out, in), "
        "0.bias, 2.weight, ...; the cost, sizes and xentlab version in its metadata) or .json "
        "(xentlab's network file).",
    )
    p.add_argument("network", type=path, help="a saved network: JSON, or a .safetensors file")
    p.add_argument(
        "--to",
        dest="target",
        type=path,
        required=True,
        metavar="FILE",
        help=f"the file to write: {' or '.join(EXPORT_SUFFIXES)}",
    )
    p.add_argument(
        "--cost",
        choices=COST_NAMES,
        help="the cost of a safetensors file that records none (default: cross-entropy)",
    )
    _add_force(p)
    p.set_defaults(run=commands.run_export, command_parser=p)


def _add_data(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "data", help="download data sets, inspect files", description="Data sets and files."
    )
    p.set_defaults(command_parser=p)
    data_commands = p.add_subparsers(dest="data_command", required=True, parser_class=Parser)
    p = data_commands.add_parser(
        "fetch",
        help="download MNIST or Fashion-MNIST and verify checksums",
        description="Download a data set from known public mirrors into the cache (or --dest) "
        "and verify the SHA-256 of every file.",
    )
    p.add_argument("name", choices=FETCHABLE)
    p.add_argument(
        "--dest", type=path, help="directory to download into (default: the per-user cache)"
    )
    p.set_defaults(run=commands.run_fetch, command_parser=p)
    p = data_commands.add_parser(
        "inspect",
        help="check a file xentlab reads and say what it holds",
        description="Read an IDX file, an MNIST pickle, a network (JSON or safetensors) or a "
        "checkpoint with every check xentlab applies, and summarise it (or say exactly what is "
        "wrong).",
    )
    p.add_argument("file", type=path)
    p.add_argument("--kind", choices=FILE_KINDS, help="default: from the file name")
    p.set_defaults(run=commands.run_inspect, command_parser=p)


def option_names(parser: argparse.ArgumentParser) -> dict[str, str]:
    """{dest: "--long-option"} for every option of ``parser``: how a user types a parameter."""
    return {
        action.dest: action.option_strings[-1]
        for action in parser._actions
        if action.option_strings and action.dest not in ("help", "version")
    }
