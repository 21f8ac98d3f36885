"""How long does xentlab take to start? From the command to the first mini-batch of
``xentlab train --dataset mnist --epochs 1``, and what that time is made of: Python, the imports,
numba loading the compiled kernel from its cache, loading MNIST (decoding its gzipped IDX files,
or reading them back decoded), each measured in fresh processes (start-up is what a process
does once), the best of --repeats.

    XENTLAB_DATA=../shared/data python benchmarks/startup.py [--repeats 5] [--before SRC]

--before times another checkout's xentlab train too (its src folder), interleaved with this
one's, for a before/after on one machine in one run; --src times another checkout alone.
Before each train run the script waits (up to a minute) for the machine to be idle (--idle).
Needs real MNIST (XENTLAB_DATA) and numba (the compiled kernel, the default where installed).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _report import benchmark_parser, report

SOURCE = Path(__file__).resolve().parent.parent / "src"
TRAIN = ["train", "--dataset", "mnist", "--epochs", "1"]

# Each snippet runs in a fresh process and prints the seconds it measured (one number, or a
# JSON object of them).
IMPORT_CLI = (
    "import time; t = time.perf_counter(); import xentlab.cli.main, xentlab.cli.commands.train; "
    "print(time.perf_counter() - t)"
)
IMPORT_NUMPY = "import time; t = time.perf_counter(); import numpy; print(time.perf_counter() - t)"
# numba's own import, then what its first cached function costs: it imports scipy.linalg (to
# find BLAS) and builds its typing and target contexts; then one more function from the cache.
KERNEL_LOAD = """
import json, time
import numpy as np
marks = [time.perf_counter()]
try:  # where the kernel's helpers live (before the group kernel: in compiled_loop)
    from xentlab.kernel import compiled_support as compiled_loop
except ImportError:
    from xentlab.kernel import compiled_loop
marks.append(time.perf_counter())
import scipy.linalg.cython_blas
marks.append(time.perf_counter())
X = np.eye(3, 4, dtype=np.float32)
counts = np.empty(3, np.int64)
compiled_loop.count_nonzero_rows(X, counts)
marks.append(time.perf_counter())
indptr = np.concatenate([[0], np.cumsum(counts)])
total = int(indptr[-1])
compiled_loop.fill_rows(X, indptr, np.empty(total, np.int32), np.empty(total, np.float32))
marks.append(time.perf_counter())
print(json.dumps([b - a for a, b in zip(marks, marks[1:])]))
"""
LOAD_MNIST = (
    "import time; from xentlab.data import load_dataset; t = time.perf_counter(); "
    "load_dataset('mnist'); print(time.perf_counter() - t)"
)
# The rest of what a run does before its first mini-batch, each timed once the data are loaded
# and numba's first function is loaded (timed above): the untrained network measured on the
# training and validation sets (epoch 0), and the kernel's preparation of the inputs (the
# compiled kernel takes the training set as the epoch-0 measures compressed it).
BEFORE_TRAINING = """
import json, time
import numpy as np
from xentlab import runs
from xentlab.kernel import make_kernel
from xentlab.training.evaluator import evaluator_for
run = runs.prepare(runs.RunSpec.of(dataset="mnist", epochs=1))
network = run.state.network
kernel = make_kernel(run.kernel, network.sizes, 10, network.dtype, network.cost)
tiny = np.eye(2, network.sizes[0], dtype=network.dtype)
kernel.prepare(tiny, np.eye(2, network.sizes[-1], dtype=network.dtype))  # numba's first load
marks = [time.perf_counter()]
run.measure_start()
marks.append(time.perf_counter())
targets = run.training.targets(network.sizes[-1], network.dtype)
kernel.prepare(run.training.X, targets, evaluator_for(run.training).compressed)
marks.append(time.perf_counter())
print(json.dumps([b - a for a, b in zip(marks, marks[1:])]))
"""
# xentlab's command line, with the first call of the kernel (run, or run_group: the first
# mini-batch) noted by CLOCK_MONOTONIC, which every process on the machine shares. Both kernels
# are wrapped before the command starts: importing the compiled one here, before the command
# would, moves numba's import earlier but not the sum of the work before the first mini-batch.
FIRST_BATCH = """
import sys, time
from xentlab.kernel import numpy_loop
kernels = [numpy_loop.EpochKernel]
try:
    from xentlab.kernel import compiled
    kernels.append(compiled.CompiledEpochKernel)
except ImportError:
    pass
seen = []
def noting(run):
    def timed(self, *args, **kwargs):
        if not seen:
            seen.append(time.monotonic())
        return run(self, *args, **kwargs)
    return timed
for kernel in kernels:
    for name in ("run", "run_group"):  # one network, or a group in one pass
        if hasattr(kernel, name):
            setattr(kernel, name, noting(getattr(kernel, name)))
noted, sys.argv = sys.argv[1], ["xentlab", *sys.argv[2:]]
try:  # the program as its console script runs it
    from xentlab.cli.main import entry_point as program
except ImportError:  # a checkout from before the entry point: main alone
    from xentlab.cli.main import main as program
code = program()
open(noted, "w").write(f"{seen[0]!r} {time.monotonic()!r}" if seen else "")
sys.exit(code)
"""
# What each figure of a train run is, as the table says it.
TRAIN_PARTS = {
    "first mini-batch": "process start to first mini-batch",
    "epoch": "its epoch (as its line says)",
    "whole command": "the whole command",
    "whole command - epoch": "the whole command less its epoch",
    "end": "the process's end, once its work is done",
}
EPOCH_LINE = re.compile(r"epoch\s+1/1 .* ([0-9.]+) s$", re.MULTILINE)


class Processes:
    """Fresh Python processes running one xentlab (``src``), with a cache of their own."""

    def __init__(self, src: Path, cache: Path) -> None:
        self.src, self.cache = src, cache

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "PYTHONPATH": str(self.src), "XDG_CACHE_HOME": str(self.cache)}
        env.pop("XENTLAB_NO_DECODED_CACHE", None)
        return {**env, **extra}

    def seconds(self, code: str, **extra: str) -> Any:
        """What the snippet ``code`` measured and printed."""
        done = subprocess.run(
            [sys.executable, "-c", code], env=self.env(**extra), capture_output=True, text=True
        )
        if done.returncode:
            sys.exit(f"startup: a measurement failed:\n{done.stderr}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def wall(self, arguments: list[str]) -> float:
        """Seconds from starting a process to its end (``python -c`` with ``arguments``)."""
        start = time.monotonic()
        subprocess.run([sys.executable, *arguments], env=self.env(), check=True)
        return time.monotonic() - start

    def train(self, **extra: str) -> dict[str, float]:
        """``xentlab train --dataset mnist --epochs 1``: seconds from the process's start to its
        first mini-batch, its epoch (as its line says) and the whole command."""
        with tempfile.TemporaryDirectory() as folder:
            noted = Path(folder, "first-batch")
            start = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-c", FIRST_BATCH, str(noted), *TRAIN],
                env=self.env(**extra),
                capture_output=True,
                text=True,
                cwd=folder,
            )
            end = time.monotonic()
            if done.returncode or not noted.read_text():
                sys.exit(f"startup: xentlab train failed:\n{done.stderr}")
            first, done_at = map(float, noted.read_text().split())
        epoch = EPOCH_LINE.search(done.stdout)
        if epoch is None:
            sys.exit(f"startup: no epoch line in:\n{done.stdout}")
        seconds = float(epoch.group(1))
        return {
            "first mini-batch": first - start,
            "epoch": seconds,
            "whole command": end - start,
            "whole command - epoch": end - start - seconds,
            "end": end - done_at,
        }


def busy(seconds: float = 1.5) -> float:
    """The fraction of the machine's CPUs in use over the next ``seconds`` (Linux; else 0)."""

    def counters() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(t) for t in stat.readline().split()[1:]]
        return sum(ticks), ticks[3] + ticks[4]  # all, idle (idle and waiting for I/O)

    try:
        total, idle = counters()
        time.sleep(seconds)
        total_after, idle_after = counters()
    except OSError:
        return 0.0
    return 1 - (idle_after - idle) / max(1, total_after - total)


def when_idle(limit: float, patience: float) -> float:
    """Wait, at most ``patience`` seconds, until the machine's CPUs are less than ``limit`` in
    use (others share it); the last fraction seen."""
    deadline = time.monotonic() + patience
    while (fraction := busy()) >= limit and time.monotonic() < deadline:
        pass
    return fraction


def best(repeats: int, measure: Callable[[], float]) -> tuple[float, float]:
    """(the least, the median) of ``repeats`` measurements."""
    values = [measure() for _ in range(repeats)]
    return min(values), statistics.median(values)


def main() -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="processes per figure")
    parser.add_argument("--src", type=Path, default=SOURCE, help="the xentlab to time")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="SRC",
        help="another checkout's src folder: its xentlab train timed too, runs interleaved",
    )
    parser.add_argument(
        "--idle",
        type=float,
        default=0.1,
        help="before each train run, wait (up to a minute) until the CPUs are less busy than "
        "this fraction (default 0.1; 1 never waits)",
    )
    args = parser.parse_args()
    if not os.environ.get("XENTLAB_DATA"):
        sys.exit("startup needs real MNIST: set XENTLAB_DATA to the folder holding mnist/")
    load_at_start = os.getloadavg()
    rows: list[dict[str, object]] = []

    def row(what: str, measured: tuple[float, float]) -> None:
        rows.append({"what": what, "s (best)": measured[0], "s (median)": measured[1]})
        print(f"{what}: {measured[0]:.3f} s (median {measured[1]:.3f})", flush=True)

    with tempfile.TemporaryDirectory() as cache:
        run = Processes(args.src.resolve(), Path(cache))
        n = args.repeats
        row("start Python (python -c pass)", best(n, lambda: run.wall(["-c", "pass"])))
        row("import numpy", best(n, lambda: float(run.seconds(IMPORT_NUMPY))))
        row(
            "import the command line and train",
            best(n, lambda: float(run.seconds(IMPORT_CLI))),
        )
        kernel = [run.seconds(KERNEL_LOAD) for _ in range(n)]
        for index, what in enumerate(
            (
                "import numba (the compiled kernel's module)",
                "numba's first cached function: its import of scipy.linalg",
                "numba's first cached function: the rest (typing, target contexts)",
                "each further cached function",
            )
        ):
            values = [float(k[index]) for k in kernel]
            row(what, (min(values), statistics.median(values)))
        no_cache = {"XENTLAB_NO_DECODED_CACHE": "1"}
        row(
            "load MNIST, decoding the gzipped IDX files (no cache)",
            best(n, lambda: float(run.seconds(LOAD_MNIST, **no_cache))),
        )

        def cold_load() -> float:
            with tempfile.TemporaryDirectory() as fresh:
                seconds = run.seconds(LOAD_MNIST, XDG_CACHE_HOME=fresh)
            return float(seconds)

        row("load MNIST, cold cache (decode, then keep)", best(n, cold_load))
        row(
            "load MNIST, warm cache (read back)",
            best(n, lambda: float(run.seconds(LOAD_MNIST))),
        )
        before_training = [run.seconds(BEFORE_TRAINING) for _ in range(n)]
        for index, what in enumerate(
            (
                "the untrained network measured (epoch 0: 60,000 images)",
                "the kernel's preparation of the inputs (the measures' compressed rows)",
            )
        ):
            values = [float(b[index]) for b in before_training]
            row(what, (min(values), statistics.median(values)))
        # The train runs, interleaved so that a busy spell hits them all alike.
        configurations: dict[str, Callable[[], dict[str, float]]] = {
            "no cache": lambda: run.train(**no_cache),
            "warm cache": run.train,
        }
        if args.before is not None:
            before = Processes(args.before.resolve(), Path(cache))
            configurations = {"before": before.train, **configurations}
        trains: dict[str, list[dict[str, float]]] = {how: [] for how in configurations}
        seen_busy = []
        for _ in range(n):
            for how, train in configurations.items():
                seen_busy.append(when_idle(args.idle, 60.0))
                trains[how].append(train())
        for how, runs in trains.items():
            for part, label in TRAIN_PARTS.items():
                values = [r[part] for r in runs]
                row(f"xentlab train, {how}: {label}", (min(values), statistics.median(values)))
    meta = {
        "command": "xentlab " + " ".join(TRAIN),
        "source": str(args.src.resolve()),
        "before": str(args.before.resolve()) if args.before else None,
        "repeats": args.repeats,
        "load_average_at_start": list(load_at_start),
        "load_average_at_end": list(os.getloadavg()),
        "cpus_busy_before_train_runs": {
            "max": max(seen_busy),
            "median": statistics.median(seen_busy),
        },
    }
    title = f"xentlab's start-up (xentlab train = xentlab {' '.join(TRAIN)}), fresh processes"
    report("startup", title, rows, meta)
    print(
        f"load average at start {load_at_start[0]:.2f}, at end {os.getloadavg()[0]:.2f} (1 min); "
        f"CPUs busy before the train runs: at most {max(seen_busy):.0%}"
    )


if __name__ == "__main__":
    main()
