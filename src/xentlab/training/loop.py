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
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from .. import checks
from ..data import LabelledData, TargetData, TrainingData
from ..errors import XentlabError
from ..kernel import make_kernel
from ..model import Network
from .guard import DivergenceGuard, TrainingDiverged, run_checked
from .state import SCHEDULE_FLOOR, EpochRecord, History, Observer, TrainConfig, TrainState

SATURATION_SAMPLE = 1000  # the training examples each epoch's saturation is measured on


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
) -> tuple[float, float | None]:
    """(cost, accuracy) of the network on data; the cost includes the regularisation term, the
    accuracy is None for data with targets instead of labels."""
    Y = data.targets(network.sizes[-1], np.dtype(np.float64))
    labels = data.labels if isinstance(data, LabelledData) else None
    return network.cost_and_accuracy(data.X, Y, labels, lmbda, n_train, regularization)


def fit(
    state: TrainState,
    training: TrainingData,
    evaluation: TrainingData | None = None,
    observers: Sequence[Observer] = (),
    chunk: int = 100,
    checkpoint: Callable[[TrainState], None] | None = None,
    checkpoint_every: int | None = None,
) -> TrainState:
    """Run (or continue) the epochs of ``state`` on ``training``; returns the same state.

    The epoch loop is the kernel ``state.config.kernel`` names (``xentlab.kernel``). Mini-batches
    are applied ``chunk`` at a time (fewer at a checkpoint boundary); after each
    chunk the weights are checked, observers hear of progress, and, every ``checkpoint_every``
    mini-batches and at each epoch's end, ``checkpoint(state)`` is called.
    """
    cfg, net = state.config, state.network
    n = training.X.shape[0]
    check_batch_size(cfg, n)
    if checkpoint_every is not None:
        checks.int_at_least("checkpoint_every", checkpoint_every, 1)
    kernel = make_kernel(cfg.kernel, net.sizes, cfg.batch_size, net.dtype, net.cost)
    Y_all = training.targets(net.sizes[-1], net.dtype)
    kernel.prepare(training.X, Y_all)
    total = batches_per_epoch(n, cfg.batch_size)
    guard = DivergenceGuard(state, training)
    # BLAS threads for the work around the kernel (the guard's checks, each epoch's evaluation):
    # the compiled kernel asks for one, as a multithreaded BLAS call leaves its threads spinning
    # for a while after it returns, on the core the single-threaded kernel would be using.
    with ThreadpoolController().limit(limits=kernel.blas_threads, user_api="blas"):
        while not state.finished:
            if state.order is None:
                state.order = state.rng.permutation(n)
            started = time.perf_counter()
            while state.batch < total:
                stop = min(total, state.batch + chunk)
                if checkpoint_every:
                    stop = min(stop, (state.batch // checkpoint_every + 1) * checkpoint_every)
                run_checked(kernel, state, guard, training.X, Y_all, stop, n)
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


def _end_epoch(
    state: TrainState, training: TrainingData, evaluation: TrainingData | None, seconds: float
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
    sample = training.head(SATURATION_SAMPLE)
    targets = sample.targets(net.sizes[-1], np.dtype(np.float64))
    saturated, saturated_wrong = net.saturation(sample.X, targets)
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
