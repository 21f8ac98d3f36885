"""Compiling with numba, once per machine (importing this module imports numba)."""

from __future__ import annotations

from typing import Any

from numba import njit


def compiled(function: Any) -> Any:
    """``function`` compiled by numba, once per machine: the machine code is cached beside its
    file, or in numba's per-user cache where the package's folder is not writable; with
    neither writable, in each process anew. error_model="numpy": a division by zero gives
    inf, as in NumPy, rather than a check per division that would keep loops from vectorising.
    """
    try:
        return njit(cache=True, nogil=True, error_model="numpy")(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return njit(cache=False, nogil=True, error_model="numpy")(function)
