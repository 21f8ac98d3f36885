"""Figures drawn from result objects (never computed here), written atomically in the format
their file's extension names: PNG, SVG or PDF."""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib.figure import Figure  # noqa: E402

from .checks import OneOf  # noqa: E402
from .experiments import SlowdownRun  # noqa: E402
from .files import atomic_write, check_output_target  # noqa: E402
from .neuron import Trajectory  # noqa: E402
from .training import History  # noqa: E402

COST_COLOURS = {"quadratic": "tab:red", "cross-entropy": "tab:blue", "log-likelihood": "tab:green"}
FIGURE_FORMATS = OneOf(("png", "svg", "pdf"))  # a figure's extension names its format


def figure_format(path: str | os.PathLike[str]) -> str:
    """The format of the figure file ``path``, from its extension (case ignored): one of
    FIGURE_FORMATS, or an XentlabError naming the file and the formats allowed."""
    extension = os.path.splitext(os.fspath(path))[1].lower().removeprefix(".")
    return FIGURE_FORMATS.check(f"figure file {os.fspath(path)}: the extension", extension)


def check_figure_target(path: str | os.PathLike[str]) -> str:
    """Fail before computing a figure that could not be written to ``path``: the target (see
    files.check_output_target), then its extension. Returns the format."""
    check_output_target(path, "figure")
    return figure_format(path)


def save(fig: Figure, path: str | os.PathLike[str]) -> None:
    """Write ``fig`` to ``path`` atomically, in the format its extension names, and release it."""
    try:
        fmt = figure_format(path)
        with atomic_write(path, "wb", kind="figure") as handle:
            fig.savefig(handle, format=fmt, dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)


def trajectory_figure(trajectory: Trajectory, start: int = 0) -> Figure:
    """Cost against epoch for one neuron, with its output a on a second axis."""
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    colour = COST_COLOURS.get(trajectory.cost_name, "black")
    epochs = range(trajectory.epochs + 1)
    ax.plot(epochs, trajectory.cost[:, start], color=colour, label="cost C")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost C")
    out = ax.twinx()
    out.plot(epochs, trajectory.output[:, start, 0], color="grey", ls=":", label="output a")
    out.set_ylabel("output a", color="grey")
    out.set_ylim(0, 1)
    w0, b0 = trajectory.w[0, start, 0], trajectory.b[0, start]
    ax.set_title(f"{trajectory.cost_name}, η = {trajectory.eta:g}, start (w, b) = ({w0:g}, {b0:g})")
    fig.legend(loc="upper right", bbox_to_anchor=(0.88, 0.88))
    return fig


def slowdown_figure(runs: Sequence[SlowdownRun]) -> Figure:
    """Cost (top) and output a (bottom) against epoch: article's rates left, common rate right."""
    settings = ("article", "common")
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    styles: dict[tuple[float, float], str] = {}
    for run in runs:
        col = settings.index(run.setting)
        style = styles.setdefault((run.w0, run.b0), ("-", "--", ":")[len(styles) % 3])
        kw = dict(color=COST_COLOURS[run.cost], ls=style, label=run.label)
        axes[0, col].plot(run.epoch_cost, **kw)
        axes[1, col].plot(run.epoch_output, **kw)
    for col, setting in enumerate(settings):
        etas = sorted({f"{r.cost} η = {r.eta:g}" for r in runs if r.setting == setting})
        title = "the article's rates" if setting == "article" else "one common rate"
        axes[0, col].set_title(f"{title} ({'; '.join(etas)})", fontsize=9)
        axes[0, col].set_ylabel("cost C")
        axes[1, col].set_ylabel("output a  (target y = 0)")
        axes[1, col].set_xlabel("epoch")
        axes[1, col].set_ylim(0, 1)
        axes[0, col].legend(fontsize=7)
    fig.suptitle(
        "One sigmoid neuron, x = 1, y = 0: the quadratic cost starts slowly when a saturates"
    )
    fig.tight_layout()
    return fig


def history_figure(history: History, title: str = "") -> Figure:
    """Cost (left) and accuracy (right) per epoch, on training and validation data."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    epochs = history.column("epoch")
    left.plot(epochs, history.column("training_cost"), label="training")
    right.plot(epochs, history.column("training_accuracy"), label="training")
    if any(a is not None for a in history.column("evaluation_accuracy")):
        left.plot(epochs, history.column("evaluation_cost"), label="validation")
        right.plot(epochs, history.column("evaluation_accuracy"), label="validation")
    left.set_ylabel("cost (with regularisation)")
    right.set_ylabel("accuracy")
    for ax in (left, right):
        ax.set_xlabel("epoch")
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
