"""The state of a training run: its settings (``xentlab.settings.TrainConfig``), what each
epoch measured, and where it stands.

Every field that a checkpoint stores declares what it allows (``checks.constrained``), and the
checkpoint format reads and writes these dataclasses field by field from those declarations: a
new progress counter or per-epoch figure is one edit here (a new setting, one in
``xentlab.settings``), and is saved, restored and checked with no other change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from .. import checks
from ..errors import XentlabError
from ..model import Network
from ..settings import MAX_EPOCHS, SCHEDULE_FLOOR, TrainConfig

__all__ = ["MAX_EPOCHS", "SCHEDULE_FLOOR", "TrainConfig"]  # where the loop and its callers look


@dataclass(frozen=True)
class EpochRecord:
    """What was measured after one epoch (costs include the regularisation term; accuracies
    are None for data with targets instead of labels).

    What a record may hold is declared here, for every reader (checkpoints, saved networks'
    meta, a sweep's result files): an epoch in 1..MAX_EPOCHS, η > 0, costs finite and ≥ 0 (every
    cost and penalty xentlab has is ≥ 0; the divergence guard stops a run before a cost that is
    not finite is recorded, however large a finite one is), accuracies and saturation shares
    fractions in [0, 1] (the saturated-and-wrong share no larger than the saturated one), and
    seconds ≥ 0."""

    epoch: int = checks.constrained(checks.Integer(1, MAX_EPOCHS))
    eta: float = checks.constrained(checks.Real(positive=True))
    training_cost: float = checks.constrained(checks.Real(non_negative=True))
    training_accuracy: float | None = checks.constrained(checks.Optional(checks.FRACTION))
    evaluation_cost: float | None = checks.constrained(
        checks.Optional(checks.Real(non_negative=True))
    )
    evaluation_accuracy: float | None = checks.constrained(checks.Optional(checks.FRACTION))
    seconds: float = checks.constrained(checks.Real(non_negative=True))
    # The output layer on (up to) 1,000 training examples: the fraction of (example, output)
    # pairs with σ'(z) < 0.01, and of those also wrong (|a − y| > 0.5). None in older files.
    output_saturation: float | None = checks.constrained(
        checks.Optional(checks.FRACTION), default=None
    )
    saturated_wrong: float | None = checks.constrained(
        checks.Optional(checks.FRACTION), default=None
    )

    def check_consistency(self, prefix: str = "") -> None:
        """The outputs saturated and wrong are some of those saturated."""
        saturated, wrong = self.output_saturation, self.saturated_wrong
        if saturated is not None and wrong is not None and wrong > saturated:
            raise XentlabError(
                f"{prefix}saturated_wrong ({wrong:g}) cannot exceed output_saturation "
                f"({saturated:g}): the outputs saturated and wrong are some of those saturated"
            )


@dataclass
class History:
    """The records of the epochs run so far, and why the run stopped early (if it did)."""

    records: list[EpochRecord] = field(default_factory=list)
    stop_reason: str | None = checks.constrained(checks.Optional(checks.Text()), default=None)

    def check_consistency(self, prefix: str = "") -> None:
        """The records are of epochs 1, 2, 3, ... in order, one each."""
        for expected, record in enumerate(self.records, start=1):
            if record.epoch != expected:
                raise XentlabError(
                    f"{prefix}records must be of epochs 1, 2, 3, ... in order; record "
                    f"{expected} is of epoch {record.epoch}"
                )

    def column(self, name: str) -> list[Any]:
        """One field of every record, in epoch order."""
        return [getattr(r, name) for r in self.records]

    @property
    def best_evaluation_accuracy(self) -> float | None:
        """The best evaluation accuracy of any epoch, or None without evaluation data."""
        accuracies = [a for a in self.column("evaluation_accuracy") if a is not None]
        return max(accuracies) if accuracies else None


@dataclass
class TrainState:
    """Everything a run needs to continue: resume from it and get the same bits.

    The constrained fields are the run's progress, saved and checked as they are; the others
    (network, settings, generator, shuffle, history) have their own parts of a checkpoint.
    """

    network: Network
    config: TrainConfig
    rng: np.random.Generator
    eta: float = checks.constrained(checks.Real(positive=True))
    epoch: int = checks.constrained(checks.Integer(0), default=0)  # epochs completed
    batch: int = checks.constrained(checks.Integer(0), default=0)  # of this epoch, applied
    order: NDArray[np.int64] | None = None  # the current epoch's shuffle, once drawn
    best_accuracy: float = checks.constrained(checks.Real(), default=-1.0)  # -1: none yet
    # the best evaluation so far on targets, where lower cost is better (None in older files)
    best_cost: float | None = checks.constrained(
        checks.Optional(checks.Real(non_negative=True)), default=None
    )
    epochs_without_improvement: int = checks.constrained(checks.Integer(0), default=0)
    # the divergence guard's cost at the start of the run
    reference_cost: float | None = checks.constrained(
        checks.Optional(checks.Real(non_negative=True)), default=None
    )
    history: History = field(default_factory=History)

    def check_consistency(self, prefix: str = "") -> None:
        """The counters agree with each other and with the history: one record for each epoch
        done, no more epochs without improvement than epochs, and a best accuracy that is an
        accuracy (or -1: none yet)."""
        done = len(self.history.records)
        if done != self.epoch:
            raise XentlabError(
                f"{prefix}epoch is {self.epoch}, but the history holds "
                f"{checks.plural(done, 'record')}: one is kept for each epoch done"
            )
        if self.epochs_without_improvement > self.epoch:
            raise XentlabError(
                f"{prefix}epochs_without_improvement ({self.epochs_without_improvement}) cannot "
                f"exceed the epochs done ({self.epoch})"
            )
        if self.best_accuracy != -1.0:
            checks.FRACTION.check(f"{prefix}best_accuracy", self.best_accuracy)

    @classmethod
    def start(cls, network: Network, config: TrainConfig) -> TrainState:
        """A new run: the seed's generator, η₀, nothing done yet."""
        return cls(network, config, np.random.default_rng(config.seed), config.eta)

    @property
    def finished(self) -> bool:
        return self.history.stop_reason is not None or self.epoch >= self.config.epochs


class Observer(Protocol):
    """Receives progress; may read the state but must not change it."""

    def on_batches(self, state: TrainState, done: int, total: int) -> None: ...

    def on_epoch(self, state: TrainState, record: EpochRecord) -> None: ...
