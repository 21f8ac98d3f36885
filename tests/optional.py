"""The optional parts some tests need, one marker each.

A test that needs PyTorch, Debian's chromium, the real data sets or a CJK font says so with a
marker (``@pytest.mark.torch``, ``@pytest.mark.chromium``, ``@pytest.mark.data``,
``@pytest.mark.cjk``, or ``pytestmark`` for a whole module). The marker is the one declaration:
conftest skips the test, with the reason below, where the part is missing, and CI's second
stage selects the tests by it (``-m "torch or chromium or data or cjk"``) once the parts are
installed. A test that skips for a missing
part without its marker fails (conftest), so the second stage never leaves one out.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")

# What each part is, and how to turn on the tests that need it.
REASONS = {
    "torch": "PyTorch is not installed (pip install torch==2.13.0, the CPU build)",
    "chromium": "Debian's chromium is not at /usr/bin/chromium, or playwright is missing "
    "(apt-get install chromium; pip install playwright)",
    "data": "the real MNIST and Fashion-MNIST files are not found (export "
    "XENTLAB_DATA=/path/to/data, the folder holding mnist/ and fashion-mnist/; in this "
    "checkout's workspace: export XENTLAB_DATA=../shared/data)",
    "cjk": "no CJK font for Chinese figures (fc-list :lang=zh lists none; apt-get install "
    "fonts-noto-cjk)",
}


def _data_sets_found() -> bool:
    from xentlab.data import check_available
    from xentlab.errors import XentlabError

    try:
        for name in ("mnist", "fashion-mnist"):
            check_available(name)
    except XentlabError:
        return False
    return True


def _cjk_font_found() -> bool:
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


def missing(part: str) -> bool:
    """Whether the optional part is absent from this machine."""
    if part == "torch":
        return importlib.util.find_spec("torch") is None
    if part == "chromium":
        return not CHROMIUM.exists() or importlib.util.find_spec("playwright") is None
    if part == "data":
        return not _data_sets_found()
    if part == "cjk":
        return not _cjk_font_found()
    raise ValueError(f"unknown optional part {part!r}; known: {', '.join(REASONS)}")
