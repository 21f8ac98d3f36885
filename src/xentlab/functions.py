"""The seed's math, once: the sigmoid, softplus, softmax, one-hot targets, the three output
activations and the costs that go with them.

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


def identity_inplace(z: Array) -> Array:
    """Leave z as it is: a linear output's a = z (the training kernel)."""
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


# --- the output activations -----------------------------------------------------------------


class Output(str, enum.Enum):
    """The output layer's activation a_L as a function of its weighted input z_L.

    Each member declares its activation (whole arrays, and in place for the training kernel)
    and whether it saturates: σ'(z) → 0 for large |z| is what slows a sigmoid output under the
    quadratic cost; a linear output a = z never saturates, so its δ = a − y under the quadratic
    cost carries no σ'(z) — the article's third way out of the slowdown."""

    SIGMOID = "sigmoid"  # a = σ(z)
    SOFTMAX = "softmax"  # a_j = e^(z_j) / Σ_k e^(z_k)
    LINEAR = "linear"  # a = z

    def __str__(self) -> str:
        return self.value

    def activation(self, z: ArrayLike) -> Array:
        """a_L for weighted inputs z (rows for a softmax)."""
        return _ACTIVATIONS[self][0](z)

    def activate_inplace(self, z: Array) -> Array:
        """Overwrite a 2-D z with a_L, as the training kernel does."""
        return _ACTIVATIONS[self][1](z)

    @property
    def saturates(self) -> bool:
        """Whether a can saturate (a (1 − a) → 0): sigmoid and softmax outputs; a linear one,
        whose a = z has slope 1 everywhere, never does."""
        return self is not Output.LINEAR


_ACTIVATIONS: dict[Output, tuple[Callable[[ArrayLike], Array], Callable[[Array], Array]]] = {
    Output.SIGMOID: (sigmoid, sigmoid_inplace),
    Output.SOFTMAX: (softmax, softmax_inplace),
    Output.LINEAR: (np.asarray, identity_inplace),  # a = z
}
OUTPUTS = OneOf(tuple(output.value for output in Output))


# --- the costs -------------------------------------------------------------------------------
# Each is a pair (per-example cost, output error δ = ∂C_x/∂z), both functions of (z, y). The
# quadratic δ of a sigmoid output carries σ'(z), which is what makes a saturated neuron learn
# slowly; the others do not.


def _quadratic_per_example(z: Array, y: Array) -> Array:
    """C_x = ½ ‖y − a‖², a = σ(z)."""
    return 0.5 * ((sigmoid(z) - y) ** 2).sum(axis=-1)


def _quadratic_delta(z: Array, y: Array) -> Array:
    """δ = (a − y) σ'(z)."""
    return (sigmoid(z) - y) * sigmoid_prime(z)


def _linear_quadratic_per_example(z: Array, y: Array) -> Array:
    """C_x = ½ ‖y − a‖² with a = z: a linear output."""
    return 0.5 * ((z - y) ** 2).sum(axis=-1)


def _linear_quadratic_delta(z: Array, y: Array) -> Array:
    """δ = a − y = z − y: a linear output's slope is 1, so no σ'(z)."""
    return z - y


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
    # C_x = ½ Σ_j (z_j − y_j)², the quadratic cost of a linear output
    LINEAR_HALF_SQUARED_ERROR = "½ Σ_j (z_j − y_j)²"
    # C_x = Σ_j softplus(z_j) − y_j z_j, the cross-entropy of sigmoid outputs, from z
    SIGMOID_CROSS_ENTROPY = "Σ_j softplus(z_j) − y_j z_j"
    # C_x = −Σ_j y_j ln softmax(z)_j, the log-likelihood of a softmax output, from z
    SOFTMAX_LOG_LIKELIHOOD = "−Σ_j y_j ln softmax(z)_j"
    # anything else: the cost's own ``per_example(z, y)``
    OWN = "the cost's own per_example(z, y)"


# The output layer each declared formula is written for.
FORMULA_OUTPUTS = {
    CostFormula.HALF_SQUARED_ERROR: Output.SIGMOID,
    CostFormula.LINEAR_HALF_SQUARED_ERROR: Output.LINEAR,
    CostFormula.SIGMOID_CROSS_ENTROPY: Output.SIGMOID,
    CostFormula.SOFTMAX_LOG_LIKELIHOOD: Output.SOFTMAX,
}


@dataclass(frozen=True)
class Cost:
    """A cost function of the output layer, on its output activation.

    ``per_example(z, y)`` is C_x summed over output neurons (shape ``z.shape[:-1]``),
    ``value(z, y)`` is C = 1/n Σ_x C_x over the rows, and ``delta(z, y)`` is δ = ∂C_x/∂z.
    These take checked arrays; validation happens once, at the library's boundary.

    ``output`` is the output layer's activation (:class:`Output`, given by member or name) and
    ``rule`` what δ is (:class:`OutputRule`): all a kernel needs to know of a cost, so that it
    never compares names. A cost whose δ is neither (a − y) σ'(z) nor a − y declares
    ``OutputRule.OWN``. ``formula`` says which C_x ``per_example`` computes
    (:class:`CostFormula`), so that the compiled evaluation computes it too; ``OWN`` (the
    default) for any other. xentlab's own (cost, output) pairs are :data:`PAIRS`.
    """

    name: str
    output: Output
    rule: OutputRule
    per_example: Callable[[Array, Array], Array]
    delta: Callable[[Array, Array], Array]
    formula: CostFormula = CostFormula.OWN

    def __post_init__(self) -> None:
        object.__setattr__(self, "output", Output(OUTPUTS.check("output", str(self.output))))
        if self.rule is OutputRule.CARRIES_SIGMA_PRIME and self.output is not Output.SIGMOID:
            raise XentlabError(f"cost {self.name!r}: δ = (a − y) σ'(z) needs a sigmoid output")
        needed = FORMULA_OUTPUTS.get(self.formula, self.output)
        if needed is not self.output:
            raise XentlabError(
                f"cost {self.name!r}: C_x = {self.formula.value} needs a {needed} output"
            )

    @property
    def softmax_output(self) -> bool:
        """Whether the output layer is softmax."""
        return self.output is Output.SOFTMAX

    @property
    def delta_has_sigma_prime(self) -> bool:
        """Whether δ = (a − y) σ'(z), the factor that slows a saturated neuron."""
        return self.rule is OutputRule.CARRIES_SIGMA_PRIME

    @property
    def label(self) -> str:
        """The cost's name, followed by ``/output`` where that output is not the one the cost
        implies (``quadratic/linear``): how a comparison's contender is written."""
        implied = PAIRS.get(self.name)
        if implied is None or next(iter(implied)) is self.output:
            return self.name
        return f"{self.name}/{self.output}"

    def activation(self, z: ArrayLike) -> Array:
        """The output layer's activations a for weighted inputs z."""
        return self.output.activation(z)

    def value(self, z: ArrayLike, y: ArrayLike) -> float:
        """C = 1/n Σ_x C_x over the n rows of z and y."""
        return float(np.mean(self.per_example(np.asarray(z), np.asarray(y))))


QUADRATIC = Cost(
    "quadratic",
    output=Output.SIGMOID,
    rule=OutputRule.CARRIES_SIGMA_PRIME,
    per_example=_quadratic_per_example,
    delta=_quadratic_delta,
    formula=CostFormula.HALF_SQUARED_ERROR,
)
# The article's third way out of the slowdown: a linear output a = z under the quadratic cost,
# whose δ = a − y has no σ'(z) to vanish.
LINEAR_QUADRATIC = Cost(
    "quadratic",
    output=Output.LINEAR,
    rule=OutputRule.CANCELS,
    per_example=_linear_quadratic_per_example,
    delta=_linear_quadratic_delta,
    formula=CostFormula.LINEAR_HALF_SQUARED_ERROR,
)
CROSS_ENTROPY = Cost(
    "cross-entropy",
    output=Output.SIGMOID,
    rule=OutputRule.CANCELS,
    per_example=_cross_entropy_per_example,
    delta=_cross_entropy_delta,
    formula=CostFormula.SIGMOID_CROSS_ENTROPY,
)
LOG_LIKELIHOOD = Cost(
    "log-likelihood",
    output=Output.SOFTMAX,
    rule=OutputRule.CANCELS,
    per_example=_log_likelihood_per_example,
    delta=_log_likelihood_delta,
    formula=CostFormula.SOFTMAX_LOG_LIKELIHOOD,
)

# Every (cost, output) pair xentlab trains, the one place that says which go together: each
# cost's outputs, the first being the output it implies when none is named (so a run that
# names no output is the run it always was). Cross-entropy's ln(1 − a) needs a ∈ (0, 1), and
# the log-likelihood's a probability distribution: neither goes with a linear output.
PAIRS: dict[str, dict[Output, Cost]] = {
    "quadratic": {Output.SIGMOID: QUADRATIC, Output.LINEAR: LINEAR_QUADRATIC},
    "cross-entropy": {Output.SIGMOID: CROSS_ENTROPY},
    "log-likelihood": {Output.SOFTMAX: LOG_LIKELIHOOD},
}
COSTS: dict[str, Cost] = {name: next(iter(pairs.values())) for name, pairs in PAIRS.items()}
PAIRED_COSTS: tuple[Cost, ...] = tuple(cost for pairs in PAIRS.values() for cost in pairs.values())
COST_NAMES = OneOf(tuple(COSTS))
# The costs of a sigmoid output layer: a single neuron's, and each of a multilabel output's.
SIGMOID_COST_NAMES = OneOf(tuple(name for name, pairs in PAIRS.items() if Output.SIGMOID in pairs))


def costs_of(output: Output) -> tuple[str, ...]:
    """The names of the costs that go with ``output``."""
    return tuple(name for name, pairs in PAIRS.items() if output in pairs)


def pair_cost(name: str, output: str | Output | None) -> Cost:
    """The cost called ``name`` on ``output`` (None: the output the cost implies). A pair not
    in :data:`PAIRS` is refused in one line naming the cost, the output and what is allowed."""
    pairs = PAIRS[COST_NAMES.check("cost", name)]
    if output is None:
        return next(iter(pairs.values()))
    chosen = Output(OUTPUTS.check("output", str(output)))
    if chosen not in pairs:
        allowed = " or ".join(str(o) for o in pairs)
        raise XentlabError(
            f"cost {name!r} does not go with a {chosen} output: {name} needs a {allowed} "
            f"output, and a {chosen} output goes with {' or '.join(costs_of(chosen))}"
        )
    return pairs[chosen]


def get_cost(
    name: str | Cost, allowed: OneOf = COST_NAMES, output: str | Output | None = None
) -> Cost:
    """The cost called ``name`` on ``output`` (None: the output it implies, or a given Cost's
    own); an unknown name raises XentlabError listing the allowed ones, a pair that does not go
    together (:func:`pair_cost`) one naming both. A ``Cost`` of the caller's own (a new δ to
    try), given itself where any cost may go, is taken as it is; one of xentlab's is checked
    against ``allowed`` like its name."""
    if isinstance(name, Cost):
        ours = name in PAIRED_COSTS
        if not ours and name.name not in COSTS and allowed is COST_NAMES:
            if output is not None and Output(OUTPUTS.check("output", str(output))) != name.output:
                raise XentlabError(
                    f"cost {name.name!r} is computed on a {name.output} output, not {output}"
                )
            return name
        if not ours and name.name in COSTS:
            raise XentlabError(f"cost {name.name!r}: that name is xentlab's own cost's")
        if ours and output is None:
            output = name.output
        name = name.name
    return pair_cost(allowed.check("cost", name), output)


def labelled_cost(label: str) -> Cost:
    """The cost a label ``COST[/OUTPUT]`` names (:attr:`Cost.label`): ``quadratic`` on the
    output it implies, ``quadratic/linear`` on a linear one; a pair that does not go together
    is refused as :func:`pair_cost` refuses it."""
    if not isinstance(label, str):
        raise XentlabError(f"a cost must be written COST or COST/OUTPUT; got {label!r}")
    name, slash, output = label.partition("/")
    if slash and not output:
        raise XentlabError(f"{label!r}: an output must follow the '/' ({', '.join(OUTPUTS)})")
    return pair_cost(name, output or None)
