"""What went wrong with a run that did not diverge but stopped learning, said in one line.

Two signs, both of the output layer's saturation: a run *stalled in saturation* (most outputs
saturated and wrong, σ'(z) < 0.01 and |a − y| > 0.5, and the cost flat for several epochs),
and a *dead* network at the end (nearly every output saturated and the accuracy no better than
chance). Under a cost whose δ carries σ'(z) (the quadratic cost) saturation itself is what
stalls learning, and cross-entropy is the cure; under any cost, too large an η can drive the
outputs into saturation.
"""

from __future__ import annotations

import numpy as np

from ..data import LabelledData
from ..model import Network
from .state import History

STALL_EPOCHS = 3  # epochs in a row ...
STALL_WRONG = 0.5  # ... with at least this fraction of outputs saturated and wrong ...
STALL_CHANGE = 0.01  # ... and the training cost changing by less than this, relatively
DEAD_SATURATION = 0.95  # at the end, at least this fraction of output pairs saturated ...
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
    """Why the trained network looks dead (its output layer saturated and its accuracy no
    better than chance), with what to try; None if it does not."""
    classes = network.sizes[-1]
    targets = validation.targets(classes, np.dtype(np.float64))
    saturation, _ = network.saturation(validation.X, targets)
    accuracy = network.accuracy(validation.X, validation.labels)
    if saturation < DEAD_SATURATION or accuracy > DEAD_ACCURACY / classes:
        return None
    return (
        f"the network has stopped learning: {saturation:.1%} of its outputs are saturated "
        f"(σ'(z) < 0.01) and its validation accuracy is {accuracy:.1%}, about chance for "
        f"{classes} classes, at eta = {eta:g}; {_advice(network)}"
    )
