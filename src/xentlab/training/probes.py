"""Probes: measurements of a network while it trains, finer than once an epoch.

A :class:`Probe` is an observer. On a fixed sample of training examples it measures the cost,
the output layer's saturation (the fraction of (example, output) pairs with σ'(z) < 0.01), the
fraction saturated *and wrong* (|a − y| > 0.5 as well: the outputs that learn slowly under the
quadratic cost, whose δ carries σ'(z)), and for every layer the mean |δ| and the norm of the
weight gradient ∂C/∂W = A_{l−1}ᵀ δ_l / m; on the validation data, the accuracy. It measures at
the start, every ``every`` mini-batches during the first ``fine_epochs`` epochs, and at the end
of every epoch: the first moments of training, where the slowdown lives, in detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..data import LabelledData
from ..model import Network
from .evaluator import evaluator_for
from .state import EpochRecord, TrainState


@dataclass(frozen=True)
class ProbeRecord:
    """The network measured after ``batches`` mini-batches (``epochs`` = batches per epoch)."""

    batches: int
    epochs: float
    training_cost: float  # on the probe sample, without regularisation
    validation_accuracy: float
    saturation: float
    saturated_wrong: float
    delta_mean: tuple[float, ...]  # mean |δ_l| per layer after the input, first to output
    gradient_norm: tuple[float, ...]  # ‖∂C/∂W_l‖ (Frobenius) per layer


def measure(
    network: Network,
    sample: LabelledData,
    validation: LabelledData,
    batches: int,
    per_epoch: int,
    kernel: str = "auto",
) -> ProbeRecord:
    """One probe record of ``network`` (in float64, whatever the training dtype; the
    validation accuracy as the network predicts, in its dtype), by the evaluators of
    ``sample`` and ``validation``: compiled unless ``kernel`` is ``numpy``."""
    measured = evaluator_for(sample).probe(network, evaluator_for(validation), kernel)
    return ProbeRecord(
        batches=batches,
        epochs=batches / per_epoch,
        training_cost=measured.cost,
        validation_accuracy=measured.validation_accuracy,
        saturation=measured.saturation,
        saturated_wrong=measured.saturated_wrong,
        delta_mean=measured.delta_mean,
        gradient_norm=measured.gradient_norm,
    )


@dataclass
class Probe:
    """An observer that records :class:`ProbeRecord` s (see the module's description). Train
    with chunks of at most ``every`` mini-batches so that it is asked often enough."""

    sample: LabelledData
    validation: LabelledData
    per_epoch: int
    every: int
    fine_epochs: int = 2
    records: list[ProbeRecord] = field(default_factory=list)

    def start(self, state: TrainState) -> None:
        """Record the network before (or, on resume, where) training starts."""
        self._record(state, state.epoch * self.per_epoch + state.batch)

    def on_batches(self, state: TrainState, done: int, total: int) -> None:
        batches = state.epoch * self.per_epoch + done
        if state.epoch < self.fine_epochs and done % self.every == 0 and done < total:
            self._record(state, batches)

    def on_epoch(self, state: TrainState, record: EpochRecord) -> None:
        self._record(state, state.epoch * self.per_epoch)

    def _record(self, state: TrainState, batches: int) -> None:
        if self.records and self.records[-1].batches == batches:
            return
        self.records.append(
            measure(
                state.network,
                self.sample,
                self.validation,
                batches,
                self.per_epoch,
                state.config.kernel,
            )
        )
