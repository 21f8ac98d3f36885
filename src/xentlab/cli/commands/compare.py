"""``xentlab compare``: one network trained under each contender (a cost, and its output where
that is not the cost's own: quadratic/linear) from the same start and the same mini-batches
(per seed), probed as it learns; a table of the mini-batches each needs to reach 50, 80 and 90%
validation accuracy, the figure and, beside it, the data (JSON, CSV)."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Sequence

import numpy as np
from rich.console import Console

from ... import experiments, settings
from ...checks import plural
from ...experiments import TARGET_ACCURACIES, CompareResult, CompareSpec
from ...experiments.compare import BY_RUN
from ...files import atomic_write, beside, check_distinct_targets, check_output_target
from ...functions import PAIRED_COSTS
from ...runs import DEFAULT_DATASET, DEFAULT_HIDDEN
from .. import render
from ..argument_types import costs, etas, path, seeds, sizes
from ..exit_codes import EXIT_OK
from ..options import add_data_dir, add_dataset, add_force, add_language
from ..parser import Subcommands
from ..setting_options import add_setting_options, setting_values
from ..tables import Column, FittedTable
from ..text import warning_line

COMPARE = CompareSpec.of()  # compare's defaults, as the experiment declares them
COMPARE_DEFAULTS = settings.document(COMPARE.network, COMPARE.config)


def add_parser(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "compare",
        help="train one network under each cost from the same start and watch it learn",
        description="Train the same network under several contenders (a cost, and its output "
        "where that is not the cost's own: quadratic/linear) from identical initial weights "
        "and the identical order of mini-batches (per seed), probing it every few mini-batches "
        "of the first epochs: validation accuracy, cost, the output layer's saturation and the "
        "per-layer gradients. Prints how many mini-batches each contender needs to reach 50, 80 "
        "and 90% validation accuracy; writes a figure and, beside it, the data (JSON, CSV).",
    )
    p.add_argument(
        "--contenders",
        dest="costs",
        type=costs,
        default=COMPARE.costs,
        metavar="CONTENDERS",
        help="comma-separated, each a cost and, where it is not the cost's own, its output "
        f"after a slash: from {', '.join(cost.label for cost in PAIRED_COSTS)}",
    )
    # the option's first name, kept (an error names --contenders, declared first); the same
    # default, so that a hint tells a value given from one left out
    p.add_argument(
        "--costs",
        dest="costs",
        type=costs,
        default=COMPARE.costs,
        metavar="CONTENDERS",
        help="the same as --contenders",
    )
    p.add_argument(
        "--eta",
        type=etas,
        default=COMPARE.eta,
        help="one rate for all, or per contender: quadratic=3,cross-entropy=0.5",
    )
    add_dataset(p, "the data", default=DEFAULT_DATASET)
    add_data_dir(p)
    p.add_argument(
        "--sizes", type=sizes, help=f"layer sizes (default: inputs,{DEFAULT_HIDDEN},classes)"
    )
    # cost, output, η and seed are set run by run, by --contenders, --eta and --seeds
    add_setting_options(p, "compare", defaults=COMPARE_DEFAULTS, skip=BY_RUN)
    p.add_argument(
        "--seeds",
        type=seeds,
        default=COMPARE.seeds,
        help="one run per contender and seed: 1,2,3 or 1-3",
    )
    p.add_argument(
        "--probe-every",
        type=int,
        default=COMPARE.probe_every,
        help=f"probe every N mini-batches in the first {COMPARE.fine_epochs} epochs (then every "
        "epoch)",
    )
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
    add_language(p, "compare")
    add_force(p)
    p.set_defaults(run=run, command_parser=p)


def run(args: argparse.Namespace, out: Console) -> int:
    from ...plots import check_figure_target, compare_figure, figure_language, save

    spec = CompareSpec.of(
        **setting_values(args, "compare", skip=BY_RUN),
        costs=args.costs,
        eta=args.eta,
        dataset=args.dataset,
        data_dir=args.data_dir,
        sizes=args.sizes,
        seeds=args.seeds,
        probe_every=args.probe_every,
    )
    # The data go beside the figure, named after it, unless given a place of their own.
    json_path = args.json if args.json is not None else beside(args.out, ".json")
    csv_path = args.csv if args.csv is not None else beside(args.out, ".csv")
    check_figure_target(args.out, force=args.force)
    check_output_target(json_path, "data", force=args.force)
    check_output_target(csv_path, "data", force=args.force)
    check_distinct_targets([(args.out, "figure"), (json_path, "data"), (csv_path, "data")])
    language = figure_language(args.lang)
    runs = len(spec.costs) * len(spec.seeds)
    with render.RunsProgress(out, runs, spec.config.epochs, "compare") as progress:
        result = experiments.compare(spec, observers_for=progress.observers_for)
    out.print(compare_table(result, TARGET_ACCURACIES))
    for run in result.runs:
        for warning in run.warnings:
            warning_line(f"{run.cost}, seed {run.seed}: {warning}")
    save(compare_figure(result, lang=args.lang), args.out, force=args.force)
    with atomic_write(json_path, "w", kind="data", force=args.force, encoding="utf-8") as handle:
        json.dump(result.to_dict(), handle, indent=1)
    rows = result.rows()
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    with atomic_write(
        csv_path, "w", kind="data", force=args.force, encoding="utf-8", newline=""
    ) as handle:
        handle.write(text.getvalue())
    out.print(f"figure written to {args.out}; data to {json_path} and {csv_path}")
    render.figure_language_note(language)
    return EXIT_OK


def compare_table(result: CompareResult, accuracies: Sequence[float]) -> FittedTable:
    """A column for each cost: its η, the mini-batches (and epochs) it needed to reach each
    validation accuracy, median over seeds, and how many times the fastest cost's count that
    is (a censored median: seeds that fall short count as needing more); then its test
    accuracy. The legend says what ×N and "> N" mean."""
    spec = result.spec
    seeds = len(spec.seeds)
    median = ", median over the seeds" if seeds > 1 else ""
    per_epoch = result.runs[0].per_epoch
    budget = spec.config.epochs * per_epoch
    cells: dict[str, list[str]] = {cost: [f"{spec.eta_of(cost):g}"] for cost in spec.costs}
    ratios = censored = False
    for accuracy in accuracies:
        needed = {cost: result.batches_to_reach(cost, accuracy) for cost in spec.costs}
        # ×N only where the fastest cost's median is known exactly and no other is below it
        exact = [m.value for m in needed.values() if not m.exceeds]
        known = bool(exact) and all(m.value >= min(exact) for m in needed.values())
        for cost, batches in needed.items():
            if batches.exceeds:
                censored = True
                cells[cost].append(f"{batches} (> {batches.value / per_epoch:.2f} epochs)")
                continue
            ratio = ""
            if len(exact) > 1 and min(exact) and known:
                ratio, ratios = f", ×{batches.value / min(exact):.1f}", True
            cells[cost].append(f"{batches} ({batches.value / per_epoch:.2f} epochs{ratio})")
    for cost in spec.costs:
        cells[cost].append(f"{np.median([run.test_accuracy for run in result.of(cost)]):.2%}")
    legend = []
    if ratios:
        legend.append("×N: N times the mini-batches the fastest cost needed for that accuracy")
    if seeds > 1:
        legend.append(
            f"a seed that does not reach an accuracy within its {budget:,} mini-batches counts "
            "as needing more"
        )
    if censored:
        legend.append(
            "> N: the median is known only to exceed N"
            if seeds > 1
            else "> N: not reached within N mini-batches"
        )
    legend.append(f"test accuracy: after the last epoch{median}")
    table = FittedTable(
        f"{list(result.layer_sizes)} on {spec.dataset}, init {spec.network.init}, mini-batch "
        f"{spec.config.batch_size}, {plural(seeds, 'seed')}: mini-batches to reach a validation "
        f"accuracy{median}",
        [
            Column("", justify="left", key=True, breaks=" "),
            *(Column(cost, breaks=" (") for cost in spec.costs),  # the count above its epochs
        ],
        legend,
    )
    labels = ["η", *(f"{accuracy:.0%}" for accuracy in accuracies), "test accuracy"]
    for i, label in enumerate(labels):
        table.add_row(label, *(cells[cost][i] for cost in spec.costs))
    return table
