"""The experiment commands (neuron, slowdown, saturation, compare): each takes the parsed
arguments, calls ``xentlab.experiments`` (or the neuron), renders, returns an exit code."""

from __future__ import annotations

import argparse
import csv
import io
import json

from rich.console import Console

from .. import neuron
from ..experiments import (
    ARTICLE_STARTS,
    TARGET_ACCURACIES,
    CompareSpec,
    compare,
    saturation_map,
)
from ..experiments import slowdown as slowdown_experiment
from ..files import atomic_write, check_distinct_targets, check_output_target
from ..hints import command_line
from . import render
from .commands import EXIT_OK


def run_neuron(args: argparse.Namespace, out: Console) -> int:
    if args.plot is not None:
        from ..plots import check_figure_target

        check_figure_target(args.plot, force=args.force)
    trajectory = neuron.train(
        args.w, args.b, args.x, args.y, cost=args.cost, eta=args.eta, epochs=args.epochs
    )
    if args.plot is not None:
        from ..plots import save, trajectory_figure

        save(trajectory_figure(trajectory), args.plot, force=args.force)
    if args.json:
        print(json.dumps(trajectory.to_dict()))
        return EXIT_OK
    out.print(render.trajectory_table(trajectory, args.x, args.y))
    if args.plot is not None:
        out.print(f"figure written to {args.plot}")
    return EXIT_OK


def run_slowdown(args: argparse.Namespace, out: Console) -> int:
    from ..plots import check_figure_target, save, slowdown_figure

    check_figure_target(args.out, force=args.force)
    results = slowdown_experiment(epochs=args.epochs, common_eta=args.common_eta)
    save(slowdown_figure(results), args.out, force=args.force)
    for table in render.slowdown_tables(results, args.epochs):
        out.print(table)
    out.print(f"figure written to {args.out}")
    return EXIT_OK


def run_saturation(args: argparse.Namespace, out: Console) -> int:
    from ..plots import check_figure_target, saturation_figure, save

    check_figure_target(args.out, force=args.force)
    grid = saturation_map(
        args.points, args.limit, args.eta, args.epochs, args.x, args.y, args.threshold
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
    check_figure_target(args.out, force=args.force)
    check_output_target(args.json, "data", force=args.force)
    check_output_target(args.csv, "data", force=args.force)
    check_distinct_targets([(args.out, "figure"), (args.json, "data"), (args.csv, "data")])
    with render.RunsProgress(out, len(spec.costs) * len(spec.seeds), spec.epochs) as progress:
        result = compare(spec, observers_for=progress.observers_for)
    out.print(render.compare_table(result, TARGET_ACCURACIES))
    save(compare_figure(result), args.out, force=args.force)
    with atomic_write(args.json, "w", kind="data", force=args.force, encoding="utf-8") as handle:
        json.dump(result.to_dict(), handle, indent=1)
    rows = result.rows()
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    with atomic_write(
        args.csv, "w", kind="data", force=args.force, encoding="utf-8", newline=""
    ) as handle:
        handle.write(text.getvalue())
    out.print(f"figure written to {args.out}; data to {args.json} and {args.csv}")
    return EXIT_OK


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
    with render.RunsProgress(out, len(spec.costs) * len(spec.seeds), spec.epochs) as progress:
        comparison = compare(spec, observers_for=progress.observers_for)
    inputs = ReportInputs(
        slowdown=slowdown_experiment(),
        saturation=saturation_map(),
        comparison=comparison,
        settings={
            "slowdown": "xentlab slowdown (300 epochs, common η 0.15)",
            "saturation": "xentlab saturation (201 x 201, η 0.15, 300 epochs)",
            "compare": command_line(
                ("xentlab", "compare"),
                [("--dataset", dataset), ("--init", spec.init), ("--eta", spec.eta)]
                + [("--epochs", spec.epochs), ("--seeds", spec.seeds)],
            ),
        },
    )
    if args.format == "html":
        write_html(target, inputs, args.lang, force=args.force)
    else:
        figures = write_markdown(target, inputs, args.lang, force=args.force)
        out.print(f"figures written beside it: {', '.join(str(f) for f in figures)}")
    out.print(f"report written to {target}")
    return EXIT_OK
