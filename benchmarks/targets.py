"""Every speed and memory target of xentlab's training in one run: the peers' table, then one
table with each target, the figure measured, and whether it is met.

    XENTLAB_DATA=... python benchmarks/targets.py [--before SRC] [--quick]

It runs the other benchmarks (epoch_speed, group_speed, evaluation, startup), each printing its
own table and writing its JSON, and times the commands a user runs as whole processes: the one
neuron's million epochs and their JSON, ``compare --dataset mnist --seeds 1-3``, ``sweep
--book`` and a 12-run MNIST sweep on 2 local workers. The two sweeps' targets are speed-ups
over an earlier xentlab, so they are measured only with ``--before SRC``, the ``src`` folder of
another checkout (``git worktree add /tmp/before COMMIT``, then ``--before /tmp/before/src``):
both are timed in this run, one after the other, each after a warm-up run that fills its
numba cache. Every figure is a ratio of two timings in this run, or a time on this machine,
with the machine's CPU model and load printed beside the table and kept in the JSON
(``bench-results/targets.json``; XENTLAB_BENCH_DIR moves the folder).

``--quick`` runs each part with fewer repeats, and start-up's runs without waiting for a quiet
moment (a look, not a measurement).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _report import RESULTS, benchmark_parser, machine, report
from startup import Processes

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "src"
# The 12-run sweep: both costs × three η × two seeds, five epochs each, on 2 local workers.
SWEEP = ["--dataset", "mnist", "--costs", "quadratic,cross-entropy", "--eta", "0.1,0.5,3"]
SWEEP += ["--seeds", "1,2", "--epochs", "5", "--workers", "2"]
BOOK = ["--book", "--workers", "2"]
NEURON = ["neuron", "--epochs", "1000000"]
COMPARE = ["compare", "--dataset", "mnist", "--seeds", "1-3"]


@dataclass(frozen=True)
class Target:
    """One target: what is measured, the goal (``at_most`` or at least ``bound``), and how."""

    what: str
    bound: float
    at_most: bool
    unit: str
    command: str

    def row(self, measured: float | None, note: str = "") -> dict[str, Any]:
        """The table's row: the goal, the figure and whether it is met (or ``note``, why it
        was not measured)."""
        goal = f"{'≤' if self.at_most else '≥'} {self.bound:g}{self.unit}"
        if measured is None:
            met, figure = note, "not measured"
        else:
            reached = measured <= self.bound if self.at_most else measured >= self.bound
            met, figure = ("yes" if reached else "no"), f"{measured:.3g}{self.unit}"
        return {
            "target": self.what,
            "goal": goal,
            "measured": figure,
            "met": met,
            "from": self.command,
        }


def child(script: str, *arguments: str) -> dict[str, Any]:
    """Run ``benchmarks/script`` (its table printed as it goes) and return the JSON it wrote."""
    print(f"\n=== {script} {' '.join(arguments)}", flush=True)
    subprocess.run([sys.executable, str(HERE / script), *arguments], check=True, cwd=HERE.parent)
    name = script.removesuffix(".py")
    result: dict[str, Any] = json.loads((RESULTS / f"{name}.json").read_text())
    return result


def wall(run: Processes, arguments: list[str], cwd: Path, stdout: Path | None = None) -> float:
    """Seconds of ``xentlab arguments`` as a whole process from ``run``'s source, its output
    written to ``stdout`` (a file, as a user's redirection would) or kept from the terminal; a
    failure ends the benchmark with the command's error."""
    with open(stdout or os.devnull, "w", encoding="utf-8") as out:
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "xentlab", *arguments],
            env=run.env(),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
        seconds = time.monotonic() - start
    if done.returncode:
        sys.exit(f"targets: xentlab {' '.join(arguments)} failed:\n{done.stderr}")
    return seconds


def timed(label: str, measure: Callable[[], float], repeats: int) -> list[float]:
    """``repeats`` measurements, each printed with the machine's load as it is taken."""
    values = []
    for _ in range(repeats):
        values.append(measure())
        print(f"{label}: {values[-1]:.2f} s (load {os.getloadavg()[0]:.2f})", flush=True)
    return values


def row_value(rows: list[dict[str, Any]], key: str, name: str, column: str) -> float:
    """The ``column`` of the row whose ``key`` is ``name`` (or starts with it)."""
    for row in rows:
        if str(row[key]).startswith(name):
            return float(row[column])
    raise KeyError(f"no row {name!r} in {[row[key] for row in rows]}")


def sweep_seconds(run: Processes, arguments: list[str], folder: Path) -> float:
    """A sweep from nothing (a fresh folder: no run is skipped), from its command to its end."""
    out = Path(tempfile.mkdtemp(dir=folder))
    return wall(run, ["sweep", *arguments, "--out", str(out / "sweep")], folder)


def sweeps(after: Processes, before: Processes, folder: Path, repeats: int) -> dict[str, Any]:
    """The median seconds of ``sweep --book`` and of the 12-run sweep from each source, the four
    taking turns ``repeats`` times, after a warm-up (a one-epoch sweep on the digits, which
    fills the numba cache of each source)."""
    warm = ["--dataset", "digits", "--epochs", "1", "--seeds", "1", "--workers", "2"]
    for run in (before, after):
        sweep_seconds(run, warm, folder)
    seconds: dict[str, list[float]] = {}
    for _ in range(repeats):
        for name, arguments in (("book", BOOK), ("twelve", SWEEP)):
            for how, run in (("before", before), ("after", after)):
                key = f"{name} {how}"
                seconds.setdefault(key, []).append(sweep_seconds(run, arguments, folder))
                print(f"{key}: {seconds[key][-1]:.1f} s (load {os.getloadavg()[0]:.2f})")
    return {key: statistics.median(values) for key, values in seconds.items()}


def main() -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument(
        "--before", type=Path, metavar="SRC", help="an earlier checkout's src, for the sweeps"
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a look")
    args = parser.parse_args()
    if not os.environ.get("XENTLAB_DATA"):
        sys.exit("targets needs real MNIST: set XENTLAB_DATA to the folder holding mnist/")
    start_machine = machine()
    repeats = 1 if args.quick else 3
    peers = child(
        "epoch_speed.py",
        *(["--epochs", "2", "--repeats", "1", "--book", "skip"] if args.quick else []),
    )
    group = child("group_speed.py", "--groups", "1,8", "--repeats", str(repeats))
    evaluation = child("evaluation.py", "--no-compare", "--repeats", str(repeats))
    startup = child(
        "startup.py",
        "--repeats",
        str(repeats + 2),
        "--idle",
        "1" if args.quick else "0.5",
        *(["--before", str(args.before)] if args.before else []),
    )
    print("\n=== the commands, as whole processes", flush=True)
    measured: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        run = Processes(SOURCE, folder / "cache")
        wall(run, ["neuron", "--epochs", "1"], folder)  # the decoded and numba caches filled
        measured["neuron"] = timed("neuron", lambda: wall(run, NEURON, folder), repeats)
        trajectory = folder / "trajectory.json"
        measured["neuron json"] = timed(
            "neuron --json", lambda: wall(run, [*NEURON, "--json"], folder, trajectory), repeats
        )
        figure = ["--out", str(folder / "compare.png")]
        measured["compare"] = timed("compare", lambda: wall(run, [*COMPARE, *figure], folder), 1)
        if args.before is not None:
            before = Processes(args.before.resolve(), folder / "cache-before")
            measured["sweeps"] = sweeps(run, before, folder, 1 if args.quick else 2)
    table = targets_table(peers, group, evaluation, startup, measured)
    meta = {
        "machine_at_start": start_machine,
        "before": str(args.before.resolve()) if args.before else None,
        "quick": args.quick,
        "measured": measured,
    }
    report("targets", "xentlab's training targets, in one run", table, meta)


def targets_table(
    peers: dict[str, Any],
    group: dict[str, Any],
    evaluation: dict[str, Any],
    startup: dict[str, Any],
    measured: dict[str, Any],
) -> list[dict[str, Any]]:
    """One row per target, from the children's JSON and the commands' timings."""
    rows = peers["rows"]
    column = "s/epoch (median)"
    jax = row_value(rows, "configuration", "jax", column)
    alone = row_value(rows, "configuration", "xentlab compiled, kernel alone", column)
    loop = row_value(rows, "configuration", "xentlab compiled (numba)", column)
    eight = row_value(group["rows"], "networks", "8", "× one network")
    one, many = group["meta"]["memory"][0], group["meta"]["memory"][-1]
    # beyond the one copy of the data: the group's state against its networks' state alone
    beyond_data = (many["peak_MB"] - many["data_MB"]) / (
        many["networks"] * (one["peak_MB"] - one["data_MB"])
    )
    with_evaluation = row_value(
        evaluation["rows"], "what", "loop with evaluation / kernel alone", "after"
    )
    besides = row_value(
        startup["rows"], "what", "xentlab train, warm cache: the whole command less", "s (median)"
    )
    median = statistics.median
    table = [
        Target("8 networks in one pass, × one network", 2.5, True, "×", "group_speed.py").row(
            eight
        ),
        Target(
            "8 networks' memory besides one copy of the data ÷ 8 × one network's",
            1.0,
            True,
            "",
            "group_speed.py",
        ).row(beyond_data),
        Target(
            "train per epoch with its evaluation ÷ kernel alone", 1.25, True, "×", "evaluation.py"
        ).row(with_evaluation),
        Target("kernel alone: JAX's epoch ÷ its", 4.0, False, "×", "epoch_speed.py").row(
            jax / alone
        ),
        Target("training loop: JAX's epoch ÷ its", 3.5, False, "×", "epoch_speed.py").row(
            jax / loop
        ),
        Target("compare --dataset mnist --seeds 1-3", 60, True, " s", "xentlab compare").row(
            median(measured["compare"])
        ),
        Target(
            "train --dataset mnist --epochs 1, besides its epoch", 1, True, " s", "startup.py"
        ).row(besides),
        Target("neuron --epochs 1000000", 2, True, " s", "xentlab neuron").row(
            median(measured["neuron"])
        ),
        Target("its JSON (--json)", 10, True, " s", "xentlab neuron --json").row(
            median(measured["neuron json"])
        ),
    ]
    sweeps = measured.get("sweeps")
    for name, what in (("book", "sweep --book"), ("twelve", "12-run MNIST sweep, 2 workers")):
        target = Target(f"{what}: before ÷ now", 3.0, False, "×", "xentlab sweep")
        if sweeps is None:
            table.append(target.row(None, "needs --before"))
        else:
            table.append(target.row(sweeps[f"{name} before"] / sweeps[f"{name} after"]))
    return table


if __name__ == "__main__":
    main()
