"""Shared by the benchmark scripts: print a table, write the same rows as JSON, each with the
machine it ran on (its CPU model and its load)."""

from __future__ import annotations

import argparse
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


def benchmark_parser(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's argument parser, whose --help shows its whole docstring as written: what
    it measures, against what, and how to run it."""
    return argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    """The shortest of ``repeats`` timings of ``fn()``, in seconds: the least disturbed."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def cpu_model() -> str:
    """The processor's model name (from /proc/cpuinfo on Linux; elsewhere what platform says)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """What a timing depends on besides the code: the CPU, how many, and how busy (the load
    averages over 1, 5 and 15 minutes, where the system keeps them)."""
    return {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpu_model": cpu_model(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


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
    here = machine()
    path.write_text(json.dumps({"title": title, "rows": rows, "meta": {**meta, **here}}, indent=2))
    load = here["load_average"]
    busy = f", load average {load[0]:.2f} (1 min)" if load else ""
    print(f"machine: {here['cpu_model']}, {here['cpus']} CPUs{busy}")
    print(f"results written to {path}")
    return path
