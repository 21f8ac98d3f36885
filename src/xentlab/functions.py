"""The seed's math, once: the sigmoid, softplus, softmax, one-hot targets and the three costs.

Every function here is pure NumPy, takes arrays whose *last* axis runs over output neurons
(a batch is rows: ``z`` has shape ``(n, outputs)``), and never emits a NumPy warning for any
finite input, ``|z| = 1000`` included.

Costs are computed from the weighted input ``z``, never from the logarithm of a rounded
``a = σ(z)``: in float64, ``σ(40) == 1.0`` exactly, so ``ln(1 − a)`` would be ``−inf`` although the
true cost is 40. Writing the cross-entropy of a sigmoid as ``softplus(z) − y·z`` keeps it finite
and exact for every finite ``z`` (the same identity PyTorch's ``binary_cross_entropy_with_logits``
uses, for the same reason).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .checks import OneOf
from .errors import XentlabError

Array = NDArray[np.floating]


def sigmoid(z: ArrayLike) -> Array:
    """σ(z) = 1 / (1 + e^(−z)).

    Evaluated through e = e^(−|z|) ∈ (0, 1], which cannot overflow: σ(z) = 1/(1 + e) for z ≥ 0
    and e/(1 + e) for z < 0. Both branches are exact to rounding, so σ(−40) is 4.2e−18, not 0.
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    r = 1.0 / (1.0 + e)
    return np.where(z >= 0, r, e * r)


def sigmoid_inplace(z: Array) -> Array:
    """Overwrite z with σ(z) = ½ (1 + tanh(z/2)), in four in-place passes (the training kernel).

    tanh saturates instead of overflowing, so no warning for any z; the result is within a few
    units of the last place of 0.5 of :func:`sigmoid` (absolute, not relative, accuracy: enough
    for training, while costs are always computed from z).
    """
    np.multiply(z, 0.5, out=z)
    np.tanh(z, out=z)
    np.multiply(z, 0.5, out=z)
    np.add(z, 0.5, out=z)
    return z


def softmax_inplace(z: Array) -> Array:
    """Overwrite the rows of a 2-D z with softmax(z) (the training kernel)."""
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def sigmoid_prime(z: ArrayLike) -> Array:
    """σ'(z) = σ(z)(1 − σ(z)) = e^(−|z|) / (1 + e^(−|z|))², symmetric in z, never overflowing."""
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def softplus(z: ArrayLike) -> Array:
    """softplus(z) = ln(1 + e^z) = max(z, 0) + ln(1 + e^(−|z|)), finite for every finite z.

    It is −ln(1 − σ(z)), and softplus(z) − z = −ln σ(z).
    """
    z = np.asarray(z)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def log_softmax(z: ArrayLike) -> Array:
    """ln softmax(z)_j = z_j − ln Σ_k e^(z_k) on the last axis, shifted by max z to stay finite."""
    z = np.asarray(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z: ArrayLike) -> Array:
    """a_j = e^(z_j) / Σ_k e^(z_k), along the last axis (each row sums to 1)."""
    z = np.asarray(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def one_hot(labels: NDArray[np.integer], classes: int, dtype: np.dtype) -> Array:
    """The desired outputs y(x) of labelled examples: row i has a 1 in column labels[i] and 0
    elsewhere (the article's y(x) for a digit x labelled j is the unit vector e_j)."""
    Y = np.zeros((len(labels), classes), dtype=dtype)
    Y[np.arange(len(labels)), labels] = 1
    return Y


# --- the three costs ------------------------------------------------------------------------
# Each is a pair (per-example cost, output error δ = ∂C_x/∂z), both functions of (z, y). The
# quadratic δ carries σ'(z), which is what makes a saturated neuron learn slowly; the other two
# do not.


def _quadratic_per_example(z: Array, y: Array) -> Array:
    """C_x = ½ ‖y − a‖², a = σ(z)."""
    return 0.5 * ((sigmoid(z) - y) ** 2).sum(axis=-1)


def _quadratic_delta(z: Array, y: Array) -> Array:
    """δ = (a − y) σ'(z)."""
    return (sigmoid(z) - y) * sigmoid_prime(z)


def _cross_entropy_per_example(z: Array, y: Array) -> Array:
    """C_x = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)] = Σ_j [softplus(z_j) − y_j z_j]."""
    return (softplus(z) - y * z).sum(axis=-1)


def _cross_entropy_delta(z: Array, y: Array) -> Array:
    """δ = a − y: σ'(z) has cancelled."""
    return sigmoid(z) - y


def _log_likelihood_per_example(z: Array, y: Array) -> Array:
    """C_x = −Σ_j y_j ln a_j with a = softmax(z); for a one-hot y this is −ln a_{y(x)}."""
    return -(y * log_softmax(z)).sum(axis=-1)


def _log_likelihood_delta(z: Array, y: Array) -> Array:
    """δ = a − y (for targets that sum to 1, as one-hot labels do)."""
    return softmax(z) - y


class OutputRule(enum.Enum):
    """How a cost's output error δ_L = ∂C_x/∂z_L follows from the output activations a and the
    targets y. Each cost declares its rule; the epoch kernels compute δ by the rule, never by
    the cost's name, and refuse a rule they do not implement."""

    # δ = (a − y) σ'(z), σ'(z) = a (1 − a): the factor that slows a saturated sigmoid neuron
    CARRIES_SIGMA_PRIME = "(a − y) σ'(z)"
    # δ = a − y: σ'(z) (or the softmax Jacobian) has cancelled
    CANCELS = "a − y"
    # anything else: δ is the cost's own ``delta(z, y)``, which only the NumPy kernel calls
    OWN = "the cost's own delta(z, y)"


class CostFormula(enum.Enum):
    """Which per-example cost C_x a cost computes from (z, y), declared beside its δ so that
    compiled code can compute C_x itself, by the same stable formula as ``per_example``, without
    calling it (and so never by the cost's name). A cost of one's own declares ``OWN``: it is
    measured by its ``per_example``, in NumPy."""

    # C_x = ½ Σ_j (σ(z_j) − y_j)², σ as :func:`sigmoid`
    HALF_SQUARED_ERROR = "½ Σ_j (σ(z_j) − y_j)²"
    # C_x = Σ_j softplus(z_j) − y_j z_j, the cross-entropy of sigmoid outputs, from z
    SIGMOID_CROSS_ENTROPY = "Σ_j softplus(z_j) − y_j z_j"
    # C_x = −Σ_j y_j ln softmax(z)_j, the log-likelihood of a softmax output, from z
    SOFTMAX_LOG_LIKELIHOOD = "−Σ_j y_j ln softmax(z)_j"
    # anything else: the cost's own ``per_example(z, y)``
    OWN = "the cost's own per_example(z, y)"


OUTPUTS = OneOf(("sigmoid", "softmax"))
# The output layer each declared formula is written for.
FORMULA_OUTPUTS = {
    CostFormula.HALF_SQUARED_ERROR: "sigmoid",
    CostFormula.SIGMOID_CROSS_ENTROPY: "sigmoid",
    CostFormula.SOFTMAX_LOG_LIKELIHOOD: "softmax",
}


@dataclass(frozen=True)
class Cost:
    """A cost function of the output layer, with its output activation.

    ``per_example(z, y)`` is C_x summed over output neurons (shape ``z.shape[:-1]``),
    ``value(z, y)`` is C = 1/n Σ_x C_x over the rows, and ``delta(z, y)`` is δ = ∂C_x/∂z.
    These take checked arrays; validation happens once, at the library's boundary.

    ``output`` is the output layer's activation (sigmoid or softmax) and ``rule`` what δ is
    (:class:`OutputRule`): all a kernel needs to know of a cost, so that it never compares names.
    A cost whose δ is neither (a − y) σ'(z) nor a − y declares ``OutputRule.OWN``.
    ``formula`` says which C_x ``per_example`` computes (:class:`CostFormula`), so that the
    compiled evaluation computes it too; ``OWN`` (the default) for any other.
    """

    name: str
    output: str
    rule: OutputRule
    per_example: Callable[[Array, Array], Array]
    delta: Callable[[Array, Array], Array]
    formula: CostFormula = CostFormula.OWN

    def __post_init__(self) -> None:
        OUTPUTS.check("output", self.output)
        if self.rule is OutputRule.CARRIES_SIGMA_PRIME and self.output != "sigmoid":
            raise XentlabError(f"cost {self.name!r}: δ = (a − y) σ'(z) needs a sigmoid output")
        needed = FORMULA_OUTPUTS.get(self.formula, self.output)
        if needed != self.output:
            raise XentlabError(
                f"cost {self.name!r}: C_x = {self.formula.value} needs a {needed} output"
            )

    @property
    def softmax_output(self) -> bool:
        """Whether the output layer is softmax rather than sigmoid."""
        return self.output == "softmax"

    @property
    def delta_has_sigma_prime(self) -> bool:
        """Whether δ = (a − y) σ'(z), the factor that slows a saturated neuron."""
        return self.rule is OutputRule.CARRIES_SIGMA_PRIME

    def activation(self, z: ArrayLike) -> Array:
        """The output layer's activations a for weighted inputs z."""
        return softmax(z) if self.softmax_output else sigmoid(z)

    def value(self, z: ArrayLike, y: ArrayLike) -> float:
        """C = 1/n Σ_x C_x over the n rows of z and y."""
        return float(np.mean(self.per_example(np.asarray(z), np.asarray(y))))


QUADRATIC = Cost(
    "quadratic",
    output="sigmoid",
    rule=OutputRule.CARRIES_SIGMA_PRIME,
    per_example=_quadratic_per_example,
    delta=_quadratic_delta,
    formula=CostFormula.HALF_SQUARED_ERROR,
)
CROSS_ENTROPY = Cost(
    "cross-entropy",
    output="sigmoid",
    rule=OutputRule.CANCELS,
    per_example=_cross_entropy_per_example,
    delta=_cross_entropy_delta,
    formula=CostFormula.SIGMOID_CROSS_ENTROPY,
)
LOG_LIKELIHOOD = Cost(
    "log-likelihood",
    output="softmax",
    rule=OutputRule.CANCELS,
    per_example=_log_likelihood_per_example,
    delta=_log_likelihood_delta,
    formula=CostFormula.SOFTMAX_LOG_LIKELIHOOD,
)

COSTS: dict[str, Cost] = {c.name: c for c in (QUADRATIC, CROSS_ENTROPY, LOG_LIKELIHOOD)}
COST_NAMES = OneOf(tuple(COSTS))
# The costs of a sigmoid output layer: a single neuron's, and each of a multilabel output's.
SIGMOID_COST_NAMES = OneOf(tuple(name for name, cost in COSTS.items() if cost.output == "sigmoid"))


def get_cost(name: str | Cost, allowed: OneOf = COST_NAMES) -> Cost:
    """The cost called ``name``; an unknown name raises XentlabError listing the allowed ones.
    A ``Cost`` of the caller's own (a new δ to try), given itself where any cost may go, is
    taken as it is; one of xentlab's is checked against ``allowed`` like its name."""
    if isinstance(name, Cost):
        if name.name not in COSTS and allowed is COST_NAMES:
            return name
        if COSTS.get(name.name) not in (None, name):
            raise XentlabError(f"cost {name.name!r}: that name is xentlab's own cost's")
        name = name.name
    return COSTS[allowed.check("cost", name)]
