"""A training run from description to result: what every front end calls to train a network.

Describe the run (:class:`RunSpec`), :func:`prepare` it (data loaded, network built, started
from a saved network or restored from a checkpoint, everything checked and every output path
found writable before any training), then :meth:`Run.train` it with observers for progress and
an optional :class:`StopRequest`. The result says what was trained, how well, and where it was
saved.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..checks import plural
from ..data import CLASSES, INPUTS, Dataset, LabelledData, load_dataset
from ..errors import XentlabError
from ..files import check_distinct_targets, check_output_target
from ..formats import history_document, load_checkpoint, save_checkpoint
from ..formats.checkpoint import fields_document
from ..functions import get_cost
from ..kernel import resolve_kernel
from ..model import Network, check_sizes, check_training_memory
from ..training import (
    EpochRecord,
    History,
    Observer,
    Trainee,
    TrainingDiverged,
    TrainState,
    check_batch_size,
    check_labelled,
    dead_network_warning,
    evaluate,
)
from .network_files import SavedNetwork, load_saved_network, save_network_file
from .recorded import data_mismatches
from .run_spec import DEFAULT_DATASET, RESUMABLE_SETTINGS, RunSpec
from .sizes_fit import check_new_sizes, check_saved_sizes
from .stopping import RunStopped, StopRequest
from .together import train_together

# How a run gets its data: (name, data_dir, seed) -> Dataset. load_dataset reads the files each
# time; a process that trains many runs passes a data.DatasetCache's load instead.
DatasetLoader = Callable[[str, "str | os.PathLike[str] | None", int], Dataset]


@dataclass(frozen=True)
class RunResult:
    """What a run did. ``stopped``: it ended on a stop request (then ``test_accuracy`` is None
    and ``checkpoint`` says where to resume from, if it was saved). ``start``: the network
    measured before its first mini-batch, as epoch 0 (None for a resumed run)."""

    state: TrainState
    dataset: str
    stopped: bool
    test_accuracy: float | None
    checkpoint: str | os.PathLike[str] | None
    saved: str | os.PathLike[str] | None
    warnings: tuple[str, ...] = ()
    start: EpochRecord | None = None

    @property
    def network(self) -> Network:
        return self.state.network

    @property
    def history(self) -> History:
        return self.state.history


@dataclass
class Run:
    """A run ready to train: state, data and targets checked. ``data_info`` is what a
    checkpoint records about the data (name, split seed, size, fingerprint); ``warnings``, what
    a front end should say before training (a network started from was trained on other data,
    say)."""

    spec: RunSpec
    state: TrainState
    dataset: Dataset
    training: LabelledData
    validation: LabelledData
    data_info: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def resumed(self) -> bool:
        return self.spec.resume is not None

    @property
    def kernel(self) -> str:
        """The epoch loop this run uses: ``numpy`` or ``compiled`` (``auto`` was resolved when
        the run was prepared)."""
        return self.state.config.kernel

    @property
    def fresh(self) -> bool:
        """Whether no mini-batch has been trained yet (the start is then measured)."""
        return self.state.epoch == self.state.batch == 0

    @property
    def checkpoint_path(self) -> str | os.PathLike[str] | None:
        return _checkpoint_path(self.spec)

    def train(
        self,
        observers: Sequence[Observer] = (),
        stop: StopRequest | None = None,
        chunk: int | None = None,
    ) -> RunResult:
        """Train until the run is finished, diverges (TrainingDiverged, naming the last good
        checkpoint) or is asked to stop; save what was asked for. Observers (and a stop) are
        heard every ``chunk`` mini-batches (by default, ``training.CHUNK_EXAMPLES``
        examples' worth)."""
        outcome = train_together([self], [observers], stop, chunk)[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def trainee(self, observers: Sequence[Observer], stop: StopRequest | None) -> Trainee:
        """The run as a group's loop trains it."""
        saves = self.save_checkpoint if self.checkpoint_path is not None else None
        return Trainee(self.state, [*observers, *([stop] if stop else [])], saves)

    def finish(self, failure: Exception | None, start: EpochRecord | None) -> RunResult:
        """After training: what the run did (saved as asked), or its failure raised (a stop
        request is a result, saved to resume)."""
        state, path = self.state, self.checkpoint_path
        if isinstance(failure, RunStopped):
            path = path if path is not None else self.spec.stop_checkpoint
            if path is not None:
                check_output_target(path, "checkpoint", force=self.spec.force)
                save_checkpoint(state, path, self.data_info, force=self.spec.force)
            name = self.data_info["dataset"]
            return RunResult(state, name, True, None, path, None, start=start)
        if isinstance(failure, TrainingDiverged):
            if path and os.path.exists(path):
                raise XentlabError(f"{failure}; the last good checkpoint is {path}") from None
            raise failure
        if failure is not None:
            raise failure
        test = check_labelled(state.network, self.dataset.test.X, self.dataset.test.labels, "test")
        test_accuracy = state.network.accuracy(test.X, test.labels)
        if self.spec.save is not None:
            meta = {
                "dataset": self.data_info["dataset"],
                "config": fields_document(state.config),
                "history": history_document(state.history),
                "test_accuracy": test_accuracy,
            }
            if self.spec.start_from is not None:
                meta["started_from"] = os.fspath(self.spec.start_from)
            save_network_file(state.network, self.spec.save, meta, force=self.spec.force)
        name = self.data_info["dataset"]
        dead = dead_network_warning(state.network, self.validation, state.eta)
        warnings = (dead,) if dead else ()
        return RunResult(state, name, False, test_accuracy, path, self.spec.save, warnings, start)

    def measure_start(
        self, training: LabelledData | None = None, validation: LabelledData | None = None
    ) -> EpochRecord:
        """The network before training, measured as an epoch's end is (epoch 0), on the run's
        data or on ``training`` and ``validation`` given: the same data, as a group's pass
        shares them. Their evaluators are the ones the epochs use, so the data are made ready
        for measuring once, here, for every run of the group."""
        training = training if training is not None else self.training
        validation = validation if validation is not None else self.validation
        state, cfg = self.state, self.state.config
        regularization = (cfg.lmbda, len(training.X), cfg.regularization)
        cost, accuracy = evaluate(state.network, training, *regularization, cfg.kernel)
        val_cost, val_accuracy = evaluate(state.network, validation, *regularization, cfg.kernel)
        return EpochRecord(0, state.eta, cost, accuracy, val_cost, val_accuracy, 0.0)

    def save_checkpoint(self, state: TrainState) -> None:
        """Write the state to the run's checkpoint path."""
        path = self.checkpoint_path
        if path is None:
            raise XentlabError("this run has no checkpoint path")
        save_checkpoint(state, path, self.data_info, force=self.spec.force)


def prepare(spec: RunSpec, load: DatasetLoader | None = None) -> Run:
    """Load the data, build the network (or restore the checkpoint) and check everything a run
    needs before it starts, the checkpoint to resume (read before it is rewritten) and the
    output paths first: a bad setting fails now, not after hours. ``load`` reads the data set
    (default: data.load_dataset; see DatasetLoader)."""
    load = load or load_dataset
    _check_start_from(spec)
    saved = load_checkpoint(spec.resume) if spec.resume else None
    outputs = ((spec.save, "network"), (_checkpoint_path(spec), "checkpoint"))
    check_distinct_targets(outputs)  # first: one file named twice is the clearer message
    for path, kind in outputs:
        if path is not None:
            check_output_target(path, kind, force=spec.force)
    stop = spec.stop_checkpoint
    if _checkpoint_path(spec) is None and stop is not None and os.path.lexists(stop):
        check_output_target(stop, "checkpoint", force=spec.force)  # a file of the user's there
    state, dataset, info, warnings = _resumed(spec, load, *saved) if saved else _new(spec, load)
    # The kernel is resolved once, here ("compiled" without numba fails now, saying how to fix
    # it), and the run records the one it uses: the header, the checkpoint, the saved network.
    kernel = resolve_kernel(state.config.kernel, state.network.cost)
    state.config = dataclasses.replace(state.config, kernel=kernel)
    network, config = state.network, state.config
    training = check_labelled(network, dataset.train.X, dataset.train.labels, "training")
    validation = check_labelled(
        network, dataset.validation.X, dataset.validation.labels, "validation"
    )
    check_batch_size(config, len(training.X))
    fingerprint = training.fingerprint()
    if spec.resume and info.get("fingerprint") != fingerprint:
        raise XentlabError(
            f"{spec.resume} was made on other {info['dataset']} data (its fingerprint differs)"
        )
    info = {**info, "n": len(training.X), "fingerprint": fingerprint}
    run = Run(spec, state, dataset, training, validation, info, tuple(warnings))
    if spec.checkpoint_every is not None and not run.checkpoint_path:
        raise XentlabError("checkpoint_every needs a checkpoint path (checkpoint or resume)")
    return run


def _checkpoint_path(spec: RunSpec) -> str | os.PathLike[str] | None:
    """Where the run's checkpoint goes: ``checkpoint``, else the ``resume`` path, else none."""
    return spec.checkpoint if spec.checkpoint is not None else spec.resume


def _new(
    spec: RunSpec, load: DatasetLoader
) -> tuple[TrainState, Dataset, dict[str, Any], list[str]]:
    name = spec.dataset or DEFAULT_DATASET
    config = spec.config
    start_from = spec.start_from
    saved = load_saved_network(start_from) if start_from is not None else None
    started = _started_network(spec, saved) if saved is not None else None
    warnings = (
        data_mismatches(saved.path, saved.meta, name, config.seed, "trained further on")
        if saved is not None
        else []
    )
    if start_from is None:
        _check_memory_before_loading(spec, name)
    dataset = load(name, spec.data_dir, config.seed)
    features = dataset.train.X.shape[1]
    if start_from is not None and started is not None:
        sizes = started.sizes
        check_saved_sizes(start_from, sizes, name, features, dataset.n_classes)
    elif spec.sizes is not None:
        if spec.given_value("hidden") is not None:
            raise XentlabError("give sizes or hidden, not both: sizes name every layer")
        sizes = check_sizes(spec.sizes)
        check_new_sizes(sizes, name, features, dataset.n_classes)
    else:
        sizes = (features, *spec.network.hidden, dataset.n_classes)
    network = started or Network.create(
        sizes,
        spec.network.cost,
        spec.network.init,
        config.seed,
        spec.network.dtype,
        spec.network.output,
    )
    info = {"dataset": name, "split_seed": config.seed}
    return TrainState.start(network, config), dataset, info, warnings


def _check_memory_before_loading(spec: RunSpec, name: str) -> None:
    """Refuse a new network too large to train before its data are read (MNIST takes a second
    or more): its sizes are those given, or the data set's declared inputs and classes around
    the hidden widths; the estimate is Network.create's."""
    if spec.sizes is not None:
        sizes = check_sizes(spec.sizes)
    elif name in INPUTS:
        sizes = (INPUTS[name], *spec.network.hidden, CLASSES[name])
    else:  # an unknown data set: load names it
        return
    check_training_memory(sizes, spec.network.dtype)


def _check_start_from(spec: RunSpec) -> None:
    """What cannot go with ``start_from``, named before anything is read."""
    if spec.start_from is None:
        return
    if spec.resume is not None:
        raise XentlabError(
            "start_from must not be combined with resume: resume continues the run a "
            "checkpoint holds, start_from begins a new run from a saved network"
        )
    if spec.given_value("init") is not None:
        raise XentlabError(
            f"init must not be given with start_from: the weights come from {spec.start_from}"
        )


def _started_network(spec: RunSpec, file: SavedNetwork) -> Network:
    """The network saved in ``file``, under the spec's cost and in its dtype where given; sizes
    given must be the saved network's."""
    saved, path = file.network, file.path
    if spec.sizes is not None and tuple(spec.sizes) != saved.sizes:
        raise XentlabError(
            f"sizes must be those of the network started from: {path} holds "
            f"{','.join(map(str, saved.sizes))}, not {','.join(map(str, spec.sizes))}"
        )
    cost_name, dtype_name = spec.given_value("cost"), spec.given_value("dtype")
    output = spec.given_value("output")
    cost = saved.cost  # its output too: a cost given alone brings the output it implies
    if cost_name is not None or output is not None:
        cost = get_cost(cost if cost_name is None else cost_name, output=output)
    dtype = np.dtype(dtype_name) if dtype_name is not None else saved.dtype
    weights = [W.astype(dtype, copy=False) for W in saved.weights]
    biases = [b.astype(dtype, copy=False) for b in saved.biases]
    return Network(saved.sizes, weights, biases, cost)


def _resumed(
    spec: RunSpec, load: DatasetLoader, state: TrainState, info: dict[str, Any]
) -> tuple[TrainState, Dataset, dict[str, Any], list[str]]:
    name: Any = spec.dataset or info.get("dataset")
    if name != info.get("dataset"):
        raise XentlabError(
            f"{spec.resume} was made on {info.get('dataset')!r}, not {name!r}; "
            "resume it on the same data set"
        )
    if spec.sizes is not None and tuple(spec.sizes) != state.network.sizes:
        raise XentlabError(
            f"{spec.resume} holds a network with sizes "
            f"{','.join(map(str, state.network.sizes))}, not {','.join(map(str, spec.sizes))}"
        )
    _check_resume_settings(spec, state)  # before the data is read: they need only the file
    dataset = load(name, spec.data_dir, info.get("split_seed", 0))
    changes = {k: v for k, v in spec.given_settings.items() if k in RESUMABLE_SETTINGS}
    state.config = dataclasses.replace(state.config, **changes)
    return state, dataset, info, []


def _check_resume_settings(spec: RunSpec, state: TrainState) -> None:
    """Refuse, naming each one, the settings given with ``resume`` that differ from the
    checkpoint's: a resumed run is the saved run continued, not a new one."""
    network = state.network
    saved = {
        **fields_document(state.config),
        "cost": network.cost.name,
        "output": str(network.cost.output),
        "dtype": network.dtype.name,
        "hidden": list(network.sizes[1:-1]),
    }
    conflicts = [
        f"init {value!r} (a resumed run keeps its weights)"
        if key == "init"
        else f"{key} {value!r} (saved: {saved[key]!r})"
        for key, value in spec.given_settings.items()
        if key not in RESUMABLE_SETTINGS and value != saved.get(key)
    ]
    if conflicts:
        raise XentlabError(
            f"{spec.resume} was saved with other settings: {'; '.join(conflicts)}; only "
            f"{' and '.join(RESUMABLE_SETTINGS)} may change when a run is resumed"
        )
    _check_epochs_left(spec, state)


def _check_epochs_left(spec: RunSpec, state: TrainState) -> None:
    """A resumed run may be given more epochs, or fewer, but never fewer than it has trained:
    it cannot be wound back, and must not seem to end where it is not."""
    epochs = spec.given_value("epochs")
    done, batch = state.epoch, state.batch
    least = done + 1 if batch else done  # a run in mid-epoch finishes that epoch at least
    if epochs is None or epochs >= least:
        return
    into = f" and {batch} of the mini-batches of epoch {done + 1}" if batch else ""
    raise XentlabError(
        f"epochs must be at least {least} to resume {spec.resume}: it has already trained "
        f"{plural(done, 'epoch')}{into}; got {epochs}"
    )
