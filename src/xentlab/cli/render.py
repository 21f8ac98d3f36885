"""How results look in a terminal: tables, progress bars and one-line summaries (rich)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

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
from .text import warning_line


def epoch_or_never(epoch: int | None, epochs: int) -> str:
    return f"not within {epochs}" if epoch is None else str(epoch)


def trajectory_table(trajectory: Trajectory, x: float, y: float) -> Table:
    """About ten rows of one neuron's path: epoch, w, b, a, C."""
    epochs = trajectory.epochs
    step = max(1, epochs // 10)
    shown = sorted(set(range(0, epochs + 1, step)) | {epochs})
    table = Table(
        title=f"one neuron, {trajectory.cost_name}, η = {trajectory.eta:g}, x = {x:g}, y = {y:g}"
    )
    for column in ("epoch", "w", "b", "a", "C"):
        table.add_column(column, justify="right")
    a = trajectory.output[:, 0, 0]
    for t in shown:
        w, b, c = trajectory.w[t, 0, 0], trajectory.b[t, 0], trajectory.cost[t, 0]
        table.add_row(str(t), f"{w:.4f}", f"{b:.4f}", f"{a[t]:.4f}", f"{c:.5f}")
    return table


def slowdown_tables(runs: Sequence[SlowdownRun], epochs: int) -> list[Table]:
    """One table per setting (the article's rates, one common rate)."""
    titles = {"article": "at the article's rates", "common": "at one common rate"}
    tables = []
    for setting, title in titles.items():
        table = Table(title=f"one neuron, x = 1, y = 0, {plural(epochs, 'epoch')}, {title}")
        headers = ["cost", "η", "start (w, b)", "a(0)"]
        headers += [f"first a < {th:g}" for th in OUTPUT_THRESHOLDS]
        headers += ["ΔC epoch 1", "steepest at", "final C"]
        for header in headers:
            table.add_column(header, justify="right")
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
    if run.resumed:
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


def confusion_table(evaluation: Evaluation) -> Table:
    classes = len(evaluation.confusion)
    table = Table(title="confusion matrix: rows true class, columns predicted")
    table.add_column("true", justify="right")
    for c in range(classes):
        table.add_column(str(c), justify="right")
    for t in range(classes):
        table.add_row(str(t), *(str(v) for v in evaluation.confusion[t]))
    return table


def label_counts(labels: np.ndarray) -> str:
    values, counts = np.unique(labels, return_counts=True)
    return ", ".join(f"{v}: {c}" for v, c in zip(values, counts, strict=True))


class EpochProgress:
    """Renders training progress: a bar within each epoch, then one line per epoch."""

    def __init__(self, out: Console, epochs: int) -> None:
        self.out, self.epochs = out, epochs
        self.progress = Progress(
            "epoch {task.fields[epoch]}/" + str(epochs),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=out,
            transient=True,
        )
        self.task: TaskID | None = None
        self.warned = False  # a stall is said once

    def __enter__(self) -> EpochProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def on_batches(self, state: TrainState, done: int, total: int) -> None:
        if self.task is None:
            self.task = self.progress.add_task("", total=total, epoch=state.epoch + 1)
        self.progress.update(self.task, completed=done, total=total, epoch=state.epoch + 1)

    def on_epoch(self, state: TrainState, record: EpochRecord) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
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


def download_progress(out: Console) -> Progress:
    return Progress(
        "{task.description}", DownloadColumn(), TransferSpeedColumn(), console=out, transient=True
    )


def compare_table(result: CompareResult, accuracies: Sequence[float]) -> Table:
    """For each cost: the mini-batches (and epochs) to reach each validation accuracy, median
    over seeds, and how many times more than the fastest cost needed."""
    spec = result.spec
    seeds = plural(len(spec.seeds), "seed")
    table = Table(
        title=f"{list(result.layer_sizes)} on {spec.dataset}, init {spec.init}, "
        f"mini-batch {spec.batch_size}, {seeds}: mini-batches to reach a validation accuracy"
    )
    table.add_column("cost", justify="left")
    table.add_column("η", justify="right")
    for accuracy in accuracies:
        table.add_column(f"{accuracy:.0%}", justify="right")
    table.add_column("test accuracy", justify="right")
    per_epoch = result.runs[0].per_epoch
    for cost in spec.costs:
        cells = [cost, f"{spec.eta_of(cost):g}"]
        for accuracy in accuracies:
            needed = result.batches_to_reach(cost, accuracy)
            fastest = [
                b for c in spec.costs if (b := result.batches_to_reach(c, accuracy)) is not None
            ]
            if needed is None:
                cells.append("not reached")
                continue
            ratio = f", ×{needed / min(fastest):.1f}" if min(fastest) and len(fastest) > 1 else ""
            cells.append(f"{needed:g} ({needed / per_epoch:.2f} epochs{ratio})")
        tests = [run.test_accuracy for run in result.of(cost)]
        cells.append(f"{np.median(tests):.2%}")
        table.add_row(*cells)
    return table


def saturation_summary(grid: SaturationMap) -> Table:
    """The fraction of the grid each cost needs more than SLOW_EPOCHS epochs for."""
    points = len(grid.w_values)
    table = Table(
        title=f"one neuron, x = {grid.x:g}, y = {grid.y:g}, {points} x {points} starts (w, b) in "
        f"[{grid.w_values[0]:g}, {grid.w_values[-1]:g}]², η = {grid.eta:g}: epochs until "
        f"|a − y| < {grid.threshold:g}"
    )
    for column in ("cost", f"> {SLOW_EPOCHS} epochs", "never (within max)", "median epochs"):
        table.add_column(column, justify="right")
    for cost, epochs in grid.epochs.items():
        reached = epochs[epochs >= 0]
        table.add_row(
            cost,
            f"{grid.slow_fraction(cost):.1%}",
            f"{np.mean(epochs < 0):.1%}",
            f"{np.median(reached):g}" if reached.size else "-",
        )
    return table


class RunsProgress:
    """A progress bar for each run of an experiment of several runs (one cost and seed each)."""

    def __init__(self, out: Console, runs: int, epochs: int) -> None:
        self.epochs = epochs
        self.progress = Progress(
            "{task.description}",
            BarColumn(),
            "mini-batch",
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=out,
            transient=True,
        )

    def __enter__(self) -> RunsProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def observers_for(self, cost: str, seed: int) -> list[_RunBar]:
        return [_RunBar(self.progress, f"{cost}, seed {seed}", self.epochs)]


class _RunBar:
    """One run's bar: mini-batches done of all its epochs."""

    def __init__(self, progress: Progress, description: str, epochs: int) -> None:
        self.progress, self.description, self.epochs = progress, description, epochs
        self.task: TaskID | None = None

    def on_batches(self, state: TrainState, done: int, total: int) -> None:
        if self.task is None:
            self.task = self.progress.add_task(self.description, total=self.epochs * total)
        self.progress.update(self.task, completed=state.epoch * total + done)

    def on_epoch(self, state: TrainState, record: EpochRecord) -> None:
        if self.task is not None and state.finished:
            self.progress.update(self.task, visible=False)


class SweepProgress:
    """A sweep's progress: one bar over its runs, and a line as each run finishes."""

    def __init__(self, out: Console, folder: str, varying: Sequence[str]) -> None:
        self.out, self.folder, self.varying = out, folder, list(varying)
        self.progress = Progress(
            "runs",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=out,
            transient=True,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> SweepProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self.progress.stop()

    def on_start(self, total: int, done: int, cluster: str) -> None:
        already = f", {done} already done in {self.folder}" if done else ""
        rest = f"; {total - done} to run on {cluster}" if done < total else ": nothing to run"
        self.out.print(f"sweep of {plural(total, 'run')}{already}{rest}")
        self.progress.start()  # only now: a sweep refused before it starts shows no bar
        self.task = self.progress.add_task("", total=total, completed=done)

    def on_run(self, record: RunRecord) -> None:
        if self.task is not None:
            self.progress.advance(self.task)
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


def sweep_table(table: SweepTable, dataset: str) -> Table:
    """Each setting's test accuracy over its seeds, mean ± sd; the best marked."""
    seeds = max((len(row.seeds) for row in table.rows), default=0)
    result = Table(
        title=f"test accuracy after the last epoch, mean ± sd over {plural(seeds, 'seed')}: "
        f"{describe_fixed(table)}"
    )
    for key in table.varying:
        result.add_column(LABELS.get(key, key), justify="right")
    for column in ("seeds", "test accuracy", "min - max", "s per run", ""):
        result.add_column(column, justify="right")
    any_diverged = any(row.diverged for row in table.rows)
    if any_diverged:
        result.add_column("diverged", justify="right")
    for row in table.rows:
        mean = _accuracy(row.mean)
        sd = f" ± {row.sd:.2%}" if row.sd is not None else ""
        finished = row.finished
        spread = f"{min(finished):.2%} - {max(finished):.2%}" if finished else "-"
        seconds = sum(row.seconds) / len(row.seconds) if row.seconds else 0.0
        cells = [show_value(key, row.setting[key]) for key in table.varying]
        cells += [str(len(row.seeds)), mean + sd, spread, f"{seconds:.2g}"]
        cells.append("◀ best" if row.best else "")
        if any_diverged:
            cells.append(f"{row.diverged} of {len(row.seeds)}" if row.diverged else "")
        result.add_row(*cells)
    return result


def book_table(rows: Sequence[BookRow]) -> Table:
    """The book's figures beside xentlab's: the median over seeds, and each seed's."""
    first = next((p for row in rows for p in row.points), None)
    where = (
        f"{first.dataset}, {plural(first.config.epochs, 'epoch')}, mini-batch "
        f"{first.config.batch_size}, init {first.init}"
        if first is not None
        else "no runs"
    )
    table = Table(
        title=f"the book's results and xentlab's ({where}): test accuracy after the last epoch"
    )
    for column in ("network", "cost", "η", "xentlab (median of seeds)", "seeds", "book"):
        table.add_column(column, justify="right")
    for row in rows:
        sizes = row.points[0].sizes if row.points else ()
        seeds = ", ".join(
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
