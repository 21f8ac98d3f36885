"""The compiled evaluation against the NumPy reference (``Network``'s own methods): an epoch's
measures (cost with and without regularisation, accuracy, saturation) and a probe's (cost,
saturation, mean |δ_l|, ‖∂C/∂W_l‖, validation accuracy) equal to 1e-12 relative in float64 and to
float32 rounding in float32, for every cost, labelled data and targets, 0 to 3 hidden layers;
the same bits for any number of threads; a cost without a declared formula measured by its own
``per_example``; one evaluator per data object."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

from xentlab.functions import CROSS_ENTROPY, PAIRED_COSTS, Cost, OutputRule, sigmoid
from xentlab.kernel import compiled_unavailable
from xentlab.model import SATURATION_THRESHOLD, Network
from xentlab.training import (
    TrainConfig,
    TrainState,
    check_labelled,
    check_targets,
    evaluate,
    fit,
    measure,
)
from xentlab.training.evaluator import Evaluator, evaluator_for

pytestmark = pytest.mark.skipif(
    compiled_unavailable() is not None, reason=f"numba unavailable: {compiled_unavailable()}"
)

# One to four layers after the input (0 to 3 hidden), odd widths (padding), and 2,100 rows:
# three blocks of partial sums, shared by two threads, the last short.
SHAPES = [[20, 4], [20, 12, 5], [20, 33, 17, 6], [20, 9, 8, 7, 3]]
ROWS = 2100
REGULARISATIONS = [(0.0, "l2"), (3.0, "l2"), (2.0, "l1")]
FLOAT32_EPS = float(np.finfo(np.float32).eps)


def inputs(n, features, seed, zeros=0.7):
    """Rows in [0, 1] with a share of exact zeros, as images have (and one row all zero)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, features)) * (rng.random((n, features)) > zeros)
    X[n // 2] = 0.0
    return X


def network(sizes, cost, dtype, init="large", seed=3):
    """Under ``init="large"`` the output weights are scaled up further, so that a share of the
    outputs saturates (|z| of several units) and the saturation counts are neither 0 nor all."""
    net = Network.create(sizes, cost=cost, init=init, seed=seed, dtype=dtype)
    if init == "large":
        net.weights[-1] *= net.dtype.type(4)
    return net


def data(net, kind, n=ROWS, seed=1):
    """Labelled rows, or rows with targets in [0, 1] (each row summing to 1 under a softmax
    output, as the log-likelihood needs)."""
    X = inputs(n, net.sizes[0], seed)
    rng = np.random.default_rng(seed + 1)
    outputs = net.sizes[-1]
    if kind == "labels":
        return check_labelled(net, X, rng.integers(0, outputs, n), "data")
    Y = rng.random((n, outputs))
    if net.cost.softmax_output:
        Y /= Y.sum(axis=1, keepdims=True)
    return check_targets(net, X, Y, "data")


def both_paths(net, dataset, lmbda=0.0, regularization="l2", saturation_rows=1000):
    evaluator = Evaluator(dataset)
    args = (net, lmbda, 5000, regularization, saturation_rows)
    return evaluator.measure(*args, kernel="compiled"), evaluator.measure(*args, kernel="numpy")


def relative(a, b):
    return abs(a - b) / abs(b)


@pytest.mark.parametrize(("lmbda", "regularization"), REGULARISATIONS)
@pytest.mark.parametrize("kind", ["labels", "targets"])
@pytest.mark.parametrize("cost", PAIRED_COSTS, ids=lambda cost: cost.label)
@pytest.mark.parametrize("sizes", SHAPES, ids=lambda s: f"{len(s) - 2}-hidden")
def test_an_epochs_measures_equal_the_reference_in_float64(
    sizes, cost, kind, lmbda, regularization
):
    net = network(sizes, cost, "float64")
    compiled, reference = both_paths(net, data(net, kind), lmbda, regularization)
    assert relative(compiled.cost, reference.cost) < 1e-12
    assert compiled.accuracy == reference.accuracy
    assert (compiled.accuracy is None) == (kind == "targets")
    assert compiled.saturation == reference.saturation
    assert compiled.saturated_wrong == reference.saturated_wrong
    if lmbda:  # the regularisation term is in both, added outside the pass
        plain = Evaluator(data(net, kind)).measure(net, kernel="compiled").cost
        assert compiled.cost - plain == pytest.approx(
            net.regularization_cost(lmbda, 5000, regularization), rel=1e-9
        )


def test_the_saturation_is_measured_and_not_trivial():
    """The shapes above measure real saturation: some outputs saturated, not all, some wrong."""
    net = network([20, 12, 5], "quadratic", "float64")
    compiled, _ = both_paths(net, data(net, "labels"))
    assert 0.05 < compiled.saturation < 0.95
    assert 0 < compiled.saturated_wrong < compiled.saturation


def near_ties(net, X, Y, labels):
    """Rows whose two largest z (in float64) are within float32 rounding of each other, and
    (row, output) pairs within rounding of a saturation threshold: where float32 may decide
    either way."""
    wide = Network(
        net.sizes,
        [W.astype(np.float64) for W in net.weights],
        [b.astype(np.float64) for b in net.biases],
        net.cost,
    )
    z = wide.output_z(X.astype(np.float64))
    top2 = np.sort(z, axis=1)[:, -2:]
    ties = int(np.sum(top2[:, 1] - top2[:, 0] < 1e-4 * (1 + np.abs(top2[:, 1]))))
    a = net.cost.activation(z)
    near = (np.abs(a * (1 - a) - SATURATION_THRESHOLD) < 1e-5) | (
        np.abs(np.abs(a - Y) - 0.5) < 1e-5
    )
    return ties, int(near.sum())


@pytest.mark.parametrize("kind", ["labels", "targets"])
@pytest.mark.parametrize("cost", PAIRED_COSTS, ids=lambda cost: cost.label)
@pytest.mark.parametrize("sizes", SHAPES[1:3], ids=lambda s: f"{len(s) - 2}-hidden")
def test_an_epochs_measures_are_within_float32_rounding(sizes, cost, kind):
    """In float32 both paths compute z in float32, summed in different orders: the costs agree
    to float32 rounding, and the accuracy and saturation counts but for rows and outputs that
    rounding could tip either way."""
    net = network(sizes, cost, "float32")
    dataset = data(net, kind)
    compiled, reference = both_paths(net, dataset, 3.0)
    assert relative(compiled.cost, reference.cost) < 64 * FLOAT32_EPS
    Y = Evaluator(dataset).targets(net.sizes[-1])
    labels = getattr(dataset, "labels", None)
    ties, near = near_ties(net, dataset.X[:1000], Y[:1000], labels)
    if kind == "labels":
        ties_all, _ = near_ties(net, dataset.X, Y, labels)
        assert abs(compiled.accuracy - reference.accuracy) * ROWS <= ties_all
    pairs = 1000 * net.sizes[-1]
    assert abs(compiled.saturation - reference.saturation) * pairs <= near
    assert abs(compiled.saturated_wrong - reference.saturated_wrong) * pairs <= near


def probe_data(net, n=700, seed=4):
    sample = data(net, "labels", n, seed)
    validation = data(net, "labels", 900, seed + 10)
    return sample, validation


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cost", PAIRED_COSTS, ids=lambda cost: cost.label)
@pytest.mark.parametrize("sizes", SHAPES, ids=lambda s: f"{len(s) - 2}-hidden")
def test_a_probes_measures_equal_the_reference(sizes, cost, dtype):
    """A probe measures in float64 whatever the network's dtype (1e-12 relative in both); its
    validation accuracy is the network's own, in its dtype."""
    net = network(sizes, cost, dtype, init="default")
    sample, validation = probe_data(net)
    compiled = Evaluator(sample).probe(net, Evaluator(validation), kernel="compiled")
    reference = Evaluator(sample).probe(net, Evaluator(validation), kernel="numpy")
    assert relative(compiled.cost, reference.cost) < 1e-12
    assert compiled.saturation == reference.saturation
    assert compiled.saturated_wrong == reference.saturated_wrong
    assert len(compiled.delta_mean) == len(compiled.gradient_norm) == len(sizes) - 1
    for got, expected in zip(compiled.delta_mean, reference.delta_mean, strict=True):
        assert relative(got, expected) < 1e-12
    for got, expected in zip(compiled.gradient_norm, reference.gradient_norm, strict=True):
        assert relative(got, expected) < 1e-12
    if dtype == "float64":
        assert compiled.validation_accuracy == reference.validation_accuracy
    else:
        Y = Evaluator(validation).targets(net.sizes[-1])
        ties, _ = near_ties(net, validation.X, Y, validation.labels)
        difference = abs(compiled.validation_accuracy - reference.validation_accuracy)
        assert difference * len(validation.X) <= ties


def test_a_probe_record_is_the_evaluators_under_the_runs_kernel():
    """``training.measure`` (what a Probe records) takes the compiled path unless the kernel is
    numpy, and both give the same record to rounding."""
    net = network([20, 12, 5], "quadratic", "float64", init="saturated")
    sample, validation = probe_data(net)
    fast = measure(net, sample, validation, 30, 10)
    reference = measure(net, sample, validation, 30, 10, kernel="numpy")
    assert fast.batches == reference.batches == 30 and fast.epochs == 3.0
    assert fast.saturated_wrong == reference.saturated_wrong > 0.5  # the saturated start
    assert relative(fast.training_cost, reference.training_cost) < 1e-12
    assert fast.validation_accuracy == reference.validation_accuracy
    for got, expected in zip(fast.gradient_norm, reference.gradient_norm, strict=True):
        assert relative(got, expected) < 1e-12


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_result_is_the_same_bits_for_any_number_of_threads(dtype):
    """Partial sums are kept per block of rows and added in the blocks' order, whichever
    thread measured them."""
    from xentlab.kernel.compiled_forward import measure as measure_rows
    from xentlab.kernel.compiled_probe import probe
    from xentlab.training.evaluator import _output

    net = network([20, 12, 5], "cross-entropy", dtype)
    dataset = data(net, "labels", 5000)
    evaluator = Evaluator(dataset)
    rows, Y = evaluator.compressed(np.dtype(dtype)), evaluator.targets(5)
    args = (rows, Y, dataset.labels, net.weights, net.biases, _output(net.cost), 1000)
    results = {threads: measure_rows(*args, threads=threads) for threads in (1, 2, 3)}
    assert results[1] == results[2] == results[3]
    wide_rows = evaluator.compressed(np.dtype(np.float64))
    validation = (rows, Y, dataset.labels)
    probes = {
        threads: probe(
            wide_rows, Y, net.weights, net.biases, _output(net.cost), validation, threads
        )
        for threads in (1, 2, 4)
    }
    assert probes[1] == probes[2] == probes[4]


def test_evaluate_and_the_epoch_record_take_the_compiled_path_and_agree_with_numpy():
    """Through fit: every epoch's record (costs, accuracies, saturation) is the evaluators';
    with the numpy kernel it is the reference, with the compiled one equal to it to rounding."""
    histories = {}
    for kernel in ("numpy", "compiled"):
        net = network([20, 10, 4], "cross-entropy", "float64", init="default")
        X = inputs(300, 20, seed=5)
        labels = np.random.default_rng(6).integers(0, 4, 300)
        training = check_labelled(net, X, labels, "training")
        validation = check_labelled(net, X[:100], labels[:100], "validation")
        config = TrainConfig(epochs=2, batch_size=10, eta=0.5, lmbda=1.0, kernel=kernel)
        state = fit(TrainState.start(net, config), training, validation)
        histories[kernel] = state.history.records
        last = state.history.records[-1]
        reference = Evaluator(training).measure(net, 1.0, 300, "l2", 300, kernel="numpy")
        assert relative(last.training_cost, reference.cost) < 1e-12
        assert last.training_accuracy == reference.accuracy
        assert last.output_saturation == reference.saturation
        assert evaluate(net, validation, 1.0, 300, kernel="numpy") == pytest.approx(
            (last.evaluation_cost, last.evaluation_accuracy), rel=1e-12
        )
    for mine, numpy_record in zip(histories["compiled"], histories["numpy"], strict=True):
        assert relative(mine.training_cost, numpy_record.training_cost) < 1e-9


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_weight_gives_a_nan_cost_on_both_paths(bad):
    """The loop's divergence check reads a non-finite cost, so the compiled path must give
    one too, even where the bad weight's input is 0 in every row (0 × NaN is NaN, but the
    compressed rows hold no zeros)."""
    net = network([20, 12, 5], "cross-entropy", "float64")
    dataset = data(net, "labels")
    dataset.X[:, 3] = 0.0
    net.weights[0][3, 2] = bad
    with np.errstate(invalid="ignore"):  # as the loop measures: the NaN is the answer
        compiled, reference = both_paths(net, dataset)
    assert np.isnan(compiled.cost) and np.isnan(reference.cost)
    assert compiled.accuracy == reference.accuracy
    assert compiled.saturation == reference.saturation


# A cost of one's own: twice the cross-entropy, no formula declared.
DOUBLED = Cost(
    "doubled-cross-entropy",
    output="sigmoid",
    rule=OutputRule.OWN,
    per_example=lambda z, y: 2 * CROSS_ENTROPY.per_example(z, y),
    delta=lambda z, y: 2 * (sigmoid(z) - y),
)


def test_a_cost_without_a_declared_formula_is_measured_by_its_own_per_example():
    net = network([20, 12, 5], DOUBLED, "float64")
    plain = network([20, 12, 5], "cross-entropy", "float64")
    dataset = data(net, "labels")
    evaluator = Evaluator(dataset)
    assert not evaluator.uses_compiled("auto", DOUBLED)
    assert evaluator.uses_compiled("auto", plain.cost)
    doubled = evaluator.measure(net, kernel="compiled").cost
    assert relative(doubled, 2 * evaluator.measure(plain, kernel="compiled").cost) < 1e-12


def test_one_evaluator_per_data_object_forgotten_with_it():
    """The same object (a run's training set) is made ready once; another object with the same
    arrays gets its own; an evaluator goes when its object does, and never keeps it alive."""
    from xentlab.training import evaluator as module

    net = network([20, 12, 5], "cross-entropy", "float32")
    dataset = data(net, "labels", 50)
    first = evaluator_for(dataset)
    assert evaluator_for(dataset) is first
    twin = type(dataset)(dataset.X, dataset.labels)
    assert evaluator_for(twin) is not first
    key = id(dataset)
    del dataset
    gc.collect()
    assert key not in module._EVALUATORS


def test_a_process_told_to_keep_to_one_thread_measures_on_one(monkeypatch):
    """OMP_NUM_THREADS, which a sweep's local workers set to 1, bounds the measuring threads
    too (they would only fight the other workers for the cores)."""
    from xentlab.training.evaluator import MAX_THREADS, measuring_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert measuring_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert 1 <= measuring_threads() <= MAX_THREADS
    monkeypatch.delenv("OMP_NUM_THREADS")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert measuring_threads() == min(MAX_THREADS, cores)


def test_the_runs_of_a_group_are_measured_on_the_data_their_pass_shares():
    """Runs trained together measure their start and their epochs on the group's one copy of
    the data, made ready once, not once per run; each run measures what it measures alone."""
    from xentlab import runs
    from xentlab.training import evaluator as module

    specs = [
        runs.RunSpec.of(cost=cost, epochs=1, seed=2) for cost in ("quadratic", "cross-entropy")
    ]
    together = [runs.prepare(spec) for spec in specs]
    outcomes = runs.train_together(together)
    assert id(together[0].training) in module._EVALUATORS
    assert id(together[1].training) not in module._EVALUATORS
    for spec, outcome in zip(specs, outcomes, strict=True):
        alone = runs.prepare(spec).train()
        assert isinstance(outcome, runs.RunResult)
        assert outcome.start == alone.start
        for column in ("training_cost", "evaluation_cost", "evaluation_accuracy"):
            assert outcome.history.column(column) == alone.history.column(column)


def test_a_compiled_run_compresses_its_training_set_once_for_its_kernel_and_its_measures(
    monkeypatch,
):
    from xentlab.kernel import compiled

    built = []
    original = compiled.CompressedRows.__init__

    def counting(self, X):
        built.append(X.shape)
        original(self, X)

    monkeypatch.setattr(compiled.CompressedRows, "__init__", counting)
    net = network([20, 12, 5], "cross-entropy", np.float32, init="default")
    training = data(net, "labels", n=300)
    validation = data(net, "labels", n=100, seed=2)
    config = TrainConfig(epochs=2, batch_size=10, eta=0.5, kernel="compiled")
    state = fit(TrainState.start(net, config), training, validation)
    assert state.epoch == 2
    # the training set once (for the kernel and every record's measures), the validation set once
    assert sorted(built) == [(100, 20), (300, 20)]
