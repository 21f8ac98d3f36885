"""What a derivation checked by SymPy is made of: steps, their verification, and the numeric
check of a derivation's final formula against xentlab's own gradient code.

A :class:`Step` is one line of the article's algebra, ``lhs = rhs`` (or ``lhs > rhs``,
``lhs ≥ rhs``), and ``verified`` is what SymPy computed, never what the text claims. Quantities
are written as the article writes them (``∂C/∂w_j``, ``σ(z)``, ``σ'(z)``) and *mean* their
definitions: before a step is checked, every named quantity is replaced by what it stands for
(``∂C/∂w_j`` by SymPy's own derivative of C's definition, ``σ(z)`` by 1/(1 + e^(−z)), ``σ'(z)``
by the derivative of that), so that a step is true of the definitions, not of the names.

This module imports SymPy (a dependency of xentlab, about a second to import); nothing of
xentlab imports it unless ``xentlab derive`` or the report's derivation asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from numpy.typing import NDArray

# The numeric check's bound: |xentlab's value − the formula's| / |the formula's value|.
RELATIVE_TOLERANCE = 1e-12
# Away from 0 by this much, the error a − y keeps its digits in float64 (nearer, a subtraction
# of nearly equal numbers, not the formula, would decide the relative difference).
ERROR_MARGIN = 1e-3
EQUALITY = "simplify(lhs − rhs) = 0"  # how an equation is checked


class _Shown(sp.Function):  # type: ignore[misc]  # SymPy is untyped
    """A function printed as the article writes it (σ, σ'), in every printer."""

    text = "?"
    ascii = "?"  # for a terminal without Unicode
    tex = "?"

    def _named(self) -> sp.Basic:
        return sp.Function(self.text)(*self.args)

    def _latex(self, printer: sp.printing.latex.LatexPrinter, exp: object = None) -> str:
        shown = rf"{self.tex}\left({printer._print(self.args[0])}\right)"
        return shown if exp is None else rf"{shown}^{{{exp}}}"

    def _pretty(self, printer: object) -> object:
        if not printer._use_unicode:  # type: ignore[attr-defined]
            return printer._print(sp.Function(self.ascii)(*self.args))  # type: ignore[attr-defined]
        return printer._print(self._named())  # type: ignore[attr-defined]

    def _sympystr(self, printer: object) -> object:
        return printer._print(self._named())  # type: ignore[attr-defined]

    def _mathml_presentation(self, printer: object) -> object:
        return printer._print(self._named())  # type: ignore[attr-defined]


class Sigmoid(_Shown):
    """σ(z) = 1 / (1 + e^(−z)); SymPy differentiates it to σ'(z), kept as σ' until checked."""

    text = "σ"
    ascii = "sigma"
    tex = r"\sigma"

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return SigmoidPrime(self.args[0])


class SigmoidPrime(_Shown):
    """σ'(z), the derivative of σ: the factor that slows a saturated neuron."""

    text = "σ'"
    ascii = "sigma'"
    tex = r"\sigma'"


_U = sp.Symbol("u")
SIGMOID_DEFINITION = 1 / (1 + sp.exp(-_U))
SIGMOID_PRIME_DEFINITION = sp.diff(SIGMOID_DEFINITION, _U)

# LaTeX for the quantities named as the article writes them (a Symbol's name is its text form).
LATEX_NAMES: dict[sp.Basic, str] = {}


def named(text: str, tex: str, **assumptions: bool) -> sp.Symbol:
    """A quantity written ``text`` in a terminal and ``tex`` in LaTeX (∂C/∂w_j, δ^L, ...)."""
    symbol = sp.Symbol(text, **assumptions)
    LATEX_NAMES[symbol] = tex
    return symbol


@dataclass(frozen=True)
class Step:
    """``lhs relation rhs``, with why in English and Chinese; ``verified``: SymPy's answer.

    ``how`` says what SymPy computed: for "=", that simplify(lhs − rhs) is 0 (each named
    quantity replaced by its definition); for an inequality or an antiderivative, the test used.
    """

    lhs: sp.Basic
    rhs: sp.Basic
    en: str
    zh: str
    verified: bool
    how: str = EQUALITY
    relation: str = "="


@dataclass(frozen=True)
class NumericCheck:
    """The derivation's final formula, evaluated (lambdify, float64) at ``points`` seeded random
    points, against each of xentlab's functions named in ``against``: the worst relative
    difference found."""

    against: tuple[str, ...]
    points: int
    worst_relative_difference: float

    @property
    def passed(self) -> bool:
        return self.worst_relative_difference < RELATIVE_TOLERANCE


@dataclass(frozen=True)
class Derivation:
    """A title (English, Chinese), what is given, the steps, the final formulas and the numeric
    check. ``part`` and ``cost`` say which of ``xentlab derive``'s selections it belongs to."""

    part: str
    cost: str
    title_en: str
    title_zh: str
    given: tuple[tuple[sp.Basic, sp.Basic], ...]
    steps: tuple[Step, ...]
    final: Mapping[sp.Symbol, sp.Basic] = field(default_factory=dict)
    numeric: NumericCheck | None = None

    @property
    def verified(self) -> bool:
        """Every step verified by SymPy and the numeric check (if any) within tolerance."""
        steps = all(step.verified for step in self.steps)
        return steps and (self.numeric is None or self.numeric.passed)


class Meanings:
    """What each named quantity of one derivation stands for, and the checks that use it."""

    def __init__(self, meanings: Mapping[sp.Basic, sp.Basic] | None = None) -> None:
        self.meanings: dict[sp.Basic, sp.Basic] = dict(meanings or {})

    def define(self, name: sp.Basic, meaning: sp.Basic) -> sp.Basic:
        self.meanings[name] = meaning
        return name

    def explicit_names(self, expression: sp.Basic) -> sp.Basic:
        """``expression`` with every name replaced by its meaning, until none is left (σ and σ'
        stay: SymPy differentiates σ to σ'). A named quantity may not be the variable of a
        limit or an integral in ``expression``: replacing it there would change its meaning."""
        clash = _bound_variables(expression) & set(self.meanings)
        if clash:
            raise ValueError(f"bound variables {clash} have meanings; use other symbols")
        for _ in range(len(self.meanings) + 1):
            replaced = expression.xreplace(self.meanings)
            if replaced == expression:
                break
            expression = replaced
        return expression.doit() if isinstance(expression, sp.MatrixExpr) else expression

    def explicit(self, expression: sp.Basic) -> sp.Basic:
        """``expression`` with every name replaced by its meaning, σ and σ' by their
        definitions, and every limit or integral in it evaluated."""
        return explicit_sigmoid(self.explicit_names(expression)).doit()

    def equal(self, lhs: sp.Basic, rhs: sp.Basic, en: str, zh: str) -> Step:
        """The step ``lhs = rhs``, verified when simplify(lhs − rhs), made explicit, is 0."""
        difference = sp.simplify(self.explicit(lhs) - self.explicit(rhs))
        zero = (
            difference.is_zero_matrix
            if isinstance(difference, sp.MatrixBase)
            else (difference == 0)
        )
        return Step(lhs, rhs, en, zh, verified=bool(zero))

    def positive_on(
        self, expression: sp.Basic, variable: sp.Symbol, domain: sp.Set, en: str, zh: str
    ) -> Step:
        """The step ``expression > 0`` for ``variable`` in ``domain``: verified when SymPy's
        solveset finds no point of the domain where it is ≤ 0."""
        explicit = self.explicit(expression)
        failing = sp.solveset(sp.Le(explicit, 0), variable, domain)
        return Step(
            expression,
            sp.Integer(0),
            en,
            zh,
            verified=failing == sp.S.EmptySet,
            how=f"solveset(lhs ≤ 0, {variable}, {domain}) = ∅",
            relation=">",
        )

    def antiderivative(
        self, integral: sp.Integral, result: sp.Basic, constant: sp.Symbol, en: str, zh: str
    ) -> Step:
        """``∫ f da = F + constant``: verified when dF/da − f simplifies to 0 (every
        antiderivative of f is F plus a constant)."""
        variable = integral.variables[0]
        difference = sp.diff(self.explicit(result), variable) - self.explicit(integral.function)
        return Step(
            integral,
            total(result, constant),
            en,
            zh,
            verified=sp.simplify(difference) == 0 and not result.has(constant),
            how=f"simplify(d/d{variable} rhs − integrand) = 0",
        )


# Expressions as the article writes them: SymPy would reorder an Add or a Mul it evaluates
# (−y + σ(z)); built unevaluated, they print in the order given (with printing order "none").


def minus(first: sp.Basic, second: sp.Basic) -> sp.Basic:
    """first − second, printed so."""
    return sp.Add(first, -second, evaluate=False)


def total(*terms: sp.Basic) -> sp.Basic:
    """terms[0] + terms[1] + ..., printed in that order."""
    return sp.Add(*terms, evaluate=False)


def times(*factors: sp.Basic) -> sp.Basic:
    """factors[0] · factors[1] · ..., printed in that order (−1 first prints as a minus sign)."""
    return sp.Mul(*factors, evaluate=False)


def over(numerator: sp.Basic, denominator: sp.Basic) -> sp.Basic:
    """numerator / denominator, each printed as given."""
    reciprocal = sp.Pow(denominator, -1, evaluate=False)
    return reciprocal if numerator == 1 else sp.Mul(numerator, reciprocal, evaluate=False)


def _bound_variables(expression: sp.Basic) -> set[sp.Basic]:
    """The variables of the limits and integrals in ``expression``."""
    found: set[sp.Basic] = set()
    for node in sp.preorder_traversal(expression):
        if isinstance(node, sp.Limit):
            found.add(node.args[1])
        elif isinstance(node, sp.Integral):
            found.update(node.variables)
    return found


def explicit_sigmoid(expression: sp.Basic) -> sp.Basic:
    """σ(u) → 1/(1 + e^(−u)) and σ'(u) → its derivative, e^(−u)/(1 + e^(−u))²."""
    expression = expression.replace(
        SigmoidPrime, lambda u: SIGMOID_PRIME_DEFINITION.xreplace({_U: u})
    )
    return expression.replace(Sigmoid, lambda u: SIGMOID_DEFINITION.xreplace({_U: u}))


def numeric_function(
    formula: sp.Basic, arguments: tuple[sp.Symbol, ...]
) -> Callable[..., NDArray[np.float64]]:
    """The formula as a NumPy function of ``arguments``, σ as 1/(1 + e^(−z)) (not xentlab's)."""
    return sp.lambdify(arguments, explicit_sigmoid(formula), modules="numpy")


def worst_relative_difference(ours: NDArray[np.floating], formula: NDArray[np.floating]) -> float:
    """max |ours − formula| / |formula| over all values (∞ where the formula is 0 and ours not)."""
    ours, formula = np.broadcast_arrays(np.asarray(ours, float), np.asarray(formula, float))
    difference = np.abs(ours - formula)
    scale = np.abs(formula)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(difference == 0, 0.0, difference / scale)
    return float(np.max(relative)) if relative.size else 0.0


def targets_away_from(
    rng: np.random.Generator, outputs: NDArray[np.floating]
) -> NDArray[np.float64]:
    """Targets y in [0, 1] drawn uniformly, redrawn where |a − y| < ERROR_MARGIN."""
    y = rng.uniform(0.0, 1.0, outputs.shape)
    close = np.abs(outputs - y) < ERROR_MARGIN
    while close.any():
        y[close] = rng.uniform(0.0, 1.0, int(close.sum()))
        close = np.abs(outputs - y) < ERROR_MARGIN
    return y
