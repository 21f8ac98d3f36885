"""The ``xentlab`` command: parse, call the library, print. Only this module knows exit codes.

Every bad input ends the same way: one line on stderr naming the problem, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from rich.console import Console
from rich.table import Table

from . import __version__
from .errors import XentlabError

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the message and where to get help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _fmt_epoch(epoch: int | None, epochs: int) -> str:
    return f"not within {epochs}" if epoch is None else str(epoch)


# --- neuron ---------------------------------------------------------------------------------


def _neuron(args: argparse.Namespace, out: Console) -> int:
    from . import neuron

    trajectory = neuron.train(
        args.w, args.b, args.x, args.y, cost=args.cost, eta=args.eta, epochs=args.epochs
    )
    if args.plot:
        from .plots import save, trajectory_figure

        save(trajectory_figure(trajectory), args.plot)
    if args.json:
        print(json.dumps(trajectory.to_dict()))
        return 0
    epochs = trajectory.epochs
    step = max(1, epochs // 10)
    shown = sorted(set(range(0, epochs + 1, step)) | {epochs})
    table = Table(
        title=f"one neuron, {args.cost}, η = {args.eta:g}, x = {args.x:g}, y = {args.y:g}"
    )
    for column in ("epoch", "w", "b", "a", "C"):
        table.add_column(column, justify="right")
    a = trajectory.output[:, 0, 0]
    for t in shown:
        w, b, c = trajectory.w[t, 0, 0], trajectory.b[t, 0], trajectory.cost[t, 0]
        table.add_row(str(t), f"{w:.4f}", f"{b:.4f}", f"{a[t]:.4f}", f"{c:.5f}")
    out.print(table)
    if args.plot:
        out.print(f"figure written to {args.plot}")
    return 0


# --- slowdown -------------------------------------------------------------------------------


def _slowdown(args: argparse.Namespace, out: Console) -> int:
    from .experiments import OUTPUT_THRESHOLDS, slowdown
    from .plots import save, slowdown_figure

    runs = slowdown(epochs=args.epochs, common_eta=args.common_eta)
    save(slowdown_figure(runs), args.out)
    titles = {"article": "at the article's rates", "common": "at one common rate"}
    for setting, title in titles.items():
        table = Table(title=f"one neuron, x = 1, y = 0, {args.epochs} epochs, {title}")
        headers = ["cost", "η", "start (w, b)", "a(0)"]
        headers += [f"first a < {th:g}" for th in OUTPUT_THRESHOLDS]
        headers += ["ΔC epoch 1", "steepest at", "final C"]
        for header in headers:
            table.add_column(header, justify="right")
        for run in (r for r in runs if r.setting == setting):
            table.add_row(
                run.cost,
                f"{run.eta:g}",
                f"({run.w0:g}, {run.b0:g})",
                f"{run.epoch_output[0]:.3f}",
                *(_fmt_epoch(run.first_below[th], args.epochs) for th in OUTPUT_THRESHOLDS),
                f"{run.initial_slope:+.2e}",
                f"epoch {run.steepest_epoch}",
                f"{run.epoch_cost[-1]:.4f}",
            )
        out.print(table)
    out.print(f"figure written to {args.out}")
    return 0


# --- the parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="xentlab",
        description="Why a sigmoid neuron learns slowly under the quadratic cost, and how the "
        "cross-entropy cost cures it.",
    )
    parser.add_argument("--version", action="version", version=f"xentlab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = commands.add_parser(
        "neuron",
        help="train one sigmoid neuron by gradient descent and show its path",
        description="Train one sigmoid neuron a = σ(wx + b) on one example by gradient descent.",
    )
    p.add_argument("--cost", default="cross-entropy", help="quadratic or cross-entropy")
    p.add_argument("--w", type=float, default=2.0, help="starting weight (default 2.0)")
    p.add_argument("--b", type=float, default=2.0, help="starting bias (default 2.0)")
    p.add_argument("--x", type=float, default=1.0, help="the input (default 1.0)")
    p.add_argument("--y", type=float, default=0.0, help="the target in [0, 1] (default 0.0)")
    p.add_argument("--eta", type=float, default=0.005, help="learning rate η > 0 (default 0.005)")
    p.add_argument("--epochs", type=int, default=300, help="epochs ≥ 1 (default 300)")
    p.add_argument("--plot", metavar="PNG", help="write the cost-against-epoch figure here")
    p.add_argument("--json", action="store_true", help="print the whole trajectory as JSON")
    p.set_defaults(run=_neuron)

    p = commands.add_parser(
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
    p.add_argument("--out", default="slowdown.png", help="figure path (default slowdown.png)")
    p.set_defaults(run=_slowdown)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Piped output is not wrapped at 80 columns: tables stay one row per line.
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    try:
        return args.run(args, out)
    except XentlabError as exc:
        print(f"xentlab: error: {exc}", file=sys.stderr)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"xentlab: error: {exc.strerror or exc}{where}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
