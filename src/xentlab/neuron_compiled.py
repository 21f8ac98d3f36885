"""One neuron from one start, compiled by numba: the epochs of ``neuron.train``'s plain-float
path as one loop of machine code (importing this module imports numba).

The same operations in the same order as the plain floats: z = Σ_j w_j x_j + b added left to
right; e = e^(−|z|), σ(z) = 1/(1 + e) or e/(1 + e) as ``functions.sigmoid`` computes it;
δ = σ(z) − y, times σ'(z) = e/(1 + e)² where the cost carries it (a linear neuron: a = z,
δ = z − y); the gradient's sums over the examples in order, divided by n; w ← w − η ∂C/∂w,
b ← b − η ∂C/∂b. The C library's exp is numba's too, so the two paths agree to the last bit
but for rounding the compiler may choose differently (tested to 1e-12).
"""

from __future__ import annotations

import math

from .compiling import compiled

FINE, OVERFLOWED = -1, -2  # what train_epochs returns besides the epoch at which w or b diverged


@compiled
def train_epochs(X, Y, eta, carries, linear, first, stop, ws, bs):  # type: ignore[no-untyped-def]
    """Epochs first .. stop − 1 from ws[first], bs[first] (w (d,) and b per epoch) into
    ws[first + 1 .. stop], bs[...], on examples X (n, d) with targets Y (n,); a = z where
    ``linear``, else σ(z), and δ times σ'(z) where ``carries``. Returns FINE,
    OVERFLOWED (z overflowed), or the epoch (1-based) whose step made w or b infinite."""
    n, d = X.shape
    for t in range(first, stop):
        w, step = ws[t], ws[t + 1]
        for j in range(d):
            step[j] = 0.0  # ∂C/∂w_j, summed over the examples
        db = 0.0
        for i in range(n):
            z = 0.0
            for j in range(d):
                z += w[j] * X[i, j]
            z += bs[t]
            if not math.isfinite(z):
                return OVERFLOWED
            if linear:
                delta = z - Y[i]
            else:
                e = math.exp(-abs(z))
                r = 1.0 / (1.0 + e)
                delta = (r if z >= 0 else e * r) - Y[i]
                if carries:
                    delta *= e / (1.0 + e) ** 2
            db += delta
            for j in range(d):
                step[j] = step[j] + delta * X[i, j]
        finite = True
        for j in range(d):
            step[j] = w[j] - eta * (step[j] / n)
            finite = finite and math.isfinite(step[j])
        bs[t + 1] = bs[t] - eta * (db / n)
        if not (finite and math.isfinite(bs[t + 1])):
            return t + 1
    return FINE
