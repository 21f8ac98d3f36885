"""Commands that xentlab suggests work when copied: a run stopped by Ctrl-C names the command
that resumes it with every option it needs (the data folder first), quoted for the shell; and
the options a user gave, written back by hints.command_line, parse to the very same values."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from idx_tools import write_mnist_dir

from xentlab.cli.commands import build_parser
from xentlab.cli.text import given_arguments
from xentlab.formats import load_checkpoint
from xentlab.hints import argument_text, command_line


def xentlab(*args, env, cwd, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "xentlab", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


@pytest.fixture
def quiet_env(tmp_path):
    """No data found unless a command says where: no XENTLAB_DATA, an empty cache."""
    env = {k: v for k, v in os.environ.items() if k != "XENTLAB_DATA"}
    source = str(Path(__file__).parent.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    env["XDG_CACHE_HOME"] = str(tmp_path / "empty cache")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_the_hint_after_ctrl_c_resumes_the_run_when_copied(tmp_path, quiet_env):
    """Before, the hint was 'xentlab train --resume interrupted.ckpt': without --data-dir the
    copied command looked for MNIST in the cache and failed."""
    data = write_mnist_dir(tmp_path / "the user's data", n_train=10_030, n_test=20)
    work = tmp_path / "work"
    work.mkdir()
    train = ["train", "--dataset", "mnist", "--data-dir", str(data), "--sizes", "784,8,10"]
    train += ["--epochs", "100000", "--kernel", "numpy", "--save", "net work.json"]
    process = subprocess.Popen(
        [sys.executable, "-m", "xentlab", *train],
        cwd=work,
        env=quiet_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in process.stdout:  # the first epoch is done: the run is training
            if line.lstrip().startswith("epoch"):
                break
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    (message,) = stderr.strip().splitlines()
    hint = message.split("continue with: ", 1)[1]
    program, *args = shlex.split(hint)
    assert program == "xentlab"
    # saved beside the network the run was to write, named after it
    assert args[:3] == ["train", "--resume", "net work-interrupted.ckpt"]
    assert args[args.index("--data-dir") + 1] == str(data)  # quoted in the hint: it has a quote
    assert args[args.index("--save") + 1] == "net work.json"
    assert "--kernel" in args
    state, _ = load_checkpoint(work / "net work-interrupted.ckpt")
    assert 0 < state.epoch < 100_000
    # Without what the hint adds, the copied command would fail: the data is nowhere else.
    bare = xentlab("train", "--resume", "net work-interrupted.ckpt", env=quiet_env, cwd=work)
    assert bare.returncode == 2 and "no mnist data" in bare.stderr
    # The hint, copied, resumes the run (told to end sooner, so that the test is short).
    resumed = xentlab(*args, "--epochs", str(state.epoch + 2), env=quiet_env, cwd=work)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming net work-interrupted.ckpt at epoch {state.epoch + 1}" in resumed.stdout
    assert f"done after {state.epoch + 2} epochs" in resumed.stdout
    assert (work / "net work.json").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--data-dir", "my data", "--sizes", "784,30,10", "--eta", "0.1", "--force"],
        ["train", "--resume", "it's.ckpt", "--epochs", "40", "--kernel", "numpy"],
        ["train", "--lmbda", "1e-05", "--save", "$HOME/net.json", "--plot", "a;b.png"],
        ["compare", "--costs", "cross-entropy,quadratic", "--eta", "quadratic=3,cross-entropy=0.5"],
        ["compare", "--seeds", "1-3,7", "--out", "cmp dir/c.png", "--sizes", "64,20,10"],
        ["sweep", "my sweep.toml", "--hidden", "30,60:30", "--eta", "0.1,0.5", "--yes"],
        ["sweep", "--seeds", "1,2", "--lmbda", "0,5.0", "--connect-timeout", "2.5"],
        ["neuron", "--w", "-2.5", "--cost", "quadratic", "--json"],
        ["evaluate", "--dataset", "digits", "net (1).json", "--seed", "3"],
        ["data", "fetch", "mnist", "--dest", "/tmp/with space/mnist"],
    ],
)
def test_the_options_given_written_back_parse_to_the_same_values(argv):
    """One place writes every suggested command: what the user gave, written back, quoted and
    read by a shell, parses to the same arguments (and nothing the user did not give)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    given = given_arguments(args, args.command_parser)
    line = command_line(args.command_parser.prog.split(), given)
    words = shlex.split(line)
    assert words[0] == "xentlab"
    again = parser.parse_args(words[1:])
    assert vars(again) == vars(args)
    options = {word for word in words if word.startswith("--")}
    assert options == {word for word in argv if word.startswith("--")}


def test_values_are_written_as_the_options_read_them():
    assert argument_text((784, 30, 10)) == "784,30,10"
    assert argument_text(((30,), (60, 30))) == "30,60:30"
    assert (
        argument_text({"quadratic": 3.0, "cross-entropy": 0.5}) == "quadratic=3.0,cross-entropy=0.5"
    )
    assert argument_text(0.1) == "0.1" and argument_text(1e-5) == "1e-05"
    assert argument_text(Path("a b")) == "a b"
    assert command_line(["xentlab", "x"], [("--on", True), ("--off", False), ("--no", None)]) == (
        "xentlab x --on"
    )
    assert command_line(["xentlab", "x"], [("", "it's"), ("--p", "a b")]) == (
        "xentlab x 'it'\"'\"'s' --p 'a b'"
    )
