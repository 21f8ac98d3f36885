"""The sweep command: the grid from the options, a sweep file or the book; the sweep run by
``xentlab.sweeps`` with a progress bar; then the table, its CSV and JSON, and the figure."""

from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console

from .. import runs, sweeps
from ..checks import plural
from ..errors import XentlabError
from ..files import check_output_target
from ..hints import command_line
from . import render, text
from .commands import EXIT_INTERRUPTED, EXIT_OK, signals_request_stop

# The options that set an axis of the grid (each option's dest is the axis's name).
GRID_OPTIONS = (
    *("cost", "eta", "lmbda", "regularization", "hidden"),
    *("init", "batch_size", "epochs", "seed", "dtype"),
)
# A sweep given only by options compares the costs over three seeds unless told otherwise.
OPTIONS_DEFAULTS = {"cost": ("quadratic", "cross-entropy"), "seed": (1, 2, 3)}
DEFAULT_OUT, BOOK_OUT = "xentlab-sweep", "xentlab-book"
FIGURE_NAME = "sweep.png"


def sweep_spec(args: argparse.Namespace) -> sweeps.SweepSpec:
    """The sweep the arguments describe: a file's or the book's, with the grid options given
    replacing its values; or the grid options alone."""
    given = {axis: getattr(args, axis) for axis in GRID_OPTIONS if getattr(args, axis) is not None}
    if args.book and args.file is not None:
        raise XentlabError("give a sweep file or --book, not both")
    if args.book:
        return sweeps.book_spec().overridden(given, args.dataset)
    if args.file is not None:
        return sweeps.read_sweep_file(args.file).overridden(given, args.dataset)
    return sweeps.SweepSpec.from_axes({**OPTIONS_DEFAULTS, **given}, args.dataset)


def run_sweep(args: argparse.Namespace, out: Console) -> int:
    spec = sweep_spec(args)
    points = spec.points()
    try:
        sweeps.check_size(len(points), args.yes)
    except sweeps.SweepTooLarge as exc:
        raise XentlabError(f"{exc}: add --yes to run it all, or narrow the grid") from None
    folder = args.out or (BOOK_OUT if args.book else DEFAULT_OUT)
    figure = args.figure or os.path.join(folder, FIGURE_NAME)
    from ..plots import book_figure, figure_format, save, sweep_figure

    figure_format(figure)  # a figure that could not be written is refused now, not at the end
    check_outputs(folder, figure, args.force)
    stop = runs.StopRequest()
    with (
        signals_request_stop(stop.request) as received,
        render.SweepProgress(out, folder, sweeps.varying(points)) as progress,
    ):
        result = sweeps.run_sweep(
            spec,
            folder,
            data_dir=args.data_dir,
            scheduler=args.scheduler,
            workers=args.workers,
            connect_timeout=args.connect_timeout,
            confirmed=True,
            observers=[progress],
            stop=stop,
        )
    if result.stopped:
        same = command_line(
            args.command_parser.prog.split(), text.given_arguments(args, args.command_parser)
        )
        print(text.one_line(render.sweep_stopped_message(result, same)), file=sys.stderr)
        return 128 + received[0] if received else EXIT_INTERRUPTED
    table = sweeps.summarise(result.in_order())
    out.print(render.sweep_table(table, spec.dataset))
    book = sweeps.book_rows(list(result.points), result.records) if args.book else None
    if book is not None:
        out.print(render.book_table(book))
    for record in result.in_order():
        for warning in record.warnings:
            text.warning_line(f"run {record.id} ({record.point.describe()}): {warning}")
    for warning in sweeps.data_disagreements(result.in_order()):
        text.warning_line(warning)
    csv_path, json_path = sweeps.write_summary(table, folder, force=args.force)
    save(sweep_figure(table) if book is None else book_figure(book), figure, force=args.force)
    written = sweeps.SweepFolder(folder)
    out.print(
        f"the sweep described in {written.index}; {plural(len(result.records), 'result file')} "
        f"in {written.runs}; the table in {csv_path} and {json_path}; the figure in {figure}"
    )
    return EXIT_OK


def check_outputs(folder: str, figure: str, force: bool) -> None:
    """Refuse now, not after the sweep, a file of the user's where the summary or the figure
    would go. Those inside a sweep folder not made yet are checked with the folder (the sweep
    makes it, and it may hold nothing but the sweep's)."""
    for path, kind in (*((p, "data") for p in sweeps.summary_paths(folder)), (figure, "figure")):
        if os.path.isdir(os.path.dirname(path) or "."):
            check_output_target(path, kind, force=force)
