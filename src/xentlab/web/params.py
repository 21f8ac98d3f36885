"""How a view declares its parameters and how a request's values are read and checked.

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

MAX_VALUE_LENGTH = 100  # characters of one value: more is not a number anyone typed
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
        elif isinstance(c, checks.Optional) and isinstance(c.constraint, checks.OneOf):
            shown.update(choices=list(c.constraint.values), optional=True)  # or none at all
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
