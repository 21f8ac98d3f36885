"""``xentlab slowdown``: the article's experiment, one sigmoid neuron under both costs (and a
linear neuron under the quadratic cost beside them) from a mild and a saturated start, at the
article's rates and at one common rate; a figure, and a table per setting of when each run's
output falls below 0.5 and 0.2."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from rich.console import Console

from ... import experiments
from ...checks import plural
from ...experiments import OUTPUT_THRESHOLDS, SlowdownRun
from .. import render
from ..argument_types import path
from ..exit_codes import EXIT_OK
from ..options import add_force, add_language
from ..parser import Subcommands
from ..tables import Column, FittedTable


def add_parser(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "slowdown",
        help="the article's experiment: both costs (and the linear neuron) from two starts",
        description="Train one neuron (x = 1, y = 0) from (w, b) = (0.6, 0.9) and (2.0, 2.0) "
        "under both costs, at the article's rates (quadratic 0.15, cross-entropy 0.005) and at "
        "one common rate, and beside them a linear neuron (a = z) under the quadratic cost at "
        "0.15; write a figure and print when each run's output falls below 0.5 and 0.2.",
    )
    p.add_argument("--epochs", type=int, default=300, help="epochs ≥ 1")
    p.add_argument("--common-eta", type=float, default=0.15, help="the rate used for every run")
    p.add_argument("--out", type=path, default="slowdown.png", help="figure: .png/.svg/.pdf")
    add_language(p, "slowdown")
    add_force(p)
    p.set_defaults(run=run, command_parser=p)


def run(args: argparse.Namespace, out: Console) -> int:
    from ...plots import check_figure_target, figure_language, save, slowdown_figure

    check_figure_target(args.out, force=args.force)
    language = figure_language(args.lang)
    with render.PassesProgress(out, "slowdown") as progress:
        results = experiments.slowdown(
            epochs=args.epochs, common_eta=args.common_eta, progress=progress
        )
    save(slowdown_figure(results, lang=args.lang), args.out, force=args.force)
    for table in slowdown_tables(results, args.epochs):
        out.print(table)
    out.print(f"figure written to {args.out}")
    render.figure_language_note(language)
    return EXIT_OK


def epoch_or_never(epoch: int | None, epochs: int) -> str:
    return f"not within {epochs}" if epoch is None else str(epoch)


def slowdown_tables(runs: Sequence[SlowdownRun], epochs: int) -> list[FittedTable]:
    """One table per setting (the article's rates, one common rate); on 80 columns each is
    two, the output's epochs then the cost's, beside the same cost, η and start. The legend,
    under the last, says what the cost's columns measure."""
    titles = {"article": "at the article's rates", "common": "at one common rate"}
    columns = [
        Column("cost", justify="left", key=True),
        Column("η", key=True),
        Column("start (w, b)", key=True),
        Column("a(0)"),
        *(Column(f"first a < {th:g}") for th in OUTPUT_THRESHOLDS),
        Column("ΔC epoch 1"),
        Column("steepest at"),
        Column("final C"),
    ]
    legend = [
        "ΔC epoch 1: C(1) − C(0), the change of the cost in the first epoch; steepest at: "
        "the epoch t where C(t + 1) − C(t) is most negative, where the cost falls fastest"
    ]
    tables = []
    for setting, title in titles.items():
        table = FittedTable(
            f"one neuron, x = 1, y = 0, {plural(epochs, 'epoch')}, {title}",
            columns,
            legend if setting == "common" else (),
        )
        for run in (r for r in runs if r.setting == setting):
            table.add_row(
                run.cost,
                f"{run.eta:g}",
                f"({run.w0:g}, {run.b0:g})",
                f"{run.epoch_output[0]:.3f}",
                *(epoch_or_never(run.first_below[th], epochs) for th in OUTPUT_THRESHOLDS),
                f"{run.initial_slope:+.2e}",
                f"epoch {run.steepest_epoch}",
                f"{run.epoch_cost[-1]:.4f}",
            )
        tables.append(table)
    return tables
