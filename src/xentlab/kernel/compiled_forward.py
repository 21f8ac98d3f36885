"""The forward pass compiled by numba, for measuring a network rather than training it: what an
epoch's record needs, from one pass over the examples (a probe's back-propagation is in
``compiled_probe``, on the same forward pass; importing this module imports numba).

``Network`` measures with a few NumPy calls per layer over all the rows at once: z = X W + b on
dense X, then the cost, the most active output and the saturation, each a pass of its own over
(n, outputs) arrays. Here each example goes through the network once, from its compressed row
(the non-zero inputs, :class:`~xentlab.kernel.compiled.CompressedRows`: a zero input adds
nothing to z = x W + b), and everything is measured from its output z at once:

- C_x, by the formula the cost declares (:class:`~xentlab.functions.CostFormula`), in float64
  from z as ``functions`` computes it (softplus(z) − y z, log-softmax shifted by max z, σ
  through e^(−|z|)): finite for every finite z. The regularisation term is added by the caller.
- whether the most active output is the label (the first of equal ones, as ``numpy.argmax``);
- the (output, example) pairs saturated, σ'(z) = a (1 − a) below a threshold, and of those the
  pairs also wrong, |a − y| > 0.5, on the first rows (none for a linear output, which never
  saturates);

Sums are kept in float64 whatever the network's dtype, and per block of ``BLOCK_ROWS`` rows:
the blocks are summed in their order afterwards, so the result is the same bits however many
threads measured the blocks. The hidden layers are computed in the network's dtype, as
``Network.weighted_inputs`` computes them, so that a float32 network is measured as it predicts.

Layout of ``params`` (one flat array, see :func:`pack`): for each layer l a row
``layout[l] = (inputs, outputs, width, w_offset, b_offset)``: W_l is ``params[w_offset:]`` read
as (inputs, width), b_l is ``params[b_offset:]`` of length width, with columns ``outputs ..
width − 1`` zero (widths a whole number of SIMD vectors, as in the training kernel). The
examples go through the network CHUNK_ROWS at a time, layer by layer: ``acts`` (and a probe's
``deltas``) hold, per layer, a (CHUNK_ROWS, width) block after the blocks of the layers before
it.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from ..compiling import compiled
from ..functions import CostFormula, Output
from .compiled import VECTOR_BYTES, CompressedRows
from .compiled_layers import OUTPUT_CODES
from .compiled_outputs import (
    FORMULA_CODES,
    activation64,
    argmax,
    example_cost,
    saturation_counts,
)

Arr = NDArray[np.floating]
INPUTS, OUTPUTS, WIDTH, W_OFFSET, B_OFFSET = range(5)
# Rows per partial sum, and per share of the work between threads: small enough for two
# threads to share a validation set evenly, large enough that a call costs nothing beside it.
BLOCK_ROWS = 1024
# A probe's sample is shared between threads in blocks of this many rows, each with partial
# sums of its own (a 1,000-example sample: four parts).
PROBE_BLOCK_ROWS = 256
# Rows taken through the network together, layer by layer (a divisor of both block sizes).
CHUNK_ROWS = 32
# measure_rows's sums per block, in this order
COST, CORRECT, SATURATED, SATURATED_WRONG = range(4)


# --- a few examples through the network --------------------------------------------------------


@compiled
def layer_weights(params, layout, layer):  # type: ignore[no-untyped-def]
    """W_l as an (inputs, width) view of params."""
    inputs, width, start = layout[layer, INPUTS], layout[layer, WIDTH], layout[layer, W_OFFSET]
    return params[start : start + inputs * width].reshape((inputs, width))


@compiled
def layer_biases(params, layout, layer):  # type: ignore[no-untyped-def]
    start = layout[layer, B_OFFSET]
    return params[start : start + layout[layer, WIDTH]]


@compiled
def layer_block(scratch, layout, layer):  # type: ignore[no-untyped-def]
    """Layer l's (CHUNK_ROWS, width) block of acts or deltas."""
    start = 0
    for earlier in range(layer):
        start += CHUNK_ROWS * layout[earlier, WIDTH]
    width = layout[layer, WIDTH]
    return scratch[start : start + CHUNK_ROWS * width].reshape((CHUNK_ROWS, width))


@compiled
def _input_z(W, b, z, indptr, indices, values, row):  # type: ignore[no-untyped-def]
    """z = x W + b for one example x, from its non-zero inputs: eight rows of W added per pass
    over z, so that z is read and written once per eight inputs."""
    width = z.shape[0]
    for j in range(width):
        z[j] = 0
    p, end = indptr[row], indptr[row + 1]
    while p + 8 <= end:
        w0, w1, w2, w3 = W[indices[p]], W[indices[p + 1]], W[indices[p + 2]], W[indices[p + 3]]
        w4, w5 = W[indices[p + 4]], W[indices[p + 5]]
        w6, w7 = W[indices[p + 6]], W[indices[p + 7]]
        v0, v1, v2, v3 = values[p], values[p + 1], values[p + 2], values[p + 3]
        v4, v5, v6, v7 = values[p + 4], values[p + 5], values[p + 6], values[p + 7]
        for j in range(width):
            first = (v0 * w0[j] + v1 * w1[j]) + (v2 * w2[j] + v3 * w3[j])
            second = (v4 * w4[j] + v5 * w5[j]) + (v6 * w6[j] + v7 * w7[j])
            z[j] += first + second
        p += 8
    while p < end:
        w0, v0 = W[indices[p]], values[p]
        for j in range(width):
            z[j] += v0 * w0[j]
        p += 1
    for j in range(width):
        z[j] += b[j]


@compiled
def _dense_z(W, b, z, below, inputs):  # type: ignore[no-untyped-def]
    """z = a W + b for one example's activations ``below`` (the layer beneath's), four rows of W
    per pass over z."""
    width = z.shape[0]
    for j in range(width):
        z[j] = 0
    i = 0
    while i + 4 <= inputs:
        w0, w1, w2, w3 = W[i], W[i + 1], W[i + 2], W[i + 3]
        v0, v1, v2, v3 = below[i], below[i + 1], below[i + 2], below[i + 3]
        for j in range(width):
            z[j] += (v0 * w0[j] + v1 * w1[j]) + (v2 * w2[j] + v3 * w3[j])
        i += 4
    while i < inputs:
        w0, v0 = W[i], below[i]
        for j in range(width):
            z[j] += v0 * w0[j]
        i += 1
    for j in range(width):
        z[j] += b[j]


@compiled
def _sigmoid_in_place(z, outputs):  # type: ignore[no-untyped-def]
    """a = σ(z) through e = e^(−|z|), as ``functions.sigmoid``: 1/(1 + e) for z ≥ 0, e/(1 + e)
    below, in z's own dtype; the padding stays zero."""
    one = z.dtype.type(1)
    for j in range(outputs):
        e = math.exp(-abs(z[j]))
        r = one / (one + e)
        z[j] = r if z[j] >= 0 else e * r


@compiled
def forward_rows(params, layout, indptr, indices, values, first_row, m, acts):  # type: ignore[no-untyped-def]
    """Rows first_row .. first_row + m − 1 (m ≤ CHUNK_ROWS) through the network: every hidden
    layer's a = σ(z) in its block of acts, and the output layer's z (not its activation) in
    the last block, which is returned."""
    last = layout.shape[0] - 1
    for layer in range(last + 1):
        W, b = layer_weights(params, layout, layer), layer_biases(params, layout, layer)
        Z = layer_block(acts, layout, layer)
        if layer == 0:
            for e in range(m):
                _input_z(W, b, Z[e], indptr, indices, values, first_row + e)
        else:
            below, inputs = layer_block(acts, layout, layer - 1), layout[layer, INPUTS]
            for e in range(m):
                _dense_z(W, b, Z[e], below[e], inputs)
        if layer < last:
            for e in range(m):
                _sigmoid_in_place(Z[e], layout[layer, OUTPUTS])
    return layer_block(acts, layout, last)


# --- the passes ---------------------------------------------------------------------------------


@compiled
def measure_rows(params, layout, rows, targets, labels, span, output, sums, scratch):  # type: ignore[no-untyped-def]
    """An epoch record's measures of the blocks first_block .. stop_block − 1 (block k is rows
    k·BLOCK_ROWS .. (k + 1)·BLOCK_ROWS − 1 of n), into ``sums[k]``: Σ C_x (when asked), the
    rows whose most active output is their label (with labels: ``labels`` empty means none),
    and the saturated and saturated-and-wrong outputs of the rows before ``saturation_rows``
    (none where the output does not saturate). The named parts, as tuples numba takes:
    ``rows`` (indptr, indices, values); ``span`` (first_block, stop_block, n,
    saturation_rows); ``output`` (activation code, whether it saturates, formula code,
    saturation threshold, whether to compute the cost); ``scratch`` (acts, a float64 vector as
    wide as the output layer)."""
    indptr, indices, values = rows
    first_block, stop_block, n, saturation_rows = span
    activation, saturates, formula, threshold, want_cost = output
    acts, activations = scratch
    outputs = layout[layout.shape[0] - 1, OUTPUTS]
    has_labels = labels.shape[0] > 0
    for block in range(first_block, stop_block):
        cost = 0.0
        correct = saturated = wrong = 0
        for lo in range(block * BLOCK_ROWS, min((block + 1) * BLOCK_ROWS, n), CHUNK_ROWS):
            m = min(CHUNK_ROWS, n - lo)
            Z = forward_rows(params, layout, indptr, indices, values, lo, m, acts)
            for e in range(m):
                row, z = lo + e, Z[e]
                y = targets[row]
                if want_cost:
                    cost += example_cost(z, y, outputs, formula)
                if has_labels and argmax(z, outputs) == labels[row]:
                    correct += 1
                if saturates and row < saturation_rows:
                    activation64(z, outputs, activation, activations)
                    found, found_wrong = saturation_counts(activations, y, outputs, threshold)
                    saturated += found
                    wrong += found_wrong
        sums[block, COST] = cost
        sums[block, CORRECT] = correct
        sums[block, SATURATED] = saturated
        sums[block, SATURATED_WRONG] = wrong


# --- the Python side ----------------------------------------------------------------------------


def pack(
    weights: Sequence[Arr], biases: Sequence[Arr], dtype: np.dtype
) -> tuple[Arr, NDArray[np.int64]]:
    """(params, layout): the network's weights and biases in ``dtype``, laid out as the loops
    read them (see the module's description), padding zero."""
    lanes = VECTOR_BYTES // dtype.itemsize
    layout, offset = [], 0
    for W in weights:
        inputs, outputs = W.shape
        width = -(-outputs // lanes) * lanes
        layout.append((inputs, outputs, width, offset, offset + inputs * width))
        offset += (inputs + 1) * width
    params = np.zeros(offset, dtype)
    for (inputs, outputs, width, w_at, b_at), W, b in zip(layout, weights, biases, strict=True):
        params[w_at : w_at + inputs * width].reshape(inputs, width)[:, :outputs] = W
        params[b_at : b_at + outputs] = b
    return params, np.array(layout, np.int64)


@cache
def _pool(workers: int) -> ThreadPoolExecutor:
    """Threads that measure beside the calling one (idle, they wait for work)."""
    return ThreadPoolExecutor(workers, thread_name_prefix="xentlab-measure")


if hasattr(os, "register_at_fork"):  # a forked child has none of its parent's threads
    os.register_at_fork(after_in_child=_pool.cache_clear)


def run_parts(parts: Sequence[Callable[[], None]], threads: int) -> None:
    """Run every part on up to ``threads`` threads, this one among them, each taking the next
    part not yet taken. Each part writes its own sums, so the result is the same whichever
    thread runs it; this returns when every part is done, without waiting for a thread that
    found none left to take (on a busy machine it may not even have started). A part must not
    call this: the pool's threads would wait on themselves."""
    threads = max(1, min(threads, len(parts)))
    taken = itertools.count()  # next() on it is atomic: each part is taken once
    finished = threading.Semaphore(0)
    failures: list[BaseException] = []

    def work() -> None:
        while (k := next(taken)) < len(parts):
            try:
                parts[k]()
            except BaseException as failure:  # raised in the calling thread, below
                failures.append(failure)
            finished.release()

    for _ in range(threads - 1):
        _pool(threads - 1).submit(work)
    work()
    for _ in parts:
        finished.acquire()
    if failures:
        raise failures[0]


@dataclass(frozen=True)
class OutputLayer:
    """What the loops need to know of the output layer and the cost: its declared activation
    (sigmoid, softmax or linear), the cost's declared formula and rule (δ carries σ'(z)), and
    the threshold of σ'(z) below which an output counts as saturated."""

    output: Output
    formula: CostFormula
    has_sigma_prime: bool
    threshold: float

    def codes(self) -> tuple[int, bool, int]:
        """(activation code, whether it saturates, formula code), as the loops take them."""
        return OUTPUT_CODES[self.output], self.output.saturates, FORMULA_CODES[self.formula]


def measure_part(
    rows: CompressedRows,
    targets: NDArray[np.float64],
    labels: NDArray[np.int64] | None,
    network: tuple[Arr, NDArray[np.int64]],
    output: OutputLayer,
    sums: NDArray[np.float64],
    span: tuple[int, int, int],
    want_cost: bool,
) -> Callable[[], None]:
    """A part (see :func:`run_parts`) that measures blocks first_block .. stop_block − 1 of
    ``rows`` into ``sums``; ``span`` is (first_block, stop_block, saturation_rows)."""
    params, layout = network
    first_block, stop_block, saturation_rows = span
    settings = (*output.codes(), output.threshold, want_cost)

    def part() -> None:
        acts = np.zeros(CHUNK_ROWS * int(layout[:, WIDTH].sum()), params.dtype)
        measure_rows(
            params,
            layout,
            (rows.indptr, rows.indices, rows.values),
            targets,
            np.zeros(0, np.int64) if labels is None else labels,
            (first_block, stop_block, rows.shape[0], saturation_rows),
            settings,
            sums,
            (acts, np.zeros(layout[-1, OUTPUTS])),
        )

    return part


def _totals(sums: NDArray[np.float64]) -> tuple[float, int, int, int]:
    totals = sums.sum(axis=0)  # the blocks in order: the same bits for any number of threads
    return (
        float(totals[COST]),
        int(totals[CORRECT]),
        int(totals[SATURATED]),
        int(totals[SATURATED_WRONG]),
    )


def measure(
    rows: CompressedRows,
    targets: NDArray[np.float64],
    labels: NDArray[np.int64] | None,
    weights: Sequence[Arr],
    biases: Sequence[Arr],
    output: OutputLayer,
    saturation_rows: int = 0,
    want_cost: bool = True,
    threads: int = 1,
) -> tuple[float, int, int, int]:
    """(Σ C_x, rows predicted right, saturated outputs, saturated-and-wrong outputs) of the
    network on ``rows`` (compressed in the dtype to compute in) and ``targets`` (float64), the
    saturation counted on the first ``saturation_rows`` rows. With ``threads`` > 1 the blocks
    of BLOCK_ROWS rows are taken one at a time by whichever thread is free (about a millisecond
    of work on MNIST against 10 µs a call, and a thread slowed by another process takes fewer);
    the result does not depend on which, or how many."""
    network = pack(weights, biases, rows.values.dtype)
    blocks = -(-rows.shape[0] // BLOCK_ROWS)
    sums = np.zeros((blocks, 4), np.float64)
    step = 1 if threads > 1 else blocks
    parts = [
        measure_part(
            rows,
            targets,
            labels,
            network,
            output,
            sums,
            (lo, min(lo + step, blocks), saturation_rows),
            want_cost,
        )
        for lo in range(0, blocks, step)
    ]
    run_parts(parts, threads)
    return _totals(sums)
