"""Training a network by mini-batch SGD: the epoch loop, monitoring, early stopping, the schedule.

The whole state of a run is one object, :class:`TrainState`: the network, the settings, the
current η, the epoch and the position within it, the epoch's shuffled order, the random
generator and the history. Anything that can be saved from it (a checkpoint) resumes to the same
bits. Progress goes to observers; this module never prints.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from . import checks
from .errors import XentlabError
from .kernel import EpochKernel
from .model import REGULARIZATIONS, Network, one_hot

SCHEDULE_FLOOR = 128  # the schedule stops once η has fallen to η₀/128


class TrainingDiverged(XentlabError):
    """Training diverged (see DivergenceGuard); the network is left as it was before the first
    bad mini-batch."""

    def __init__(self, epoch: int, batch: int | None, eta: float, what: str) -> None:
        where = f"epoch {epoch}" + (f", mini-batch {batch}" if batch is not None else "")
        super().__init__(
            f"training diverged at {where}: {what} with eta = {eta:g}; "
            f"try a smaller eta (say {eta / 10:g})"
        )
        self.epoch, self.batch, self.eta = epoch, batch, eta


@dataclass(frozen=True)
class TrainConfig:
    """Settings of a run. ``early_stop=N``: stop after N epochs without a better evaluation
    accuracy. ``schedule=N``: halve η after each N such epochs, stop once η ≤ η₀/128."""

    epochs: int = 30
    batch_size: int = 10
    eta: float = 0.5
    lmbda: float = 0.0
    regularization: str = "l2"
    early_stop: int | None = None
    schedule: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        checks.int_at_least("epochs", self.epochs, 1)
        checks.int_at_least("batch_size", self.batch_size, 1)
        checks.positive_number("eta", self.eta)
        checks.non_negative_number("lmbda", self.lmbda)
        checks.int_at_least("seed", self.seed, 0)
        REGULARIZATIONS.check("regularization", self.regularization)
        for name in ("early_stop", "schedule"):
            if getattr(self, name) is not None:
                checks.int_at_least(name, getattr(self, name), 1)


@dataclass(frozen=True)
class EpochRecord:
    """What was measured after one epoch (costs include the regularisation term)."""

    epoch: int
    eta: float
    training_cost: float
    training_accuracy: float
    evaluation_cost: float | None
    evaluation_accuracy: float | None
    seconds: float


@dataclass
class History:
    records: list[EpochRecord] = field(default_factory=list)
    stop_reason: str | None = None

    def column(self, name: str) -> list[Any]:
        return [getattr(r, name) for r in self.records]

    def to_dict(self) -> dict[str, Any]:
        return {"records": [asdict(r) for r in self.records], "stop_reason": self.stop_reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """The history saved by ``to_dict``, each field checked (it comes from a file)."""
        records = data["records"]
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise XentlabError("history records must be a list of objects")
        for r in records:
            checks.int_at_least("history epoch", r.get("epoch"), 1)
            for key in ("eta", "training_cost", "training_accuracy", "seconds"):
                checks.real_number(f"history {key}", r.get(key))
            for key in ("evaluation_cost", "evaluation_accuracy"):
                if r.get(key) is not None:
                    checks.real_number(f"history {key}", r.get(key))
        reason = data["stop_reason"]
        if reason is not None and not isinstance(reason, str):
            raise XentlabError("history stop_reason must be text or null")
        return cls([EpochRecord(**r) for r in records], reason)


@dataclass(frozen=True)
class LabelledData:
    """Checked inputs X (n, features) in the network's dtype and integer labels (n,)."""

    X: NDArray[np.floating]
    labels: NDArray[np.int64]

    @classmethod
    def check(cls, network: Network, X: Any, labels: Any, name: str) -> LabelledData:
        X = network.check_inputs(X, f"{name} X")
        labels = np.asarray(labels)
        if labels.shape != (X.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
            raise XentlabError(
                f"{name} labels must be {X.shape[0]} integers (one per row of X); got "
                f"shape {labels.shape}, dtype {labels.dtype}"
            )
        classes = network.sizes[-1]
        if labels.min() < 0 or labels.max() >= classes:
            raise XentlabError(
                f"{name} labels must lie in 0..{classes - 1} for {classes} output neurons; "
                f"got values from {labels.min()} to {labels.max()}"
            )
        return cls(X, labels.astype(np.int64))

    def fingerprint(self) -> str:
        """SHA-256 of the labels, the shape and every 97th value of X: tells data sets apart
        (a checkpoint refuses to resume on other data) without hashing all of X."""
        digest = hashlib.sha256(self.labels.astype("<i8").tobytes())
        digest.update(repr(self.X.shape).encode())
        digest.update(np.ascontiguousarray(self.X.reshape(-1)[::97], "<f8").tobytes())
        return digest.hexdigest()


@dataclass
class TrainState:
    """Everything a run needs to continue: resume from it and get the same bits."""

    network: Network
    config: TrainConfig
    rng: np.random.Generator
    eta: float
    epoch: int = 0  # epochs completed
    batch: int = 0  # mini-batches of the current epoch already applied
    order: NDArray[np.int64] | None = None  # the current epoch's shuffle, once drawn
    best_accuracy: float = -1.0
    epochs_without_improvement: int = 0
    reference_cost: float | None = None  # the divergence guard's cost at the start of the run
    history: History = field(default_factory=History)

    @classmethod
    def start(cls, network: Network, config: TrainConfig) -> TrainState:
        return cls(network, config, np.random.default_rng(config.seed), config.eta)

    @property
    def finished(self) -> bool:
        return self.history.stop_reason is not None or self.epoch >= self.config.epochs


class Observer(Protocol):
    """Receives progress; may read the state but must not change it."""

    def on_batches(self, state: TrainState, done: int, total: int) -> None: ...

    def on_epoch(self, state: TrainState, record: EpochRecord) -> None: ...


def check_batch_size(config: TrainConfig, n: int) -> None:
    if config.batch_size > n:
        raise XentlabError(
            f"batch_size must be at most the {n} training examples; got {config.batch_size}"
        )


def batches_per_epoch(n: int, batch_size: int) -> int:
    return -(-n // batch_size)


def evaluate(
    network: Network,
    data: LabelledData,
    lmbda: float = 0.0,
    n_train: int | None = None,
    regularization: str = "l2",
) -> tuple[float, float]:
    """(cost, accuracy) of the network on data; the cost includes the regularisation term."""
    Y = one_hot(data.labels, network.sizes[-1], np.float64)
    cost = network.total_cost(data.X, Y, lmbda, n_train, regularization)
    return cost, network.accuracy(data.X, data.labels)


def fit(
    state: TrainState,
    training: LabelledData,
    evaluation: LabelledData | None = None,
    observers: Sequence[Observer] = (),
    chunk: int = 100,
    checkpoint: Callable[[TrainState], None] | None = None,
    checkpoint_every: int | None = None,
) -> TrainState:
    """Run (or continue) the epochs of ``state`` on ``training``; returns the same state.

    Mini-batches are applied ``chunk`` at a time (fewer at a checkpoint boundary); after each
    chunk the weights are checked, observers hear of progress, and, every ``checkpoint_every``
    mini-batches and at each epoch's end, ``checkpoint(state)`` is called.
    """
    cfg, net = state.config, state.network
    n = training.X.shape[0]
    check_batch_size(cfg, n)
    if checkpoint_every is not None:
        checks.int_at_least("checkpoint_every", checkpoint_every, 1)
    kernel = EpochKernel(net.sizes, cfg.batch_size, net.dtype, net.cost)
    Y_all = one_hot(training.labels, net.sizes[-1], net.dtype)
    total = batches_per_epoch(n, cfg.batch_size)
    guard = DivergenceGuard(state, training)
    while not state.finished:
        if state.order is None:
            state.order = state.rng.permutation(n)
        X, Y = training.X[state.order], Y_all[state.order]
        started = time.perf_counter()
        while state.batch < total:
            stop = min(total, state.batch + chunk)
            if checkpoint_every:
                stop = min(stop, (state.batch // checkpoint_every + 1) * checkpoint_every)
            _run_checked(kernel, state, guard, X, Y, stop, n)
            for observer in observers:
                observer.on_batches(state, state.batch, total)
            if checkpoint and checkpoint_every and state.batch % checkpoint_every == 0:
                checkpoint(state)
        record = _end_epoch(state, training, evaluation, time.perf_counter() - started)
        for observer in observers:
            observer.on_epoch(state, record)
        if checkpoint:
            checkpoint(state)
    return state


class DivergenceGuard:
    """Decides whether training has diverged, cheaply enough to ask after every chunk.

    Diverged means: a weight or bias is NaN or infinite, or the cost on a fixed sample of the
    first 100 training examples is non-finite or has risen above 10 × its value at the start
    of the run (+ 1, so a near-zero start is not a hair trigger). Sigmoid outputs and δ are
    bounded, so an absurd η (1e6, say) rarely overflows; it throws the cost up by orders of
    magnitude instead, which the second test catches.
    """

    SAMPLE = 100
    FACTOR = 10.0

    def __init__(self, state: TrainState, training: LabelledData) -> None:
        net = state.network
        self.X = training.X[: self.SAMPLE]
        self.Y = one_hot(training.labels[: self.SAMPLE], net.sizes[-1], np.float64)
        if state.reference_cost is None:
            state.reference_cost = self.cost(net)
        self.limit = self.FACTOR * state.reference_cost + 1.0

    def cost(self, net: Network) -> float:
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite cost is the answer
            return net.cost.value(net.output_z(self.X).astype(np.float64), self.Y)

    def problem(self, net: Network) -> str | None:
        """What went wrong with ``net``, or None if it is fine."""
        finite = all(np.isfinite(a).all() for a in net.weights + net.biases)
        if not finite:
            return "the weights became NaN or infinite"
        cost = self.cost(net)
        if not cost <= self.limit:  # also true for NaN
            start = (self.limit - 1.0) / self.FACTOR
            return (
                f"the cost on {len(self.X)} training examples rose from {start:.4g} to {cost:.4g}"
            )
        return None


def _run_checked(
    kernel: EpochKernel,
    state: TrainState,
    guard: DivergenceGuard,
    X: NDArray,
    Y: NDArray,
    stop: int,
    n: int,
) -> None:
    """Apply mini-batches state.batch..stop − 1; on divergence, stop at the first bad batch
    with the weights it started from."""
    net, cfg = state.network, state.config
    before = net.copy()
    args = (state.eta, cfg.lmbda, n, cfg.regularization)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is judged by the guard
        kernel.run(net.weights, net.biases, X, Y, state.batch, stop, *args)
    if guard.problem(net) is None:
        state.batch = stop
        return
    # Replay from the last good weights one mini-batch at a time, to stop at the bad one.
    net.weights, net.biases = before.weights, before.biases
    for k in range(state.batch, stop):
        trial = net.copy()
        with np.errstate(over="ignore", invalid="ignore"):
            kernel.run(trial.weights, trial.biases, X, Y, k, k + 1, *args)
        problem = guard.problem(trial)
        if problem:
            state.batch = k
            raise TrainingDiverged(state.epoch + 1, k + 1, state.eta, problem)
        net.weights, net.biases = trial.weights, trial.biases
    raise AssertionError("unreachable: the chunk diverged but no single batch did")


def _end_epoch(
    state: TrainState, training: LabelledData, evaluation: LabelledData | None, seconds: float
) -> EpochRecord:
    """Monitor, then apply early stopping and the η schedule."""
    cfg, net = state.config, state.network
    n = training.X.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite cost is reported below
        train_cost, train_acc = evaluate(net, training, cfg.lmbda, n, cfg.regularization)
        eval_cost = eval_acc = None
        if evaluation is not None:
            eval_cost, eval_acc = evaluate(net, evaluation, cfg.lmbda, n, cfg.regularization)
    for cost in (train_cost, eval_cost):
        if cost is not None and not np.isfinite(cost):
            raise TrainingDiverged(
                state.epoch + 1, None, state.eta, "the cost became NaN or infinite"
            )
    state.epoch += 1
    state.batch = 0
    state.order = None
    record = EpochRecord(
        state.epoch, state.eta, train_cost, train_acc, eval_cost, eval_acc, seconds
    )
    state.history.records.append(record)
    if eval_acc is not None and (cfg.early_stop or cfg.schedule):
        if eval_acc > state.best_accuracy:
            state.best_accuracy = eval_acc
            state.epochs_without_improvement = 0
        else:
            state.epochs_without_improvement += 1
        if cfg.early_stop and state.epochs_without_improvement >= cfg.early_stop:
            state.history.stop_reason = (
                f"early stop: no better evaluation accuracy for {cfg.early_stop} epochs"
            )
        elif cfg.schedule and state.epochs_without_improvement >= cfg.schedule:
            state.eta /= 2
            state.epochs_without_improvement = 0
            if state.eta <= cfg.eta / SCHEDULE_FLOOR:
                state.history.stop_reason = f"schedule: eta fell to eta0/{SCHEDULE_FLOOR}"
    return record


def train(
    network: Network,
    X: Any,
    labels: Any,
    config: TrainConfig | None = None,
    evaluation: tuple[Any, Any] | None = None,
    observers: Sequence[Observer] = (),
) -> History:
    """Train ``network`` in place on (X, labels); returns the history of the run."""
    config = config or TrainConfig()
    training = LabelledData.check(network, X, labels, "training")
    held_out = LabelledData.check(network, *evaluation, "evaluation") if evaluation else None
    state = fit(TrainState.start(network, config), training, held_out, observers)
    return state.history
