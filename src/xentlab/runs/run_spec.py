"""What to train, described: :class:`RunSpec`, the settings it carries and what was given."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from .. import settings
from ..settings import NetworkSettings, TrainConfig

DEFAULT_DATASET = "digits"  # embedded in scikit-learn: a run needs no download
_NETWORK = NetworkSettings()  # the schema's defaults, named for the front ends' help texts
DEFAULT_HIDDEN = _NETWORK.hidden[0]
DEFAULT_COST = _NETWORK.cost
DEFAULT_INIT = _NETWORK.init
DEFAULT_DTYPE = _NETWORK.dtype
# Settings a resumed run may change: the number of epochs, to extend (or end sooner) a run, and
# the kernel, which changes no result but its rounding (a resumed run is then bit-identical to
# an uninterrupted one only if both ran the same kernel, on the same machine).
RESUMABLE_SETTINGS = ("epochs", "kernel")


@dataclass(frozen=True)
class RunSpec:
    """What to train: a new run, or with ``resume`` the run a checkpoint holds.

    A new run uses ``dataset`` (default digits), ``sizes`` (default: the data's inputs, the
    hidden widths of ``network``, its classes) and the settings (``xentlab.settings``):
    ``network`` (cost, hidden widths, init, dtype) and ``config`` (epochs, eta, ..., kernel).
    ``given`` names the settings the user gave (default: those that differ from their
    defaults); :meth:`of` takes settings and fields alike. A resumed run takes all of
    its settings from the checkpoint: one given as well must agree with it, except the
    RESUMABLE_SETTINGS (epochs, kernel), which change the run; ``init`` cannot be given (the
    weights exist).

    ``start_from``: a new run whose network is the one saved there (xentlab's JSON, or a
    .safetensors file, from PyTorch say) instead of a freshly initialised one: its sizes (which
    must fit the data; ``sizes``, if given, must be the same), and its cost and dtype unless
    ``cost`` or ``dtype`` are given (a safetensors file that records no cost starts under
    cross-entropy). ``init`` and ``resume`` cannot be given with it.

    ``checkpoint`` (default: the ``resume`` path) is rewritten after every epoch and every
    ``checkpoint_every`` mini-batches; ``save`` receives the trained network (a safetensors
    file if its name ends in .safetensors, else JSON); a run stopped on request is saved to
    ``checkpoint``, or failing that to ``stop_checkpoint``. A file already at one of these
    paths must be one xentlab wrote of that kind (a network, a checkpoint), unless ``force``:
    only then is a file of the user's replaced.
    """

    dataset: str | None = None
    data_dir: str | os.PathLike[str] | None = None
    sizes: tuple[int, ...] | None = None
    network: NetworkSettings = field(default_factory=NetworkSettings)
    config: TrainConfig = field(default_factory=TrainConfig)
    given: frozenset[str] | None = None
    resume: str | os.PathLike[str] | None = None
    checkpoint: str | os.PathLike[str] | None = None
    checkpoint_every: int | None = None
    save: str | os.PathLike[str] | None = None
    stop_checkpoint: str | os.PathLike[str] | None = None
    start_from: str | os.PathLike[str] | None = None
    force: bool = False

    def __post_init__(self) -> None:
        if self.given is not None:
            settings.unknown_settings(set(self.given))
            object.__setattr__(self, "given", frozenset(self.given))

    @classmethod
    def of(cls, **values: Any) -> RunSpec:
        """The spec with the settings among ``values`` given (each checked; see
        ``xentlab.settings``) and the other fields as they are: ``RunSpec.of(epochs=10,
        cost="quadratic", checkpoint="run.ckpt")``."""
        chosen, fields = settings.partition(values)
        settings.unknown_settings({k for k in fields if k not in SPEC_FIELDS})
        network, config = settings.split(chosen)
        return cls(network=network, config=config, given=frozenset(chosen), **fields)

    @property
    def given_settings(self) -> dict[str, Any]:
        """{name: value} of the settings the user gave."""
        chosen = settings.document(self.network, self.config)
        if self.given is not None:
            return {k: v for k, v in chosen.items() if k in self.given}
        defaults = settings.document(NetworkSettings(), TrainConfig())
        return {k: v for k, v in chosen.items() if v != defaults[k]}

    def given_value(self, name: str) -> Any:
        """The setting ``name`` as given (a list of widths as a tuple), or None if not given."""
        value = self.given_settings.get(name)
        return tuple(value) if isinstance(value, list) else value


SPEC_FIELDS = frozenset(f.name for f in dataclasses.fields(RunSpec))
