"""A probe's measures compiled by numba: the forward pass of ``compiled_forward``, then, in
float64, δ_l = ∂C_x/∂z_l of every layer, back-propagated as ``Network.deltas`` does, and the
sums of |δ_l| and of ∂C_x/∂W_l = a_{l−1}ᵀ δ_l (the layout of ``params``, ``acts`` and
``deltas`` as described there); the sample's blocks of PROBE_BLOCK_ROWS rows each with partial
sums of their own, added in order, so that the result is the same bits for any number of
threads."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from ..compiling import compiled
from .compiled import CompressedRows
from .compiled_forward import (
    BLOCK_ROWS,
    CHUNK_ROWS,
    CORRECT,
    INPUTS,
    OUTPUTS,
    PROBE_BLOCK_ROWS,
    WIDTH,
    Arr,
    OutputLayer,
    forward_rows,
    layer_block,
    layer_weights,
    measure_part,
    pack,
    run_parts,
)
from .compiled_outputs import activation64, example_cost, saturation_counts


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
        Z = forward_rows(params, layout, indptr, indices, values, lo, m, acts)
        D = layer_block(deltas, layout, last)
        for e in range(m):
            z, y, delta = Z[e], targets[lo + e], D[e]
            sums[0] += example_cost(z, y, outputs, formula)
            activation64(z, outputs, activation, activations)
            if saturates:
                found, found_wrong = saturation_counts(activations, y, outputs, threshold)
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
            D, G = layer_block(deltas, layout, layer), layer_weights(gradients, layout, layer)
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
            below = layer_block(acts, layout, layer - 1)
            D_below = layer_block(deltas, layout, layer - 1)
            W = layer_weights(params, layout, layer)
            for e in range(m):
                _accumulate_gradient(G, below[e], D[e], inputs, width)
                _back(D[e], W, below[e], D_below[e], inputs, layout[layer, OUTPUTS])


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
    valid_part = measure_part(
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
    run_parts([valid_part, *(sample_part(block) for block in range(blocks))], threads)
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
