"""xentlab train / evaluate / data fetch from the command line."""

from __future__ import annotations

import pytest
from idx_tools import write_mnist_dir

from xentlab.cli import main
from xentlab.formats import load_network


def test_train_digits_needs_no_data_and_saves(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("XENTLAB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    net, curves = tmp_path / "net.json", tmp_path / "curves.png"
    assert main(["train", "--epochs", "3", "--save", str(net), "--plot", str(curves)]) == 0
    out = capsys.readouterr().out
    assert out.count("epoch ") >= 3 and "test accuracy" in out and "network saved" in out
    assert curves.read_bytes()[:4] == b"\x89PNG"
    loaded, meta = load_network(net)
    assert loaded.sizes == (64, 30, 10)
    assert meta["dataset"] == "digits" and len(meta["history"]["records"]) == 3
    assert main(["evaluate", str(net)]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "confusion matrix" in out
    accuracy = float(out.split("accuracy ")[1].split("%")[0]) / 100
    assert accuracy == pytest.approx(meta["test_accuracy"], abs=1e-4)


def test_a_finished_run_given_to_resume_says_where_it_ended(tmp_path, capsys):
    ckpt = tmp_path / "run.ckpt"
    assert main(["train", "--epochs", "2", "--checkpoint", str(ckpt)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(ckpt)]) == 0
    out = capsys.readouterr().out
    assert "holds a finished run: nothing left to train" in out
    assert f"{ckpt}, finished after 2 epochs:" in out and f"resuming {ckpt}" not in out
    assert "done after 2 epochs" in out


def test_train_mnist_layout_from_a_directory(tmp_path, capsys):
    directory = write_mnist_dir(tmp_path / "data")
    args = ["train", "--dataset", "mnist", "--data-dir", str(directory), "--epochs", "1"]
    assert main([*args, "--sizes", "784,5,10", "--batch-size", "4"]) == 0
    assert "12 training, 10000 validation" in capsys.readouterr().out


def test_early_stop_and_schedule_flags(tmp_path, capsys):
    assert main(["train", "--epochs", "60", "--early-stop", "2", "--eta", "0.05"]) == 0
    assert "early stop" in capsys.readouterr().out
    assert main(["train", "--epochs", "200", "--schedule", "1", "--eta", "3"]) == 0
    assert "eta fell to eta0/128" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["train", "--sizes", "60,30,10"], "--sizes must start with 64: digits has 64 inputs"),
        (["train", "--sizes", "64,x,10"], "comma-separated integers"),
        (["train", "--batch-size", "0"], "--batch-size must be an integer >= 1"),
        (["train", "--batch-size", "100000"], "--batch-size must be at most"),
        (["train", "--eta", "0"], "eta must be a finite number > 0"),
        (["train", "--lmbda", "-1"], "lmbda must be a finite number >= 0"),
        (["train", "--epochs", "0"], "epochs must be an integer >= 1"),
        (
            ["train", "--dataset", "mnist", "--data-dir", "/no/such/dir"],
            "/no/such/dir does not exist",
        ),
        (["train", "--checkpoint-every", "5"], "--checkpoint-every needs a checkpoint path"),
        (["train", "--save", "/no/such/dir/net.json"], "cannot write"),
        (["evaluate", "missing.json"], "network file not found"),
        (["train", "--resume", "missing.ckpt"], "checkpoint file not found"),
        (["train", "--eta", "1e6", "--epochs", "2"], "training diverged at epoch 1, mini-batch 1"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, monkeypatch, capsys, args, needle):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err
    assert list(tmp_path.iterdir()) == []
