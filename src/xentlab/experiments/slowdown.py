"""The article's slowdown experiment: one neuron, input x = 1, target y = 0, trained from a
mildly wrong start (w, b) = (0.6, 0.9), a ≈ 0.82, and a badly wrong, saturated one (2.0, 2.0),
a ≈ 0.98. Under the quadratic cost the saturated start barely moves for the first epochs,
because ∂C/∂w carries σ'(z) ≈ 0.018; under cross-entropy it moves fastest at the start, where
the error is largest. Beside them, the article's third way out: a linear neuron, a = z, under
the quadratic cost, whose ∂C/∂w = (a − y) x has no σ'(z) at all (from (2, 2) it starts at
a = 4, and moves fastest at the start too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import checks
from ..functions import labelled_cost
from ..neuron import PassProgress, Trajectory, pass_progress, train
from .contenders import CONTENDERS

ARTICLE_STARTS: tuple[tuple[float, float], ...] = ((0.6, 0.9), (2.0, 2.0))
# The linear neuron has no rate in the article: it takes the quadratic cost's.
ARTICLE_ETAS: dict[str, float] = {
    "quadratic": 0.15,
    "cross-entropy": 0.005,
    "quadratic/linear": 0.15,
}
COMMON_ETA = 0.15
OUTPUT_THRESHOLDS = (0.5, 0.2)


@dataclass(frozen=True)
class SlowdownRun:
    """One (cost, η, start) run and the numbers that make its speed visible.

    ``first_below[θ]`` is the first epoch at which |a − y| < θ, the output within θ of its
    target (in the article, where y = 0: a < θ); None: not within the epochs run.
    ``initial_slope`` is C(1) − C(0), the change of cost in the first epoch; ``steepest_epoch``
    is the epoch t at which C(t + 1) − C(t) is most negative: 0 when learning is fastest at the
    start, large when the neuron starts slowly.
    """

    cost: str
    eta: float
    w0: float
    b0: float
    setting: str  # "article" (each cost at its own rate) or "common" (one rate for both)
    epoch_cost: np.ndarray  # C after each epoch, epochs + 1 values
    epoch_output: np.ndarray  # a after each epoch
    first_below: dict[float, int | None]
    initial_slope: float
    steepest_epoch: int

    @property
    def label(self) -> str:
        return f"{self.cost}, (w, b) = ({self.w0:g}, {self.b0:g}), η = {self.eta:g}"


class SlowdownRuns(list[SlowdownRun]):
    """The slowdown's runs, a list as any other; a class of its own so that a notebook can
    show it (``xentlab.report.notebook``)."""


def first_epoch_below(values: np.ndarray, threshold: float) -> int | None:
    """The first index t with values[t] < threshold, or None."""
    hits = np.flatnonzero(values < threshold)
    return int(hits[0]) if hits.size else None


def slowdown_runs(trajectory: Trajectory, setting: str = "custom") -> list[SlowdownRun]:
    """The numbers of every start of a trained one-input neuron (on its first example): when
    its output came within each of OUTPUT_THRESHOLDS of the target, its first step, and the
    epoch where its cost fell fastest. Needs at least one epoch."""
    a = trajectory.output[:, :, 0]
    error = np.abs(a - trajectory.y[0])
    runs = []
    for s in range(trajectory.w.shape[1]):
        c = trajectory.cost[:, s]
        steps = np.diff(c)
        runs.append(
            SlowdownRun(
                cost=trajectory.cost_name,
                eta=trajectory.eta,
                w0=float(trajectory.w[0, s, 0]),
                b0=float(trajectory.b[0, s]),
                setting=setting,
                epoch_cost=c,
                epoch_output=a[:, s],
                first_below={th: first_epoch_below(error[:, s], th) for th in OUTPUT_THRESHOLDS},
                initial_slope=float(steps[0]),
                steepest_epoch=int(np.argmin(steps)),
            )
        )
    return runs


def slowdown(
    epochs: int = 300,
    common_eta: float = COMMON_ETA,
    starts: tuple[tuple[float, float], ...] = ARTICLE_STARTS,
    progress: PassProgress | None = None,
) -> SlowdownRuns:
    """Each of CONTENDERS (both costs of a sigmoid neuron, and the linear neuron) from both
    starts at the article's rates, then at one common rate (12 runs, in 6 passes of both
    starts); ``progress(pass, epochs done, epochs)`` is told how far each pass is ("quadratic
    at the article's η = 0.15")."""
    epochs = checks.int_at_least("epochs", epochs, 1)
    common_eta = checks.positive_number("common_eta", common_eta)
    w0 = np.array([w for w, _ in starts], dtype=float)
    b0 = np.array([b for _, b in starts], dtype=float)
    runs = SlowdownRuns()
    for setting in ("article", "common"):
        for contender in CONTENDERS:
            eta = ARTICLE_ETAS[contender] if setting == "article" else common_eta
            rate = "the article's" if setting == "article" else "the common"
            told = pass_progress(progress, f"{contender} at {rate} η = {eta:g}")
            cost = labelled_cost(contender)
            trajectory = train(w0, b0, 1.0, 0.0, cost=cost, eta=eta, epochs=epochs, progress=told)
            runs.extend(slowdown_runs(trajectory, setting))
    return runs
