"""What the saturation monitor says about what it recorded: the stall rule, the per-layer table
(:class:`MonitorSummary`, with notes on what the hooks saw but could not use) and the figure.

A layer is *stalled by saturation* when, averaged over its last 10 recorded steps (and it has
at least 10), at least half its units are stuck (saturated and wrong where targets are seen,
saturated elsewhere) and its gradient factor g = (1/N) Σ_j σ'(z_j) is below 0.05.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import checks, plots
from ..errors import XentlabError
from .traces import LayerTrace

RECENT_STEPS = 10  # the stall rule looks at a layer's last 10 recorded steps ...
STALL_STUCK = 0.5  # ... where at least half its units are stuck (saturated, and wrong if known)
STALL_FACTOR = 0.05  # ... and σ'(z) shrinks the gradient 20-fold or more (a fifth of σ'(0) = 1/4)


@dataclass(frozen=True)
class LayerSummary:
    """One layer's line of :meth:`SaturationMonitor.summary`. Fractions are of the layer's
    units over the batch; ``saturated_wrong_*`` are None where no targets were seen."""

    layer: str
    role: str
    steps_recorded: int
    last_step: int
    first_saturation: float
    last_saturation: float
    mean_saturation: float
    first_saturated_wrong: float | None
    last_saturated_wrong: float | None
    mean_gradient_factor: float
    stalled: bool


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@dataclass(frozen=True)
class MonitorSummary:
    """The monitor's table: one :class:`LayerSummary` per watched layer, in the order the
    layers first ran, and notes on what the monitor could not see. ``str()`` renders it."""

    rows: tuple[LayerSummary, ...]
    training_steps: int
    notes: tuple[str, ...] = ()

    @property
    def stalled(self) -> tuple[str, ...]:
        """The layers flagged as stalled by saturation."""
        return tuple(row.layer for row in self.rows if row.stalled)

    def __str__(self) -> str:
        if not self.rows:
            lines = [
                f"no layer recorded in {checks.plural(self.training_steps, 'training step')} "
                "(the monitor records forward passes of the model in training mode with "
                "gradients enabled, unless passes='all')"
            ]
            return "\n".join(lines + list(self.notes))
        header = (
            "layer",
            "role",
            "steps",
            "saturated: first → last (mean)",
            "saturated & wrong: first → last",
            "gradient factor (mean)",
            "stalled",
        )
        table = [header] + [
            (
                row.layer,
                row.role,
                str(row.steps_recorded),
                f"{_percent(row.first_saturation)} → {_percent(row.last_saturation)} "
                f"({_percent(row.mean_saturation)})",
                f"{_percent(row.first_saturated_wrong)} → {_percent(row.last_saturated_wrong)}",
                f"{row.mean_gradient_factor:.3g}",
                "STALLED" if row.stalled else "no",
            )
            for row in self.rows
        ]
        widths = [max(len(line[i]) for line in table) for i in range(len(header))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in table
        ]
        lines = [line.rstrip() for line in lines]
        for row in self.rows:
            if row.stalled:
                lines.append(f"{row.layer}: {_stall_reason(row)}")
        return "\n".join(lines + list(self.notes))


def _stall_reason(row: LayerSummary) -> str:
    if row.last_saturated_wrong is None:
        return (
            f"stalled by saturation: most of its units are saturated and σ'(z) shrinks the "
            f"gradient through them by a factor of {row.mean_gradient_factor:.2g} on average; "
            "smaller initial weights (standard deviation 1/√n_in) keep z near 0"
        )
    return (
        "stalled by saturation: most of its outputs are saturated and wrong, and its cost's "
        "δ carries σ'(z); a cost whose δ is a − y (nn.BCEWithLogitsLoss on the logits) "
        "cancels σ'(z)"
    )


def _summarise(trace: LayerTrace) -> LayerSummary:
    wrong = trace.saturated_wrong
    known = wrong[~np.isnan(wrong)]
    recent = slice(-RECENT_STEPS, None)
    recent_wrong = wrong[recent][~np.isnan(wrong[recent])]
    stuck = recent_wrong if len(recent_wrong) else trace.saturation[recent]
    stalled = (
        len(trace.steps) >= RECENT_STEPS
        and float(np.mean(stuck)) >= STALL_STUCK
        and float(np.mean(trace.gradient_factor[recent])) < STALL_FACTOR
    )
    return LayerSummary(
        layer=trace.name,
        role=trace.role,
        steps_recorded=len(trace.steps),
        last_step=int(trace.steps[-1]),
        first_saturation=float(trace.saturation[0]),
        last_saturation=float(trace.saturation[-1]),
        mean_saturation=float(np.mean(trace.saturation)),
        first_saturated_wrong=float(known[0]) if len(known) else None,
        last_saturated_wrong=float(known[-1]) if len(known) else None,
        mean_gradient_factor=float(np.mean(trace.gradient_factor)),
        stalled=stalled,
    )


def summarise(
    traces: Sequence[LayerTrace],
    training_steps: int,
    loss_name: str,
    unmatched_loss_inputs: int,
    sigmoid_outputs_as_logits: int,
) -> MonitorSummary:
    """The table of the layers that recorded a step, with a note for each thing the hooks saw
    but could not use: loss inputs that were no watched sigmoid's output, and sigmoid outputs
    given to a loss that applies σ (or softmax) itself."""
    rows = tuple(_summarise(trace) for trace in traces if len(trace.steps))
    notes = []
    if unmatched_loss_inputs:
        notes.append(
            f"note: in {checks.plural(unmatched_loss_inputs, 'recorded step')} the "
            f"input of {loss_name} was not the output of a watched nn.Sigmoid, so its "
            "targets were not used"
        )
    if sigmoid_outputs_as_logits:
        notes.append(
            f"note: in {checks.plural(sigmoid_outputs_as_logits, 'recorded step')} "
            f"{loss_name} was given the output of an nn.Sigmoid as its logits: it "
            "applies σ (or softmax) itself, so the model's last nn.Sigmoid is one too many"
        )
    return MonitorSummary(rows, training_steps, tuple(notes))


def plot_traces(
    traces: Sequence[LayerTrace],
    stalled: tuple[str, ...],
    training_steps: int,
    path: str | os.PathLike[str],
    title: str,
    *,
    force: bool,
) -> None:
    """Write the curves of ``traces`` to ``path``, the ``stalled`` layers marked (see
    :meth:`SaturationMonitor.plot <xentlab.torch.SaturationMonitor.plot>`)."""
    plots.check_figure_target(path, force=force)
    if not traces:
        raise XentlabError(
            f"nothing to plot to {os.fspath(path)}: no layer recorded in "
            f"{checks.plural(training_steps, 'training step')}"
        )
    figure = plots.saturation_monitor_figure(traces, stalled, STALL_FACTOR, title)
    plots.save(figure, path, force=force)
