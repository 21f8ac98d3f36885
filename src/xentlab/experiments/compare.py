"""The slowdown inside a real network: one network trained under several costs, from identical
initial weights and the identical order of mini-batches, so that the cost (and, for a
contender written ``quadratic/linear``, the output layer's activation) is the only difference
between the runs.

Under the quadratic cost the output layer's δ = (a − y) σ'(z) vanishes where an output is
saturated, however wrong it is; under cross-entropy (and log-likelihood with a softmax output)
δ = a − y is largest exactly there; so is a linear output's under the quadratic cost, a = z
having no σ'(z) to lose. The hidden layers' δ carries σ'(z) under every cost. Probes
(``training.probes``) record, every few mini-batches of the first epochs, the cost, validation
accuracy, the output layer's saturation and the per-layer |δ| and gradient norms, so a reader
sees where and when learning is slow. ``init="saturated"`` starts every output at a ≈ 1 (nine
in ten of them wrong): the network's version of the article's neuron started at (2, 2).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import checks, settings
from ..censored import CensoredMedian, censored_median
from ..data import DatasetCache
from ..errors import XentlabError
from ..files import register_output_kind
from ..runs import DatasetLoader, Run, RunSpec, prepare, train_together
from ..settings import SETTINGS, NetworkSettings, TrainConfig
from ..training import History, Observer, Probe, ProbeRecord, batches_per_epoch
from .contenders import labelled_costs

TARGET_ACCURACIES = (0.5, 0.8, 0.9)
BY_RUN = ("cost", "output", "eta", "seed")  # the settings a comparison sets run by run
MAX_RUNS = 100
DEFAULT_EPOCHS = 5  # a comparison's runs: enough to see the slow start, and short
# How a comparison's data is recognised (files.register_output_kind): the JSON of
# CompareResult.to_dict begins with its spec's costs, the CSV of its rows with these columns.
COMPARE_JSON_START = re.compile(rb'\s*\{\s*"spec"\s*:\s*\{\s*"costs"\s*:')
COMPARE_CSV_START = b"cost,seed,eta,batches,epochs,"


def written_as_comparison(head: bytes, tail: bytes) -> bool:
    """Whether a file beginning with ``head`` is a comparison's data, as JSON or CSV."""
    return COMPARE_JSON_START.match(head) is not None or head.startswith(COMPARE_CSV_START)


register_output_kind("data", written_as_comparison)


@dataclass(frozen=True)
class CompareSpec:
    """What to compare: ``costs``, the contenders, each written ``COST[/OUTPUT]`` (``quadratic``
    on the output it implies, ``quadratic/linear`` on a linear one; each once per seed of
    ``seeds``), at one common ``eta`` or one per contender (``{"quadratic": 3.0,
    "cross-entropy": 0.5}``); the network and data as for a run, with the settings
    (``xentlab.settings``) of ``network`` and ``config``, whose cost, output, η and seed the
    comparison sets run by run; probes every ``probe_every`` mini-batches during
    the first ``fine_epochs`` epochs, on the first ``probe_size`` training and validation
    examples. With ``probes_per_epoch`` the probes come about that many times an epoch instead,
    whatever the size of the data set. Checked when made: :meth:`of` takes settings and fields
    alike (``CompareSpec.of(init="saturated", epochs=2)``)."""

    costs: tuple[str, ...] = ("quadratic", "cross-entropy")
    eta: float | Mapping[str, float] = TrainConfig().eta
    dataset: str = "digits"
    data_dir: str | os.PathLike[str] | None = None
    sizes: tuple[int, ...] | None = None
    network: NetworkSettings = field(default_factory=NetworkSettings)
    config: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=DEFAULT_EPOCHS))
    seeds: tuple[int, ...] = (1,)
    probe_every: int = 10
    fine_epochs: int = 5
    probe_size: int = 1000
    probes_per_epoch: int | None = None  # if given, probe_every is chosen from the data
    # each cost's η, checked when the comparison is made
    _etas: dict[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Refuse a bad comparison before any training: the contenders (each cost and output
        by :func:`.contenders.labelled_costs`, none twice), and each η and seed by the
        constraint its setting declares."""
        # each contender as its label: quadratic/sigmoid is quadratic
        labels = tuple(cost.label for cost in labelled_costs(self.costs, "costs"))
        object.__setattr__(self, "costs", labels)
        if self.network.output is not None:
            raise XentlabError(
                "output is set contender by contender: write it after the cost "
                f"(quadratic/{self.network.output}), not as output"
            )
        etas = {}
        for cost in self.costs:
            if isinstance(self.eta, Mapping) and cost not in self.eta:
                raise XentlabError(
                    f"eta for {cost} is missing: give one η per cost, or one for all"
                )
            eta = self.eta[cost] if isinstance(self.eta, Mapping) else self.eta
            etas[cost] = float(SETTINGS["eta"].constraint.check(f"eta for {cost}", eta))
        object.__setattr__(self, "_etas", etas)
        if isinstance(self.eta, Mapping):
            extra = sorted(set(self.eta) - set(self.costs))
            if extra:
                raise XentlabError(f"eta given for costs not compared: {', '.join(extra)}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise XentlabError("seeds must be one or more different seeds")
        for seed in self.seeds:
            SETTINGS["seed"].check(seed)
        runs = len(self.costs) * len(self.seeds)
        if runs > MAX_RUNS:
            raise XentlabError(f"costs × seeds must be at most {MAX_RUNS} runs; got {runs}")
        checks.int_at_least("probe_every", self.probe_every, 1)
        checks.int_at_least("fine_epochs", self.fine_epochs, 0)
        checks.int_at_least("probe_size", self.probe_size, 1)
        if self.probes_per_epoch is not None:
            checks.int_at_least("probes_per_epoch", self.probes_per_epoch, 1)

    @classmethod
    def of(cls, **values: Any) -> CompareSpec:
        """The comparison with the settings among ``values`` (see ``xentlab.settings``) and
        the other fields as they are; epochs default to DEFAULT_EPOCHS."""
        known = {f.name for f in dataclasses.fields(cls)}  # its own eta and seeds come first
        fields = {k: v for k, v in values.items() if k in known}
        chosen = {k: v for k, v in values.items() if k not in known}
        network, config = settings.split({"epochs": DEFAULT_EPOCHS, **chosen})
        return cls(network=network, config=config, **fields)

    def eta_of(self, cost: str) -> float:
        """The learning rate of ``cost``'s runs."""
        if cost not in self._etas:
            raise XentlabError(f"{cost} is not one of the costs compared")
        return self._etas[cost]

    def document(self) -> dict[str, Any]:
        """The comparison as JSON-ready data (where its data lives left out): its costs first,
        then every setting of its runs but those it sets run by run."""
        by_run = BY_RUN
        return {
            "costs": list(self.costs),
            "eta": dict(self.eta) if isinstance(self.eta, Mapping) else self.eta,
            "dataset": self.dataset,
            "sizes": None if self.sizes is None else list(self.sizes),
            **{
                k: v
                for k, v in settings.document(self.network, self.config).items()
                if k not in by_run
            },
            "seeds": list(self.seeds),
            "probe_every": self.probe_every,
            "fine_epochs": self.fine_epochs,
            "probe_size": self.probe_size,
            "probes_per_epoch": self.probes_per_epoch,
        }

    def run_settings(self, cost: str, seed: int) -> dict[str, Any]:
        """The settings of the run of contender ``cost`` (COST[/OUTPUT]) and ``seed``."""
        chosen = settings.document(self.network, self.config)
        if self.sizes is not None:  # they name the hidden layers too
            del chosen["hidden"]
        name, _, output = cost.partition("/")
        return {
            **chosen,
            "cost": name,
            "output": output or None,
            "eta": self.eta_of(cost),
            "seed": seed,
        }

    def probe_interval(self, per_epoch: int) -> int:
        """The mini-batches between probes, for data of ``per_epoch`` mini-batches an epoch."""
        if self.probes_per_epoch is None:
            return self.probe_every
        return max(1, per_epoch // self.probes_per_epoch)


@dataclass(frozen=True)
class CostRun:
    """One run of the comparison: a cost and a seed, its probes and its history."""

    cost: str
    seed: int
    eta: float
    per_epoch: int  # mini-batches per epoch
    probes: tuple[ProbeRecord, ...]
    history: History
    test_accuracy: float
    kernel: str | None = None  # the epoch loop the run used (numpy or compiled)
    warnings: tuple[str, ...] = ()  # what went wrong though it finished (a dead network)

    def batches_to_reach(self, accuracy: float) -> int | None:
        """The first probed mini-batch count at which the validation accuracy on the probe
        sample reached ``accuracy``; None if it never did."""
        for probe in self.probes:
            if probe.validation_accuracy >= accuracy:
                return probe.batches
        return None


@dataclass(frozen=True)
class CompareResult:
    spec: CompareSpec
    runs: tuple[CostRun, ...]
    layer_sizes: tuple[int, ...] = field(default=())

    def of(self, cost: str) -> list[CostRun]:
        return [run for run in self.runs if run.cost == cost]

    def batches_to_reach(self, cost: str, accuracy: float) -> CensoredMedian:
        """The median over seeds of the mini-batches ``cost`` needed to reach ``accuracy``, a
        seed that never reached it counting as more than the mini-batches it trained (see
        :mod:`xentlab.censored`: exact, or a bound once half the seeds or more fall short)."""
        runs = self.of(cost)
        if not runs:
            raise XentlabError(f"{cost} is not one of the costs compared")
        budget = self.spec.config.epochs * runs[0].per_epoch
        return censored_median([run.batches_to_reach(accuracy) for run in runs], budget)

    def to_dict(self) -> dict[str, Any]:
        """Everything measured, as JSON-ready data."""
        return {
            "spec": self.spec.document(),
            "sizes": list(self.layer_sizes),
            "runs": [
                {
                    "cost": run.cost,
                    "seed": run.seed,
                    "eta": run.eta,
                    "batches_per_epoch": run.per_epoch,
                    "test_accuracy": run.test_accuracy,
                    "kernel": run.kernel,
                    "warnings": list(run.warnings),
                    "probes": [probe.__dict__ for probe in run.probes],
                }
                for run in self.runs
            ],
        }

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per probe of every run (for CSV)."""
        rows = []
        for run in self.runs:
            for probe in run.probes:
                row: dict[str, Any] = {"cost": run.cost, "seed": run.seed, "eta": run.eta}
                for key, value in probe.__dict__.items():
                    if isinstance(value, tuple):
                        row.update({f"{key}_{i + 1}": v for i, v in enumerate(value)})
                    else:
                        row[key] = value
                rows.append(row)
        return rows


def prepare_cost_run(
    spec: CompareSpec, cost: str, seed: int, load: DatasetLoader | None = None
) -> tuple[Run, Probe]:
    """One run of the comparison ready to train, with its probe, which has measured the start:
    the network of ``seed`` (its initial weights and its order of mini-batches are the seed's,
    whatever the cost) trained under ``cost``. Train it with ``run.train([probe, ...],
    chunk=probe.every)`` so that the probe is asked often enough. ``load`` reads the data (as
    for ``runs.prepare``)."""
    run = prepare(
        RunSpec.of(
            dataset=spec.dataset,
            data_dir=spec.data_dir,
            sizes=spec.sizes,
            **spec.run_settings(cost, seed),
        ),
        load,
    )
    per_epoch = batches_per_epoch(len(run.training.X), spec.config.batch_size)
    probe = Probe(
        run.training.head(spec.probe_size),
        run.validation.head(spec.probe_size),
        per_epoch,
        spec.probe_interval(per_epoch),
        spec.fine_epochs,
    )
    probe.start(run.state)
    return run, probe


def compare(
    spec: CompareSpec,
    observers_for: Callable[[str, int], Sequence[Observer]] | None = None,
) -> CompareResult:
    """Train every (cost, seed) pair of ``spec``; the runs of one seed share their initial
    weights and their order of mini-batches, and train together in one pass over the data
    (each to the bits it gets alone). ``observers_for(cost, seed)`` gives extra observers
    (progress) for each run. Returns what the probes measured."""
    results = []
    sizes: tuple[int, ...] = ()
    data = DatasetCache()  # one copy of the data for all the runs
    for seed in spec.seeds:
        prepared = [prepare_cost_run(spec, cost, seed, data.load) for cost in spec.costs]
        observers = [
            [probe, *(observers_for(cost, seed) if observers_for else ())]
            for cost, (_, probe) in zip(spec.costs, prepared, strict=True)
        ]
        runs = [run for run, _ in prepared]
        every = min(probe.every for _, probe in prepared)
        outcomes = train_together(runs, observers, chunk=every)
        for cost, (run, probe), outcome in zip(spec.costs, prepared, outcomes, strict=True):
            if isinstance(outcome, Exception):
                raise outcome
            sizes = run.state.network.sizes
            assert outcome.test_accuracy is not None  # a run without a stop request finishes
            results.append(
                CostRun(
                    cost,
                    seed,
                    spec.eta_of(cost),
                    probe.per_epoch,
                    tuple(probe.records),
                    outcome.history,
                    outcome.test_accuracy,
                    run.kernel,
                    outcome.warnings,
                )
            )
    return CompareResult(spec, tuple(results), sizes)
