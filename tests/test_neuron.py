"""The seed's neuron: the article's gradients, vectorised training, the slowdown experiment."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import central_difference, relative_error
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from xentlab import neuron
from xentlab.errors import XentlabError
from xentlab.experiments import contenders, slowdown
from xentlab.experiments.slowdown import CONTENDERS
from xentlab.functions import Output, labelled_cost, sigmoid, sigmoid_prime

weights = st.floats(-3, 3)


@settings(max_examples=80)
@given(
    arrays(np.float64, 3, elements=weights),
    weights,
    arrays(np.float64, (4, 3), elements=st.floats(-2, 2)),
    arrays(np.float64, 4, elements=st.floats(0, 1)),
    st.sampled_from(neuron.NEURON_COSTS.values),
)
def test_gradient_matches_finite_differences(w, b, x, y, cost):
    dw, db = neuron.gradient(w, b, x, y, cost)
    numeric_w = central_difference(lambda ww: neuron.cost(ww, b, x, y, cost), w)
    numeric_b = central_difference(lambda bb: neuron.cost(w, float(bb), x, y, cost), np.array(b))
    assert relative_error(dw, numeric_w) < 1e-7
    assert relative_error(db, numeric_b) < 1e-7


@given(arrays(np.float64, 2, elements=weights), weights, st.floats(0, 1))
def test_cross_entropy_gradient_is_the_article_formula(w, b, y):
    x = np.array([[0.5, -1.0], [1.5, 2.0]])
    ys = np.array([y, 1 - y])
    error = sigmoid(x @ w + b) - ys  # σ(z) − y: no σ'(z)
    dw, db = neuron.gradient(w, b, x, ys, "cross-entropy")
    assert np.allclose(dw, (x * error[:, None]).mean(axis=0), rtol=1e-12, atol=1e-15)
    assert db == pytest.approx(error.mean(), rel=1e-12, abs=1e-15)
    qdw, qdb = neuron.gradient(w, b, x, ys, "quadratic")
    slow = error * sigmoid_prime(x @ w + b)
    assert np.allclose(qdw, (x * slow[:, None]).mean(axis=0), rtol=1e-12, atol=1e-15)
    assert qdb == pytest.approx(slow.mean(), rel=1e-12, abs=1e-15)


def test_many_starts_train_exactly_like_one_at_a_time():
    rng = np.random.default_rng(0)
    w0, b0 = rng.normal(0, 2, 50), rng.normal(0, 2, 50)
    together = neuron.train(w0, b0, cost="quadratic", eta=0.15, epochs=40)
    for s in (0, 17, 49):
        alone = neuron.train(w0[s], b0[s], cost="quadratic", eta=0.15, epochs=40)
        np.testing.assert_allclose(together.w[:, s], alone.w[:, 0], rtol=1e-13)
        np.testing.assert_allclose(together.cost[:, s], alone.cost[:, 0], rtol=1e-13)


def test_one_step_is_gradient_descent():
    t = neuron.train(2.0, 2.0, cost="cross-entropy", eta=0.5, epochs=1)
    a = sigmoid(4.0)
    assert t.w[1, 0, 0] == pytest.approx(2.0 - 0.5 * a)  # ∂C/∂w = x (a − y), x = 1, y = 0
    assert t.b[1, 0] == pytest.approx(2.0 - 0.5 * a)


def test_saturated_quadratic_starts_slowly_and_cross_entropy_does_not():
    runs = {(r.setting, r.cost, r.w0): r for r in slowdown(epochs=300)}
    quad = runs["article", "quadratic", 2.0]
    xent = runs["article", "cross-entropy", 2.0]
    # The quadratic cost barely moves for the first ~100 epochs at η = 0.15 ...
    assert quad.epoch_cost[0] - quad.epoch_cost[100] < 0.05 * quad.epoch_cost[0]
    assert quad.steepest_epoch > 150
    # ... while cross-entropy's slope is steepest at the very start.
    assert xent.steepest_epoch == 0
    assert abs(xent.initial_slope) > 50 * abs(quad.initial_slope)
    # At one common rate cross-entropy gets the badly wrong neuron right first.
    fair_q = runs["common", "quadratic", 2.0].first_below[0.5]
    fair_x = runs["common", "cross-entropy", 2.0].first_below[0.5]
    assert fair_x is not None and fair_q is not None and fair_x < fair_q / 5
    # The mildly wrong start learns quickly under both.
    assert runs["article", "quadratic", 0.6].steepest_epoch < 40


def test_the_trajectory_gives_z_and_a_of_every_epoch():
    t = neuron.train(2.0, 2.0, 1.0, 0.0, cost="quadratic", eta=0.15, epochs=2)
    assert t.z[0, 0, 0] == 4.0 and t.z.shape == t.output.shape == (3, 1, 1)
    np.testing.assert_array_equal(t.output, sigmoid(t.z))
    np.testing.assert_array_equal(t.z[:, 0, 0], t.w[:, 0, 0] + t.b[:, 0])


def test_trajectory_json_ready():
    d = neuron.train(0.6, 0.9, cost="quadratic", eta=0.15, epochs=3).to_dict()
    assert d["trajectory"]["epoch"] == [0, 1, 2, 3]
    assert d["trajectory"]["a"][0] == pytest.approx(sigmoid(1.5))


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"eta": 0.0}, "eta"),
        ({"eta": -1.0}, "eta"),
        ({"eta": float("nan")}, "eta"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 2.5}, "epochs"),
        ({"w": float("nan")}, "w"),
        ({"b": float("inf")}, "b"),
        ({"x": float("nan")}, "x"),
        ({"y": 1.5}, "y"),
        ({"y": -0.1}, "y"),
        ({"y": float("nan")}, "y"),
        ({"cost": "hinge"}, "cost"),
        ({"cost": "log-likelihood"}, "cost"),
        ({"w": [1.0, 2.0], "b": [1.0, 2.0, 3.0]}, "b"),
        ({"w": [1.0, 2.0], "b": 1.0}, "w"),
        ({"x": [1.0, 2.0], "y": [0.0]}, "y"),
        ({"x": np.ones((2, 2, 2)), "y": [0.0, 1.0]}, "x"),
        ({"w": "abc"}, "w"),
    ],
)
def test_bad_input_is_named(kwargs, names):
    args = {"w": 2.0, "b": 2.0, "x": 1.0, "y": 0.0, "cost": "quadratic", "eta": 0.1, "epochs": 5}
    args.update(kwargs)
    with pytest.raises(XentlabError, match=rf"\b{names}\b"):
        neuron.train(args.pop("w"), args.pop("b"), args.pop("x"), args.pop("y"), **args)


def test_divergence_is_reported_not_silent():
    with pytest.raises(XentlabError, match=r"diverged at epoch 1.*smaller eta"):
        neuron.train(0.0, 0.0, [[1e300]], [1.0], cost="cross-entropy", eta=1e300, epochs=3)


def test_slowdown_runs_of_any_trajectory_measure_the_distance_to_the_target():
    from xentlab.experiments import slowdown_runs

    # The mirror image of the article's saturated start: a ≈ 0.02, target 1.
    up = neuron.train(-2.0, -2.0, 1.0, 1.0, cost="quadratic", eta=0.15, epochs=400)
    down = neuron.train(2.0, 2.0, 1.0, 0.0, cost="quadratic", eta=0.15, epochs=400)
    (mirrored,), (article,) = slowdown_runs(up), slowdown_runs(down)
    assert mirrored.first_below == article.first_below  # |a − y| is the same path
    assert article.first_below[0.5] == 232 and article.setting == "custom"
    assert (mirrored.w0, mirrored.b0) == (-2.0, -2.0)
    assert mirrored.steepest_epoch == article.steepest_epoch == 214


# --- one start in plain floats, against the arrays -------------------------------------------


def floor(cost, expected):
    """The absolute error allowed besides 1e-12 relative: none to speak of for a sigmoid neuron;
    for a linear one, whose cost falls to 0 (it can fit its examples exactly), rounding of the
    cost's scale at its start."""
    if cost.output is Output.SIGMOID:
        return 1e-300
    return 1e-12 * float(np.abs(expected).max())


def random_start(seed, cost):
    """A random start, examples and rate; a linear neuron's rate small enough for its descent
    on ½ (z − y)² to converge (η ‖x‖² < 2)."""
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    w, b = rng.normal(0, 3, d), float(rng.normal(0, 3))
    x, y = rng.normal(0, 2, (n, d)), rng.uniform(0, 1, n)
    eta = float(rng.uniform(0.01, 2.0))
    if cost == "quadratic/linear":
        eta /= 1 + float((x**2).sum(axis=1).max())
    return w, b, x, y, eta, labelled_cost(cost)


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "quadratic/linear"])
@pytest.mark.parametrize("seed", range(6))
def test_one_start_in_plain_floats_follows_the_arrays_path(cost, seed):
    w, b, x, y, eta, cost = random_start(seed, cost)
    plain = neuron.train(w, b, x, y, cost=cost, eta=eta, epochs=400)
    arrays = neuron.train(w, b, x, y, cost=cost, eta=eta, epochs=400, path="arrays")
    for name in ("w", "b", "cost"):
        got, expected = getattr(plain, name), getattr(arrays, name)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=floor(cost, expected))


def test_the_article_s_neuron_is_the_same_bits_on_either_path():
    for cost in ("quadratic", "cross-entropy"):
        plain = neuron.train(2.0, 2.0, cost=cost, eta=0.15, epochs=300, path="scalar")
        arrays = neuron.train(2.0, 2.0, cost=cost, eta=0.15, epochs=300, path="arrays")
        assert np.array_equal(plain.w, arrays.w) and np.array_equal(plain.cost, arrays.cost)


def test_the_plain_path_refuses_and_fails_as_the_arrays_do():
    with pytest.raises(XentlabError, match="path 'scalar' trains one start"):
        neuron.train([1.0, 2.0], [0.0, 0.0], path="scalar")  # two starts
    with pytest.raises(XentlabError, match="path must be one of compiled, scalar, arrays"):
        neuron.train(1.0, 0.0, path="fast")
    messages = []
    for path in ("scalar", "arrays"):
        with pytest.raises(XentlabError) as error:
            neuron.train(1e300, 0.0, 1e10, 0.0, eta=1.0, epochs=3, path=path)
        messages.append(str(error.value))
    assert messages[0] == messages[1] and "overflows" in messages[0]
    told = {path: [] for path in ("scalar", "arrays")}
    for path, calls in told.items():
        neuron.train(2.0, 2.0, epochs=2500, path=path, progress=lambda *a, c=calls: c.append(a))
    assert told["scalar"] == told["arrays"] and told["scalar"][-1] == (2500, 2500)


needs_numba = pytest.mark.skipif(
    neuron.one_start.compiled_unavailable() is not None, reason="numba cannot be imported"
)


@needs_numba
@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "quadratic/linear"])
@pytest.mark.parametrize("seed", range(6))
def test_one_start_compiled_follows_the_plain_floats(cost, seed):
    w, b, x, y, eta, cost = random_start(seed, cost)
    plain = neuron.train(w, b, x, y, cost=cost, eta=eta, epochs=700, path="scalar")
    fast = neuron.train(w, b, x, y, cost=cost, eta=eta, epochs=700, path="compiled")
    for name in ("w", "b", "cost"):
        got, expected = getattr(fast, name), getattr(plain, name)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=floor(cost, expected))


@needs_numba
def test_the_compiled_path_is_the_article_s_neuron_and_fails_and_reports_as_the_others():
    for cost in ("quadratic", "cross-entropy"):
        plain = neuron.train(2.0, 2.0, cost=cost, eta=0.15, epochs=300, path="scalar")
        fast = neuron.train(2.0, 2.0, cost=cost, eta=0.15, epochs=300, path="compiled")
        np.testing.assert_allclose(fast.w, plain.w, rtol=1e-12)
        np.testing.assert_allclose(fast.cost, plain.cost, rtol=1e-12)
    messages = []
    for path in ("compiled", "scalar"):
        with pytest.raises(XentlabError) as error:
            neuron.train(1e300, 0.0, 1e10, 0.0, eta=1.0, epochs=3, path=path)
        messages.append(str(error.value))
        with pytest.raises(XentlabError) as error:
            neuron.train(1.0, 0.0, [[1e200]], [0.0], eta=1e200, epochs=3, path=path)
        messages.append(str(error.value))
    assert messages[:2] == messages[2:] and "diverged at epoch" in messages[1]
    told = {path: [] for path in ("compiled", "scalar")}
    for path, calls in told.items():
        neuron.train(2.0, 2.0, epochs=2500, path=path, progress=lambda *a, c=calls: c.append(a))
    assert told["compiled"] == told["scalar"]
    with pytest.raises(XentlabError, match="path 'compiled' trains one start"):
        neuron.train([1.0, 2.0], [0.0, 0.0], path="compiled")


def test_long_runs_of_one_start_train_compiled_where_numba_imports(monkeypatch):
    chosen = []
    real = neuron.one_start.train_compiled
    monkeypatch.setattr(
        neuron.one_start, "train_compiled", lambda *a: chosen.append("compiled") or real(*a)
    )
    neuron.train(2.0, 2.0, epochs=neuron.COMPILED_FROM_EPOCHS - 1)
    assert chosen == []
    if neuron.one_start.compiled_unavailable() is None:
        neuron.train(2.0, 2.0, epochs=neuron.COMPILED_FROM_EPOCHS)
        assert chosen == ["compiled"]


# --- a linear neuron, a = z ----------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, 3, elements=weights),
    weights,
    arrays(np.float64, (4, 3), elements=st.floats(-2, 2)),
    arrays(np.float64, 4, elements=st.floats(0, 1)),
)
def test_a_linear_neurons_gradient_is_a_minus_y_times_x(w, b, x, y):
    """∂C/∂w_j = 1/n Σ_x x_j (a − y) with a = z: no σ'(z); and it is the cost's derivative."""
    dw, db = neuron.gradient(w, b, x, y, "quadratic", output="linear")
    a = x @ w + b
    np.testing.assert_allclose(dw, x.T @ (a - y) / len(y), rtol=1e-12, atol=1e-12)
    assert db == pytest.approx(float(np.mean(a - y)), rel=1e-12, abs=1e-12)
    assert neuron.cost(w, b, x, y, "quadratic", output="linear") == pytest.approx(
        float(np.mean(0.5 * (a - y) ** 2)), rel=1e-12, abs=1e-15
    )
    numeric_w = central_difference(
        lambda ww: neuron.cost(ww, b, x, y, "quadratic", output="linear"), w
    )
    assert relative_error(dw, numeric_w) < 1e-6
    np.testing.assert_array_equal(neuron.output(w, b, x, output="linear"), a)


def test_a_linear_neuron_goes_with_the_quadratic_cost_only():
    with pytest.raises(XentlabError, match="'cross-entropy' does not go with a linear output"):
        neuron.train(2.0, 2.0, cost="cross-entropy", output="linear")
    with pytest.raises(XentlabError, match="output must be one of sigmoid, linear"):
        neuron.train(2.0, 2.0, cost="quadratic", output="softmax")


def test_from_the_saturated_start_a_linear_neuron_learns_at_least_as_fast_as_cross_entropy():
    """(w, b) = (2, 2), x = 1, y = 0, η = 0.15: the linear neuron's cost falls at epoch 0 at
    least as fast as cross-entropy's, absolutely and relative to its start, and fastest there;
    the sigmoid neuron under the same quadratic cost barely moves."""
    linear = neuron.train(2.0, 2.0, cost="quadratic", output="linear", eta=0.15, epochs=20)
    entropy = neuron.train(2.0, 2.0, cost="cross-entropy", eta=0.15, epochs=20)
    sigmoid_quadratic = neuron.train(2.0, 2.0, cost="quadratic", eta=0.15, epochs=20)
    assert linear.cost_name == "quadratic/linear" and linear.output[0, 0, 0] == 4.0
    fall = {t.cost_name: t.cost[0, 0] - t.cost[1, 0] for t in (linear, entropy, sigmoid_quadratic)}
    assert fall["quadratic/linear"] >= fall["cross-entropy"] > 100 * fall["quadratic"]
    assert (
        fall["quadratic/linear"] / linear.cost[0, 0] >= fall["cross-entropy"] / entropy.cost[0, 0]
    )
    assert int(np.argmin(np.diff(linear.cost[:, 0]))) == 0  # steepest at the start
    # each epoch multiplies z by 1 − 2η (w and b both move by η z): z = 4 (0.7)^t
    np.testing.assert_allclose(linear.z[:, 0, 0], 4.0 * 0.7 ** np.arange(21), rtol=1e-12)


def test_the_slowdown_shows_the_linear_neuron_beside_the_sigmoid_ones():
    runs = {(r.setting, r.cost, r.w0): r for r in slowdown(epochs=60)}
    assert {cost for _, cost, _ in runs} == {"quadratic", "cross-entropy", "quadratic/linear"}
    for setting in ("article", "common"):
        linear = runs[setting, "quadratic/linear", 2.0]
        assert linear.eta == 0.15 and linear.epoch_output[0] == 4.0  # a = z = 2 + 2
        assert linear.steepest_epoch == 0 and linear.first_below[0.2] == 9


def test_each_cost_choice_names_its_contenders_in_one_order():
    """One declaration for every front end: a contender alone, "both" the sigmoid costs, "all"
    the linear neuron too; anything else is refused in one line naming the choices."""
    assert contenders.CONTENDERS == ("quadratic", "cross-entropy", "quadratic/linear")
    assert CONTENDERS == contenders.CONTENDERS  # the slowdown's, in the same order
    assert contenders.contenders_of("quadratic/linear") == ("quadratic/linear",)
    assert contenders.contenders_of("both") == ("quadratic", "cross-entropy")
    assert contenders.contenders_of("all") == contenders.CONTENDERS
    with pytest.raises(
        XentlabError,
        match=r"^cost must be one of quadratic, cross-entropy, "
        r"quadratic/linear, both, all; got 'linear'$",
    ):
        contenders.contenders_of("linear")


def test_contender_costs_put_each_cost_on_its_output():
    costs = contenders.contender_costs("all")
    assert [cost.label for cost in costs] == list(contenders.CONTENDERS)
    assert [cost.output for cost in costs] == [Output.SIGMOID, Output.SIGMOID, Output.LINEAR]
    (linear,) = contenders.contender_costs("quadratic", output="linear")  # the command line's way
    assert linear == labelled_cost("quadratic/linear") == costs[-1]
    assert contenders.contender_costs("quadratic/linear", output="linear") == (linear,)
    with pytest.raises(XentlabError, match="does not go with output 'sigmoid'"):
        contenders.contender_costs("quadratic/linear", output="sigmoid")
    with pytest.raises(XentlabError, match="'cross-entropy' does not go with a linear output"):
        contenders.contender_costs("both", output="linear")


def test_the_output_slope_is_sigma_prime_or_one():
    """da/dz along a path: σ'(z) for a sigmoid neuron (≈ 0.018 at the saturated start), 1 for
    the linear neuron, whatever z is."""
    sigmoid_path = neuron.train(2.0, 2.0, cost="quadratic", epochs=5)
    assert np.array_equal(sigmoid_path.output_slope, sigmoid_prime(sigmoid_path.z))
    assert sigmoid_path.output_slope[0, 0, 0] == pytest.approx(0.0177, abs=1e-4)
    linear_path = neuron.train(2.0, 2.0, cost=labelled_cost("quadratic/linear"), epochs=5)
    assert linear_path.z[0, 0, 0] == 4.0
    assert np.array_equal(linear_path.output_slope, np.ones_like(linear_path.z))
