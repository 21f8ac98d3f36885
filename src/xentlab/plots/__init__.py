"""Figures drawn from result objects (never computed here), written atomically in the format
their file's extension names: PNG, SVG or PDF.

``style``: the costs' colours and line styles and the map's scale (from ``xentlab.colours``).
``labels``: the figures' words in each language (en, zh), and the font that draws Chinese.
``save``: a figure's format, its target checked before any work, the atomic write, and how a
figure xentlab drew is recognised.
``neuron``: one neuron's trajectories, the slowdown, the saturation map.
``network``: a network's history, the costs compared from one start, a layer's saturation
while training.
``sweep``: a sweep's accuracy against η, and the book's results beside xentlab's.
"""

import matplotlib

# Matplotlib draws to files only, so its backend is chosen here, once, before any of the
# modules below imports pyplot (importing any of them imports this package first).
matplotlib.use("Agg")

from .labels import (  # noqa: E402
    LABELS,
    NO_CJK_FONT,
    FigureLanguage,
    Words,
    figure_language,
    figure_words,
)
from .network import (  # noqa: E402
    SaturationCurves,
    compare_figure,
    history_figure,
    mini_batch_axis,
    saturation_monitor_figure,
)
from .neuron import (  # noqa: E402
    marked_start_label,
    neuron_figure,
    saturation_figure,
    slowdown_figure,
    trajectory_figure,
)
from .save import (  # noqa: E402
    DRAWN_BY,
    FIGURE_FORMATS,
    MAGIC,
    check_figure_target,
    drawn_by_xentlab,
    figure_format,
    png_bytes,
    save,
)
from .style import (  # noqa: E402
    COST_COLOURS,
    COST_STYLES,
    NEVER_COLOUR,
    PALETTE,
    SATURATION_COLOURMAP,
    SWEEP_MARKERS,
    cost_colour,
    cost_style,
    saturation_colours,
)
from .sweep import book_figure, sweep_figure  # noqa: E402

__all__ = [
    "COST_COLOURS",
    "COST_STYLES",
    "cost_colour",
    "cost_style",
    "DRAWN_BY",
    "FigureLanguage",
    "LABELS",
    "NO_CJK_FONT",
    "Words",
    "figure_language",
    "figure_words",
    "FIGURE_FORMATS",
    "MAGIC",
    "NEVER_COLOUR",
    "PALETTE",
    "SATURATION_COLOURMAP",
    "SWEEP_MARKERS",
    "SaturationCurves",
    "book_figure",
    "check_figure_target",
    "compare_figure",
    "drawn_by_xentlab",
    "figure_format",
    "history_figure",
    "marked_start_label",
    "mini_batch_axis",
    "neuron_figure",
    "png_bytes",
    "saturation_colours",
    "saturation_figure",
    "saturation_monitor_figure",
    "save",
    "slowdown_figure",
    "sweep_figure",
    "trajectory_figure",
]
