"""Run in each worker process of the local cluster a sweep starts, as it starts (a Dask
"preload" module: Dask calls ``dask_setup(worker)``).

Ctrl-C in a terminal is sent to every process of the foreground job, the sweep's worker
processes included. The sweep itself stops cleanly on Ctrl-C (it keeps every finished run and
shuts its cluster down); workers that died of the same Ctrl-C would instead print tracebacks
and be restarted by their nannies on the way out. So the workers ignore SIGINT and leave
stopping to the sweep. Workers of a cluster of other machines are not in the terminal's job and
do not load this module.

A run that raises is the sweep's to report: the engine turns the exception into one line naming
the run (an XentlabError), or lets a bug's traceback through. The worker's own "Compute Failed"
record of the same exception (a dozen lines, its traceback as one escaped string) would only
repeat it on the terminal the sweep shares with its workers, so it is dropped here.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

WORKER_LOGGER = "distributed.worker"
COMPUTE_FAILED = "Compute Failed"


def kept(record: logging.LogRecord) -> bool:
    """A logging filter: drops a worker's record of a failed run (the sweep reports the run
    itself), keeps every other record."""
    return not str(record.msg).startswith(COMPUTE_FAILED)


def dask_setup(worker: Any) -> None:
    if threading.current_thread() is threading.main_thread():  # where signals are handled
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    logger = logging.getLogger(WORKER_LOGGER)
    if kept not in logger.filters:
        logger.addFilter(kept)
