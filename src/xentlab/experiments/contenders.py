"""The neurons the front ends set side by side from one start, and how a user names them.

A contender is written as compare writes it, ``COST[/OUTPUT]`` (``Cost.label``): a sigmoid
neuron under each of its costs, then the linear neuron, a = z under the quadratic cost
(``quadratic/linear``). A front end's ``cost`` choice (``xentlab neuron --cost``, the page's
neuron view) names one of them, or a group: ``both`` (the article's comparison) or ``all``.
Wherever several are named (compare, the saturation map), none may be named twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import checks
from ..errors import XentlabError
from ..functions import LINEAR_QUADRATIC, Cost, get_cost, labelled_cost
from ..neuron import NEURON_COSTS, NEURON_OUTPUTS

# The neurons set side by side, each written COST[/OUTPUT] (Cost.label): a sigmoid neuron under
# each of its costs, then the linear neuron a = z under the quadratic cost ("quadratic/linear").
CONTENDERS: tuple[str, ...] = (*NEURON_COSTS, LINEAR_QUADRATIC.label)
BOTH = "both"  # the two sigmoid costs from one start: the article's comparison
ALL = "all"  # every contender from one start: both sigmoid costs and the linear neuron
# The choices that name several contenders, to be trained from one start and shown side by side.
CONTENDER_GROUPS: dict[str, tuple[str, ...]] = {BOTH: NEURON_COSTS.values, ALL: CONTENDERS}
GROUP_CHOICES = checks.OneOf(tuple(CONTENDER_GROUPS))
# What every front end (command line, page) takes for its cost: one contender, or a group.
NEURON_COST_CHOICES = checks.OneOf((*CONTENDERS, *CONTENDER_GROUPS))


def contenders_of(choice: str) -> tuple[str, ...]:
    """The contenders (COST[/OUTPUT] labels) a front end's ``cost`` choice names: that one, or
    each of its group (CONTENDER_GROUPS: "both" the two sigmoid costs, "all" the linear neuron
    too), in the order of CONTENDERS."""
    choice = NEURON_COST_CHOICES.check("cost", choice)
    return CONTENDER_GROUPS.get(choice, (choice,))


def contender_costs(choice: str, output: str | None = None) -> tuple[Cost, ...]:
    """The cost of each contender ``choice`` names, on its output: a contender that names its
    output (``quadratic/linear``) is on that one; any other on ``output`` if given (the command
    line's ``--output``: quadratic on a linear output is the linear neuron), else on the output
    its cost implies. An ``output`` other than a contender's own is refused, as is a pair that
    does not go together (cross-entropy on a linear output)."""
    if output is not None:
        output = NEURON_OUTPUTS.check("output", output)
    costs = []
    for label in contenders_of(choice):
        name, _, own = label.partition("/")
        if own and output is not None and output != own:
            raise XentlabError(
                f"cost {label!r} is a neuron with a {own} output; it does not go with output "
                f"{output!r} (give output {own!r}, or none)"
            )
        costs.append(get_cost(name, NEURON_COSTS, output=own or output))
    return tuple(costs)


def labelled_costs(labels: Sequence[str], name: str = "contenders") -> tuple[Cost, ...]:
    """The costs ``labels`` name (each by :func:`labelled_cost`), one or more, none twice:
    ``quadratic/sigmoid`` and ``quadratic`` are one contender, refused as a repeat."""
    if isinstance(labels, str) or not labels:
        raise XentlabError(f"{name} must name at least one cost; got {labels!r}")
    costs = tuple(labelled_cost(label) for label in labels)
    first: dict[str, str] = {}
    for label, cost in zip(labels, costs, strict=True):
        if cost.label in first:
            given = first[cost.label]
            twice = (
                f"{label} twice" if given == label else f"{given} and {label}, both {cost.label}"
            )
            raise XentlabError(f"{name} must not repeat; got {twice}")
        first[cost.label] = label
    return costs
