"""The cross-entropy as a cost, checked by SymPy: found again from the gradient it should have
(∂C/∂b = σ(z) − y, no σ'(z)), and why it is a cost at all (C ≥ 0, C → 0 as a → y, its minimum
the binary entropy of y). Each checked numerically against the cross-entropy's ``per_example``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..functions import get_cost
from .derivation import (
    Derivation,
    Meanings,
    NumericCheck,
    Step,
    minus,
    named,
    numeric_function,
    over,
    times,
    total,
    worst_relative_difference,
)
from .derive_neuron import (
    CROSS_ENTROPY_OF_A,
    ERROR,
    POINTS,
    SIGMA_PRIME_IDENTITY,
    Z_DEFINITION,
    C,
    a,
    b,
    dC_da,
    dC_db,
    sigma,
    sigma_prime,
    y,
    z,
)


def reverse(*, seed: int = 0, points: int = POINTS) -> Derivation:
    """From the gradient one wants, ∂C/∂b = σ(z) − y (no σ'(z)), back to the cost: since
    ∂C/∂b = ∂C/∂a σ'(z) = ∂C/∂a a(1 − a), ∂C/∂a = (a − y)/(a(1 − a)), whose integral is
    C = −[y ln a + (1 − y) ln(1 − a)] + constant. Checked against the cross-entropy's
    ``per_example`` (with constant 0)."""
    m = Meanings({z: Z_DEFINITION})  # a is the integral's variable: it stays a
    slope = times(a, minus(1, a))  # σ'(z) = a(1 − a)
    wanted = over(minus(a, y), slope)
    constant = sp.Symbol("constant")
    partial_fractions = total(-y / a, over(minus(1, y), minus(1, a)))
    found = CROSS_ENTROPY_OF_A
    m.define(dC_db, sp.diff(m.explicit_names(found.xreplace({a: sigma})), b))
    steps = [
        m.equal(
            sigma_prime,
            SIGMA_PRIME_IDENTITY,
            "With a = σ(z): σ'(z) = σ(z)(1 − σ(z)) = a(1 − a)",
            "记 a = σ(z)：σ'(z) = σ(z)(1 − σ(z)) = a(1 − a)",
        ),
        m.equal(
            times(wanted, slope),
            minus(a, y),
            "∂C/∂b = ∂C/∂a · σ'(z) must be a − y: so ∂C/∂a = (a − y)/(a(1 − a))",
            "要使 ∂C/∂b = ∂C/∂a · σ'(z) 等于 a − y，须有 ∂C/∂a = (a − y)/(a(1 − a))",
        ),
        m.equal(wanted, partial_fractions, "in partial fractions", "部分分式分解"),
        m.antiderivative(
            sp.Integral(partial_fractions, a),
            found,
            constant,
            "Integrating over a gives the cross-entropy, up to a constant",
            "对 a 积分，得到交叉熵（相差一个常数）",
        ),
        m.equal(
            dC_db,
            ERROR,
            "and back: its derivative is the gradient we asked for",
            "反过来验证：它的导数正是所要的梯度",
        ),
    ]
    rng = np.random.default_rng(seed)
    weighted = rng.uniform(-4.0, 4.0, points)
    targets = rng.uniform(0.0, 1.0, points)
    formula = numeric_function(found.xreplace({a: sigma}), (z, y))
    ours = get_cost("cross-entropy").per_example(weighted[:, None], targets[:, None])
    check = NumericCheck(
        ("xentlab.functions.CROSS_ENTROPY.per_example",),
        points,
        worst_relative_difference(ours, formula(weighted, targets)),
    )
    return Derivation(
        part="reverse",
        cost="cross-entropy",
        title_en="The reverse: which cost has ∂C/∂b = σ(z) − y?",
        title_zh="反过来：什么代价函数满足 ∂C/∂b = σ(z) − y？",
        given=((dC_db, ERROR), (a, sigma), (z, Z_DEFINITION)),
        steps=tuple(steps),
        final={C: found},
        numeric=check,
    )


def properties(*, seed: int = 0, points: int = POINTS) -> Derivation:
    """Why the cross-entropy is a cost: C ≥ 0 for 0 < a < 1 and 0 ≤ y ≤ 1; C → 0 as a → y for
    y ∈ {0, 1}; for 0 < y < 1 its minimum over a is at a = y, where it is the binary entropy
    −y ln y − (1 − y) ln(1 − y). Checked against ``per_example`` at z = ln(y/(1 − y))."""
    m = Meanings({C: CROSS_ENTROPY_OF_A})
    open_unit = sp.Interval.open(0, 1)
    at_target = named("∂C/∂a|ₐ₌ᵧ", r"\left.\frac{\partial C}{\partial a}\right|_{a=y}")
    curvature = named("∂²C/∂a²|ₐ₌ᵧ", r"\left.\frac{\partial^2 C}{\partial a^2}\right|_{a=y}")
    minimum = named("C|ₐ₌ᵧ", r"\left.C\right|_{a=y}")
    entropy = minus(times(-1, y, sp.log(y)), times(minus(1, y), sp.log(minus(1, y))))
    m.define(dC_da, sp.diff(CROSS_ENTROPY_OF_A, a))
    m.define(at_target, sp.diff(CROSS_ENTROPY_OF_A, a).subs(a, y))
    m.define(curvature, sp.diff(CROSS_ENTROPY_OF_A, a, 2).subs(a, y))
    m.define(minimum, CROSS_ENTROPY_OF_A.subs(a, y))
    # C ≥ 0: −ln a = p > 0 and −ln(1 − a) = q > 0 (the steps before), any y in [0, 1] = sin²t
    p, q, t = (
        sp.Symbol("p", positive=True),
        sp.Symbol("q", positive=True),
        sp.Symbol("t", real=True),
    )
    in_p_q = m.explicit(C).xreplace({sp.log(a): -p, sp.log(1 - a): -q}).subs(y, sp.sin(t) ** 2)
    nonnegative = sp.simplify(in_p_q)
    steps = [
        m.equal(
            C,
            minus(times(-1, y, sp.log(a)), times(minus(1, y), sp.log(minus(1, a)))),
            "Two terms: the logarithms' negatives, weighted by y and 1 − y, both in [0, 1]",
            "两项：对数的相反数，分别乘以 y 与 1 − y，二者都在 [0, 1] 之间",
        ),
        m.positive_on(-sp.log(a), a, open_unit, "ln a < 0 for 0 < a < 1", "0 < a < 1 时 ln a < 0"),
        m.positive_on(
            -sp.log(minus(1, a)), a, open_unit, "and so is ln(1 − a)", "ln(1 − a) 同样为负"
        ),
        Step(
            C,
            sp.Integer(0),
            "So C ≥ 0: the logarithms are negative, and there is a minus sign outside",
            "所以非负：对数里面的数在0到1之间，求和外面有个负号",
            verified=bool(nonnegative.is_nonnegative) and not nonnegative.has(a),
            how="C with −ln a = p > 0, −ln(1 − a) = q > 0, y = sin²t is ≥ 0 (SymPy's assumptions)",
            relation="≥",
        ),
        m.equal(
            sp.Limit(CROSS_ENTROPY_OF_A.subs(y, 0), a, 0, "+"),
            sp.Integer(0),
            "For y = 0, C → 0 as a → 0",
            "例如 y = 0，a ≈ 0 时结果接近 0",
        ),
        m.equal(
            sp.Limit(CROSS_ENTROPY_OF_A.subs(y, 1), a, 1, "-"),
            sp.Integer(0),
            "and for y = 1 as a → 1",
            "反之对 y = 1，a ≈ 1 也一样成立",
        ),
        m.equal(dC_da, over(minus(a, y), times(a, minus(1, a))), "Its slope in a", "对 a 的导数"),
        m.equal(at_target, sp.Integer(0), "is zero at a = y", "在 a = y 处为零"),
        m.equal(
            curvature,
            over(1, times(y, minus(1, y))),
            "and its curvature there is 1/(y(1 − y))",
            "该处的二阶导数为 1/(y(1 − y))",
        ),
        m.positive_on(
            over(1, times(y, minus(1, y))),
            y,
            open_unit,
            "positive for 0 < y < 1: a minimum",
            "0 < y < 1 时为正：是极小值",
        ),
        m.equal(
            minimum,
            entropy,
            "The minimum is the binary entropy of y (0 only for y = 0 or 1)",
            "极小值为 y 的二元熵（仅当 y = 0 或 1 时为 0）",
        ),
    ]
    rng = np.random.default_rng(seed)
    targets = rng.uniform(0.001, 0.999, points)
    at_minimum = np.log(targets) - np.log1p(-targets)  # z with σ(z) = y
    ours = get_cost("cross-entropy").per_example(at_minimum[:, None], targets[:, None])
    check = NumericCheck(
        ("xentlab.functions.CROSS_ENTROPY.per_example at σ(z) = y",),
        points,
        worst_relative_difference(ours, numeric_function(entropy, (y,))(targets)),
    )
    return Derivation(
        part="properties",
        cost="cross-entropy",
        title_en="Why the cross-entropy is a cost",
        title_zh="为什么交叉熵可以看做代价函数",
        given=((C, CROSS_ENTROPY_OF_A),),
        steps=tuple(steps),
        final={minimum: entropy},
        numeric=check,
    )
