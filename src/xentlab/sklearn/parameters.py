"""The estimators' parameters: xentlab's settings (``xentlab.settings``, those offered to the
estimators), under scikit-learn's names where it has its own (``hidden_layer_sizes``), and the
parameters scikit-learn's conventions add (``early_stopping``, ``random_state``, ...).

``__init__`` and ``_parameter_constraints`` are derived from these declarations: a setting
offered to the estimators becomes a parameter with its default, and scikit-learn validates it
at ``fit`` by the setting's own constraint, translated into scikit-learn's terms.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

from sklearn.utils._param_validation import Interval, StrOptions

from .. import checks, settings
from ..model import MAX_LAYER_SIZE
from ..settings import HiddenLayers, Setting

# A setting whose name scikit-learn spells its own way.
SKLEARN_NAMES = {"hidden": "hidden_layer_sizes"}
# The parameters scikit-learn's conventions add: (default, constraints).
OWN_PARAMETERS: dict[str, tuple[Any, list[Any]]] = {
    "early_stopping": (False, ["boolean"]),
    "validation_fraction": (0.1, [Interval(Real, 0, 1, closed="neither")]),
    "n_iter_no_change": (10, [Interval(Integral, 1, None, closed="left")]),
    "random_state": (None, ["random_state"]),
    "verbose": (False, ["verbose"]),
    "warm_start": (False, ["boolean"]),
}
SETTINGS: dict[str, Setting] = {
    SKLEARN_NAMES.get(s.name, s.name): s for s in settings.offered("estimator")
}


def sklearn_constraints(constraint: checks.Constraint) -> list[Any]:
    """``constraint`` in scikit-learn's terms (``Interval``, ``StrOptions``, None)."""
    if isinstance(constraint, checks.OneOf):
        return [StrOptions(set(constraint.values))]
    if isinstance(constraint, checks.Integer):
        closed = "left" if constraint.maximum is None else "both"
        return [Interval(Integral, constraint.minimum, constraint.maximum, closed=closed)]
    if isinstance(constraint, checks.Real):
        closed = "neither" if constraint.positive else "left"
        low = 0 if constraint.positive or constraint.non_negative else None
        return [Interval(Real, low, None, closed=closed)]
    if isinstance(constraint, checks.Interval):
        closed = "right" if constraint.open_low else "both"
        return [Interval(Real, constraint.low, constraint.high, closed=closed)]
    if isinstance(constraint, checks.Optional):
        return [*sklearn_constraints(constraint.constraint), None]
    if isinstance(constraint, HiddenLayers):  # the widths themselves: _hidden_sizes
        return ["array-like", Interval(Integral, 1, MAX_LAYER_SIZE, closed="both")]
    raise TypeError(f"no scikit-learn form for the constraint {constraint!r}")


def parameter_constraints() -> dict[str, list[Any]]:
    """Every parameter's constraints, as ``BaseEstimator._validate_params`` reads them."""
    derived = {name: sklearn_constraints(s.constraint) for name, s in SETTINGS.items()}
    return {**derived, **{name: own[1] for name, own in OWN_PARAMETERS.items()}}


def defaults() -> dict[str, Any]:
    """Every parameter's default, in the order of the signature."""
    derived = {name: s.default for name, s in SETTINGS.items()}
    first = {"hidden_layer_sizes": derived.pop("hidden_layer_sizes")}
    return {**first, **derived, **{name: own[0] for name, own in OWN_PARAMETERS.items()}}


def derived_init() -> Callable[..., None]:
    """An ``__init__`` that only stores its parameters (scikit-learn's convention), with the
    signature scikit-learn reads them from: ``hidden_layer_sizes`` first, positional; the
    others by keyword."""
    parameters = defaults()
    first = "hidden_layer_sizes"

    def __init__(self: Any, *args: Any, **given: Any) -> None:
        if len(args) > 1:
            raise TypeError(f"{type(self).__name__} takes at most one positional parameter")
        if args:
            if first in given:
                raise TypeError(f"{first} is given twice")
            given[first] = args[0]
        unknown = sorted(set(given) - set(parameters))
        if unknown:
            raise TypeError(f"{type(self).__name__} got unknown parameter(s) {', '.join(unknown)}")
        for name, default in parameters.items():
            setattr(self, name, given.get(name, default))

    signature = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name, default in parameters.items():
        kind = (
            inspect.Parameter.POSITIONAL_OR_KEYWORD
            if name == first
            else inspect.Parameter.KEYWORD_ONLY
        )
        signature.append(inspect.Parameter(name, kind, default=default))
    __init__.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    return __init__


def training_settings(values: dict[str, Any]) -> dict[str, Any]:
    """The settings (under xentlab's names) among an estimator's parameters ``values``."""
    return {SETTINGS[name].name: values[name] for name in SETTINGS}
