"""The epoch loop compiled by numba: the same mini-batch SGD as ``numpy_loop.sgd_batches``,
written as explicit loops over arrays, for one mini-batch of a few examples at a time.

NumPy spends most of a mini-batch of 10 on dispatching some twenty small calls; compiled loops
spend it on arithmetic, and can skip what NumPy cannot:

- The input layer reads its examples in compressed rows (the non-zero pixels of each image and
  their columns: MNIST is about 81% zeros), straight from the unshuffled training set through
  the epoch's order, so nothing is copied to shuffle. A zero input adds nothing to z = xW + b
  and nothing to ∂C/∂W = xᵀδ, so skipping it changes no sum but its rounding.
- Each layer's weights are one block of a flat buffer, their rows padded with zeros to a
  multiple of a vector's width, so the innermost loop (over a row of W) is a whole number of
  SIMD vectors; the padding stays zero because its δ is set to zero.
- Eight input rows (four in the dense layers) are added per pass over a row of z, so that z is
  read and written once per eight inputs (the rounding of that sum differs from BLAS's, as
  BLAS's differs between machines; the result is equal to the NumPy kernel's to rounding,
  tested).
- The weight gradient is never stored: each example's xᵀδ (already scaled by η/m) is subtracted
  from W as it is computed, after the regularisation step, so only the rows of non-zero inputs
  are touched.
- σ(z) is the article's 1/(1 + e^(−z)) (five times cheaper than the C library's tanh, which the
  NumPy kernel uses to avoid an overflow warning that compiled code does not raise).

Single-threaded (no BLAS, no threads to fight), no allocation, no exceptions; compiled once
per machine and dtype (see :func:`compiled`), on first use.

Layout of ``params`` (one flat array of the network's dtype): for each layer l, a row
``layout[l] = (inputs, outputs, width, w_offset, b_offset)``: W_l is ``params[w_offset:]`` read
as (inputs, width), b_l is ``params[b_offset:]`` of length width, with columns ``outputs ..
width − 1`` zero. ``acts`` and ``deltas`` hold, per layer, a (batch_size, width) block after
the blocks of the layers before it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import cgutils, types
from numba.extending import intrinsic


def compiled(function: Any) -> Any:
    """``function`` compiled by numba, once per machine: the machine code is cached beside this
    file, or in numba's per-user cache where the package's folder is not writable; with
    neither writable, in each process anew. error_model="numpy": a division by zero gives
    inf, as in NumPy, rather than a check per division that would keep loops from vectorising.
    """
    try:
        return njit(cache=True, nogil=True, error_model="numpy")(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return njit(cache=False, nogil=True, error_model="numpy")(function)


INPUTS, OUTPUTS, WIDTH, W_OFFSET, B_OFFSET = range(5)
CACHE_LINE = 64  # bytes


@intrinsic
def _prefetch(typingctx, array, index):  # type: ignore[no-untyped-def]
    """Ask the CPU to start loading the cache line of array[index] (a hint: it changes no
    result). The examples of a mini-batch lie anywhere in the training set, so their rows
    are fetched one mini-batch ahead rather than waited for."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(
            context, builder, array_type, view, [args[1]], wraparound=False
        )
        byte_pointer, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
            "llvm.prefetch.p0",
        )
        # read (0), keep in all cache levels (3), data (1)
        builder.call(function, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen


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
def _block(scratch, layout, layer, batch_size):  # type: ignore[no-untyped-def]
    """Layer l's (batch_size, width) block of acts or deltas."""
    start = 0
    for earlier in range(layer):
        start += batch_size * layout[earlier, WIDTH]
    width = layout[layer, WIDTH]
    return scratch[start : start + batch_size * width].reshape((batch_size, width))


@compiled
def _prefetch_batch(indptr, indices, values, targets, outputs, order, lo, hi, ahead):  # type: ignore[no-untyped-def]
    """Start loading the compressed rows and targets (``targets``: Y flattened, ``outputs``
    wide) of examples order[lo:hi], and the row pointers of the ``ahead`` examples after them
    (needed to find those rows next time)."""
    n = order.shape[0]
    for q in range(hi, min(hi + ahead, n)):
        _prefetch(indptr, order[q])
    index_step = CACHE_LINE // indices.itemsize
    value_step = CACHE_LINE // values.itemsize
    for q in range(lo, min(hi, n)):
        row = order[q]
        start, end = indptr[row], indptr[row + 1]
        for p in range(start, end, index_step):
            _prefetch(indices, p)
        for p in range(start, end, value_step):
            _prefetch(values, p)
        _prefetch(targets, row * outputs)


@compiled
def _input_layer(W, b, z, indptr, indices, values, order, lo, m):  # type: ignore[no-untyped-def]
    """z = x W + b for the m examples order[lo:lo + m], from their non-zero inputs."""
    width = z.shape[1]
    for e in range(m):
        row = order[lo + e]
        zr = z[e]
        for j in range(width):
            zr[j] = 0
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
                zr[j] += first + second
            p += 8
        while p < end:
            w0, v0 = W[indices[p]], values[p]
            for j in range(width):
                zr[j] += v0 * w0[j]
            p += 1
        for j in range(width):
            zr[j] += b[j]


@compiled
def _dense_layer(W, b, z, below, inputs, m):  # type: ignore[no-untyped-def]
    """z = a W + b for the m rows of ``below`` (the layer beneath's activations)."""
    width = z.shape[1]
    for e in range(m):
        zr, a = z[e], below[e]
        for j in range(width):
            zr[j] = 0
        i = 0
        while i + 4 <= inputs:
            w0, w1, w2, w3 = W[i], W[i + 1], W[i + 2], W[i + 3]
            v0, v1, v2, v3 = a[i], a[i + 1], a[i + 2], a[i + 3]
            for j in range(width):
                zr[j] += ((v0 * w0[j] + v1 * w1[j]) + v2 * w2[j]) + v3 * w3[j]
            i += 4
        while i < inputs:
            w0, v0 = W[i], a[i]
            for j in range(width):
                zr[j] += v0 * w0[j]
            i += 1
        for j in range(width):
            zr[j] += b[j]


@compiled
def _sigmoid(z, outputs, m):  # type: ignore[no-untyped-def]
    """a = σ(z) = 1 / (1 + e^(−z)), the article's formula. Compiled code raises no warning
    where e^(−z) overflows to inf (z < −88 in float32), and σ is then 0, its limit; the NumPy
    kernel's ½ tanh(z/2) + ½ avoids that warning, but the C library's tanh costs about five
    times its exp. The two agree to rounding."""
    for e in range(m):
        zr = z[e]
        for j in range(outputs):
            zr[j] = 1 / (1 + math.exp(-zr[j]))


@compiled
def _softmax(z, outputs, m):  # type: ignore[no-untyped-def]
    """a_j = e^(z_j − max z) / Σ_k e^(z_k − max z) along each row."""
    for e in range(m):
        zr = z[e]
        top = zr[0]
        for j in range(1, outputs):
            top = max(top, zr[j])
        total = zr[0] * 0
        for j in range(outputs):
            zr[j] = math.exp(zr[j] - top)
            total += zr[j]
        for j in range(outputs):
            zr[j] /= total


@compiled
def _output_error(a, Y, order, lo, m, outputs, scale, delta, has_sigma_prime):  # type: ignore[no-untyped-def]
    """δ = (a − y) [σ'(z) = a (1 − a) under the quadratic cost], times η/m; padding zero."""
    width = delta.shape[1]
    for e in range(m):
        row = order[lo + e]
        for j in range(outputs):
            error = a[e, j] - Y[row, j]
            if has_sigma_prime:
                error *= (1 - a[e, j]) * a[e, j]
            delta[e, j] = error * scale
        for j in range(outputs, width):
            delta[e, j] = 0


@compiled
def _hidden_error(delta, W, below, delta_below, inputs, outputs, m):  # type: ignore[no-untyped-def]
    """δ_{l−1} = (δ_l W_lᵀ) ⊙ σ'(z_{l−1}), σ'(z) = a (1 − a); the padding of δ_{l−1} zero.
    Must run before W_l is updated: back-propagation uses this step's weights."""
    for e in range(m):
        d, a, out = delta[e], below[e], delta_below[e]
        for i in range(inputs):
            w = W[i]
            total = d[0] * w[0]
            for j in range(1, outputs):
                total += d[j] * w[j]
            out[i] = total * ((1 - a[i]) * a[i])
        for i in range(inputs, out.shape[0]):
            out[i] = 0


@compiled
def _shrink(W, inputs, l1, decay, l1_step):  # type: ignore[no-untyped-def]
    """The regularisation step: L2 W ← (1 − ηλ/n) W, L1 W ← W − (ηλ/n) sgn(W)."""
    for i in range(inputs):
        w = W[i]
        for j in range(w.shape[0]):
            if l1:
                w[j] -= np.sign(w[j]) * l1_step
            else:
                w[j] *= decay


@compiled
def _update_biases(b, delta, m):  # type: ignore[no-untyped-def]
    """b ← b − Σ_x δ_x (δ already holds η/m)."""
    for j in range(b.shape[0]):
        total = delta[0, j]
        for e in range(1, m):
            total += delta[e, j]
        b[j] -= total


@compiled
def _update_dense(W, below, delta, inputs, m):  # type: ignore[no-untyped-def]
    """W ← W − aᵀδ, one example's outer product at a time."""
    width = W.shape[1]
    for e in range(m):
        a, d = below[e], delta[e]
        for i in range(inputs):
            v, w = a[i], W[i]
            for j in range(width):
                w[j] -= v * d[j]


@compiled
def _update_input_layer(W, delta, indptr, indices, values, order, lo, m):  # type: ignore[no-untyped-def]
    """W ← W − xᵀδ over the non-zero inputs x_i of each example: only their rows change."""
    width = W.shape[1]
    for e in range(m):
        row, d = order[lo + e], delta[e]
        for p in range(indptr[row], indptr[row + 1]):
            w, v = W[indices[p]], values[p]
            for j in range(width):
                w[j] -= v * d[j]


@compiled
def sgd_batches_compiled(  # type: ignore[no-untyped-def]
    params, layout, rows, Y, order, batches, step, output, scratch
):
    """Mini-batches first_batch .. stop_batch − 1: batch k is the examples order[k m:(k + 1) m]
    (the last may be shorter), X given as compressed rows, Y dense. The named parts, as tuples
    numba takes: ``rows`` (indptr, indices, values); ``batches`` (first_batch, stop_batch,
    batch_size); ``step`` (η, λ, n_train, L1 rather than L2); ``output`` (softmax rather than
    sigmoid, δ carries σ'(z): the cost's declared rule); ``scratch`` (activations, δ)."""
    indptr, indices, values = rows
    first_batch, stop_batch, batch_size = batches
    eta, lmbda, n_train, l1 = step
    softmax_output, delta_has_sigma_prime = output
    acts, deltas = scratch
    layers = layout.shape[0]
    n = order.shape[0]
    real = params.dtype.type
    decay = real(1.0 - eta * lmbda / n_train)
    l1_step = real(eta * lmbda / n_train)
    Yflat = Y.reshape(-1)
    if first_batch < stop_batch:  # the first mini-batch's rows, and the next one's pointers
        lo = first_batch * batch_size
        _prefetch_batch(
            indptr, indices, values, Yflat, Y.shape[1], order, lo, lo + batch_size, batch_size
        )
    for k in range(first_batch, stop_batch):
        lo = k * batch_size
        m = min(lo + batch_size, n) - lo
        _prefetch_batch(
            indptr,
            indices,
            values,
            Yflat,
            Y.shape[1],
            order,
            lo + batch_size,
            lo + 2 * batch_size,
            batch_size,
        )
        # forward
        for layer in range(layers):
            W, b = _weights(params, layout, layer), _biases(params, layout, layer)
            z = _block(acts, layout, layer, batch_size)
            if layer == 0:
                _input_layer(W, b, z, indptr, indices, values, order, lo, m)
            else:
                below = _block(acts, layout, layer - 1, batch_size)
                _dense_layer(W, b, z, below, layout[layer, INPUTS], m)
            if softmax_output and layer == layers - 1:
                _softmax(z, layout[layer, OUTPUTS], m)
            else:
                _sigmoid(z, layout[layer, OUTPUTS], m)
        # output error, already scaled by η/m
        last = layers - 1
        delta = _block(deltas, layout, last, batch_size)
        a = _block(acts, layout, last, batch_size)
        scale = real(eta / m)
        _output_error(
            a, Y, order, lo, m, layout[last, OUTPUTS], scale, delta, delta_has_sigma_prime
        )
        # backward and update, last layer first
        for layer in range(last, -1, -1):
            W, b = _weights(params, layout, layer), _biases(params, layout, layer)
            delta = _block(deltas, layout, layer, batch_size)
            inputs = layout[layer, INPUTS]
            if layer:
                below = _block(acts, layout, layer - 1, batch_size)
                delta_below = _block(deltas, layout, layer - 1, batch_size)
                _hidden_error(delta, W, below, delta_below, inputs, layout[layer, OUTPUTS], m)
            if lmbda != 0:
                _shrink(W, inputs, l1, decay, l1_step)
            if layer:
                _update_dense(W, below, delta, inputs, m)
            else:
                _update_input_layer(W, delta, indptr, indices, values, order, lo, m)
            _update_biases(b, delta, m)


@compiled
def count_nonzero_rows(X, counts):  # type: ignore[no-untyped-def]
    """counts[r] = the non-zero entries of row r; returns their total."""
    total = 0
    for r in range(X.shape[0]):
        found = 0
        for i in range(X.shape[1]):
            if X[r, i] != 0:
                found += 1
        counts[r] = found
        total += found
    return total


@compiled
def fill_rows(X, indptr, indices, values):  # type: ignore[no-untyped-def]
    """Compressed rows of X: row r's non-zero entries are values[indptr[r]:indptr[r + 1]], in
    columns indices[...], in column order (indptr already holds the running counts)."""
    for r in range(X.shape[0]):
        p = indptr[r]
        for i in range(X.shape[1]):
            if X[r, i] != 0:
                indices[p] = i
                values[p] = X[r, i]
                p += 1
