"""The types of the command line's arguments: each turns the text a user typed into a value,
or into a one-line argparse error saying what was expected.

Bounds first: a list is counted (its separators) before it is split, and a range (1-5) by
its ends before it is expanded, so that ``--seeds 1-100000000`` is refused at once, naming the
option, instead of building a hundred million seeds. No list may hold more than
MAX_LIST_VALUES values: as many as the runs of the largest sweep, so none that a command could
use is refused.
"""

from __future__ import annotations

import argparse

from ..settings import MAX_RUNS

MAX_LIST_VALUES = MAX_RUNS


def path(text: str) -> str:
    """A path given by the user: any text but an empty one."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def sizes(text: str) -> tuple[int, ...]:
    """Layer sizes as comma-separated integers, e.g. 784,30,10."""
    try:
        return tuple(int(part) for part in _parts(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated integers like 784,30,10; got {text!r}"
        ) from None


def costs(text: str) -> tuple[str, ...]:
    """Cost names (or contenders, COST/OUTPUT), comma-separated, none empty."""
    return names(text)


def etas(text: str) -> float | dict[str, float]:
    """One learning rate for every cost (0.5), or one per cost (quadratic=3,cross-entropy=0.5)."""
    try:
        if "=" not in text:
            return float(text)
        pairs = (part.split("=", 1) for part in _parts(text))
        return {name.strip(): float(value) for name, value in pairs}
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number, or cost=number pairs like quadratic=3,cross-entropy=0.5; "
            f"got {text!r}"
        ) from None


def seeds(text: str) -> tuple[int, ...]:
    """Seeds as a list (1,2,3), a range (1-5), or both (1-3,7)."""
    return _integer_ranges(text, "seeds like 1,2,3 or a range like 1-5")


def numbers(text: str) -> tuple[float, ...]:
    """Real numbers, comma-separated: 0.1,0.5,3."""
    try:
        return tuple(float(part) for part in _parts(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be numbers, comma-separated like 0.1,0.5,3; got {text!r}"
        ) from None


def integer_lists(text: str) -> tuple[int, ...]:
    """Integers as a list (10,20), a range (1-5), or both (1-3,7)."""
    return _integer_ranges(text, "integers like 10,20 or a range like 1-5")


def names(text: str) -> tuple[str, ...]:
    """Names, comma-separated, none empty: l2,l1 (not l2,,l1 nor l2,)."""
    listed = tuple(part.strip() for part in _parts(text))
    if not all(listed):
        raise argparse.ArgumentTypeError(
            f"must be names separated by commas, none empty; got {text!r}"
        )
    return listed


def hidden_layers(text: str) -> tuple[tuple[int, ...], ...]:
    """Networks by their hidden layers, comma-separated; the widths of a network with several
    hidden layers joined by colons: 30,100,60:30 is three networks."""
    try:
        return tuple(
            tuple(int(width) for width in _parts(network, ":")) for network in _parts(text)
        )
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be hidden-layer widths like 30,100 (60:30 for two layers); got {text!r}"
        ) from None


def _parts(text: str, separator: str = ",") -> list[str]:
    """``text`` split at ``separator``, refused beyond MAX_LIST_VALUES parts: counted first."""
    _check_count(text.count(separator) + 1)
    return text.split(separator)


def _integer_ranges(text: str, expected: str) -> tuple[int, ...]:
    """Integers listed (1,2,3), as ranges (1-5), or both (1-3,7): each range's length is
    computed from its ends, and the total refused beyond MAX_LIST_VALUES, before any is
    expanded."""
    ranges = []
    try:
        for part in _parts(text):
            low, _, high = part.partition("-")
            ranges.append((int(low), int(high or low)))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {expected}; got {text!r}") from None
    _check_count(sum(max(0, last - first + 1) for first, last in ranges))
    return tuple(n for first, last in ranges for n in range(first, last + 1))


def _check_count(count: int) -> None:
    if count > MAX_LIST_VALUES:
        raise argparse.ArgumentTypeError(
            f"lists {count:,} values; at most {MAX_LIST_VALUES:,} are allowed"
        )
