"""The output error δ^L = ∂C/∂z^L of a layer of output neurons, checked by SymPy for three
outputs (each ∂C/∂z_j of a sigmoid output holds only its own term, so three show every case;
the softmax couples them, and three show that too):

    sigmoid, cross-entropy C = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]:  δ^L = a^L − y
    sigmoid, quadratic C = ½ Σ_j (y_j − a_j)²:                        δ^L = (a^L − y) ⊙ σ'(z^L)
    softmax, log-likelihood C = −Σ_j y_j ln a_j, Σ_j y_j = 1:           δ^L = a^L − y
    linear a = z, quadratic C = ½ Σ_j (y_j − a_j)²:                   δ^L = a^L − y

Each is checked numerically against the cost's ``delta`` on that output and against
``Network.deltas`` (the output layer's δ in back-propagation) of a network with that output.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from ..functions import get_cost, one_hot, sigmoid
from ..model import Network
from .derivation import (
    LATEX_NAMES,
    Derivation,
    Meanings,
    NumericCheck,
    Sigmoid,
    SigmoidPrime,
    minus,
    named,
    numeric_function,
    over,
    targets_away_from,
    times,
    total,
    worst_relative_difference,
)

OUTPUTS = 3
NETWORK_INPUTS = 4  # the network of the numeric check: 4 inputs, 3 outputs, one layer
z_ = sp.symbols(f"z_1:{OUTPUTS + 1}", real=True)
y_ = sp.symbols(f"y_1:{OUTPUTS + 1}", real=True)
a_ = sp.symbols(f"a_1:{OUTPUTS + 1}", real=True)
C = sp.Symbol("C")
delta = named("δᴸ", r"\delta^L")


def _vector(text: str, tex: str) -> sp.MatrixSymbol:
    symbol = sp.MatrixSymbol(text, OUTPUTS, 1)
    LATEX_NAMES[symbol] = tex
    return symbol


Z, A, Y = _vector("zᴸ", "z^L"), _vector("aᴸ", "a^L"), _vector("y", "y")
SIGMA_PRIME_Z = _vector("σ'(zᴸ)", r"\sigma'(z^L)")
ERROR = sp.MatAdd(A, -Y, evaluate=False)  # aᴸ − y
HALF_SQUARED_ERROR = times(
    sp.Rational(1, 2), total(*(minus(yj, aj) ** 2 for aj, yj in zip(a_, y_, strict=True)))
)
Array = NDArray[np.floating]


def _column(entries: list[sp.Basic]) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(OUTPUTS, 1, entries)


def _meanings(cost_of_a: sp.Basic, activations: list[sp.Basic], extra: dict) -> Meanings:  # type: ignore[type-arg]
    """C of the outputs a_j, a_j of the z_j; δ^L as SymPy's gradient of C in z."""
    m = Meanings({C: cost_of_a, **dict(zip(a_, activations, strict=True)), **extra})
    m.define(Z, _column(list(z_)))
    m.define(A, _column(list(a_)))
    m.define(Y, _column(list(y_)))
    m.define(SIGMA_PRIME_Z, _column([SigmoidPrime(zj) for zj in z_]))
    cost_of_z = m.explicit_names(C)
    m.define(delta, _column([sp.diff(cost_of_z, zj) for zj in z_]))
    return m


def _derivation(
    cost: str,
    title: tuple[str, str],
    m: Meanings,
    given: tuple[tuple[sp.Basic, sp.Basic], ...],
    entries: list[sp.Basic],
    final: sp.Basic,
    why: tuple[str, str],
    numeric: NumericCheck,
) -> Derivation:
    steps = (
        m.equal(
            delta,
            _column(entries),
            "δᴸ_j = ∂C/∂z_j for each output j",
            "对每个输出 j，δᴸ_j = ∂C/∂z_j",
        ),
        m.equal(delta, final, *why),
    )
    return Derivation(
        part="outputs",
        cost=cost,
        title_en=title[0],
        title_zh=title[1],
        given=given,
        steps=steps,
        final={delta: final},
        numeric=numeric,
    )


def _check(
    formula: sp.Basic,
    ours: list[tuple[str, Callable[[Array, Array, Array], Array]]],
    inputs: Array,
    weighted: Array,
    targets: Array,
) -> NumericCheck:
    """The vector formula at each row (z, y) against each of ``ours`` (name, f(X, Z, Y))."""
    function = numeric_function(formula, (*z_, *y_))
    expected = np.asarray(function(*weighted.T, *targets.T), float).reshape(OUTPUTS, -1).T
    worst = max(
        worst_relative_difference(compute(inputs, weighted, targets), expected)
        for _, compute in ours
    )
    return NumericCheck(tuple(name for name, _ in ours), len(targets), worst)


def _against_xentlab(
    cost: str,
    formula: sp.Basic,
    seed: int,
    points: int,
    targets_for: Callable[..., Array],
    output: str | None = None,
) -> NumericCheck:
    """``formula`` against the delta of ``cost`` on ``output`` (None: the one it implies) and
    Network.deltas' output layer, in float64."""
    rng = np.random.default_rng(seed)
    network = Network.create(
        (NETWORK_INPUTS, OUTPUTS), cost=cost, seed=seed, dtype="float64", output=output
    )
    inputs = rng.standard_normal((points, NETWORK_INPUTS))
    weighted = network.weighted_inputs(inputs)[-1]
    targets = targets_for(rng, weighted)
    on = "" if output is None else f", output={output!r}"
    return _check(
        formula,
        [
            (
                f"get_cost({cost!r}{on}).delta",
                lambda X, Z, Y: get_cost(cost, output=output).delta(Z, Y),
            ),
            ("Network.deltas (output layer)", lambda X, Z, Y: network.deltas(X, Y)[1][-1]),
        ],
        inputs,
        weighted,
        targets,
    )


def sigmoid_outputs(cost: str, *, seed: int = 0, points: int = 64) -> Derivation:
    """δ^L of sigmoid outputs under ``cost`` (cross-entropy or quadratic)."""
    activations = [Sigmoid(zj) for zj in z_]
    if cost == "cross-entropy":
        cost_of_a = times(
            -1,
            total(
                *(
                    total(times(yj, sp.log(aj)), times(minus(1, yj), sp.log(minus(1, aj))))
                    for aj, yj in zip(a_, y_, strict=True)
                )
            ),
        )
        entries = [minus(Sigmoid(zj), yj) for zj, yj in zip(z_, y_, strict=True)]
        final: sp.Basic = ERROR
        why = ("σ'(z_j) cancels in each, as for one neuron", "每一项中 σ'(z_j) 都被约去")
    else:
        cost_of_a = HALF_SQUARED_ERROR
        entries = [
            times(minus(Sigmoid(zj), yj), SigmoidPrime(zj)) for zj, yj in zip(z_, y_, strict=True)
        ]
        final = sp.HadamardProduct(ERROR, SIGMA_PRIME_Z)
        why = ("each keeps its σ'(z_j)", "每一项都保留 σ'(z_j)")
    m = _meanings(cost_of_a, activations, {})
    name = "cross-entropy" if cost == "cross-entropy" else "quadratic"
    return _derivation(
        cost,
        (f"Sigmoid outputs, {name} cost: δᴸ", f"sigmoid 输出层，{_ZH[cost]}：δᴸ"),
        m,
        ((C, cost_of_a), (A, _column(activations))),
        entries,
        final,
        why,
        _against_xentlab(
            cost,
            m.explicit_names(final),
            seed,
            points,
            lambda rng, Z: targets_away_from(rng, sigmoid(Z)),
        ),
    )


def softmax_outputs(*, seed: int = 0, points: int = 64) -> Derivation:
    """δ^L of softmax outputs under the log-likelihood, for targets summing to 1."""
    exponentials = total(*(sp.exp(zj) for zj in z_))
    activations = [over(sp.exp(zj), exponentials) for zj in z_]
    cost_of_a = times(-1, total(*(times(yj, sp.log(aj)) for aj, yj in zip(a_, y_, strict=True))))
    last_target = {y_[-1]: 1 - sum(y_[:-1])}  # Σ_j y_j = 1
    m = _meanings(cost_of_a, activations, last_target)
    entries = [minus(aj, yj) for aj, yj in zip(a_, y_, strict=True)]
    final = ERROR
    return _derivation(
        "log-likelihood",
        ("Softmax outputs, log-likelihood cost: δᴸ", "softmax 输出层，对数似然代价：δᴸ"),
        m,
        ((C, cost_of_a), (A, _column(activations)), (total(*y_), sp.Integer(1))),
        entries,
        final,
        (
            "the softmax couples the outputs, yet with Σ_j y_j = 1 each δᴸ_j is a_j − y_j",
            "softmax 使各输出相互耦合，但由于 Σ_j y_j = 1，每个 δᴸ_j 仍是 a_j − y_j",
        ),
        _against_xentlab(
            "log-likelihood",
            m.explicit_names(final),
            seed,
            points,
            lambda rng, Z: one_hot(rng.integers(0, OUTPUTS, len(Z)), OUTPUTS, np.dtype(float)),
        ),
    )


def linear_output(*, seed: int = 0, points: int = 64) -> Derivation:
    """δ^L of linear outputs (a = z) under the quadratic cost: a^L − y, no σ'."""
    m = _meanings(HALF_SQUARED_ERROR, list(z_), {})
    final = ERROR
    numeric = _against_xentlab(
        "quadratic", m.explicit_names(final), seed, points, targets_away_from, output="linear"
    )
    return _derivation(
        "quadratic",
        ("Linear outputs a = z, quadratic cost: δᴸ", "线性输出层 a = z，二次代价：δᴸ"),
        m,
        ((C, HALF_SQUARED_ERROR), (A, Z)),
        [minus(zj, yj) for zj, yj in zip(z_, y_, strict=True)],
        final,
        ("with a = z there is no σ' to slow learning", "a = z 时没有 σ' 拖慢学习"),
        numeric,
    )


_ZH = {"cross-entropy": "交叉熵代价", "quadratic": "二次代价"}

CATALOGUE: tuple[tuple[str, str, Callable[[int, int], Derivation]], ...] = (
    ("outputs", "quadratic", lambda s, p: sigmoid_outputs("quadratic", seed=s, points=p)),
    ("outputs", "cross-entropy", lambda s, p: sigmoid_outputs("cross-entropy", seed=s, points=p)),
    ("outputs", "log-likelihood", lambda s, p: softmax_outputs(seed=s, points=p)),
    ("outputs", "quadratic", lambda s, p: linear_output(seed=s, points=p)),
)
