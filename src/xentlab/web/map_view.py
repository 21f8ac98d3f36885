"""The saturation map view (static/map.js): the article's neuron (x = 1, y = 0) from every start
(w, b) of a grid over [−limit, limit]², coloured by the epochs it takes as each contender: the
sigmoid neuron under each cost ("both"), and the linear neuron a = z too ("all").

    GET /api/saturation?points=&limit=&eta=&epochs=&contenders=    a map each: ``answer``

It adds to /api/setup the map's colour scale, the very colours of xentlab's saturation figure
(``xentlab.colours``, no plotting library). The map is ``experiments.saturation_map``'s,
serialised; the page only draws it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import checks
from ..colours import saturation_colours
from ..experiments import ALL, COMMON_ETA, GROUP_CHOICES, SLOW_EPOCHS, contenders_of, saturation_map
from .limits import Limits
from .params import Parameter, integer, name, number
from .view import Shared, View, cached_json

MAP_COLOURS = 64  # steps of the colour scale the page draws the maps with


def parameters(limits: Limits) -> tuple[Parameter, ...]:
    """The saturation map over [−limit, limit]² (the article's neuron, x = 1, y = 0)."""
    return (
        Parameter("points", integer, checks.Integer(2, limits.map_points), 201),
        Parameter("limit", number, checks.Interval(0.0, limits.map_limit, open_low=True), 6.0),
        Parameter("eta", number, checks.Interval(0.0, limits.map_eta, open_low=True), COMMON_ETA),
        Parameter("epochs", integer, checks.Integer(1, limits.map_epochs), 300),
        Parameter("contenders", name, GROUP_CHOICES, ALL),
    )


def answer(points: int, limit: float, eta: float, epochs: int, contenders: str) -> dict[str, Any]:
    """The saturation map of each contender the group ``contenders`` names ("both" sigmoid
    costs, or "all" three), in that order: the epochs of every start (−1: not within
    ``epochs``), row i for b_values[i], column j for w_values[j]. ``neuron_cost`` is the
    neuron view's choice that trains the same contenders (a click on a map opens it)."""
    labels = contenders_of(contenders)
    grid = saturation_map(points, limit, eta, epochs, contenders=labels)
    return {
        "contenders": list(labels),
        "neuron_cost": contenders,
        "slow_epochs": SLOW_EPOCHS,
        "w_values": grid.w_values.tolist(),
        "b_values": grid.b_values.tolist(),
        "eta": grid.eta,
        "max_epochs": grid.max_epochs,
        "x": grid.x,
        "y": grid.y,
        "threshold": grid.threshold,
        "maps": {
            cost: {
                "epochs": epochs_of.tolist(),
                "slow_fraction": grid.slow_fraction(cost),
                "never_fraction": float(np.mean(epochs_of < 0)),
            }
            for cost, epochs_of in grid.epochs.items()
        },
    }


answer_json = cached_json(answer)


def build(shared: Shared) -> View:
    """The map view: its parameters within ``shared.limits``, its route, its colour scale."""
    map_parameters = parameters(shared.limits)
    scale, never = saturation_colours(MAP_COLOURS)

    async def get_saturation(request: Request) -> Response:
        return await shared.computed(answer_json, shared.query(request, map_parameters))

    return View(
        name="map",
        parameters=map_parameters,
        routes=(Route("/api/saturation", get_saturation),),
        setup={"map_colours": {"scale": scale, "never": never}},
    )
