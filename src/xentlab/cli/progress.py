"""Progress of long work as the output can show it: live bars on a terminal, plain lines
anywhere else (a file, a pipe, a CI log).

Every progress renderer of the command line gets its display from :func:`display`, so a new
command shows both forms without a line of its own. A display holds tasks; each task counts its
work in a :class:`Unit` (mini-batches, epochs, runs, bytes).

On an interactive terminal each task is a rich bar that disappears when the task finishes.
Anywhere else a task says, in a line of its own, when it starts and finishes (if it is
``announced``) and, while it runs, how far it is, at most once every ``interval`` seconds of
wall time and at least that often: a ticker thread keeps the lines coming through a step that
reports nothing for a while (a sweep waiting on its workers). A line reads (on one line)::

    compare: run 2 of 4 (cross-entropy, seed 1): mini-batch 12,000 of 25,000 (48%),
        1:02 elapsed, about 1:07 left

Plain lines never hold a carriage return or an escape code: a file or a log reads as text.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Task as RichTask
from rich.table import Column
from rich.text import Text

from ..checks import size_text

INTERVAL_SECONDS = 10.0  # between two plain lines of one task
Clock = Callable[[], float]


class Unit:
    """What a task counts, and how to say an amount of it: ``amount(25000)`` is
    "25,000 mini-batches", ``position(12000, 25000)`` is "mini-batch 12,000 of 25,000"."""

    def __init__(self, one: str, many: str) -> None:
        self.one, self.many = one, many

    def amount(self, count: float) -> str:
        return f"{count:,.0f} {self.one if count == 1 else self.many}"

    def position(self, done: float, total: float | None) -> str:
        of = f" of {total:,.0f}" if total is not None else ""
        return f"{self.one} {done:,.0f}{of}"


class FinishedUnit(Unit):
    """Things that are counted once finished (runs of a sweep run side by side): "3 of 9 runs
    finished", not "run 3 of 9", which would say that the third is under way."""

    def position(self, done: float, total: float | None) -> str:
        if total is None:
            return f"{self.amount(done)} finished"
        return f"{done:,.0f} of {self.amount(total)} finished"


class ByteUnit(Unit):
    """Bytes, as people read them: "4.2 MiB of 9.5 MiB"."""

    def __init__(self) -> None:
        super().__init__("byte", "bytes")

    def amount(self, count: float) -> str:
        return size_text(count)

    def position(self, done: float, total: float | None) -> str:
        of = f" of {size_text(total)}" if total is not None else ""
        return f"{size_text(done)}{of}"


MINI_BATCHES = Unit("mini-batch", "mini-batches")
EPOCHS = Unit("epoch", "epochs")
RUNS = FinishedUnit("run", "runs")
BYTES = ByteUnit()


def clock_text(seconds: float) -> str:
    """A duration as a clock shows it: 0:07, 1:02, 1:02:03."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Task(Protocol):
    """One piece of work on a display."""

    def update(self, completed: float, total: float | None = None) -> None:
        """``completed`` units done so far (of ``total``, if given: None keeps the total)."""

    def finish(self) -> None:
        """The work is done: its bar goes, its last line is said."""

    def abandon(self) -> None:
        """The work has failed or stopped short: its bar goes, without a word (the error or
        the stop says why)."""


class Display(ABC):
    """Tasks shown together. Use as a context manager (or call :meth:`start` and :meth:`stop`,
    both safe to call twice)."""

    def __enter__(self) -> Display:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def add(
        self,
        description: str,
        total: float | None,
        unit: Unit,
        *,
        completed: float = 0,
        announced: bool = True,
    ) -> Task:
        """A new task: ``description`` says what it is ("run 2 of 4 (cross-entropy, seed 1)"),
        ``total`` how many ``unit`` it will count (None: not known). An ``announced`` task
        has a line when it starts and when it finishes, where the display prints lines; leave
        it out where the caller says so itself (the epoch lines of ``train``)."""


def display(
    out: Console, label: str, *, interval: float | None = None, clock: Clock = time.monotonic
) -> Display:
    """The display for ``out``: bars where ``out`` is an interactive terminal, else plain lines
    that begin with ``label`` (the command: "compare"), one per task at most every ``interval``
    seconds (default: INTERVAL_SECONDS), timed by ``clock``."""
    if out.is_interactive:
        return Bars(out)
    return Lines(out, label, INTERVAL_SECONDS if interval is None else interval, clock)


# --- a terminal: rich bars ----------------------------------------------------------------


class _PositionColumn(ProgressColumn):
    """How far a task is, in its unit's words."""

    def render(self, task: RichTask) -> Text:
        unit: Unit = task.fields["unit"]
        return Text(unit.position(task.completed, task.total))


class Bars(Display):
    """A bar per task (its description, the bar, how far, the time spent and the time left);
    finished bars are removed, and the lot is cleared from the screen at the end."""

    def __init__(self, out: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            # how far stays on one line; on a narrow terminal the description wraps instead
            _PositionColumn(table_column=Column(no_wrap=True)),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=out,
            transient=True,
        )
        self.running = False

    def start(self) -> None:
        if not self.running:
            self.progress.start()
            self.running = True

    def stop(self) -> None:
        if self.running:
            self.progress.stop()
            self.running = False

    def add(
        self,
        description: str,
        total: float | None,
        unit: Unit,
        *,
        completed: float = 0,
        announced: bool = True,
    ) -> Task:
        task = self.progress.add_task(description, total=total, completed=int(completed), unit=unit)
        return _Bar(self, task)


class _Bar:
    def __init__(self, bars: Bars, task: TaskID) -> None:
        self.bars, self.task = bars, task

    def update(self, completed: float, total: float | None = None) -> None:
        self.bars.progress.update(self.task, completed=completed, total=total)

    def finish(self) -> None:
        self.bars.progress.remove_task(self.task)

    def abandon(self) -> None:
        self.finish()


# --- anywhere else: plain lines -----------------------------------------------------------


class Lines(Display):
    """Plain lines: ``label: description: how far, time spent, time left``. ``tick`` says the
    line of every task due one; a ticker thread calls it (unless ``ticking`` is False, as in
    tests, which call it themselves with a clock of their own)."""

    def __init__(
        self,
        out: Console,
        label: str,
        interval: float = INTERVAL_SECONDS,
        clock: Clock = time.monotonic,
        ticking: bool = True,
    ) -> None:
        if interval < 0:
            raise ValueError(f"interval must be ≥ 0 seconds; got {interval}")
        self.out, self.label, self.interval, self.clock = out, label, interval, clock
        self.ticking = ticking and interval > 0
        self.tasks: list[_Line] = []
        self.lock = threading.RLock()  # tasks are updated here and told by the ticker
        self.stopping = threading.Event()
        self.ticker: threading.Thread | None = None

    def start(self) -> None:
        if self.ticking and self.ticker is None:
            self.stopping.clear()
            self.ticker = threading.Thread(
                target=self._tick_until_stopped, name="xentlab-progress", daemon=True
            )
            self.ticker.start()

    def stop(self) -> None:
        if self.ticker is not None:
            self.stopping.set()
            self.ticker.join()
            self.ticker = None

    def _tick_until_stopped(self) -> None:
        # Woken a few times an interval, so that a line is late by a fifth of one at most.
        while not self.stopping.wait(max(self.interval / 5, 0.01)):
            self.tick()

    def tick(self) -> None:
        with self.lock:
            now = self.clock()
            for task in list(self.tasks):
                task.say_if_due(now)

    def add(
        self,
        description: str,
        total: float | None,
        unit: Unit,
        *,
        completed: float = 0,
        announced: bool = True,
    ) -> Task:
        with self.lock:
            task = _Line(self, description, total, unit, completed, announced)
            self.tasks.append(task)
            if announced:
                of = f": {unit.amount(total)}" if total is not None else ""
                task.say(f"started{of}")
            return task

    def say(self, line: str) -> None:
        self.out.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)


class _Line:
    """One task's counts and when it last said them."""

    def __init__(
        self,
        lines: Lines,
        description: str,
        total: float | None,
        unit: Unit,
        completed: float,
        announced: bool,
    ) -> None:
        self.lines, self.description, self.unit = lines, description, unit
        self.total, self.completed, self.announced = total, completed, announced
        self.started = self.said = lines.clock()
        self.completed_at_start = completed  # the rate counts only the work done here
        self.finished = False

    def update(self, completed: float, total: float | None = None) -> None:
        with self.lines.lock:
            self.completed = completed
            if total is not None:
                self.total = total
            self.say_if_due(self.lines.clock())

    def finish(self) -> None:
        with self.lines.lock:
            if self._end() and self.announced:
                elapsed = clock_text(self.lines.clock() - self.started)
                self.say(f"done: {self.unit.amount(self.completed)} in {elapsed}")

    def abandon(self) -> None:
        with self.lines.lock:
            self._end()

    def _end(self) -> bool:
        """No more lines; whether the task was still going."""
        if self.finished:
            return False
        self.finished = True
        self.lines.tasks.remove(self)
        return True

    def say_if_due(self, now: float) -> None:
        if now - self.said >= self.lines.interval:
            self.said = now
            self.say(self.status(now))

    def status(self, now: float) -> str:
        """How far the task is: "mini-batch 12,000 of 25,000 (48%), 1:02 elapsed, about 1:07
        left" (the time left from the rate so far, once there is one)."""
        elapsed = now - self.started
        where = self.unit.position(self.completed, self.total)
        if self.total:
            where += f" ({min(1.0, self.completed / self.total):.0%})"
        status = f"{where}, {clock_text(elapsed)} elapsed"
        done_here = self.completed - self.completed_at_start
        if self.total is not None and done_here > 0 and elapsed > 0:
            left = (self.total - self.completed) * elapsed / done_here
            status += f", about {clock_text(left)} left"
        return status

    def say(self, what: str) -> None:
        prefix = f"{self.lines.label}: " + (f"{self.description}: " if self.description else "")
        self.lines.say(prefix + what)
