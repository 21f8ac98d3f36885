"""A sweep's table: for each setting, the test accuracy over its seeds, mean ± standard
deviation, and the best setting marked; written as CSV and JSON.

A setting is a point without its seed. The standard deviation is the sample one (n − 1), and
needs two seeds; a run that diverged has no test accuracy and is counted apart, and a setting
with a diverged seed is not eligible as the best.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..data import SEEDED_SPLITS
from ..files import atomic_write, register_output_kind
from .grid import LABELS, SweepPoint, show_value, varying
from .records import RunRecord

SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
# How a summary is recognised (files.register_output_kind): the JSON begins with "varying", the
# CSV's header names the figures that follow every setting.
SUMMARY_JSON_START = re.compile(rb'\s*\{\s*"varying"\s*:\s*\[')
SUMMARY_CSV_FIGURES = b",seeds,test_accuracies,test_accuracy_mean,test_accuracy_sd,"


def written_as_summary(head: bytes, tail: bytes) -> bool:
    """Whether a file beginning with ``head`` is a sweep's summary, as CSV or JSON."""
    first_line = head.split(b"\n", 1)[0]
    return SUMMARY_JSON_START.match(head) is not None or SUMMARY_CSV_FIGURES in first_line


register_output_kind("data", written_as_summary)


@dataclass(frozen=True)
class SettingRow:
    """One setting of the sweep and its runs, one per seed (in seed order)."""

    setting: dict[str, Any]
    seeds: tuple[int, ...]
    accuracies: tuple[float | None, ...]  # None: that seed's run diverged
    seconds: tuple[float, ...]  # each run's training time
    run_ids: tuple[str, ...]
    best: bool = False

    @property
    def finished(self) -> list[float]:
        return [a for a in self.accuracies if a is not None]

    @property
    def diverged(self) -> int:
        return sum(a is None for a in self.accuracies)

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.finished) if self.finished else None

    @property
    def sd(self) -> float | None:
        return statistics.stdev(self.finished) if len(self.finished) > 1 else None

    def document(self) -> dict[str, Any]:
        """The row as JSON-ready data."""
        return {
            **{k: list(v) if isinstance(v, tuple) else v for k, v in self.setting.items()},
            "seeds": list(self.seeds),
            "test_accuracies": list(self.accuracies),
            "test_accuracy_mean": self.mean,
            "test_accuracy_sd": self.sd,
            "diverged": self.diverged,
            "seconds_mean": statistics.fmean(self.seconds) if self.seconds else None,
            "best": self.best,
            "run_ids": list(self.run_ids),
        }


@dataclass(frozen=True)
class SweepTable:
    """The rows in the order of the sweep's points; ``varying``: the settings that differ
    between rows (the table's columns), ``fixed``: the others, with their one value."""

    rows: tuple[SettingRow, ...]
    varying: tuple[str, ...]
    fixed: dict[str, Any]

    @property
    def best(self) -> SettingRow | None:
        return next((row for row in self.rows if row.best), None)

    def document(self) -> dict[str, Any]:
        fixed = {k: list(v) if isinstance(v, tuple) else v for k, v in self.fixed.items()}
        return {
            "varying": list(self.varying),
            "fixed": fixed,
            "rows": [row.document() for row in self.rows],
        }

    def csv_text(self) -> str:
        """One line per setting: every setting, then the figures; lists joined by spaces."""
        rows = [row.document() for row in self.rows]
        text = io.StringIO()
        if rows:
            writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {
                        k: " ".join("" if x is None else str(x) for x in v)
                        if isinstance(v, list)
                        else ("" if v is None else v)
                        for k, v in row.items()
                    }
                )
        return text.getvalue()


def summarise(records: Sequence[RunRecord]) -> SweepTable:
    """The table of ``records`` (in the order given, usually the sweep's points): one row per
    setting, its seeds gathered; the row with the best mean test accuracy among those with no
    diverged run is marked best."""
    groups: dict[str, list[RunRecord]] = {}
    for record in records:
        groups.setdefault(repr(record.point.setting()), []).append(record)
    rows = []
    for group in groups.values():
        group = sorted(group, key=lambda r: r.point.seed)
        rows.append(
            SettingRow(
                setting=group[0].point.setting(),
                seeds=tuple(r.point.seed for r in group),
                accuracies=tuple(r.test_accuracy for r in group),
                seconds=tuple(float(r.seconds.get("train", 0.0)) for r in group),
                run_ids=tuple(r.id for r in group),
            )
        )
    eligible = [row for row in rows if row.diverged == 0 and row.mean is not None]
    if eligible:
        top = max(eligible, key=lambda row: row.mean or 0.0)  # the first of equals
        rows = [dataclasses.replace(row, best=row is top) for row in rows]
    points: list[SweepPoint] = [r.point for r in records]
    changing = tuple(varying(points))
    fixed = {k: v for k, v in rows[0].setting.items() if k not in changing} if rows else {}
    return SweepTable(tuple(rows), changing, fixed)


def data_disagreements(records: Sequence[RunRecord]) -> list[str]:
    """Where runs that should have seen the same data did not, one line per data set: runs on
    one data set (and one split seed, for the SEEDED_SPLITS) whose result files record
    training data of different fingerprints, as a sweep continued with another data folder
    makes them. Such a table sets results of other data side by side."""
    fingerprints: dict[tuple[str, int | None], set[str]] = {}
    for record in records:
        fingerprint = record.data.get("fingerprint")
        if isinstance(fingerprint, str):
            name = record.point.dataset
            split = record.point.seed if name in SEEDED_SPLITS else None
            fingerprints.setdefault((name, split), set()).add(fingerprint)
    mixed = sorted({name for (name, _), found in fingerprints.items() if len(found) > 1})
    return [
        f"the runs of this sweep on {name} were trained on different {name} files (their "
        "result files record other fingerprints of the training data): runs kept from before "
        "saw other data than runs made since; keep one data folder for a sweep's folder"
        for name in mixed
    ]


def describe_fixed(table: SweepTable) -> str:
    """The settings every row shares, in a few words (a table's title); settings that are
    off (no early stopping, say, or the kind of regularisation when λ = 0) are left out."""
    fixed = {k: v for k, v in table.fixed.items() if v is not None}
    if fixed.get("lmbda") == 0:
        fixed.pop("regularization", None)
    return ", ".join(f"{LABELS.get(k, k)} {show_value(k, v)}" for k, v in fixed.items())


def summary_paths(folder: str | os.PathLike[str]) -> tuple[str, str]:
    """Where :func:`write_summary` writes the table in ``folder``: its CSV and its JSON."""
    return os.path.join(folder, SUMMARY_CSV), os.path.join(folder, SUMMARY_JSON)


def write_summary(
    table: SweepTable, folder: str | os.PathLike[str], *, force: bool = False
) -> tuple[str, str]:
    """Write the table as summary.csv and summary.json in ``folder`` (atomically); their
    paths. Files there of those names must be summaries xentlab wrote, unless ``force``."""
    csv_path, json_path = summary_paths(folder)
    with atomic_write(
        csv_path, "w", kind="data", force=force, encoding="utf-8", newline=""
    ) as handle:
        handle.write(table.csv_text())
    with atomic_write(json_path, "w", kind="data", force=force, encoding="utf-8") as handle:
        json.dump(table.document(), handle, indent=1, allow_nan=False)
    return csv_path, json_path
