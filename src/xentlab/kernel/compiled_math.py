"""e^x and σ(z) for the compiled loops, in plain arithmetic that LLVM vectorises.

numba computes ``math.exp`` by a call to the C library, one number per call: with no vector
math library in llvmlite, a loop of σ(z) could not use SIMD, and e^x was most of the time of
σ. Here e^x is multiplications, additions, one division, a floor and a move of bits, which LLVM
turns into vector instructions: σ costs about a fifth of what it did.

The method is fdlibm's (``e_exp.c``, Sun Microsystems 1993), in the dtype of x::

    x = k ln 2 + r,  k = ⌊x / ln 2 + ½⌋,  |r| ≤ ½ ln 2
    e^r = 1 + r + r c / (2 − c),  c = r − r² (P1 + r² (P2 + r² (P3 + r² (P4 + r² P5))))
    e^x = 2^k e^r

ln 2 is split into a head of 16 significant bits and its remainder, so that k × head is exact
(|k| < 2^8 in float32, 2^37 in float64) and r carries no error of the reduction. 2^k is made
in two halves, 2^⌊k/2⌋ 2^(k − ⌊k/2⌋), so that subnormal results are rounded once, as they
should be.

Accuracy, measured against NumPy's exp in long double (``tests/test_compiled_math.py``): at
most 0.84 units in the last place in float32 (every 997th float of the whole range) and 0.89
in float64 (millions of samples from the whole range); σ(z) = 1 / (1 + e^(−z)) adds the
rounding of its sum and quotient, at most 2.5 units. The limits are those of the C library's
exp: e^x = inf above ln(largest float) (88.72 in float32, 709.78 in float64), 0 below the
subnormal range (−103.97, −745.13), NaN for NaN; so σ(z) is exactly 0 where e^(−z) overflows
and exactly 1 where e^(−z) is below half an ε, as before.

Every operation is a plain IEEE one (no fastmath, no fused multiply-add), so a number gets the
same bits in a vector lane or alone: σ of a weight's z does not depend on its neighbours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import types
from numba.extending import overload

from ..compiling import compiled

LOG2_E = 1.4426950408889634
LN2_HEAD = 0.693145751953125  # ln 2 to 16 significant bits: k × LN2_HEAD is exact
LN2_TAIL = 1.4286068203094172e-06  # ln 2 − LN2_HEAD
# fdlibm's minimax coefficients of r (e^r + 1) / (e^r − 1) = 2 + P1 r² + P2 r⁴ + ...
P1, P2, P3 = 1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05
P4, P5 = -1.65339022054652515390e-06, 4.13813679705723846039e-08
# Beyond these e^x is inf or rounds to 0 (k then stays inside the exponent's range).
LIMITS = {32: (-104.0, 89.0), 64: (-746.0, 710.0)}


@compiled
def _power_of_two_32(k):  # type: ignore[no-untyped-def]
    """2^k for an integral float32 k in [−126, 127]: k + 2^23 + 127 holds k + 127 in its low
    bits; shifted by 23 they are the exponent field (the rest is shifted out)."""
    bits = np.float32(k + np.float32(2.0**23 + 127)).view(np.int32)
    return np.int32(bits << 23).view(np.float32)


@compiled
def _power_of_two_64(k):  # type: ignore[no-untyped-def]
    """2^k for an integral float64 k in [−1022, 1023], as :func:`_power_of_two_32`."""
    bits = np.float64(k + (2.0**52 + 1023)).view(np.int64)
    return np.int64(bits << 52).view(np.float64)


def _functions_of(real: Any, power_of_two: Any) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """e^x and σ(z) for one float type ``real`` (np.float32 or np.float64): its constants are
    of that type, so that numba computes in it."""
    log2_e, ln2_head, ln2_tail = real(LOG2_E), real(LN2_HEAD), real(LN2_TAIL)
    p1, p2, p3, p4, p5 = real(P1), real(P2), real(P3), real(P4), real(P5)
    lowest, highest = (real(limit) for limit in LIMITS[np.finfo(real).bits])
    one, two, half = real(1), real(2), real(0.5)

    def exponential(x):  # type: ignore[no-untyped-def]
        kept = x if x > lowest else lowest  # NaN too: its result is chosen at the end
        kept = kept if kept < highest else highest
        k = np.floor(kept * log2_e + half)
        head = kept - k * ln2_head
        tail = k * ln2_tail
        r = head - tail
        t = r * r
        c = r - t * (p1 + t * (p2 + t * (p3 + t * (p4 + t * p5))))
        e_r = one - ((tail - (r * c) / (two - c)) - head)
        half_k = np.floor(k * half)
        e_x = (e_r * power_of_two(half_k)) * power_of_two(k - half_k)
        return e_x if x == x else x

    def sigmoid(z):  # type: ignore[no-untyped-def]
        return one / (one + exp(-z))  # the module's exp: this type's, in compiled code too

    return exponential, sigmoid


_FUNCTIONS = {
    32: _functions_of(np.float32, _power_of_two_32),
    64: _functions_of(np.float64, _power_of_two_64),
}


def exp(x: Any) -> Any:
    """e^x in the float type of x: in compiled code any float, here a NumPy float scalar (the
    same operations, so the same bits; overflow to inf raises no warning, as in compiled code)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return _FUNCTIONS[np.finfo(type(x)).bits][0](x)


def sigmoid(z: Any) -> Any:
    """σ(z) = 1 / (1 + e^(−z)) in the float type of z, with :func:`exp`."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return _FUNCTIONS[np.finfo(type(z)).bits][1](z)


@overload(exp, jit_options={"error_model": "numpy"})
def _exp(x):  # type: ignore[no-untyped-def]
    if isinstance(x, types.Float):
        return _FUNCTIONS[x.bitwidth][0]
    return None


@overload(sigmoid, jit_options={"error_model": "numpy"})
def _sigmoid(z):  # type: ignore[no-untyped-def]
    if isinstance(z, types.Float):
        return _FUNCTIONS[z.bitwidth][1]
    return None
