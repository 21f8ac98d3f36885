"""``xentlab report``: the slowdown, the saturation map and a comparison of the costs inside a
network, with their explanations, and the article's algebra checked by SymPy (where it is
installed), as one self-contained HTML file or as Markdown with PNG figures beside it; each
result with the command that gives it again."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from rich.console import Console

from ... import experiments
from ...experiments import CompareSpec, SaturationMap, SlowdownRun
from ...experiments.derive_choices import sympy_available
from ...files import check_distinct_targets, check_output_target
from ...hints import command_line
from ...report.texts import REPORT_FORMATS
from .. import render
from ..argument_types import path, seeds
from ..exit_codes import EXIT_OK
from ..options import add_data_dir, add_dataset, add_force, add_language
from ..parser import Subcommands


def add_parser(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "report",
        help="one document: the slowdown, the saturation map, a network comparison, the algebra",
        description="Run the article's slowdown experiment, the saturation map and a comparison "
        "of the costs inside a network (MNIST when its files are found, else the embedded "
        "digits), then check the article's algebra with SymPy where it is installed (as "
        "xentlab derive does), and write them with their explanations as one self-contained "
        "HTML file, or as Markdown with PNG figures beside it.",
    )
    p.add_argument("--format", choices=REPORT_FORMATS, default="html", help="html or md")
    add_language(p, "report")
    p.add_argument(
        "--out",
        type=path,
        help="the report's path (default: report.html or report.md); Markdown's figures go "
        "beside it, named after it (report-slowdown.png, ...)",
    )
    add_dataset(p, "default: mnist if found, else digits")
    add_data_dir(p)
    p.add_argument("--epochs", type=int, default=3, help="epochs of each network run")
    p.add_argument("--seeds", type=seeds, default=(1,), help="one run per cost and seed")
    add_force(p)
    p.set_defaults(run=run, command_parser=p)


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
            [
                ("--dataset", spec.dataset),
                ("--data-dir", spec.data_dir),
                ("--init", spec.network.init),
            ]
            + [("--eta", spec.eta), ("--epochs", spec.config.epochs), ("--seeds", spec.seeds)],
        ),
    }


def run(args: argparse.Namespace, out: Console) -> int:
    from ...data import resolve_data_dir
    from ...errors import XentlabError
    from ...plots import figure_language
    from ...report.build import ReportInputs, report_files, write_html, write_markdown

    target = args.out or f"report.{args.format}"
    written = report_files(target, args.format)
    for file, kind in written:
        check_output_target(file, kind, force=args.force)
    check_distinct_targets(written)
    dataset = args.dataset
    if dataset is None:  # MNIST when it is found, else the embedded digits
        try:
            resolve_data_dir("mnist", args.data_dir)
            dataset = "mnist"
        except XentlabError:
            dataset = "digits"
    spec = CompareSpec.of(
        dataset=dataset,
        data_dir=args.data_dir,
        init="saturated",
        eta=0.5,
        epochs=args.epochs,
        seeds=args.seeds,
    )
    out.print(f"running the slowdown, the saturation map and a comparison on {dataset} ...")
    runs = len(spec.costs) * len(spec.seeds)
    with render.RunsProgress(out, runs, spec.config.epochs, "report: the comparison") as progress:
        comparison = experiments.compare(spec, observers_for=progress.observers_for)
    with render.PassesProgress(out, "report: the slowdown") as progress:
        slowdown = experiments.slowdown(progress=progress)
    with render.PassesProgress(out, "report: the saturation map") as progress:
        saturation = experiments.saturation_map(progress=progress)
    settings = report_commands(slowdown, saturation, spec)
    derivations = None
    if sympy_available():
        from ...experiments.derive import derive

        out.print("checking the article's algebra with SymPy ...")
        derivations = derive()
        settings["derive"] = "xentlab derive"
    inputs = ReportInputs(
        slowdown=slowdown,
        saturation=saturation,
        comparison=comparison,
        settings=settings,
        derivations=derivations,
    )
    figures = []
    if args.format == "html":
        write_html(target, inputs, args.lang, force=args.force)
    else:
        figures = write_markdown(target, inputs, args.lang, force=args.force)
    out.print(f"report written to {target}")
    render.figure_language_note(figure_language(args.lang))
    if figures:
        out.print(f"its figures beside it: {', '.join(str(f) for f in figures)}")
    return EXIT_OK
