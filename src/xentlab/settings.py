"""Every setting of a training run, declared once: the one place to add or change a setting.

A setting is a field of :class:`NetworkSettings` (what network is trained) or of
:class:`TrainConfig` (how it is trained), declared with :func:`setting`: its type, what it
allows (a ``checks`` constraint), its default, its help text and the front ends that offer it.
Everything else is derived from these declarations, with no other edit:

- the options of ``xentlab train``, ``compare`` and ``sweep`` (``--batch-size`` for
  ``batch_size``; a comma-separated list of values in a sweep), their help and defaults;
- the axes of a sweep, and which settings its run ids hash (those that change a result);
- the scikit-learn estimators' parameters and their validation;
- the page's race parameters;
- the checkpoint, which stores :class:`TrainConfig` field by field.

A value is checked once, where it enters: constructing a :class:`TrainConfig` (or
:class:`NetworkSettings`) checks every field against its declared constraint, so whatever holds
one can trust it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from . import checks
from .errors import XentlabError
from .functions import COST_NAMES, OUTPUTS, get_cost
from .kernel import KERNELS
from .model import DTYPES, INIT_MEANINGS, INITS, MAX_LAYER_SIZE, REGULARIZATIONS

FrontEnd = Literal["train", "compare", "sweep", "estimator", "race"]
FRONT_ENDS: tuple[FrontEnd, ...] = ("train", "compare", "sweep", "estimator", "race")
EVERYWHERE = frozenset(FRONT_ENDS)
# How a value is written as text (an option, a query string): each front end reads the kind.
Kind = Literal["integer", "number", "name", "widths"]

SCHEDULE_FLOOR = 128  # the schedule stops once η has fallen to η₀/128
MAX_EPOCHS = 100_000  # weeks of MNIST training; more is a typing mistake
# The most runs one sweep (a grid of these settings) may have: more is a typing mistake, and its
# list of points alone would be large. Declared here, not with the sweeps, so that what counts
# lists of settings (the command line's options) need not import the sweeps to know it.
MAX_RUNS = 10_000


@dataclass(frozen=True)
class HiddenLayers:
    """The widths of a network's hidden layers, first to last: one width (30), several
    ([60, 30]) or none ([]: the inputs feed the output layer). The input and output layers
    come from the data."""

    def check(self, name: str, value: Any) -> tuple[int, ...]:
        widths = value if isinstance(value, (list, tuple)) else (value,)
        width = checks.Integer(1, MAX_LAYER_SIZE)
        return tuple(width.check(name, w) for w in widths)


@dataclass(frozen=True)
class Declared:
    """What a :func:`setting` declares besides its type and default."""

    constraint: checks.Constraint
    help: str
    offered: frozenset[FrontEnd]
    changes_result: bool  # False: hashed into no sweep id (the kernel changes rounding only)
    many: str | None  # the option naming several values, where it differs (--seeds)
    metavar: str | None


def setting(
    constraint: checks.Constraint,
    default: Any,
    help: str,
    *,
    offered: frozenset[FrontEnd] = EVERYWHERE,
    changes_result: bool = True,
    many: str | None = None,
    metavar: str | None = None,
) -> Any:
    """A dataclass field that is a setting (see the module's docstring)."""
    declared = Declared(constraint, help, frozenset(offered), changes_result, many, metavar)
    return dataclasses.field(
        default=default, metadata={"constraint": constraint, "setting": declared}
    )


def _but(*front_ends: FrontEnd) -> frozenset[FrontEnd]:
    return EVERYWHERE - set(front_ends)


INIT_HELP = "; ".join(f"{name}: {meaning}" for name, meaning in INIT_MEANINGS.items())
KERNEL_HELP = (
    "the epoch loop: compiled (numba), numpy (the reference) or auto (compiled where numba "
    "is installed)"
)


@dataclass(frozen=True)
class NetworkSettings:
    """What network a run trains (its input and output layers come from the data)."""

    cost: str = setting(
        COST_NAMES, "cross-entropy", "the cost", offered=_but("race"), many="--costs"
    )
    hidden: tuple[int, ...] = setting(
        HiddenLayers(),
        (30,),
        "hidden-layer widths; widths joined by : make a deeper network (60:30)",
        offered=frozenset({"sweep", "estimator", "race"}),
        metavar="WIDTHS",
    )
    init: str = setting(INITS, "default", INIT_HELP)
    dtype: str = setting(DTYPES, "float32", "training precision", offered=_but("race"))
    # compare names each contender's output with its cost (quadratic/linear)
    output: str | None = setting(
        checks.Optional(OUTPUTS),
        None,
        f"the output layer: {', '.join(OUTPUTS)} (default: the cost's own, softmax for "
        "log-likelihood and sigmoid otherwise; linear goes with the quadratic cost only)",
        offered=_but("compare"),
        metavar="OUTPUT",
    )

    def __post_init__(self) -> None:
        checks.check_fields(self)
        get_cost(self.cost, output=self.output)  # the pair is refused by name if it does not go
        object.__setattr__(self, "hidden", HiddenLayers().check("hidden", self.hidden))  # 30: (30,)


@dataclass(frozen=True)
class TrainConfig:
    """How a run trains. ``early_stop=N``: stop after N epochs without a better evaluation
    (a higher accuracy on labelled data, a lower cost on targets). ``schedule=N``: halve η after
    each N such epochs, stop once η ≤ η₀/128."""

    epochs: int = setting(checks.Integer(1, MAX_EPOCHS), 30, "epochs")
    batch_size: int = setting(checks.Integer(1), 10, "mini-batch size")
    eta: float = setting(checks.Real(positive=True), 0.5, "learning rate η > 0")
    lmbda: float = setting(
        checks.Real(non_negative=True),
        0.0,
        "regularisation λ ≥ 0",
        offered=_but("compare", "race"),
    )
    regularization: str = setting(
        REGULARIZATIONS, "l2", "the weights' penalty", offered=_but("compare", "race")
    )
    early_stop: int | None = setting(
        checks.Optional(checks.Integer(1)),
        None,
        "stop after N epochs without a better validation accuracy (default: never)",
        offered=frozenset({"train", "sweep"}),
        metavar="N",
    )
    schedule: int | None = setting(
        checks.Optional(checks.Integer(1)),
        None,
        "halve η after N epochs without a better validation accuracy; stop at "
        f"η₀/{SCHEDULE_FLOOR} (default: a constant η)",
        offered=frozenset({"train", "sweep"}),
        metavar="N",
    )
    seed: int = setting(
        checks.Integer(0),
        0,
        "weights, shuffles and splits",
        offered=_but("estimator"),  # scikit-learn's own random_state stands for it there
        many="--seeds",
    )
    kernel: str = setting(KERNELS, "auto", KERNEL_HELP, changes_result=False)

    def __post_init__(self) -> None:
        checks.check_fields(self)


@dataclass(frozen=True)
class Setting:
    """One declared setting, as the front ends see it: ``owner`` is the class it belongs to."""

    name: str
    owner: type
    default: Any
    declared: Declared

    @property
    def constraint(self) -> checks.Constraint:
        return self.declared.constraint

    @property
    def help(self) -> str:
        return self.declared.help

    @property
    def option(self) -> str:
        """The command line's option for one value: --batch-size for batch_size."""
        return "--" + self.name.replace("_", "-")

    @property
    def many_option(self) -> str:
        """The option naming a list of values (a sweep's): --seeds for seed."""
        return self.declared.many or self.option

    @property
    def kind(self) -> Kind:
        """How a value of this setting is written as text."""
        constraint = self.constraint
        if isinstance(constraint, checks.Optional):
            constraint = constraint.constraint
        if isinstance(constraint, checks.Integer):
            return "integer"
        if isinstance(constraint, (checks.Real, checks.Interval)):
            return "number"
        if isinstance(constraint, HiddenLayers):
            return "widths"
        return "name"

    def offered_in(self, front_end: FrontEnd) -> bool:
        return front_end in self.declared.offered

    def check(self, value: Any) -> Any:
        """The value, checked (and converted) as the setting declares; XentlabError names it."""
        return self.constraint.check(self.name, value)


def _declared(cls: type) -> tuple[Setting, ...]:
    return tuple(
        Setting(f.name, cls, f.default, f.metadata["setting"])
        for f in dataclasses.fields(cls)
        if "setting" in f.metadata
    )


NETWORK_SETTINGS = _declared(NetworkSettings)
TRAINING_SETTINGS = _declared(TrainConfig)
SETTINGS: Mapping[str, Setting] = {s.name: s for s in (*NETWORK_SETTINGS, *TRAINING_SETTINGS)}


@dataclass(frozen=True)
class ShownSetting:
    """A setting of how results are shown, not of what is trained or how: it changes no
    result, so no run, checkpoint or sweep id records it. ``offered``: the commands (and the
    page's views) that take it."""

    name: str
    constraint: checks.OneOf
    default: str
    help: str
    offered: frozenset[str]

    @property
    def option(self) -> str:
        return "--" + self.name

    def check(self, value: Any) -> str:
        return self.constraint.check(self.name, value)


# The language of the words around the results: figures' titles, axes and legends, the
# report's and the derivations' prose, the page's derivation view.
LANGUAGE = ShownSetting(
    "lang",
    checks.OneOf(("en", "zh")),
    "en",
    "the words of figures and documents: en or zh (Chinese)",
    offered=frozenset(
        {
            *("neuron", "slowdown", "saturation", "compare", "sweep", "report", "derive"),
            "derivation view",
        }
    ),
)


def offered(front_end: FrontEnd) -> Iterator[Setting]:
    """The settings ``front_end`` offers, in declaration order."""
    return (s for s in SETTINGS.values() if s.offered_in(front_end))


def unknown_settings(names: Mapping[str, Any] | frozenset[str] | set[str]) -> None:
    """Refuse, by name, settings that are not declared."""
    unknown = sorted(set(names) - set(SETTINGS))
    if unknown:
        raise XentlabError(
            f"unknown setting(s) {', '.join(map(repr, unknown))}; known: {', '.join(SETTINGS)}"
        )


def partition(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``values`` parted into the settings and the rest (a spec's other fields)."""
    chosen = {k: v for k, v in values.items() if k in SETTINGS}
    return chosen, {k: v for k, v in values.items() if k not in SETTINGS}


def split(values: Mapping[str, Any]) -> tuple[NetworkSettings, TrainConfig]:
    """The settings ``values`` names (any of :data:`SETTINGS`; the others keep their
    defaults), each checked: an unknown one is refused by name."""
    unknown_settings(values)
    network = {k: v for k, v in values.items() if SETTINGS[k].owner is NetworkSettings}
    training = {k: v for k, v in values.items() if SETTINGS[k].owner is TrainConfig}
    return NetworkSettings(**network), TrainConfig(**training)


def document(*instances: Any) -> dict[str, Any]:
    """{name: value} of every setting of ``instances`` (JSON-ready: a tuple as a list)."""
    return {
        s.name: list(v) if isinstance(v := getattr(instance, s.name), tuple) else v
        for instance in instances
        for s in _declared(type(instance))
    }
