"""The shared input layer in the compiled loop: z = xW + b and W ← W − xᵀδ from the examples'
non-zero inputs, for all the group's networks at once (their columns side by side in W).

The inputs come as compressed rows (the non-zero pixels of each image and their columns:
MNIST is about 81 % zeros), read straight from the unshuffled training set through the
epoch's order. A zero input adds nothing to z and nothing to ∂C/∂W = xᵀδ, so skipping it
changes no sum but its rounding; only the rows of W of non-zero inputs are read and written.

The update has two ways, which do the same operations in the same order (each weight
subtracts the examples' terms one after another, by example), so either gives the same bits:

- by example (:func:`update_by_example`): each example's rows of W in turn, each row read
  and written once per example; best where rows are short (one or two networks);
- by row (:func:`update_by_row`): the mini-batch's inputs first set out by row
  (:func:`scatter_by_row`), then each row of W read and written once per four examples that
  have it; best where rows are long (a group), whose update is bound by the stores of W.
"""

from __future__ import annotations

from ..compiling import compiled
from .compiled_support import lowest_set_bit

EXAMPLES_PER_MASK = 63  # the examples of a mini-batch, one bit each in an int64: update by row


@compiled
def input_forward(W, b, z, indptr, indices, values, order, lo, m):  # type: ignore[no-untyped-def]
    """z = x W + b for the m examples order[lo:lo + m], from their non-zero inputs (all
    columns at once: every network's input layer). Eight rows of W are added per pass over a
    row of z, so that z is read and written once per eight inputs, then four, then one at a
    time (the rounding of that sum differs from BLAS's, as BLAS's differs between machines)."""
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
        if p + 4 <= end:
            w0, w1, w2, w3 = W[indices[p]], W[indices[p + 1]], W[indices[p + 2]], W[indices[p + 3]]
            v0, v1, v2, v3 = values[p], values[p + 1], values[p + 2], values[p + 3]
            for j in range(width):
                zr[j] += (v0 * w0[j] + v1 * w1[j]) + (v2 * w2[j] + v3 * w3[j])
            p += 4
        while p < end:
            w0, v0 = W[indices[p]], values[p]
            for j in range(width):
                zr[j] += v0 * w0[j]
            p += 1
        for j in range(width):
            zr[j] += b[j]


@compiled
def update_by_example(W, delta, indptr, indices, values, order, lo, m):  # type: ignore[no-untyped-def]
    """W ← W − xᵀδ over the non-zero inputs x_i of each example in turn (δ already holds η/m)."""
    width = W.shape[1]
    for e in range(m):
        row, d = order[lo + e], delta[e]
        for p in range(indptr[row], indptr[row + 1]):
            w, v = W[indices[p]], values[p]
            for j in range(width):
                w[j] -= v * d[j]


@compiled
def scatter_by_row(indptr, indices, values, order, lo, m, examples, by_row, counts):  # type: ignore[no-untyped-def]
    """The non-zero inputs of the m examples order[lo:lo + m] set out by input row: bit e of
    examples[u] is set where example e has input u, by_row[u, e] is its value, counts[u] the
    number of such examples (m ≤ EXAMPLES_PER_MASK)."""
    for e in range(m):
        row, bit = order[lo + e], 1 << e
        for p in range(indptr[row], indptr[row + 1]):
            u = indices[p]
            by_row[u, e] = values[p]
            examples[u] |= bit
            counts[u] += 1


@compiled
def update_by_row(W, delta, examples, by_row, counts):  # type: ignore[no-untyped-def]
    """W ← W − xᵀδ from the inputs as :func:`scatter_by_row` sets them out: each row of W that
    some example has is read and written once per four of those examples (then once for each
    of the one to three left), which subtract their terms in the order of the examples. The
    row tables are left cleared for the next mini-batch."""
    width = W.shape[1]
    for u in range(W.shape[0]):
        bits = examples[u]
        if bits == 0:
            continue
        w, x, left = W[u], by_row[u], counts[u]
        while left >= 4:
            e0 = lowest_set_bit(bits)
            bits &= bits - 1
            e1 = lowest_set_bit(bits)
            bits &= bits - 1
            e2 = lowest_set_bit(bits)
            bits &= bits - 1
            e3 = lowest_set_bit(bits)
            bits &= bits - 1
            d0, d1, d2, d3 = delta[e0], delta[e1], delta[e2], delta[e3]
            v0, v1, v2, v3 = x[e0], x[e1], x[e2], x[e3]
            for j in range(width):
                w[j] = (((w[j] - v0 * d0[j]) - v1 * d1[j]) - v2 * d2[j]) - v3 * d3[j]
            left -= 4
        while bits:
            e0 = lowest_set_bit(bits)
            bits &= bits - 1
            d0, v0 = delta[e0], x[e0]
            for j in range(width):
                w[j] -= v0 * d0[j]
        examples[u] = 0
        counts[u] = 0
