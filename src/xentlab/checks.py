"""Validation at the library's boundary: each check names the parameter, the value and the rule.

Checked once where data enters (the neuron trainer, the network, the data readers, the CLI), so
the inner loops can trust their arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import XentlabError


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def positive_number(name: str, value: Any) -> float:
    """A finite real number > 0 (a learning rate, say)."""
    number = real_number(name, value)
    if number <= 0:
        raise XentlabError(f"{name} must be a finite number > 0; got {_show(value)}")
    return number


def non_negative_number(name: str, value: Any) -> float:
    """A finite real number ≥ 0 (a regularisation strength, say)."""
    number = real_number(name, value)
    if number < 0:
        raise XentlabError(f"{name} must be a finite number >= 0; got {_show(value)}")
    return number


def real_number(name: str, value: Any) -> float:
    """A finite real number (bool is refused: True is not a learning rate)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise XentlabError(f"{name} must be a finite number; got {_show(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise XentlabError(f"{name} must be a finite number; got {_show(value)}")
    return number


def int_at_least(name: str, value: Any, minimum: int) -> int:
    """An integer ≥ minimum (epochs, batch size...)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise XentlabError(f"{name} must be an integer >= {minimum}; got {_show(value)}")
    if value < minimum:
        raise XentlabError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def finite_array(name: str, value: ArrayLike, dtype: Any = np.float64) -> NDArray[Any]:
    """A numeric array with no NaN or infinity, converted to ``dtype``."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested lists, say
        raise XentlabError(f"{name} must be a numeric array; {exc}") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
    ):
        raise XentlabError(f"{name} must be a numeric array; got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise XentlabError(f"{name} must be real; got dtype {array.dtype}")
    if array.size == 0:
        raise XentlabError(f"{name} must not be empty; got shape {array.shape}")
    array = array.astype(dtype, copy=False)
    if not np.isfinite(array).all():
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise XentlabError(f"{name} must be finite; it holds {bad} NaN or infinite value(s)")
    return array


def unit_interval_array(name: str, value: ArrayLike, dtype: Any = np.float64) -> NDArray[Any]:
    """A finite array with every entry in [0, 1] (targets of a sigmoid output)."""
    array = finite_array(name, value, dtype)
    if array.min() < 0 or array.max() > 1:
        raise XentlabError(
            f"{name} must lie in [0, 1]; got values from {array.min():g} to {array.max():g}"
        )
    return array
