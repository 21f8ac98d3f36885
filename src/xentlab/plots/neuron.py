"""Figures of one neuron (sigmoid, or linear): its cost and output against epoch (under one
cost or each), the slowdown under the quadratic cost, and the saturation map of epochs needed
over a grid of starts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..experiments import MarkedStart, SaturationMap, SlowdownRun
from ..neuron import Trajectory
from .style import NEVER_COLOUR, SATURATION_COLOURMAP, cost_colour


def trajectory_figure(trajectory: Trajectory, start: int = 0) -> Figure:
    """Cost against epoch for one neuron, with its output a on a second axis."""
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    _draw_trajectory(ax, trajectory, start)
    w0, b0 = trajectory.w[0, start, 0], trajectory.b[0, start]
    ax.set_title(f"{trajectory.cost_name}, η = {trajectory.eta:g}, start (w, b) = ({w0:g}, {b0:g})")
    fig.legend(loc="upper right", bbox_to_anchor=(0.88, 0.88))
    return fig


def neuron_figure(trajectories: Sequence[Trajectory]) -> Figure:
    """One neuron under each cost (the trajectories share their start, x, y and η): one cost's
    figure alone, or one panel per cost side by side, each with its own cost axis (the costs
    are in different units) and the same output axis, so that the outputs a can be compared."""
    if len(trajectories) == 1:
        return trajectory_figure(trajectories[0])
    fig, axes = plt.subplots(
        1, len(trajectories), figsize=(5.2 * len(trajectories), 4.0), sharex=True
    )
    for ax, trajectory in zip(axes, trajectories, strict=True):
        _draw_trajectory(ax, trajectory)
        ax.set_title(trajectory.cost_name, color=cost_colour(trajectory.cost_name))
    first = trajectories[0]
    w0, b0 = first.w[0, 0, 0], first.b[0, 0]
    x, y = first.x[0, 0], first.y[0]
    fig.suptitle(
        f"one neuron from (w, b) = ({w0:g}, {b0:g}), x = {x:g}, y = {y:g}, η = {first.eta:g}: "
        "cost C (solid, left axis) and output a (dotted, right axis)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def _draw_trajectory(ax: Any, trajectory: Trajectory, start: int = 0) -> None:
    """The cost C against epoch on ``ax``, in its cost's colour, and the output a (grey, dotted)
    on a second axis from 0 to 1 (wider where a linear neuron's a = z leaves them)."""
    colour = cost_colour(trajectory.cost_name)
    epochs = range(trajectory.epochs + 1)
    ax.plot(epochs, trajectory.cost[:, start], color=colour, label="cost C")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost C")
    out = ax.twinx()
    a = trajectory.output[:, start, 0]
    out.plot(epochs, a, color="grey", ls=":", label="output a")
    out.set_ylabel("output a", color="grey")
    out.set_ylim(*output_limits([a]))


def output_limits(outputs: Sequence[Any]) -> tuple[float, float]:
    """The output axis: 0 to 1 (a sigmoid's range), widened to every a drawn (a linear
    neuron's a = z may start at 4)."""
    low = min(0.0, *(float(np.min(a)) for a in outputs))
    high = max(1.0, *(float(np.max(a)) for a in outputs))
    return low, high


def slowdown_figure(runs: Sequence[SlowdownRun]) -> Figure:
    """Cost (top) and output a (bottom) against epoch: the article's rates left, one common
    rate right. Each cost is drawn relative to its start, C(t)/C(0), since the two costs are in
    different units; a dot marks the epoch where each falls fastest."""
    settings = ("article", "common")
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    starts = sorted({(run.w0, run.b0) for run in runs})
    start_styles = {start: ("-", "--", ":")[i % 3] for i, start in enumerate(starts)}
    for run in runs:
        col = settings.index(run.setting)
        kw = dict(color=cost_colour(run.cost), ls=start_styles[run.w0, run.b0])
        relative = run.epoch_cost / run.epoch_cost[0]
        axes[0, col].plot(relative, **kw)
        axes[0, col].plot(
            run.steepest_epoch, relative[run.steepest_epoch], "o", ms=5, color=kw["color"]
        )
        axes[1, col].plot(run.epoch_output, **kw)
    for col, setting in enumerate(settings):
        etas = sorted({f"{r.cost} η = {r.eta:g}" for r in runs if r.setting == setting})
        title = "the article's rates" if setting == "article" else "one common rate"
        axes[0, col].set_title(f"{title}:\n{'; '.join(etas)}", fontsize=9)
        axes[0, col].set_ylabel("cost relative to its start, C(t) / C(0)")
        axes[1, col].set_ylabel("output a  (target y = 0)")
        axes[1, col].set_xlabel("epoch")
        # 0 to 1, where the sigmoids' paths show; a linear neuron's a = z may start above
        axes[1, col].set_ylim(0, 1)
        drawn = [r.epoch_output for r in runs if r.setting == setting]
        if output_limits(drawn)[1] > 1:
            axes[1, col].set_ylabel("output a, target y = 0 (cut at 1)")
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
    handles = [
        Line2D([], [], color=cost_colour(c), label=c)
        for c in dict.fromkeys(r.cost for r in runs)  # each cost drawn, in the runs' order
    ]
    handles += [
        Line2D([], [], color="black", ls=style, label=f"start (w, b) = ({w:g}, {b:g})")
        for (w, b), style in start_styles.items()
    ]
    handles.append(Line2D([], [], color="black", marker="o", ls="", label="steepest fall"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8)
    fig.suptitle(
        "One neuron, x = 1, y = 0: the quadratic cost starts slowly when a sigmoid's a saturates\n"
        "(at the article's rates cross-entropy's η is 30 times smaller: that, not the cost, is "
        "why it looks slower on the left)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def saturation_figure(
    grid: SaturationMap, starts: Sequence[tuple[float, float]] | None = None
) -> Figure:
    """Epochs until |a − y| < threshold over the grid of starts, one heat map per cost on one
    shared colour scale; starts that never get there within the epochs run are grey. The
    starts the map trained exactly (``grid.marked``, or those of them named in ``starts``) are
    ringed and labelled with their own epochs, never their nearest grid point's."""
    marked = grid.marked if starts is None else [grid.exact(w, b) for w, b in starts]
    costs = list(grid.epochs)
    fig, axes = plt.subplots(1, len(costs), figsize=(6 * len(costs), 5), sharey=True)
    colours = matplotlib.colormaps[SATURATION_COLOURMAP].with_extremes(under=NEVER_COLOUR)
    extent = (grid.w_values[0], grid.w_values[-1], grid.b_values[0], grid.b_values[-1])
    image = None
    for ax, name in zip(np.atleast_1d(axes), costs, strict=True):
        epochs = grid.epochs[name].astype(float)
        epochs[epochs < 0] = -1.0  # below the scale: drawn grey
        image = ax.imshow(
            epochs,
            origin="lower",
            extent=extent,
            cmap=colours,
            vmin=0,
            vmax=grid.max_epochs,
            aspect="auto",
        )
        for start in marked:
            if not (extent[0] <= start.w <= extent[1] and extent[2] <= start.b <= extent[3]):
                continue  # outside the map: nowhere to mark it
            ax.plot(start.w, start.b, marker="o", mfc="none", mec="white", ms=9, mew=2)
            ax.annotate(
                marked_start_label(start, name, grid.max_epochs),
                (start.w, start.b),
                xytext=(8, 6),
                textcoords="offset points",
                color="white",
                fontsize=8,
                bbox=dict(boxstyle="round,pad=0.25", fc="black", alpha=0.6, lw=0),
            )
        ax.set_title(f"{name}: {grid.slow_fraction(name):.0%} of starts need > 100 epochs")
        ax.set_xlabel("starting weight w")
    np.atleast_1d(axes)[0].set_ylabel("starting bias b")
    assert image is not None
    bar = fig.colorbar(image, ax=axes, extend="min")
    bar.set_label(f"epochs until |a − y| < {grid.threshold:g} (grey: not within {grid.max_epochs})")
    fig.suptitle(
        f"One neuron, x = {grid.x:g}, y = {grid.y:g}, η = {grid.eta:g}: where the quadratic "
        "cost is slow, the neuron starts saturated and wrong"
    )
    return fig


def marked_start_label(start: MarkedStart, cost: str, max_epochs: int) -> str:
    """A marked start's label on the saturation map: its (w, b) and the epochs it needed under
    ``cost``, or "not within" the epochs run."""
    epochs = start.epochs[cost]
    needed = f"{epochs} epochs" if epochs >= 0 else f"not within {max_epochs} epochs"
    return f"({start.w:g}, {start.b:g}): {needed}"
