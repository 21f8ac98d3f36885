"""Writing a figure: its format from the file's extension (PNG, SVG or PDF), the target checked
before any work, the file written atomically; and how a figure xentlab drew is recognised, so
that it may be replaced without ``force``."""

from __future__ import annotations

import io
import os

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..checks import OneOf
from ..files import atomic_write, check_output_target, register_output_kind

FIGURE_FORMATS = OneOf(("png", "svg", "pdf"))  # a figure's extension names its format


# How a figure xentlab drew is recognised (files.register_output_kind): an image in one of the
# FIGURE_FORMATS that names Matplotlib, which drew it, where each format says who made it (a
# PNG's and an SVG's first bytes, a PDF's last).
MAGIC = {b"\x89PNG\r\n\x1a\n": "head", b"<?xml": "head", b"%PDF-": "tail"}
DRAWN_BY = b"Matplotlib"


def drawn_by_xentlab(head: bytes, tail: bytes) -> bool:
    """Whether a file is a figure in a format xentlab writes, drawn by Matplotlib."""
    for magic, where in MAGIC.items():
        if head.startswith(magic):
            return DRAWN_BY in (head if where == "head" else tail)
    return False


register_output_kind("figure", drawn_by_xentlab)


def figure_format(path: str | os.PathLike[str]) -> str:
    """The format of the figure file ``path``, from its extension (case ignored): one of
    FIGURE_FORMATS, or an XentlabError naming the file and the formats allowed."""
    extension = os.path.splitext(os.fspath(path))[1].lower().removeprefix(".")
    return FIGURE_FORMATS.check(f"figure file {os.fspath(path)}: the extension", extension)


def check_figure_target(path: str | os.PathLike[str], *, force: bool = False) -> str:
    """Fail before computing a figure that could not be written to ``path``: the target (see
    files.check_output_target; ``force`` replaces a file that is not a figure xentlab drew),
    then its extension. Returns the format."""
    check_output_target(path, "figure", force=force)
    return figure_format(path)


def save(fig: Figure, path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Write ``fig`` to ``path`` atomically, in the format its extension names, and release it.
    A file there must be a figure xentlab drew, unless ``force``."""
    try:
        fmt = figure_format(path)
        with atomic_write(path, "wb", kind="figure", force=force) as handle:
            fig.savefig(handle, format=fmt, dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)


def png_bytes(fig: Figure) -> bytes:
    """``fig`` as PNG bytes (to embed in a report), and released."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    finally:
        plt.close(fig)
    return buffer.getvalue()
