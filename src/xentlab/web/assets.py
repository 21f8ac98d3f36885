"""The page's files (HTML, CSS, JavaScript, an icon), shipped inside the package.

They are read through ``importlib.resources``, so a plain ``pip install`` (not only an editable
one) carries them, and the page needs nothing from the network: no fonts, no charting library;
its charts are drawn on canvases by its own short scripts. Only the files listed by type are
served, by name, from memory: no path from a request ever reaches the file system.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

PACKAGE = "xentlab.web"
FOLDER = "static"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    content: bytes
    media_type: str


def load_assets() -> dict[str, Asset]:
    """Every file of the page, by name."""
    assets = {}
    for item in (resources.files(PACKAGE) / FOLDER).iterdir():
        suffix = "." + item.name.rsplit(".", 1)[-1] if "." in item.name else ""
        if item.is_file() and suffix in MEDIA_TYPES:
            assets[item.name] = Asset(item.read_bytes(), MEDIA_TYPES[suffix])
    return assets
