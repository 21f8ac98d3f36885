"""Training a network by mini-batch SGD: the epoch loop, monitoring, early stopping, the schedule.

Training data is labelled (one class per row, :class:`LabelledData`: one-hot targets, accuracy
measured, the best evaluation is the most accurate) or carries its targets (:class:`TargetData`,
Y in [0, 1]: accuracy is None, the best evaluation is the lowest cost). Everything else is the
same for both: the loop asks the data for its targets and nothing more.

The whole state of a run is one object, :class:`TrainState`; anything that can be saved from it
(a checkpoint) resumes to the same bits. Progress goes to observers; this module never prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from .. import checks
from ..data import LabelledData, TargetData, TrainingData
from ..errors import XentlabError
from ..kernel import make_group_kernel
from ..model import Network
from .evaluator import evaluator_for
from .groups import group_key, grouped
from .guard import DivergenceGuard, TrainingDiverged, run_checked
from .state import SCHEDULE_FLOOR, EpochRecord, History, Observer, TrainConfig, TrainState

SATURATION_SAMPLE = 1000  # the training examples each epoch's saturation is measured on
# Examples per chunk of mini-batches by default. After each chunk the weights are checked and
# copied and observers hear of progress, about half a millisecond in all: after 10,000
# examples that is 3 % of the compiled kernel's work on MNIST (after 1,000 it was a quarter),
# and progress still moves every 20 ms or so (every 0.1 s on the NumPy kernel).
CHUNK_EXAMPLES = 10_000


def check_labelled(network: Network, X: Any, labels: Any, name: str) -> LabelledData:
    """(X, labels) checked for ``network``: X a finite (n, inputs) array, converted to the
    network's dtype, and n integer labels, each naming one of the output neurons."""
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
    return LabelledData(X, labels.astype(np.int64))


def check_targets(network: Network, X: Any, Y: Any, name: str) -> TargetData:
    """(X, Y) checked for ``network``: X as for :func:`check_labelled`, and Y a finite
    (n, outputs) array in [0, 1], converted to the network's dtype. Under a softmax output
    (log-likelihood) each row of Y must also sum to 1: its δ = a − y is ∂C_x/∂z only then."""
    X = network.check_inputs(X, f"{name} X")
    Y = checks.unit_interval_array(f"{name} Y", Y, network.dtype)
    outputs = network.sizes[-1]
    if Y.shape != (X.shape[0], outputs):
        raise XentlabError(
            f"{name} Y must have shape ({X.shape[0]}, {outputs}), a row of {outputs} targets "
            f"for each row of X; got shape {Y.shape}"
        )
    if network.cost.softmax_output:
        sums = Y.sum(axis=1, dtype=np.float64)
        if not np.allclose(sums, 1.0, rtol=0, atol=1e-4):
            raise XentlabError(
                f"{name} Y must have rows summing to 1 under the {network.cost.name} cost "
                f"(a softmax output); got row sums from {sums.min():g} to {sums.max():g}"
            )
    return TargetData(X, Y)


def check_batch_size(config: TrainConfig, n: int) -> None:
    if config.batch_size > n:
        raise XentlabError(
            f"batch_size must be at most the {n} training examples; got {config.batch_size}"
        )


def batches_per_epoch(n: int, batch_size: int) -> int:
    return -(-n // batch_size)


def evaluate(
    network: Network,
    data: TrainingData,
    lmbda: float = 0.0,
    n_train: int | None = None,
    regularization: str = "l2",
    kernel: str = "auto",
) -> tuple[float, float | None]:
    """(cost, accuracy) of the network on data; the cost includes the regularisation term, the
    accuracy is None for data with targets instead of labels. Measured by ``data``'s evaluator
    (:mod:`~xentlab.training.evaluator`), compiled unless ``kernel`` is ``numpy``."""
    return evaluator_for(data).cost_and_accuracy(
        network, lmbda, n_train, regularization, kernel=kernel
    )


@dataclass
class Trainee:
    """One run of a group trained by :func:`fit_group`: its state, its observers and its
    checkpoint. ``failure``: what ended it early (it diverged, an observer asked it to stop);
    the group goes on without it, and its front end raises it."""

    state: TrainState
    observers: Sequence[Observer] = ()
    checkpoint: Callable[[TrainState], None] | None = None
    failure: Exception | None = None


def fit(
    state: TrainState,
    training: TrainingData,
    evaluation: TrainingData | None = None,
    observers: Sequence[Observer] = (),
    chunk: int | None = None,
    checkpoint: Callable[[TrainState], None] | None = None,
    checkpoint_every: int | None = None,
) -> TrainState:
    """Run (or continue) the epochs of ``state`` on ``training``; returns the same state.

    The epoch loop is the kernel ``state.config.kernel`` names (``xentlab.kernel``). Mini-batches
    are applied ``chunk`` at a time (fewer at a checkpoint boundary; by default as many as
    make CHUNK_EXAMPLES examples); after each chunk the weights are checked, observers hear
    of progress, and, every ``checkpoint_every``
    mini-batches and at each epoch's end, ``checkpoint(state)`` is called.
    """
    trainee = Trainee(state, observers, checkpoint)
    fit_group([trainee], training, evaluation, chunk, checkpoint_every)
    if trainee.failure is not None:
        raise trainee.failure
    return state


def fit_group(
    trainees: Sequence[Trainee],
    training: TrainingData,
    evaluation: TrainingData | None = None,
    chunk: int | None = None,
    checkpoint_every: int | None = None,
) -> None:
    """:func:`fit` for several runs at once, in one pass over the data (see
    ``xentlab.kernel``): runs that share their training data, mini-batch size, dtype, kernel and
    order of mini-batches (the same seed, at the same point: :func:`~xentlab.training.groups.
    group_key`), each with its own network, cost, η, λ, regularisation, epochs, early stop and
    schedule. Each run's result is the bits it gets alone. A run that fails (diverges, or an
    observer raises) keeps its exception in ``failure`` and leaves the group; one that finishes
    leaves it too. Each epoch's ``seconds`` is the group's."""
    n = training.X.shape[0]
    if checkpoint_every is not None:
        checks.int_at_least("checkpoint_every", checkpoint_every, 1)
    for trainee in trainees:
        check_batch_size(trainee.state.config, n)
    keys = {group_key(trainee.state) for trainee in trainees}
    if len(keys) > 1:
        raise ValueError(f"runs of different groups cannot share a pass: {keys}")
    first = trainees[0].state
    batch_size, outputs, dtype = (
        first.config.batch_size,
        first.network.sizes[-1],
        first.network.dtype,
    )
    Y_all = training.targets(outputs, dtype)
    guards = [DivergenceGuard(trainee.state, training) for trainee in trainees]
    total = batches_per_epoch(n, batch_size)
    chunk = chunk or max(1, CHUNK_EXAMPLES // batch_size)
    active = [i for i, trainee in enumerate(trainees) if not trainee.state.finished]
    shapes = [(t.state.network.sizes, t.state.network.cost) for t in trainees]
    whole = make_group_kernel(first.config.kernel, shapes, batch_size, dtype)
    whole.prepare(training.X, Y_all, evaluator_for(training).compressed)  # compressed once
    # BLAS threads for the work around the kernel (the guard's checks, each epoch's evaluation):
    # the compiled kernel asks for one, as a multithreaded BLAS call leaves its threads spinning
    # for a while after it returns, on the core the single-threaded kernel would be using.
    with ThreadpoolController().limit(limits=whole.blas_threads, user_api="blas"):
        while active:
            kernel = whole if len(active) == len(trainees) else whole.subgroup(active)
            states = [trainees[i].state for i in active]
            _draw_shared_order(states, n)
            started = time.perf_counter()
            while states and states[0].batch < total:
                batch = states[0].batch
                stop = min(total, batch + chunk)
                if checkpoint_every:
                    stop = min(stop, (batch // checkpoint_every + 1) * checkpoint_every)
                diverged = run_checked(
                    kernel, states, [guards[i] for i in active], training.X, Y_all, stop, n
                )
                for i, failure in zip(active, diverged, strict=True):
                    trainees[i].failure = failure or _heard(trainees[i], total, checkpoint_every)
                still = [i for i in active if trainees[i].failure is None]
                if still != active and still:
                    kernel = whole.subgroup(still)
                active, states = still, [trainees[i].state for i in still]
            seconds = time.perf_counter() - started
            for i in active:
                trainees[i].failure = _epoch_ended(trainees[i], training, evaluation, seconds)
            active = [
                i for i in active if trainees[i].failure is None and not trainees[i].state.finished
            ]


def _draw_shared_order(states: Sequence[TrainState], n: int) -> None:
    """Each run's shuffle for the epoch (those not yet drawn); the group's runs must agree."""
    drawn = []
    for state in states:
        if state.order is None:
            state.order = state.rng.permutation(n)
        drawn.append(state.order)
    if any(not np.array_equal(order, drawn[0]) for order in drawn):
        raise ValueError("the runs of a group must share their order of mini-batches")


def _heard(trainee: Trainee, total: int, checkpoint_every: int | None) -> Exception | None:
    """Tell a run's observers of its progress (and save it, at a checkpoint boundary); what
    one of them raised, if any."""
    state = trainee.state
    try:
        for observer in trainee.observers:
            observer.on_batches(state, state.batch, total)
        if trainee.checkpoint and checkpoint_every and state.batch % checkpoint_every == 0:
            trainee.checkpoint(state)
    except Exception as exc:  # the run's own failure: the others go on
        return exc
    return None


def _epoch_ended(
    trainee: Trainee, training: TrainingData, evaluation: TrainingData | None, seconds: float
) -> Exception | None:
    """End a run's epoch (measure it, early stop, schedule), tell its observers and save it;
    what failed, if anything."""
    try:
        record = _end_epoch(trainee.state, training, evaluation, seconds)
        for observer in trainee.observers:
            observer.on_epoch(trainee.state, record)
        if trainee.checkpoint:
            trainee.checkpoint(trainee.state)
    except Exception as exc:  # the run's own failure: the others go on
        return exc
    return None


def _end_epoch(
    state: TrainState, training: TrainingData, evaluation: TrainingData | None, seconds: float
) -> EpochRecord:
    """Monitor, then apply early stopping and the η schedule."""
    cfg, net = state.config, state.network
    n = training.X.shape[0]
    regularization = (cfg.lmbda, n, cfg.regularization)
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite cost is reported below
        # the saturation on the first training examples, from the same pass
        trained = evaluator_for(training).measure(
            net, *regularization, saturation_rows=SATURATION_SAMPLE, kernel=cfg.kernel
        )
        train_cost, train_acc = trained.cost, trained.accuracy
        eval_cost = eval_acc = None
        if evaluation is not None:
            eval_cost, eval_acc = evaluator_for(evaluation).cost_and_accuracy(
                net, *regularization, kernel=cfg.kernel
            )
    for cost in (train_cost, eval_cost):
        if cost is not None and not np.isfinite(cost):
            raise TrainingDiverged(
                state.epoch + 1, None, state.eta, "the cost became NaN or infinite"
            )
    saturated, saturated_wrong = trained.saturation, trained.saturated_wrong
    state.epoch += 1
    state.batch = 0
    state.order = None
    record = EpochRecord(
        state.epoch,
        state.eta,
        train_cost,
        train_acc,
        eval_cost,
        eval_acc,
        seconds,
        saturated,
        saturated_wrong,
    )
    state.history.records.append(record)
    if eval_cost is not None and (cfg.early_stop or cfg.schedule):
        if _improved(state, eval_cost, eval_acc):
            state.epochs_without_improvement = 0
        else:
            state.epochs_without_improvement += 1
        if cfg.early_stop and state.epochs_without_improvement >= cfg.early_stop:
            judged = "cost" if eval_acc is None else "accuracy"
            state.history.stop_reason = (
                f"early stop: no better validation {judged} for {cfg.early_stop} epochs"
            )
        elif cfg.schedule and state.epochs_without_improvement >= cfg.schedule:
            state.eta /= 2
            state.epochs_without_improvement = 0
            if state.eta <= cfg.eta / SCHEDULE_FLOOR:
                state.history.stop_reason = f"schedule: eta fell to eta0/{SCHEDULE_FLOOR}"
    return record


def _improved(state: TrainState, cost: float, accuracy: float | None) -> bool:
    """Whether this evaluation is the best yet (and if so, remember it): the highest accuracy on
    labelled data, the lowest cost on targets."""
    if accuracy is not None:
        if accuracy <= state.best_accuracy:
            return False
        state.best_accuracy = accuracy
        return True
    if state.best_cost is not None and cost >= state.best_cost:
        return False
    state.best_cost = cost
    return True


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
    training = check_labelled(network, X, labels, "training")
    held_out = check_labelled(network, *evaluation, "evaluation") if evaluation else None
    state = fit(TrainState.start(network, config), training, held_out, observers)
    return state.history


def train_many(
    networks: Sequence[Network],
    X: Any,
    labels: Any,
    configs: Sequence[TrainConfig],
    evaluation: tuple[Any, Any] | None = None,
) -> list[History]:
    """Train each network in place on (X, labels) with its config, as :func:`train` would one
    by one (to the same bits), in as few passes over the data as their configs allow: networks
    whose runs share their order of mini-batches (the same seed and mini-batch size, dtype,
    kernel) train together. Returns their histories in order; if a run failed (diverged),
    the others finish first and the first failure is then raised."""
    if len(networks) != len(configs):
        raise XentlabError(f"give one config per network; got {len(networks)} and {len(configs)}")
    if not networks:
        return []
    trainees = [Trainee(TrainState.start(n, c)) for n, c in zip(networks, configs, strict=True)]
    for group in grouped(trainees, [group_key(t.state) for t in trainees]):
        network = group[0].state.network  # the group's dtype and shape of data
        training = check_labelled(network, X, labels, "training")
        held_out = check_labelled(network, *evaluation, "evaluation") if evaluation else None
        fit_group(group, training, held_out)
    for trainee in trainees:
        if trainee.failure is not None:
            raise trainee.failure
    return [trainee.state.history for trainee in trainees]
