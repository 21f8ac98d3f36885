"""Figures of a network's training: its history per epoch (cost and accuracy), the costs
compared mini-batch by mini-batch from one start, and the saturation of each sigmoid layer
recorded while training (by ``xentlab.torch``'s monitor, or anything with the same curves)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Protocol

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, SymmetricalLogLocator

from ..experiments import CompareResult, CostRun
from ..training import EpochRecord, History
from .labels import LABELS, Words, figure_words
from .style import PALETTE, cost_colour, cost_style


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
    axes: Sequence[Any],
    linear_until: int,
    per_epoch: int,
    last: int,
    named: Sequence[Any] = (),
    words: Words | None = None,
) -> str:
    """Make each of ``axes``' x axis mini-batches from 0 to ``last``, on a log scale past
    ``linear_until`` (linear below it, so that the start, 0, has its place), with plain
    numbers and a dotted line at the end of each epoch, numbered above the axes in ``named``
    where there is room: the first hundred mini-batches, where the costs differ, get as much
    room as the thousands after them. Returns the axis's label (in ``words``' language;
    default English)."""
    words = words or Words("en", LABELS["en"])
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
                words["epoch mark"].format(epoch=epoch) if not shown else str(epoch),
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=7,
                color="grey",
            )
            shown = end
    return words["mini-batches, epochs" if ends else "mini-batches"].format(
        linear_until=f"{linear_until:,}"
    )


def compare_figure(result: CompareResult, lang: str = "en") -> Figure:
    """Validation accuracy, training cost, the output layer's saturation and the per-layer
    gradient norms against mini-batches on a log scale (the slowdown happens in the first
    hundreds of thousands), one panel each; costs overlaid; over several seeds the median as a
    line and the range as a light band. The words in ``lang``."""
    with figure_words(lang) as words:
        return _compare_figure(result, words)


def _compare_figure(result: CompareResult, words: Words) -> Figure:
    spec = result.spec
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=True)
    (acc, cost), (sat, grad) = axes
    layers = len(result.layer_sizes) - 1
    for name in spec.costs:
        runs = result.of(name)
        x = np.array([p.batches for p in runs[0].probes])
        if any([p.batches for p in run.probes] != list(x) for run in runs):
            raise ValueError("the seeds of one cost were probed at different moments")
        colour, style = cost_colour(name), cost_style(name)

        def series(field: str, runs: list[CostRun] = runs) -> np.ndarray:
            return np.array([[getattr(p, field) for p in run.probes] for run in runs])

        shown_name = words.cost(name)
        label = f"{shown_name}, η = {spec.eta_of(name):g}"
        _band(acc, x, 100 * series("validation_accuracy"), colour, style, label)
        costs = series("training_cost")  # each cost in its own units: shown relative to C(0)
        _band(cost, x, costs / costs[:, :1], colour, style, label)
        _band(
            sat,
            x,
            100 * series("saturated_wrong"),
            colour,
            style,
            words["saturated wrong"].format(cost=shown_name),
        )
        sat.plot(
            x,
            100 * np.median(series("saturation"), axis=0),
            color=colour,
            ls=style,
            lw=0.8,
            alpha=0.6,
            label=words["saturated"].format(cost=shown_name),
        )
        norms = np.array([[p.gradient_norm for p in run.probes] for run in runs])
        for layer, width in zip(range(layers), np.linspace(0.8, 2.0, layers), strict=True):
            grad.plot(
                x,
                np.median(norms[:, :, layer], axis=0),
                color=colour,
                ls=style,
                lw=width,
                label=words["output layer" if layer == layers - 1 else "layer"].format(
                    cost=shown_name, layer=layer + 1
                ),
            )
    probed = sorted({p.batches for run in result.runs for p in run.probes})
    first = next((b for b in probed if b > 0), 1)  # the first probe after the start
    per_epoch = result.runs[0].per_epoch
    x_label = mini_batch_axis(
        axes.flat, first, per_epoch, probed[-1], named=(acc, cost), words=words
    )
    acc.set_ylabel(words["validation accuracy"])
    acc.set_ylim(0, 100)
    cost.set_ylabel(words["relative training cost"])
    sat.set_ylabel(words["saturated share"])
    sat.set_ylim(-2, 102)
    grad.set_ylabel(words["gradient norm"])
    grad.set_yscale("log")
    for ax in (sat, grad):
        ax.set_xlabel(x_label)
    # Where the curves seldom are: accuracy starts low, the relative cost ends low.
    for ax, where in zip(axes.flat, ("upper left", "upper right", "best", "best"), strict=True):
        ax.legend(fontsize=7, loc=where)
        ax.grid(alpha=0.3)
    seeds = words["seed" if len(spec.seeds) == 1 else "seeds"].format(
        seeds=", ".join(map(str, spec.seeds))
    )
    over = "\n" + words["over seeds"] if len(spec.seeds) > 1 else ""
    title = words["compare suptitle"].format(
        sizes=list(result.layer_sizes),
        dataset=spec.dataset,
        init=spec.network.init,
        batch=spec.config.batch_size,
        seeds=seeds,
    )
    fig.suptitle(title + over)
    fig.tight_layout()
    return fig


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
