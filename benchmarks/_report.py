"""Shared by the benchmark scripts: print a table, write the same rows as JSON."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(os.environ.get("XENTLAB_BENCH_DIR", "bench-results"))


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    """The shortest of ``repeats`` timings of ``fn()``, in seconds: the least disturbed."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def report(name: str, title: str, rows: list[dict[str, Any]], meta: dict[str, Any]) -> Path:
    """Print ``rows`` (dicts with the same keys) as a table and write them to RESULTS/name.json."""
    table = Table(title=title)
    for key in rows[0]:
        table.add_column(key, justify="right")
    for row in rows:
        table.add_row(*(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row.values()))
    Console(width=140).print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    machine = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    path.write_text(
        json.dumps({"title": title, "rows": rows, "meta": {**meta, **machine}}, indent=2)
    )
    print(f"results written to {path}")
    return path
