"""The article's experiments, as functions that return result objects (never print, never plot).

``slowdown``: one neuron from a mild and a saturated start under both costs.
"""

from .slowdown import (
    ARTICLE_ETAS,
    ARTICLE_STARTS,
    COMMON_ETA,
    OUTPUT_THRESHOLDS,
    SlowdownRun,
    first_epoch_below,
    slowdown,
)

__all__ = [
    "ARTICLE_ETAS",
    "ARTICLE_STARTS",
    "COMMON_ETA",
    "OUTPUT_THRESHOLDS",
    "SlowdownRun",
    "first_epoch_below",
    "slowdown",
]
