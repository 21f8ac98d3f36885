"""Validation at the library's boundary: each check names the parameter, the value and the rule.

Checked once where data enters (the neuron trainer, the network, the data readers, the CLI), so
the inner loops can trust their arrays.

What a parameter allows is declared once, as a constraint object (in the spirit of
scikit-learn's parameter constraints): :class:`OneOf` for names (a cost, an init, a dtype),
:class:`Integer`, :class:`Real` and :class:`Interval` for numbers, :class:`Optional` for "or
None". A dataclass declares its fields' constraints with :func:`constrained`, and
:func:`check_fields` checks an instance against them, so the settings of a run and the fields of
a saved file are checked by the same table; the page's requests are checked by the same
objects.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import XentlabError


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Constraint(Protocol):
    """What one parameter allows: ``check`` returns the value (converted) or raises."""

    def check(self, name: str, value: Any) -> Any: ...


@dataclasses.dataclass(frozen=True)
class OneOf:
    """One of a fixed set of names; iterable, so it can serve as argparse ``choices`` too."""

    values: tuple[str, ...]

    def check(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise XentlabError(
                f"{name} must be one of {', '.join(self.values)}; got {_show(value)}"
            )
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __contains__(self, value: object) -> bool:
        return value in self.values


@dataclasses.dataclass(frozen=True)
class Integer:
    """An integer ≥ ``minimum`` and, if given, ≤ ``maximum`` (bool refused)."""

    minimum: int
    maximum: int | None = None

    def check(self, name: str, value: Any) -> int:
        number = int_at_least(name, value, self.minimum)
        if self.maximum is not None and number > self.maximum:
            raise XentlabError(f"{name} must be at most {self.maximum}; got {number}")
        return number


@dataclasses.dataclass(frozen=True)
class Real:
    """A finite real number; ``positive``: > 0, ``non_negative``: ≥ 0."""

    positive: bool = False
    non_negative: bool = False

    def check(self, name: str, value: Any) -> float:
        if self.positive:
            return positive_number(name, value)
        if self.non_negative:
            return non_negative_number(name, value)
        return real_number(name, value)


@dataclasses.dataclass(frozen=True)
class Interval:
    """A finite real number in [``low``, ``high``], or in (``low``, ``high``] with
    ``open_low`` (a learning rate: > 0, and not absurdly large)."""

    low: float
    high: float
    open_low: bool = False

    def check(self, name: str, value: Any) -> float:
        number = real_number(name, value)
        if number < self.low or number > self.high or (self.open_low and number == self.low):
            bracket = "(" if self.open_low else "["
            raise XentlabError(
                f"{name} must be a number in {bracket}{self.low:g}, {self.high:g}]; "
                f"got {_show(value)}"
            )
        return number


FRACTION = Interval(0.0, 1.0)  # an accuracy, a share of outputs: a number in [0, 1]


@dataclasses.dataclass(frozen=True)
class Optional:
    """None, or a value that ``constraint`` allows."""

    constraint: Constraint

    def check(self, name: str, value: Any) -> Any:
        return None if value is None else self.constraint.check(name, value)


@dataclasses.dataclass(frozen=True)
class Text:
    """Any string (a stop reason, say)."""

    def check(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise XentlabError(f"{name} must be text; got {_show(value)}")
        return value


def constrained(constraint: Constraint, **kwargs: Any) -> Any:
    """A dataclass field that declares what it allows (checked by :func:`check_fields`)."""
    return dataclasses.field(metadata={"constraint": constraint}, **kwargs)


def check_fields(instance: Any, prefix: str = "") -> None:
    """Check every field of a dataclass instance that declares a constraint; the message names
    the field (after ``prefix``, e.g. "history "). Then, if the class has a method
    ``check_consistency(prefix)``, the rules that join its fields (a history's epochs run
    1, 2, ...; a part of a fraction is no larger than it), so every reader applies them too."""
    for f in dataclasses.fields(instance):
        constraint = f.metadata.get("constraint")
        if constraint is not None:
            constraint.check(prefix + f.name, getattr(instance, f.name))
    consistent = getattr(instance, "check_consistency", None)
    if consistent is not None:
        consistent(prefix)


def positive_number(name: str, value: Any) -> float:
    """A finite real number > 0 (a learning rate, say)."""
    number = real_number(name, value)
    if number <= 0:
        raise XentlabError(f"{name} must be a finite number > 0; got {_show(value)}")
    return number


def non_negative_number(name: str, value: Any) -> float:
    """A finite real number ≥ 0 (a regularisation strength, say)."""
    number = real_number(name, value)
    if number < 0:
        raise XentlabError(f"{name} must be a finite number >= 0; got {_show(value)}")
    return number


def real_number(name: str, value: Any) -> float:
    """A finite real number (bool is refused: True is not a learning rate)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise XentlabError(f"{name} must be a finite number; got {_show(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float (a JSON file may hold one)
        number = math.inf
    if not math.isfinite(number):
        raise XentlabError(f"{name} must be a finite number; got {_show(value)}")
    return number


def int_at_least(name: str, value: Any, minimum: int) -> int:
    """An integer ≥ minimum (epochs, batch size...)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise XentlabError(f"{name} must be an integer >= {minimum}; got {_show(value)}")
    if value < minimum:
        raise XentlabError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def plural(count: int, noun: str) -> str:
    """'1 epoch', '2 epochs': a count with its noun in the right number."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def size_text(n_bytes: float) -> str:
    """A byte count as people read it: 512 B, 3.0 MiB, 1.2 GiB."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{int(n_bytes)} B"


def within_memory(what: str, n_bytes: float, limit: int, advice: str) -> None:
    """Refuse, before allocating anything, work whose arrays would need more than ``limit``
    bytes; the message gives the estimate, the limit and what to change."""
    if n_bytes > limit:
        raise XentlabError(
            f"{what} would need about {size_text(n_bytes)} of memory; xentlab allows "
            f"{size_text(limit)}: {advice}"
        )


def finite_array(name: str, value: ArrayLike, dtype: Any = np.float64) -> NDArray[Any]:
    """A numeric array with no NaN or infinity, converted to ``dtype``."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested lists, say
        raise XentlabError(f"{name} must be a numeric array; {exc}") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
    ):
        raise XentlabError(f"{name} must be a numeric array; got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise XentlabError(f"{name} must be real; got dtype {array.dtype}")
    if array.size == 0:
        raise XentlabError(f"{name} must not be empty; got shape {array.shape}")
    array = array.astype(dtype, copy=False)
    if not np.isfinite(array).all():
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise XentlabError(
            f"{name} must be finite; it holds {plural(bad, 'NaN or infinite value')}"
        )
    return array


def unit_interval_array(name: str, value: ArrayLike, dtype: Any = np.float64) -> NDArray[Any]:
    """A finite array with every entry in [0, 1] (targets of a sigmoid output)."""
    array = finite_array(name, value, dtype)
    if array.min() < 0 or array.max() > 1:
        raise XentlabError(
            f"{name} must lie in [0, 1]; got values from {array.min():g} to {array.max():g}"
        )
    return array
