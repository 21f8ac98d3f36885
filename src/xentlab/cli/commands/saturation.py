"""``xentlab saturation``: the saturation map, the epochs one neuron needs to learn from every
start (w, b) of a grid under both costs (or the contenders named, the linear neuron among them),
drawn as heat maps on one colour scale; a table of the share of starts that are slow."""

from __future__ import annotations

import argparse

import numpy as np
from rich.console import Console

from ... import experiments
from ...experiments import ARTICLE_STARTS, SLOW_EPOCHS, SaturationMap
from ...neuron import NEURON_COSTS
from .. import render
from ..argument_types import costs, path
from ..exit_codes import EXIT_OK
from ..options import add_force, add_language
from ..parser import Subcommands
from ..tables import Column, FittedTable


def add_parser(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "saturation",
        help="the saturation map: epochs until one neuron learns, from every start (w, b)",
        description="Train the article's one-input neuron from every start of a grid of (w, b) "
        "under both costs (or the contenders named, the linear neuron among them) at one "
        "common rate; draw the epochs each start needs as a heat map per contender on one "
        "colour scale, and print the share of starts that are slow.",
    )
    p.add_argument("--points", type=int, default=201, help="grid points along w and along b")
    p.add_argument("--limit", type=float, default=6.0, help="the grid spans [-limit, limit]²")
    p.add_argument("--eta", type=float, default=0.15, help="the rate of every contender")
    p.add_argument(
        "--contenders",
        type=costs,
        default=NEURON_COSTS.values,
        metavar="CONTENDERS",
        help="comma-separated, each a cost and, for a linear neuron (a = z), its output after a "
        "slash: from quadratic, cross-entropy, quadratic/linear (default: "
        "quadratic,cross-entropy); each gets a map of its own",
    )
    p.add_argument("--epochs", type=int, default=300, help="epochs at most")
    p.add_argument("--x", type=float, default=1.0, help="the input")
    p.add_argument("--y", type=float, default=0.0, help="the target, in [0, 1]")
    p.add_argument("--threshold", type=float, default=0.2, help="learnt: |a − y| below this")
    p.add_argument("--out", type=path, default="saturation.png", help="figure: .png/.svg/.pdf")
    add_language(p, "saturation")
    add_force(p)
    p.set_defaults(run=run, command_parser=p)


def run(args: argparse.Namespace, out: Console) -> int:
    from ...plots import check_figure_target, figure_language, saturation_figure, save

    check_figure_target(args.out, force=args.force)
    language = figure_language(args.lang)
    with render.PassesProgress(out, "saturation") as progress:
        grid = experiments.saturation_map(
            args.points,
            args.limit,
            args.eta,
            args.epochs,
            args.x,
            args.y,
            args.threshold,
            progress=progress,
            contenders=args.contenders,
        )
    save(saturation_figure(grid, ARTICLE_STARTS, lang=args.lang), args.out, force=args.force)
    out.print(saturation_summary(grid))
    out.print(f"figure written to {args.out}")
    render.figure_language_note(language)
    return EXIT_OK


def saturation_summary(grid: SaturationMap) -> FittedTable:
    """The fraction of the grid each cost needs more than SLOW_EPOCHS epochs for."""
    points = len(grid.w_values)
    table = FittedTable(
        f"one neuron, x = {grid.x:g}, y = {grid.y:g}, {points} x {points} starts (w, b) in "
        f"[{grid.w_values[0]:g}, {grid.w_values[-1]:g}]², η = {grid.eta:g}: epochs until "
        f"|a − y| < {grid.threshold:g}",
        [
            Column("cost", justify="left", key=True),
            *(
                Column(h)
                for h in (f"> {SLOW_EPOCHS} epochs", "never (within max)", "median epochs")
            ),
        ],
        [f"median: a start that never arrives counts as more than {grid.max_epochs} epochs"],
    )
    for cost, epochs in grid.epochs.items():
        table.add_row(
            cost,
            f"{grid.slow_fraction(cost):.1%}",
            f"{np.mean(epochs < 0):.1%}",
            str(grid.median_epochs(cost)),
        )
    return table
