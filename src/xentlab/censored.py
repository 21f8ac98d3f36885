"""Summaries of runs that may not arrive: the epochs until a neuron learns, the mini-batches
until a network reaches an accuracy, when some runs never get there within their budget.

A run that has not arrived after a budget of N epochs did not take "no time", and it cannot be
left out: it took more than N. Leaving it out makes a slow cost look fast exactly where it is
slow (the quadratic cost's saturated starts never arrive; a median of the others is a median of
the easy starts). Here every such run counts as a time greater than N, and so greater than
every arrival. Sorted, the times are the arrivals, then the runs that did not arrive: the
median t̃ is exact while both middle values are arrivals; when the upper middle value is a run
that did not arrive, only a bound is known, t̃ > (t_lower + N) / 2, where t_lower is the lower
middle value (N itself if that one did not arrive either, so t̃ > N once more than half the
runs did not arrive).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .errors import XentlabError


@dataclass(frozen=True)
class CensoredMedian:
    """The median time of ``runs`` runs of which ``not_arrived`` did not arrive within
    ``budget``: exactly ``value``, or, when ``exceeds``, some time greater than ``value``."""

    value: float
    exceeds: bool
    runs: int
    not_arrived: int
    budget: float

    @property
    def not_arrived_fraction(self) -> float:
        return self.not_arrived / self.runs

    def __str__(self) -> str:
        """``71``, or ``> 300`` where only a bound is known."""
        return f"> {self.value:g}" if self.exceeds else f"{self.value:g}"


def censored_median(
    times: Iterable[float | None] | NDArray[np.floating] | NDArray[np.integer], budget: float
) -> CensoredMedian:
    """The median of ``times``, each run's time to arrive (epochs, mini-batches), counting the
    runs that did not arrive within ``budget`` (given as None, NaN or a negative time, as
    :func:`xentlab.neuron.epochs_until` gives −1) as times greater than ``budget``.

    With no run left out the median is NumPy's (the mean of the two middle values for an even
    count); see the module's docstring for the bound given when it is not known exactly."""
    if isinstance(times, np.ndarray):
        values = times.astype(np.float64).ravel()
    else:
        values = np.array([np.nan if t is None else t for t in times], dtype=np.float64)
    if values.size == 0:
        raise XentlabError("a median needs at least one run")
    arrivals = np.sort(values[values >= 0])  # NaN compares false: did not arrive
    if arrivals.size and arrivals[-1] > budget:
        raise XentlabError(
            f"a run arrived after {arrivals[-1]:g}, beyond the budget of {budget:g}: the budget "
            "must be the most any run was given"
        )
    runs, not_arrived = values.size, values.size - arrivals.size
    lower, upper = (runs - 1) // 2, runs // 2  # the middle values' places, sorted
    if upper < arrivals.size:
        value, exceeds = float(arrivals[lower] + arrivals[upper]) / 2, False
    else:
        below = float(arrivals[lower]) if lower < arrivals.size else float(budget)
        value, exceeds = (below + budget) / 2, True
    return CensoredMedian(value, exceeds, runs, not_arrived, float(budget))
