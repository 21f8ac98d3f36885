"""The README's numbers are what the code gives when run: each claim that is cheap to
reproduce is recomputed here and compared with the README's own text."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import xentlab
from xentlab.experiments import saturation_map
from xentlab.experiments import slowdown as slowdown_experiment

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def epoch_cell(epoch: int | None, epochs: int) -> str:
    return f"not within {epochs}" if epoch is None else str(epoch)


def slope_cell(slope: float) -> str:
    mantissa, exponent = f"{slope:.2e}".split("e")
    return f"{mantissa.replace('-', '−')}e{'−' if exponent[0] == '-' else ''}{exponent[1:]}"


def test_the_slowdown_table_is_what_xentlab_slowdown_computes():
    rows = [line for line in README.splitlines() if re.match(r"\| (article|common) \|", line)]
    assert len(rows) == 10, "the README's slowdown table has ten rows"
    runs = slowdown_experiment(epochs=300)
    computed = set()
    for run in runs:
        computed.add(
            (
                run.setting,
                run.cost,
                f"{run.eta:g}",
                f"({run.w0:g}, {run.b0:g})",
                epoch_cell(run.first_below[0.5], 300),
                epoch_cell(run.first_below[0.2], 300),
                slope_cell(run.initial_slope),
                f"epoch {run.steepest_epoch}",
            )
        )
    for row in rows:
        cells = tuple(cell.strip() for cell in row.strip("|").split("|"))
        assert cells in computed, f"README row not computed: {row}"


def test_the_saturation_map_shares_are_what_xentlab_saturation_computes():
    grid = saturation_map()
    match = re.search(
        r"Under the quadratic cost ([\d.]+)% of the grid needs more than 100 epochs and\s+"
        r"([\d.]+)% does not get there within 300",
        README,
    )
    assert match is not None
    assert f"{grid.slow_fraction('quadratic'):.1%}" == f"{match[1]}%"
    assert f"{np.mean(grid.epochs['quadratic'] < 0):.1%}" == f"{match[2]}%"
    assert "Under cross-entropy no start needs more than 100" in README
    assert grid.slow_fraction("cross-entropy") == 0


def python_block_with(text: str) -> str:
    """The README's Python block that holds ``text``."""
    start = README.index(text)
    return README[
        README.rindex("```python", 0, start) + len("```python") : README.index("```", start)
    ]


@pytest.mark.torch
def test_the_saturation_monitor_summary_is_the_examples_output(tmp_path):
    code = python_block_with("from xentlab.torch import SaturationMonitor")
    shown = README.index("The summary below is its output")
    block_start = README.index("```\n", shown) + len("```\n")
    block = README[block_start : README.index("```", block_start)]
    # run where the figure may be written, with this xentlab importable
    source = str(Path(xentlab.__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": source}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == block


def test_the_estimators_grid_searches_print_what_the_readme_shows():
    first = python_block_with("search = GridSearchCV(\n    pipeline,")
    second = python_block_with('c + "output": ["linear"]')
    shown = [line[2:] for line in (first + second).splitlines() if line.startswith("# {")]
    source = str(Path(xentlab.__file__).parent.parent)
    result = subprocess.run(
        [sys.executable, "-c", first + second],
        env={**os.environ, "PYTHONPATH": source},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    best, score = printed[0].rsplit(" ", 1)
    assert f"{best} {float(score):.3f}" == shown[0]  # the first search prints its score whole
    assert printed[1:] == shown[1:]


def test_the_readme_states_no_test_count():
    # Counts go stale with every test added; the README says how to run them, not how many.
    assert not re.search(r"\b[\d,]+ tests\b", README)


@pytest.mark.parametrize("command", ["train", "compare", "sweep"])
def test_every_init_is_explained_in_the_help(command, capsys):
    from xentlab.cli import main
    from xentlab.model import INIT_MEANINGS

    assert main([command, "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    for name, meaning in INIT_MEANINGS.items():
        assert f"{name}: {meaning}" in shown


def test_the_corpus_counts_are_the_corpus():
    # The README counts the bad-input cases by kind; each kind is one file of cases.
    match = re.search(
        r"(\d+) cases: (\d+) files of every kind, (\d+) dangerous to read .*?, (\d+) about "
        r"writing and integrity .*?, (\d+) arguments, (\d+) safetensors files .*?, (\d+) "
        r"documents .*?, (\d+) histories .*?, (\d+) sweeps",
        " ".join(README.split()),
    )
    assert match is not None
    cases = ROOT / "tests" / "corpus" / "cases"
    counted = [
        len(json.loads((cases / f"{kind}.json").read_text(encoding="utf-8")))
        for kind in (
            *("base", "reads", "writes", "args"),
            *("safetensors", "documents", "process", "sweeps"),
        )
    ]
    assert [int(n) for n in match.groups()] == [sum(counted), *counted]
    assert len(list(cases.glob("*.json"))) == len(counted)


def test_the_saturation_map_medians_and_marked_starts_are_what_it_computes():
    grid = saturation_map()
    flat = " ".join(README.split())  # the README's lines wrap anywhere
    match = re.search(
        r"The median start needs (\d+) epochs under the quadratic cost and (\d+) under "
        r"cross-entropy.*?would make the quadratic median (\d+),",
        flat,
    )
    assert match is not None
    medians = [grid.median_epochs(cost) for cost in ("quadratic", "cross-entropy")]
    assert not any(median.exceeds for median in medians)
    assert [int(n) for n in match.groups()[:2]] == [median.value for median in medians]
    arrived = grid.epochs["quadratic"][grid.epochs["quadratic"] >= 0]
    assert int(match[3]) == np.median(arrived)
    nearest = re.search(
        r"the grid point nearest \(2, 2\), \(([\d.]+), ([\d.]+)\), needs (\d+), while \(2, 2\) "
        r"itself does not arrive within (\d+)",
        flat,
    )
    assert nearest is not None
    column = int(np.argmin(np.abs(grid.w_values - 2)))
    row = int(np.argmin(np.abs(grid.b_values - 2)))
    w, b = f"{grid.w_values[column]:.2f}", f"{grid.b_values[row]:.2f}"
    assert (w, b) == (nearest[1], nearest[2])
    assert int(nearest[3]) == grid.epochs["quadratic"][row, column]
    marked = {(start.w, start.b): start for start in grid.marked}
    assert marked[(2.0, 2.0)].epochs["quadratic"] < 0 and int(nearest[4]) == grid.max_epochs
