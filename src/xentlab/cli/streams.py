"""The standard streams a command may find closed.

``xentlab train ... >&-`` starts Python with file descriptor 1 closed, so ``sys.stdout`` is
None (``2>&-``: descriptor 2 and ``sys.stderr``). Left so, two things go wrong. A library that
asks ``sys.stdout.isatty()`` (uvicorn's log formatter, say) dies with AttributeError; and the
next file the process opens takes the free descriptor, so whatever writes to "standard output"
at the level of descriptors (a C library, a worker process that inherits it) writes into that
file, a network being saved, say. And ``print(..., file=sys.stderr)`` with ``sys.stderr`` None
prints to standard output: an error line would land in the data a pipe reads.

A closed stream is therefore opened on the null device, as the command starts: what would be
written there is dropped, the work is done and saved as usual, and the exit code still says
how it went.
"""

from __future__ import annotations

import os
import sys

STREAMS = ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w"))


def open_closed_streams() -> list[str]:
    """Put the null device on each of descriptors 0, 1 and 2 that is closed, and give each of
    ``sys.stdin``, ``sys.stdout`` and ``sys.stderr`` that is None a text stream on its
    descriptor; the names of the streams that were closed (for tests, and a caller's log)."""
    opened = []
    for fd, name, mode in STREAMS:
        try:
            os.fstat(fd)
        except OSError:  # closed: the lowest free descriptor is this one, but make sure
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            opened.append(name)
        if getattr(sys, name) is None:
            stream = open(fd, mode, encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
            setattr(sys, name, stream)
            if name not in opened:
                opened.append(name)
    return opened
