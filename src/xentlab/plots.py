"""Figures drawn from result objects (never computed here), written atomically in the format
their file's extension names: PNG, SVG or PDF."""

from __future__ import annotations

import io
import os
from collections.abc import Collection, Sequence
from typing import Any, Protocol

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, SymmetricalLogLocator  # noqa: E402

from . import checks  # noqa: E402
from .checks import OneOf  # noqa: E402
from .experiments import (  # noqa: E402
    CompareResult,
    CostRun,
    MarkedStart,
    SaturationMap,
    SlowdownRun,
)
from .files import atomic_write, check_output_target, register_output_kind  # noqa: E402
from .neuron import Trajectory  # noqa: E402
from .sweeps import (  # noqa: E402
    BOOK_SETTINGS,
    BookRow,
    SettingRow,
    SweepTable,
    describe_fixed,
    rows_settings,
    show_value,
)
from .training import EpochRecord, History  # noqa: E402

# Okabe and Ito's palette, told apart by people with any colour vision; lines also differ in
# style where they must survive grey-scale printing.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
COST_COLOURS = {"quadratic": "#D55E00", "cross-entropy": "#0072B2", "log-likelihood": "#009E73"}
FIGURE_FORMATS = OneOf(("png", "svg", "pdf"))  # a figure's extension names its format
# The saturation map: epochs on viridis (light is slow), starts that never arrive grey.
SATURATION_COLOURMAP = "viridis"
NEVER_COLOUR = "lightgrey"


# How a figure xentlab drew is recognised (files.register_output_kind): an image in one of the
# FIGURE_FORMATS that names Matplotlib, which drew it, where each format says who made it (a
# PNG's and an SVG's first bytes, a PDF's last).
MAGIC = {b"\x89PNG\r\n\x1a\n": "head", b"<?xml": "head", b"%PDF-": "tail"}
DRAWN_BY = b"Matplotlib"


def drawn_by_xentlab(head: bytes, tail: bytes) -> bool:
    """Whether a file is a figure in a format xentlab writes, drawn by Matplotlib."""
    for magic, where in MAGIC.items():
        if head.startswith(magic):
            return DRAWN_BY in (head if where == "head" else tail)
    return False


register_output_kind("figure", drawn_by_xentlab)


def figure_format(path: str | os.PathLike[str]) -> str:
    """The format of the figure file ``path``, from its extension (case ignored): one of
    FIGURE_FORMATS, or an XentlabError naming the file and the formats allowed."""
    extension = os.path.splitext(os.fspath(path))[1].lower().removeprefix(".")
    return FIGURE_FORMATS.check(f"figure file {os.fspath(path)}: the extension", extension)


def check_figure_target(path: str | os.PathLike[str], *, force: bool = False) -> str:
    """Fail before computing a figure that could not be written to ``path``: the target (see
    files.check_output_target; ``force`` replaces a file that is not a figure xentlab drew),
    then its extension. Returns the format."""
    check_output_target(path, "figure", force=force)
    return figure_format(path)


def save(fig: Figure, path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Write ``fig`` to ``path`` atomically, in the format its extension names, and release it.
    A file there must be a figure xentlab drew, unless ``force``."""
    try:
        fmt = figure_format(path)
        with atomic_write(path, "wb", kind="figure", force=force) as handle:
            fig.savefig(handle, format=fmt, dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)


def png_bytes(fig: Figure) -> bytes:
    """``fig`` as PNG bytes (to embed in a report), and released."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    finally:
        plt.close(fig)
    return buffer.getvalue()


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
        ax.set_title(trajectory.cost_name, color=COST_COLOURS.get(trajectory.cost_name, "black"))
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
    on a second axis from 0 to 1."""
    colour = COST_COLOURS.get(trajectory.cost_name, "black")
    epochs = range(trajectory.epochs + 1)
    ax.plot(epochs, trajectory.cost[:, start], color=colour, label="cost C")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost C")
    out = ax.twinx()
    out.plot(epochs, trajectory.output[:, start, 0], color="grey", ls=":", label="output a")
    out.set_ylabel("output a", color="grey")
    out.set_ylim(0, 1)


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
        kw = dict(color=COST_COLOURS[run.cost], ls=start_styles[run.w0, run.b0])
        relative = run.epoch_cost / run.epoch_cost[0]
        axes[0, col].plot(relative, **kw)
        axes[0, col].plot(
            run.steepest_epoch, relative[run.steepest_epoch], "o", ms=5, color=kw["color"]
        )
        axes[1, col].plot(run.epoch_output, **kw)
    for col, setting in enumerate(settings):
        etas = sorted({f"{r.cost} η = {r.eta:g}" for r in runs if r.setting == setting})
        title = "the article's rates" if setting == "article" else "one common rate"
        axes[0, col].set_title(f"{title}: {'; '.join(etas)}", fontsize=9)
        axes[0, col].set_ylabel("cost relative to its start, C(t) / C(0)")
        axes[1, col].set_ylabel("output a  (target y = 0)")
        axes[1, col].set_xlabel("epoch")
        axes[1, col].set_ylim(0, 1)
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
    handles = [
        Line2D([], [], color=COST_COLOURS[c], label=c)
        for c in COST_COLOURS
        if any(r.cost == c for r in runs)
    ]
    handles += [
        Line2D([], [], color="black", ls=style, label=f"start (w, b) = ({w:g}, {b:g})")
        for (w, b), style in start_styles.items()
    ]
    handles.append(Line2D([], [], color="black", marker="o", ls="", label="steepest fall"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8)
    fig.suptitle(
        "One sigmoid neuron, x = 1, y = 0: the quadratic cost starts slowly when a saturates\n"
        "(at the article's rates cross-entropy's η is 30 times smaller: that, not the cost, is "
        "why it looks slower on the left)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def history_figure(
    history: History,
    title: str = "",
    regularized: bool = False,
    test_accuracy: float | None = None,
    start: EpochRecord | None = None,
) -> Figure:
    """Cost (left, on a log scale: the first epoch's fall would flatten the rest) and accuracy
    in % (right) per epoch, on training and validation data, from ``start`` (epoch 0) when it
    is known; the best validation epoch and the test accuracy marked."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    if start is not None:
        history = History([start, *history.records], history.stop_reason)
    epochs = history.column("epoch")
    left.plot(epochs, history.column("training_cost"), color=PALETTE[0], label="training")
    right.plot(
        epochs,
        [100 * a for a in history.column("training_accuracy")],
        color=PALETTE[0],
        label="training",
    )
    validation = history.column("evaluation_accuracy")
    if any(a is not None for a in validation):
        left.plot(
            epochs, history.column("evaluation_cost"), color=PALETTE[1], ls="--", label="validation"
        )
        right.plot(
            epochs, [100 * a for a in validation], color=PALETTE[1], ls="--", label="validation"
        )
        best = max(range(len(validation)), key=lambda i: validation[i])
        right.plot(
            epochs[best],
            100 * validation[best],
            "o",
            color=PALETTE[1],
            label=f"best validation: {validation[best]:.2%} (epoch {epochs[best]})",
        )
    if test_accuracy is not None:
        right.axhline(
            100 * test_accuracy,
            color=PALETTE[2],
            ls=":",
            label=f"test accuracy after the last epoch: {test_accuracy:.2%}",
        )
    cost = "cost, with the regularisation term" if regularized else "cost"
    left.set_ylabel(f"{cost} (log scale)")
    left.set_yscale("log")
    right.set_ylabel("accuracy (%)")
    for ax in (left, right):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _band(ax: Any, x: np.ndarray, runs: np.ndarray, colour: str, style: str, label: str) -> None:
    """The median over seeds as a line, the range over seeds as a light band behind it."""
    ax.plot(x, np.median(runs, axis=0), color=colour, ls=style, lw=1.4, label=label, zorder=3)
    if len(runs) > 1:
        ax.fill_between(x, runs.min(axis=0), runs.max(axis=0), color=colour, alpha=0.15, lw=0)


def mini_batch_axis(
    axes: Sequence[Any], linear_until: int, per_epoch: int, last: int, named: Sequence[Any] = ()
) -> str:
    """Make each of ``axes``' x axis mini-batches from 0 to ``last``, on a log scale past
    ``linear_until`` (linear below it, so that the start, 0, has its place), with plain
    numbers and a dotted line at the end of each epoch, numbered above the axes in ``named``
    where there is room: the first hundred mini-batches, where the costs differ, get as much
    room as the thousands after them. Returns the axis's label."""
    ends = list(range(per_epoch, last, per_epoch))  # the last mini-batch is the axis's end
    for ax in axes:
        ax.set_xscale("symlog", linthresh=linear_until, linscale=0.4)
        ax.set_xlim(0, last)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        ax.xaxis.set_minor_locator(
            SymmetricalLogLocator(base=10, linthresh=linear_until, subs=range(2, 10))
        )
        for end in ends:
            ax.axvline(end, color="grey", lw=0.6, ls=":", zorder=1)
    for ax in named:
        shown = 0.0
        for epoch, end in enumerate(ends, 1):
            if np.log10(end) - np.log10(shown or 1) < 0.1:  # a label's width, about
                continue
            ax.text(  # above the panel, where no curve is
                end,
                1.01,
                f"epoch {epoch}" if not shown else str(epoch),
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=7,
                color="grey",
            )
            shown = end
    return f"mini-batches (log scale above {linear_until:,}" + (
        "; dotted: the end of each epoch)" if ends else ")"
    )


def compare_figure(result: CompareResult) -> Figure:
    """Validation accuracy, training cost, the output layer's saturation and the per-layer
    gradient norms against mini-batches on a log scale (the slowdown happens in the first
    hundreds of thousands), one panel each; costs overlaid; over several seeds the median as a
    line and the range as a light band."""
    spec = result.spec
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=True)
    (acc, cost), (sat, grad) = axes
    layers = len(result.layer_sizes) - 1
    for name in spec.costs:
        runs = result.of(name)
        x = np.array([p.batches for p in runs[0].probes])
        if any([p.batches for p in run.probes] != list(x) for run in runs):
            raise ValueError("the seeds of one cost were probed at different moments")
        colour, style = COST_COLOURS[name], COST_STYLES[name]

        def series(field: str, runs: list[CostRun] = runs) -> np.ndarray:
            return np.array([[getattr(p, field) for p in run.probes] for run in runs])

        label = f"{name}, η = {spec.eta_of(name):g}"
        _band(acc, x, 100 * series("validation_accuracy"), colour, style, label)
        costs = series("training_cost")  # each cost in its own units: shown relative to C(0)
        _band(cost, x, costs / costs[:, :1], colour, style, label)
        _band(sat, x, 100 * series("saturated_wrong"), colour, style, f"{name}: saturated, wrong")
        sat.plot(
            x,
            100 * np.median(series("saturation"), axis=0),
            color=colour,
            ls=style,
            lw=0.8,
            alpha=0.6,
            label=f"{name}: saturated",
        )
        norms = np.array([[p.gradient_norm for p in run.probes] for run in runs])
        for layer, width in zip(range(layers), np.linspace(0.8, 2.0, layers), strict=True):
            grad.plot(
                x,
                np.median(norms[:, :, layer], axis=0),
                color=colour,
                ls=style,
                lw=width,
                label=f"{name}: layer {layer + 1}" + (" (output)" if layer == layers - 1 else ""),
            )
    probed = sorted({p.batches for run in result.runs for p in run.probes})
    first = next((b for b in probed if b > 0), 1)  # the first probe after the start
    per_epoch = result.runs[0].per_epoch
    x_label = mini_batch_axis(axes.flat, first, per_epoch, probed[-1], named=(acc, cost))
    acc.set_ylabel("validation accuracy (%)")
    acc.set_ylim(0, 100)
    cost.set_ylabel("training cost C / C at the start (probe sample)")
    sat.set_ylabel("output pairs with σ'(z) < 0.01 (%)")
    sat.set_ylim(-2, 102)
    grad.set_ylabel("‖∂C/∂W‖ per layer")
    grad.set_yscale("log")
    for ax in (sat, grad):
        ax.set_xlabel(x_label)
    # Where the curves seldom are: accuracy starts low, the relative cost ends low.
    for ax, where in zip(axes.flat, ("upper left", "upper right", "best", "best"), strict=True):
        ax.legend(fontsize=7, loc=where)
        ax.grid(alpha=0.3)
    seeds = ("seed " if len(spec.seeds) == 1 else "seeds ") + ", ".join(map(str, spec.seeds))
    over = (
        "\nlines: the median over the seeds, bands: their range (the gradient norms: medians)"
        if len(spec.seeds) > 1
        else ""
    )
    fig.suptitle(
        f"{list(result.layer_sizes)} on {spec.dataset}, init {spec.init}, mini-batch "
        f"{spec.batch_size}, {seeds}: the same start and mini-batches under each cost{over}"
    )
    fig.tight_layout()
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


class SaturationCurves(Protocol):
    """One layer's saturation record, step by step (``xentlab.torch.LayerTrace`` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def steps(self) -> np.ndarray: ...
    @property
    def saturation(self) -> np.ndarray: ...
    @property
    def saturated_wrong(self) -> np.ndarray: ...  # NaN where no targets were seen
    @property
    def gradient_factor(self) -> np.ndarray: ...


def saturation_monitor_figure(
    traces: Sequence[SaturationCurves],
    stalled: Collection[str] = (),
    stall_factor: float | None = None,
    title: str = "",
) -> Figure:
    """Against the training step, one line per layer: the fraction of units saturated
    (σ'(z) < 0.01), the fraction saturated and wrong where targets were seen, and the gradient
    factor, the mean σ'(z) (1 where the cost cancels it), on a log scale. Layers in ``stalled``
    are drawn thicker and named so."""
    fig, (sat, wrong, factor) = plt.subplots(3, 1, figsize=(9, 9.5), sharex=True)
    for i, trace in enumerate(traces):
        kw = dict(
            color=PALETTE[i % len(PALETTE)],
            ls=("-", "--", "-.", ":")[i // len(PALETTE) % 4],
            lw=2.4 if trace.name in stalled else 1.4,
            label=f"{trace.name} ({trace.role})" + (": STALLED" if trace.name in stalled else ""),
        )
        sat.plot(trace.steps, 100 * trace.saturation, **kw)
        if not np.isnan(trace.saturated_wrong).all():
            wrong.plot(trace.steps, 100 * trace.saturated_wrong, **kw)
        factor.plot(trace.steps, trace.gradient_factor, **kw)
    if not wrong.lines:
        wrong.text(
            0.5,
            0.5,
            "no targets seen: pass the loss module, SaturationMonitor(model, loss=...)",
            transform=wrong.transAxes,
            ha="center",
            va="center",
            color="grey",
        )
    references = [
        factor.axhline(0.25, color="grey", ls=":", lw=1, label="σ'(0) = 1/4, the largest σ'")
    ]
    if stall_factor is not None:
        references.append(
            factor.axhline(
                stall_factor,
                color="grey",
                ls="--",
                lw=1,
                label=f"stall threshold, {stall_factor:g}",
            )
        )
    sat.set_ylabel("units saturated,\nσ'(z) < 0.01 (%)")
    wrong.set_ylabel("saturated and wrong,\n|a − y| > 0.5 too (%)")
    factor.set_ylabel("gradient factor: mean σ'(z)\n(1 where the cost cancels it)")
    factor.set_yscale("log")
    factor.set_ylim(top=1.6)  # 1, a cost that cancels σ', always in view: figures compare
    factor.set_xlabel("training step")
    for ax in (sat, wrong):
        ax.set_ylim(-3, 103)
    for ax in (sat, wrong, factor):
        ax.grid(alpha=0.3)
    handles, labels = sat.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(2, len(handles)), fontsize=8)
    factor.legend(handles=references, loc="lower right", fontsize=8)
    fig.suptitle(title or "Saturation of the sigmoid layers while training")
    rows = (len(handles) + 1) // 2
    fig.tight_layout(rect=(0, 0.01 + 0.022 * rows, 1, 1))
    return fig


def saturation_colours(steps: int = 64) -> tuple[list[str], str]:
    """The saturation map's colour scale as CSS colours, ``steps`` of them from 0 epochs to
    the most, and the colour of the starts that never arrive: the page draws its maps in the
    figure's colours."""
    steps = checks.int_at_least("steps", steps, 2)
    scale = matplotlib.colormaps[SATURATION_COLOURMAP].resampled(steps)
    return [to_hex(scale(i)) for i in range(steps)], to_hex(NEVER_COLOUR)


# Told apart by line style as well as colour, so that they survive grey-scale printing.
COST_STYLES = {"quadratic": "-", "cross-entropy": "--", "log-likelihood": ":"}


# What sets one line of the sweep figure apart from another of the same cost.
SWEEP_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def sweep_figure(table: SweepTable) -> Figure:
    """Test accuracy against η, a line for each cost (and each combination of the other
    settings the sweep varies), its mean over seeds with the standard deviation as error bars
    and each seed as a faint dot; one panel per λ when the sweep varies λ. The best setting is
    ringed; a setting whose runs all diverged is an × at the foot of its panel."""
    lmbdas = sorted({row.setting["lmbda"] for row in table.rows})
    panels = lmbdas if "lmbda" in table.varying else [None]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5.2 * len(panels) + 1.0, 4.4), sharey=True, squeeze=False
    )
    others = [k for k in table.varying if k not in ("cost", "eta", "lmbda")]
    kinds = list(dict.fromkeys(tuple(row.setting[k] for k in others) for row in table.rows))
    etas = sorted({row.setting["eta"] for row in table.rows})
    for ax, lmbda in zip(axes[0], panels, strict=True):
        labelled: set[str] = set()  # each marker's meaning once in the legend
        rows = [r for r in table.rows if lmbda is None or r.setting["lmbda"] == lmbda]
        lines: dict[tuple[Any, ...], list[SettingRow]] = {}
        for row in rows:
            kind = tuple(row.setting[k] for k in others)
            lines.setdefault((row.setting["cost"], kind), []).append(row)
        for (cost, kind), line in lines.items():
            line.sort(key=lambda r: r.setting["eta"])
            colour = COST_COLOURS.get(cost, "black")
            marker = SWEEP_MARKERS[kinds.index(kind) % len(SWEEP_MARKERS)]
            label = ", ".join(
                [cost, *(f"{k} {show_value(k, v)}" for k, v in zip(others, kind, strict=True))]
            )
            done = [r for r in line if r.mean is not None]
            x = [r.setting["eta"] for r in done]
            ax.errorbar(
                x,
                [100 * (r.mean or 0.0) for r in done],
                yerr=[100 * (r.sd or 0.0) for r in done],
                color=colour,
                ls=COST_STYLES.get(cost, "-"),
                marker=marker,
                capsize=4,
                label=label,
            )
            for r in done:
                each = [100 * a for a in r.finished]
                ax.plot([r.setting["eta"]] * len(each), each, ".", color=colour, alpha=0.35)
                if r.best:
                    ax.plot(
                        r.setting["eta"],
                        100 * (r.mean or 0.0),
                        "o",
                        ms=16,
                        mfc="none",
                        mec="black",
                        mew=1.2,
                        label=_once(labelled, "best setting"),
                    )
            for r in line:
                if r.mean is None:
                    ax.plot(
                        r.setting["eta"],
                        0,
                        "x",
                        color=colour,
                        ms=9,
                        mew=2,
                        clip_on=False,
                        label=_once(labelled, f"{cost}: every seed diverged"),
                    )
        if len(etas) > 1 and etas[-1] / etas[0] >= 10:
            ax.set_xscale("log")
        if len(etas) <= 8:
            ax.set_xticks(etas, [f"{eta:g}" for eta in etas])
            ax.minorticks_off()
        ax.set_xlabel("learning rate η")
        ax.grid(alpha=0.3)
        if lmbda is not None:
            ax.set_title(f"λ = {lmbda:g}")
        ax.legend(fontsize=8)
    axes[0, 0].set_ylabel("test accuracy (%), mean ± sd over seeds")
    seeds = max((len(r.seeds) for r in table.rows), default=0)
    fig.suptitle(
        f"Test accuracy after the last epoch against η, {seeds} seed{'s' if seeds != 1 else ''} "
        f"per point (dots), mean ± sd\n{describe_fixed(table)}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def book_figure(rows: Sequence[BookRow]) -> Figure:
    """The book's networks, one line each: the test accuracy after the last epoch of each of
    xentlab's seed runs (dots), their median (a bar), and the book's figure (a black diamond),
    each labelled with its value; the settings of xentlab's runs are named, and the book's
    beside them where they differ."""
    fig, ax = plt.subplots(figsize=(9, 1.6 + 1.1 * len(rows)))
    names = []
    for i, row in enumerate(rows):
        y = len(rows) - 1 - i  # the first row on top
        colour = COST_COLOURS.get(row.book.cost, "black")
        shown = row.points[0].sizes if row.points else row.book.hidden
        sizes = ("" if row.points else "hidden ") + show_value("sizes", shown)
        names.append(f"{sizes}\n{row.book.cost}, η = {row.book.eta:g}")
        finished = [100 * a for a in row.accuracies if a is not None]
        ax.plot(finished, [y] * len(finished), "o", color=colour, alpha=0.45, ms=6)
        if row.median is not None:
            ax.plot(100 * row.median, y, "|", color=colour, ms=22, mew=3)
            ax.annotate(
                f"xentlab {row.median:.2%}",
                (100 * row.median, y),
                xytext=(0, 13),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color=colour,
            )
        else:
            ax.annotate(
                "xentlab: no run finished" if row.points else "xentlab: not in this sweep",
                (100 * row.book.accuracy, y),
                xytext=(0, 13),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color="grey",
            )
        ax.plot(100 * row.book.accuracy, y, "D", mfc="none", mec="black", mew=1.5, ms=9)
        ax.annotate(
            f"book {row.book.accuracy:.2%} ({row.book.where})",
            (100 * row.book.accuracy, y),
            xytext=(0, -13),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=8,
        )
    ax.set_yticks(range(len(rows) - 1, -1, -1), names)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.margins(x=0.15)
    ax.set_xlabel("test accuracy after the last epoch (%)")
    ax.grid(axis="x", alpha=0.3)
    legend = [  # drawn apart: the figure's markers are too large for a legend
        Line2D([], [], ls="", marker="o", color="grey", alpha=0.45, label="xentlab, each seed"),
        Line2D([], [], ls="", marker="|", color="grey", ms=12, mew=3, label="xentlab, median"),
        Line2D([], [], ls="", marker="D", mfc="none", mec="black", label="the book (one run)"),
    ]
    fig.legend(handles=legend, loc="lower center", ncol=3, fontsize=8, frameon=False)
    mine = rows_settings(rows)
    settings = f"xentlab: {mine}" if mine is not None else "xentlab ran none of them"
    if mine != BOOK_SETTINGS:
        settings += f"; the book: {BOOK_SETTINGS}"
    fig.suptitle(f"The book's results beside xentlab's\n{settings}", fontsize=10)
    fig.tight_layout(rect=(0, 0.35 / fig.get_figheight(), 1, 1))
    return fig


def _once(labelled: set[str], label: str) -> str:
    """``label`` the first time it is asked for, then matplotlib's "no legend entry"."""
    if label in labelled:
        return "_nolegend_"
    labelled.add(label)
    return label
