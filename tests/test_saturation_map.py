"""The saturation map: epochs until the neuron learns, from every start of a grid, equal to
training each start on its own."""

from __future__ import annotations

import numpy as np
import pytest

from xentlab import neuron
from xentlab.errors import XentlabError
from xentlab.experiments import ARTICLE_STARTS, saturation_map, slowdown
from xentlab.functions import labelled_cost


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "quadratic/linear"])
def test_epochs_until_agrees_with_training_each_start(cost):
    cost = labelled_cost(cost)
    rng = np.random.default_rng(7)
    w, b = rng.uniform(-6, 6, (2, 300))
    fast = neuron.epochs_until(w, b, cost=cost, eta=0.15, epochs=200, threshold=0.2)
    path = neuron.train(w, b, cost=cost, eta=0.15, epochs=200)
    close = np.abs(path.output[:, :, 0] - 0.0) < 0.2  # (epochs + 1, starts)
    plain = np.where(close.any(axis=0), close.argmax(axis=0), -1)
    # The same update, written without the path: equal but where rounding decides a crossing.
    assert np.mean(fast == plain) > 0.99
    assert np.all((fast == plain) | (np.abs(fast - plain) == 1))


def test_epochs_until_several_examples_and_a_target_in_between():
    x = np.array([[0.5], [1.0], [-1.0]])
    y = np.array([0.3, 0.6, 0.2])
    first = neuron.epochs_until([0.0, 3.0], [0.0, -3.0], x, y, cost="cross-entropy", eta=1.0)
    path = neuron.train([[0.0], [3.0]], [0.0, -3.0], x, y, cost="cross-entropy", eta=1.0)
    for s in range(2):
        close = (np.abs(path.output[:, s, :] - y) < 0.2).all(axis=1)
        assert first[s] == int(np.argmax(close))


def test_the_map_shows_the_slowdown_where_the_neuron_is_saturated_and_wrong():
    grid = saturation_map(points=121, epochs=300)  # a step of 0.1: the article's starts lie on it
    assert grid.epochs["quadratic"].shape == grid.epochs["cross-entropy"].shape == (121, 121)
    # The article's starts at the common η = 0.15 (see the slowdown table).
    assert grid.at("quadratic", 0.6, 0.9) == neuron.epochs_until(0.6, 0.9, cost="quadratic")[0]
    assert grid.at("cross-entropy", 2.0, 2.0) == 31
    # Cross-entropy learns from every start within 100 epochs; the quadratic cost does not.
    assert grid.slow_fraction("cross-entropy") == 0.0
    assert grid.slow_fraction("quadratic") > 0.3
    # Where w + b is large (a near 1, badly wrong), the quadratic cost is slowest.
    saturated = grid.epochs["quadratic"][-1, -1]  # (w, b) = (6, 6)
    assert saturated == -1 or saturated > 200
    # Cross-entropy moves it by η(a − y) ≈ η a step: z = 12 falls below ln(1/4) in about 50.
    assert 0 <= grid.epochs["cross-entropy"][-1, -1] < 60


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"points": 1}, "points must be an integer >= 2"),
        ({"points": 5000}, "points must be at most 1000"),
        ({"limit": 0}, "limit must be a finite number > 0"),
        ({"eta": -1}, "eta must be"),
        ({"threshold": 0}, "threshold must be"),
        ({"y": 1.5}, "y must lie in"),
    ],
)
def test_bad_maps_are_refused(kwargs, needle):
    with pytest.raises(XentlabError, match=needle):
        saturation_map(**kwargs)


def test_marked_starts_are_trained_exactly_not_read_off_the_nearest_grid_point():
    """The default grid's step is 0.06: its point nearest (2, 2) is (1.98, 1.98), which needs
    295 epochs under the quadratic cost, while (2, 2) itself does not arrive within 300 (302),
    as the slowdown table says."""
    grid = saturation_map()
    assert [(s.w, s.b) for s in grid.marked] == list(ARTICLE_STARTS)
    table = {(r.w0, r.b0, r.cost): r.first_below[0.2] for r in slowdown() if r.setting == "common"}
    for start in grid.marked:
        for cost in grid.epochs:
            alone = neuron.epochs_until(start.w, start.b, cost=cost, eta=0.15, epochs=300)[0]
            assert start.epochs[cost] == alone
            from_table = table[start.w, start.b, cost]
            assert start.epochs[cost] == (-1 if from_table is None else from_table)
    saturated = grid.exact(2.0, 2.0)
    assert saturated.epochs == {"quadratic": -1, "cross-entropy": 31}
    assert grid.at("quadratic", 2.0, 2.0) == 295  # the nearest grid point differs
    assert neuron.epochs_until(2.0, 2.0, cost="quadratic", eta=0.15, epochs=302)[0] == 302


def test_the_marked_starts_share_the_grids_settings():
    grid = saturation_map(
        points=11, eta=0.4, epochs=50, x=0.5, y=0.3, threshold=0.1, starts=[(1.5, -2.5)]
    )
    (start,) = grid.marked
    for cost in grid.epochs:
        expected = neuron.epochs_until(
            1.5, -2.5, 0.5, 0.3, cost=cost, eta=0.4, epochs=50, threshold=0.1
        )[0]
        assert start.epochs[cost] == expected
    with pytest.raises(ValueError, match=r"the start \(2, 2\) was not trained exactly"):
        grid.exact(2.0, 2.0)
    assert saturation_map(points=3, starts=()).marked == ()


def test_the_maps_labels_are_the_marked_starts_own_epochs():
    from xentlab.plots import saturation_figure

    grid = saturation_map()
    figure = saturation_figure(grid)
    labels = [[t.get_text() for t in ax.texts] for ax in figure.axes[:2]]
    assert labels == [
        ["(0.6, 0.9): 107 epochs", "(2, 2): not within 300 epochs"],
        ["(0.6, 0.9): 22 epochs", "(2, 2): 31 epochs"],
    ]
    assert not any("295" in label for label in labels[0])  # the nearest grid point's
    only = saturation_figure(grid, [(2.0, 2.0)])
    assert [t.get_text() for t in only.axes[0].texts] == ["(2, 2): not within 300 epochs"]
    with pytest.raises(ValueError, match="not trained exactly"):
        saturation_figure(grid, [(1.0, 1.0)])
    outside = saturation_figure(saturation_map(points=5, limit=1.0))  # (2, 2) lies off the map
    assert [t.get_text() for t in outside.axes[0].texts] == ["(0.6, 0.9): 107 epochs"]


def test_too_many_marked_starts_are_refused_before_any_work():
    with pytest.raises(XentlabError, match="starts must hold at most 100 starts to mark; got 101"):
        saturation_map(points=2, starts=[(0.0, 0.0)] * 101)


def test_a_linear_neurons_map_has_no_slow_region():
    """quadratic/linear beside the two costs: a = z has no σ'(z), so from every start the
    output comes within 0.2 of the target in a few epochs (z shrinks by 1 − 2η = 0.7 an
    epoch); the sigmoid costs' maps are those of the map without it."""
    contenders = ("quadratic", "cross-entropy", "quadratic/linear")
    both = saturation_map(points=41)
    three = saturation_map(points=41, contenders=contenders)
    assert list(three.epochs) == list(contenders)
    for cost in ("quadratic", "cross-entropy"):
        assert np.array_equal(three.epochs[cost], both.epochs[cost])
    linear = three.epochs["quadratic/linear"]
    assert three.slow_fraction("quadratic/linear") == 0.0 and (linear >= 0).all()
    assert linear.max() == 12  # from |z| = 12, the grid's corner: 12 · 0.7^t < 0.2 at t = 12
    assert three.exact(2.0, 2.0).epochs["quadratic/linear"] == 9
    assert three.slow_fraction("quadratic") > 0.3
