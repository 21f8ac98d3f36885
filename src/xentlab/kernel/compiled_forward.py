"""The forward pass compiled by numba, for measuring a network rather than training it: what an
epoch's record and a probe need, from one pass over the examples (importing this module
imports numba).

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
- for a probe (in float64): δ_l = ∂C_x/∂z_l of every layer, back-propagated as
  ``Network.deltas`` does, the sums of |δ_l| and of ∂C_x/∂W_l = a_{l−1}ᵀ δ_l.

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
from .compiled_layers import LINEAR_OUTPUT, OUTPUT_CODES, SOFTMAX_OUTPUT

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
# The declared formulas as the compiled loops know them.
HALF_SQUARED_ERROR, SIGMOID_CROSS_ENTROPY, SOFTMAX_LOG_LIKELIHOOD = range(3)
LINEAR_HALF_SQUARED_ERROR = 3
FORMULA_CODES = {
    CostFormula.HALF_SQUARED_ERROR: HALF_SQUARED_ERROR,
    CostFormula.LINEAR_HALF_SQUARED_ERROR: LINEAR_HALF_SQUARED_ERROR,
    CostFormula.SIGMOID_CROSS_ENTROPY: SIGMOID_CROSS_ENTROPY,
    CostFormula.SOFTMAX_LOG_LIKELIHOOD: SOFTMAX_LOG_LIKELIHOOD,
}
# measure_rows's sums per block, in this order
COST, CORRECT, SATURATED, SATURATED_WRONG = range(4)


# --- a few examples through the network --------------------------------------------------------


@compiled
def _weights(params, layout, layer):  # type: ignore[no-untyped-def]
    """W_l as an (inputs, width) view of params."""
    inputs, width, start = layout[layer, INPUTS], layout[layer, WIDTH], layout[layer, W_OFFSET]
    return params[start : start + inputs * width].reshape((inputs, width))


@compiled
def _biases(params, layout, layer):  # type: ignore[no-untyped-def]
    start = layout[layer, B_OFFSET]
    return params[start : start + layout[layer, WIDTH]]


@compiled
def _block(scratch, layout, layer):  # type: ignore[no-untyped-def]
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
def _forward(params, layout, indptr, indices, values, first_row, m, acts):  # type: ignore[no-untyped-def]
    """Rows first_row .. first_row + m − 1 (m ≤ CHUNK_ROWS) through the network: every hidden
    layer's a = σ(z) in its block of acts, and the output layer's z (not its activation) in
    the last block, which is returned."""
    last = layout.shape[0] - 1
    for layer in range(last + 1):
        W, b = _weights(params, layout, layer), _biases(params, layout, layer)
        Z = _block(acts, layout, layer)
        if layer == 0:
            for e in range(m):
                _input_z(W, b, Z[e], indptr, indices, values, first_row + e)
        else:
            below, inputs = _block(acts, layout, layer - 1), layout[layer, INPUTS]
            for e in range(m):
                _dense_z(W, b, Z[e], below[e], inputs)
        if layer < last:
            for e in range(m):
                _sigmoid_in_place(Z[e], layout[layer, OUTPUTS])
    return _block(acts, layout, last)


# --- what one example's output z says ---------------------------------------------------------


@compiled
def _sigmoid64(z):  # type: ignore[no-untyped-def]
    """σ(z) in float64, as ``functions.sigmoid``."""
    e = math.exp(-abs(z))
    r = 1.0 / (1.0 + e)
    return r if z >= 0 else e * r


@compiled
def _top(z, outputs):  # type: ignore[no-untyped-def]
    """max_j z_j, in float64."""
    top = np.float64(z[0])
    for j in range(1, outputs):
        top = max(top, np.float64(z[j]))
    return top


@compiled
def _example_cost(z, y, outputs, formula):  # type: ignore[no-untyped-def]
    """C_x of one example from its output z (any float dtype) and targets y (float64), in
    float64, by the declared formula: ½ Σ (σ(z) − y)²; ½ Σ (z − y)² (a linear output); Σ
    softplus(z) − y z with softplus(z) = max(z, 0) + ln(1 + e^(−|z|)); −Σ y (z − max z −
    ln Σ e^(z − max z))."""
    total = 0.0
    if formula == HALF_SQUARED_ERROR:
        for j in range(outputs):
            error = _sigmoid64(np.float64(z[j])) - y[j]
            total += error * error
        return 0.5 * total
    if formula == LINEAR_HALF_SQUARED_ERROR:
        for j in range(outputs):
            error = np.float64(z[j]) - y[j]
            total += error * error
        return 0.5 * total
    if formula == SIGMOID_CROSS_ENTROPY:
        for j in range(outputs):
            zj = np.float64(z[j])
            total += (max(zj, 0.0) + math.log1p(math.exp(-abs(zj)))) - y[j] * zj
        return total
    top = _top(z, outputs)
    exps = 0.0
    for j in range(outputs):
        exps += math.exp(np.float64(z[j]) - top)
    log_total = math.log(exps)
    for j in range(outputs):
        total += y[j] * ((np.float64(z[j]) - top) - log_total)
    return -total


@compiled
def _argmax(z, outputs):  # type: ignore[no-untyped-def]
    """The index of the largest z_j, the first of equal ones; a NaN counts as largest, as in
    ``numpy.argmax``."""
    best = 0
    if z[0] != z[0]:
        return 0
    for j in range(1, outputs):
        if z[j] != z[j]:
            return j
        if z[j] > z[best]:
            best = j
    return best


@compiled
def _activation64(z, outputs, output, a):  # type: ignore[no-untyped-def]
    """a = σ(z), softmax(z) = e^(z − max z) / Σ e^(z − max z) or z (a linear output), as the
    code ``output`` declares, in float64, into ``a``."""
    if output == LINEAR_OUTPUT:
        for j in range(outputs):
            a[j] = np.float64(z[j])
    elif output == SOFTMAX_OUTPUT:
        top = _top(z, outputs)
        total = 0.0
        for j in range(outputs):
            a[j] = math.exp(np.float64(z[j]) - top)
            total += a[j]
        for j in range(outputs):
            a[j] /= total
    else:
        for j in range(outputs):
            a[j] = _sigmoid64(np.float64(z[j]))


@compiled
def _saturation(a, y, outputs, threshold):  # type: ignore[no-untyped-def]
    """(saturated, saturated and wrong): the outputs with a (1 − a) < threshold, and of those
    the ones with |a − y| > 0.5."""
    saturated = wrong = 0
    for j in range(outputs):
        if a[j] * (1 - a[j]) < threshold:
            saturated += 1
            if abs(a[j] - y[j]) > 0.5:
                wrong += 1
    return saturated, wrong


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
            Z = _forward(params, layout, indptr, indices, values, lo, m, acts)
            for e in range(m):
                row, z = lo + e, Z[e]
                y = targets[row]
                if want_cost:
                    cost += _example_cost(z, y, outputs, formula)
                if has_labels and _argmax(z, outputs) == labels[row]:
                    correct += 1
                if saturates and row < saturation_rows:
                    _activation64(z, outputs, activation, activations)
                    found, found_wrong = _saturation(activations, y, outputs, threshold)
                    saturated += found
                    wrong += found_wrong
        sums[block, COST] = cost
        sums[block, CORRECT] = correct
        sums[block, SATURATED] = saturated
        sums[block, SATURATED_WRONG] = wrong


@compiled
def _accumulate_gradient(G, below, delta, inputs, width):  # type: ignore[no-untyped-def]
    """G += aᵀδ for one example's activations a (``below``) and δ."""
    for i in range(inputs):
        g, v = G[i], below[i]
        for j in range(width):
            g[j] += v * delta[j]


@compiled
def _accumulate_input_gradient(G, delta, indptr, indices, values, row):  # type: ignore[no-untyped-def]
    """G += xᵀδ over the non-zero inputs x_i of one example: only their rows change."""
    width = G.shape[1]
    for p in range(indptr[row], indptr[row + 1]):
        g, v = G[indices[p]], values[p]
        for j in range(width):
            g[j] += v * delta[j]


@compiled
def _back(delta, W, below, delta_below, inputs, outputs):  # type: ignore[no-untyped-def]
    """δ_{l−1} = (δ_l W_lᵀ) ⊙ a_{l−1} (1 − a_{l−1}) for one example; the padding zero."""
    for i in range(inputs):
        w = W[i]
        total = 0.0
        for j in range(outputs):
            total += delta[j] * w[j]
        delta_below[i] = total * below[i] * (1 - below[i])
    for i in range(inputs, delta_below.shape[0]):
        delta_below[i] = 0


@compiled
def probe_rows(params, layout, rows, targets, span, output, sums, gradients, scratch):  # type: ignore[no-untyped-def]
    """A probe's measures of rows first_row .. stop_row − 1 (``span``), in float64 (``params``
    float64): into ``sums``, Σ C_x, the saturated and saturated-and-wrong outputs, then Σ |δ_l|
    for each layer; into ``gradients`` (laid out as params' weights), Σ_x a_{l−1}ᵀ δ_l for each
    layer. δ_L is the cost's declared rule, a − y, or (a − y) σ'(z) with σ'(z) = e^(−|z|) /
    (1 + e^(−|z|))²; δ_{l−1} = (δ_l W_lᵀ) ⊙ a_{l−1} (1 − a_{l−1}). ``rows`` (indptr, indices,
    values); ``output`` (activation code, whether it saturates, formula code, δ carries
    σ'(z), saturation threshold); ``scratch`` (acts, deltas, a vector as wide as the output
    layer). A linear output's δ = a − y = z − y; it never saturates."""
    indptr, indices, values = rows
    first_row, stop_row = span
    activation, saturates, formula, has_sigma_prime, threshold = output
    acts, deltas, activations = scratch
    last = layout.shape[0] - 1
    outputs = layout[last, OUTPUTS]
    for lo in range(first_row, stop_row, CHUNK_ROWS):
        m = min(CHUNK_ROWS, stop_row - lo)
        Z = _forward(params, layout, indptr, indices, values, lo, m, acts)
        D = _block(deltas, layout, last)
        for e in range(m):
            z, y, delta = Z[e], targets[lo + e], D[e]
            sums[0] += _example_cost(z, y, outputs, formula)
            _activation64(z, outputs, activation, activations)
            if saturates:
                found, found_wrong = _saturation(activations, y, outputs, threshold)
                sums[1] += found
                sums[2] += found_wrong
            for j in range(outputs):
                error = activations[j] - y[j]
                if has_sigma_prime:
                    slope = math.exp(-abs(z[j]))
                    error *= slope / ((1.0 + slope) * (1.0 + slope))
                delta[j] = error
            for j in range(outputs, delta.shape[0]):
                delta[j] = 0
        for layer in range(last, -1, -1):
            D, G = _block(deltas, layout, layer), _weights(gradients, layout, layer)
            inputs, width = layout[layer, INPUTS], layout[layer, WIDTH]
            for e in range(m):
                total = 0.0
                for j in range(layout[layer, OUTPUTS]):
                    total += abs(D[e, j])
                sums[3 + layer] += total
            if layer == 0:
                for e in range(m):
                    _accumulate_input_gradient(G, D[e], indptr, indices, values, lo + e)
                continue
            below = _block(acts, layout, layer - 1)
            D_below = _block(deltas, layout, layer - 1)
            W = _weights(params, layout, layer)
            for e in range(m):
                _accumulate_gradient(G, below[e], D[e], inputs, width)
                _back(D[e], W, below[e], D_below[e], inputs, layout[layer, OUTPUTS])


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


def _run_parts(parts: Sequence[Callable[[], None]], threads: int) -> None:
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


def _measure_part(
    rows: CompressedRows,
    targets: NDArray[np.float64],
    labels: NDArray[np.int64] | None,
    network: tuple[Arr, NDArray[np.int64]],
    output: OutputLayer,
    sums: NDArray[np.float64],
    span: tuple[int, int, int],
    want_cost: bool,
) -> Callable[[], None]:
    """A part (see :func:`_run_parts`) that measures blocks first_block .. stop_block − 1 of
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
        _measure_part(
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
    _run_parts(parts, threads)
    return _totals(sums)


def probe(
    rows: CompressedRows,
    targets: NDArray[np.float64],
    weights: Sequence[Arr],
    biases: Sequence[Arr],
    output: OutputLayer,
    validation: tuple[CompressedRows, NDArray[np.float64], NDArray[np.int64]],
    threads: int = 1,
) -> tuple[float, int, int, list[float], list[float], int]:
    """What a probe measures, from one pass over its sample and one over its validation rows:
    (Σ C_x, saturated outputs, saturated-and-wrong outputs, Σ |δ_l| per layer, ‖Σ_x a_{l−1}ᵀ
    δ_l‖ per layer) of the network in float64 on ``rows`` (compressed in float64) and
    ``targets``, and the rows of ``validation`` (compressed rows in the dtype to compute in,
    targets, labels) it predicts right. The sample's blocks of PROBE_BLOCK_ROWS rows and the
    validation rows are shared between ``threads`` threads; the result does not depend on how
    many."""
    params, layout = pack(weights, biases, np.dtype(np.float64))
    layers, n = len(layout), rows.shape[0]
    blocks = -(-n // PROBE_BLOCK_ROWS)
    sums = np.zeros((blocks, 3 + layers), np.float64)
    gradients = np.zeros((blocks, params.size), np.float64)
    settings = (*output.codes(), output.has_sigma_prime, output.threshold)

    def sample_part(block: int) -> Callable[[], None]:
        def part() -> None:
            width = CHUNK_ROWS * int(layout[:, WIDTH].sum())
            probe_rows(
                params,
                layout,
                (rows.indptr, rows.indices, rows.values),
                targets,
                (block * PROBE_BLOCK_ROWS, min(n, (block + 1) * PROBE_BLOCK_ROWS)),
                settings,
                sums[block],
                gradients[block],
                (np.zeros(width), np.zeros(width), np.zeros(layout[-1, OUTPUTS])),
            )

        return part

    valid_rows, valid_targets, valid_labels = validation
    valid_network = pack(weights, biases, valid_rows.values.dtype)
    valid_sums = np.zeros((-(-valid_rows.shape[0] // BLOCK_ROWS), 4), np.float64)
    valid_part = _measure_part(
        valid_rows,
        valid_targets,
        valid_labels,
        valid_network,
        output,
        valid_sums,
        (0, len(valid_sums), 0),
        want_cost=False,
    )
    # the validation rows first: the longest part, so that the sample's blocks fill around it
    _run_parts([valid_part, *(sample_part(block) for block in range(blocks))], threads)
    totals = sums.sum(axis=0)  # the blocks in order
    gradient = gradients.sum(axis=0)
    norms = []
    for inputs, outputs, width, w_at, _ in layout:
        G = gradient[w_at : w_at + inputs * width].reshape(inputs, width)[:, :outputs]
        norms.append(float(np.linalg.norm(G)))
    return (
        float(totals[0]),
        int(totals[1]),
        int(totals[2]),
        [float(s) for s in totals[3:]],
        norms,
        int(valid_sums[:, CORRECT].sum()),
    )
