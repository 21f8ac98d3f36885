"""Runs trained together (training.fit_group) end as they end alone: the same bits, the same
records, each its own divergence, stop and finish."""

from __future__ import annotations

import dataclasses

import pytest

from xentlab.data import load_dataset
from xentlab.kernel import compiled_unavailable
from xentlab.model import Network
from xentlab.training import (
    EpochRecord,
    TrainConfig,
    TrainingDiverged,
    TrainState,
    check_labelled,
    fit,
    fit_group,
    group_key,
    train_many,
)
from xentlab.training.loop import Trainee

KERNELS = [
    "numpy",
    pytest.param(
        "compiled",
        marks=pytest.mark.skipif(
            compiled_unavailable() is not None, reason=f"numba: {compiled_unavailable()}"
        ),
    ),
]
# (hidden, cost, settings): widths, costs, η, λ, regularisation, epochs, early stop, schedule
RUNS = [
    ((30,), "quadratic", {"eta": 3.0}),
    ((17,), "cross-entropy", {"eta": 0.5, "lmbda": 2.0}),
    ((20, 9), "log-likelihood", {"eta": 0.3, "lmbda": 1.0, "regularization": "l1"}),
    ((12,), "cross-entropy", {"eta": 0.8, "epochs": 2}),
    ((25,), "quadratic", {"eta": 5.0, "schedule": 1, "epochs": 6}),
]


@pytest.fixture(scope="module")
def digits():
    dataset = load_dataset("digits", seed=3)
    return dataset


def start(hidden, cost, settings, kernel, dtype="float64", seed=3):
    net = Network.create((64, *hidden, 10), cost, "default", seed, dtype)
    config = TrainConfig(
        **{"epochs": 4, "batch_size": 10, "seed": seed, "kernel": kernel, **settings}
    )
    return TrainState.start(net, config)


def data_for(state, digits):
    net = state.network
    training = check_labelled(net, digits.train.X, digits.train.labels, "training")
    validation = check_labelled(net, digits.validation.X, digits.validation.labels, "validation")
    return training, validation


def bits(state):
    return [a.tobytes() for a in state.network.weights + state.network.biases]


def same_records(a: list[EpochRecord], b: list[EpochRecord]) -> bool:
    strip = [dataclasses.replace(r, seconds=0.0) for r in a]
    return strip == [dataclasses.replace(r, seconds=0.0) for r in b]


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_runs_trained_together_end_with_the_bits_and_records_they_get_alone(digits, kernel, dtype):
    together = [start(*run, kernel, dtype) for run in RUNS]
    training, validation = data_for(together[0], digits)
    assert len({group_key(state) for state in together}) == 1
    trainees = [Trainee(state) for state in together]
    fit_group(trainees, training, validation, chunk=7)
    assert all(trainee.failure is None for trainee in trainees)
    for run, state in zip(RUNS, together, strict=True):
        alone = fit(start(*run, kernel, dtype), training, validation, chunk=7)
        assert bits(alone) == bits(state), run
        assert same_records(alone.history.records, state.history.records), run
        assert alone.history.stop_reason == state.history.stop_reason
    epochs = [state.epoch for state in together]
    assert epochs == [4, 4, 4, 2, 6]  # each ended at its own epoch
    assert together[4].history.column("eta")[-1] < 5.0  # its own schedule halved its η


@pytest.mark.parametrize("kernel", KERNELS)
def test_a_diverging_run_stops_alone_where_it_would_alone_and_the_others_go_on(digits, kernel):
    runs = [RUNS[0], ((30,), "cross-entropy", {"eta": 1e7}), RUNS[1]]
    together = [start(*run, kernel) for run in runs]
    training, validation = data_for(together[0], digits)
    trainees = [Trainee(state) for state in together]
    fit_group(trainees, training, validation, chunk=7)
    assert isinstance(trainees[1].failure, TrainingDiverged)
    assert trainees[0].failure is None and trainees[2].failure is None
    with pytest.raises(TrainingDiverged) as alone_failure:
        alone = start(*runs[1], kernel)
        fit(alone, training, validation, chunk=7)
    assert str(alone_failure.value) == str(trainees[1].failure)
    assert bits(alone) == bits(together[1])  # left at the last good mini-batch, as alone
    for run, state in ((runs[0], together[0]), (runs[2], together[2])):
        assert bits(fit(start(*run, kernel), training, validation, chunk=7)) == bits(state)


class StopAfter:
    """An observer that stops its run after ``batches`` mini-batches."""

    def __init__(self, batches: int) -> None:
        self.batches = batches

    def on_batches(self, state, done, total):
        if state.epoch * total + done >= self.batches:
            raise KeyboardError("stop")

    def on_epoch(self, state, record):
        pass


class KeyboardError(Exception):
    pass


def test_a_run_whose_observer_raises_leaves_the_group_at_that_point_and_resumes_to_the_same_bits(
    digits,
):
    together = [start(*run, "numpy") for run in RUNS[:3]]
    training, validation = data_for(together[0], digits)
    trainees = [Trainee(together[0]), Trainee(together[1], [StopAfter(21)]), Trainee(together[2])]
    fit_group(trainees, training, validation, chunk=7)
    assert isinstance(trainees[1].failure, KeyboardError)
    stopped = together[1]
    assert (stopped.epoch, stopped.batch) == (0, 21)
    fit(stopped, training, validation, chunk=7)  # resumed alone, from where it stopped
    assert bits(stopped) == bits(fit(start(*RUNS[1], "numpy"), training, validation, chunk=7))


def test_runs_that_cannot_share_a_pass_are_refused_and_train_many_groups_them(digits):
    a = start(*RUNS[0], "numpy", seed=3)
    b = start(*RUNS[1], "numpy", seed=4)  # another seed: another order of mini-batches
    assert group_key(a) != group_key(b)
    training, validation = data_for(a, digits)
    with pytest.raises(ValueError, match="different groups"):
        fit_group([Trainee(a), Trainee(b)], training, validation)
    nets = [start(*RUNS[i], "numpy", seed=s).network for i, s in ((0, 3), (1, 4), (3, 3))]
    configs = [start(*RUNS[i], "numpy", seed=s).config for i, s in ((0, 3), (1, 4), (3, 3))]
    histories = train_many(
        nets,
        digits.train.X,
        digits.train.labels,
        configs,
        (digits.validation.X, digits.validation.labels),
    )
    for (i, s), net, history in zip(((0, 3), (1, 4), (3, 3)), nets, histories, strict=True):
        alone = fit(start(*RUNS[i], "numpy", seed=s), training, validation)
        assert [w.tobytes() for w in net.weights] == [w.tobytes() for w in alone.network.weights]
        assert same_records(history.records, alone.history.records)
