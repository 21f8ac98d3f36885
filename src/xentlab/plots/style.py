"""The figures' colours and line styles: one colour per cost from a palette people with any
colour vision tell apart, a line style per cost for grey-scale printing, the saturation map's
colour scale (also handed to the page as CSS colours)."""

from __future__ import annotations

import matplotlib
from matplotlib.colors import to_hex

from .. import checks

# Okabe and Ito's palette, told apart by people with any colour vision; lines also differ in
# style where they must survive grey-scale printing.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
COST_COLOURS = {"quadratic": "#D55E00", "cross-entropy": "#0072B2", "log-likelihood": "#009E73"}
# The saturation map: epochs on viridis (light is slow), starts that never arrive grey.
SATURATION_COLOURMAP = "viridis"
NEVER_COLOUR = "lightgrey"
# Told apart by line style as well as colour, so that they survive grey-scale printing.
COST_STYLES = {"quadratic": "-", "cross-entropy": "--", "log-likelihood": ":"}
# A cost without a colour or style of its own (a cost of the user's) still gets one.
OTHER_COST_COLOUR = "#CC79A7"
OTHER_COST_STYLE = "-."
# What sets one line of the sweep figure apart from another of the same cost.
SWEEP_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def cost_colour(cost: str) -> str:
    """The colour of ``cost``'s lines: its own, or the one every other cost shares."""
    return COST_COLOURS.get(cost, OTHER_COST_COLOUR)


def cost_style(cost: str) -> str:
    """The line style of ``cost``: its own, or the one every other cost shares."""
    return COST_STYLES.get(cost, OTHER_COST_STYLE)


def saturation_colours(steps: int = 64) -> tuple[list[str], str]:
    """The saturation map's colour scale as CSS colours, ``steps`` of them from 0 epochs to
    the most, and the colour of the starts that never arrive: the page draws its maps in the
    figure's colours."""
    steps = checks.int_at_least("steps", steps, 2)
    scale = matplotlib.colormaps[SATURATION_COLOURMAP].resampled(steps)
    return [to_hex(scale(i)) for i in range(steps)], to_hex(NEVER_COLOUR)
