"""One neuron from one start, fast: the epochs of ``neuron.train`` for a single start on a few
numbers, in plain Python floats (NumPy's call overhead is most of an epoch on arrays of one
element) or, for long runs, the same operations compiled (``neuron_compiled``, where numba
imports). Both return the path of w and b; ``neuron`` measures it.

The operations, in order: z = Σ_j w_j x_j + b added left to right; e = e^(−|z|), σ(z) =
1/(1 + e) or e/(1 + e) as ``functions.sigmoid`` computes it; δ = σ(z) − y, times σ'(z) =
e/(1 + e)² where the cost carries it (a linear neuron: a = z, δ = z − y); the gradient's sums
over the examples in order, divided by n; w ← w − η ∂C/∂w, b ← b − η ∂C/∂b.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import numpy as np
from numpy.typing import NDArray

from .errors import XentlabError

OVERFLOW = (
    "z = w·x + b overflows floating point for these w, b and x (|z| must stay below "
    "about 1.8e308); use smaller values"
)
F64 = NDArray[np.float64]
Progress = Callable[[int, int], None]


def diverged(epoch: int, eta: float) -> XentlabError:
    """The error of a path whose step at ``epoch`` made w or b infinite."""
    return XentlabError(
        f"training diverged at epoch {epoch}: the weights became infinite; "
        f"try a smaller eta than {eta:g}"
    )


@cache
def compiled_unavailable() -> str | None:
    """Why one start cannot train compiled here (numba missing or failing), or None."""
    try:
        from . import neuron_compiled  # noqa: F401
    except Exception as exc:  # any failure to import numba means: plain floats
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def train_floats(
    x: F64,
    y: F64,
    w0: F64,
    b0: float,
    eta: float,
    epochs: int,
    carries: bool,
    linear: bool,
    every: int,
    progress: Progress | None,
) -> tuple[F64, F64]:
    """The path (w (epochs + 1, d), b (epochs + 1,)) from (w0, b0) on examples x (n, d) with
    targets y (n,), in Python floats; δ carries σ'(z) where ``carries``; a = z where
    ``linear`` (else σ(z)); ``progress(done, epochs)`` is told every ``every`` epochs and at
    the end."""
    examples = [list(map(float, row)) for row in x]
    targets = list(map(float, y))
    n, d = len(examples), len(examples[0])
    w, b = list(map(float, w0)), float(b0)
    ws, bs = [w], [b]
    for t in range(epochs):
        dw, db = [0.0] * d, 0.0
        for row, target in zip(examples, targets, strict=True):
            z = sum(wj * xj for wj, xj in zip(w, row, strict=True)) + b
            if not math.isfinite(z):
                raise XentlabError(OVERFLOW)
            if linear:
                delta = z - target
            else:
                e = math.exp(-abs(z))
                r = 1.0 / (1.0 + e)
                delta = (r if z >= 0 else e * r) - target
                if carries:
                    delta *= e / (1.0 + e) ** 2
            db += delta
            dw = [g + delta * xj for g, xj in zip(dw, row, strict=True)]
        w = [wj - eta * (g / n) for wj, g in zip(w, dw, strict=True)]
        b = b - eta * (db / n)
        if not (all(map(math.isfinite, w)) and math.isfinite(b)):
            raise diverged(t + 1, eta)
        ws.append(w)
        bs.append(b)
        if progress is not None and ((t + 1) % every == 0 or t + 1 == epochs):
            progress(t + 1, epochs)
    return np.array(ws).reshape(epochs + 1, d), np.array(bs)


def train_compiled(
    x: F64,
    y: F64,
    w0: F64,
    b0: float,
    eta: float,
    epochs: int,
    carries: bool,
    linear: bool,
    every: int,
    progress: Progress | None,
) -> tuple[F64, F64]:
    """:func:`train_floats`'s path, its operations compiled (``neuron_compiled``), the epochs
    in stretches of ``every`` between the progress reports."""
    from .neuron_compiled import FINE, OVERFLOWED, train_epochs

    ws, bs = np.empty((epochs + 1, len(w0))), np.empty(epochs + 1)
    ws[0], bs[0] = w0, b0
    X, Y = np.ascontiguousarray(x, np.float64), np.ascontiguousarray(y, np.float64)
    for first in range(0, epochs, every):
        stop = min(epochs, first + every)
        outcome = train_epochs(X, Y, float(eta), carries, linear, first, stop, ws, bs)
        if outcome == OVERFLOWED:
            raise XentlabError(OVERFLOW)
        if outcome != FINE:
            raise diverged(outcome, eta)
        if progress is not None:
            progress(stop, epochs)
    return ws, bs
