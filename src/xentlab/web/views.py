"""What the page's first two views are shown, as JSON-ready data: the library's results,
serialised. Nothing is computed here that the library does not compute; the page only draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import neuron
from ..experiments import (
    ARTICLE_ETAS,
    ARTICLE_STARTS,
    COMMON_ETA,
    OUTPUT_THRESHOLDS,
    saturation_map,
    slowdown_runs,
)
from ..functions import sigmoid, sigmoid_prime

SIGMOID_SAMPLES = 161  # the curve σ(z) drawn beside the neuron, z from −8 to 8


def neuron_view(
    w: float, b: float, x: float, y: float, eta: float, epochs: int, cost: str
) -> dict[str, Any]:
    """One neuron trained from (w, b) on (x, y) under each cost ``cost`` names (one, or both):
    every epoch's w, b, z, a, C, σ'(z) and gradient, and the slowdown table's numbers."""
    runs = []
    for name in neuron.costs_of(cost):
        trajectory = neuron.train(w, b, x, y, cost=name, eta=eta, epochs=epochs)
        (numbers,) = slowdown_runs(trajectory)
        z = trajectory.z[:, 0, 0]
        dw, db = neuron.gradient(trajectory.w[:, 0], trajectory.b[:, 0], x, y, name)
        document = trajectory.to_dict()
        path = document["trajectory"]
        path["w"] = [row[0] for row in path["w"]]  # one input: one weight per epoch
        path.update(
            z=z.tolist(),
            sigma_prime=sigmoid_prime(z).tolist(),
            dC_dw=np.asarray(dw)[:, 0].tolist(),
            dC_db=np.asarray(db).tolist(),
        )
        document.update(
            first_within={f"{th:g}": numbers.first_below[th] for th in OUTPUT_THRESHOLDS},
            steepest_epoch=numbers.steepest_epoch,
            initial_slope=numbers.initial_slope,
        )
        runs.append(document)
    return {"w": w, "b": b, "x": x, "y": y, "eta": eta, "epochs": epochs, "runs": runs}


def map_view(points: int, limit: float, eta: float, epochs: int) -> dict[str, Any]:
    """The saturation map of both costs: the epochs of every start (−1: not within
    ``epochs``), row i for b_values[i], column j for w_values[j]."""
    grid = saturation_map(points, limit, eta, epochs)
    return {
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
