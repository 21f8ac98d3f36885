"""The compiled kernel's e^x and σ (``kernel.compiled_math``) against long-double references
over the whole float range: e^x within one unit in the last place, inf and 0 exactly where the
rounded e^x is, σ within 2.5 units where e^(−z) is finite and exactly 0 or 1 at its limits;
the same bits in a vector lane as alone and as in Python."""

from __future__ import annotations

import numpy as np
import pytest

from xentlab.kernel import compiled_unavailable

pytestmark = pytest.mark.skipif(
    compiled_unavailable() is not None, reason=f"numba unavailable: {compiled_unavailable()}"
)
# The reference needs more precision than float64 (x86-64's 80-bit long double has it).
LONG = np.finfo(np.longdouble).nmant >= 63
FLOATS = [np.float32, np.float64]


@pytest.fixture(scope="module")
def compiled_functions():  # type: ignore[no-untyped-def]
    """exp and σ over arrays, compiled as the kernel's loops are."""
    from numba import njit

    from xentlab.kernel.compiled_math import exp, sigmoid

    @njit(error_model="numpy")
    def exp_of(x, out):  # type: ignore[no-untyped-def]
        for i in range(x.shape[0]):
            out[i] = exp(x[i])

    @njit(error_model="numpy")
    def sigmoid_of(x, out):  # type: ignore[no-untyped-def]
        for i in range(x.shape[0]):
            out[i] = sigmoid(x[i])

    def apply(function, x):  # type: ignore[no-untyped-def]
        out = np.empty_like(x)
        function(x, out)
        return out

    return (lambda x: apply(exp_of, x)), (lambda x: apply(sigmoid_of, x))


def whole_range(dtype: type) -> np.ndarray:
    """Every 997th float32 (both signs, all exponents), or millions of float64 from random bit
    patterns, from the range where e^x is finite and non-zero, and near its two ends; NaN
    left out, infinities, zeros and the extremes added."""
    if dtype is np.float32:
        bits = np.arange(0, 2**32, 997, dtype=np.uint64).astype(np.uint32)
        x = bits.view(np.float32)
    else:
        rng = np.random.default_rng(1)
        x = np.concatenate(
            [
                rng.integers(0, 2**64, 1_000_000, dtype=np.uint64).view(np.float64),
                rng.uniform(-746, 710, 1_000_000),
                np.linspace(-746, -707, 200_000),
                np.linspace(700, 710, 100_000),
            ]
        )
    info = np.finfo(dtype)
    ends = [0.0, -0.0, np.inf, -np.inf, info.max, -info.max, info.tiny, info.smallest_subnormal]
    return np.concatenate([x[~np.isnan(x)], np.array(ends)]).astype(dtype)


def ulps(got: np.ndarray, exact: np.ndarray, dtype: type) -> np.ndarray:
    """|got − exact| in units in the last place of exact rounded to dtype (subnormals: the
    smallest subnormal)."""
    rounded = exact.astype(dtype)
    unit = np.maximum(np.spacing(np.abs(rounded)), np.finfo(dtype).smallest_subnormal)
    return np.abs(got.astype(np.longdouble) - exact) / unit.astype(np.longdouble)


@pytest.mark.skipif(not LONG, reason="needs an 80-bit long double for the reference")
@pytest.mark.parametrize("dtype", FLOATS)
def test_exp_is_within_one_unit_over_the_whole_range(dtype, compiled_functions) -> None:  # type: ignore[no-untyped-def]
    exp_of, _ = compiled_functions
    x = whole_range(dtype)
    got = exp_of(x)
    with np.errstate(over="ignore"):
        exact = np.exp(x.astype(np.longdouble))
        rounded = exact.astype(dtype)
    finite = np.isfinite(rounded)
    assert finite.sum() > 100_000 and (rounded == 0).sum() > 1_000  # both ends are sampled
    assert ulps(got[finite], exact[finite], dtype).max() <= 1.0
    assert np.array_equal(np.isinf(got), np.isinf(rounded))  # overflow exactly where it rounds
    assert np.array_equal(got == 0, rounded == 0)  # and 0 exactly where it rounds to 0
    assert got.dtype == dtype


@pytest.mark.parametrize("dtype", FLOATS)
def test_exp_at_its_limits(dtype, compiled_functions) -> None:  # type: ignore[no-untyped-def]
    exp_of, _ = compiled_functions
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0], dtype)
    got = exp_of(x)
    assert got[:4].tolist() == [1.0, 1.0, np.inf, 0.0]
    assert np.isnan(got[4])
    assert abs(got[5] - np.e) <= np.spacing(dtype(np.e))
    assert abs(got[6] - 1 / np.e) <= np.spacing(dtype(1 / np.e))


@pytest.mark.skipif(not LONG, reason="needs an 80-bit long double for the reference")
@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_is_within_rounding_and_exact_at_its_limits(dtype, compiled_functions) -> None:  # type: ignore[no-untyped-def]
    _, sigmoid_of = compiled_functions
    z = whole_range(dtype)
    got = sigmoid_of(z)
    with np.errstate(over="ignore"):
        e = np.exp(-z)  # in dtype: where it overflows, σ is its limit 0
        exact = 1 / (1 + np.exp(-z.astype(np.longdouble)))
    finite = np.isfinite(e)
    assert ulps(got[finite], exact[finite], dtype).max() <= 2.5
    assert np.array_equal(got == 0, np.isinf(e))  # exactly 0 where e^(−z) overflows, only
    assert np.all(got[z > 100] == 1)
    assert np.all((got >= 0) & (got <= 1))


@pytest.mark.parametrize("dtype", FLOATS)
def test_a_number_gets_the_same_bits_in_a_vector_lane_alone_and_in_python(
    dtype,  # type: ignore[no-untyped-def]
    compiled_functions,
) -> None:
    """The group kernel's claim rests on this: σ of a z does not depend on its neighbours."""
    from xentlab.kernel.compiled_math import exp, sigmoid

    exp_of, sigmoid_of = compiled_functions
    z = np.random.default_rng(3).normal(0, 30, 67).astype(dtype)  # 8 lanes × 8, 3 left over
    for compiled, python in ((exp_of, exp), (sigmoid_of, sigmoid)):
        together = compiled(z)
        alone = np.concatenate([compiled(z[i : i + 1]) for i in range(len(z))])
        in_python = np.array([python(v) for v in z], dtype)
        assert together.tobytes() == alone.tobytes() == in_python.tobytes()
