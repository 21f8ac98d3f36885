"""Where one compiled epoch's time goes: each step of the compiled kernel's mini-batch loop run
alone over the 5,000 mini-batches of an MNIST epoch ([784, 30, 10] unless --hidden says
otherwise, mini-batch 10, float32), in the epoch's shuffled order and in storage order.

    python benchmarks/kernel_phases.py [--hidden 30] [--repeats 5]

Each step is timed in a loop of its own (CPU time, fastest of the repeats), so the sum is near,
not equal to, the whole epoch: steps run together share caches, and the whole kernel (last
rows) also prefetches the next mini-batch's rows while it works. Needs real MNIST.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from _report import report
from numba import njit

from xentlab.data import load_dataset
from xentlab.functions import one_hot
from xentlab.kernel import compiled_loop as loop
from xentlab.kernel.compiled import CompiledEpochKernel
from xentlab.model import Network

BATCH = 10
STEPS = [
    "input layer forward (sparse)",
    "hidden σ",
    "output layer forward",
    "output σ",
    "output error δ",
    "hidden error δ",
    "output layer update",
    "input layer update (sparse)",
    "bias updates",
    "prefetch of the next mini-batch",
]


@njit(cache=True)
def one_step(step, params, layout, acts, deltas, indptr, indices, values, targets, order, total):  # type: ignore[no-untyped-def]
    """Step ``step`` of the kernel's mini-batch loop, for every mini-batch of an epoch."""
    W0, b0 = loop._weights(params, layout, 0), loop._biases(params, layout, 0)
    W1, b1 = loop._weights(params, layout, 1), loop._biases(params, layout, 1)
    z0, z1 = loop._block(acts, layout, 0, BATCH), loop._block(acts, layout, 1, BATCH)
    d0, d1 = loop._block(deltas, layout, 0, BATCH), loop._block(deltas, layout, 1, BATCH)
    scale = params.dtype.type(0.05)
    flat = targets.reshape(-1)
    for k in range(total):
        lo = k * BATCH
        m = min(lo + BATCH, order.shape[0]) - lo
        if step == 0:
            loop._input_layer(W0, b0, z0, indptr, indices, values, order, lo, m)
        elif step == 1:
            loop._sigmoid(z0, layout[0, 1], m)
        elif step == 2:
            loop._dense_layer(W1, b1, z1, z0, layout[1, 0], m)
        elif step == 3:
            loop._sigmoid(z1, layout[1, 1], m)
        elif step == 4:
            loop._output_error(z1, targets, order, lo, m, layout[1, 1], scale, d1, False)
        elif step == 5:
            loop._hidden_error(d1, W1, z0, d0, layout[1, 0], layout[1, 1], m)
        elif step == 6:
            loop._update_dense(W1, z0, d1, layout[1, 0], m)
        elif step == 7:
            loop._update_input_layer(W0, d0, indptr, indices, values, order, lo, m)
        elif step == 8:
            loop._update_biases(b1, d1, m)
            loop._update_biases(b0, d0, m)
        else:
            loop._prefetch_batch(
                indptr,
                indices,
                values,
                flat,
                targets.shape[1],
                order,
                lo + BATCH,
                lo + 2 * BATCH,
                BATCH,
            )


def cpu_seconds(function: Any, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        function()
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    ds = load_dataset("mnist")
    sizes = [784, args.hidden, 10]
    net = Network.create(sizes, cost="cross-entropy", init="large", seed=1)
    X, Y = ds.train.X, one_hot(ds.train.labels, 10, net.dtype)
    n = len(X)
    total = -(-n // BATCH)
    kernel = CompiledEpochKernel(sizes, BATCH, net.dtype, "cross-entropy")
    kernel.prepare(X, Y)
    rows = kernel.compressed
    assert rows is not None
    orders = {"shuffled": np.random.default_rng(1).permutation(n), "storage": np.arange(n)}
    rows_out = []
    for step, name in enumerate(STEPS):
        row: dict[str, Any] = {"step": name}
        for label, order in orders.items():
            # fresh weights each time; δ stays zero, so updates leave them as they are
            kernel._pack(net.weights, net.biases)
            kernel.deltas[:] = 0

            def run(order: Any = order, step: int = step) -> None:
                one_step(
                    step,
                    kernel.params,
                    kernel.layout,
                    kernel.acts,
                    kernel.deltas,
                    rows.indptr,
                    rows.indices,
                    rows.values,
                    Y,
                    order,
                    total,
                )

            run()  # compile
            row[f"µs per mini-batch ({label})"] = cpu_seconds(run, args.repeats) / total * 1e6
        rows_out.append(row)
    for label, order in orders.items():
        whole = kernel_epoch(kernel, net, X, Y, order, total, args.repeats)
        rows_out.append({"step": f"whole kernel ({label})"} | {"seconds": whole})
    summed = {
        label: sum(r[f"µs per mini-batch ({label})"] for r in rows_out[: len(STEPS)])
        for label in orders
    }
    table = rows_out[: len(STEPS)] + [
        {
            "step": "sum of the steps",
            **{f"µs per mini-batch ({k})": v for k, v in summed.items()},
        },
        {
            "step": "whole kernel, one epoch",
            **{
                f"µs per mini-batch ({k})": rows_out[len(STEPS) + i]["seconds"] / total * 1e6
                for i, k in enumerate(orders)
            },
        },
    ]
    report(
        "kernel_phases",
        f"compiled kernel, [784, {args.hidden}, 10], mini-batch {BATCH}, float32: "
        "µs per mini-batch",
        table,
        {"sizes": sizes, "batches": total, "repeats": args.repeats},
    )


def kernel_epoch(
    kernel: Any, net: Any, X: Any, Y: Any, order: Any, total: int, repeats: int
) -> float:
    """CPU seconds of one whole epoch of the kernel (fastest of ``repeats``)."""

    def run() -> None:
        trial = net.copy()
        kernel.run(trial.weights, trial.biases, X, Y, 0, total, 0.5, 0.0, len(X), "l2", order)

    return cpu_seconds(run, repeats)


if __name__ == "__main__":
    main()
