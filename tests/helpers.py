"""Shared test tools: finite differences accurate enough to check gradients to 1e-7."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_difference(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-3
) -> np.ndarray:
    """∂f/∂x_i by the five-point central stencil (error O(h⁴)), for every entry of x."""
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        values = []
        for step in (2 * h, h, -h, -2 * h):
            moved = x.copy()
            moved[i] += step
            values.append(f(moved))
        grad[i] = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-4) -> float:
    """max |a − b| / max(|a|, |b|, floor): relative where values are large, absolute near 0."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    return float(np.max(np.abs(a - b) / scale))
