"""The colours figures and the page share come from one module that needs no drawing library;
its viridis table is matplotlib's, so that the page's maps are the figure's colours exactly."""

from __future__ import annotations

import matplotlib
import pytest
from matplotlib.colors import to_hex

from xentlab import colours
from xentlab.errors import XentlabError


def test_the_viridis_table_is_matplotlib_s():
    viridis = matplotlib.colormaps[colours.SATURATION_COLOURMAP]
    assert colours.VIRIDIS == tuple(to_hex(viridis(i)) for i in range(viridis.N))
    assert colours.NEVER_COLOUR == to_hex("lightgrey")


@pytest.mark.parametrize("steps", [2, 3, 5, 63, 64, 65, 100, 255, 256, 257, 1000])
def test_the_saturation_scale_is_matplotlib_s_resampled(steps):
    """What the figure module computed with matplotlib before, step for step."""
    resampled = matplotlib.colormaps[colours.SATURATION_COLOURMAP].resampled(steps)
    scale, never = colours.saturation_colours(steps)
    assert scale == [to_hex(resampled(i)) for i in range(steps)]
    assert never == to_hex("lightgrey")


def test_a_scale_needs_two_steps():
    with pytest.raises(XentlabError, match=r"^steps must be an integer >= 2; got 1$"):
        colours.saturation_colours(1)


def test_figures_and_the_page_read_the_same_declarations():
    from xentlab.plots import style

    assert style.COST_COLOURS is colours.COST_COLOURS
    assert style.cost_colour is colours.cost_colour
    assert style.saturation_colours is colours.saturation_colours
    assert colours.cost_colour("a cost of the user's") == colours.OTHER_COST_COLOUR
    assert colours.cost_style("cross-entropy") == "--"
