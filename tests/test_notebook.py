"""docs/tour.ipynb, the notebook tour: stored without outputs, and run top to bottom in a real
python3 kernel (ipykernel, driven by nbclient) from a copy in a temporary folder, with no
XENTLAB_DATA, as on a fresh machine after ``pip install ".[test]"``. It needs nothing optional
beyond the test extra: its derivation cell needs SymPy (in the test extra), and its PyTorch cell
says in one line how to install PyTorch where it is missing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOUR = ROOT / "docs" / "tour.ipynb"
SRC = ROOT / "src"
CELL_SECONDS = 180  # a bound for a stuck kernel, far above what a cell takes

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (the test extra)")


def code_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_the_tour_is_stored_without_outputs():
    notebook = nbformat.read(TOUR, as_version=4)
    nbformat.validate(notebook)
    assert code_cells(notebook)
    for cell in code_cells(notebook):
        assert cell.outputs == [] and cell.execution_count is None, cell.source


def test_each_step_is_a_reader_note_then_one_code_cell():
    notebook = nbformat.read(TOUR, as_version=4)
    kinds = [cell.cell_type for cell in notebook.cells]
    # the title, the line that teaches IPython xentlab's displays, then the six steps
    assert kinds == ["markdown", "code"] + ["markdown", "code"] * 6
    headings = [cell.source.splitlines()[0] for cell in notebook.cells[2::2]]
    assert [heading.split(".")[0] for heading in headings] == [f"## {i}" for i in range(1, 7)]
    assert all("**Look for" in cell.source for cell in notebook.cells[2::2])


def kernel_environment(folder: Path) -> dict[str, str]:
    """This process's environment without XENTLAB_DATA; PYTHONPATH the package's source only
    if xentlab does not import without it (the tests may run against an installed xentlab)."""
    env = {k: v for k, v in os.environ.items() if k not in ("XENTLAB_DATA", "PYTHONPATH")}
    installed = subprocess.run(
        [sys.executable, "-c", "import xentlab"], cwd=folder, env=env, capture_output=True
    )
    if installed.returncode != 0:
        env["PYTHONPATH"] = str(SRC)
    return env


def this_interpreters_kernel(folder: Path) -> str:
    """A JUPYTER_PATH whose python3 kernel is ipykernel in this very interpreter (a python3
    kernel installed for the user would otherwise come first, in whatever Python it names)."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    return str(folder)


def test_the_tour_runs_top_to_bottom(tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (the test extra)")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed (the test extra)")
    monkeypatch.setenv("JUPYTER_PATH", this_interpreters_kernel(tmp_path / "jupyter"))
    copy = tmp_path / "tour.ipynb"
    shutil.copyfile(TOUR, copy)
    notebook = nbformat.read(copy, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=kernel_environment(tmp_path))  # a cell's error fails here, named

    cells = code_cells(notebook)
    html = ["".join(o.get("data", {}).get("text/html", "") for o in cell.outputs) for cell in cells]
    text = ["".join(o.get("text", "") for o in cell.outputs) for cell in cells]
    assert all(cell.execution_count is not None for cell in cells)
    errors = [o.text for cell in cells for o in cell.outputs if o.get("name") == "stderr"]
    assert errors == []  # no warning either
    neuron, derivation, saturation, digits, estimator, monitor = range(1, 7)
    assert html[neuron].count("<table") == 2 and "<td>(2, 2)</td><td>0.982</td>" in html[neuron]
    assert "data:image/png;base64" in html[neuron]
    plain = [o.data["text/plain"] for o in cells[neuron].outputs]
    assert plain[0] == "<Trajectory: quadratic, η = 0.15, 300 epochs from 2 starts>"
    assert "<math" in html[derivation]
    assert "epochs from (2, 2)" in html[saturation] and "41 × 41 starts" in html[saturation]
    assert "<td>quadratic</td>" in html[digits] and "<td>cross-entropy</td>" in html[digits]
    assert text[estimator].count("accuracy") == 4
    try:
        import torch  # noqa: F401
    except ImportError:
        assert text[monitor] == "The monitor needs PyTorch: pip install torch==2.13.0\n"
    else:
        assert "STALLED" in text[monitor]


def test_the_test_extra_brings_what_runs_the_tour():
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    def names(requirements):
        return {re.split(r"[<>=;\[ ]", r)[0] for r in requirements}

    project = config["project"]
    assert {"nbclient", "nbformat", "ipykernel"} <= names(project["optional-dependencies"]["test"])
    assert "sympy" in names(project["dependencies"])  # the tour's derivation
