"""Run in each worker process of the local cluster a sweep starts, as it starts (a Dask
"preload" module: Dask calls ``dask_setup(worker)``).

Ctrl-C in a terminal is sent to every process of the foreground job, the sweep's worker
processes included. The sweep itself stops cleanly on Ctrl-C (it keeps every finished run and
shuts its cluster down); workers that died of the same Ctrl-C would instead print tracebacks
and be restarted by their nannies on the way out. So the workers ignore SIGINT and leave
stopping to the sweep. Workers of a cluster of other machines are not in the terminal's job and
do not load this module.
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def dask_setup(worker: Any) -> None:
    if threading.current_thread() is threading.main_thread():  # where signals are handled
        signal.signal(signal.SIGINT, signal.SIG_IGN)
