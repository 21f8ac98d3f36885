"""xentlab's results shown in a notebook: each object a user gets back (one neuron's
``Trajectory``, the slowdown's runs, a ``SaturationMap``, a ``CompareResult``, a run's
``RunResult``, a ``Derivation``, a sweep's ``SweepTable``) as a small HTML table of its key
numbers, with its figure beneath where a figure is its natural view, drawn by ``xentlab.plots``;
and in one line of text where HTML is not shown (a terminal), not every array it holds.

The result classes live on floors below the figures (tests/test_layers.py reads every import,
those inside functions too), so they cannot draw themselves. IPython is taught to show them
instead, by their classes' names, so that nothing is imported until an object is shown::

    %load_ext xentlab.report.notebook

Matplotlib is imported when a figure is first drawn, SymPy when a derivation is shown.
What each class shows is ``report.displays``'s. ``html(obj)``, ``pngs(obj)`` and ``text(obj)``
give the same outside IPython. The figures are inside the HTML, not a PNG beside it: a notebook
shows one kind of each output (HTML first), so a separate PNG would be hidden, drawn and stored
twice.
"""

from __future__ import annotations

import base64
import html as markup
from typing import Any

from .displays import DISPLAYS, Display


def display_of(obj: Any) -> Display:
    """The display of ``obj``'s class (or of a class it derives from); a TypeError otherwise."""
    for cls in type(obj).__mro__:
        for display in DISPLAYS:
            if (cls.__module__, cls.__qualname__) == (display.module, display.name):
                return display
    known = ", ".join(d.name for d in DISPLAYS)
    raise TypeError(f"obj must be one of xentlab's results ({known}); got {type(obj).__name__}")


def pngs(obj: Any) -> list[bytes]:
    """``obj``'s figures as PNG files' bytes (none for an object shown as a table alone)."""
    return [png for png, _ in _drawn(obj)]


def _drawn(obj: Any) -> list[tuple[bytes, str]]:
    """Each of ``obj``'s figures as PNG bytes, with the words a reader who cannot see it gets
    instead: its title (else the caption of ``obj``'s table)."""
    display = display_of(obj)
    if display.figures is None:
        return []
    from ..plots import png_bytes

    drawn = []
    for fig in display.figures(obj):
        titles = [fig.get_suptitle(), *(axes.get_title() for axes in fig.axes)]
        words = next((t for t in titles if t), display.caption(obj))
        drawn.append((png_bytes(fig), words))
    return drawn


def html(obj: Any) -> str:
    """``obj`` as HTML: its table, then its figures as embedded PNG images."""
    display = display_of(obj)
    images = "".join(
        f'<img alt="{markup.escape(words)}" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" '
        'style="max-width: 100%">'
        for png, words in _drawn(obj)
    )
    return f"<div>{display.table(obj)}{images}</div>"


def text(obj: Any) -> str:
    """``obj`` in one line: its class and what its table's caption says (where a dataclass's
    own repr would print every array it holds)."""
    display = display_of(obj)
    return f"<{display.name}: {display.caption(obj)}>"


def _pretty(obj: Any, printer: Any, cycle: bool) -> None:
    printer.text(text(obj))


def register(ipython: Any) -> None:
    """Teach ``ipython`` (an InteractiveShell) to show each of xentlab's results as ``html``,
    and as ``text`` where HTML is not shown (a terminal)."""
    formatters = ipython.display_formatter.formatters
    for display in DISPLAYS:
        formatters["text/html"].for_type_by_name(display.module, display.name, html)
        formatters["text/plain"].for_type_by_name(display.module, display.name, _pretty)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext xentlab.report.notebook``."""
    register(ipython)
