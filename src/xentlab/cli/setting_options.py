"""The command line's options for the training settings, derived from ``xentlab.settings``.

Each setting a command offers becomes one option: ``--batch-size`` for ``batch_size``, read as
its kind (an integer, a number, a name among its choices, hidden-layer widths), with the
setting's help and default. A sweep's option takes a comma-separated list of values (``--seeds``
where the setting names one). Nothing here says what a value allows: the library checks it, by
the setting's declared constraint, and the message names the option.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection, Mapping
from typing import Any

from .. import checks, settings
from ..settings import FrontEnd, Setting
from .argument_types import hidden_layers, integer_lists, names, numbers

# How one value of each kind is read from its text, and how a list of them is.
ONE: dict[str, Callable[[str], Any]] = {
    "integer": int,
    "number": float,
    "name": str,
    "widths": lambda text: hidden_layers(text)[0],
}
MANY: dict[str, Callable[[str], Any]] = {
    "integer": integer_lists,
    "number": numbers,
    "name": names,
    "widths": hidden_layers,
}


def shown(value: Any) -> str:
    """A default as the help shows it: 0.5, (30,) as 30, 60:30 for two layers."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ":".join(map(str, value))
    return str(value)


def add_setting_options(
    container: argparse._ActionsContainer,
    front_end: FrontEnd,
    *,
    defaults: Mapping[str, Any] | None = None,
    many: bool = False,
    skip: Collection[str] = (),
    note: str = "",
    shown_defaults: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """An option for every setting ``front_end`` offers but those in ``skip``; returns their
    names (each option's dest). With ``defaults`` the options have those defaults (argparse
    shows them); without, every option defaults to None, so that a command can tell a value
    typed from one left out, and the help gives the setting's default followed by ``note``
    (", or the checkpoint's"), or the text ``shown_defaults`` gives for it."""
    added = []
    for setting in settings.offered(front_end):
        if setting.name in skip:
            continue
        container.add_argument(
            setting.many_option if many else setting.option,
            dest=setting.name,
            **_reading(setting, many),
            **_default_and_help(setting, defaults, many, note, shown_defaults or {}),
        )
        added.append(setting.name)
    return tuple(added)


def setting_values(
    args: argparse.Namespace, front_end: FrontEnd, skip: Collection[str] = ()
) -> dict[str, Any]:
    """{name: value} of the setting options of ``front_end`` (but those in ``skip``) that hold
    a value: given, or defaulted by :func:`add_setting_options`'s ``defaults``."""
    names = [s.name for s in settings.offered(front_end) if s.name not in skip]
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _reading(setting: Setting, many: bool) -> dict[str, Any]:
    """How argparse reads the option: its type, or its choices, and what the help calls it."""
    constraint = setting.constraint
    if not many and isinstance(constraint, checks.OneOf):
        return {"choices": constraint.values}
    metavar = setting.declared.metavar
    if many:
        metavar = {"integer": "N", "number": "VALUES", "name": "NAMES", "widths": "WIDTHS"}[
            setting.kind
        ]
        metavar = "SEEDS" if setting.name == "seed" else metavar
    reading: dict[str, Any] = {"type": (MANY if many else ONE)[setting.kind]}
    return {**reading, "metavar": metavar} if metavar else reading


def _default_and_help(
    setting: Setting,
    defaults: Mapping[str, Any] | None,
    many: bool,
    note: str,
    shown_defaults: Mapping[str, str],
) -> dict[str, Any]:
    described = setting.help
    constraint = setting.constraint
    if many and isinstance(constraint, checks.OneOf):
        described = f"{described}: from {', '.join(constraint.values)}"
    if defaults is not None:
        return {"default": defaults.get(setting.name, setting.default), "help": described}
    if setting.name in shown_defaults:
        return {"default": None, "help": f"{described} (default: {shown_defaults[setting.name]})"}
    if setting.default is None:  # its help says what no value means
        return {"default": None, "help": described}
    return {"default": None, "help": f"{described} (default: {shown(setting.default)}{note})"}
