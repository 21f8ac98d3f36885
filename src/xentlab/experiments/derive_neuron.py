"""One sigmoid neuron's gradient under each cost, as the article derives it, checked by SymPy,
and the symbols the cost's own derivations (``derive_cost``) share.

One neuron, one training example x: a = σ(z), z = Σ_k w_k x_k + b. The weight w_j is any one of
the weights: z is written w_j x_j + Σ_{k≠j} w_k x_k + b, whose last sum holds neither w_j nor b,
so each step holds for every j and every number of inputs. The cost over n examples is the mean
1/n Σ_x C_x, and its derivatives are the means of these. The final formulas are checked
numerically against ``xentlab.neuron.gradient``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .. import neuron
from ..functions import sigmoid
from .derivation import (
    Derivation,
    Meanings,
    NumericCheck,
    Sigmoid,
    SigmoidPrime,
    Step,
    minus,
    named,
    numeric_function,
    over,
    targets_away_from,
    times,
    total,
    worst_relative_difference,
)

POINTS = 64  # seeded random points of each numeric check
INPUTS = 3  # inputs of the neuron the numeric check evaluates (the algebra holds for any number)

x_j, w_j, b, y, z, a = sp.symbols("x_j w_j b y z a", real=True)
C = sp.Symbol("C")
OTHER_TERMS = named("Σₖ≠ⱼ wₖxₖ", r"\sum_{k \neq j} w_k x_k", real=True)
Z_DEFINITION = total(w_j * x_j, OTHER_TERMS, b)
dz_dw = named("∂z/∂w_j", r"\frac{\partial z}{\partial w_j}")
dz_db = named("∂z/∂b", r"\frac{\partial z}{\partial b}")
dsigma_dw = named("∂σ/∂w_j", r"\frac{\partial \sigma}{\partial w_j}")
dC_dw = named("∂C/∂w_j", r"\frac{\partial C}{\partial w_j}")
dC_db = named("∂C/∂b", r"\frac{\partial C}{\partial b}")
dC_da = named("∂C/∂a", r"\frac{\partial C}{\partial a}")
sigma, sigma_prime = Sigmoid(z), SigmoidPrime(z)
ERROR = minus(sigma, y)  # σ(z) − y
SIGMA_PRIME_IDENTITY = times(sigma, minus(1, sigma))  # σ(z)(1 − σ(z))
# z as a limit's variable: a symbol of its own (printed z), since the neuron's z means Σ w x + b
SATURATING = sp.Symbol("z")

CROSS_ENTROPY_OF_A = times(-1, total(times(y, sp.log(a)), times(minus(1, y), sp.log(minus(1, a)))))
QUADRATIC_OF_A = times(sp.Rational(1, 2), minus(y, a) ** 2)
COST_OF_A = {"cross-entropy": CROSS_ENTROPY_OF_A, "quadratic": QUADRATIC_OF_A}


def _neuron_meanings(cost: str) -> Meanings:
    """C, a and z of one neuron, and the derivatives that SymPy takes of them."""
    m = Meanings({C: COST_OF_A[cost], a: sigma, z: Z_DEFINITION})
    c_of_parameters = m.explicit_names(C)
    m.define(dz_dw, sp.diff(Z_DEFINITION, w_j))
    m.define(dz_db, sp.diff(Z_DEFINITION, b))
    m.define(dsigma_dw, sp.diff(m.explicit_names(sigma), w_j))
    m.define(dC_dw, sp.diff(c_of_parameters, w_j))
    m.define(dC_db, sp.diff(c_of_parameters, b))
    return m


def _given(cost: str) -> tuple[tuple[sp.Basic, sp.Basic], ...]:
    return ((C, COST_OF_A[cost]), (a, sigma), (z, Z_DEFINITION))


def _common_steps(m: Meanings) -> list[Step]:
    return [
        m.equal(dz_dw, x_j, "z depends on w_j through w_j x_j only", "z 只通过 w_j x_j 依赖 w_j"),
        m.equal(dz_db, sp.Integer(1), "and on b with slope 1", "z 对 b 的导数为 1"),
        m.equal(
            sigma_prime,
            SIGMA_PRIME_IDENTITY,
            "From the sigmoid's definition σ(z) = 1/(1 + e^(−z)), its derivative is "
            "σ'(z) = σ(z)(1 − σ(z))",
            "由sigmoid定义 σ(z) = 1/(1+e^(−z))，得到导数 σ'(z) = σ(z)(1 − σ(z))",
        ),
        m.equal(dsigma_dw, times(sigma_prime, x_j), "the chain rule", "链式法则"),
    ]


def neuron_gradient(cost: str, *, seed: int = 0, points: int = POINTS) -> Derivation:
    """∂C/∂w_j and ∂C/∂b of one sigmoid neuron under ``cost`` (quadratic or cross-entropy),
    step by step as the article takes them:

        cross-entropy: ∂C/∂w_j = x_j (σ(z) − y),         ∂C/∂b = σ(z) − y
        quadratic:     ∂C/∂w_j = x_j (σ(z) − y) σ'(z),   ∂C/∂b = (σ(z) − y) σ'(z)

    checked numerically against ``xentlab.neuron.gradient``.
    """
    m = _neuron_meanings(neuron.NEURON_COSTS.check("cost", cost))
    steps = _common_steps(m)
    if cost == "cross-entropy":
        bracket = minus(over(y, sigma), over(minus(1, y), minus(1, sigma)))
        final_w, final_b = times(x_j, ERROR), ERROR
        steps += [
            m.equal(
                dC_dw,
                times(-1, bracket, dsigma_dw),
                "Differentiate the cross-entropy with respect to the weight",
                "计算交叉熵对weights的偏导",
            ),
            m.equal(
                dC_dw,
                times(-1, bracket, sigma_prime, x_j),
                "with ∂σ/∂w_j = σ'(z) x_j",
                "其中 ∂σ/∂w_j = σ'(z) x_j",
            ),
            m.equal(
                dC_dw,
                times(over(times(sigma_prime, x_j), SIGMA_PRIME_IDENTITY), ERROR),
                "Over a common denominator",
                "通分之后简化为",
            ),
            m.equal(
                dC_dw,
                final_w,
                "σ'(z) = σ(z)(1 − σ(z)) cancels: the rate is set by the error σ(z) − y alone",
                "σ'(z) = σ(z)(1 − σ(z)) 被约去：学习速度只由误差 σ(z) − y 控制",
            ),
            m.equal(
                dC_db,
                times(-1, bracket, sigma_prime),
                "In the same way, for the bias",
                "类似的方法，我们计算bias的偏导",
            ),
            m.equal(dC_db, final_b, "Again σ'(z) cancels", "再一次，它避免了学习缓慢的问题"),
        ]
    else:
        final_w, final_b = times(x_j, ERROR, sigma_prime), times(ERROR, sigma_prime)
        steps += [
            m.equal(
                dC_dw,
                times(ERROR, dsigma_dw),
                "Differentiate the quadratic cost with respect to the weight",
                "计算二次代价对 weights 的偏导",
            ),
            m.equal(
                dC_dw,
                final_w,
                "with ∂σ/∂w_j = σ'(z) x_j: σ'(z) stays",
                "其中 ∂σ/∂w_j = σ'(z) x_j：σ'(z) 留在式中",
            ),
            m.equal(dC_db, final_b, "and for the bias", "bias 的偏导同理"),
            m.equal(
                sp.Limit(SigmoidPrime(SATURATING), SATURATING, sp.oo),
                sp.Integer(0),
                "σ'(z) vanishes as the neuron saturates: the wrong, saturated neuron learns slowly",
                "神经元饱和时 σ'(z) 趋于 0：错误而饱和的神经元学习缓慢",
            ),
            m.equal(
                sp.Limit(SigmoidPrime(SATURATING), SATURATING, -sp.oo),
                sp.Integer(0),
                "on either side",
                "两侧皆然",
            ),
        ]
    final = {dC_dw: final_w, dC_db: final_b}
    return Derivation(
        part="neuron",
        cost=cost,
        title_en=f"One sigmoid neuron under the {cost} cost: ∂C/∂w_j and ∂C/∂b",
        title_zh=f"单个 sigmoid 神经元，{_COST_ZH[cost]}：∂C/∂w_j 与 ∂C/∂b",
        given=_given(cost),
        steps=tuple(steps),
        final=final,
        numeric=_neuron_check(cost, final_w, final_b, seed, points),
    )


_COST_ZH = {"cross-entropy": "交叉熵代价", "quadratic": "二次代价"}


def _neuron_check(
    cost: str, final_w: sp.Basic, final_b: sp.Basic, seed: int, points: int
) -> NumericCheck:
    """The final formulas against ``neuron.gradient`` for a neuron of INPUTS inputs."""
    weight_formula = numeric_function(final_w, (x_j, z, y))
    bias_formula = numeric_function(final_b, (z, y))
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(points):
        w, x = rng.standard_normal(INPUTS), rng.standard_normal(INPUTS)
        bias = float(rng.standard_normal())
        weighted = float(w @ x + bias)
        target = float(targets_away_from(rng, np.array([sigmoid(weighted)]))[0])
        ours_w, ours_b = neuron.gradient(w, bias, x[None, :], [target], cost)
        worst = max(
            worst,
            worst_relative_difference(ours_w, weight_formula(x, weighted, target)),
            worst_relative_difference(np.array(ours_b), bias_formula(weighted, target)),
        )
    return NumericCheck((f"xentlab.neuron.gradient(..., {cost!r})",), points, worst)
