"""The command in a real terminal's situations: signals, closed pipes, terminals without
Unicode, user text that looks like markup or holds a newline, and how options are typed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from xentlab.cli import main
from xentlab.formats import load_checkpoint

XENTLAB = [sys.executable, "-m", "xentlab"]
LONG_RUN = ["train", "--sizes", "64,40,10", "--epochs", "40", "--batch-size", "5", "--seed", "3"]


def run(*args, cwd, env=None, **kwargs):
    return subprocess.run(
        [*XENTLAB, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120, **kwargs
    )


def test_sigterm_stops_training_like_ctrl_c(tmp_path):
    process = subprocess.Popen(
        [*XENTLAB, *LONG_RUN, "--checkpoint", "run.ckpt"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "run.ckpt").exists():
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "xentlab train --resume run.ckpt" in stderr and "Traceback" not in stderr
    state, _ = load_checkpoint(tmp_path / "run.ckpt")
    assert 0 < state.epoch < 40
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt"]  # no stray temporary


def test_sigterm_outside_training_and_serving_still_ends_a_command_as_terminated(
    tmp_path, monkeypatch, capsys
):
    """Only a server takes SIGTERM as its normal stop; the saturation map is cut short."""

    def terminated_while_computing(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(60)  # never reached to the end: the handler raises at once

    monkeypatch.setattr("xentlab.experiments.saturation_map", terminated_while_computing)
    before = signal.getsignal(signal.SIGTERM)
    assert main(["saturation", "--out", str(tmp_path / "map.png")]) == 143
    assert capsys.readouterr().err == "xentlab: error: terminated\n"
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) == before  # given back as it was


@pytest.mark.parametrize(
    "command",
    [
        ["slowdown"],
        ["neuron"],
        ["neuron", "--json"],
        ["train", "--epochs", "3", "--save", "net.json"],
        ["data", "inspect", "net.json"],
        ["evaluate", "net.json"],
    ],
)
def test_a_closed_pipe_ends_quietly_and_the_work_is_done(tmp_path, command):
    if "net.json" in command and command[0] != "train":
        run("train", "--epochs", "1", "--save", "net.json", cwd=tmp_path)
    reader = subprocess.Popen(["head", "-c", "1"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    writer = subprocess.Popen(
        [*XENTLAB, *command], cwd=tmp_path, stdout=reader.stdin, stderr=subprocess.PIPE
    )
    reader.stdin.close()
    _, stderr = writer.communicate(timeout=120)
    reader.wait()
    assert writer.returncode == 0, stderr
    assert stderr == b""
    if command[0] == "train":  # the run went on to the end and saved, output or not
        assert (tmp_path / "net.json").exists()


def test_a_terminal_without_unicode_gets_ascii(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    neuron = run("neuron", "--epochs", "3", cwd=tmp_path, env=env)
    assert neuron.returncode == 0, neuron.stderr
    assert "eta = 0.005" in neuron.stdout
    train = run("train", "--epochs", "1", cwd=tmp_path, env=env)
    assert train.returncode == 0, train.stderr
    assert "eta = 0.5, lambda = 0" in train.stdout
    usage = run("train", "--help", cwd=tmp_path, env=env)
    assert usage.returncode == 0 and "eta0/128" in usage.stdout.replace("\n", " ")


def test_user_text_is_never_read_as_markup(tmp_path):
    (tmp_path / "d[").mkdir()
    result = run("train", "--epochs", "1", "--save", "d[/x].json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "network saved to d[/x].json" in result.stdout
    assert (tmp_path / "d[" / "x].json").exists()


def test_an_error_about_a_path_with_a_newline_is_one_line(tmp_path):
    result = run("train", "--save", "a\nb/x.json", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "a\\nb/x.json" in result.stderr
    result = run("evaluate", "no\nsuch.json", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["train", "--epoch", "3"], "xentlab train: error: unrecognized arguments: --epoch 3"),
        (["train", "--foo"], "(see xentlab train --help)"),
        (["data", "inspect", "x", "--bar"], "(see xentlab data inspect --help)"),
        (["train", "--sizes", ""], "argument --sizes: must be comma-separated integers"),
        (["train", "--save", ""], "argument --save: must not be empty"),
        (["train", "--checkpoint", " "], "argument --checkpoint: must not be empty"),
        (["slowdown", "--out", ""], "argument --out: must not be empty"),
        (["train", "--batch-size", "0"], "--batch-size must be an integer >= 1"),
        (["train", "--early-stop", "0"], "--early-stop must be an integer >= 1"),
    ],
)
def test_options_are_named_as_typed_and_never_abbreviated(tmp_path, args, needle):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and needle in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_help_shows_every_default(tmp_path):
    usage = run("train", "--help", cwd=tmp_path).stdout.replace("\n", " ")
    for default in ("default: 30", "default: 10,", "default: 0.5", "default: digits"):
        assert default in " ".join(usage.split()), default
    usage = " ".join(run("neuron", "--help", cwd=tmp_path).stdout.split())
    for default in ("(default: 2.0)", "(default: 0.005)", "(default: 300)"):
        assert default in usage, default
