"""The article's algebra, checked by SymPy: one sigmoid neuron's gradient under each cost
(``derive_neuron``), the cross-entropy found again from the gradient it should have and why it
is a cost (``derive_cost``), and the output error δ^L of a layer of outputs (``derive_outputs``).

Each derivation ends in the formulas xentlab computes, and checks them numerically against
xentlab's own code (``neuron.gradient``, the costs' ``delta`` and ``per_example``,
``Network.deltas``) at seeded random points. :func:`derive` returns the derivations a selection
asks for.

Imports SymPy (a dependency of xentlab): ``experiments/__init__`` does not import this
module, so the other experiments never load SymPy.
"""

from __future__ import annotations

from collections.abc import Callable

from ..checks import Integer
from ..errors import XentlabError
from . import derive_outputs
from .derivation import Derivation
from .derive_choices import DERIVE_COSTS, PARTS
from .derive_cost import properties, reverse
from .derive_neuron import POINTS, neuron_gradient

POINTS_ALLOWED = Integer(1, 100_000)  # each numeric check evaluates its formula at every point
Builder = Callable[[int, int], Derivation]
# Every derivation: (part, cost, how it is built), in the order they are shown.
CATALOGUE: tuple[tuple[str, str, Builder], ...] = (
    ("neuron", "quadratic", lambda s, p: neuron_gradient("quadratic", seed=s, points=p)),
    ("neuron", "cross-entropy", lambda s, p: neuron_gradient("cross-entropy", seed=s, points=p)),
    ("reverse", "cross-entropy", lambda s, p: reverse(seed=s, points=p)),
    ("properties", "cross-entropy", lambda s, p: properties(seed=s, points=p)),
    *derive_outputs.CATALOGUE,
)


def derive(
    cost: str = "all", part: str = "all", *, seed: int = 0, points: int = POINTS
) -> list[Derivation]:
    """The derivations of ``part`` (neuron, reverse, properties, outputs or all) for ``cost``
    (quadratic, cross-entropy, log-likelihood or all), each verified step by step by SymPy and
    numerically against xentlab's code at ``points`` random points drawn from ``seed``."""
    DERIVE_COSTS.check("cost", cost)
    PARTS.check("part", part)
    seed = Integer(0).check("seed", seed)
    points = POINTS_ALLOWED.check("points", points)
    chosen = [
        build
        for its_part, its_cost, build in CATALOGUE
        if part in ("all", its_part) and cost in ("all", its_cost)
    ]
    if not chosen:
        parts = sorted({its_part for its_part, its_cost, _ in CATALOGUE if its_cost == cost})
        raise XentlabError(
            f"part {part!r} has no derivation for cost {cost!r}, whose parts are "
            f"{', '.join(parts)} (or all)"
        )
    return [build(seed, points) for build in chosen]
