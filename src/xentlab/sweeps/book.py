"""The book's chapter-3 results on MNIST, as one sweep: three networks × three seeds.

Nielsen's "Neural Networks and Deep Learning" trains [784, 30, 10] and [784, 100, 10] under
cross-entropy at η = 0.5, and (in chapter 1) [784, 30, 10] under the quadratic cost at η = 3,
each for 30 epochs of mini-batches of 10 from N(0, 1) weights (xentlab's ``large``
initialisation). xentlab reports the test accuracy after the last epoch, as the median of seeds
1, 2 and 3 (the book's figure is one run's).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .grid import SweepPoint, SweepSpec
from .records import RunRecord

BOOK_DATASET = "mnist"
BOOK_SEEDS = (1, 2, 3)
BOOK_SHARED: dict[str, Any] = {"epochs": 30, "batch_size": 10, "init": "large"}


@dataclass(frozen=True)
class BookResult:
    """One of the book's networks and the test accuracy the book reports for it."""

    hidden: tuple[int, ...]
    cost: str
    eta: float
    accuracy: float
    where: str  # the chapter the figure comes from

    def matches(self, point: SweepPoint) -> bool:
        return (
            point.sizes[1:-1] == self.hidden
            and point.cost == self.cost
            and point.config.eta == self.eta
        )


BOOK_RESULTS = (
    BookResult((30,), "cross-entropy", 0.5, 0.9549, "ch. 3"),
    BookResult((100,), "cross-entropy", 0.5, 0.9682, "ch. 3"),
    BookResult((30,), "quadratic", 3.0, 0.9542, "ch. 1"),
)


def book_spec() -> SweepSpec:
    """The sweep of the book's three networks, each with seeds 1, 2 and 3 (9 runs)."""
    grids = tuple(
        {
            **BOOK_SHARED,
            "hidden": [list(book.hidden)],
            "cost": book.cost,
            "eta": book.eta,
            "seed": list(BOOK_SEEDS),
        }
        for book in BOOK_RESULTS
    )
    return SweepSpec.from_document({"dataset": BOOK_DATASET, "grid": list(grids)})


@dataclass(frozen=True)
class BookRow:
    """A book network beside xentlab's runs of it: the test accuracy of each seed run (in seed
    order), their median (None until one has finished), and the point of each run."""

    book: BookResult
    points: tuple[SweepPoint, ...]
    accuracies: tuple[float | None, ...]

    @property
    def median(self) -> float | None:
        finished = [a for a in self.accuracies if a is not None]
        return statistics.median(finished) if finished else None


def describe_settings(dataset: str, epochs: int, batch_size: int, init: str) -> str:
    """The settings the book's figures depend on beyond the network, in a few words."""
    return (
        f"{dataset}, {epochs} epoch{'' if epochs == 1 else 's'}, mini-batch {batch_size}, "
        f"init {init}"
    )


BOOK_SETTINGS = describe_settings(BOOK_DATASET, **BOOK_SHARED)


def rows_settings(rows: Sequence[BookRow]) -> str | None:
    """The settings of xentlab's runs of the book's networks (those of the first run: the book
    sweep shares them), or None if the sweep ran none of them."""
    first = next((p for row in rows for p in row.points), None)
    if first is None:
        return None
    return describe_settings(
        first.dataset, first.config.epochs, first.config.batch_size, first.init
    )


def book_rows(points: list[SweepPoint], records: Mapping[str, RunRecord]) -> list[BookRow]:
    """For each book network, the sweep's runs of it (``records`` by run id; a run not
    finished, or diverged, counts as None)."""
    rows = []
    for book in BOOK_RESULTS:
        mine = tuple(sorted((p for p in points if book.matches(p)), key=lambda p: p.seed))
        accuracies = tuple(records[p.id].test_accuracy if p.id in records else None for p in mine)
        rows.append(BookRow(book, mine, accuracies))
    return rows
