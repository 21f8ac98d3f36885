"""The race: one network trained under the quadratic cost and under cross-entropy at once, from
the same initial weights and the same order of mini-batches, its progress streamed to the page.
With the ``output`` setting, each cost that goes with that output trains on it (``linear``: the
quadratic cost on a linear output against cross-entropy on its sigmoid one).

Each race prepares its two runs through ``experiments.prepare_cost_run`` (the pairing of
``xentlab compare``) and trains them together, in one pass over the data, in a thread of its
own: the kernels release the GIL, so the event loop keeps answering. An observer relays what
each run measures (a probe about ten times an epoch, every epoch's record) to the event loop,
which streams it as server-sent events. A race ends when both runs finish, when its page asks
(Stop), when its page goes away, when it has run for the time limit, or when the server stops;
each way the run layer's ``StopRequest`` ends the runs at their next mini-batch boundary.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import settings as run_settings
from ..checks import plural
from ..data import DatasetCache
from ..errors import XentlabError
from ..experiments import CompareSpec, prepare_cost_run
from ..functions import PAIRS, SIGMOID_COST_NAMES, Output, pair_cost
from ..runs import Run, RunResult, StopRequest, train_together
from ..settings import NetworkSettings, TrainConfig
from ..training import EpochRecord, Probe, TrainState, stall_warning
from .limits import Limits
from .view import TooBusy

COSTS = tuple(SIGMOID_COST_NAMES)  # every cost of a sigmoid output, side by side
# The outputs a race may ask for: those that go with one of its costs (sigmoid, linear).
RACE_OUTPUTS = tuple(str(o) for o in Output if any(o in PAIRS[cost] for cost in COSTS))
PROBES_PER_EPOCH = 10  # points of each learning curve per epoch: smooth enough, cheap enough
PACE_STEP = 0.05  # seconds: a paced run waits in steps this short, to hear a stop at once
JOIN_SECONDS = 10.0  # how long a stopping server waits for the runs' threads

logger = logging.getLogger(__name__)


def contenders(output: str | None) -> tuple[str, ...]:
    """The race's runs, written as compare writes contenders: each of COSTS on ``output``
    where they go together (quadratic/linear), else on its own output."""
    return tuple(
        pair_cost(cost, output).label if output and Output(output) in PAIRS[cost] else cost
        for cost in COSTS
    )


def event(kind: str, data: dict[str, Any]) -> bytes:
    """One server-sent event: its kind and its data as one line of JSON."""
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


@dataclass(frozen=True)
class RaceSettings:
    """What the page asked for, checked (``race_view.parameters``): the data set, the pace
    (at least this many seconds per epoch, so that a reader can watch) and the settings of the
    runs (``xentlab.settings``: those offered to the race; the others at their defaults), but
    ``output``, which each run takes where its cost goes with it (:func:`contenders`)."""

    dataset: str
    pace: float
    network: NetworkSettings
    config: TrainConfig
    output: str | None = None

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> RaceSettings:
        """From the page's checked values: ``dataset``, ``pace`` and settings."""
        chosen = {k: v for k, v in values.items() if k not in ("dataset", "pace", "output")}
        network, config = run_settings.split(chosen)
        return cls(values["dataset"], values["pace"], network, config, values.get("output"))

    @property
    def seed(self) -> int:
        return self.config.seed

    def document(self) -> dict[str, Any]:
        """What the page is told it asked for (one hidden width, as it gave one)."""
        chosen = run_settings.document(self.network, self.config)
        offered = {s.name: chosen[s.name] for s in run_settings.offered("race")}
        return {
            "dataset": self.dataset,
            **offered,
            "output": self.output,
            "hidden": self.network.hidden[0],
            "pace": self.pace,
        }

    def compare_spec(self, inputs: int, data_dir: str | None) -> CompareSpec:
        """The pair of runs: sizes (inputs, hidden, 10), both costs (each on the output asked
        for where it goes) at one η, probed PROBES_PER_EPOCH times in every epoch on up to
        1,000 examples."""
        return CompareSpec(
            costs=contenders(self.output),
            eta=self.config.eta,
            dataset=self.dataset,
            data_dir=data_dir,
            sizes=(inputs, *self.network.hidden, 10),
            network=self.network,
            config=self.config,
            seeds=(self.config.seed,),
            fine_epochs=self.config.epochs,
            probes_per_epoch=PROBES_PER_EPOCH,
        )


@dataclass(eq=False)
class Race:
    """One race: its id (the page's handle for Stop), its client, its runs' stop request and
    the queue of events on their way to the page."""

    id: str
    client: str
    settings: RaceSettings
    spec: CompareSpec
    loop: asyncio.AbstractEventLoop
    stop: StopRequest = field(default_factory=StopRequest)
    reason: str | None = None  # why it was asked to stop; None while it may finish
    finished: bool = False
    events: asyncio.Queue[tuple[str, dict[str, Any]]] = field(default_factory=asyncio.Queue)
    threads: list[threading.Thread] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _data: DatasetCache = field(default_factory=DatasetCache)  # one copy for both runs
    _running: int = 0
    _on_end: Callable[[Race], None] | None = None

    def start(self, on_end: Callable[[Race], None]) -> None:
        """Start both runs, in one thread of their own; ``on_end`` hears when it has ended."""
        self._on_end = on_end
        self._running = 1
        thread = threading.Thread(target=self._train, name=f"race-{self.id}", daemon=True)
        self.threads.append(thread)
        thread.start()

    def request_stop(self, reason: str) -> None:
        """End both runs at their next mini-batch boundary (safe from any thread)."""
        if self.reason is None and not self.finished:
            self.reason = reason
        self._stopping.set()
        self.stop.request()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` in a run's thread, waking at once if the race is asked to stop."""
        self._stopping.wait(seconds)

    def send(self, kind: str, data: dict[str, Any]) -> None:
        """Pass an event from a run's thread to the stream; a server that has stopped stops
        the race."""
        try:
            self.loop.call_soon_threadsafe(self.events.put_nowait, (kind, data))
        except RuntimeError:  # the event loop has closed: nobody is listening any more
            self.request_stop("the server stopped")

    async def stream(self) -> AsyncIterator[bytes]:
        """The race's events for the page, from its settings to its end."""
        yield event(
            "race", {"id": self.id, "costs": list(self.spec.costs), **self.settings.document()}
        )
        while True:
            kind, data = await self.events.get()
            yield event(kind, data)
            if kind == "end":
                return

    def _train(self) -> None:
        """Prepare both runs and train them together, in one pass over the data."""
        try:
            ready = [prepared for cost in self.spec.costs if (prepared := self._prepare(cost))]
            outcomes = train_together(
                [run for _, run, _ in ready],
                [[probe, relay] for _, _, (probe, relay) in ready],
                stop=self.stop,
                chunk=min((probe.every for _, _, (probe, _) in ready), default=1),
            )
            for (cost, _, _), outcome in zip(ready, outcomes, strict=True):
                self._report(cost, outcome)
        except Exception:  # a bug: the page hears of it, the server log has the traceback
            logger.exception("race %s failed", self.id)
            self.send("error", {"cost": None, "message": "the race failed (a bug)"})
        finally:
            try:
                self.loop.call_soon_threadsafe(self._ended)
            except RuntimeError:
                pass

    def _prepare(self, cost: str) -> tuple[str, Run, tuple[Probe, Relay]] | None:
        """The run of ``cost``, its probe and relay, with the page told of it; None (and the
        page told why) if it cannot train."""
        try:
            run, probe = prepare_cost_run(self.spec, cost, self.settings.seed, self._data.load)
        except XentlabError as exc:  # bad data found only now
            self.send("error", {"cost": cost, "message": str(exc)})
            return None
        self.send(
            "run",
            {
                "cost": cost,
                "sizes": list(run.state.network.sizes),
                "training_examples": len(run.training.X),
                "batches_per_epoch": probe.per_epoch,
                "probe_every": probe.every,
            },
        )
        relay = Relay(self, cost, probe)
        relay.flush()  # the network before training: the start of both curves
        return cost, run, (probe, relay)

    def _report(self, cost: str, outcome: RunResult | Exception) -> None:
        """Tell the page how the run of ``cost`` ended."""
        if isinstance(outcome, XentlabError):  # training diverged
            self.send("error", {"cost": cost, "message": str(outcome)})
        elif isinstance(outcome, Exception):  # a bug: the server log has the traceback
            logger.error("race %s: the %s run failed", self.id, cost, exc_info=outcome)
            self.send("error", {"cost": cost, "message": f"the {cost} run failed (a bug)"})
        else:
            self.send(
                "done",
                {
                    "cost": cost,
                    "stopped": outcome.stopped,
                    "epochs": outcome.state.epoch,
                    "test_accuracy": outcome.test_accuracy,
                    "warnings": list(outcome.warnings),
                },
            )

    def _ended(self) -> None:
        """In the event loop, as each run's thread ends; the second one ends the race."""
        self._running -= 1
        if self._running:
            return
        self.finished = True
        self.events.put_nowait(("end", {"stopped": self.reason is not None, "reason": self.reason}))
        if self._on_end is not None:
            self._on_end(self)


class Relay:
    """An observer of one run that passes each new probe record and each epoch's record to
    the race's stream; with a pace, a record at epoch e waits until e × pace seconds after the
    start, so that both runs move across the page at the same speed."""

    def __init__(self, race: Race, cost: str, probe: Probe) -> None:
        self.race, self.cost, self.probe = race, cost, probe
        self.sent = 0
        self.started = time.monotonic()
        self.stall_said = False

    def flush(self) -> None:
        for record in self.probe.records[self.sent :]:
            self.race.send(
                "probe",
                {
                    "cost": self.cost,
                    "batches": record.batches,
                    "epochs": record.epochs,
                    "training_cost": record.training_cost,
                    "validation_accuracy": record.validation_accuracy,
                    "saturation": record.saturation,
                    "saturated_wrong": record.saturated_wrong,
                },
            )
            self._keep_pace(record.epochs)
        self.sent = len(self.probe.records)

    def _keep_pace(self, epochs: float) -> None:
        due = self.started + epochs * self.race.settings.pace
        while not self.race.stop.requested and (left := due - time.monotonic()) > 0:
            self.race.wait(min(left, PACE_STEP))

    def on_batches(self, state: TrainState, done: int, total: int) -> None:
        self.flush()

    def on_epoch(self, state: TrainState, record: EpochRecord) -> None:
        self.flush()
        stall = None if self.stall_said else stall_warning(state.history, state.network)
        self.stall_said = self.stall_said or stall is not None
        self.race.send("epoch", {"cost": self.cost, **record.__dict__, "stall": stall})


class Races:
    """The races running now, by id, within the limits: so many per client, so many in all,
    so many on MNIST; each stopped after the time limit."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.running: dict[str, Race] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._threads: list[threading.Thread] = []

    def open(self, client: str, settings: RaceSettings, inputs: int, data_dir: str | None) -> Race:
        """Start a race for ``client`` (in the event loop), or raise TooBusy."""
        limits, running = self.limits, list(self.running.values())
        mine = sum(race.client == client for race in running)
        mnist = sum(race.settings.dataset == "mnist" for race in running)
        if mine >= limits.races_per_client:
            raise TooBusy(
                f"this client already runs {plural(mine, 'race')}, the most allowed: stop one "
                "(or wait for it to end) before starting another"
            )
        if len(running) >= limits.races:
            raise TooBusy(
                f"the server already runs {plural(len(running), 'race')}, the most allowed: "
                "try again when one has ended"
            )
        if settings.dataset == "mnist" and mnist >= limits.mnist_races:
            raise TooBusy(
                f"the server already runs {plural(mnist, 'race')} on MNIST, the most allowed at "
                "once (each holds about 0.8 GB): try again when one has ended, or race on digits"
            )
        spec = settings.compare_spec(inputs, data_dir)
        loop = asyncio.get_running_loop()
        race = Race(secrets.token_hex(8), client, settings, spec, loop)
        self.running[race.id] = race
        limit = limits.race_seconds
        self._timers[race.id] = loop.call_later(
            limit, race.request_stop, f"the time limit of {limit:g} s"
        )
        race.start(self._ended)
        self._threads.extend(race.threads)
        return race

    def _ended(self, race: Race) -> None:
        self.running.pop(race.id, None)
        self._threads = [t for t in self._threads if t.is_alive() and t not in race.threads]
        timer = self._timers.pop(race.id, None)
        if timer is not None:
            timer.cancel()

    def stop_all(self, reason: str) -> None:
        for race in list(self.running.values()):
            race.request_stop(reason)

    def join(self, timeout: float = JOIN_SECONDS) -> None:
        """Wait (in a worker thread) for every run's thread to end, at most ``timeout``."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]
