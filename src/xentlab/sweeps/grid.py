"""What a sweep trains: one run for every point of a grid of settings (or of several grids).

A grid names, for each setting it varies, the values to try::

    {"cost": ("quadratic", "cross-entropy"), "eta": (0.1, 0.5, 3.0), "seed": (1, 2, 3)}

and its points are every combination (2 × 3 × 3 = 18 runs here); a setting not named keeps
its default. The settings ("axes") are those ``xentlab.settings`` declares as offered to sweeps
(``cost``, ``hidden``, ``init``, ``dtype``, ``eta``, ``lmbda``, ``batch_size``, ``epochs``,
``seed``, ...). Each value is checked by the constraint its declaration gives, so a sweep allows
exactly what a run allows.

A sweep of several grids is their union: the book's three networks (a quadratic cost at η = 3
beside cross-entropy at η = 0.5) are no single product, but three small grids are.

Each point is one run, identified by :attr:`SweepPoint.id`, a hash of what decides its result
(data set, layer sizes and every setting that changes a result and is not at its default): the
same settings give the same id on any machine and with either kernel, so a sweep run again
finds what it has done.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import settings
from ..data import CLASSES, DATASETS, INPUTS
from ..errors import XentlabError
from ..formats import content_digest
from ..formats.checkpoint import fields_document
from ..model import check_training_memory
from ..runs import DEFAULT_DATASET, RunSpec
from ..settings import MAX_RUNS, SETTINGS, NetworkSettings, TrainConfig

CONFIRM_ABOVE = 100  # a sweep of more runs is only started when confirmed
ID_LENGTH = 16  # hexadecimal digits of SHA-256 kept: 64 bits, no collision in any real sweep
# The training settings of the first sweep format, whose ids hashed them all (SweepPoint.legacy_id)
LEGACY_CONFIG = (
    *("epochs", "batch_size", "eta", "lmbda", "regularization"),
    *("early_stop", "schedule", "seed", "kernel"),
)
LEGACY_NETWORK = ("cost", "hidden", "init", "dtype")  # and its network settings


# The settings a sweep may vary (xentlab.settings declares each, and what it allows), in the
# order of a grid's axes: the seed last, so that the seeds of one setting are neighbours.
AXES: tuple[str, ...] = (
    *(s.name for s in settings.offered("sweep") if s.name != "seed"),
    "seed",
)
SWEEP_KEYS = ("dataset", "grid")  # the other keys a sweep file may hold


class SweepTooLarge(XentlabError):
    """A sweep of more runs than are started without confirmation (CONFIRM_ABOVE)."""

    def __init__(self, runs: int, limit: int) -> None:
        super().__init__(
            f"the sweep has {runs:,} runs, more than the {limit} started without confirmation"
        )
        self.runs, self.limit = runs, limit


Grid = Mapping[str, tuple[Any, ...]]


@dataclass(frozen=True)
class SweepPoint:
    """One run of a sweep: everything that decides its result (and the kernel it asks for)."""

    dataset: str
    sizes: tuple[int, ...]
    network: NetworkSettings
    config: TrainConfig

    @property
    def cost(self) -> str:
        return self.network.cost

    @property
    def init(self) -> str:
        return self.network.init

    @property
    def dtype(self) -> str:
        return self.network.dtype

    @property
    def seed(self) -> int:
        return self.config.seed

    def document(self) -> dict[str, Any]:
        """The point as JSON-ready data: what its result file records (the hidden widths are
        in its sizes)."""
        network = {k: v for k, v in settings.document(self.network).items() if k != "hidden"}
        return {
            "dataset": self.dataset,
            "sizes": list(self.sizes),
            **network,
            "config": fields_document(self.config),
        }

    @property
    def id(self) -> str:
        """A stable name for the run: the first 16 hexadecimal digits of the SHA-256 of the
        canonical JSON (keys sorted, no spaces, as ``formats`` seals) of its data set, its
        sizes and every setting that changes a result and differs from its default. So the
        kernel (which changes rounding only) and the machine are not in it, and a setting
        added to xentlab later leaves the ids of existing runs as they were."""
        chosen = settings.document(self.network, self.config)
        changing = {
            name: value
            for name, value in chosen.items()
            if name != "hidden"
            and SETTINGS[name].declared.changes_result
            and value != _default(name)
        }
        return content_digest({"dataset": self.dataset, "sizes": list(self.sizes), **changing})[
            :ID_LENGTH
        ]

    @property
    def legacy_id(self) -> str | None:
        """The id xentlab 0.x before the settings schema gave this run (the hash of its whole
        :meth:`document`, the kernel included), so that a folder it made keeps resuming; None
        for a run that needs a setting it did not have."""
        config = fields_document(self.config)
        network = settings.document(self.network)
        added = {k for k in config if k not in LEGACY_CONFIG}
        added_network = {k for k in network if k not in LEGACY_NETWORK}
        if any(config[k] != _default(k) for k in added) or any(
            network[k] != _default(k) for k in added_network
        ):
            return None
        document = {k: v for k, v in self.document().items() if k not in added_network}
        document["config"] = {k: v for k, v in config.items() if k in LEGACY_CONFIG}
        return content_digest(document)[:ID_LENGTH]

    def setting(self) -> dict[str, Any]:
        """The point without its seed, flat: what the summary averages seeds over."""
        config = {k: v for k, v in fields_document(self.config).items() if k != "seed"}
        network = {k: v for k, v in settings.document(self.network).items() if k != "hidden"}
        return {"dataset": self.dataset, "sizes": self.sizes, **network, **config}

    def run_spec(self, data_dir: str | os.PathLike[str] | None = None) -> RunSpec:
        """The run this point describes, for ``xentlab.runs``."""
        return RunSpec(
            dataset=self.dataset,
            data_dir=data_dir,
            sizes=self.sizes,
            network=self.network,
            config=self.config,
            given=frozenset(settings.SETTINGS) - {"hidden"},
        )

    def describe(self, keys: Iterable[str] | None = None) -> str:
        """The point in a few words: ``keys`` of :meth:`setting` (default: all) and the seed."""
        setting = self.setting()
        shown = [k for k in (setting if keys is None else keys) if k in setting]
        words = [f"{LABELS.get(k, k)} {show_value(k, setting[k])}" for k in shown]
        return ", ".join([*words, f"seed {self.seed}"])


LABELS = {"sizes": "network", "eta": "η", "lmbda": "λ", "batch_size": "mini-batch"}


def show_value(key: str, value: Any) -> str:
    """A setting's value as a table shows it: sizes as [784, 30, 10], numbers with %g."""
    if key == "sizes":
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class SweepSpec:
    """A sweep: the data set and one or more grids (``{axis: values}``), whose points together
    are the runs. Values are checked and normalised on construction (3 and 3.0 are one η, so
    one run); an axis a grid leaves out takes its default. ``where`` prefixes messages (a
    sweep file's name)."""

    grids: tuple[Grid, ...]
    dataset: str = DEFAULT_DATASET
    where: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        prefix = f"{self.where}: " if self.where else ""
        try:
            DATASETS.check("dataset", self.dataset)
            if not self.grids:
                raise XentlabError("a sweep needs at least one grid")
            _check_runs(self.size())  # bounds first: the values are checked only then
            grids = tuple(
                _checked_grid(grid, f"grid {i + 1}: " if len(self.grids) > 1 else "")
                for i, grid in enumerate(self.grids)
            )
        except XentlabError as exc:
            raise XentlabError(f"{prefix}{exc}") from None
        object.__setattr__(self, "grids", grids)

    @classmethod
    def from_axes(
        cls, axes: Mapping[str, Any], dataset: str | None = None, where: str = ""
    ) -> SweepSpec:
        """One grid: ``axes`` maps each varied setting to a value or a list of values."""
        return cls((_as_grid(axes),), dataset or DEFAULT_DATASET, where)

    @classmethod
    def from_document(cls, document: Any, where: str = "") -> SweepSpec:
        """A sweep file's content: ``dataset`` (optional), axes shared by every grid, and
        optionally ``grid``, a list of tables of axes, one per grid (each table's axes replace
        the shared ones). Without ``grid``, the shared axes are the one grid."""
        prefix = f"{where}: " if where else ""
        if not isinstance(document, Mapping):
            raise XentlabError(f"{prefix}a sweep must be a table of settings")
        unknown = sorted(set(document) - set(AXES) - set(SWEEP_KEYS))
        if unknown:
            raise XentlabError(f"{prefix}{_unknown(unknown)}")
        dataset = document.get("dataset", DEFAULT_DATASET)
        shared = {k: v for k, v in document.items() if k in AXES}
        tables = document.get("grid", [{}])
        if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
            raise XentlabError(f"{prefix}grid must be a list of tables of settings")
        if not tables:
            raise XentlabError(f"{prefix}grid must hold at least one table; it is empty")
        grids = []
        for i, table in enumerate(tables):
            unknown = sorted(set(table) - set(AXES))
            if unknown:
                raise XentlabError(f"{prefix}grid {i + 1}: {_unknown(unknown)}")
            grids.append(_as_grid({**shared, **table}))
        return cls(tuple(grids), dataset, where)

    def overridden(self, axes: Mapping[str, Any], dataset: str | None = None) -> SweepSpec:
        """The same sweep with ``axes`` set to the values given in every grid (and another data
        set): `--epochs 1` over a sweep file, say."""
        given = _as_grid(axes)
        grids = tuple({**grid, **given} for grid in self.grids)
        return SweepSpec(grids, dataset or self.dataset, self.where)

    def size(self) -> int:
        """The number of runs before duplicates between grids are merged (an upper bound): the
        product of each grid's axis lengths, summed over the grids, computed without listing
        any point."""
        return sum(math.prod(len(values) for values in grid.values()) for grid in self.grids)

    def points(self) -> list[SweepPoint]:
        """Every run of the sweep, in grid order, each once (a point two grids share is run
        once). At most MAX_RUNS (checked on construction), and each point's network within
        the memory a worker allows (the estimate Network.create makes on the worker, made here
        first, before any cluster starts)."""
        points: dict[str, SweepPoint] = {}
        networks: set[tuple[tuple[int, ...], str]] = set()  # each checked once
        for grid in self.grids:
            axes = {axis: grid.get(axis, (_default(axis),)) for axis in AXES}
            for values in itertools.product(*axes.values()):
                point = self._point(dict(zip(axes, values, strict=True)))
                if (point.sizes, point.dtype) not in networks:
                    self._check_memory(point)
                    networks.add((point.sizes, point.dtype))
                points.setdefault(point.id, point)
        return list(points.values())

    def _check_memory(self, point: SweepPoint) -> None:
        try:
            check_training_memory(point.sizes, point.dtype)
        except XentlabError as exc:
            raise XentlabError(f"{self.where + ': ' if self.where else ''}{exc}") from None

    def _point(self, values: dict[str, Any]) -> SweepPoint:
        try:
            network, config = settings.split(values)  # the checks that span fields, if any
        except XentlabError as exc:
            raise XentlabError(f"{self.where + ': ' if self.where else ''}{exc}") from None
        sizes = (INPUTS[self.dataset], *network.hidden, CLASSES[self.dataset])
        return SweepPoint(self.dataset, sizes, network, config)

    def document(self) -> dict[str, Any]:
        """The sweep as JSON-ready data: its data set and grids."""
        return {
            "dataset": self.dataset,
            "grids": [{k: list(v) for k, v in grid.items()} for grid in self.grids],
        }


def _check_runs(runs: int) -> None:
    if runs > MAX_RUNS:
        raise XentlabError(f"the sweep has {runs:,} runs; at most {MAX_RUNS:,} are allowed")


def check_size(runs: int, confirmed: bool) -> None:
    """Refuse a sweep of more than CONFIRM_ABOVE runs unless ``confirmed``."""
    if runs > CONFIRM_ABOVE and not confirmed:
        raise SweepTooLarge(runs, CONFIRM_ABOVE)


def varying(points: Sequence[SweepPoint]) -> list[str]:
    """The keys of :meth:`SweepPoint.setting` whose value differs between ``points``."""
    settings = [p.setting() for p in points]
    return [k for k in settings[0] if len({repr(s[k]) for s in settings}) > 1] if settings else []


def _unknown(keys: Sequence[str]) -> str:
    return (
        f"unknown setting(s) {', '.join(map(repr, keys))}; a sweep may vary "
        f"{', '.join(AXES)} (and give the dataset)"
    )


def _default(axis: str) -> Any:
    """The value a setting takes where a grid leaves it out (as JSON has it: a list, not a
    tuple)."""
    default = SETTINGS[axis].default
    return list(default) if isinstance(default, tuple) else default


def _as_grid(axes: Mapping[str, Any]) -> dict[str, tuple[Any, ...]]:
    """``axes`` with each value a tuple of values: a list is the axis's values, anything else
    one value (so ``hidden = [30, 100]`` is two networks, ``hidden = [[60, 30]]`` one with two
    hidden layers). The values themselves are checked by :func:`_checked_grid`."""
    return {
        axis: tuple(value) if isinstance(value, (list, tuple)) else (value,)
        for axis, value in axes.items()
    }


def _checked_grid(grid: Grid, prefix: str) -> dict[str, tuple[Any, ...]]:
    """Each axis known, each value allowed by its constraint (and normalised: 3 → 3.0 for a
    real number, -0.0 → 0.0), at least one value per axis and none twice; in AXES order."""
    try:
        unknown = sorted(set(grid) - set(AXES))
        if unknown:
            raise XentlabError(_unknown(unknown))
        checked = {}
        for axis in AXES:
            if axis not in grid:
                continue
            values = grid[axis]
            if not values:
                raise XentlabError(f"{axis} must list at least one value; got none")
            normalised = tuple(_normalised(SETTINGS[axis].check(v)) for v in values)
            repeated = sorted({repr(v) for v in _repeated(normalised)})
            if repeated:
                raise XentlabError(f"{axis} lists {', '.join(repeated)} more than once")
            checked[axis] = normalised
    except XentlabError as exc:
        raise XentlabError(f"{prefix}{exc}") from None
    return checked


def _repeated(values: Sequence[Any]) -> list[Any]:
    """The values listed more than once (3 and 3.0 are one value), found in one pass."""
    seen: set[Any] = set()
    repeated = []
    for value in values:
        if value in seen:
            repeated.append(value)
        seen.add(value)
    return repeated


def _normalised(value: Any) -> Any:
    """One spelling per value, so that one run has one id: -0.0 is 0.0."""
    if isinstance(value, float):
        return value + 0.0
    return value
