"""The epoch loop compiled by numba: the same mini-batch SGD as ``numpy_loop.sgd_batches``,
written as explicit loops over arrays, for one mini-batch of a few examples at a time.

NumPy spends most of a mini-batch of 10 on dispatching some twenty small calls; compiled loops
spend it on arithmetic, and can skip what NumPy cannot:

- The input layer reads its examples in compressed rows, only their non-zero inputs, and
  updates only the rows of W they touch (``compiled_input``).
- Each layer's weights are one block of a flat buffer, their rows padded with zeros to a
  multiple of a vector's width, so the innermost loop (over a row of W) is a whole number of
  SIMD vectors; the padding stays zero because its δ is set to zero.
- The weight gradient is never stored: each example's xᵀδ (already scaled by η/m) is subtracted
  from W as it is computed, after the regularisation step.
- σ(z) is the article's 1/(1 + e^(−z)), with an e^x that LLVM vectorises (``compiled_math``);
  the NumPy kernel's ½ tanh(z/2) + ½ agrees with it to rounding.
- Several networks that share their inputs and their order of mini-batches train in one pass
  (a group): their input layers are side by side in one W, so each example's non-zero inputs
  are read once for all of them; above it each network has its own layers, cost, η and λ
  (``compiled_layers``). Every weight gets the same operations in the same order in any
  group (a sum runs along one column, whatever the columns beside it; where the loops
  differ with the group's width, they do the same operations in the same order), so a
  network trains to the same bits alone or in a group, and one network is a group of one.

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

from ..compiling import compiled
from .compiled_input import input_forward, scatter_by_row, update_by_example, update_by_row
from .compiled_layers import (
    COLUMN,
    OUTPUTS,
    SIGMOID_OUTPUT,
    WIDTH,
    activate_output,
    backward,
    biases,
    block,
    forward_own_layers,
    sigmoid_columns,
    update_biases,
    weights,
)
from .compiled_support import prefetch_batch

FIRST_ROW, LAYERS = range(2)  # the columns of a member row
ETA, LMBDA = range(2)  # a member's step
L1, OUTPUT, SIGMA_PRIME = range(3)  # a member's flags (OUTPUT: a code of OUTPUT_CODES)


@compiled
def activate_input_layers(z, layout, members, flags, m):  # type: ignore[no-untyped-def]
    """a = σ(z) in every network's columns of the shared input layer's block ``z`` (one pass
    over its rows when every network's input layer is a sigmoid layer); in those of a network
    whose input layer is its output layer, that output's declared activation."""
    every_sigmoid = True
    for net in range(members.shape[0]):
        if members[net, LAYERS] == 1 and flags[net, OUTPUT] != SIGMOID_OUTPUT:
            every_sigmoid = False
    if every_sigmoid:
        sigmoid_columns(z, 0, z.shape[1], m)
        return
    for net in range(members.shape[0]):
        row = members[net, FIRST_ROW]
        column = layout[row, COLUMN]
        if members[net, LAYERS] == 1:
            outputs, width = layout[row, OUTPUTS], layout[row, WIDTH]
            activate_output(z, column, outputs, width, flags[net, OUTPUT], m)
        else:
            sigmoid_columns(z, column, layout[row, WIDTH], m)


@compiled
def sgd_batches_compiled(  # type: ignore[no-untyped-def]
    params, layout, members, steps, flags, rows, Y, order, batches, scratch
):
    """Mini-batches first_batch .. stop_batch − 1 of a group of networks: batch k is the
    examples order[k m:(k + 1) m] (the last may be shorter), X given as compressed rows, Y
    dense; ``members`` (first layout row, layers) per network, ``steps`` its (η, λ) and
    ``flags`` its (L1 rather than L2, the output's activation code, δ carries σ'(z): the
    cost's declared rule). The named parts, as tuples numba takes: ``rows`` (indptr, indices,
    values); ``batches`` (first_batch, stop_batch, batch_size, n_train, by_row: the input
    layer's update by row rather than by example); ``scratch`` (activations, δ, spare: Wᵀ and
    sums, and the row tables of ``compiled_input.scatter_by_row``).

    Every network's input layer is one block of columns of one shared W (the layout rows of
    the networks' first layers differ only in COLUMN), so each example's non-zero inputs are
    read once for all of them. Each weight is computed by the same operations in the same
    order as in a group of one: every sum runs along one column, whatever the columns beside
    it, so a network trains to the same bits alone or in any group."""
    indptr, indices, values = rows
    first_batch, stop_batch, batch_size, n_train, by_row = batches
    acts, deltas, spare, examples, row_values, counts = scratch
    n = order.shape[0]
    shared = members[0, FIRST_ROW]  # any network's first layer: the shared arrays
    W0, b0 = weights(params, layout, shared), biases(params, layout, shared)
    z0, delta0 = block(acts, layout, shared, batch_size), block(deltas, layout, shared, batch_size)
    Yflat, outputs = Y.reshape(-1), Y.shape[1]
    if first_batch < stop_batch:  # the first mini-batch's rows, and the next one's pointers
        lo = first_batch * batch_size
        prefetch_batch(
            indptr, indices, values, Yflat, outputs, order, lo, lo + batch_size, batch_size
        )
    for k in range(first_batch, stop_batch):
        lo = k * batch_size
        m = min(lo + batch_size, n) - lo
        ahead = lo + batch_size
        prefetch_batch(
            indptr, indices, values, Yflat, outputs, order, ahead, ahead + batch_size, batch_size
        )
        input_forward(W0, b0, z0, indptr, indices, values, order, lo, m)
        activate_input_layers(z0, layout, members, flags, m)
        for net in range(members.shape[0]):
            first, layers = members[net, FIRST_ROW], members[net, LAYERS]
            output = flags[net, OUTPUT]
            forward_own_layers(params, layout, acts, first, layers, output, m, batch_size)
            step = (
                steps[net, ETA],
                steps[net, LMBDA],
                n_train,
                flags[net, L1] != 0,
                flags[net, SIGMA_PRIME] != 0,
            )
            member = (first, layers)
            backward(params, layout, acts, deltas, Y, order, lo, m, batch_size, member, step, spare)
        update_biases(b0, 0, b0.shape[0], delta0, m, spare)
        if by_row:
            scatter_by_row(indptr, indices, values, order, lo, m, examples, row_values, counts)
            update_by_row(W0, delta0, examples, row_values, counts)
        else:
            update_by_example(W0, delta0, indptr, indices, values, order, lo, m)
