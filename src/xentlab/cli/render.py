"""The progress renderers several commands share, shown through ``progress.display``: bars on
a terminal, plain lines elsewhere; and the note of figures drawn in another language than the
one asked for. A command's own tables and progress are in its module."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rich.console import Console

from ..training import EpochRecord, TrainState
from . import progress

if TYPE_CHECKING:  # matplotlib is imported by the commands that draw, not by all that render
    from ..plots.labels import FigureLanguage


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


def figure_language_note(language: FigureLanguage) -> None:
    """One line on stderr when figures asked for in Chinese were drawn in English (no font
    could draw them), saying how to get one; nothing otherwise. stderr: a command's stdout
    may be data (neuron --json)."""
    if language.note is not None:
        print(language.note, file=sys.stderr)
