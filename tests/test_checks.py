"""The constraint objects: one place says what a parameter allows, and every message names it."""

from __future__ import annotations

import dataclasses

import pytest

from xentlab import checks
from xentlab.errors import XentlabError


def test_one_of_names_the_parameter_the_value_and_the_choices():
    allowed = checks.OneOf(("l2", "l1"))
    assert allowed.check("regularization", "l1") == "l1"
    assert list(allowed) == ["l2", "l1"] and "l2" in allowed and "l3" not in allowed
    for bad in ("l3", "", None, 2, ["l1"]):
        with pytest.raises(XentlabError, match=r"^regularization must be one of l2, l1; got "):
            allowed.check("regularization", bad)


@dataclasses.dataclass(frozen=True)
class Settings:
    epochs: int = checks.constrained(checks.Integer(1), default=1)
    eta: float = checks.constrained(checks.Real(positive=True), default=0.5)
    lmbda: float = checks.constrained(checks.Real(non_negative=True), default=0.0)
    patience: int | None = checks.constrained(checks.Optional(checks.Integer(1)), default=None)
    reason: str = checks.constrained(checks.Text(), default="")
    free: object = None


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"epochs": 0}, "cfg epochs must be an integer >= 1"),
        ({"epochs": True}, "cfg epochs must be an integer >= 1"),
        ({"eta": 0.0}, "cfg eta must be a finite number > 0"),
        ({"eta": float("nan")}, "cfg eta must be a finite number"),
        ({"lmbda": -1e-9}, "cfg lmbda must be a finite number >= 0"),
        ({"patience": 0}, "cfg patience must be an integer >= 1"),
        ({"reason": 3}, "cfg reason must be text"),
    ],
)
def test_check_fields_applies_each_declared_constraint(change, needle):
    checks.check_fields(Settings(), "cfg ")  # the defaults are allowed
    checks.check_fields(Settings(patience=3, free=object()), "cfg ")
    with pytest.raises(XentlabError, match=needle):
        checks.check_fields(Settings(**change), "cfg ")


def test_interval_names_the_bounds_and_whether_the_low_one_is_allowed():
    closed, rate = checks.Interval(-20, 20), checks.Interval(0, 10, open_low=True)
    assert closed.check("w", -20) == -20.0 and closed.check("w", 2.5) == 2.5
    assert rate.check("eta", 10) == 10.0
    for bad in (20.5, -21, float("inf")):
        with pytest.raises(XentlabError, match=r"^w must be"):
            closed.check("w", bad)
    with pytest.raises(XentlabError, match=r"^eta must be a number in \(0, 10\]; got 0$"):
        rate.check("eta", 0)
    with pytest.raises(XentlabError, match=r"^w must be a number in \[-20, 20\]; got 25$"):
        closed.check("w", 25)
    with pytest.raises(XentlabError, match=r"^w must be a finite number; got 'x'$"):
        closed.check("w", "x")
