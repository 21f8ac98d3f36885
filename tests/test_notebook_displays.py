"""The results as a notebook shows them (xentlab.report.notebook): each one's table holds its key
numbers, escaped; its figures are PNG files; IPython, once taught, shows them so; and teaching
it imports neither Matplotlib nor the results' modules."""

from __future__ import annotations

import dataclasses
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from xentlab import neuron, runs
from xentlab.experiments import (
    OUTPUT_THRESHOLDS,
    CompareSpec,
    SlowdownRuns,
    compare,
    saturation_map,
    slowdown,
)
from xentlab.report import displays, notebook
from xentlab.sweeps.summary import SettingRow, SweepTable

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SRC = Path(__file__).resolve().parent.parent / "src"


def assert_pngs(obj, count=1):
    images = notebook.pngs(obj)
    assert len(images) == count
    assert all(image.startswith(PNG_SIGNATURE) for image in images)
    assert notebook.html(obj).count('" src="data:image/png;base64,iVBORw0KGgo') == count


def test_a_trajectory_shows_each_starts_output_and_cost():
    trajectory = neuron.train([0.6, 2.0], [0.9, 2.0], cost="quadratic", eta=0.15, epochs=30)
    shown = notebook.html(trajectory)
    assert "quadratic, η = 0.15, 30 epochs" in shown
    assert "<td>(2, 2)</td><td>0.982</td>" in shown  # a = σ(4) at the saturated start
    assert f"<td>{trajectory.cost[-1, 1]:.4g}</td>" in shown
    assert_pngs(trajectory, count=2)  # one figure a start


def test_every_figure_shown_says_in_words_what_it_draws():
    trajectory = neuron.train([0.6, 2.0], [0.9, 2.0], cost="quadratic", eta=0.15, epochs=30)
    shown = notebook.html(trajectory)
    alts = re.findall(r'<img alt="([^"]*)" src=', shown)
    assert len(alts) == shown.count("<img") == 2
    assert alts[1] == "quadratic, η = 0.15, start (w, b) = (2, 2)"  # each start's own title


def test_a_neuron_of_two_inputs_shows_both_weights_of_its_start():
    trajectory = neuron.train([[0.5, -1.0]], [2.0], [[1.0, 1.0]], [0.0], epochs=2)
    assert "<td>(0.5, -1, 2)</td>" in notebook.html(trajectory)


def test_a_table_escapes_what_it_shows():
    trajectory = neuron.train(2.0, 2.0, cost="quadratic", epochs=2)
    named = dataclasses.replace(trajectory, cost_name="<script>&")
    table = notebook.display_of(named).table(named)
    assert "&lt;script&gt;&amp;" in table and "<script>" not in table


def test_the_slowdown_shows_when_each_run_came_near_its_target():
    runs_ = slowdown(epochs=60)
    assert isinstance(runs_, SlowdownRuns) and isinstance(runs_, list)
    shown = notebook.html(runs_)
    for run in runs_:
        assert f"<td>{run.cost}</td><td>{run.eta:.4g}</td>" in shown
        cells = [displays.number(run.first_below[th]) for th in OUTPUT_THRESHOLDS]
        assert "</td><td>".join([f"({run.w0:g}, {run.b0:g})", *cells]) in shown
    assert_pngs(runs_)


def test_the_saturation_map_shows_each_costs_median_and_its_marked_starts():
    grid = saturation_map(points=5, epochs=60)
    shown = notebook.html(grid)
    for cost in ("quadratic", "cross-entropy"):
        median = html.escape(str(grid.median_epochs(cost)))  # "&gt; 60": never, for most
        assert f"<td>{cost}</td><td>{median}</td>" in shown
    assert "epochs from (2, 2)" in shown and "5 × 5 starts" in shown
    assert_pngs(grid)


def test_a_comparison_shows_each_contenders_accuracy_and_speed():
    spec = CompareSpec.of(init="saturated", epochs=1, fine_epochs=1, probes_per_epoch=4)
    result = compare(spec)
    shown = notebook.html(result)
    for cost in spec.costs:
        accuracy = np.mean([run.test_accuracy for run in result.of(cost)])
        assert f"<td>{cost}</td>" in shown and f"{100 * accuracy:.1f}%" in shown
        assert html.escape(str(result.batches_to_reach(cost, 0.5))) in shown
    assert "warning" not in shown  # every contender learnt
    assert_pngs(result)
    dead = dataclasses.replace(result.runs[0], warnings=("the network has stopped learning",))
    shown = notebook.html(dataclasses.replace(result, runs=(dead, *result.runs[1:])))
    assert "<p>warning: quadratic, seed 1: the network has stopped learning</p>" in shown


def test_a_run_shows_its_test_accuracy_and_history():
    spec = runs.RunSpec.of(dataset="digits", sizes=(64, 20, 10), epochs=2, eta=0.5, seed=2)
    result = runs.prepare(spec).train()
    shown = notebook.html(result)
    assert f"<td>test accuracy</td><td>{100 * result.test_accuracy:.1f}%</td>" in shown
    assert "<td>64 → 20 → 10</td>" in shown and "<td>epochs</td><td>2</td>" in shown
    assert (
        notebook.text(result)
        == "<RunResult: cross-entropy on digits, layers 64 → 20 → 10, 2 epochs>"
    )
    assert_pngs(result)


def test_a_derivation_shows_its_steps_in_mathml_without_a_figure():
    pytest.importorskip("sympy", reason="sympy is not installed (pip install '.[derive]')")
    from xentlab.experiments.derive import derive

    derivation = derive("cross-entropy", "neuron")[0]
    shown = notebook.html(derivation)
    assert "<math" in shown and "<ol>" in shown
    assert notebook.pngs(derivation) == []
    assert notebook.text(derivation) == f"<Derivation: {derivation.title_en}>"


def test_a_sweep_shows_each_settings_mean_and_the_best():
    def row(eta, accuracies, best=False):
        setting = {"cost": "cross-entropy", "eta": eta, "lmbda": 0.0}
        seeds = tuple(range(len(accuracies)))
        return SettingRow(setting, seeds, accuracies, (1.0,) * len(seeds), ("a", "b"), best)

    table = SweepTable((row(0.1, (0.9, 0.92)), row(3.0, (0.95, 0.97), True)), ("eta",), {})
    shown = notebook.html(table)
    assert "<td>3</td><td>96.0% ± 1.4%</td><td>2</td><td>0</td><td>★</td>" in shown
    assert "<td>0.1</td><td>91.0% ± 1.4%</td>" in shown
    assert_pngs(table)


def test_anything_else_is_refused_by_name():
    with pytest.raises(TypeError, match="got list"):
        notebook.html([1, 2])


def test_ipython_once_taught_shows_a_result_as_its_html():
    formatters = pytest.importorskip("IPython.core.formatters", reason="IPython is not installed")

    class Shell:
        display_formatter = formatters.DisplayFormatter()

    trajectory = neuron.train(2.0, 2.0, cost="cross-entropy", epochs=3)
    assert "text/html" not in Shell.display_formatter.format(trajectory)[0]
    notebook.load_ipython_extension(Shell)
    shown = Shell.display_formatter.format(trajectory)[0]
    assert shown["text/html"] == notebook.html(trajectory)
    assert shown["text/plain"] == "<Trajectory: cross-entropy, η = 0.15, 3 epochs from 1 start>"
    runs_ = slowdown(epochs=2)  # a list of its own class: shown as itself, not as a list
    assert Shell.display_formatter.format(runs_)[0]["text/plain"] == notebook.text(runs_)


def test_a_result_in_one_line_says_what_it_is_without_its_arrays():
    grid = saturation_map(points=3, epochs=5)
    assert notebook.text(grid) == (
        "<SaturationMap: epochs until |a − y| < 0.2 from 3 × 3 starts in [−6, 6]², η = 0.15, "
        "at most 5 epochs>"
    )
    assert notebook.text(slowdown(epochs=4)) == (
        "<SlowdownRuns: one neuron, x = 1, y = 0: 12 runs of 4 epochs>"
    )


def test_teaching_ipython_imports_nothing_it_shows():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, xentlab.report.notebook\n"
            "print(' '.join(m for m in sys.modules if m.startswith(("
            "'matplotlib', 'sympy', 'xentlab.experiments', 'xentlab.runs', 'xentlab.plots'))))",
        ],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.split() == []
