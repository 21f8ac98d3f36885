"""Ctrl-C and SIGTERM as requests to stop, for the commands that can stop cleanly: a training
run (at its next mini-batch boundary, saved), a sweep (its finished runs kept) and the server."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def signals_request_stop(request: Callable[[], None]) -> Iterator[list[int]]:
    """While the block runs, Ctrl-C (SIGINT) and SIGTERM call ``request`` (ask a run to stop at
    its next mini-batch boundary, where its state is whole; ask a server to stop) instead of
    ending the process; yields the signals received.

    Both handlers are installed whatever the signals were set to before: a job a script starts
    in the background (``xentlab serve &``) begins with SIGINT ignored, and must still stop on
    it."""
    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        received.append(signum)
        request()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
