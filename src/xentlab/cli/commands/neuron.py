"""``xentlab neuron``: train one sigmoid neuron a = σ(wx + b) (or a linear one, a = wx + b) on
one example, under one cost or under each from the same start, and show its path: a table of
about ten epochs (or the whole trajectory as JSON) and, if asked, the cost figure."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console

from ... import neuron
from ...errors import XentlabError
from ...experiments.contenders import ALL, BOTH, CONTENDERS, contender_costs
from ...neuron import NEURON_OUTPUTS, Trajectory
from .. import render
from ..argument_types import path
from ..exit_codes import EXIT_OK
from ..options import add_force, add_language
from ..parser import Subcommands
from ..tables import Column, FittedTable


def add_parser(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "neuron",
        help="train one neuron (sigmoid, or linear) by gradient descent and show its path",
        description="Train one sigmoid neuron a = σ(wx + b) on one example by gradient "
        "descent; with --output linear, a linear neuron a = wx + b under the quadratic cost.",
    )
    p.add_argument(
        "--cost",
        help=f"{', '.join(CONTENDERS)}, {BOTH} (the two sigmoid costs) or {ALL} (the "
        "linear neuron too), each from the same start (default: cross-entropy, quadratic for "
        "a linear neuron)",
    )
    p.add_argument(
        "--output",
        choices=NEURON_OUTPUTS,
        help="the neuron's activation: sigmoid, a = σ(z) (default), or linear, a = z (with the "
        "quadratic cost, whose δ = a − y then has no σ'(z))",
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
        help=f"print the whole trajectory as JSON ({BOTH}, {ALL}: the start and one run per cost)",
    )
    add_language(p, "neuron")
    add_force(p)
    p.set_defaults(run=run, command_parser=p)


def run(args: argparse.Namespace, out: Console) -> int:
    if args.plot is not None:
        from ...plots import check_figure_target

        check_figure_target(args.plot, force=args.force)
    elif args.lang != "en":  # the words of a figure that is not drawn
        raise XentlabError(f"--lang {args.lang} is for the figure; give --plot FIGURE with it")
    # JSON on stdout is data: its progress, if any, goes to stderr
    shown_on = (
        Console(stderr=True, highlight=False, markup=False, soft_wrap=True) if args.json else out
    )
    chosen = args.cost or ("quadratic" if args.output == "linear" else "cross-entropy")
    costs = contender_costs(chosen, args.output)  # every pair refused before any trains
    for cost in costs:  # and every start
        neuron.cost(args.w, args.b, args.x, args.y, cost)
    with render.PassesProgress(shown_on, "neuron") as progress:
        trajectories = [
            neuron.train(
                args.w,
                args.b,
                args.x,
                args.y,
                cost=cost,
                eta=args.eta,
                epochs=args.epochs,
                progress=neuron.pass_progress(progress, f"{cost.label}, η = {args.eta:g}"),
            )
            for cost in costs
        ]
    if args.plot is not None:
        from ...plots import figure_language, neuron_figure, save

        save(neuron_figure(trajectories, lang=args.lang), args.plot, force=args.force)
        render.figure_language_note(figure_language(args.lang))
    if args.json:
        documents = [trajectory.to_dict() for trajectory in trajectories]
        if len(documents) > 1:  # the page's shape: the start, then one run per cost
            start = {"w": args.w, "b": args.b, "x": args.x, "y": args.y}
            shared = {"eta": args.eta, "epochs": args.epochs}
            print(json.dumps({**start, **shared, "runs": documents}))
        else:
            print(json.dumps(documents[0]))
        if args.plot is not None:  # stdout is the JSON alone
            print(f"figure written to {args.plot}", file=sys.stderr)
        return EXIT_OK
    for trajectory in trajectories:
        out.print(trajectory_table(trajectory, args.x, args.y))
    if args.plot is not None:
        out.print(f"figure written to {args.plot}")
    return EXIT_OK


def trajectory_table(trajectory: Trajectory, x: float, y: float) -> FittedTable:
    """About ten rows of one neuron's path: epoch, w, b, a, C."""
    epochs = trajectory.epochs
    step = max(1, epochs // 10)
    shown = sorted(set(range(0, epochs + 1, step)) | {epochs})
    table = FittedTable(
        f"one neuron, {trajectory.cost_name}, η = {trajectory.eta:g}, x = {x:g}, y = {y:g}",
        [Column("epoch", key=True), *(Column(name) for name in ("w", "b", "a", "C"))],
    )
    a = trajectory.output[:, 0, 0]
    for t in shown:
        w, b, c = trajectory.w[t, 0, 0], trajectory.b[t, 0], trajectory.cost[t, 0]
        table.add_row(str(t), f"{w:.4f}", f"{b:.4f}", f"{a[t]:.4f}", f"{c:.5f}")
    return table
