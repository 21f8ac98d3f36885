"""Medians of runs that may not arrive: a run that has not arrived within its budget counts as
taking longer than the budget, never as absent, so a slow cost cannot look fast."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from xentlab.censored import censored_median
from xentlab.errors import XentlabError
from xentlab.experiments import CompareResult, CompareSpec, CostRun, SaturationMap
from xentlab.training import History, ProbeRecord


def test_runs_that_never_arrive_count_as_slower_than_every_arrival():
    # 3 of 7 never arrive within 300: the naive median of the arrivals (2) says fast; the runs
    # sorted are 0, 1, 2, 90, >300, >300, >300 and the median is 90.
    times = np.array([0, 1, 2, 90, -1, -1, -1])
    assert np.median(times[times >= 0]) == 1.5
    median = censored_median(times, 300)
    assert (median.value, median.exceeds, str(median)) == (90.0, False, "90")
    assert (median.runs, median.not_arrived) == (7, 3)
    assert median.not_arrived_fraction == pytest.approx(3 / 7)


def test_when_more_than_half_never_arrive_the_median_is_more_than_the_budget():
    median = censored_median([5, None, None], 300)
    assert median.exceeds and median.value == 300 and str(median) == "> 300"
    assert str(censored_median([None], 10)) == "> 10"
    assert str(censored_median(np.array([-1, -1, 4, -1]), 50)) == "> 50"


def test_with_exactly_half_never_arriving_the_median_is_a_bound_between():
    # 2, 8, >10, >10: the median (8 + t) / 2 with t > 10 is more than 9, not 5 and not "> 10".
    median = censored_median([8, None, 2, float("nan")], 10)
    assert median.exceeds and median.value == 9 and str(median) == "> 9"


def test_with_every_run_arriving_it_is_the_ordinary_median():
    for times in ([3], [4, 1], [7, 1, 3, 9], np.arange(11)):
        median = censored_median(times, 20)
        assert not median.exceeds and median.value == np.median(times)
        assert median.not_arrived == 0


def test_an_arrival_after_the_budget_or_no_run_at_all_is_refused():
    with pytest.raises(XentlabError, match="beyond the budget of 10"):
        censored_median([3, 11], 10)
    with pytest.raises(XentlabError, match="at least one run"):
        censored_median([], 10)


def test_the_saturation_maps_median_counts_the_starts_that_never_arrive():
    # A hand-made 4 x 4 grid: the quadratic cost's 16 starts, 5 of them never arriving.
    quadratic = np.array([[0, 0, 1, 2], [0, 3, 5, 40], [8, 60, -1, -1], [90, -1, -1, -1]])
    entropy = np.array([[2, 2, 3, 3], [2, 3, 3, 4], [3, 3, 4, 4], [3, 4, 4, 5]])
    grid = SaturationMap(
        np.linspace(-1, 1, 4),
        np.linspace(-1, 1, 4),
        {"quadratic": quadratic, "cross-entropy": entropy},
        eta=0.15,
        max_epochs=100,
        x=1.0,
        y=0.0,
        threshold=0.2,
    )
    assert np.median(quadratic[quadratic >= 0]) == 3  # the median that skips them
    assert str(grid.median_epochs("quadratic")) == "24"  # (8 + 40) / 2 of the 16
    assert str(grid.median_epochs("cross-entropy")) == "3"
    # Ten of sixteen never arriving: more than half, so the median is only "> 100".
    slower = np.where(quadratic > 4, -1, quadratic)
    grid = dataclasses.replace(grid, epochs={**grid.epochs, "quadratic": slower})
    assert str(grid.median_epochs("quadratic")) == "> 100"


def probe(batches: int, accuracy: float) -> ProbeRecord:
    return ProbeRecord(batches, batches / 10, 0.5, accuracy, 0.0, 0.0, (0.1,), (0.1,))


def cost_run(cost: str, seed: int, reached_at: int | None) -> CostRun:
    """A run of 2 epochs of 10 mini-batches, probed every 5: at 90% from ``reached_at`` on."""
    probes = tuple(
        probe(b, 0.9 if reached_at is not None and b >= reached_at else 0.3)
        for b in range(0, 21, 5)
    )
    return CostRun(cost, seed, 0.5, 10, probes, History(), 0.9)


def test_the_comparisons_median_over_seeds_counts_the_seeds_that_never_reach():
    spec = CompareSpec.of(epochs=2, seeds=(1, 2, 3))
    runs = [
        *(cost_run("quadratic", s, at) for s, at in ((1, 5), (2, None), (3, 15))),
        *(cost_run("cross-entropy", s, at) for s, at in ((1, 5), (2, 10), (3, 5))),
    ]
    result = CompareResult(spec, tuple(runs), (4, 2))
    # One seed of three never reaches 90%: the median is the slower of the two that did.
    quadratic = result.batches_to_reach("quadratic", 0.9)
    assert (str(quadratic), quadratic.not_arrived, quadratic.budget) == ("15", 1, 20)
    assert str(result.batches_to_reach("cross-entropy", 0.9)) == "5"
    # Two of three never reach it: the median is more than the 20 mini-batches trained.
    runs[2] = cost_run("quadratic", 3, None)
    result = CompareResult(spec, tuple(runs), (4, 2))
    assert str(result.batches_to_reach("quadratic", 0.9)) == "> 20"
    with pytest.raises(XentlabError, match="hinge is not one of the costs compared"):
        result.batches_to_reach("hinge", 0.9)
