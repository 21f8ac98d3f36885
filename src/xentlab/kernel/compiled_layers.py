"""Each network's own layers in the compiled loop: everything above the shared input layer's
z, for one mini-batch of m examples (see ``compiled_loop`` for the layout of the arrays).

The layers are small (30 × 10 for the book's network) and m is about 10, so their loops are
short, and what costs is entering a loop rather than its arithmetic. So each pass over a row
does as much as it can (four rows of W per pass in z = aW + b, four examples per pass in the
update W ← W − aᵀδ, four terms per pass in δ_{l−1} = δ_l W_lᵀ), and what a pass shares (the
four rows of W, of δ or of Wᵀ) stays in the outer loop while the inner loop moves along the
examples. Each pass adds its terms in the order one term per pass would (the first pass
starts the sum: no pass of zeros), so the results are those of the plain loops, and a
weight's operations never depend on the columns beside it.

Rows are padded with zeros to a whole number of vectors, and the loops run over the padded
width, so that no short remainder is left to scalar code; the padding of each δ is set to
zero, so the padding of every W stays zero. δ_{l−1} = δ_l W_lᵀ reads W_l transposed (a copy
made per mini-batch), so that its inner loop runs along a row of δ_{l−1} rather than summing
a dot product one term at a time.
"""

from __future__ import annotations

import numpy as np

from ..compiling import compiled
from ..functions import Output
from .compiled_math import exp, sigmoid

# The columns of a layout row (one per layer of every network of the group): see compiled_loop.
INPUTS, OUTPUTS, WIDTH, W_OFFSET, B_OFFSET, STRIDE, COLUMN, ACT_OFFSET = range(8)
# The output activations (functions.Output) as the compiled loops know them.
SIGMOID_OUTPUT, SOFTMAX_OUTPUT, LINEAR_OUTPUT = range(3)
OUTPUT_CODES = {
    Output.SIGMOID: SIGMOID_OUTPUT,
    Output.SOFTMAX: SOFTMAX_OUTPUT,
    Output.LINEAR: LINEAR_OUTPUT,
}


@compiled
def weights(params, layout, row):  # type: ignore[no-untyped-def]
    """The (inputs, stride) array that holds W of layout row ``row``, in its columns COLUMN ..
    COLUMN + WIDTH − 1 (all of them but in the shared input layer)."""
    inputs, stride = layout[row, INPUTS], layout[row, STRIDE]
    start = layout[row, W_OFFSET]
    return params[start : start + inputs * stride].reshape((inputs, stride))


@compiled
def biases(params, layout, row):  # type: ignore[no-untyped-def]
    start = layout[row, B_OFFSET]
    return params[start : start + layout[row, STRIDE]]


@compiled
def block(scratch, layout, row, batch_size):  # type: ignore[no-untyped-def]
    """The (batch_size, stride) block of acts or deltas that holds layout row ``row``'s, in its
    columns (as for :func:`weights`)."""
    start, stride = layout[row, ACT_OFFSET], layout[row, STRIDE]
    return scratch[start : start + batch_size * stride].reshape((batch_size, stride))


@compiled
def dense_layer(W, b, z, below, column, inputs, m):  # type: ignore[no-untyped-def]
    """z = a W + b for the m rows of the layer beneath's activations a, which are ``below``'s
    columns ``column`` .. ``column + inputs − 1``: the rows of W added in order, four per
    pass, (((a₀w₀ + a₁w₁) + a₂w₂) + a₃w₃) per pass, then the rest one by one, then b. Rows of
    W in the outer loop, examples in the inner one."""
    width = z.shape[1]
    i = 0
    while i + 4 <= inputs:
        w0, w1, w2, w3 = W[i], W[i + 1], W[i + 2], W[i + 3]
        at = column + i
        for e in range(m):
            zr, a = z[e], below[e, at : at + 4]
            v0, v1, v2, v3 = a[0], a[1], a[2], a[3]
            if i == 0:  # the first pass starts the sum
                for j in range(width):
                    zr[j] = ((v0 * w0[j] + v1 * w1[j]) + v2 * w2[j]) + v3 * w3[j]
            else:
                for j in range(width):
                    zr[j] += ((v0 * w0[j] + v1 * w1[j]) + v2 * w2[j]) + v3 * w3[j]
        i += 4
    if i == 0:
        for e in range(m):
            zr = z[e]
            for j in range(width):
                zr[j] = 0
    while i < inputs:
        w0, at = W[i], column + i
        for e in range(m):
            zr, v0 = z[e], below[e, at]
            for j in range(width):
                zr[j] += v0 * w0[j]
        i += 1
    for e in range(m):
        zr = z[e]
        for j in range(width):
            zr[j] += b[j]


@compiled
def sigmoid_columns(z, column, width, m):  # type: ignore[no-untyped-def]
    """a = σ(z) (``compiled_math.sigmoid``) in columns ``column`` .. ``column + width − 1`` of
    the first m rows (the padding too: σ(0) = ½ there, never read)."""
    for e in range(m):
        zr = z[e, column : column + width]
        for j in range(width):
            zr[j] = sigmoid(zr[j])


@compiled
def softmax_columns(z, column, outputs, m):  # type: ignore[no-untyped-def]
    """a_j = e^(z_j − max z) / Σ_k e^(z_k − max z) along each row (its columns as above)."""
    for e in range(m):
        zr = z[e, column : column + outputs]
        top = zr[0]
        for j in range(1, outputs):
            top = max(top, zr[j])
        total = zr[0] * 0
        for j in range(outputs):
            zr[j] = exp(zr[j] - top)
            total += zr[j]
        for j in range(outputs):
            zr[j] /= total


@compiled
def activate_output(z, column, outputs, width, output, m):  # type: ignore[no-untyped-def]
    """The output layer's a from its z, in place, by its declared activation (``output``, a
    code of OUTPUT_CODES): σ(z) over the padded width, softmax over the outputs, or nothing
    for a linear output (a = z; the padding stays z = 0, never read)."""
    if output == SOFTMAX_OUTPUT:
        softmax_columns(z, column, outputs, m)
    elif output == SIGMOID_OUTPUT:
        sigmoid_columns(z, column, width, m)


@compiled
def output_error(a, Y, order, lo, m, column, outputs, width, scale, delta, has_sigma_prime):  # type: ignore[no-untyped-def]
    """δ = (a − y) [σ'(z) = a (1 − a) under the quadratic cost], times η/m, in the columns
    ``column`` .. ``column + width − 1`` of a and δ; the padding (past ``outputs``) zero."""
    for e in range(m):
        y = Y[order[lo + e]]
        ar, d = a[e, column : column + width], delta[e, column : column + width]
        for j in range(outputs):
            error = ar[j] - y[j]
            if has_sigma_prime:
                error *= (1 - ar[j]) * ar[j]
            d[j] = error * scale
        for j in range(outputs, width):
            d[j] = 0


@compiled
def transpose(W, inputs, outputs, WT):  # type: ignore[no-untyped-def]
    """WT = W[:inputs, :outputs]ᵀ in WT's first ``inputs`` columns; the rest of WT's columns 0."""
    width = WT.shape[1]
    for j in range(outputs):
        row = WT[j]
        for i in range(inputs, width):
            row[i] = 0
    for i in range(inputs):
        w = W[i]
        for j in range(outputs):
            WT[j, i] = w[j]


@compiled
def hidden_error(delta, WT, below, delta_below, column, inputs, outputs, m):  # type: ignore[no-untyped-def]
    """δ_{l−1} = (δ_l W_lᵀ) ⊙ σ'(z_{l−1}), σ'(z) = a (1 − a), into the layer beneath's columns
    ``column`` .. ``column + width − 1`` of ``below`` and ``delta_below`` (width: WT's); its
    padding (past ``inputs``) zero. WT is W_l as :func:`transpose` leaves it, taken before this
    step's update. Each sum runs over the outputs j in order, four terms per pass, then the
    rest one by one; rows of WT in the outer loop, examples in the inner one."""
    width = WT.shape[1]
    j = 0
    while j + 4 <= outputs:
        w0, w1, w2, w3 = WT[j], WT[j + 1], WT[j + 2], WT[j + 3]
        for e in range(m):
            out, d = delta_below[e, column : column + width], delta[e, j : j + 4]
            d0, d1, d2, d3 = d[0], d[1], d[2], d[3]
            if j == 0:  # the first pass starts the sum
                for i in range(width):
                    out[i] = ((d0 * w0[i] + d1 * w1[i]) + d2 * w2[i]) + d3 * w3[i]
            else:
                for i in range(width):
                    out[i] = (((out[i] + d0 * w0[i]) + d1 * w1[i]) + d2 * w2[i]) + d3 * w3[i]
        j += 4
    while j < outputs:
        w0 = WT[j]
        for e in range(m):
            out, d0 = delta_below[e, column : column + width], delta[e, j]
            if j == 0:
                for i in range(width):
                    out[i] = d0 * w0[i]
            else:
                for i in range(width):
                    out[i] += d0 * w0[i]
        j += 1
    for e in range(m):
        a, out = below[e, column : column + width], delta_below[e, column : column + width]
        for i in range(width):
            out[i] = out[i] * ((1 - a[i]) * a[i])
        for i in range(inputs, width):
            out[i] = 0


@compiled
def shrink(W, column, width, inputs, l1, decay, l1_step):  # type: ignore[no-untyped-def]
    """The regularisation step on W's columns ``column`` .. ``column + width − 1``: L2 W ←
    (1 − ηλ/n) W, L1 W ← W − (ηλ/n) sgn(W)."""
    for i in range(inputs):
        w = W[i, column : column + width]
        if l1:
            for j in range(width):
                w[j] -= np.sign(w[j]) * l1_step
        else:
            for j in range(width):
                w[j] *= decay


@compiled
def update_biases(b, column, width, delta, m, total):  # type: ignore[no-untyped-def]
    """b ← b − Σ_x δ_x (δ already holds η/m) in b's columns ``column`` .. ``column + width −
    1``: the sum over the examples in order, in ``total`` (a row of scratch), then subtracted."""
    b, total = b[column : column + width], total[:width]
    d0 = delta[0, column : column + width]
    for j in range(width):
        total[j] = d0[j]
    for e in range(1, m):
        d = delta[e, column : column + width]
        for j in range(width):
            total[j] += d[j]
    for j in range(width):
        b[j] -= total[j]


@compiled
def update_dense(W, below, column, delta, inputs, m):  # type: ignore[no-untyped-def]
    """W ← W − aᵀδ (a: ``below``'s columns from ``column``): each weight subtracts the
    examples' terms one after another, four examples per pass over its row (then the rest one
    by one); examples in the outer loop, rows of W in the inner one."""
    width = W.shape[1]
    e = 0
    while e + 4 <= m:
        d0, d1, d2, d3 = delta[e], delta[e + 1], delta[e + 2], delta[e + 3]
        a0, a1 = below[e, column : column + inputs], below[e + 1, column : column + inputs]
        a2, a3 = below[e + 2, column : column + inputs], below[e + 3, column : column + inputs]
        for i in range(inputs):
            w = W[i]
            v0, v1, v2, v3 = a0[i], a1[i], a2[i], a3[i]
            for j in range(width):
                w[j] = (((w[j] - v0 * d0[j]) - v1 * d1[j]) - v2 * d2[j]) - v3 * d3[j]
        e += 4
    while e < m:
        d0, a0 = delta[e], below[e, column : column + inputs]
        for i in range(inputs):
            w, v0 = W[i], a0[i]
            for j in range(width):
                w[j] -= v0 * d0[j]
        e += 1


@compiled
def forward_own_layers(params, layout, acts, first, layers, output, m, batch_size):  # type: ignore[no-untyped-def]
    """One network's layers above its input layer, whose activations are already in ``acts``:
    z = aW + b and a = σ(z), the output layer's a by its declared activation (``output``, a
    code of OUTPUT_CODES)."""
    for row in range(first + 1, first + layers):
        z = block(acts, layout, row, batch_size)
        W, b = weights(params, layout, row), biases(params, layout, row)
        below = block(acts, layout, row - 1, batch_size)
        dense_layer(W, b, z, below, layout[row - 1, COLUMN], layout[row, INPUTS], m)
        if row == first + layers - 1:
            activate_output(z, 0, layout[row, OUTPUTS], layout[row, WIDTH], output, m)
        else:
            sigmoid_columns(z, 0, layout[row, WIDTH], m)


@compiled
def backward(params, layout, acts, deltas, Y, order, lo, m, batch_size, member, step, spare):  # type: ignore[no-untyped-def]
    """One network's output error (scaled by its η/m) and back-propagation down to the δ of its
    input layer, and the update of its own layers; of the input layer (shared), only the
    regularisation step on the network's own columns of W (its W and b are updated for the
    whole group afterwards). ``spare``: scratch for Wᵀ and a row of sums."""
    first, layers = member
    eta, lmbda, n_train, l1, sigma_prime = step
    real = params.dtype.type
    decay = real(1.0 - eta * lmbda / n_train)
    l1_step = real(eta * lmbda / n_train)
    last = first + layers - 1
    a, delta = block(acts, layout, last, batch_size), block(deltas, layout, last, batch_size)
    column, outputs, width = layout[last, COLUMN], layout[last, OUTPUTS], layout[last, WIDTH]
    output_error(a, Y, order, lo, m, column, outputs, width, real(eta / m), delta, sigma_prime)
    for row in range(last, first - 1, -1):  # last layer first
        W = weights(params, layout, row)
        inputs, column, width = layout[row, INPUTS], layout[row, COLUMN], layout[row, WIDTH]
        if row > first:  # δ of the layer beneath, from this layer's weights before the update
            delta = block(deltas, layout, row, batch_size)
            below = block(acts, layout, row - 1, batch_size)
            beneath, beneath_width = layout[row - 1, COLUMN], layout[row - 1, WIDTH]
            outputs = layout[row, OUTPUTS]
            WT = spare[: outputs * beneath_width].reshape((outputs, beneath_width))
            transpose(W, inputs, outputs, WT)
            delta_below = block(deltas, layout, row - 1, batch_size)
            hidden_error(delta, WT, below, delta_below, beneath, inputs, outputs, m)
        if lmbda != 0:
            shrink(W, column, width, inputs, l1, decay, l1_step)
        if row > first:
            update_dense(W, below, beneath, delta, inputs, m)
            update_biases(biases(params, layout, row), 0, width, delta, m, spare)
