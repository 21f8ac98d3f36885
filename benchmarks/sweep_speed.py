"""A 12-run sweep on a local Dask cluster of 2 workers against the same runs one after another
in this process; and the time each run spends going through Dask.

    python benchmarks/sweep_speed.py [--epochs 5] [--workers 2] [--repeats 3] [--kernel auto]

The sweep: [784, 30, 10] on MNIST (the digits if MNIST is not found; XENTLAB_DATA), both costs
× η = 0.1, 0.5, 3 × seeds 1, 2, five epochs each, with the epoch kernel ``--kernel`` names.
Serially, each run is ``sweeps.train_point`` with its result file written, exactly the work a
worker and the sweep do for it, on data read once.

Two speed-ups: end to end (the sweep's cluster started and its data read inside the time, as a
user waits for them; the serial runs read their data once inside theirs too), and on a warm
cluster (started, data read, before the clock starts). The overhead per run: tiny runs (the
digits, one epoch, a few milliseconds each) through a warm 1-worker cluster against the same
runs serially, the difference divided by their number: scheduling, sending the run and its
result (the trained network) between processes, and the sweep's bookkeeping.

The modes take turns, ``--repeats`` times, and the table gives the median and the best of each:
on a 2-core machine shared with other work, that work takes a core now and then, from whichever
mode is running, and more from the parallel one, which needs both. The load average is recorded
before and after each turn.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from _report import benchmark_parser, report

from xentlab import sweeps
from xentlab.data import DatasetCache, check_available
from xentlab.errors import XentlabError
from xentlab.sweeps.records import write_record


def dataset() -> str:
    try:
        check_available("mnist")
        return "mnist"
    except XentlabError:
        return "digits"


def serial_seconds(spec: sweeps.SweepSpec, folder: Path, warm: bool = False) -> float:
    """The sweep's runs one after another here: data read once (before the clock starts if
    ``warm``), each result file written."""
    folder.mkdir()
    cache = DatasetCache()
    if warm:
        for seed in {p.seed for p in spec.points()}:
            cache.load(spec.dataset, seed=seed)
    started = time.perf_counter()
    for point in spec.points():
        write_record(sweeps.train_point(point, datasets=cache), folder / f"{point.id}.json")
    return time.perf_counter() - started


def sweep_seconds(
    spec: sweeps.SweepSpec, folder: Path, scheduler: str | None, workers: int
) -> float:
    """The sweep end to end: on a local cluster of ``workers`` started for it, or on the
    cluster at ``scheduler`` (then ``workers`` is 0)."""
    started = time.perf_counter()
    result = sweeps.run_sweep(spec, folder, scheduler=scheduler, workers=workers or None)
    seconds = time.perf_counter() - started
    assert result.complete and result.computed == len(result.points)
    return seconds


def warm_up(spec: sweeps.SweepSpec, folder: Path, scheduler: str) -> None:
    """Each worker reads the data (and imports xentlab) before the clock starts: a run of
    every seed's split, on another setting than the sweep's, once per worker and more."""
    first = spec.points()[0]
    warm = sweeps.SweepSpec.from_axes(
        {"epochs": 1, "seed": sorted({p.seed for p in spec.points()}), "eta": [0.01, 0.02]},
        first.dataset,
    )
    sweeps.run_sweep(warm, folder, scheduler=scheduler)


def main() -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tiny-runs", type=int, default=40)
    parser.add_argument("--kernel", choices=["auto", "numpy", "compiled"], default="auto")
    args = parser.parse_args()
    name = dataset()
    epochs = args.epochs if name == "mnist" else 20 * args.epochs
    grid = {"cost": ["quadratic", "cross-entropy"], "eta": [0.1, 0.5, 3.0], "seed": [1, 2]}
    spec = sweeps.SweepSpec.from_axes({**grid, "epochs": epochs, "kernel": args.kernel}, name)
    tiny = sweeps.SweepSpec.from_axes(
        {"epochs": 1, "eta": [0.1 * (k + 1) for k in range(args.tiny_runs)]}, "digits"
    )
    times: dict[str, list[float]] = {
        "serial": [],
        "cold": [],
        "warm": [],
        "tiny": [],
        "tiny-dask": [],
    }
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        # The modes take turns, so that other work on the machine falls on each alike.
        with sweeps.local_cluster(args.workers) as cluster:
            warm_up(spec, root / "warm-up", cluster.scheduler_address)
            for k in range(args.repeats):
                times["serial"].append(serial_seconds(spec, root / f"serial-{k}"))
                times["cold"].append(sweep_seconds(spec, root / f"cold-{k}", None, args.workers))
                times["warm"].append(
                    sweep_seconds(spec, root / f"warm-{k}", cluster.scheduler_address, 0)
                )
                loads.append(os.getloadavg()[0])
        with sweeps.local_cluster(1) as cluster:
            warm_up(tiny, root / "tiny-warm-up", cluster.scheduler_address)
            for k in range(args.repeats):
                times["tiny"].append(serial_seconds(tiny, root / f"tiny-{k}", warm=True))
                times["tiny-dask"].append(
                    sweep_seconds(tiny, root / f"tiny-dask-{k}", cluster.scheduler_address, 0)
                )
    runs = len(spec.points())
    median = {mode: statistics.median(t) for mode, t in times.items()}
    best = {mode: min(t) for mode, t in times.items()}

    def row(what: str, mode: str, base: str | None) -> dict[str, object]:
        return {
            "what": what,
            "median s": median[mode],
            "best s": best[mode],
            "speed-up (medians)": f"{median[base] / median[mode]:.2f}" if base else "",
            "speed-up (bests)": f"{best[base] / best[mode]:.2f}" if base else "",
        }

    rows = [
        row(f"{runs} runs serially", "serial", "serial"),
        row(f"{runs} runs, {args.workers} workers, end to end", "cold", "serial"),
        row(f"{runs} runs, {args.workers} workers, warm cluster", "warm", "serial"),
        row(f"{args.tiny_runs} tiny runs serially (digits, 1 epoch)", "tiny", None),
        row(f"{args.tiny_runs} tiny runs through Dask, 1 warm worker", "tiny-dask", None),
        {
            "what": "overhead per run through Dask",
            "median s": (median["tiny-dask"] - median["tiny"]) / args.tiny_runs,
            "best s": (best["tiny-dask"] - best["tiny"]) / args.tiny_runs,
            "speed-up (medians)": "",
            "speed-up (bests)": "",
        },
    ]
    sizes = list(spec.points()[0].sizes)
    report(
        "sweep_speed",
        f"{runs}-run sweep ({sizes} on {name}, {epochs} epochs, {args.kernel} kernel) on "
        f"{args.workers} local workers vs serially, {args.repeats} turns each; load average "
        f"{', '.join(f'{x:.2f}' for x in loads)} (before, after each turn)",
        rows,
        {
            "dataset": name,
            "epochs": epochs,
            "kernel": args.kernel,
            "workers": args.workers,
            "repeats": args.repeats,
            "seconds": times,
            "load_averages": loads,
        },
    )


if __name__ == "__main__":
    main()
