"""The run layer: what the front ends that train a named data set (the CLI, the page, sweeps)
call. The scikit-learn estimators train the arrays they are given with ``training.fit``
directly, under the same settings (``xentlab.settings``).

``run_spec``: describe a run (RunSpec: its typed settings and which were given).
``training_run``: prepare a run (Run), train it (RunResult).
``stopping``: StopRequest, the flag a front end sets to end a run at a mini-batch boundary.
``evaluation``: a saved network's accuracy and confusion matrix on a split.
``file_kinds``: which reader a user's file needs.
``network_files``: a saved network, JSON or safetensors: load, save, export.
``sizes_fit``: whether layer sizes fit a data set, and the fix when they do not.
"""

from .evaluation import SPLITS, Evaluation, confusion_matrix, evaluate_saved
from .file_kinds import FILE_KINDS, file_kind
from .network_files import (
    EXPORT_SUFFIXES,
    SavedNetwork,
    export_network,
    load_saved_network,
    save_network_file,
)
from .run_spec import (
    DEFAULT_COST,
    DEFAULT_DATASET,
    DEFAULT_DTYPE,
    DEFAULT_HIDDEN,
    DEFAULT_INIT,
    RESUMABLE_SETTINGS,
    RunSpec,
)
from .stopping import RunStopped, StopRequest
from .together import train_together
from .training_run import DatasetLoader, Run, RunResult, prepare

__all__ = [
    "DEFAULT_COST",
    "DEFAULT_DATASET",
    "DEFAULT_DTYPE",
    "DEFAULT_HIDDEN",
    "DEFAULT_INIT",
    "EXPORT_SUFFIXES",
    "RESUMABLE_SETTINGS",
    "FILE_KINDS",
    "SPLITS",
    "DatasetLoader",
    "Evaluation",
    "Run",
    "RunResult",
    "RunSpec",
    "RunStopped",
    "SavedNetwork",
    "StopRequest",
    "confusion_matrix",
    "evaluate_saved",
    "export_network",
    "file_kind",
    "load_saved_network",
    "prepare",
    "save_network_file",
    "train_together",
]
