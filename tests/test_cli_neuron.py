"""The command line of the seed's experiments: tables, figures, JSON, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from xentlab.cli import main


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


@pytest.mark.parametrize(
    ("args", "needle"),
    [
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
