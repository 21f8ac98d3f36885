"""Running a sweep on a Dask cluster (``dask.distributed``): the one module that knows Dask.

:func:`run_sweep` skips the runs whose result file is already in the sweep's folder, sends
the others to the cluster in groups that share a pass over their data (``passes``), each group
one task (:func:`~xentlab.sweeps.worker.train_points`, keyed by its first run's id), and writes
each run's result the moment its group's arrive. So a sweep stopped any way at all — a stop
request, Ctrl-C, a crashed machine — loses only the runs in flight, and runs again from there.

The cluster is, by default, a ``LocalCluster`` started for the sweep: one worker process per
usable core, one thread each, BLAS limited to one thread per process (two BLAS thread pools on
two cores fight, and the sweep is already parallel across runs). Or it is an existing cluster,
given by its scheduler's address: then the workers may be on many machines; each needs
xentlab installed and its data where ``data_dir`` (or its own $XENTLAB_DATA) says.

Data reach each worker once: a worker process reads a data set with the first run that needs
it and keeps it (``worker.PROCESS_DATASETS``) for every later run, instead of one copy per run
shipped through the scheduler.

A worker that dies mid-run (killed, out of memory, its machine gone) loses only that run: the
scheduler gives it to another worker, up to ALLOWED_FAILURES deaths per run (after which the run
is taken to be what kills its workers, and the sweep stops, naming it). An exception raised by
a run is not retried: a run is deterministic, so it would fail again the same way.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from .. import __version__, checks
from ..data import check_available
from ..errors import XentlabError
from ..runs import StopRequest
from .grid import SweepPoint, SweepSpec, check_size
from .passes import plan_tasks
from .records import RunRecord, SweepFolder
from .worker import train_points

if TYPE_CHECKING:
    from distributed import Client, Future

ALLOWED_FAILURES = 3  # worker deaths a run may be caught in before the sweep gives up on it
CONNECT_TIMEOUT = 10.0  # seconds to wait for an existing scheduler to answer
POLL_SECONDS = 0.1  # how often the sweep looks for finished runs and stop requests
WORKERS_CLOSE_SECONDS = 10.0  # for a local cluster's workers to close before its scheduler
# The environment of each local worker process, set before the process starts (and so before
# NumPy loads its BLAS, which reads these once): one BLAS thread. And only that: Dask's default
# also sets MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's adaptive reuse of large
# blocks, so that every array of a few megabytes is mapped afresh and faulted in; each run took
# 30% longer under it (0.63 s against 0.49 s for an epoch of [784, 30, 10] on MNIST).
WORKER_ENVIRONMENT = {"OMP_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1, "MKL_NUM_THREADS": 1}
LOCAL_WORKER_SETUP = "xentlab.sweeps.local_worker"  # a Dask preload module: ignore Ctrl-C


class SweepObserver(Protocol):
    """Receives a sweep's progress (in the process that runs the sweep)."""

    def on_start(self, total: int, done: int, cluster: str) -> None:
        """The sweep has ``total`` runs, ``done`` of them already finished in its folder; the
        rest go to ``cluster`` (described in words)."""

    def on_run(self, record: RunRecord) -> None:
        """A run has finished and its result file is written."""


@dataclass(frozen=True)
class SweepResult:
    """What a sweep did: ``records`` holds every finished run of ``points`` by id, those found
    in the folder and the ``computed`` ones; ``stopped``: it ended on a stop request."""

    spec: SweepSpec
    folder: SweepFolder
    points: tuple[SweepPoint, ...]
    records: dict[str, RunRecord]
    computed: int
    stopped: bool
    cluster: str

    @property
    def skipped(self) -> int:
        """Runs that were already done when the sweep started."""
        return len(self.records) - self.computed

    @property
    def complete(self) -> bool:
        return all(point.id in self.records for point in self.points)

    def in_order(self) -> list[RunRecord]:
        """The finished runs, in the order of the sweep's points."""
        return [self.records[p.id] for p in self.points if p.id in self.records]


def usable_cores() -> int:
    """The cores this process may run on (its affinity, where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_sweep(
    spec: SweepSpec,
    out: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    confirmed: bool = False,
    observers: Sequence[SweepObserver] = (),
    stop: StopRequest | None = None,
) -> SweepResult:
    """Run every point of ``spec`` not yet done in the folder ``out``, on a local cluster of
    ``workers`` processes (default: one per usable core) or on the cluster whose scheduler is
    at ``scheduler`` (tcp://host:8786). Everything is checked before any cluster starts: the
    grid (its size, its values and each network's training memory; more than CONFIRM_ABOVE
    runs need ``confirmed``), the folder (a file is made there), the results already there,
    for a local cluster that the data set can be found, and for an existing one that a
    scheduler answers at its address. ``stop`` ends the sweep
    within POLL_SECONDS, keeping every finished run; runs in flight are cancelled. A run that
    raises stops the sweep with its message (XentlabError), finished runs kept."""
    points = tuple(spec.points())
    check_size(len(points), confirmed)
    checks.Optional(checks.Integer(1)).check("workers", workers)
    if workers is not None and scheduler is not None:
        raise XentlabError(
            "workers must not be given with scheduler: workers is the size of the local "
            "cluster, and an existing cluster has workers of its own"
        )
    checks.positive_number("connect_timeout", connect_timeout)
    folder = SweepFolder(out)
    folder.check()
    records = folder.finished(points)
    todo = [p for p in points if p.id not in records]
    if todo and scheduler is None:
        check_available(spec.dataset, data_dir)  # before starting workers that would all fail
    if not todo or (stop is not None and stop.requested):
        folder.start(spec, points)
        for observer in observers:
            observer.on_start(len(points), len(records), "nothing left to run")
        return SweepResult(spec, folder, points, records, 0, bool(todo), "")
    with _cluster(scheduler, workers, connect_timeout) as (client, cluster):
        folder.start(spec, points)  # once the cluster is there: a sweep that cannot start
        for observer in observers:  # leaves no folder behind
            observer.on_start(len(points), len(records), cluster)
        computed, stopped = _compute(client, todo, data_dir, folder, records, observers, stop)
    return SweepResult(spec, folder, points, records, computed, stopped, cluster)


def _compute(
    client: Client,
    todo: Sequence[SweepPoint],
    data_dir: str | os.PathLike[str] | None,
    folder: SweepFolder,
    records: dict[str, RunRecord],
    observers: Sequence[SweepObserver],
    stop: StopRequest | None,
) -> tuple[int, bool]:
    """Submit every group of runs, write each result as its group's comes; (runs computed,
    stopped?)."""
    where = None if data_dir is None else os.fspath(data_dir)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    futures: dict[Future[list[RunRecord]], tuple[SweepPoint, ...]] = {
        client.submit(
            train_points, list(task), where, key=f"xentlab-runs-{task[0].id}", retries=0
        ): task
        for task in plan_tasks(todo, workers)
    }
    arriving = _distributed().as_completed(futures)
    computed = 0
    try:
        while not arriving.is_empty():
            if stop is not None and stop.requested:
                return computed, True
            batch = arriving.next_batch(block=False)
            if not batch:
                time.sleep(POLL_SECONDS)
                continue
            for future in batch:
                for record in _results(future, futures[future]):
                    folder.write(record)
                    records[record.point.id] = record
                    computed += 1
                    for observer in observers:
                        observer.on_run(record)
        return computed, False
    finally:
        client.cancel(list(futures))  # whatever is still queued or in flight


def _results(future: Future[list[RunRecord]], task: Sequence[SweepPoint]) -> list[RunRecord]:
    """The records of a task's runs, or a one-line error naming the runs and what failed."""
    try:
        found: list[RunRecord] = future.result()
    except XentlabError as exc:  # a run that failed, named by the worker
        raise XentlabError(str(exc)) from None
    except _distributed().KilledWorker:
        named = "; ".join(f"{point.id} ({point.describe()})" for point in task)
        what = f"run {named}" if len(task) == 1 else f"runs {named}, trained together,"
        raise XentlabError(
            f"{what} died with every worker that took it, more times than the scheduler allows "
            "(distributed.scheduler.allowed-failures): it may need more memory than a worker "
            "has; the sweep stops, its finished runs kept"
        ) from None
    except ImportError as exc:
        raise XentlabError(
            f"the workers cannot run xentlab ({exc}): install xentlab {__version__} on every worker"
        ) from None
    return found


@contextlib.contextmanager
def local_cluster(workers: int | None = None) -> Iterator[Any]:
    """A ``LocalCluster`` as a sweep starts it: ``workers`` processes (default: one per usable
    core) of one thread each, in WORKER_ENVIRONMENT (one BLAS thread), Ctrl-C ignored (the
    sweep handles it), each run allowed ALLOWED_FAILURES worker deaths; only errors logged (a
    worker restarted after a death is part of the plan); its HTTP endpoint on a free port of
    this machine, so that two sweeps at once do not compete for Dask's 8787. Closed on
    leaving."""
    distributed = _distributed()
    settings = {
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
        "distributed.nanny.pre-spawn-environ": WORKER_ENVIRONMENT,
    }
    with (
        _dask().config.set(settings),
        _spawning_environment(),
        distributed.LocalCluster(
            n_workers=workers or usable_cores(),
            threads_per_worker=1,
            processes=True,
            preload=[LOCAL_WORKER_SETUP],
            dashboard_address="127.0.0.1:0",  # any free port: no clash with another cluster
            silence_logs=logging.ERROR,
        ) as cluster,
    ):
        yield cluster


@contextlib.contextmanager
def _spawning_environment() -> Iterator[None]:
    """This process's environment while it starts (and restarts) worker processes, which
    inherit it: without MALLOC_TRIM_THRESHOLD_, and as it was afterwards. (A Dask nanny writes
    its workers' variables into its own process's environment and leaves them there, so a
    process that has started a Dask cluster before carries Dask's MALLOC_TRIM_THRESHOLD_.)"""
    saved = dict(os.environ)
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _cluster(
    scheduler: str | None, workers: int | None, timeout: float
) -> Iterator[tuple[Client, str]]:
    """A client of a local cluster started for the sweep (closed after it), or of the
    existing cluster at ``scheduler``; and the cluster in words."""
    distributed = _distributed()
    if scheduler is None:
        n = workers or usable_cores()
        with local_cluster(n) as cluster, distributed.Client(cluster) as client:
            try:
                yield client, f"a local cluster of {n} worker process{'es' if n > 1 else ''}"
            finally:
                _close_workers(cluster, client)
        return
    _check_scheduler(scheduler, timeout)
    # A scheduler that answered the handshake can still fail the client (it went away, or
    # speaks another version): said in one line naming it, not as Dask's traceback.
    try:
        client = distributed.Client(scheduler, timeout=timeout)
    except Exception as exc:
        raise XentlabError(
            f"cannot use the Dask scheduler at {scheduler}: {_described(exc)}"
        ) from None
    with client:
        try:
            count = len(client.scheduler_info().get("workers", {}))
        except Exception as exc:
            raise XentlabError(
                f"cannot use the Dask scheduler at {scheduler}: {_described(exc)}"
            ) from None
        yield client, f"the cluster at {scheduler} ({count} worker{'s' if count != 1 else ''})"


def _close_workers(cluster: Any, client: Client) -> None:
    """Close a local cluster's workers before its scheduler: a worker whose scheduler closes
    first logs its next heartbeat's failure as an error, traceback and all, on the terminal
    the sweep shares with it. Waits at most WORKERS_CLOSE_SECONDS."""
    cluster.scale(0)
    deadline = time.monotonic() + WORKERS_CLOSE_SECONDS
    while client.scheduler_info().get("workers") and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)


def _check_scheduler(address: str, timeout: float) -> None:
    """Fail within ``timeout`` seconds, in one line naming ``address``, unless a Dask scheduler
    answers there. Dask's own client waits for ever for a server that accepts the connection
    and then says nothing; a server of another protocol can make it try to allocate exabytes
    or fail in its decoding (struct.error, TypeError, ...); a Dask worker or nanny answers it
    with a TypeError. So a handshake is tried first, under a deadline of our own, with the
    connection settings the client would use, and the peer is asked what it is (``identity``),
    every failure that depends on what is at the address turned into an XentlabError."""
    import asyncio  # here, not above: a command that only reads a sweep's grid never needs it

    from distributed.comm import connect, parse_address, registry
    from distributed.security import Security

    try:
        scheme = parse_address(address)[0]
    except ValueError as exc:
        raise XentlabError(
            f"scheduler must be an address like tcp://host:8786; got {address!r} ({exc})"
        ) from None
    try:  # a scheme Dask knows but cannot use here (ucx:// without its package, say)
        registry.get_backend(scheme).get_connector()
    except Exception as exc:
        raise XentlabError(
            f"Dask cannot make {scheme}:// connections here ({_described(exc)}): use tcp:// "
            f"for {address}"
        ) from None
    connection = Security().get_connection_args("client")
    if scheme == "tls" and connection.get("ssl_context") is None:
        raise XentlabError(
            f"{address} is a TLS address, but Dask has no TLS settings for a client: set "
            "distributed.comm.tls.ca-file, .client.cert and .client.key in Dask's "
            "configuration (or DASK_DISTRIBUTED__COMM__TLS__... variables), or use tcp://"
        )

    async def identity() -> Any:
        comm = await asyncio.wait_for(connect(address, timeout=timeout, **connection), timeout)
        try:
            await asyncio.wait_for(comm.write({"op": "identity", "reply": True}), timeout)
            return await asyncio.wait_for(comm.read(), timeout)
        finally:
            comm.abort()

    try:
        answer = asyncio.run(identity())
    except ValueError as exc:  # a malformed address (parse_address cannot see every fault)
        raise XentlabError(
            f"scheduler must be an address like tcp://host:8786; got {address!r} ({exc})"
        ) from None
    except (OSError, asyncio.TimeoutError):  # TimeoutError is an OSError from Python 3.11
        raise XentlabError(
            f"no Dask scheduler answered at {address} within {timeout:g} s: is one running "
            "there (dask scheduler), and can this machine reach it?"
        ) from None
    except MemoryError:  # the length of a message that never was, read from another protocol
        raise XentlabError(
            f"{address} answered, but not as a Dask scheduler does: is that the right port?"
        ) from None
    except Exception as exc:  # whatever the peer's bytes make Dask's decoding raise
        raise XentlabError(
            f"{address} answered, but not as a Dask scheduler does ({_described(exc)}): is "
            "that the right address and port?"
        ) from None
    kind = answer.get("type") if isinstance(answer, dict) else None
    if kind != "Scheduler":
        what = f"a Dask {kind}" if isinstance(kind, str) and kind.isidentifier() else "not Dask"
        raise XentlabError(
            f"{address} is {what}, not a Dask scheduler: give the scheduler's address (the "
            "one `dask scheduler` prints as it starts, tcp://host:8786 by default)"
        )


def _described(exc: BaseException) -> str:
    """An exception in a few words: its type, and its text where it has one."""
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    text = " ".join(str(exc).split())[:200]
    return f"{name}: {text}" if text else name


def _distributed() -> ModuleType:
    """dask.distributed, or a one-line error saying how to install it."""
    try:
        return importlib.import_module("distributed")
    except ImportError:
        raise XentlabError(
            "sweeps run on Dask's distributed scheduler, which is not installed: "
            "pip install 'xentlab[sweep]'"
        ) from None


def _dask() -> Any:
    return importlib.import_module("dask")
