"""The colours xentlab draws in, for its figures and its page alike: one colour per cost from a
palette people with any colour vision tell apart, a line style per cost for grey-scale printing,
and the saturation map's colour scale.

Plain data and no drawing library: the page hands these to the browser as CSS colours without
importing matplotlib, and ``plots.style`` hands the same values to matplotlib.
"""

from __future__ import annotations

import numpy as np

from . import checks

# Okabe and Ito's palette, told apart by people with any colour vision; lines also differ in
# style where they must survive grey-scale printing.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
# Keyed by a cost's label: its name, and its output after a slash where that is not the
# cost's own (functions.Cost.label).
COST_COLOURS = {
    "quadratic": "#D55E00",
    "cross-entropy": "#0072B2",
    "log-likelihood": "#009E73",
    "quadratic/linear": "#E69F00",
}
# Told apart by line style as well as colour (matplotlib's line style names).
COST_STYLES = {
    "quadratic": "-",
    "cross-entropy": "--",
    "log-likelihood": ":",
    "quadratic/linear": "-.",
}
# A cost without a colour or style of its own (a cost of the user's) still gets one.
OTHER_COST_COLOUR = "#CC79A7"
OTHER_COST_STYLE = "-."

# The saturation map: epochs on viridis (light is slow), starts that never arrive light grey.
SATURATION_COLOURMAP = "viridis"  # the name matplotlib knows it by, for the figures
NEVER_COLOUR = "#d3d3d3"  # matplotlib's "lightgrey"
# Viridis (van der Walt and Smith, released to the public domain) as matplotlib holds it: 256
# colours, each rrggbb, from 0 (dark) to 1 (light). tests/test_colours.py holds it equal to
# matplotlib's; the page gets its scale from here without importing matplotlib.
_VIRIDIS_HEX = (
    "44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164"
    "47136548146748166848176948186a481a6c481b6d481c6e481d6f481f70482071482173"
    "482374482475482576482677482878482979472a7a472c7a472d7b472e7c472f7d46307e"
    "46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85"
    "4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a"
    "3d4e8a3c4f8a3c508b3b518b3b528b3a538b3a548c39558c39568c38588c38598c375a8c"
    "375b8d365c8d365d8d355e8d355f8d34608d34618d33628d33638d32648e32658e31668e"
    "31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e"
    "2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e"
    "277e8e277f8e27808e26818e26828e26828e25838e25848e25858e24868e24878e23888e"
    "23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d21918c20928c20928c20938c"
    "1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88"
    "1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa83"
    "25ab8225ac8226ad8127ad8128ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b"
    "32b67a34b67935b77937b87838b9773aba763bbb753dbc743fbc7340bd7242be7144bf70"
    "46c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863"
    "5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d153"
    "7ad1517cd2507fd34e81d34d84d44b86d54989d5488bd6468ed64590d74393d74195d840"
    "98d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32addc30b0dd2fb2dd2db5de2b"
    "b8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a"
    "d8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61e"
    "f6e620f8e621fbe723fde725"
)
VIRIDIS = tuple("#" + _VIRIDIS_HEX[i : i + 6] for i in range(0, len(_VIRIDIS_HEX), 6))


def cost_colour(cost: str) -> str:
    """The colour of ``cost``'s lines: its own, or the one every other cost shares."""
    return COST_COLOURS.get(cost, OTHER_COST_COLOUR)


def cost_style(cost: str) -> str:
    """The line style of ``cost``: its own, or the one every other cost shares."""
    return COST_STYLES.get(cost, OTHER_COST_STYLE)


def saturation_colours(steps: int = 64) -> tuple[list[str], str]:
    """The saturation map's colour scale as CSS colours, ``steps`` of them from 0 epochs to
    the most, and the colour of the starts that never arrive: the page draws its maps in the
    figure's colours.

    Step i of n is the table's entry ⌊256 · i/(n − 1)⌋ (the last one for i = n − 1): the very
    colours of matplotlib's ``colormaps["viridis"].resampled(n)``."""
    steps = checks.int_at_least("steps", steps, 2)
    at = np.linspace(0.0, 1.0, steps) * len(VIRIDIS)  # as matplotlib computes it, to the bit
    rows = np.minimum(at.astype(int), len(VIRIDIS) - 1)
    return [VIRIDIS[row] for row in rows], NEVER_COLOUR
