"""How results look in a terminal: tables, one-line summaries (rich) and the progress of long
work, which every renderer here shows through ``progress.display``: bars on a terminal, plain
lines elsewhere."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from rich.console import Console

from ..checks import plural
from ..experiments import (
    OUTPUT_THRESHOLDS,
    SLOW_EPOCHS,
    CompareResult,
    SaturationMap,
    SlowdownRun,
)
from ..neuron import Trajectory
from ..runs import DEFAULT_INIT, Evaluation, Run, RunResult
from ..sweeps import (
    LABELS,
    BookRow,
    RunRecord,
    SweepResult,
    SweepTable,
    describe_fixed,
    show_value,
)
from ..training import EpochRecord, TrainState, stall_warning
from . import progress
from .tables import Column, FittedTable
from .text import warning_line


def epoch_or_never(epoch: int | None, epochs: int) -> str:
    return f"not within {epochs}" if epoch is None else str(epoch)


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


def run_header(run: Run) -> str:
    """What is about to be trained, on one line."""
    network, config = run.state.network, run.state.config
    if run.resumed and run.state.finished:  # nothing to resume: say where the run ended
        verb = f"{run.spec.resume}, finished after {plural(run.state.epoch, 'epoch')}"
    elif run.resumed:
        verb = f"resuming {run.spec.resume} at epoch {run.state.epoch + 1}"
    elif run.spec.start_from is not None:
        verb = f"training from {run.spec.start_from}"
    else:
        verb = "training"
    return (
        f"{verb}: {list(network.sizes)} on {run.data_info['dataset']} ({len(run.training.X)} "
        f"training, {len(run.validation.X)} validation images), {network.cost.name}, "
        f"η = {config.eta:g}, λ = {config.lmbda:g}, mini-batch {config.batch_size}, "
        f"seed {config.seed}, {run.kernel} kernel"
    )


def run_title(run: Run) -> str:
    """A run's settings in a few words, for a figure's title."""
    network, config = run.state.network, run.state.config
    if run.resumed:
        init = ""
    elif run.spec.start_from is not None:
        init = f", from {os.path.basename(run.spec.start_from)}"
    else:
        init = f", init {run.spec.init or DEFAULT_INIT}"
    lmbda = f", λ = {config.lmbda:g} ({config.regularization})" if config.lmbda else ""
    return (
        f"{list(network.sizes)} on {run.data_info['dataset']}, {network.cost.name}, "
        f"η = {config.eta:g}{lmbda}, mini-batch {config.batch_size}, seed {config.seed}{init}"
    )


def run_summary(result: RunResult) -> str:
    """How a finished run did, on one line."""
    history = result.history
    best = history.best_evaluation_accuracy
    return (
        f"done after {plural(result.state.epoch, 'epoch')}"
        + (f" ({history.stop_reason})" if history.stop_reason else "")
        + (f": best validation accuracy {best:.2%}, " if best is not None else ": ")
        + f"test accuracy {result.test_accuracy:.2%}"
    )


def stopped_message(result: RunResult, resume_command: str) -> str:
    """Where a stopped run stands, and how to continue it: ``resume_command``, last on the line
    so that it can be copied whole."""
    where = f"interrupted at epoch {result.state.epoch + 1}, mini-batch {result.state.batch}"
    if result.checkpoint is None:
        return f"{where}; not saved"
    return f"{where}; saved to {result.checkpoint}; continue with: {resume_command}"


def confusion_table(evaluation: Evaluation) -> FittedTable:
    classes = len(evaluation.confusion)
    table = FittedTable(
        "confusion matrix: rows true class, columns predicted",
        [Column("true", key=True), *(Column(str(c)) for c in range(classes))],
    )
    for t in range(classes):
        table.add_row(str(t), *(str(v) for v in evaluation.confusion[t]))
    return table


def label_counts(labels: np.ndarray) -> str:
    values, counts = np.unique(labels, return_counts=True)
    return ", ".join(f"{v}: {c}" for v, c in zip(values, counts, strict=True))


class EpochProgress:
    """Renders training progress: how far each epoch is (a bar, or a line every so often where
    the output is not a terminal), then one line per epoch."""

    def __init__(self, out: Console, epochs: int, label: str = "train") -> None:
        self.out, self.epochs = out, epochs
        self.display = progress.display(out, label)
        self.task: progress.Task | None = None
        self.warned = False  # a stall is said once

    def __enter__(self) -> EpochProgress:
        self.display.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.display.stop()

    def on_batches(self, state: TrainState, done: int, total: int) -> None:
        if self.task is None:  # the epoch's line says when it ends: no line of its own
            self.task = self.display.add(
                f"epoch {state.epoch + 1} of {self.epochs}",
                total,
                progress.MINI_BATCHES,
                announced=False,
            )
        self.task.update(done, total)

    def on_epoch(self, state: TrainState, record: EpochRecord) -> None:
        if self.task is not None:
            self.task.finish()
            self.task = None
        validation = (
            f"validation accuracy {record.evaluation_accuracy:.2%}"
            if record.evaluation_accuracy is not None
            else "no validation data"
        )
        saturation = (
            f"  outputs saturated {record.output_saturation:.0%} "
            f"(and wrong {record.saturated_wrong:.0%})"
            if record.output_saturation is not None and record.saturated_wrong is not None
            else ""
        )
        self.out.print(
            f"epoch {record.epoch:>3}/{self.epochs}  training cost {record.training_cost:.4f}  "
            f"training accuracy {record.training_accuracy:.2%}  {validation}{saturation}  "
            f"η {record.eta:g}  {record.seconds:.2f} s"
        )
        warning = stall_warning(state.history, state.network)
        if warning and not self.warned:
            warning_line(warning)
            self.warned = True


class FetchProgress:
    """A data set's download: each file's bytes as they arrive. A file is done when the next
    file begins or the fetch returns; one tried again from another mirror, or the last one
    when the fetch fails, is not."""

    def __init__(self, out: Console, name: str) -> None:
        self.display = progress.display(out, f"data fetch {name}")
        self.file: str | None = None
        self.task: progress.Task | None = None

    def __enter__(self) -> FetchProgress:
        self.display.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self._end(succeeded=exc_type is None)
        self.display.stop()

    def on_download(self, url: str) -> None:
        file = url.rsplit("/", 1)[-1]
        self._end(succeeded=file != self.file)
        self.file = file
        self.task = self.display.add(file, None, progress.BYTES)

    def on_bytes(self, done: int, total: int | None) -> None:
        if self.task is not None:
            self.task.update(done, total)

    def _end(self, succeeded: bool) -> None:
        if self.task is not None:
            if succeeded:
                self.task.finish()
            else:
                self.task.abandon()
            self.task = None


def compare_table(result: CompareResult, accuracies: Sequence[float]) -> FittedTable:
    """A column for each cost: its η, the mini-batches (and epochs) it needed to reach each
    validation accuracy, median over seeds, and how many times the fastest cost's count that
    is (a censored median: seeds that fall short count as needing more); then its test
    accuracy. The legend says what ×N and "> N" mean."""
    spec = result.spec
    seeds = len(spec.seeds)
    median = ", median over the seeds" if seeds > 1 else ""
    per_epoch = result.runs[0].per_epoch
    budget = spec.epochs * per_epoch
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
        f"{list(result.layer_sizes)} on {spec.dataset}, init {spec.init}, mini-batch "
        f"{spec.batch_size}, {plural(seeds, 'seed')}: mini-batches to reach a validation "
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


class RunsProgress:
    """The progress of each run of an experiment of several runs (one cost and seed each): the
    mini-batches done of all its epochs; where the output is not a terminal, a line as each run
    starts and finishes and every so often between."""

    def __init__(self, out: Console, runs: int, epochs: int, label: str = "compare") -> None:
        self.runs, self.epochs = runs, epochs
        self.display = progress.display(out, label)
        self.started = 0

    def __enter__(self) -> RunsProgress:
        self.display.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.display.stop()

    def observers_for(self, cost: str, seed: int) -> list[_RunBar]:
        self.started += 1
        what = f"run {self.started} of {self.runs} ({cost}, seed {seed})"
        return [_RunBar(self.display, what, self.epochs)]


class _RunBar:
    """One run: mini-batches done of all its epochs."""

    def __init__(self, display: progress.Display, description: str, epochs: int) -> None:
        self.display, self.description, self.epochs = display, description, epochs
        self.task: progress.Task | None = None

    def on_batches(self, state: TrainState, done: int, total: int) -> None:
        if self.task is None:
            self.task = self.display.add(
                self.description, self.epochs * total, progress.MINI_BATCHES
            )
        self.task.update(state.epoch * total + done)

    def on_epoch(self, state: TrainState, record: EpochRecord) -> None:
        if self.task is not None and state.finished:
            self.task.finish()
            self.task = None


class PassesProgress:
    """Work in passes of epochs (a neuron trained under each cost), told as
    ``(pass, epochs done, epochs)``: one task per pass. Nothing is announced: these passes
    mostly take a moment, and a line comes only for one that lasts."""

    def __init__(self, out: Console, label: str) -> None:
        self.display = progress.display(out, label)
        self.name: str | None = None
        self.task: progress.Task | None = None

    def __enter__(self) -> PassesProgress:
        self.display.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._finish()
        self.display.stop()

    def __call__(self, name: str, done: int, epochs: int) -> None:
        if self.task is None or name != self.name:
            self._finish()
            self.name = name
            self.task = self.display.add(name, epochs, progress.EPOCHS, announced=False)
        self.task.update(done)

    def _finish(self) -> None:
        if self.task is not None:
            self.task.finish()
            self.task = None


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
