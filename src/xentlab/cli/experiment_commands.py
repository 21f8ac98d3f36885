"""The experiment commands (neuron, slowdown, saturation, compare): each takes the parsed
arguments, calls ``xentlab.experiments`` (or the neuron), renders, returns an exit code."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence

from rich.console import Console

from .. import neuron
from ..experiments import (
    ARTICLE_STARTS,
    TARGET_ACCURACIES,
    CompareSpec,
    SaturationMap,
    SlowdownRun,
    compare,
    saturation_map,
)
from ..experiments import slowdown as slowdown_experiment
from ..files import atomic_write, beside, check_distinct_targets, check_output_target
from ..hints import command_line
from . import render
from .commands import EXIT_OK


def run_neuron(args: argparse.Namespace, out: Console) -> int:
    if args.plot is not None:
        from ..plots import check_figure_target

        check_figure_target(args.plot, force=args.force)
    # JSON on stdout is data: its progress, if any, goes to stderr
    shown_on = (
        Console(stderr=True, highlight=False, markup=False, soft_wrap=True) if args.json else out
    )
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
                progress=neuron.pass_progress(progress, f"{cost}, η = {args.eta:g}"),
            )
            for cost in neuron.costs_of(args.cost)
        ]
    if args.plot is not None:
        from ..plots import neuron_figure, save

        save(neuron_figure(trajectories), args.plot, force=args.force)
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
        out.print(render.trajectory_table(trajectory, args.x, args.y))
    if args.plot is not None:
        out.print(f"figure written to {args.plot}")
    return EXIT_OK


def run_slowdown(args: argparse.Namespace, out: Console) -> int:
    from ..plots import check_figure_target, save, slowdown_figure

    check_figure_target(args.out, force=args.force)
    with render.PassesProgress(out, "slowdown") as progress:
        results = slowdown_experiment(
            epochs=args.epochs, common_eta=args.common_eta, progress=progress
        )
    save(slowdown_figure(results), args.out, force=args.force)
    for table in render.slowdown_tables(results, args.epochs):
        out.print(table)
    out.print(f"figure written to {args.out}")
    return EXIT_OK


def run_saturation(args: argparse.Namespace, out: Console) -> int:
    from ..plots import check_figure_target, saturation_figure, save

    check_figure_target(args.out, force=args.force)
    with render.PassesProgress(out, "saturation") as progress:
        grid = saturation_map(
            args.points,
            args.limit,
            args.eta,
            args.epochs,
            args.x,
            args.y,
            args.threshold,
            progress=progress,
        )
    save(saturation_figure(grid, ARTICLE_STARTS), args.out, force=args.force)
    out.print(render.saturation_summary(grid))
    out.print(f"figure written to {args.out}")
    return EXIT_OK


def run_compare(args: argparse.Namespace, out: Console) -> int:
    from ..plots import check_figure_target, compare_figure, save

    spec = CompareSpec(
        costs=args.costs,
        eta=args.eta,
        dataset=args.dataset,
        data_dir=args.data_dir,
        sizes=args.sizes,
        init=args.init,
        dtype=args.dtype,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seeds=args.seeds,
        probe_every=args.probe_every,
        kernel=args.kernel,
    )
    spec.check()
    # The data go beside the figure, named after it, unless given a place of their own.
    json_path = args.json if args.json is not None else beside(args.out, ".json")
    csv_path = args.csv if args.csv is not None else beside(args.out, ".csv")
    check_figure_target(args.out, force=args.force)
    check_output_target(json_path, "data", force=args.force)
    check_output_target(csv_path, "data", force=args.force)
    check_distinct_targets([(args.out, "figure"), (json_path, "data"), (csv_path, "data")])
    runs = len(spec.costs) * len(spec.seeds)
    with render.RunsProgress(out, runs, spec.epochs, "compare") as progress:
        result = compare(spec, observers_for=progress.observers_for)
    out.print(render.compare_table(result, TARGET_ACCURACIES))
    save(compare_figure(result), args.out, force=args.force)
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
    return EXIT_OK


def report_commands(
    slowdown: Sequence[SlowdownRun], saturation: SaturationMap, spec: CompareSpec
) -> dict[str, str]:
    """The command that gives each of a report's results again, read off the results themselves
    (so a command is never a description of other settings), with every option it needs: the
    comparison's data folder included."""
    epochs = len(slowdown[0].epoch_cost) - 1
    common_eta = next(run.eta for run in slowdown if run.setting == "common")
    return {
        "slowdown": command_line(
            ("xentlab", "slowdown"), [("--epochs", epochs), ("--common-eta", common_eta)]
        ),
        "saturation": command_line(
            ("xentlab", "saturation"),
            [
                ("--points", len(saturation.w_values)),
                ("--limit", float(saturation.w_values[-1])),
                ("--eta", saturation.eta),
                ("--epochs", saturation.max_epochs),
            ],
        ),
        "compare": command_line(
            ("xentlab", "compare"),
            [("--dataset", spec.dataset), ("--data-dir", spec.data_dir), ("--init", spec.init)]
            + [("--eta", spec.eta), ("--epochs", spec.epochs), ("--seeds", spec.seeds)],
        ),
    }


def run_report(args: argparse.Namespace, out: Console) -> int:
    from ..data import resolve_data_dir
    from ..errors import XentlabError
    from ..report.build import ReportInputs, report_files, write_html, write_markdown

    target = args.out or f"report.{args.format}"
    written = report_files(target, args.format)
    for path, kind in written:
        check_output_target(path, kind, force=args.force)
    check_distinct_targets(written)
    dataset = args.dataset
    if dataset is None:  # MNIST when it is found, else the embedded digits
        try:
            resolve_data_dir("mnist", args.data_dir)
            dataset = "mnist"
        except XentlabError:
            dataset = "digits"
    spec = CompareSpec(
        dataset=dataset,
        data_dir=args.data_dir,
        init="saturated",
        eta=0.5,
        epochs=args.epochs,
        seeds=args.seeds,
    )
    spec.check()
    out.print(f"running the slowdown, the saturation map and a comparison on {dataset} ...")
    runs = len(spec.costs) * len(spec.seeds)
    with render.RunsProgress(out, runs, spec.epochs, "report: the comparison") as progress:
        comparison = compare(spec, observers_for=progress.observers_for)
    with render.PassesProgress(out, "report: the slowdown") as progress:
        slowdown = slowdown_experiment(progress=progress)
    with render.PassesProgress(out, "report: the saturation map") as progress:
        saturation = saturation_map(progress=progress)
    inputs = ReportInputs(
        slowdown=slowdown,
        saturation=saturation,
        comparison=comparison,
        settings=report_commands(slowdown, saturation, spec),
    )
    figures = []
    if args.format == "html":
        write_html(target, inputs, args.lang, force=args.force)
    else:
        figures = write_markdown(target, inputs, args.lang, force=args.force)
    out.print(f"report written to {target}")
    if figures:
        out.print(f"its figures beside it: {', '.join(str(f) for f in figures)}")
    return EXIT_OK
