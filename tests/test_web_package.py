"""The page ships inside the package and needs nothing from the network: its files are found
through importlib.resources, declared as package data (a plain ``pip install .`` carries them:
a wheel built from the project holds every one), and nothing in them points outside the server."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed (pip install starlette)")
pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install uvicorn)")

from xentlab.web.assets import FOLDER, MEDIA_TYPES, PACKAGE, load_assets  # noqa: E402

ROOT = Path(__file__).parent.parent
PAGE_FILES = {
    "index.html",
    "style.css",
    "icon.svg",
    "app.js",
    "common.js",
    "charts.js",
    "neuron.js",
    "map.js",
    "race.js",
    "derivation.js",
}
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # a name, never fetched


def static_files() -> list[str]:
    folder = resources.files(PACKAGE) / FOLDER
    return sorted(item.name for item in folder.iterdir() if item.is_file())


def test_the_page_s_files_are_found_through_importlib_resources():
    assets = load_assets()
    assert set(assets) == PAGE_FILES == set(static_files())
    assert assets["app.js"].media_type == MEDIA_TYPES[".js"]
    assert assets["index.html"].content.startswith(b"<!doctype html>")


def test_every_reference_is_served_and_none_leaves_the_server():
    assets = {name: asset.content.decode() for name, asset in load_assets().items()}
    page = assets["index.html"]
    referenced = set(re.findall(r'(?:src|href)="/static/([^"]+)"', page))
    for name, text in assets.items():
        if name.endswith(".js"):
            referenced |= set(re.findall(r'from "\./([^"]+)"', text))
        addresses = set(re.findall(r"https?://[^\s\"'`)]+", text)) - {SVG_NAMESPACE}
        assert addresses == set(), f"{name} points outside the server: {addresses}"
        assert "@import" not in text and "url(http" not in text, name
    assert referenced == PAGE_FILES - {"index.html"}


def test_pyproject_declares_the_page_s_files_as_package_data():
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["xentlab"]
    for name in static_files():
        assert any(fnmatch(f"web/static/{name}", pattern) for pattern in patterns), name
    extras = config["project"]["optional-dependencies"]
    assert {r.split(">")[0] for r in extras["web"]} == {"starlette", "uvicorn"}
    assert {"starlette", "uvicorn", "httpx", "playwright"} <= {
        re.split(r"[<>=;]", r)[0] for r in extras["test"]
    }


def test_a_wheel_built_from_the_project_carries_the_page(tmp_path):
    setuptools = pytest.importorskip("setuptools", reason="setuptools is not installed")
    if int(setuptools.__version__.split(".")[0]) < 68:
        pytest.skip(f"building needs setuptools >= 68 (pyproject.toml); {setuptools.__version__}")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    build = "from setuptools import build_meta; print(build_meta.build_wheel('dist'))"
    result = subprocess.run(
        [sys.executable, "-c", build], cwd=project, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    wheel = project / "dist" / result.stdout.strip().splitlines()[-1]
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {f"xentlab/web/static/{name}" for name in PAGE_FILES} <= names
    assert "xentlab/web/app.py" in names and "xentlab/py.typed" in names
