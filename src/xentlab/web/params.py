"""The parameters each endpoint takes, declared once with the library's constraints.

A query string is text: each value is read as the kind of thing it names (an integer, a number,
a name), then checked by the same constraint objects the library uses (``checks.Integer``,
``checks.Interval``, ``checks.OneOf``), so a bad request gets the library's one-line message
naming the parameter, the value and what is allowed. Unknown and repeated parameters are refused
too: a typo (``epoch=5``) must not silently fall back to a default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import checks
from ..errors import XentlabError
from ..experiments import ARTICLE_STARTS, COMMON_ETA
from ..neuron import BOTH, NEURON_COST_CHOICES
from .limits import Limits

MAX_VALUE_LENGTH = 100  # characters of one value: more is not a number anyone typed
RACE_DATASETS = checks.OneOf(("digits", "mnist"))
RACE_INITS = checks.OneOf(("default", "saturated"))
MAX_SEED = 2**32 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")  # no longer than MAX_VALUE_LENGTH


def integer(text: str) -> int:
    """An integer written in decimal digits (no exponent, no fraction)."""
    if not _INTEGER.fullmatch(text):
        raise ValueError
    return int(text)


def number(text: str) -> float:
    """A decimal number (1, -0.5, 2e-3); NaN and infinity are read here and refused later."""
    return float(text)


def name(text: str) -> str:
    return text


@dataclass(frozen=True)
class Parameter:
    """One query parameter: its name, how its text is read, what it allows, its default."""

    name: str
    read: Callable[[str], Any]
    constraint: checks.Constraint
    default: Any

    def accept(self, value: Any) -> Any:
        """The value, checked: text (from a query string) is read first; a JSON number or
        name is checked as it is."""
        if isinstance(value, str):
            if len(value) > MAX_VALUE_LENGTH:
                raise XentlabError(
                    f"{self.name} must be at most {MAX_VALUE_LENGTH} characters; got {len(value)}"
                )
            try:
                value = self.read(value)
            except ValueError:
                kind = "an integer" if self.read is integer else "a number"
                raise XentlabError(f"{self.name} must be {kind}; got {value!r}") from None
        return self.constraint.check(self.name, value)

    def describe(self) -> dict[str, Any]:
        """What the page needs to build a control: the default and the bounds or choices."""
        c = self.constraint
        shown: dict[str, Any] = {"default": self.default}
        if isinstance(c, checks.Interval):
            shown.update(min=c.low, max=c.high, open_min=c.open_low)
        elif isinstance(c, checks.Integer):
            shown.update(min=c.minimum, max=c.maximum)
        elif isinstance(c, checks.OneOf):
            shown.update(choices=list(c.values))
        return shown


def read_values(
    pairs: Sequence[tuple[str, Any]], parameters: Sequence[Parameter]
) -> dict[str, Any]:
    """Every parameter's value, from (name, value) pairs (a query string's, or a JSON
    object's items) or its default; an unknown, repeated or bad one raises XentlabError with a
    message for the page."""
    known = {p.name: p for p in parameters}
    given: dict[str, Any] = {}
    for key, value in pairs:
        if key not in known:
            raise XentlabError(
                f"unknown parameter {key[:MAX_VALUE_LENGTH]!r}; this endpoint takes "
                f"{', '.join(known)}"
            )
        if key in given:
            raise XentlabError(f"{key} is given twice; give it once")
        given[key] = value
    return {p.name: p.accept(given[p.name]) if p.name in given else p.default for p in parameters}


def describe(parameters: Sequence[Parameter]) -> dict[str, dict[str, Any]]:
    return {p.name: p.describe() for p in parameters}


def neuron_parameters(limits: Limits) -> tuple[Parameter, ...]:
    """One neuron trained from (w, b) on one example (x, y): the article's saturated start by
    default."""
    w, b = ARTICLE_STARTS[-1]
    start = limits.neuron_start
    return (
        Parameter("w", number, checks.Interval(-start, start), w),
        Parameter("b", number, checks.Interval(-start, start), b),
        Parameter("x", number, checks.Interval(-limits.neuron_input, limits.neuron_input), 1.0),
        Parameter("y", number, checks.Interval(0.0, 1.0), 0.0),
        Parameter(
            "eta", number, checks.Interval(0.0, limits.neuron_eta, open_low=True), COMMON_ETA
        ),
        Parameter("epochs", integer, checks.Integer(1, limits.neuron_epochs), 300),
        Parameter("cost", name, NEURON_COST_CHOICES, BOTH),
    )


def map_parameters(limits: Limits) -> tuple[Parameter, ...]:
    """The saturation map over [−limit, limit]² (the article's neuron, x = 1, y = 0)."""
    return (
        Parameter("points", integer, checks.Integer(2, limits.map_points), 201),
        Parameter("limit", number, checks.Interval(0.0, limits.map_limit, open_low=True), 6.0),
        Parameter("eta", number, checks.Interval(0.0, limits.map_eta, open_low=True), COMMON_ETA),
        Parameter("epochs", integer, checks.Integer(1, limits.map_epochs), 300),
    )


def race_parameters(limits: Limits) -> tuple[Parameter, ...]:
    """A network with one hidden layer trained under both costs from the same start."""
    return (
        Parameter("dataset", name, RACE_DATASETS, "digits"),
        Parameter("init", name, RACE_INITS, "saturated"),
        Parameter("epochs", integer, checks.Integer(1, limits.race_epochs), 10),
        Parameter("eta", number, checks.Interval(0.0, limits.race_eta, open_low=True), 0.5),
        Parameter("hidden", integer, checks.Integer(1, limits.race_hidden), 30),
        Parameter("batch_size", integer, checks.Integer(1, limits.race_batch_size), 10),
        Parameter("seed", integer, checks.Integer(0, MAX_SEED), 1),
        Parameter("pace", number, checks.Interval(0.0, limits.race_pace), 0.0),
    )
