"""Stopping a run on request, at the next mini-batch boundary, where its state is whole."""

from __future__ import annotations

import threading

from ..training import EpochRecord, TrainState


class RunStopped(Exception):
    """Raised inside the epoch loop by a :class:`StopRequest` that has been set; the run layer
    catches it, saves the state and reports the run as stopped."""


class StopRequest:
    """A flag any front end may set, from anywhere: the CLI's SIGINT handler, a web page's Stop
    button on another thread. Given to a run as an observer, it ends the run at the next
    mini-batch boundary (within a chunk of at most 100 mini-batches) or epoch end."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def request(self) -> None:
        """Ask the run to stop; safe to call from a signal handler or another thread."""
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def on_batches(self, state: TrainState, done: int, total: int) -> None:
        if self.requested:
            raise RunStopped

    def on_epoch(self, state: TrainState, record: EpochRecord) -> None:
        if self.requested:
            raise RunStopped
