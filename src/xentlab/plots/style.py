"""The figures' colours and line styles: the costs' colours and styles and the saturation map's
colour scale come from ``xentlab.colours`` (shared with the page, which must not import
matplotlib); what only figures need is declared here."""

from __future__ import annotations

from ..colours import (
    COST_COLOURS,
    COST_STYLES,
    NEVER_COLOUR,
    OTHER_COST_COLOUR,
    OTHER_COST_STYLE,
    PALETTE,
    SATURATION_COLOURMAP,
    cost_colour,
    cost_style,
    saturation_colours,
)

# What sets one line of the sweep figure apart from another of the same cost.
SWEEP_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

__all__ = [
    "COST_COLOURS",
    "COST_STYLES",
    "NEVER_COLOUR",
    "OTHER_COST_COLOUR",
    "OTHER_COST_STYLE",
    "PALETTE",
    "SATURATION_COLOURMAP",
    "SWEEP_MARKERS",
    "cost_colour",
    "cost_style",
    "saturation_colours",
]
