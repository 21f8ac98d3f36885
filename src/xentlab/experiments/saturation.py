"""The saturation map: how long the article's one-input neuron takes to learn, from every start.

Over a grid of starting (w, b) (201 × 201 over [−6, 6]² by default), with x = 1 and y = 0 as in
the article, each cost trains every start at one common η until the output is within 0.2 of the
target. Under the quadratic cost the starts with large w + b (a near 1, saturated and wrong)
take hundreds of epochs, or never arrive, because ∂C/∂w carries σ'(z); under cross-entropy the
error itself drives learning, and those starts are the fastest to move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .. import checks
from ..errors import XentlabError
from ..neuron import NEURON_COSTS, PassProgress, epochs_until, pass_progress
from .slowdown import COMMON_ETA

MAX_GRID_POINTS = 1_000_000
SLOW_EPOCHS = 100  # the summary counts the starts that need more than this


@dataclass(frozen=True)
class SaturationMap:
    """``epochs[cost][i, j]``: the epochs the start (w_values[j], b_values[i]) needed under
    ``cost``, −1 if more than ``epochs``."""

    w_values: NDArray[np.float64]
    b_values: NDArray[np.float64]
    epochs: dict[str, NDArray[np.int64]]
    eta: float
    max_epochs: int
    x: float
    y: float
    threshold: float

    def slow_fraction(self, cost: str, slow: int = SLOW_EPOCHS) -> float:
        """The fraction of the grid needing more than ``slow`` epochs (or never arriving)."""
        e = self.epochs[cost]
        return float(np.mean((e < 0) | (e > slow)))

    def at(self, cost: str, w: float, b: float) -> int:
        """The epochs of the grid point nearest (w, b)."""
        i = int(np.argmin(np.abs(self.b_values - b)))
        j = int(np.argmin(np.abs(self.w_values - w)))
        return int(self.epochs[cost][i, j])


def saturation_map(
    points: int = 201,
    limit: float = 6.0,
    eta: float = COMMON_ETA,
    epochs: int = 300,
    x: float = 1.0,
    y: float = 0.0,
    threshold: float = 0.2,
    progress: PassProgress | None = None,
) -> SaturationMap:
    """Both costs over a ``points`` × ``points`` grid of (w, b) in [−limit, limit]², one
    vectorised pass per cost; ``progress(cost, epochs done, epochs)`` is told how far each
    pass is."""
    points = checks.int_at_least("points", points, 2)
    if points * points > MAX_GRID_POINTS:
        raise XentlabError(
            f"points must be at most {int(MAX_GRID_POINTS**0.5)} ({points}² starts is too many)"
        )
    limit = checks.positive_number("limit", limit)
    grid = np.linspace(-limit, limit, points)
    W, B = np.meshgrid(grid, grid)  # rows: b, columns: w
    maps = {
        cost: epochs_until(
            W.ravel(),
            B.ravel(),
            x,
            y,
            cost=cost,
            eta=eta,
            epochs=epochs,
            threshold=threshold,
            progress=pass_progress(progress, cost),
        ).reshape(points, points)
        for cost in NEURON_COSTS
    }
    return SaturationMap(grid, grid, maps, eta, epochs, x, y, threshold)
