"""Where a compiled epoch's time goes: the compiled kernel's mini-batch loop run over an MNIST
epoch (5,000 mini-batches of 10, float32, shuffled) for groups of K networks of [784, 30, 10]
(--hidden for another width), stopped after each of its steps in turn.

    python benchmarks/kernel_phases.py [--groups 1,8] [--hidden 30] [--repeats 5]

Each run does the steps up to one of them, in the loop's own order and with its own functions,
so a step's time is the difference between two runs (its caches and prefetching as in the
whole loop; the differences are near, not exactly, what each step costs). The last row runs
every step: it is checked to train to the same bits as the kernel itself. CPU time, the
fastest of the repeats, the runs interleaved. Needs real MNIST (XENTLAB_DATA).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
from _report import benchmark_parser, report
from group_speed import cpu_model
from numba import njit

from xentlab.data import load_dataset
from xentlab.functions import one_hot
from xentlab.kernel import Member, Step
from xentlab.kernel import compiled_input as inputs
from xentlab.kernel import compiled_layers as layers
from xentlab.kernel import compiled_loop as loop
from xentlab.kernel.compiled import CompiledEpochKernel
from xentlab.kernel.compiled_support import prefetch_batch
from xentlab.model import Network

BATCH, DTYPE = 10, np.dtype(np.float32)
STEPS = [
    "prefetch of the next mini-batch",
    "input layer forward (sparse)",
    "σ of the input layers",
    "own layers forward (dense, σ)",
    "own layers backward and update",
    "input layers' biases",
    "input layer update (sparse)",
]


@njit  # not cached: it inlines the kernel's functions, whose changes numba's cache would miss
def steps_up_to(last, params, layout, members, steps, flags, rows, Y, order, batches, scratch):  # type: ignore[no-untyped-def]
    """``sgd_batches_compiled``'s loop, doing its steps 0 .. ``last`` only (see STEPS)."""
    indptr, indices, values = rows
    first_batch, stop_batch, batch_size, n_train, by_row = batches
    acts, deltas, spare, examples, row_values, counts = scratch
    n = order.shape[0]
    shared = members[0, 0]
    W0, b0 = layers.weights(params, layout, shared), layers.biases(params, layout, shared)
    z0 = layers.block(acts, layout, shared, batch_size)
    delta0 = layers.block(deltas, layout, shared, batch_size)
    Yflat, outputs = Y.reshape(-1), Y.shape[1]
    for k in range(first_batch, stop_batch):
        lo = k * batch_size
        m = min(lo + batch_size, n) - lo
        ahead = lo + batch_size
        prefetch_batch(
            indptr, indices, values, Yflat, outputs, order, ahead, ahead + batch_size, batch_size
        )
        if last >= 1:
            inputs.input_forward(W0, b0, z0, indptr, indices, values, order, lo, m)
        if last >= 2:
            loop.activate_input_layers(z0, layout, members, flags, m)
        for net in range(members.shape[0]):
            first, count = members[net, 0], members[net, 1]
            if last >= 3:
                output = flags[net, loop.OUTPUT]
                layers.forward_own_layers(params, layout, acts, first, count, output, m, batch_size)
            if last >= 4:
                step = (
                    steps[net, 0],
                    steps[net, 1],
                    n_train,
                    flags[net, loop.L1] != 0,
                    flags[net, loop.SIGMA_PRIME] != 0,
                )
                layers.backward(
                    params,
                    layout,
                    acts,
                    deltas,
                    Y,
                    order,
                    lo,
                    m,
                    batch_size,
                    (first, count),
                    step,
                    spare,
                )
        if last >= 5:
            layers.update_biases(b0, 0, b0.shape[0], delta0, m, spare)
        if last >= 6:
            if by_row:
                inputs.scatter_by_row(
                    indptr, indices, values, order, lo, m, examples, row_values, counts
                )
                inputs.update_by_row(W0, delta0, examples, row_values, counts)
            else:
                inputs.update_by_example(W0, delta0, indptr, indices, values, order, lo, m)


class Group:
    """K networks of one shape, their kernel (prepared) and a way to run steps over an epoch."""

    def __init__(self, k: int, sizes: list[int], X: Any, Y: Any, order: Any) -> None:
        self.nets = [
            Network.create(sizes, ["quadratic", "cross-entropy"][i % 2], "default", i, "float32")
            for i in range(k)
        ]
        self.kernel = CompiledEpochKernel([(n.sizes, n.cost) for n in self.nets], BATCH, DTYPE)
        self.kernel.prepare(X, Y)
        self.X, self.Y, self.order = X, Y, order
        self.batches = -(-len(X) // BATCH)

    def members(self) -> list[Member]:
        """Fresh copies of the starting networks, each with its step."""
        return [
            Member(
                [w.copy() for w in net.weights],
                [b.copy() for b in net.biases],
                Step(3.0 if i % 2 == 0 else 0.5, 0.0, len(self.X), False),
            )
            for i, net in enumerate(self.nets)
        ]

    def run_steps(self, last: int) -> tuple[float, list[Member]]:
        """CPU seconds of an epoch doing steps 0 .. last, and the networks it trained."""
        kernel, members = self.kernel, self.members()
        for member, first in zip(members, kernel.members[:, loop.FIRST_ROW], strict=True):
            kernel._pack(member, first)
        rows = kernel.compressed
        assert rows is not None and kernel._targets is not None
        steps = np.array([(m.step.eta, m.step.lmbda) for m in members], np.float64)
        started = time.process_time()
        steps_up_to(
            last,
            kernel.params,
            kernel.layout,
            kernel.members,
            steps,
            kernel.flags,
            (rows.indptr, rows.indices, rows.values),
            kernel._targets[1],
            np.asarray(self.order, np.int64),
            (0, self.batches, BATCH, len(self.X), kernel.update_by_row),
            (
                kernel.acts,
                kernel.deltas,
                kernel.spare,
                kernel.row_examples,
                kernel.row_values,
                kernel.row_counts,
            ),
        )
        seconds = time.process_time() - started
        for member, first in zip(members, kernel.members[:, loop.FIRST_ROW], strict=True):
            kernel._unpack(member, first)
        return seconds, members

    def check_against_kernel(self) -> None:
        """Every step: the same bits as the kernel's own epoch (the copy of the loop is true)."""
        _, copied = self.run_steps(len(STEPS) - 1)
        own = self.members()
        self.kernel.run_group(own, self.X, self.Y, 0, self.batches, self.order)
        for a, b in zip(copied, own, strict=True):
            for x, y in zip(a.weights + a.biases, b.weights + b.biases, strict=True):
                assert x.tobytes() == y.tobytes(), "the benchmark's loop differs from the kernel's"


def main() -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--groups", default="1,8", help="the group sizes K to profile")
    parser.add_argument("--hidden", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    train = load_dataset("mnist").train
    X = np.ascontiguousarray(train.X, DTYPE)
    Y = one_hot(train.labels, 10, DTYPE)
    order = np.random.default_rng(0).permutation(len(X))
    sizes = [784, args.hidden, 10]
    groups = {int(k): Group(int(k), sizes, X, Y, order) for k in args.groups.split(",")}
    for group in groups.values():
        group.check_against_kernel()
    load_start = os.getloadavg()[0]
    best = {(k, last): float("inf") for k in groups for last in range(len(STEPS))}
    for _ in range(args.repeats):
        for k, group in groups.items():
            for last in range(len(STEPS)):
                best[k, last] = min(best[k, last], group.run_steps(last)[0])
    rows = []
    for last, name in enumerate(STEPS):
        row: dict[str, Any] = {"step": name}
        for k in groups:
            before = best[k, last - 1] if last else 0.0
            row[f"K={k}: ms per epoch"] = (best[k, last] - before) * 1e3
        rows.append(row)
    rows.append(
        {"step": "whole loop"}
        | {f"K={k}: ms per epoch": best[k, len(STEPS) - 1] * 1e3 for k in groups}
    )
    meta = {
        "cpu": cpu_model(),
        "load_average": [load_start, os.getloadavg()[0]],
        "sizes": sizes,
        "batch_size": BATCH,
        "dtype": DTYPE.name,
        "repeats": args.repeats,
        "update_by_row": {k: bool(g.kernel.update_by_row) for k, g in groups.items()},
    }
    title = f"compiled loop, K networks of {sizes}, mini-batch {BATCH}, float32: time per step"
    report("kernel_phases", title, rows, meta)
    print(f"{meta['cpu']}; load average {load_start:.2f} at start, {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
