"""The costs of the seed: values from z, δ = ∂C/∂z, the properties the article names."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import central_difference, relative_error
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from xentlab.errors import XentlabError
from xentlab.functions import (
    COSTS,
    CROSS_ENTROPY,
    LOG_LIKELIHOOD,
    QUADRATIC,
    get_cost,
    log_softmax,
    sigmoid,
    sigmoid_prime,
    softmax,
    softplus,
)

finite_z = st.floats(-1000, 1000, allow_nan=False)
moderate_z = st.floats(-20, 20, allow_nan=False)
unit = st.floats(0, 1, allow_nan=False)


def test_sigmoid_extremes_are_exact_and_silent():
    z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    a = sigmoid(z)  # pytest turns any NumPy warning into an error
    assert a[0] == 0.0 and a[-1] == 1.0 and a[2] == 0.5
    assert a[1] == pytest.approx(np.exp(-40.0), rel=1e-14)  # not rounded to 0
    assert np.all(sigmoid_prime(z) >= 0)
    assert sigmoid_prime(np.array(0.0)) == 0.25


@given(moderate_z)
def test_sigmoid_matches_definition_and_derivative(z):
    assert sigmoid(z) == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-13, abs=1e-300)
    a = sigmoid(z)
    assert sigmoid_prime(z) == pytest.approx(a * (1 - a), rel=1e-9, abs=1e-15)


@given(finite_z)
def test_softplus_is_minus_log_one_minus_sigmoid(z):
    s = softplus(z)
    assert np.isfinite(s) and s >= 0 and s >= z
    if abs(z) < 30:  # ln(1 + e^z) is accurate here; −ln(1 − σ(z)) would lose digits to rounding
        assert s == pytest.approx(np.log1p(np.exp(z)), rel=1e-12)
    if abs(z) < 5:
        assert s == pytest.approx(-np.log1p(-sigmoid(z)), rel=1e-12)


@pytest.mark.parametrize("name", list(COSTS))
@pytest.mark.parametrize("z", [-1000.0, -50.0, 0.0, 50.0, 1000.0])
@pytest.mark.parametrize("y", [0.0, 0.3, 1.0])
def test_costs_finite_for_extreme_z(name, z, y):
    cost = COSTS[name]
    zs = np.array([[z, -z]])
    ys = np.array([[y, 1 - y]])
    value = cost.value(zs, ys)
    delta = cost.delta(zs, ys)
    assert np.isfinite(value) and value >= 0
    assert np.all(np.isfinite(delta))


def test_cross_entropy_at_huge_z_is_exact():
    # a = σ(1000) rounds to 1, yet C = −ln(1 − a) is exactly 1000 for y = 0.
    assert CROSS_ENTROPY.value(np.array([[1000.0]]), np.array([[0.0]])) == 1000.0
    assert CROSS_ENTROPY.value(np.array([[1000.0]]), np.array([[0.25]])) == 750.0
    assert CROSS_ENTROPY.value(np.array([[-1000.0]]), np.array([[1.0]])) == 1000.0
    assert LOG_LIKELIHOOD.value(np.array([[1000.0, -1000.0]]), np.array([[0.0, 1.0]])) == 2000.0


@given(st.floats(-10, 10), unit)
def test_cross_entropy_matches_the_article_formula(z, y):
    # Beyond |z| ≈ 10 the article's formula, evaluated on a rounded a, is itself inaccurate.
    a = 1 / (1 + np.exp(-z))
    article = -(y * np.log(a) + (1 - y) * np.log(1 - a))
    got = CROSS_ENTROPY.value(np.array([[z]]), np.array([[y]]))
    assert got == pytest.approx(article, rel=1e-9, abs=1e-12)


@given(moderate_z, unit)
def test_quadratic_matches_the_article_formula(z, y):
    a = 1 / (1 + np.exp(-z))
    assert QUADRATIC.value(np.array([[z]]), np.array([[y]])) == pytest.approx(0.5 * (y - a) ** 2)


@given(arrays(np.float64, (3, 4), elements=finite_z), arrays(np.float64, (3, 4), elements=unit))
def test_costs_are_non_negative(z, y):
    for cost in (QUADRATIC, CROSS_ENTROPY):
        assert cost.value(z, y) >= 0
    targets = y / np.maximum(y.sum(axis=1, keepdims=True), 1e-300)
    assert LOG_LIKELIHOOD.value(z, targets) >= 0


@pytest.mark.parametrize("y", [0.0, 1.0])
def test_costs_vanish_as_a_approaches_y(y):
    sign = 1 if y == 1 else -1
    values = [CROSS_ENTROPY.value(np.array([[sign * z]]), np.array([[y]])) for z in (2, 10, 40)]
    assert values[0] > values[1] > values[2] and values[2] < 1e-17
    assert QUADRATIC.value(np.array([[sign * 40.0]]), np.array([[y]])) < 1e-33


@given(st.floats(0.01, 0.99))
def test_cross_entropy_for_soft_targets_is_smallest_at_a_equal_y_but_not_zero(y):
    z_star = np.log(y / (1 - y))  # σ(z*) = y
    grid = z_star + np.linspace(-3, 3, 601)
    values = CROSS_ENTROPY.per_example(grid[:, None], np.full((601, 1), y))
    best = grid[np.argmin(values)]
    assert abs(best - z_star) <= 0.01
    entropy = -(y * np.log(y) + (1 - y) * np.log(1 - y))
    assert values.min() == pytest.approx(entropy, rel=1e-6)
    assert values.min() > 0


@settings(max_examples=60)
@given(
    arrays(np.float64, (2, 3), elements=st.floats(-8, 8)),
    arrays(np.float64, (2, 3), elements=unit),
    st.sampled_from(list(COSTS)),
)
def test_delta_is_the_derivative_of_the_cost(z, y, name):
    cost = COSTS[name]
    if cost.softmax_output:
        y = np.eye(3)[np.argmax(y, axis=1)]  # δ = a − y holds for targets that sum to 1
    n = z.shape[0]
    numeric = central_difference(lambda zz: cost.value(zz, y) * n, z)
    assert relative_error(cost.delta(z, y), numeric) < 1e-7


def test_softmax_rows_sum_to_one_and_log_softmax_is_consistent():
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    assert np.allclose(softmax(z).sum(axis=1), 1.0)
    assert np.allclose(np.exp(log_softmax(z)), softmax(z))


def test_unknown_cost_is_named():
    with pytest.raises(XentlabError, match="cost must be one of .*'hinge'"):
        get_cost("hinge")
