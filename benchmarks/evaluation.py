"""How much does measuring a network cost beside training it? Per epoch of [784, 30, 10] on
MNIST (cross-entropy, η = 0.5, mini-batch 10, float32): the compiled kernel alone; each epoch's
evaluation (cost and accuracy on the 50,000 training and 10,000 validation images, saturation
on 1,000) by NumPy (before) and compiled (after); the training loop with it, and its ratio to
the kernel alone; then the probes of ``xentlab compare --dataset mnist --seeds 1 --epochs 1``
(about 500 per run-epoch), NumPy against compiled, and the whole comparison's time.

    XENTLAB_DATA=... python benchmarks/evaluation.py [--epochs 4] [--repeats 3] [--no-compare]

"Before" is today's reference path, run in the same process by making every evaluator take it
(the epoch kernel stays compiled in both). Loop epochs are timed from one epoch's end to the
next (mini-batches, divergence checks and evaluation), after a first epoch that is not counted
(it compresses the data for the evaluators); the kernel alone is timed as epoch_speed.py does.
Rows give the median of the repeats' epochs; the machine's CPU and load are printed and kept
in the JSON.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from _kernel import kernel_epochs
from _report import benchmark_parser, machine, report

from xentlab.data import load_dataset
from xentlab.errors import XentlabError
from xentlab.experiments import CompareSpec, compare
from xentlab.kernel import compiled_unavailable
from xentlab.model import Network
from xentlab.training import TrainConfig, TrainState, check_labelled, fit, probes
from xentlab.training.evaluator import Evaluator

SIZES = [784, 30, 10]
ETA, BATCH = 0.5, 10


@contextmanager
def numpy_evaluation() -> Iterator[None]:
    """Every evaluator takes the reference path (as before the compiled one existed)."""
    with mock.patch.object(Evaluator, "uses_compiled", return_value=False):
        yield


def kernel_alone(ds: Any, epochs: int, seed: int) -> list[float]:
    """Seconds of each epoch of the compiled kernel called directly (``_kernel``): one call per
    epoch over all its mini-batches, nothing else."""
    net = Network.create(SIZES, seed=seed)
    X = check_labelled(net, ds.train.X, ds.train.labels, "training").X
    return kernel_epochs(net, X, ds.train.labels, BATCH, ETA, epochs, seed)


class EpochClock:
    """An observer noting when each epoch ended, its evaluation included."""

    def __init__(self) -> None:
        self.marks: list[float] = []

    def on_batches(self, state: TrainState, done: int, total: int) -> None:
        pass

    def on_epoch(self, state: TrainState, record: Any) -> None:
        self.marks.append(time.perf_counter())


def loop_with_evaluation(ds: Any, epochs: int, seed: int) -> tuple[list[float], list[float]]:
    """Seconds of epochs 2 .. epochs + 1 of the training loop, as ``xentlab train`` runs it
    (validation set given, every epoch's evaluation included), and of their evaluations (an
    epoch less the seconds its record gives to its mini-batches)."""
    net = Network.create(SIZES, seed=seed)
    training = check_labelled(net, ds.train.X, ds.train.labels, "training")
    validation = check_labelled(net, ds.validation.X, ds.validation.labels, "validation")
    config = TrainConfig(epochs=epochs + 1, batch_size=BATCH, eta=ETA, seed=seed)
    clock = EpochClock()
    state = fit(TrainState.start(net, config), training, validation, observers=[clock])
    marks = clock.marks
    epoch_seconds = [later - earlier for earlier, later in zip(marks[:-1], marks[1:], strict=True)]
    training_seconds = state.history.column("seconds")[1:]
    evaluations = [e - t for e, t in zip(epoch_seconds, training_seconds, strict=True)]
    return epoch_seconds, evaluations


def compare_probes(dataset: str) -> tuple[float, float, int]:
    """(seconds of the whole comparison, of its probes, probes taken) of ``xentlab compare
    --dataset mnist --seeds 1 --epochs 1``, run in this process."""
    measure = probes.measure
    spent = [0.0, 0]

    def timed(*args: Any, **kwargs: Any) -> probes.ProbeRecord:
        start = time.perf_counter()
        record = measure(*args, **kwargs)
        spent[0] += time.perf_counter() - start
        spent[1] += 1
        return record

    start = time.perf_counter()
    with mock.patch.object(probes, "measure", timed):
        compare(CompareSpec.of(dataset=dataset, epochs=1, seeds=(1,)))
    return time.perf_counter() - start, spent[0], int(spent[1])


def main() -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=4, help="timed epochs per run (default 4)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per configuration")
    parser.add_argument("--no-compare", action="store_true", help="skip the comparison's probes")
    args = parser.parse_args()
    if compiled_unavailable() is not None:
        sys.exit(f"evaluation needs numba: {compiled_unavailable()}")
    try:
        ds = load_dataset("mnist")
    except XentlabError as exc:
        sys.exit(f"evaluation needs real MNIST: {exc}")
    start_machine = machine()
    print(
        f"{start_machine['cpu_model']}, {start_machine['cpus']} CPUs, "
        f"load {start_machine['load_average']}"
    )
    loop_with_evaluation(ds, 1, seed=0)  # compiled code loaded (or compiled) before any timing
    with numpy_evaluation():
        loop_with_evaluation(ds, 1, seed=0)
    alone: list[float] = []
    before: tuple[list[float], list[float]] = ([], [])
    after: tuple[list[float], list[float]] = ([], [])
    for repeat in range(args.repeats):  # interleaved: a noisy spell hits all three
        alone += kernel_alone(ds, args.epochs, seed=repeat + 1)
        with numpy_evaluation():
            epochs, evaluations = loop_with_evaluation(ds, args.epochs, seed=repeat + 1)
        before[0].extend(epochs)
        before[1].extend(evaluations)
        epochs, evaluations = loop_with_evaluation(ds, args.epochs, seed=repeat + 1)
        after[0].extend(epochs)
        after[1].extend(evaluations)
        print(f"repeat {repeat + 1} done", flush=True)
    kernel = statistics.median(alone)
    epoch_before, epoch_after = statistics.median(before[0]), statistics.median(after[0])
    evaluation_before = statistics.median(before[1])
    evaluation_after = statistics.median(after[1])
    rows: list[dict[str, Any]] = [
        {"what": "kernel alone, s/epoch", "before": kernel, "after": kernel, "after/before": 1.0},
        {
            "what": "evaluation (60,000 images), s/epoch",
            "before": evaluation_before,
            "after": evaluation_after,
            "after/before": evaluation_after / evaluation_before,
        },
        {
            "what": "loop with evaluation, s/epoch",
            "before": epoch_before,
            "after": epoch_after,
            "after/before": epoch_after / epoch_before,
        },
        {
            "what": "loop with evaluation / kernel alone",
            "before": epoch_before / kernel,
            "after": epoch_after / kernel,
            "after/before": epoch_after / epoch_before,
        },
    ]
    meta: dict[str, Any] = {
        "sizes": SIZES,
        "eta": ETA,
        "batch_size": BATCH,
        "dtype": "float32",
        "epochs": args.epochs,
        "repeats": args.repeats,
        "kernel_alone_s": alone,
        "loop_numpy_evaluation_s": before[0],
        "loop_compiled_evaluation_s": after[0],
        "numpy_evaluation_s": before[1],
        "compiled_evaluation_s": after[1],
    }
    if not args.no_compare:
        with numpy_evaluation():
            total_before, probes_before, count = compare_probes("mnist")
        total_after, probes_after, _ = compare_probes("mnist")
        rows += [
            {
                "what": f"compare --seeds 1 --epochs 1: {count} probes, s",
                "before": probes_before,
                "after": probes_after,
                "after/before": probes_after / probes_before,
            },
            {
                "what": "compare --seeds 1 --epochs 1: ms per probe",
                "before": probes_before / count * 1e3,
                "after": probes_after / count * 1e3,
                "after/before": probes_after / probes_before,
            },
            {
                "what": "compare --seeds 1 --epochs 1: whole, s",
                "before": total_before,
                "after": total_after,
                "after/before": total_after / total_before,
            },
        ]
        meta["probes"] = count
    end_machine = machine()
    meta["machine_at_start"] = start_machine
    meta["machine_at_end"] = end_machine
    print(f"load at the end: {end_machine['load_average']}")
    report(
        "evaluation", "evaluation beside training: NumPy (before) and compiled (after)", rows, meta
    )


if __name__ == "__main__":
    main()
