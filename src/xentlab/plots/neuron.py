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
from .labels import LABELS, Words, figure_words
from .style import NEVER_COLOUR, SATURATION_COLOURMAP, cost_colour


def trajectory_figure(trajectory: Trajectory, start: int = 0, lang: str = "en") -> Figure:
    """Cost against epoch for one neuron, with its output a on a second axis; the words in
    ``lang`` (en or zh: see ``labels.figure_words``)."""
    with figure_words(lang) as words:
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        _draw_trajectory(ax, trajectory, words, start)
        w0, b0 = trajectory.w[0, start, 0], trajectory.b[0, start]
        ax.set_title(
            words["neuron title"].format(
                cost=words.cost(trajectory.cost_name),
                eta=f"{trajectory.eta:g}",
                w=f"{w0:g}",
                b=f"{b0:g}",
            )
        )
        fig.legend(loc="upper right", bbox_to_anchor=(0.88, 0.88))
    return fig


def neuron_figure(trajectories: Sequence[Trajectory], lang: str = "en") -> Figure:
    """One neuron under each cost (the trajectories share their start, x, y and η): one cost's
    figure alone, or one panel per cost side by side, each with its own cost axis (the costs
    are in different units) and the same output axis, so that the outputs a can be compared.
    The words in ``lang``."""
    if len(trajectories) == 1:
        return trajectory_figure(trajectories[0], lang=lang)
    with figure_words(lang) as words:
        fig, axes = plt.subplots(
            1, len(trajectories), figsize=(5.2 * len(trajectories), 4.0), sharex=True
        )
        for ax, trajectory in zip(axes, trajectories, strict=True):
            _draw_trajectory(ax, trajectory, words)
            ax.set_title(words.cost(trajectory.cost_name), color=cost_colour(trajectory.cost_name))
        first = trajectories[0]
        w0, b0 = first.w[0, 0, 0], first.b[0, 0]
        x, y = first.x[0, 0], first.y[0]
        fig.suptitle(
            words["neuron suptitle"].format(
                w=f"{w0:g}", b=f"{b0:g}", x=f"{x:g}", y=f"{y:g}", eta=f"{first.eta:g}"
            ),
            fontsize=10,
        )
        fig.tight_layout()
    return fig


def _draw_trajectory(ax: Any, trajectory: Trajectory, words: Words, start: int = 0) -> None:
    """The cost C against epoch on ``ax``, in its cost's colour, and the output a (grey, dotted)
    on a second axis from 0 to 1 (wider where a linear neuron's a = z leaves them)."""
    colour = cost_colour(trajectory.cost_name)
    epochs = range(trajectory.epochs + 1)
    ax.plot(epochs, trajectory.cost[:, start], color=colour, label=words["cost C"])
    ax.set_xlabel(words["epoch"])
    ax.set_ylabel(words["cost C"])
    out = ax.twinx()
    a = trajectory.output[:, start, 0]
    out.plot(epochs, a, color="grey", ls=":", label=words["output a"])
    out.set_ylabel(words["output a"], color="grey")
    out.set_ylim(*output_limits([a]))


def output_limits(outputs: Sequence[Any]) -> tuple[float, float]:
    """The output axis: 0 to 1 (a sigmoid's range), widened to every a drawn (a linear
    neuron's a = z may start at 4)."""
    low = min(0.0, *(float(np.min(a)) for a in outputs))
    high = max(1.0, *(float(np.max(a)) for a in outputs))
    return low, high


def slowdown_figure(runs: Sequence[SlowdownRun], lang: str = "en") -> Figure:
    """Cost (top) and output a (bottom) against epoch: the article's rates left, one common
    rate right. Each cost is drawn relative to its start, C(t)/C(0), since the two costs are in
    different units; a dot marks the epoch where each falls fastest. The words in ``lang``."""
    with figure_words(lang) as words:
        return _slowdown_figure(runs, words)


def _slowdown_figure(runs: Sequence[SlowdownRun], words: Words) -> Figure:
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
        etas = sorted({f"{words.cost(r.cost)} η = {r.eta:g}" for r in runs if r.setting == setting})
        title = words["article rates" if setting == "article" else "common rate"]
        axes[0, col].set_title(f"{title}:\n{'; '.join(etas)}", fontsize=9)
        axes[0, col].set_ylabel(words["relative cost"])
        axes[1, col].set_ylabel(words["output target"])
        axes[1, col].set_xlabel(words["epoch"])
        # 0 to 1, where the sigmoids' paths show; a linear neuron's a = z may start above
        axes[1, col].set_ylim(0, 1)
        drawn = [r.epoch_output for r in runs if r.setting == setting]
        if output_limits(drawn)[1] > 1:
            axes[1, col].set_ylabel(words["output target cut"])
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
    handles = [
        Line2D([], [], color=cost_colour(c), label=words.cost(c))
        for c in dict.fromkeys(r.cost for r in runs)  # each cost drawn, in the runs' order
    ]
    handles += [
        Line2D([], [], color="black", ls=style, label=words["start"].format(w=f"{w:g}", b=f"{b:g}"))
        for (w, b), style in start_styles.items()
    ]
    handles.append(Line2D([], [], color="black", marker="o", ls="", label=words["steepest fall"]))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8)
    fig.suptitle(words["slowdown suptitle"], fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def saturation_figure(
    grid: SaturationMap, starts: Sequence[tuple[float, float]] | None = None, lang: str = "en"
) -> Figure:
    """Epochs until |a − y| < threshold over the grid of starts, one heat map per cost on one
    shared colour scale; starts that never get there within the epochs run are grey. The
    starts the map trained exactly (``grid.marked``, or those of them named in ``starts``) are
    ringed and labelled with their own epochs, never their nearest grid point's. The words in
    ``lang``."""
    with figure_words(lang) as words:
        return _saturation_figure(grid, starts, words)


def _saturation_figure(
    grid: SaturationMap, starts: Sequence[tuple[float, float]] | None, words: Words
) -> Figure:
    marked = grid.marked if starts is None else [grid.exact(w, b) for w, b in starts]
    costs = list(grid.epochs)
    fig, axes = plt.subplots(1, len(costs), figsize=(6 * len(costs), 5), sharey=True)
    # room for the panels' two-line titles below the suptitle (before the colour bar takes its
    # place beside the panels)
    fig.subplots_adjust(top=0.82)
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
                marked_start_label(start, name, grid.max_epochs, words),
                (start.w, start.b),
                xytext=(8, 6),
                textcoords="offset points",
                color="white",
                fontsize=8,
                bbox=dict(boxstyle="round,pad=0.25", fc="black", alpha=0.6, lw=0),
            )
        slow = f"{grid.slow_fraction(name):.0%}"
        ax.set_title(words["map title"].format(cost=words.cost(name), slow=slow))
        ax.set_xlabel(words["starting weight"])
    np.atleast_1d(axes)[0].set_ylabel(words["starting bias"])
    assert image is not None
    bar = fig.colorbar(image, ax=axes, extend="min")
    bar.set_label(words["map bar"].format(threshold=f"{grid.threshold:g}", epochs=grid.max_epochs))
    fig.suptitle(
        words["map suptitle"].format(x=f"{grid.x:g}", y=f"{grid.y:g}", eta=f"{grid.eta:g}")
    )
    return fig


def marked_start_label(
    start: MarkedStart, cost: str, max_epochs: int, words: Words | None = None
) -> str:
    """A marked start's label on the saturation map: its (w, b) and the epochs it needed under
    ``cost``, or "not within" the epochs run (in ``words``' language; default English)."""
    words = words or Words("en", LABELS["en"])
    epochs = start.epochs[cost]
    needed = (
        words["epochs needed"].format(epochs=epochs)
        if epochs >= 0
        else words["not within"].format(epochs=max_epochs)
    )
    return f"({start.w:g}, {start.b:g}): {needed}"
