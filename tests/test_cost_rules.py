"""Each cost declares its output error δ (``OutputRule``) and its per-example cost
(``CostFormula``), and the kernels compute δ and C_x by those declarations, never by the cost's
name: a cost of one's own trains under the NumPy kernel with its own δ, and the compiled kernel
refuses it by name (``auto`` picks NumPy for it)."""

from __future__ import annotations

import numpy as np
import pytest

from xentlab.errors import XentlabError
from xentlab.functions import (
    COSTS,
    CROSS_ENTROPY,
    QUADRATIC,
    Cost,
    CostFormula,
    OutputRule,
    get_cost,
    sigmoid,
)
from xentlab.kernel import compiled_unavailable, make_kernel, resolve_kernel
from xentlab.model import Network, one_hot

# A toy cost: twice the cross-entropy, so δ = 2 (a − y). Declared as a δ of its own, it must
# train as cross-entropy at twice the rate (to rounding: its δ takes σ from ``sigmoid``, the
# kernel's a − y from its in-place twin).
DOUBLED = Cost(
    "doubled-cross-entropy",
    output="sigmoid",
    rule=OutputRule.OWN,
    per_example=lambda z, y: 2 * CROSS_ENTROPY.per_example(z, y),
    delta=lambda z, y: 2 * (sigmoid(z) - y),
)
# The quadratic cost with its δ given as a function instead of as the declared rule.
QUADRATIC_OWN = Cost(
    "quadratic-by-its-delta",
    output="sigmoid",
    rule=OutputRule.OWN,
    per_example=QUADRATIC.per_example,
    delta=QUADRATIC.delta,
)


def data(n=60, features=12, classes=4, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.random((n, features))
    return X, one_hot(rng.integers(0, classes, n), classes, np.dtype(np.float64))


def trained(kernel_name, cost, eta, epochs=3, batch_size=7):
    X, Y = data()
    net = Network.create([12, 9, 4], cost=cost, seed=1, dtype="float64")
    kernel = make_kernel(kernel_name, net.sizes, batch_size, net.dtype, net.cost)
    rng = np.random.default_rng(0)
    batches = -(-len(X) // batch_size)
    for _ in range(epochs):
        kernel.run(
            net.weights, net.biases, X, Y, 0, batches, eta, 0.0, len(X), "l2", rng.permutation(60)
        )
    return net


def assert_same_to_rounding(mine, reference):
    """Every weight and bias of two trained networks equal to 1e-12 relative."""
    pairs = zip(mine.weights + mine.biases, reference.weights + reference.biases, strict=True)
    for got, expected in pairs:
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_a_cost_with_its_own_delta_trains_with_that_delta_under_numpy():
    assert_same_to_rounding(
        trained("numpy", DOUBLED, eta=0.25), trained("numpy", "cross-entropy", eta=0.5)
    )


def test_the_generic_delta_path_equals_the_declared_rule():
    assert_same_to_rounding(
        trained("numpy", QUADRATIC_OWN, eta=0.5), trained("numpy", "quadratic", eta=0.5)
    )


def test_a_rule_is_what_kernels_read_not_a_name():
    """Were δ rebuilt from the name or from two flags, the toy cost would train as plain
    cross-entropy (δ = a − y): its weights would equal those of cross-entropy at the same η."""
    mine = trained("numpy", DOUBLED, eta=0.5)
    plain = trained("numpy", "cross-entropy", eta=0.5)
    assert not np.array_equal(mine.weights[0], plain.weights[0])


@pytest.mark.skipif(compiled_unavailable() is not None, reason="numba unavailable")
def test_the_compiled_kernel_refuses_a_cost_it_does_not_implement_by_name():
    with pytest.raises(XentlabError, match="'doubled-cross-entropy'.*use kernel 'numpy'"):
        make_kernel("compiled", (12, 9, 4), 7, np.dtype(np.float64), DOUBLED)
    from xentlab.kernel.compiled import CompiledEpochKernel

    with pytest.raises(XentlabError, match="does not implement the output error"):
        CompiledEpochKernel([((12, 9, 4), DOUBLED)], 7, np.dtype(np.float64))
    assert resolve_kernel("auto", DOUBLED) == "numpy"
    assert make_kernel("auto", (12, 9, 4), 7, np.dtype(np.float64), DOUBLED).name == "numpy"
    assert resolve_kernel("auto", "cross-entropy") == "compiled"


def test_every_cost_of_xentlabs_declares_a_rule_the_compiled_kernel_implements():
    from xentlab.kernel import COMPILED_RULES

    assert {cost.rule for cost in COSTS.values()} <= COMPILED_RULES
    assert QUADRATIC.delta_has_sigma_prime and not CROSS_ENTROPY.delta_has_sigma_prime


def test_a_cost_of_ones_own_is_taken_as_given_but_never_in_a_built_in_name():
    assert get_cost(DOUBLED) is DOUBLED
    impostor = Cost(
        "cross-entropy", "sigmoid", OutputRule.OWN, QUADRATIC.per_example, QUADRATIC.delta
    )
    with pytest.raises(XentlabError, match="xentlab's own"):
        get_cost(impostor)
    with pytest.raises(XentlabError, match="needs a sigmoid output"):
        Cost(
            "bad", "softmax", OutputRule.CARRIES_SIGMA_PRIME, QUADRATIC.per_example, QUADRATIC.delta
        )


def test_each_cost_of_xentlabs_declares_its_formula_and_a_formula_needs_its_output_layer():
    """Compiled code computes C_x by the formula a cost declares (``CostFormula``); a cost of
    one's own declares none (OWN) unless it says which, and a formula fits one output layer."""
    assert [cost.formula for cost in COSTS.values()] == [
        CostFormula.HALF_SQUARED_ERROR,
        CostFormula.SIGMOID_CROSS_ENTROPY,
        CostFormula.SOFTMAX_LOG_LIKELIHOOD,
    ]
    assert DOUBLED.formula is CostFormula.OWN
    with pytest.raises(XentlabError, match="needs a softmax output"):
        Cost(
            "bad",
            "sigmoid",
            OutputRule.CANCELS,
            CROSS_ENTROPY.per_example,
            CROSS_ENTROPY.delta,
            CostFormula.SOFTMAX_LOG_LIKELIHOOD,
        )
    with pytest.raises(XentlabError, match="needs a sigmoid output"):
        Cost(
            "bad",
            "softmax",
            OutputRule.CANCELS,
            QUADRATIC.per_example,
            QUADRATIC.delta,
            CostFormula.SIGMOID_CROSS_ENTROPY,
        )


def test_a_cost_without_a_style_of_its_own_is_drawn_in_the_shared_one(monkeypatch):
    """Figures ask the style for a cost's colour and line; a cost it does not know (here the
    quadratic, its entries removed) gets the shared ones, never a KeyError."""
    from xentlab.experiments import CompareSpec, compare, slowdown
    from xentlab.plots import compare_figure, slowdown_figure, style

    monkeypatch.delitem(style.COST_COLOURS, "quadratic")
    monkeypatch.delitem(style.COST_STYLES, "quadratic")
    assert style.cost_colour("quadratic") == style.OTHER_COST_COLOUR
    assert style.cost_style("quadratic") == style.OTHER_COST_STYLE
    assert style.cost_colour("cross-entropy") == "#0072B2"
    result = compare(CompareSpec.of(epochs=1, probe_every=20))
    figure = compare_figure(result)
    colours = {line.get_color() for ax in figure.axes for line in ax.get_lines()}
    assert style.OTHER_COST_COLOUR in colours
    slowdown_figure(slowdown(epochs=20))
