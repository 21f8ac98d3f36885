"""The article's experiments, as functions that return result objects (never print, never plot).

``contenders``: the neurons set side by side (both costs, and the linear neuron) and the
choices that name them.
``slowdown``: one neuron from a mild and a saturated start under both costs.
``saturation``: the same neuron from every start of a grid: the saturation map.
``compare``: a network trained under each cost from the same start, probed as it learns.
``derive`` (imported on its own, since it imports SymPy): the article's algebra checked by
SymPy, step by step, and numerically against xentlab's gradient code.
"""

from .compare import (
    TARGET_ACCURACIES,
    CompareResult,
    CompareSpec,
    CostRun,
    compare,
    prepare_cost_run,
)
from .contenders import (
    ALL,
    BOTH,
    CONTENDER_GROUPS,
    CONTENDERS,
    GROUP_CHOICES,
    NEURON_COST_CHOICES,
    contender_costs,
    contenders_of,
)
from .saturation import SLOW_EPOCHS, MarkedStart, SaturationMap, saturation_map
from .slowdown import (
    ARTICLE_ETAS,
    ARTICLE_STARTS,
    COMMON_ETA,
    OUTPUT_THRESHOLDS,
    SlowdownRun,
    SlowdownRuns,
    first_epoch_below,
    slowdown,
    slowdown_runs,
)

__all__ = [
    "ALL",
    "BOTH",
    "CONTENDERS",
    "CONTENDER_GROUPS",
    "GROUP_CHOICES",
    "NEURON_COST_CHOICES",
    "contender_costs",
    "contenders_of",
    "SLOW_EPOCHS",
    "TARGET_ACCURACIES",
    "CompareResult",
    "CompareSpec",
    "CostRun",
    "MarkedStart",
    "SaturationMap",
    "compare",
    "prepare_cost_run",
    "saturation_map",
    "ARTICLE_ETAS",
    "ARTICLE_STARTS",
    "COMMON_ETA",
    "OUTPUT_THRESHOLDS",
    "SlowdownRun",
    "SlowdownRuns",
    "first_epoch_below",
    "slowdown",
    "slowdown_runs",
]
