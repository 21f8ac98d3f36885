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

- Several networks that share their inputs and their order of mini-batches train in one pass
  (a group): their input layers are side by side in one W, so each example's non-zero inputs
  are read once for all of them; above it each network has its own layers, cost, η and λ.
  Every weight gets the same operations in the same order in any group (a sum runs along one
  column, whatever the columns beside it), so a network trains to the same bits alone or in a
  group, and one network is a group of one.

Single-threaded (no BLAS, no threads to fight), no allocation, no exceptions; compiled once
per machine and dtype (see ``compiled_support.compiled``), on first use.

Layout of ``params`` (one flat array of the group's dtype): for each layer l of each network, a
row ``layout[r] = (inputs, outputs, width, w_offset, b_offset, stride, column, act_offset)``:
W_l is ``params[w_offset:]`` read as (inputs, stride), in its columns column .. column + width
− 1 (columns ``outputs ..`` of them padding, zero); b_l is ``params[b_offset:]`` of length
stride, in the same columns; ``acts`` and ``deltas`` hold it in a (batch_size, stride) block
at ``act_offset``. A network's own layers have column 0 and stride = width; the input layers
of all the group's networks share one W, b and block, each in its own columns. ``members``
gives each network's first row and number of layers.
"""

from __future__ import annotations

import math

import numpy as np

from ..compiling import compiled
from .compiled_support import prefetch_batch

# The columns of a layout row (one per layer of every network of the group), see above.
INPUTS, OUTPUTS, WIDTH, W_OFFSET, B_OFFSET, STRIDE, COLUMN, ACT_OFFSET = range(8)
FIRST_ROW, LAYERS = range(2)  # the columns of a member row
ETA, LMBDA = range(2)  # a member's step
L1, SOFTMAX, SIGMA_PRIME = range(3)  # a member's flags


@compiled
def _weights(params, layout, row):  # type: ignore[no-untyped-def]
    """The (inputs, stride) array that holds W of layout row ``row``, in its columns COLUMN ..
    COLUMN + WIDTH − 1 (all of them but in the shared input layer)."""
    inputs, stride = layout[row, INPUTS], layout[row, STRIDE]
    start = layout[row, W_OFFSET]
    return params[start : start + inputs * stride].reshape((inputs, stride))


@compiled
def _biases(params, layout, row):  # type: ignore[no-untyped-def]
    start = layout[row, B_OFFSET]
    return params[start : start + layout[row, STRIDE]]


@compiled
def _block(scratch, layout, row, batch_size):  # type: ignore[no-untyped-def]
    """The (batch_size, stride) block of acts or deltas that holds layout row ``row``'s, in its
    columns (as for :func:`_weights`)."""
    start, stride = layout[row, ACT_OFFSET], layout[row, STRIDE]
    return scratch[start : start + batch_size * stride].reshape((batch_size, stride))


@compiled
def _input_layer(W, b, z, indptr, indices, values, order, lo, m):  # type: ignore[no-untyped-def]
    """z = x W + b for the m examples order[lo:lo + m], from their non-zero inputs (all
    columns at once: every network's input layer)."""
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
def _dense_layer(W, b, z, below, column, inputs, m):  # type: ignore[no-untyped-def]
    """z = a W + b for the m rows of the layer beneath's activations a, which are ``below``'s
    columns ``column`` .. ``column + inputs − 1``."""
    width = z.shape[1]
    for e in range(m):
        zr, a = z[e], below[e]
        for j in range(width):
            zr[j] = 0
        i = 0
        while i + 4 <= inputs:
            w0, w1, w2, w3 = W[i], W[i + 1], W[i + 2], W[i + 3]
            at = column + i
            v0, v1, v2, v3 = a[at], a[at + 1], a[at + 2], a[at + 3]
            for j in range(width):
                zr[j] += ((v0 * w0[j] + v1 * w1[j]) + v2 * w2[j]) + v3 * w3[j]
            i += 4
        while i < inputs:
            w0, v0 = W[i], a[column + i]
            for j in range(width):
                zr[j] += v0 * w0[j]
            i += 1
        for j in range(width):
            zr[j] += b[j]


@compiled
def _sigmoid(z, column, outputs, m):  # type: ignore[no-untyped-def]
    """a = σ(z) = 1 / (1 + e^(−z)), the article's formula, in columns ``column`` .. ``column +
    outputs − 1``. Compiled code raises no warning where e^(−z) overflows to inf (z < −88 in
    float32), and σ is then 0, its limit; the NumPy kernel's ½ tanh(z/2) + ½ avoids that
    warning, but the C library's tanh costs about five times its exp. The two agree to
    rounding."""
    for e in range(m):
        zr = z[e]
        for j in range(column, column + outputs):
            zr[j] = 1 / (1 + math.exp(-zr[j]))


@compiled
def _softmax(z, column, outputs, m):  # type: ignore[no-untyped-def]
    """a_j = e^(z_j − max z) / Σ_k e^(z_k − max z) along each row (its columns as above)."""
    stop = column + outputs
    for e in range(m):
        zr = z[e]
        top = zr[column]
        for j in range(column + 1, stop):
            top = max(top, zr[j])
        total = zr[column] * 0
        for j in range(column, stop):
            zr[j] = math.exp(zr[j] - top)
            total += zr[j]
        for j in range(column, stop):
            zr[j] /= total


@compiled
def _output_error(a, Y, order, lo, m, column, outputs, width, scale, delta, has_sigma_prime):  # type: ignore[no-untyped-def]
    """δ = (a − y) [σ'(z) = a (1 − a) under the quadratic cost], times η/m, in the columns
    ``column`` .. ``column + width − 1`` of a and δ; the padding (past ``outputs``) zero."""
    for e in range(m):
        row = order[lo + e]
        for j in range(outputs):
            error = a[e, column + j] - Y[row, j]
            if has_sigma_prime:
                error *= (1 - a[e, column + j]) * a[e, column + j]
            delta[e, column + j] = error * scale
        for j in range(column + outputs, column + width):
            delta[e, j] = 0


@compiled
def _hidden_error(delta, W, below, delta_below, column, width, inputs, outputs, m):  # type: ignore[no-untyped-def]
    """δ_{l−1} = (δ_l W_lᵀ) ⊙ σ'(z_{l−1}), σ'(z) = a (1 − a), into the layer beneath's columns
    ``column`` .. ``column + width − 1`` of ``below`` and ``delta_below``; its padding zero.
    Must run before W_l is updated: back-propagation uses this step's weights."""
    for e in range(m):
        d, a, out = delta[e], below[e], delta_below[e]
        for i in range(inputs):
            w = W[i]
            total = d[0] * w[0]
            for j in range(1, outputs):
                total += d[j] * w[j]
            at = column + i
            out[at] = total * ((1 - a[at]) * a[at])
        for i in range(column + inputs, column + width):
            out[i] = 0


@compiled
def _shrink(W, column, width, inputs, l1, decay, l1_step):  # type: ignore[no-untyped-def]
    """The regularisation step on W's columns ``column`` .. ``column + width − 1``: L2 W ←
    (1 − ηλ/n) W, L1 W ← W − (ηλ/n) sgn(W)."""
    for i in range(inputs):
        w = W[i]
        for j in range(column, column + width):
            if l1:
                w[j] -= np.sign(w[j]) * l1_step
            else:
                w[j] *= decay


@compiled
def _update_biases(b, column, width, delta, m):  # type: ignore[no-untyped-def]
    """b ← b − Σ_x δ_x (δ already holds η/m), in its columns as above."""
    for j in range(column, column + width):
        total = delta[0, j]
        for e in range(1, m):
            total += delta[e, j]
        b[j] -= total


@compiled
def _update_dense(W, below, column, delta, inputs, m):  # type: ignore[no-untyped-def]
    """W ← W − aᵀδ, one example's outer product at a time (a: ``below``'s columns from
    ``column``)."""
    width = W.shape[1]
    for e in range(m):
        a, d = below[e], delta[e]
        for i in range(inputs):
            v, w = a[column + i], W[i]
            for j in range(width):
                w[j] -= v * d[j]


@compiled
def _update_input_layer(W, delta, indptr, indices, values, order, lo, m):  # type: ignore[no-untyped-def]
    """W ← W − xᵀδ over the non-zero inputs x_i of each example: only their rows change (all
    columns at once: every network's input layer)."""
    width = W.shape[1]
    for e in range(m):
        row, d = order[lo + e], delta[e]
        for p in range(indptr[row], indptr[row + 1]):
            w, v = W[indices[p]], values[p]
            for j in range(width):
                w[j] -= v * d[j]


@compiled
def _member_forward(params, layout, acts, first, layers, softmax_output, m, batch_size):  # type: ignore[no-untyped-def]
    """One network's forward pass above the shared input layer's z: its activations."""
    for layer in range(layers):
        row = first + layer
        z = _block(acts, layout, row, batch_size)
        column, outputs = layout[row, COLUMN], layout[row, OUTPUTS]
        if layer:
            W, b = _weights(params, layout, row), _biases(params, layout, row)
            below = _block(acts, layout, row - 1, batch_size)
            _dense_layer(W, b, z, below, layout[row - 1, COLUMN], layout[row, INPUTS], m)
        if softmax_output and layer == layers - 1:
            _softmax(z, column, outputs, m)
        else:
            _sigmoid(z, column, outputs, m)


@compiled
def _member_backward(params, layout, acts, deltas, Y, order, lo, m, batch_size, member, step):  # type: ignore[no-untyped-def]
    """One network's output error (scaled by its η/m), back-propagation, and the update of
    every layer but the shared input layer's weights: that layer's δ and biases, and its
    regularisation step on the network's own columns of W."""
    first, layers = member
    eta, lmbda, n_train, l1, sigma_prime = step
    real = params.dtype.type
    decay = real(1.0 - eta * lmbda / n_train)
    l1_step = real(eta * lmbda / n_train)
    last = first + layers - 1
    a, delta = _block(acts, layout, last, batch_size), _block(deltas, layout, last, batch_size)
    column, outputs, width = layout[last, COLUMN], layout[last, OUTPUTS], layout[last, WIDTH]
    scale = real(eta / m)
    _output_error(a, Y, order, lo, m, column, outputs, width, scale, delta, sigma_prime)
    for row in range(last, first - 1, -1):  # last layer first
        W, b = _weights(params, layout, row), _biases(params, layout, row)
        delta = _block(deltas, layout, row, batch_size)
        inputs, column, width = layout[row, INPUTS], layout[row, COLUMN], layout[row, WIDTH]
        if row > first:
            below = _block(acts, layout, row - 1, batch_size)
            delta_below = _block(deltas, layout, row - 1, batch_size)
            beneath, beneath_width = layout[row - 1, COLUMN], layout[row - 1, WIDTH]
            outputs = layout[row, OUTPUTS]
            _hidden_error(delta, W, below, delta_below, beneath, beneath_width, inputs, outputs, m)
        if lmbda != 0:
            _shrink(W, column, width, inputs, l1, decay, l1_step)
        if row > first:
            _update_dense(W, below, beneath, delta, inputs, m)
        _update_biases(b, column, width, delta, m)


@compiled
def sgd_batches_compiled(  # type: ignore[no-untyped-def]
    params, layout, members, steps, flags, rows, Y, order, batches, scratch
):
    """Mini-batches first_batch .. stop_batch − 1 of a group of networks: batch k is the
    examples order[k m:(k + 1) m] (the last may be shorter), X given as compressed rows, Y
    dense; ``members`` (first layout row, layers) per network, ``steps`` its (η, λ) and
    ``flags`` its (L1 rather than L2, softmax rather than sigmoid output, δ carries σ'(z): the
    cost's declared rule). The named parts, as tuples numba takes: ``rows`` (indptr, indices,
    values); ``batches`` (first_batch, stop_batch, batch_size, n_train); ``scratch``
    (activations, δ).

    Every network's input layer is one block of columns of one shared W (the layout rows of
    the networks' first layers differ only in COLUMN), so each example's non-zero inputs are
    read once for all of them. Each weight is computed by the same operations in the same
    order as in a group of one: every sum runs along one column, whatever the columns beside
    it, so a network trains to the same bits alone or in any group."""
    indptr, indices, values = rows
    first_batch, stop_batch, batch_size, n_train = batches
    acts, deltas = scratch
    n = order.shape[0]
    shared = members[0, FIRST_ROW]  # any network's first layer: the shared arrays
    W0, b0 = _weights(params, layout, shared), _biases(params, layout, shared)
    z0, delta0 = (
        _block(acts, layout, shared, batch_size),
        _block(deltas, layout, shared, batch_size),
    )
    Yflat = Y.reshape(-1)
    if first_batch < stop_batch:  # the first mini-batch's rows, and the next one's pointers
        lo = first_batch * batch_size
        prefetch_batch(
            indptr, indices, values, Yflat, Y.shape[1], order, lo, lo + batch_size, batch_size
        )
    for k in range(first_batch, stop_batch):
        lo = k * batch_size
        m = min(lo + batch_size, n) - lo
        prefetch_batch(
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
        _input_layer(W0, b0, z0, indptr, indices, values, order, lo, m)
        for net in range(members.shape[0]):
            first, layers = members[net, FIRST_ROW], members[net, LAYERS]
            softmax_output = flags[net, SOFTMAX] != 0
            _member_forward(params, layout, acts, first, layers, softmax_output, m, batch_size)
            step = (
                steps[net, ETA],
                steps[net, LMBDA],
                n_train,
                flags[net, L1] != 0,
                flags[net, SIGMA_PRIME] != 0,
            )
            _member_backward(
                params, layout, acts, deltas, Y, order, lo, m, batch_size, (first, layers), step
            )
        _update_input_layer(W0, delta0, indptr, indices, values, order, lo, m)
