"""The command line of the seed's experiments: tables, figures, JSON, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from xentlab import neuron
from xentlab.cli import main
from xentlab.experiments import contenders
from xentlab.functions import labelled_cost
from xentlab.plots import neuron_figure


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xentlab", *args], capture_output=True, text=True, cwd=cwd
    )


def test_slowdown_writes_figure_and_table(tmp_path, capsys):
    out = tmp_path / "fig.png"
    assert main(["slowdown", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "not within 300" in text and "first a < 0.5" in text and "epoch 214" in text
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_slowdown_shows_the_linear_neuron_beside_the_sigmoid_ones(tmp_path, capsys):
    assert main(["slowdown", "--epochs", "30", "--out", str(tmp_path / "fig.png")]) == 0
    text = capsys.readouterr().out
    rows = [line for line in text.splitlines() if "quadratic/linear" in line]
    for start in ("(0.6, 0.9)", "(2, 2)"):  # each start, in both tables (each in parts)
        assert sum(start in row for row in rows) >= 2, text
    assert any("4.000" in row for row in rows)  # a(0) = z = 2 + 2 from the saturated start


def test_neuron_output_linear_trains_a_linear_neuron(tmp_path, capsys):
    """--output linear: a = z under the quadratic cost (the cost it implies), whose path is
    the library's; a figure with its a, which leaves [0, 1], drawn whole."""
    args = ["neuron", "--output", "linear", "--eta", "0.15", "--epochs", "20"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = neuron.train(2.0, 2.0, cost="quadratic", output="linear", eta=0.15, epochs=20)
    assert data["cost"] == "quadratic/linear"
    assert data["trajectory"]["C"] == expected.cost[:, 0].tolist()
    assert data["trajectory"]["a"][0] == 4.0 and data["trajectory"]["C"][0] == 8.0
    png = tmp_path / "linear.png"
    assert main([*args, "--plot", str(png)]) == 0
    assert "one neuron, quadratic/linear, η = 0.15" in capsys.readouterr().out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_neuron_table_plot_and_json(tmp_path, capsys):
    png = tmp_path / "n.png"
    args = ["neuron", "--cost", "cross-entropy", "--w", "2", "--b", "2", "--eta", "0.005"]
    assert main([*args, "--epochs", "300", "--plot", str(png)]) == 0
    text = capsys.readouterr().out
    assert "300" in text and "0.9820" in text and png.exists()
    assert main([*args, "--epochs", "20", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["trajectory"]["C"]) == 21 and data["cost"] == "cross-entropy"
    assert data["trajectory"]["C"][0] == pytest.approx(4.0181499279)


def test_neuron_both_trains_each_cost_from_the_same_start(tmp_path, capsys, monkeypatch):
    start = ["--w", "2", "--b", "2", "--eta", "0.15", "--epochs", "40"]
    expected = {
        cost: neuron.train(2.0, 2.0, 1.0, 0.0, cost=cost, eta=0.15, epochs=40)
        for cost in neuron.NEURON_COSTS
    }
    assert main(["neuron", "--cost", "both", *start, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["w"], data["b"], data["eta"], data["epochs"]) == (2.0, 2.0, 0.15, 40)
    assert [run["cost"] for run in data["runs"]] == list(neuron.NEURON_COSTS)
    for run in data["runs"]:
        assert run["trajectory"]["C"] == expected[run["cost"]].cost[:, 0].tolist()
    drawn = []
    monkeypatch.setattr(
        "xentlab.plots.neuron_figure",
        lambda trajectories, lang: drawn.append(trajectories) or neuron_figure(trajectories, lang),
    )
    png = tmp_path / "both.png"
    assert main(["neuron", "--cost", "both", *start, "--plot", str(png)]) == 0
    text = capsys.readouterr().out
    for cost, trajectory in expected.items():  # a table per cost, each ending at epoch 40
        assert f"one neuron, {cost}, η = 0.15" in text
        assert f"{trajectory.output[40, 0, 0]:.4f}" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ((quadratic, entropy),) = drawn  # one figure of both
    assert (quadratic.cost_name, entropy.cost_name) == tuple(neuron.NEURON_COSTS)


def test_neuron_all_trains_the_linear_neuron_beside_the_sigmoid_ones(capsys):
    """--cost all: each sigmoid cost and the linear neuron (a = z) from one start, the page's
    shape of JSON; --cost quadratic/linear alone is --output linear's neuron."""
    start = ["--w", "2", "--b", "2", "--eta", "0.15", "--epochs", "30"]
    assert main(["neuron", "--cost", "all", *start, "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [run["cost"] for run in runs] == list(contenders.CONTENDERS)
    linear = neuron.train(2.0, 2.0, cost=labelled_cost("quadratic/linear"), eta=0.15, epochs=30)
    assert runs[-1]["trajectory"]["C"] == linear.cost[:, 0].tolist()
    assert runs[-1]["trajectory"]["a"][0] == 4.0  # a = z = 2 + 2
    assert main(["neuron", "--cost", "quadratic/linear", *start, "--json"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert main(["neuron", "--output", "linear", *start, "--json"]) == 0
    assert alone == json.loads(capsys.readouterr().out) == runs[-1]


def test_the_neuron_figure_has_a_panel_per_cost():
    trajectories = [neuron.train(2.0, 2.0, cost=c, epochs=5) for c in neuron.NEURON_COSTS]
    figure = neuron_figure(trajectories)
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titles == list(neuron.NEURON_COSTS)
    assert "(w, b) = (2, 2)" in figure._suptitle.get_text()
    one = neuron_figure(trajectories[:1])
    assert [ax.get_title() for ax in one.axes][0].startswith("quadratic, η = 0.15")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["neuron", "--cost", "Both"],
            "--cost must be one of quadratic, cross-entropy, quadratic/linear, both, all",
        ),
        (["neuron", "--eta", "0"], "eta"),
        (["neuron", "--eta", "-1"], "eta"),
        (["neuron", "--eta", "abc"], "--eta"),
        (["neuron", "--epochs", "0"], "epochs"),
        (["neuron", "--epochs", "1.5"], "--epochs"),
        (["neuron", "--w", "nan"], "w must be finite"),
        (["neuron", "--b", "inf"], "b must be finite"),
        (["neuron", "--x", "nan"], "x must be finite"),
        (["neuron", "--y", "1.5"], "y must lie in [0, 1]"),
        (["neuron", "--cost", "hinge"], "cost must be one of"),
        (["neuron", "--output", "linear", "--cost", "cross-entropy"], "does not go with a linear"),
        (["neuron", "--output", "linear", "--cost", "both"], "does not go with a linear"),
        (["neuron", "--output", "linear", "--cost", "all"], "does not go with a linear"),
        (
            ["neuron", "--output", "sigmoid", "--cost", "quadratic/linear"],
            "cost 'quadratic/linear' is a neuron with a linear output; it does not go with "
            "output 'sigmoid'",
        ),
        (["neuron", "--output", "softmax"], "argument --output: invalid choice"),
        (["slowdown", "--common-eta", "-0.1"], "--common-eta"),
        (["slowdown", "--epochs", "0"], "epochs"),
        (["slowdown", "--out", "/nonexistent-dir/x.png"], "/nonexistent-dir"),
        (["nosuchcommand"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, needle, tmp_path):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_closed_pipe_is_not_an_error():
    process = subprocess.Popen(
        [sys.executable, "-m", "xentlab", "neuron", "--json", "--epochs", "200000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout.read(10) == b'{"cost": "'
    process.stdout.close()  # as `| head -c 10` does
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0 and b"Traceback" not in stderr, stderr
