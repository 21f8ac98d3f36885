"""The saturation map: how long the article's one-input neuron takes to learn, from every start.

Over a grid of starting (w, b) (201 × 201 over [−6, 6]² by default), with x = 1 and y = 0 as in
the article, each cost trains every start at one common η until the output is within 0.2 of the
target. Under the quadratic cost the starts with large w + b (a near 1, saturated and wrong)
take hundreds of epochs, or never arrive, because ∂C/∂w carries σ'(z); under cross-entropy the
error itself drives learning, and those starts are the fastest to move.

A linear neuron (``contenders`` naming ``quadratic/linear``, a = z) has no σ'(z) to lose: its
map has no slow region at all.

The starts the map marks (the article's two, by default) are trained from exactly their (w, b),
in the same pass as the grid: a grid point can lie 0.03 away, and where the map is steep that
is tens of epochs (the grid point nearest (2, 2) needs 295; (2, 2) itself does not arrive
within 300).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .. import checks
from ..censored import CensoredMedian, censored_median
from ..errors import XentlabError
from ..neuron import NEURON_COSTS, PassProgress, epochs_until, pass_progress
from .contenders import labelled_costs
from .slowdown import ARTICLE_STARTS, COMMON_ETA

MAX_GRID_POINTS = 1_000_000
MAX_MARKED_STARTS = 100
SLOW_EPOCHS = 100  # the summary counts the starts that need more than this


@dataclass(frozen=True)
class MarkedStart:
    """A start the map marks, trained from exactly (w, b) with the grid's settings and by the
    code that fills the grid: ``epochs[cost]`` as in the map, −1 if not within its epochs."""

    w: float
    b: float
    epochs: dict[str, int]


@dataclass(frozen=True)
class SaturationMap:
    """``epochs[cost][i, j]``: the epochs the start (w_values[j], b_values[i]) needed under
    ``cost``, −1 if more than ``max_epochs``; ``marked``: the starts trained exactly, to be
    shown with their own value rather than their nearest grid point's."""

    w_values: NDArray[np.float64]
    b_values: NDArray[np.float64]
    epochs: dict[str, NDArray[np.int64]]
    eta: float
    max_epochs: int
    x: float
    y: float
    threshold: float
    marked: tuple[MarkedStart, ...] = ()

    def slow_fraction(self, cost: str, slow: int = SLOW_EPOCHS) -> float:
        """The fraction of the grid needing more than ``slow`` epochs (or never arriving)."""
        e = self.epochs[cost]
        return float(np.mean((e < 0) | (e > slow)))

    def median_epochs(self, cost: str) -> CensoredMedian:
        """The median epochs over the grid, counting each start that never arrives as more than
        ``max_epochs`` (skipping them would leave the quadratic cost the easy starts only)."""
        return censored_median(self.epochs[cost], self.max_epochs)

    def at(self, cost: str, w: float, b: float) -> int:
        """The epochs of the grid point nearest (w, b): not the epochs of (w, b) itself unless
        it lies on the grid (see ``exact`` for a marked start's own)."""
        i = int(np.argmin(np.abs(self.b_values - b)))
        j = int(np.argmin(np.abs(self.w_values - w)))
        return int(self.epochs[cost][i, j])

    def exact(self, w: float, b: float) -> MarkedStart:
        """The marked start (w, b), trained from exactly there; a ValueError if the map was
        not asked to train it (``saturation_map(starts=...)``)."""
        for start in self.marked:
            if (start.w, start.b) == (w, b):
                return start
        raise ValueError(
            f"the start ({w:g}, {b:g}) was not trained exactly: pass it to "
            "saturation_map(starts=...)"
        )


def saturation_map(
    points: int = 201,
    limit: float = 6.0,
    eta: float = COMMON_ETA,
    epochs: int = 300,
    x: float = 1.0,
    y: float = 0.0,
    threshold: float = 0.2,
    starts: Sequence[tuple[float, float]] = ARTICLE_STARTS,
    progress: PassProgress | None = None,
    contenders: Sequence[str] = NEURON_COSTS.values,
) -> SaturationMap:
    """Both costs (each of ``contenders``, written COST[/OUTPUT] as compare writes them:
    ``quadratic/linear`` for a linear neuron) over a ``points`` × ``points`` grid of (w, b) in
    [−limit, limit]², and from each of ``starts`` exactly, one vectorised pass per cost;
    ``progress(cost, epochs done, epochs)`` is told how far each pass is."""
    points = checks.int_at_least("points", points, 2)
    if points * points > MAX_GRID_POINTS:
        raise XentlabError(
            f"points must be at most {int(MAX_GRID_POINTS**0.5)} ({points}² starts is too many)"
        )
    if len(starts) > MAX_MARKED_STARTS:
        raise XentlabError(
            f"starts must hold at most {MAX_MARKED_STARTS} starts to mark; got {len(starts)}"
        )
    limit = checks.positive_number("limit", limit)
    costs = {cost.label: cost for cost in labelled_costs(contenders)}
    grid = np.linspace(-limit, limit, points)
    W, B = np.meshgrid(grid, grid)  # rows: b, columns: w
    marked_w = np.array([w for w, _ in starts], dtype=float)
    marked_b = np.array([b for _, b in starts], dtype=float)
    maps, marked = {}, {}
    for cost, declared in costs.items():
        # The marked starts ride along with the grid's: the same update, the same settings.
        first = epochs_until(
            np.concatenate([W.ravel(), marked_w]),
            np.concatenate([B.ravel(), marked_b]),
            x,
            y,
            cost=declared,
            eta=eta,
            epochs=epochs,
            threshold=threshold,
            progress=pass_progress(progress, cost),
        )
        maps[cost] = first[: points * points].reshape(points, points)
        marked[cost] = first[points * points :]
    exact = tuple(
        MarkedStart(float(w), float(b), {cost: int(marked[cost][k]) for cost in costs})
        for k, (w, b) in enumerate(zip(marked_w, marked_b, strict=True))
    )
    return SaturationMap(grid, grid, maps, eta, epochs, x, y, threshold, exact)
