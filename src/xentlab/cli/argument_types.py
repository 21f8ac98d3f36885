"""The types of the command line's arguments: each turns the text a user typed into a value,
or into a one-line argparse error saying what was expected."""

from __future__ import annotations

import argparse


def path(text: str) -> str:
    """A path given by the user: any text but an empty one."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def sizes(text: str) -> tuple[int, ...]:
    """Layer sizes as comma-separated integers, e.g. 784,30,10."""
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated integers like 784,30,10; got {text!r}"
        ) from None


def costs(text: str) -> tuple[str, ...]:
    """Cost names, comma-separated."""
    return tuple(part.strip() for part in text.split(","))


def etas(text: str) -> float | dict[str, float]:
    """One learning rate for every cost (0.5), or one per cost (quadratic=3,cross-entropy=0.5)."""
    try:
        if "=" not in text:
            return float(text)
        pairs = (part.split("=", 1) for part in text.split(","))
        return {name.strip(): float(value) for name, value in pairs}
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number, or cost=number pairs like quadratic=3,cross-entropy=0.5; "
            f"got {text!r}"
        ) from None


def seeds(text: str) -> tuple[int, ...]:
    """Seeds as a list (1,2,3), a range (1-5), or both (1-3,7)."""
    found: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            found.extend(range(int(low), int(high or low) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be seeds like 1,2,3 or a range like 1-5; got {text!r}"
        ) from None
    return tuple(found)


def numbers(text: str) -> tuple[float, ...]:
    """Real numbers, comma-separated: 0.1,0.5,3."""
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be numbers, comma-separated like 0.1,0.5,3; got {text!r}"
        ) from None


def integers(text: str) -> tuple[int, ...]:
    """Integers, comma-separated: 10,20."""
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be integers, comma-separated like 10,20; got {text!r}"
        ) from None


def integer_lists(text: str) -> tuple[int, ...]:
    """Integers as a list (10,20), a range (1-5), or both (1-3,7)."""
    found: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            found.extend(range(int(low), int(high or low) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be integers like 10,20 or a range like 1-5; got {text!r}"
        ) from None
    return tuple(found)


def names(text: str) -> tuple[str, ...]:
    """Names, comma-separated: l2,l1."""
    return tuple(part.strip() for part in text.split(","))


def hidden_layers(text: str) -> tuple[tuple[int, ...], ...]:
    """Networks by their hidden layers, comma-separated; the widths of a network with several
    hidden layers joined by colons: 30,100,60:30 is three networks."""
    try:
        return tuple(
            tuple(int(width) for width in network.split(":")) for network in text.split(",")
        )
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be hidden-layer widths like 30,100 (60:30 for two layers); got {text!r}"
        ) from None
