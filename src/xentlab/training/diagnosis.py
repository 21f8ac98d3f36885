"""What went wrong with a run that did not diverge but stopped learning, said in one line.

Two signs of saturation: a run *stalled in saturation* (most outputs saturated and wrong,
σ'(z) < 0.01 and |a − y| > 0.5, and the cost flat for several epochs), and a *dead* network at
the end (the accuracy no better than chance, and nearly every output saturated, or else nearly
every neuron of a hidden layer). Under a cost whose δ carries σ'(z) (the quadratic cost) an
output's saturation itself is what stalls learning, and cross-entropy is the cure; under any
cost, too large an η can drive the outputs into saturation, and under any cost and output it
can drive a hidden layer there (a linear output's unbounded δ = z − y does it readily).
"""

from __future__ import annotations

import numpy as np

from ..data import LabelledData
from ..model import Network
from .state import History

STALL_EPOCHS = 3  # epochs in a row ...
STALL_WRONG = 0.5  # ... with at least this fraction of outputs saturated and wrong ...
STALL_CHANGE = 0.01  # ... and the training cost changing by less than this, relatively
DEAD_SATURATION = 0.95  # at the end, at least this fraction of a layer's pairs saturated ...
DEAD_ACCURACY = 1.5  # ... and validation accuracy at most this many times chance: dead


def _advice(network: Network) -> str:
    if network.cost.delta_has_sigma_prime:
        return "the quadratic cost's δ carries σ'(z), which is near 0 there: try cross-entropy"
    return "too large an eta can do this: try a smaller one"


def stall_warning(history: History, network: Network) -> str | None:
    """Why the run looks stalled in saturation after its last epoch, or None."""
    records = history.records[-STALL_EPOCHS:]
    if len(records) < STALL_EPOCHS or any(
        r.saturated_wrong is None or r.saturated_wrong < STALL_WRONG for r in records
    ):
        return None
    first, last = records[0].training_cost, records[-1].training_cost
    if abs(last - first) > STALL_CHANGE * abs(first):
        return None
    assert records[-1].saturated_wrong is not None
    return (
        f"training has stalled in saturation: {records[-1].saturated_wrong:.0%} of the outputs "
        f"are saturated and wrong, and the cost has stayed at {last:.4g} for {STALL_EPOCHS} "
        f"epochs; {_advice(network)}"
    )


def dead_network_warning(network: Network, validation: LabelledData, eta: float) -> str | None:
    """Why the trained network looks dead, with what to try; None if it does not. Dead: its
    validation accuracy no better than chance, and a layer of sigmoid neurons saturated: the
    output layer (whose δ carries σ'(z) under the quadratic cost), or else a hidden layer (whose
    δ carries σ'(z) under every cost, a linear output's too)."""
    classes = network.sizes[-1]
    accuracy = network.accuracy(validation.X, validation.labels)
    if accuracy > DEAD_ACCURACY / classes:
        return None
    chance = f"its validation accuracy is {accuracy:.1%}, about chance for {classes} classes"
    targets = validation.targets(classes, np.dtype(np.float64))
    saturation, _ = network.saturation(validation.X, targets)
    if saturation >= DEAD_SATURATION:
        return (
            f"the network has stopped learning: {saturation:.1%} of its outputs are saturated "
            f"(σ'(z) < 0.01) and {chance}, at eta = {eta:g}; {_advice(network)}"
        )
    hidden = network.hidden_saturation(validation.X)
    layer = int(np.argmax(hidden)) if hidden else 0
    if not hidden or hidden[layer] < DEAD_SATURATION:
        return None
    which = f"hidden layer {layer + 1}" if len(hidden) > 1 else "hidden layer"
    return (
        f"the network has stopped learning: {hidden[layer]:.1%} of its {which}'s neurons are "
        f"saturated (σ'(z) < 0.01) and {chance}, at eta = {eta:g}; a hidden layer's δ carries "
        f"σ'(z) whatever the cost and output: try a smaller eta"
    )
