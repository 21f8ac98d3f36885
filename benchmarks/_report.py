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


def cpu_model() -> str:
    """The processor's name as the system gives it (Linux: /proc/cpuinfo), else the platform's."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """What a timing depends on besides the code: the CPU, how many, and the load average
    (1, 5 and 15 minutes) right now."""
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {"cpu": cpu_model(), "cpus": os.cpu_count(), "load": load}


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
    now = machine()
    print(f"on {now['cpu']} ({now['cpus']} CPUs), load average {now['load']}")
    system = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "cpu": now["cpu"],
        "load_at_report": now["load"],
    }
    path.write_text(
        json.dumps({"title": title, "rows": rows, "meta": {**meta, **system}}, indent=2)
    )
    print(f"results written to {path}")
    return path
