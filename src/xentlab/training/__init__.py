"""Training a network: the run state, the epoch loop with its observers, the divergence guard.

``state``: TrainConfig, TrainState, History, EpochRecord, the Observer protocol.
``loop``: fit (run or continue a state) on labelled data or targets, fit_group (several runs
in one pass over their data), train and train_many (the one-call forms), evaluate,
check_labelled and check_targets (data checked for a network).
``groups``: which runs can share a pass (group_key).
``guard``: the divergence guard and TrainingDiverged.
``diagnosis``: a run stalled in saturation, a dead network, said in one line.
``probes``: measurements within epochs (saturation, per-layer δ and gradients) as an observer.
``evaluator``: what the epochs and probes measure on a data set, by the NumPy reference or one
compiled pass over its compressed inputs (evaluator_for: one per data object).
"""

from .diagnosis import dead_network_warning, stall_warning
from .groups import group_key, grouped
from .guard import DivergenceGuard, TrainingDiverged
from .loop import (
    Trainee,
    batches_per_epoch,
    check_batch_size,
    check_labelled,
    check_targets,
    evaluate,
    fit,
    fit_group,
    train,
    train_many,
)
from .probes import Probe, ProbeRecord, measure
from .state import (
    MAX_EPOCHS,
    SCHEDULE_FLOOR,
    EpochRecord,
    History,
    Observer,
    TrainConfig,
    TrainState,
)

__all__ = [
    "MAX_EPOCHS",
    "SCHEDULE_FLOOR",
    "DivergenceGuard",
    "EpochRecord",
    "History",
    "Observer",
    "Probe",
    "ProbeRecord",
    "TrainConfig",
    "TrainState",
    "Trainee",
    "TrainingDiverged",
    "batches_per_epoch",
    "check_batch_size",
    "check_labelled",
    "check_targets",
    "dead_network_warning",
    "evaluate",
    "fit",
    "fit_group",
    "group_key",
    "grouped",
    "measure",
    "stall_warning",
    "train",
    "train_many",
]
