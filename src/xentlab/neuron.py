"""The seed's single sigmoid neuron: a = σ(z), z = Σ_j w_j x_j + b, trained by gradient descent.

Under the cross-entropy cost C = −1/n Σ_x [y ln a + (1 − y) ln(1 − a)] the gradient is

    ∂C/∂w_j = 1/n Σ_x x_j (σ(z) − y),      ∂C/∂b = 1/n Σ_x (σ(z) − y),

with no σ'(z): the larger the error, the faster the neuron learns. Under the quadratic cost
C = 1/(2n) Σ_x (y − a)² each term carries an extra factor σ'(z), close to 0 when the neuron
saturates (a near 0 or 1), so a badly wrong neuron starts learning slowly. A linear neuron,
a = z (``output="linear"``, with the quadratic cost), has no σ'(z) to lose:

    ∂C/∂w_j = 1/n Σ_x x_j (a − y),          ∂C/∂b = 1/n Σ_x (a − y),     a = z.

Many neurons (many starting points (w, b)) are trained at once: ``w`` may have shape
``(starts, features)`` and ``b`` shape ``(starts,)``; every update is one array operation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import checks
from . import neuron_one_start as one_start
from .errors import XentlabError
from .functions import SIGMOID_COST_NAMES, Cost, Output, OutputRule, get_cost, sigmoid_prime
from .neuron_one_start import OVERFLOW

NEURON_COSTS = SIGMOID_COST_NAMES  # one sigmoid neuron: the costs of a sigmoid output
NEURON_OUTPUTS = checks.OneOf((str(Output.SIGMOID), str(Output.LINEAR)))  # softmax of one: 1
MAX_TRAJECTORY_BYTES = 2**30
PROGRESS_CALLS = 1000  # a pass tells its progress this many times at most, whatever its length
TRAINING_PATHS = checks.OneOf(("compiled", "scalar", "arrays"))
SCALAR_NUMBERS = 64  # one start with at most this many inputs (n × d) trains in plain floats
# From this many epochs one start trains compiled (where numba imports): loading numba and the
# compiled loop costs about what 50,000 epochs in plain floats do (some 0.3 s).
COMPILED_FROM_EPOCHS = 50_000

# Told (epochs done, epochs) as a pass goes on; the front end renders it (the library never prints).
EpochsProgress = Callable[[int, int], None]
# Told (which pass, epochs done, epochs), for work made of several passes (one per cost, say).
PassProgress = Callable[[str, int, int], None]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class NeuronProblem:
    """Checked inputs of a neuron: starts w (S, d), b (S,), examples x (n, d), targets y (n,)."""

    w: F64
    b: F64
    x: F64
    y: F64
    cost: Cost
    single: bool  # the caller gave one start (w of shape (d,) or scalar), not an array of them


def _check(
    w: ArrayLike, b: ArrayLike, x: ArrayLike, y: ArrayLike, cost: str | Cost, output: str | None
) -> NeuronProblem:
    """Validate and shape the arguments of every public function here, once."""
    if output is not None:
        NEURON_OUTPUTS.check("output", output)
    cost = get_cost(cost, NEURON_COSTS, output=output)
    x = checks.finite_array("x", x)
    y = checks.unit_interval_array("y", y)
    w = checks.finite_array("w", w)
    b = checks.finite_array("b", b)
    if x.ndim > 2:
        raise XentlabError(f"x must have shape (n,) or (n, features); got shape {x.shape}")
    x = x.reshape(-1, 1) if x.ndim < 2 else x  # a number or (n,): n examples of one input
    y = y.reshape(-1) if y.ndim == 0 else y
    if y.ndim != 1:
        raise XentlabError(f"y must be a number or have shape (n,); got shape {y.shape}")
    n, d = x.shape
    if y.shape[0] != n:
        raise XentlabError(
            f"x has {checks.plural(n, 'example')} but y has {y.shape[0]}; they must match"
        )
    single = b.ndim == 0
    if b.ndim > 1:
        raise XentlabError(f"b must be a number or have shape (starts,); got shape {b.shape}")
    starts = 1 if single else b.shape[0]
    if w.ndim <= 1 and w.size == starts * d:
        w = w.reshape(starts, d)
    if w.shape != (starts, d):
        want = f"({d},)" if single else f"({starts}, {d})"
        raise XentlabError(f"w must have shape {want} to match b and x; got shape {w.shape}")
    b = b.reshape(starts)
    return NeuronProblem(w, b, x, y, cost, single)


def _z(w: F64, b: F64, x: F64) -> F64:
    """z for every start and example: shape (S, n); a z beyond floating point is refused."""
    with np.errstate(over="ignore", invalid="ignore"):  # judged just below, with a message
        z = w @ x.T + b[:, None]
    if not np.isfinite(z).all():
        raise XentlabError(OVERFLOW)
    return z


def _cost_and_gradient(p: NeuronProblem, w: F64, b: F64) -> tuple[F64, F64, F64]:
    """Per-start cost C (S,), ∂C/∂w (S, d) and ∂C/∂b (S,) — the article's formulas as arrays.

    δ_x = ∂C_x/∂z is σ(z) − y for cross-entropy, (σ(z) − y) σ'(z) for the quadratic cost, and
    z − y for the quadratic cost of a linear neuron; then ∂C/∂w_j = 1/n Σ_x x_j δ_x and
    ∂C/∂b = 1/n Σ_x δ_x.
    """
    z = _z(w, b, p.x)[..., None]  # trailing axis: one output neuron
    y = p.y[:, None]
    n = p.x.shape[0]
    delta = p.cost.delta(z, y)[..., 0]
    cost = p.cost.per_example(z, y).mean(axis=-1)
    return cost, delta @ p.x / n, delta.mean(axis=-1)


def output(
    w: ArrayLike, b: ArrayLike, x: ArrayLike, *, output: str | None = None
) -> NDArray[np.floating]:
    """a = σ(Σ_j w_j x_j + b) (a = z for ``output="linear"``) for each example (and each
    start, if several are given)."""
    y = np.zeros(np.atleast_2d(np.asarray(x)).shape[0])
    p = _check(w, b, x, y, "quadratic" if output == "linear" else "cross-entropy", output)
    a = p.cost.activation(_z(p.w, p.b, p.x))
    return a[0] if p.single else a


def cost(
    w: ArrayLike,
    b: ArrayLike,
    x: ArrayLike,
    y: ArrayLike,
    cost: str | Cost,
    *,
    output: str | None = None,
) -> F64 | float:
    """C over the n examples: quadratic 1/(2n) Σ_x (y − a)², or cross-entropy
    −1/n Σ_x [y ln a + (1 − y) ln(1 − a)], computed from z (finite for every finite z); a
    linear neuron's (``output="linear"``) quadratic cost has a = z."""
    p = _check(w, b, x, y, cost, output)
    values, _, _ = _cost_and_gradient(p, p.w, p.b)
    return float(values[0]) if p.single else values


def gradient(
    w: ArrayLike,
    b: ArrayLike,
    x: ArrayLike,
    y: ArrayLike,
    cost: str | Cost,
    *,
    output: str | None = None,
) -> tuple[F64, F64 | float]:
    """(∂C/∂w, ∂C/∂b) over the n examples.

    cross-entropy: ∂C/∂w_j = 1/n Σ_x x_j (σ(z) − y),         ∂C/∂b = 1/n Σ_x (σ(z) − y)
    quadratic:     ∂C/∂w_j = 1/n Σ_x x_j (σ(z) − y) σ'(z),   ∂C/∂b = 1/n Σ_x (σ(z) − y) σ'(z)
    linear (quadratic cost, a = z):
                   ∂C/∂w_j = 1/n Σ_x x_j (z − y),            ∂C/∂b = 1/n Σ_x (z − y)
    """
    p = _check(w, b, x, y, cost, output)
    _, dw, db = _cost_and_gradient(p, p.w, p.b)
    return (dw[0], float(db[0])) if p.single else (dw, db)


@dataclass(frozen=True)
class Trajectory:
    """A neuron's (or many neurons') path under gradient descent, epoch 0 (the start) to the end.

    w has shape (epochs + 1, S, d), b and cost (epochs + 1, S): row t is the state after t
    epochs. ``z`` and ``output`` give z and a on every example, shape (epochs + 1, S, n): a =
    σ(z), or z for a linear neuron (``activation``). ``cost_name`` is the cost's label
    (``quadratic/linear`` for a linear neuron).
    """

    cost_name: str
    eta: float
    x: F64
    y: F64
    w: F64
    b: F64
    cost: F64
    meta: dict[str, Any] = field(default_factory=dict)
    activation: Output = Output.SIGMOID

    @property
    def epochs(self) -> int:
        return self.w.shape[0] - 1

    @property
    def z(self) -> F64:
        """z = Σ_j w_j x_j + b on every example after every epoch, shape (epochs + 1, S, n)."""
        return np.einsum("tsd,nd->tsn", self.w, self.x) + self.b[..., None]

    @property
    def output(self) -> NDArray[np.floating]:
        return self.activation.activation(self.z)

    @property
    def output_slope(self) -> NDArray[np.floating]:
        """da/dz on every example after every epoch, shape (epochs + 1, S, n): σ'(z), the
        factor the quadratic cost's gradient carries, for a sigmoid neuron; 1 everywhere for a
        linear one (a = z never saturates)."""
        z = self.z
        return np.ones_like(z) if self.activation is Output.LINEAR else sigmoid_prime(z)

    def to_dict(self, start: int = 0) -> dict[str, Any]:
        """One start's path as JSON-ready lists (a is the output on the first example)."""
        return {
            "cost": self.cost_name,
            "eta": self.eta,
            "epochs": self.epochs,
            "x": self.x.tolist(),
            "y": self.y.tolist(),
            "trajectory": {
                "epoch": list(range(self.epochs + 1)),
                "w": self.w[:, start].tolist(),
                "b": self.b[:, start].tolist(),
                "a": self.output[:, start, 0].tolist(),
                "C": self.cost[:, start].tolist(),
            },
        }


def train(
    w: ArrayLike,
    b: ArrayLike,
    x: ArrayLike = 1.0,
    y: ArrayLike = 0.0,
    *,
    cost: str | Cost = "cross-entropy",
    eta: float = 0.15,
    epochs: int = 300,
    progress: EpochsProgress | None = None,
    path: str | None = None,
    output: str | None = None,
) -> Trajectory:
    """Gradient descent from each start (w, b): w ← w − η ∂C/∂w, b ← b − η ∂C/∂b, once an epoch.

    Each epoch is one full-batch step over the n examples (the article's experiment has one
    example, x = 1, y = 0). Many starts move together in one array operation per epoch; one
    start on a few numbers (at most SCALAR_NUMBERS inputs in all) moves in plain floats, since
    NumPy's call overhead is most of an epoch on arrays of one element, and from
    COMPILED_FROM_EPOCHS epochs in the same operations compiled by numba (where it imports):
    the same formulas, to rounding (``path``: "compiled", "scalar" or "arrays" to choose; the
    tests hold the three together).
    ``progress(epochs done, epochs)`` is told how far training is, up to PROGRESS_CALLS times.
    ``output="linear"`` trains a linear neuron, a = z (under the quadratic cost only).
    """
    p = _check(w, b, x, y, cost, output)
    eta = checks.positive_number("eta", eta)
    epochs = checks.int_at_least("epochs", epochs, 1)
    starts, d = p.w.shape
    # w, b and C after every epoch, and the output a computed from them when asked.
    checks.within_memory(
        f"{checks.plural(epochs, 'epoch')} from {checks.plural(starts, 'start')}",
        (epochs + 1) * starts * (d + 2 + len(p.x)) * 8,
        MAX_TRAJECTORY_BYTES,
        "use fewer epochs or starts",
    )
    path = _path(p, epochs, path)
    if path != "arrays":
        train_one = one_start.train_compiled if path == "compiled" else one_start.train_floats
        carries = p.cost.rule is OutputRule.CARRIES_SIGMA_PRIME
        linear = p.cost.output is Output.LINEAR
        every = -(-epochs // PROGRESS_CALLS)  # the epochs between reports (see _progress_due)
        w_path, b_path = train_one(
            p.x, p.y, p.w[0], float(p.b[0]), eta, epochs, carries, linear, every, progress
        )
        return _scalar_trajectory(p, eta, w_path[:, None], b_path[:, None])
    ws = np.empty((epochs + 1, starts, d))
    bs = np.empty((epochs + 1, starts))
    cs = np.empty((epochs + 1, starts))
    ws[0], bs[0] = p.w, p.b
    for t in range(epochs + 1):
        cs[t], dw, db = _cost_and_gradient(p, ws[t], bs[t])
        if t == epochs:
            break
        with np.errstate(over="ignore", invalid="ignore"):  # checked just below, with a message
            ws[t + 1] = ws[t] - eta * dw
            bs[t + 1] = bs[t] - eta * db
        if not (np.isfinite(ws[t + 1]).all() and np.isfinite(bs[t + 1]).all()):
            raise one_start.diverged(t + 1, eta)
        if progress is not None and _progress_due(t + 1, epochs):
            progress(t + 1, epochs)
    return Trajectory(p.cost.label, eta, p.x, p.y, ws, bs, cs, activation=p.cost.output)


def _path(p: NeuronProblem, epochs: int, path: str | None) -> str:
    """The path that trains ``p`` (``path`` if given and able to, else an error saying why)."""
    fits = _scalar_fits(p)
    if path is None:
        if not fits:
            return "arrays"
        many = epochs >= COMPILED_FROM_EPOCHS
        return "compiled" if many and one_start.compiled_unavailable() is None else "scalar"
    path = TRAINING_PATHS.check("path", path)
    if path != "arrays" and not fits:
        raise XentlabError(
            f"path {path!r} trains one start of at most {SCALAR_NUMBERS} inputs under a cost "
            "whose δ is (a − y) σ'(z) or a − y; use path 'arrays'"
        )
    problem = one_start.compiled_unavailable() if path == "compiled" else None
    if problem is not None:
        raise XentlabError(
            f"path 'compiled' needs numba, which cannot be imported ({problem}): pip install "
            "numba, or use path 'scalar'"
        )
    return path


def _scalar_fits(p: NeuronProblem) -> bool:
    """Whether the plain-float path can train ``p``: one start, few inputs, a sigmoid or
    linear output whose δ is (a − y) σ'(z) or a − y (a cost with a δ of its own goes through
    the arrays)."""
    rule = p.cost.rule
    known = rule in (OutputRule.CARRIES_SIGMA_PRIME, OutputRule.CANCELS)
    one_neuron = p.cost.output in (Output.SIGMOID, Output.LINEAR)
    return p.w.shape[0] == 1 and p.x.size <= SCALAR_NUMBERS and known and one_neuron


def _scalar_trajectory(p: NeuronProblem, eta: float, w_path: F64, b_path: F64) -> Trajectory:
    """One start's path, its costs computed from its z by the cost's own per-example formula."""
    # z on every example after every epoch, (epochs + 1, n, 1); refused if it overflows
    z_path = _z(w_path[:, 0], b_path[:, 0], p.x)[..., None]
    costs = p.cost.per_example(z_path, p.y[:, None]).mean(axis=-1).reshape(-1, 1)
    return Trajectory(p.cost.label, eta, p.x, p.y, w_path, b_path, costs, activation=p.cost.output)


def epochs_until(
    w: ArrayLike,
    b: ArrayLike,
    x: ArrayLike = 1.0,
    y: ArrayLike = 0.0,
    *,
    cost: str | Cost = "cross-entropy",
    eta: float = 0.15,
    epochs: int = 300,
    threshold: float = 0.2,
    progress: EpochsProgress | None = None,
    output: str | None = None,
) -> NDArray[np.int64]:
    """For each start (w, b), the first epoch t at which |a − y| < ``threshold`` for every
    example, training as :func:`train` does; −1 where that never happens within ``epochs``.

    Only the current w and b of the starts still training are kept, not the path: a grid of
    201 × 201 starts costs a few arrays of at most 40,401 numbers per epoch. The update is
    :func:`train`'s, with δ = a − y, times σ'(z) = a (1 − a) under the quadratic cost of a
    sigmoid neuron (a = z for a linear one; tested equal to it). ``progress(epochs done,
    epochs)`` is told how far it is, up to PROGRESS_CALLS times (the last time before
    ``epochs`` if every start arrives sooner).
    """
    p = _check(w, b, x, y, cost, output)
    eta = checks.positive_number("eta", eta)
    epochs = checks.int_at_least("epochs", epochs, 1)
    threshold = checks.positive_number("threshold", threshold)
    n = len(p.x)
    first = np.full(len(p.b), -1, dtype=np.int64)
    active = np.arange(len(p.b))  # the starts not yet within the threshold
    w_now, b_now = p.w.copy(), p.b.copy()
    for t in range(epochs + 1):
        z = _z(w_now, b_now, p.x)  # (active, n), refused if it overflows
        a = p.cost.activation(z)
        close = (np.abs(a - p.y) < threshold).all(axis=1)
        if close.any():
            first[active[close]] = t
            keep = ~close
            active, w_now, b_now, a = active[keep], w_now[keep], b_now[keep], a[keep]
        if t == epochs or not len(active):
            break
        delta = a - p.y
        if p.cost.delta_has_sigma_prime:
            delta *= a * (1 - a)
        w_now -= (eta / n) * (delta @ p.x)
        b_now -= (eta / n) * delta.sum(axis=1)
        if progress is not None and _progress_due(t + 1, epochs):
            progress(t + 1, epochs)
    return first


def pass_progress(progress: PassProgress | None, name: str) -> EpochsProgress | None:
    """One pass's progress, told to ``progress`` under the pass's ``name``."""
    if progress is None:
        return None
    return lambda done, epochs: progress(name, done, epochs)


def _progress_due(done: int, epochs: int) -> bool:
    """Whether epoch ``done`` of ``epochs`` is one to tell: at most PROGRESS_CALLS evenly
    spaced epochs, and the last."""
    every = -(-epochs // PROGRESS_CALLS)  # the ceiling of epochs / PROGRESS_CALLS
    return done == epochs or done % every == 0
