"""``xentlab sweep``: the grid from the options, a sweep file or the book; the sweep run by
``xentlab.sweeps`` with a progress bar; then the table, its CSV and JSON, and the figure."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from rich.console import Console

from ... import runs, sweeps
from ...checks import plural
from ...errors import XentlabError
from ...files import check_output_target
from ...hints import command_line
from ...runs import DEFAULT_DATASET
from ...sweeps import (
    CONFIRM_ABOVE,
    CONNECT_TIMEOUT,
    LABELS,
    BookRow,
    RunRecord,
    SweepResult,
    SweepTable,
    describe_fixed,
    show_value,
)
from .. import progress, render, text
from ..argument_types import path
from ..exit_codes import EXIT_INTERRUPTED, EXIT_OK
from ..options import DATA_DIR_HELP, add_dataset, add_force, add_language
from ..parser import Subcommands
from ..setting_options import add_setting_options, setting_values
from ..signals import signals_request_stop
from ..tables import Column, FittedTable

# A sweep given only by options compares the costs over three seeds unless told otherwise.
OPTIONS_DEFAULTS = {"cost": ("quadratic", "cross-entropy"), "seed": (1, 2, 3)}
DEFAULT_OUT, BOOK_OUT = "xentlab-sweep", "xentlab-book"
FIGURE_NAME = "sweep.png"


def add_parser(subcommands: Subcommands) -> None:
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
    without_file = {"cost": "quadratic,cross-entropy without a file", "seed": "1-3 without a file"}
    add_setting_options(grid, "sweep", many=True, shown_defaults=without_file)
    add_dataset(p, f"the data (default: {DEFAULT_DATASET})")
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
    add_language(p, "sweep")
    add_force(p)
    p.set_defaults(run=run, command_parser=p)


def sweep_spec(args: argparse.Namespace) -> sweeps.SweepSpec:
    """The sweep the arguments describe: a file's or the book's, with the grid options given
    replacing its values; or the grid options alone."""
    given = setting_values(args, "sweep")
    if args.book and args.file is not None:
        raise XentlabError("give a sweep file or --book, not both")
    if args.book:
        return sweeps.book_spec().overridden(given, args.dataset)
    if args.file is not None:
        return sweeps.read_sweep_file(args.file).overridden(given, args.dataset)
    return sweeps.SweepSpec.from_axes({**OPTIONS_DEFAULTS, **given}, args.dataset)


def run(args: argparse.Namespace, out: Console) -> int:
    spec = sweep_spec(args)
    points = spec.points()
    try:
        sweeps.check_size(len(points), args.yes)
    except sweeps.SweepTooLarge as exc:
        raise XentlabError(f"{exc}: add --yes to run it all, or narrow the grid") from None
    folder = args.out or (BOOK_OUT if args.book else DEFAULT_OUT)
    figure = args.figure or os.path.join(folder, FIGURE_NAME)
    from ...plots import book_figure, figure_format, figure_language, save, sweep_figure

    figure_format(figure)  # a figure that could not be written is refused now, not at the end
    language = figure_language(args.lang)
    check_outputs(folder, figure, args.force)
    stop = runs.StopRequest()
    with (
        signals_request_stop(stop.request) as received,
        SweepProgress(out, folder, sweeps.varying(points)) as sweep_progress,
    ):
        result = sweeps.run_sweep(
            spec,
            folder,
            data_dir=args.data_dir,
            scheduler=args.scheduler,
            workers=args.workers,
            connect_timeout=args.connect_timeout,
            confirmed=True,
            observers=[sweep_progress],
            stop=stop,
        )
    if result.stopped:
        same = command_line(
            args.command_parser.prog.split(), text.given_arguments(args, args.command_parser)
        )
        print(text.one_line(sweep_stopped_message(result, same)), file=sys.stderr)
        return 128 + received[0] if received else EXIT_INTERRUPTED
    table = sweeps.summarise(result.in_order())
    out.print(sweep_table(table, spec.dataset))
    book = sweeps.book_rows(list(result.points), result.records) if args.book else None
    if book is not None:
        out.print(book_table(book))
    for record in result.in_order():
        for warning in record.warnings:
            text.warning_line(f"run {record.id} ({record.point.describe()}): {warning}")
    for warning in sweeps.data_disagreements(result.in_order()):
        text.warning_line(warning)
    csv_path, json_path = sweeps.write_summary(table, folder, force=args.force)
    drawn = sweep_figure(table, args.lang) if book is None else book_figure(book, args.lang)
    save(drawn, figure, force=args.force)
    written = sweeps.SweepFolder(folder)
    out.print(
        f"the sweep described in {written.index}; {plural(len(result.records), 'result file')} "
        f"in {written.runs}; the table in {csv_path} and {json_path}; the figure in {figure}"
    )
    render.figure_language_note(language)
    return EXIT_OK


def check_outputs(folder: str, figure: str, force: bool) -> None:
    """Refuse now, not after the sweep, a summary or figure that could not be written: a
    folder missing, a folder where the file would go, a file of the user's. A file directly
    inside a sweep folder not made yet is checked with the folder (the sweep makes it, and it
    may hold nothing but the sweep's); anywhere else its folder must exist now."""
    for file, kind in (*((p, "data") for p in sweeps.summary_paths(folder)), (figure, "figure")):
        parent = os.path.dirname(file) or "."
        made_by_the_sweep = os.path.abspath(parent) == os.path.abspath(folder)
        if os.path.isdir(parent) or not made_by_the_sweep:
            check_output_target(file, kind, force=force)


class SweepProgress:
    """A sweep's progress: a line as it starts and as each run finishes, and between them the
    runs finished of all (a bar, or a line every so often where the output is not a
    terminal)."""

    def __init__(self, out: Console, folder: str, varying: Sequence[str]) -> None:
        self.out, self.folder, self.varying = out, folder, list(varying)
        self.display = progress.display(out, "sweep")
        self.task: progress.Task | None = None
        self.finished = 0

    def __enter__(self) -> SweepProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.display.stop()

    def on_start(self, total: int, done: int, cluster: str) -> None:
        already = f", {done} already done in {self.folder}" if done else ""
        rest = f"; {total - done} to run on {cluster}" if done < total else ": nothing to run"
        self.out.print(f"sweep of {plural(total, 'run')}{already}{rest}")
        self.display.start()  # only now: a sweep refused before it starts shows no bar
        self.finished = done
        self.task = self.display.add("", total, progress.RUNS, completed=done, announced=False)

    def on_run(self, record: RunRecord) -> None:
        self.finished += 1
        if self.task is not None:
            self.task.update(self.finished)
        outcome = (
            f"test accuracy {record.test_accuracy:.2%}"
            if record.test_accuracy is not None
            else "diverged"
        )
        seconds = record.seconds.get("train", 0.0)
        self.out.print(
            f"{outcome}  {record.point.describe(self.varying)}  ({seconds:.1f} s, {record.worker})"
        )


def sweep_stopped_message(result: SweepResult, same_command: str) -> str:
    """Where a stopped sweep stands, and how to continue it: ``same_command``, last on the line
    so that it can be copied whole."""
    return (
        f"interrupted: {len(result.records)} of {plural(len(result.points), 'run')} finished "
        f"and kept in {result.folder.path}; run the same command again to continue: "
        f"{same_command}"
    )


def _accuracy(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def sweep_table(table: SweepTable, dataset: str) -> FittedTable:
    """Each setting's test accuracy over its seeds, mean ± sd; the best marked. The settings
    that vary are the keys, repeated in each part if the table is split to fit; the results
    come first, the seeds (when settings differ in them) and the time last."""
    seeds = max((len(row.seeds) for row in table.rows), default=0)
    any_diverged = any(row.diverged for row in table.rows)
    uneven_seeds = len({len(row.seeds) for row in table.rows}) > 1  # else the title says it
    words = {k for k in table.varying if table.rows and isinstance(table.rows[0].setting[k], str)}
    columns = [
        Column(LABELS.get(key, key), "left" if key in words else "right", key=True)
        for key in table.varying
    ]
    columns += [Column("test accuracy"), Column(""), Column("min - max", breaks="- ")]
    columns += [Column("diverged")] if any_diverged else []
    columns += [Column("seeds")] if uneven_seeds else []
    columns.append(Column("s per run"))
    result = FittedTable(
        f"test accuracy after the last epoch, mean ± sd over {plural(seeds, 'seed')}: "
        f"{describe_fixed(table)}",
        columns,
    )
    for row in table.rows:
        mean = _accuracy(row.mean)
        sd = f" ± {row.sd:.2%}" if row.sd is not None else ""
        finished = row.finished
        spread = f"{min(finished):.2%} - {max(finished):.2%}" if finished else "-"
        seconds = sum(row.seconds) / len(row.seconds) if row.seconds else 0.0
        cells = [show_value(key, row.setting[key]) for key in table.varying]
        cells += [mean + sd, "◀ best" if row.best else "", spread]
        if any_diverged:
            cells.append(f"{row.diverged} of {len(row.seeds)}" if row.diverged else "")
        if uneven_seeds:
            cells.append(str(len(row.seeds)))
        cells.append(f"{seconds:.2g}")
        result.add_row(*cells)
    return result


def book_table(rows: Sequence[BookRow]) -> FittedTable:
    """The book's figures beside xentlab's: the median over seeds, and each seed's."""
    first = next((p for row in rows for p in row.points), None)
    where = (
        f"{first.dataset}, {plural(first.config.epochs, 'epoch')}, mini-batch "
        f"{first.config.batch_size}, init {first.init}"
        if first is not None
        else "no runs"
    )
    table = FittedTable(
        f"the book's results and xentlab's ({where}): test accuracy after the last epoch",
        [
            Column("network", key=True),
            Column("cost", justify="left", key=True),
            Column("η", key=True),
            Column("xentlab (median)"),
            Column("seeds", justify="left"),
            Column("book", breaks=" ("),
        ],
    )
    for row in rows:
        sizes = row.points[0].sizes if row.points else ()
        seeds = "\n".join(  # one seed a line
            f"{p.seed}: {_accuracy(a)}" for p, a in zip(row.points, row.accuracies, strict=True)
        )
        table.add_row(
            show_value("sizes", sizes),
            row.book.cost,
            f"{row.book.eta:g}",
            _accuracy(row.median),
            seeds,
            f"{row.book.accuracy:.2%} ({row.book.where})",
        )
    return table
