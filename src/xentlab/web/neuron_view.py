"""The neuron view (static/neuron.js): one neuron trained from (w, b) on one example (x, y),
under each contender its ``cost`` names (a sigmoid neuron under the quadratic cost or
cross-entropy, the linear neuron a = z under the quadratic cost, "both" sigmoid costs, or "all"
three), every epoch of each path shown beside its activation's curve.

    GET /api/neuron?w=&b=&x=&y=&eta=&epochs=&cost=    the path: ``answer``

It adds to /api/setup the article's experiment (the page's presets, which the map view marks
too), the sigmoid curve, and the contenders each group choice names ("both", "all"). Nothing
is computed here that the library does not compute (``xentlab.neuron``,
``experiments.slowdown_runs``); the page only draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import checks, neuron
from ..experiments import (
    ALL,
    ARTICLE_ETAS,
    ARTICLE_STARTS,
    COMMON_ETA,
    CONTENDER_GROUPS,
    NEURON_COST_CHOICES,
    OUTPUT_THRESHOLDS,
    contender_costs,
    slowdown_runs,
)
from ..functions import sigmoid
from .limits import Limits
from .params import Parameter, integer, name, number
from .view import Shared, View, cached_json

SIGMOID_SAMPLES = 161  # the curve σ(z) drawn beside the neuron, z from −8 to 8


def parameters(limits: Limits) -> tuple[Parameter, ...]:
    """One neuron trained from (w, b) on one example (x, y): the article's saturated start by
    default, each contender beside the others."""
    w, b = ARTICLE_STARTS[-1]
    start = limits.neuron_start
    return (
        Parameter("w", number, checks.Interval(-start, start), w),
        Parameter("b", number, checks.Interval(-start, start), b),
        Parameter("x", number, checks.Interval(-limits.neuron_input, limits.neuron_input), 1.0),
        Parameter("y", number, checks.Interval(0.0, 1.0), 0.0),
        Parameter(
            "eta", number, checks.Interval(0.0, limits.neuron_eta, open_low=True), COMMON_ETA
        ),
        Parameter("epochs", integer, checks.Integer(1, limits.neuron_epochs), 300),
        Parameter("cost", name, NEURON_COST_CHOICES, ALL),
    )


def answer(
    w: float, b: float, x: float, y: float, eta: float, epochs: int, cost: str
) -> dict[str, Any]:
    """One neuron trained from (w, b) on (x, y) as each contender ``cost`` names (one, "both"
    or "all"): its output ("sigmoid" or "linear"), every epoch's w, b, z, a, C, da/dz (σ'(z),
    or 1 for a = z) and gradient (∂C/∂w, ∂C/∂b), and the slowdown table's numbers."""
    runs = []
    for contender in contender_costs(cost):
        trajectory = neuron.train(w, b, x, y, cost=contender, eta=eta, epochs=epochs)
        (numbers,) = slowdown_runs(trajectory)
        dw, db = neuron.gradient(trajectory.w[:, 0], trajectory.b[:, 0], x, y, contender)
        document = trajectory.to_dict()
        path = document["trajectory"]
        path["w"] = [row[0] for row in path["w"]]  # one input: one weight per epoch
        path.update(
            z=trajectory.z[:, 0, 0].tolist(),
            da_dz=trajectory.output_slope[:, 0, 0].tolist(),
            dC_dw=np.asarray(dw)[:, 0].tolist(),
            dC_db=np.asarray(db).tolist(),
        )
        document.update(
            output=str(trajectory.activation),
            first_within={f"{th:g}": numbers.first_below[th] for th in OUTPUT_THRESHOLDS},
            steepest_epoch=numbers.steepest_epoch,
            initial_slope=numbers.initial_slope,
        )
        runs.append(document)
    return {"w": w, "b": b, "x": x, "y": y, "eta": eta, "epochs": epochs, "runs": runs}


answer_json = cached_json(answer)


def sigmoid_curve() -> dict[str, list[float]]:
    """σ(z) sampled over [−8, 8], for the picture of where the neuron sits on its curve."""
    z = np.linspace(-8.0, 8.0, SIGMOID_SAMPLES)
    return {"z": z.tolist(), "a": sigmoid(z).tolist()}


def article() -> dict[str, Any]:
    """The article's experiment, for the page's presets: its two starts and their outputs."""
    w, b = np.array(ARTICLE_STARTS).T
    return {
        "starts": [list(start) for start in ARTICLE_STARTS],
        "outputs": neuron.output(w, b, 1.0)[:, 0].tolist(),  # a at each start
        "x": 1.0,
        "y": 0.0,
        "eta": COMMON_ETA,
        "etas": dict(ARTICLE_ETAS),
        "thresholds": list(OUTPUT_THRESHOLDS),
    }


def build(shared: Shared) -> View:
    """The neuron view: its parameters within ``shared.limits``, its route, its setup."""
    neuron_parameters = parameters(shared.limits)

    async def get_neuron(request: Request) -> Response:
        return await shared.computed(answer_json, shared.query(request, neuron_parameters))

    return View(
        name="neuron",
        parameters=neuron_parameters,
        routes=(Route("/api/neuron", get_neuron),),
        setup={
            "article": article(),
            "sigmoid": sigmoid_curve(),
            "contender_groups": CONTENDER_GROUPS,  # what "both" and "all" name
        },
    )
