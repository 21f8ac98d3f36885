"""What one example's output z says, compiled by numba for the measuring passes
(``compiled_forward``, ``compiled_probe``): C_x by the formula the cost declares, in float64
from z as ``functions`` computes it (finite for every finite z); the most active output (the
first of equal ones, as ``numpy.argmax``); a = σ(z), softmax(z) or z; and the outputs
saturated, σ'(z) = a (1 − a) below a threshold, and of those the ones also wrong."""

from __future__ import annotations

import math

import numpy as np

from ..compiling import compiled
from ..functions import CostFormula
from .compiled_layers import LINEAR_OUTPUT, SOFTMAX_OUTPUT

# The declared formulas as the compiled loops know them.
HALF_SQUARED_ERROR, SIGMOID_CROSS_ENTROPY, SOFTMAX_LOG_LIKELIHOOD = range(3)
LINEAR_HALF_SQUARED_ERROR = 3
FORMULA_CODES = {
    CostFormula.HALF_SQUARED_ERROR: HALF_SQUARED_ERROR,
    CostFormula.LINEAR_HALF_SQUARED_ERROR: LINEAR_HALF_SQUARED_ERROR,
    CostFormula.SIGMOID_CROSS_ENTROPY: SIGMOID_CROSS_ENTROPY,
    CostFormula.SOFTMAX_LOG_LIKELIHOOD: SOFTMAX_LOG_LIKELIHOOD,
}


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
def example_cost(z, y, outputs, formula):  # type: ignore[no-untyped-def]
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
def argmax(z, outputs):  # type: ignore[no-untyped-def]
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
def activation64(z, outputs, output, a):  # type: ignore[no-untyped-def]
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
def saturation_counts(a, y, outputs, threshold):  # type: ignore[no-untyped-def]
    """(saturated, saturated and wrong): the outputs with a (1 − a) < threshold, and of those
    the ones with |a − y| > 0.5."""
    saturated = wrong = 0
    for j in range(outputs):
        if a[j] * (1 - a[j]) < threshold:
            saturated += 1
            if abs(a[j] - y[j]) > 0.5:
                wrong += 1
    return saturated, wrong
