"""The network: back-propagation against finite differences, the fast kernel against the plain
path, seeds, regularisation, early stopping, the schedule, divergence, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import central_difference, relative_error

from xentlab.errors import XentlabError
from xentlab.functions import COSTS
from xentlab.kernel import EpochKernel
from xentlab.model import Network, one_hot
from xentlab.training import (
    TrainConfig,
    TrainingDiverged,
    TrainState,
    check_labelled,
    check_targets,
    fit,
    train,
)


def toy(n=23, features=6, classes=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.random((n, features)).astype(dtype)
    labels = rng.integers(0, classes, n)
    return X, labels


@pytest.mark.parametrize("cost", list(COSTS))
def test_backprop_matches_finite_differences(cost):
    net = Network.create([6, 5, 4, 4], cost=cost, seed=3, dtype="float64")
    X, labels = toy()
    Y = one_hot(labels, 4, np.float64)
    grads_w, grads_b = net.backprop(X, Y)
    for layer in range(3):

        def cost_of_w(W, layer=layer):
            trial = net.copy()
            trial.weights[layer] = W
            return trial.total_cost(X, Y)

        def cost_of_b(b, layer=layer):
            trial = net.copy()
            trial.biases[layer] = b
            return trial.total_cost(X, Y)

        assert (
            relative_error(grads_w[layer], central_difference(cost_of_w, net.weights[layer])) < 1e-7
        )
        assert (
            relative_error(grads_b[layer], central_difference(cost_of_b, net.biases[layer])) < 1e-7
        )


def plain_epoch(net, X, Y, batch_size, eta, lmbda, reg):
    """The update rule written out from Network.backprop, one mini-batch at a time."""
    n = len(X)
    for lo in range(0, n, batch_size):
        xb, yb = X[lo : lo + batch_size], Y[lo : lo + batch_size]
        grads_w, grads_b = net.backprop(xb, yb)
        for i, (gw, gb) in enumerate(zip(grads_w, grads_b, strict=True)):
            if reg == "l2":
                shrunk = (1 - eta * lmbda / n) * net.weights[i]
            else:
                shrunk = net.weights[i] - eta * lmbda / n * np.sign(net.weights[i])
            net.weights[i] = shrunk - eta * gw
            net.biases[i] = net.biases[i] - eta * gb


@pytest.mark.parametrize("cost", list(COSTS))
@pytest.mark.parametrize(
    ("batch_size", "lmbda", "reg"),
    [(5, 0.0, "l2"), (4, 2.0, "l2"), (7, 1.5, "l1"), (23, 0.0, "l2")],
)
def test_kernel_equals_plain_path(cost, batch_size, lmbda, reg):
    X, labels = toy()
    Y = one_hot(labels, 4, np.float64)
    fast = Network.create([6, 5, 4], cost=cost, seed=1, dtype="float64")
    slow = fast.copy()
    kernel = EpochKernel([(fast.sizes, cost)], batch_size, np.dtype("float64"))
    batches = -(-len(X) // batch_size)
    for _ in range(3):
        kernel.run(fast.weights, fast.biases, X, Y, 0, batches, 0.7, lmbda, len(X), reg)
        plain_epoch(slow, X, Y, batch_size, 0.7, lmbda, reg)
    for a, b in zip(fast.weights + fast.biases, slow.weights + slow.biases, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_kernel_in_ranges_equals_one_pass():
    X, labels = toy(40)
    Y = one_hot(labels, 4, np.float64)
    a = Network.create([6, 5, 4], seed=2, dtype="float64")
    b = a.copy()
    kernel = EpochKernel([(a.sizes, "cross-entropy")], 3, np.dtype("float64"))
    kernel.run(a.weights, a.biases, X, Y, 0, 14, 0.5, 0.1, 40, "l2")
    for lo, hi in [(0, 5), (5, 6), (6, 14)]:
        kernel.run(b.weights, b.biases, X, Y, lo, hi, 0.5, 0.1, 40, "l2")
    for u, v in zip(a.weights + a.biases, b.weights + b.biases, strict=True):
        assert np.array_equal(u, v)


def test_float32_kernel_tracks_float64():
    X, labels = toy(200)
    nets = {dt: Network.create([6, 8, 4], seed=5, dtype=dt) for dt in ("float32", "float64")}
    for dt, net in nets.items():
        train(net, X.astype(dt), labels, TrainConfig(epochs=3, batch_size=10, eta=0.5))
    for w32, w64 in zip(nets["float32"].weights, nets["float64"].weights, strict=True):
        np.testing.assert_allclose(w32, w64, rtol=1e-3, atol=1e-4)


def test_same_seed_same_bits_and_init_scales():
    a = Network.create([784, 30, 10], init="default", seed=7)
    b = Network.create([784, 30, 10], init="default", seed=7)
    c = Network.create([784, 30, 10], init="default", seed=8)
    assert all(np.array_equal(u, v) for u, v in zip(a.weights, b.weights, strict=True))
    assert not np.array_equal(a.weights[0], c.weights[0])
    assert a.dtype == np.float32
    assert a.weights[0].std() == pytest.approx(1 / np.sqrt(784), rel=0.05)
    large = Network.create([784, 30, 10], init="large", seed=7)
    assert large.weights[0].std() == pytest.approx(1.0, rel=0.05)
    assert a.biases[0].std() == pytest.approx(1.0, rel=0.5)
    X, labels = toy(50, 784, 10)
    runs = []
    for _ in range(2):
        net = Network.create([784, 30, 10], seed=7)
        train(net, X.astype(np.float32), labels, TrainConfig(epochs=2, batch_size=5, seed=3))
        runs.append(net)
    assert all(np.array_equal(u, v) for u, v in zip(runs[0].weights, runs[1].weights, strict=True))


def test_predictions():
    net = Network.create([6, 5, 4], cost="log-likelihood", seed=0)
    X, _ = toy()
    proba = net.predict_proba(X)
    assert proba.shape == (23, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert np.array_equal(net.predict(X), proba.argmax(axis=1))


def test_learns_and_records_history():
    X, labels = toy(300, 6, 2)
    labels = (X[:, 0] + X[:, 1] > 1).astype(np.int64)  # a separable rule
    net = Network.create([6, 8, 2], seed=0)
    history = train(net, X, labels, TrainConfig(epochs=30, batch_size=10, eta=2.0), (X, labels))
    assert len(history.records) == 30
    assert history.records[-1].training_accuracy > 0.9
    assert history.records[-1].training_cost < history.records[0].training_cost
    assert history.records[-1].evaluation_accuracy == history.records[-1].training_accuracy


def test_l2_regularisation_shrinks_weights():
    X, labels = toy(100)
    norms = []
    for lmbda in (0.0, 50.0):
        net = Network.create([6, 5, 4], seed=1, dtype="float64")
        train(net, X, labels, TrainConfig(epochs=5, batch_size=10, eta=0.5, lmbda=lmbda))
        norms.append(sum(float((W**2).sum()) for W in net.weights))
    assert norms[1] < 0.5 * norms[0]


def test_early_stopping_stops():
    X, labels = toy(60)
    net = Network.create([6, 5, 4], seed=1)
    config = TrainConfig(epochs=100, batch_size=10, eta=0.1, early_stop=3)
    history = train(net, X, labels, config, evaluation=(X[:1], labels[:1]))
    assert "early stop" in history.stop_reason
    accs = history.column("evaluation_accuracy")
    best = accs.index(max(accs))
    assert len(accs) == best + 1 + 3  # three epochs after the best, no more


def test_schedule_halves_eta_down_to_eta0_over_128():
    X, labels = toy(60)
    net = Network.create([6, 5, 4], seed=1)
    config = TrainConfig(epochs=100, batch_size=10, eta=1.0, schedule=2)
    history = train(net, X, labels, config, evaluation=(X[:1], labels[:1]))
    etas = history.column("eta")
    assert "eta0/128" in history.stop_reason
    assert sorted(set(etas), reverse=True) == [2.0**-k for k in range(7)]
    assert etas == sorted(etas, reverse=True)


@pytest.mark.parametrize("cost", list(COSTS))
def test_labels_and_their_one_hot_targets_train_to_the_same_bits(cost):
    # The loop asks data only for its targets: labelled data and TargetData holding the same
    # one-hot rows train identically, and only the labelled run measures accuracy.
    X, labels = toy(57, 6, 4, dtype=np.float32)
    runs = []
    for as_targets in (False, True):
        net = Network.create([6, 5, 4], cost=cost, seed=2)
        data = (
            check_targets(net, X, one_hot(labels, 4, np.float32), "training")
            if as_targets
            else check_labelled(net, X, labels, "training")
        )
        config = TrainConfig(epochs=3, batch_size=10, eta=0.5, lmbda=0.1, seed=2)
        runs.append(fit(TrainState.start(net, config), data, data))
    labelled, targets = runs
    assert weights_equal(labelled.network, targets.network)
    assert labelled.history.column("training_cost") == targets.history.column("training_cost")
    assert labelled.history.column("output_saturation") == targets.history.column(
        "output_saturation"
    )
    assert None not in labelled.history.column("training_accuracy")
    assert targets.history.column("training_accuracy") == [None] * 3
    assert targets.history.column("evaluation_accuracy") == [None] * 3


def test_regression_onto_targets_learns_them():
    rng = np.random.default_rng(0)
    X = rng.random((200, 3))
    Y = np.column_stack([X.mean(axis=1), X[:, 0]])  # targets in [0, 1]
    net = Network.create([3, 8, 2], seed=0, dtype="float64")
    assert np.abs(net.predict_proba(X) - Y).mean() > 0.3
    state = TrainState.start(net, TrainConfig(epochs=40, batch_size=10, eta=2.0))
    fit(state, check_targets(net, X, Y, "training"))
    # (the cross-entropy of soft targets never reaches 0: its minimum, at a = y, is y's entropy)
    assert np.abs(net.predict_proba(X) - Y).mean() < 0.04


def test_early_stopping_on_targets_judges_the_evaluation_cost():
    rng = np.random.default_rng(1)
    X = rng.random((60, 6))
    net = Network.create([6, 5, 2], seed=1)
    training = check_targets(net, X, rng.random((60, 2)), "training")
    held_out = check_targets(net, X[:3], rng.random((3, 2)), "evaluation")
    state = TrainState.start(net, TrainConfig(epochs=200, batch_size=10, eta=2.0, early_stop=3))
    fit(state, training, held_out)
    assert state.history.stop_reason == "early stop: no better validation cost for 3 epochs"
    costs = state.history.column("evaluation_cost")
    best = costs.index(min(costs))
    assert len(costs) == best + 1 + 3  # three epochs after the lowest cost, no more
    assert state.best_cost == min(costs)
    assert state.best_accuracy == -1.0  # untouched: there is no accuracy to judge


@pytest.mark.parametrize(
    ("cost", "Y", "needle"),
    [
        ("cross-entropy", np.full((23, 4), 1.5), r"training Y must lie in \[0, 1\]"),
        ("cross-entropy", np.full((23, 4), np.nan), "training Y must be finite"),
        ("cross-entropy", np.full((23, 3), 0.5), r"training Y must have shape \(23, 4\)"),
        ("cross-entropy", np.full(23, 0.5), r"training Y must have shape \(23, 4\)"),
        ("log-likelihood", np.full((23, 4), 0.5), "rows summing to 1 under the log-likelihood"),
    ],
)
def test_bad_targets_are_refused(cost, Y, needle):
    X, _ = toy()
    net = Network.create([6, 5, 4], cost=cost, seed=0)
    with pytest.raises(XentlabError, match=needle):
        check_targets(net, X, Y, "training")


def test_divergence_stops_at_the_batch_and_names_eta():
    X, labels = toy(100, 6, 4)
    net = Network.create([6, 5, 4], seed=1)
    state = TrainState.start(net, TrainConfig(epochs=3, batch_size=10, eta=1e39))
    # Sigmoid activations and δ are bounded by 1, so only an absurd η overflows float32 (3.4e38)
    # when ten scaled errors are summed into one gradient entry.
    with pytest.raises(
        TrainingDiverged, match=r"epoch 1, mini-batch 1: the weights .*eta = 1e\+39.*smaller eta"
    ):
        fit(state, check_labelled(net, X, labels, "training"))
    assert state.batch == 0
    assert all(np.isfinite(W).all() for W in net.weights)  # the last good weights are kept


@pytest.mark.parametrize("cost", ["cross-entropy", "log-likelihood"])
def test_divergence_with_eta_1e6_is_caught(cost):
    # η = 1e6 does not overflow a sigmoid network: it throws the cost up by orders of magnitude.
    X, labels = toy(400, 20, 4)
    net = Network.create([20, 10, 4], cost=cost, seed=1)
    state = TrainState.start(net, TrainConfig(epochs=5, batch_size=10, eta=1e6))
    with pytest.raises(
        TrainingDiverged, match=r"epoch 1, mini-batch 1: the cost on 100 training examples rose"
    ):
        fit(state, check_labelled(net, X, labels, "training"))
    fresh = Network.create([20, 10, 4], cost=cost, seed=1)
    assert weights_equal(net, fresh)  # stopped before the bad mini-batch changed anything


def weights_equal(a, b):
    return all(
        np.array_equal(u, v)
        for u, v in zip(a.weights + a.biases, b.weights + b.biases, strict=True)
    )


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"labels": np.full(23, 4)}, "labels must lie in 0..3"),
        ({"labels": np.full(23, -1)}, "labels must lie in 0..3"),
        ({"labels": np.zeros(22, int)}, "labels must be 23 integers"),
        ({"labels": np.zeros(23)}, "labels must be 23 integers"),
        ({"X": np.full((23, 6), np.nan)}, "must be finite"),
        ({"X": np.ones((23, 5))}, r"shape \(n, 6\)"),
        ({"X": np.ones((0, 6)), "labels": np.zeros(0, int)}, "must not be empty"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"batch_size": 24}, "batch_size must be at most the 23"),
        ({"eta": 0.0}, "eta must be a finite number > 0"),
        ({"eta": float("inf")}, "eta must be a finite number"),
        ({"lmbda": -1.0}, "lmbda must be a finite number >= 0"),
        ({"regularization": "l3"}, "regularization must be one of"),
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"early_stop": 0}, "early_stop must be an integer >= 1"),
    ],
)
def test_bad_training_input(change, needle):
    X, labels = toy()
    args = {"X": X, "labels": labels}
    config = {k: v for k, v in change.items() if k not in args}
    args.update({k: v for k, v in change.items() if k in args})
    net = Network.create([6, 5, 4], seed=0)
    before = [W.copy() for W in net.weights]
    with pytest.raises(XentlabError, match=needle):
        train(net, args["X"], args["labels"], TrainConfig(**{"epochs": 2, **config}))
    assert all(np.array_equal(u, v) for u, v in zip(before, net.weights, strict=True))


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"sizes": [784]}, "at least 2 layers"),
        ({"sizes": [784, 0, 10]}, "layer size must be an integer >= 1"),
        ({"sizes": [784, 10**9, 10]}, "at most"),
        ({"cost": "hinge"}, "cost must be one of"),
        ({"init": "huge"}, "init must be one of"),
        ({"dtype": "float16"}, "dtype must be one of"),
        ({"seed": -1}, "seed must be an integer >= 0"),
    ],
)
def test_bad_network_settings(kwargs, needle):
    with pytest.raises(XentlabError, match=needle):
        Network.create(**{"sizes": [784, 30, 10], **kwargs})


@pytest.mark.parametrize("reg", ["l2", "l1"])
def test_regularisation_term_is_what_the_update_descends(reg):
    # ∂/∂W of λ/(2n) Σ w² is (λ/n) W, and of λ/n Σ |w| is (λ/n) sgn(W): the shrink of each step.
    net = Network.create([6, 5, 4], seed=3, dtype="float64")
    X, labels = toy()
    Y = one_hot(labels, 4, np.float64)
    lmbda, n = 2.5, 40
    grads_w, _ = net.backprop(X, Y)

    def cost_of_w(W):
        trial = net.copy()
        trial.weights[0] = W
        return trial.total_cost(X, Y, lmbda, n, reg)

    numeric = central_difference(cost_of_w, net.weights[0])
    shrink = net.weights[0] if reg == "l2" else np.sign(net.weights[0])
    assert relative_error(numeric, grads_w[0] + lmbda / n * shrink) < 1e-7


@pytest.mark.parametrize("reg", ["l3", "L1", "", None])
def test_unknown_regularization_is_refused_everywhere(reg):
    # Once any name but "l2" was silently taken for L1; every entry point now names the choices.
    net = Network.create([6, 5, 4], seed=0, dtype="float64")
    X, labels = toy()
    Y = one_hot(labels, 4, np.float64)
    needle = "regularization must be one of l2, l1"
    with pytest.raises(XentlabError, match=needle):
        net.regularization_cost(1.0, 10, reg)
    with pytest.raises(XentlabError, match=needle):
        net.total_cost(X, Y, 1.0, 10, reg)
    with pytest.raises(XentlabError, match=needle):
        EpochKernel([(net.sizes, "cross-entropy")], 4, net.dtype).run(
            net.weights, net.biases, X, Y, 0, 1, 0.1, 1.0, 40, reg
        )
    with pytest.raises(XentlabError, match=needle):
        TrainConfig(regularization=reg)


def test_the_saturated_init_starts_the_output_layer_saturated_and_wrong():
    from xentlab.data import load_dataset

    digits = load_dataset("digits")
    X = digits.train.X.astype(np.float64)
    Y = one_hot(digits.train.labels, 10, np.dtype(np.float64))
    saturated = Network.create([64, 30, 10], "quadratic", "saturated", seed=4, dtype="float64")
    default = Network.create([64, 30, 10], "quadratic", "default", seed=4, dtype="float64")
    # Every output starts near a = 1 with σ'(z) < 0.01; the nine with y = 0 of each ten are wrong.
    saturation, saturated_wrong = saturated.saturation(X, Y)
    assert saturation == 1.0
    assert saturated_wrong >= 0.9 - 1e-12
    assert default.saturation(X, Y)[1] < 0.2
    # The same draws as the default start, but for the output layer: z near +6.
    assert np.array_equal(saturated.weights[0], default.weights[0])
    assert np.array_equal(saturated.weights[1], default.weights[1] * 0.25)
    assert np.all(saturated.biases[1] == 6.0)
    assert 4.6 < saturated.output_z(X).min() and saturated.output_z(X).max() < 7.4
    # Its quadratic output δ is tiny (σ'(6) ≈ 0.0025); cross-entropy's is the error itself.
    _, quadratic_deltas = saturated.deltas(X, Y)
    saturated.cost = COSTS["cross-entropy"]
    _, entropy_deltas = saturated.deltas(X, Y)
    assert np.abs(quadratic_deltas[-1]).mean() < 0.01 < 0.5 < np.abs(entropy_deltas[-1]).mean()
    # The hidden δ carries σ'(z) under both costs.
    assert np.abs(entropy_deltas[0]).mean() < np.abs(entropy_deltas[-1]).mean()


def test_cost_and_accuracy_from_one_pass_equal_asking_twice():
    X, labels = toy(50)
    Y = one_hot(labels, 4, np.float64)
    net = Network.create([6, 5, 4], seed=3, dtype="float32")
    cost, accuracy = net.cost_and_accuracy(X.astype(np.float32), Y, labels, 0.5, 200, "l1")
    assert cost == net.total_cost(X.astype(np.float32), Y, 0.5, 200, "l1")
    assert accuracy == net.accuracy(X.astype(np.float32), labels)
    assert net.cost_and_accuracy(X.astype(np.float32), Y, None)[1] is None
