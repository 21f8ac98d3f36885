"""A saved network in either format (JSON or safetensors) through the run layer and the command
line: train --save, evaluate, export both ways, data inspect, and train --start-from."""

from __future__ import annotations

import numpy as np
import pytest

from xentlab import runs
from xentlab.cli import main
from xentlab.errors import XentlabError
from xentlab.formats import load_network, load_safetensors, save_network, save_safetensors
from xentlab.model import Network


def same_weights(a: Network, b: Network) -> bool:
    pairs = zip(a.weights + a.biases, b.weights + b.biases, strict=True)
    return a.sizes == b.sizes and all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in pairs)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.fixture
def trained(tmp_path, capsys):
    """A digits network trained for 2 epochs with seed 3, saved as safetensors."""
    path = tmp_path / "net.safetensors"
    assert main(["train", "--epochs", "2", "--seed", "3", "--save", str(path)]) == 0
    capsys.readouterr()
    return path


def test_train_saves_safetensors_that_evaluate_reads_with_its_split(trained, capsys):
    network, meta = load_safetensors(trained)
    assert network.sizes == (64, 30, 10) and meta["dataset"] == "digits"
    assert meta["config"]["seed"] == 3 and len(meta["history"]["records"]) == 2
    assert main(["evaluate", str(trained)]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("accuracy ")[1].split("%")[0]) / 100
    assert accuracy == pytest.approx(meta["test_accuracy"], abs=1e-4)  # the seed-3 split


def test_export_both_ways_keeps_weights_and_meta(trained, tmp_path, capsys):
    as_json, back = tmp_path / "net.json", tmp_path / "back.safetensors"
    assert main(["export", str(trained), "--to", str(as_json)]) == 0
    assert f"written to {as_json}" in capsys.readouterr().out
    assert main(["export", str(as_json), "--to", str(back)]) == 0
    original, meta = load_safetensors(trained)
    from_json, json_meta = load_network(as_json)
    assert same_weights(from_json, original) and json_meta == meta
    assert back.read_bytes() == trained.read_bytes()


@pytest.mark.torch
def test_inspect_describes_a_safetensors_network(trained, tmp_path, capsys):
    assert main(["data", "inspect", str(trained)]) == 0
    out = capsys.readouterr().out
    assert "safetensors network [64, 30, 10], cross-entropy, float32, trained on digits" in out
    bare = tmp_path / "bare.safetensors"
    torch_file(bare, cost=None)
    assert main(["data", "inspect", str(bare)]) == 0
    out = capsys.readouterr().out
    assert "cross-entropy (not recorded: assumed), float64, trained on unknown data" in out


def torch_file(path, cost="log-likelihood", sizes=(64, 12, 10)):
    """A safetensors file written by the reference implementation from a torch module's
    state_dict, with the cost in its metadata (or no metadata)."""
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    nn = torch.nn
    module = nn.Sequential(
        nn.Linear(sizes[0], sizes[1]), nn.Sigmoid(), nn.Linear(sizes[1], sizes[2]), nn.Softmax(1)
    ).double()
    save_file(module.state_dict(), path, metadata={"cost": cost} if cost else None)
    return module


@pytest.mark.torch
def test_export_of_a_torch_file_takes_the_cost_given(tmp_path, capsys):
    source, target = tmp_path / "torch.safetensors", tmp_path / "net.json"
    torch_file(source, cost=None)
    assert main(["export", str(source), "--to", str(target), "--cost", "log-likelihood"]) == 0
    network, meta = load_network(target)
    assert network.cost.name == "log-likelihood" and meta == {}
    assert "(not recorded" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["{dir}/net.json", "--to", "{dir}/net.txt"], "--to must end in .json or .safetensors"),
        (["{dir}/net.json", "--to", "{dir}/x.safetensors", "--cost", "quadratic"], "records cost"),
        (["{dir}/missing.json", "--to", "{dir}/x.safetensors"], "network file not found"),
        (["{dir}/missing.json", "--to", "{dir}/no/x.safetensors"], "cannot write network file"),
        (["{dir}/net.json"], "the following arguments are required: --to"),
        (["{dir}/net.json", "--to", "{dir}/x.json", "--cost", "hinge"], "invalid choice"),
    ],
)
def test_export_refusals_are_one_line(tmp_path, capsys, args, needle):
    save_network(Network.create((64, 5, 10)), tmp_path / "net.json")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["export", *(a.replace("{dir}", str(tmp_path)) for a in args)]) == 2
    assert needle in one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("suffix", ["json", "safetensors"])
def test_a_run_starts_from_a_saved_network(tmp_path, suffix):
    start = Network.create((64, 7, 10), cost="quadratic", seed=4, dtype="float64")
    path = tmp_path / f"start.{suffix}"
    (save_network if suffix == "json" else save_safetensors)(start, path)
    run = runs.prepare(runs.RunSpec.of(start_from=path, **{"epochs": 1}))
    assert same_weights(run.state.network, start) and run.state.network.cost.name == "quadratic"
    assert run.state.network is not start
    saved = tmp_path / "out.safetensors"
    spec = runs.RunSpec.of(
        start_from=path, cost="cross-entropy", dtype="float32", save=saved, **{"epochs": 1}
    )
    run = runs.prepare(spec)
    network = run.state.network
    assert network.cost.name == "cross-entropy" and network.dtype == np.float32
    assert np.array_equal(network.weights[0], start.weights[0].astype(np.float32))
    result = run.train()
    _, meta = load_safetensors(saved)
    assert meta["started_from"] == str(path) and result.start is not None


@pytest.mark.torch
def test_a_run_starts_from_a_torch_module(tmp_path, capsys):
    path = tmp_path / "torch.safetensors"
    module = torch_file(path, cost="log-likelihood")
    assert main(["train", "--start-from", str(path), "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert f"training from {path}: [64, 12, 10] on digits" in out and "log-likelihood" in out
    run = runs.prepare(runs.RunSpec.of(start_from=path))
    assert same_weights(run.state.network, Network.from_torch(module))


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        (
            {"resume": "run.ckpt"},
            "start_from must not be combined with resume: resume continues the run",
        ),
        ({"init": "large"}, "init must not be given with start_from: the weights come from"),
        ({"sizes": (64, 8, 10)}, "sizes must be those of the network started from: {path} holds"),
        (
            {"dataset": "digits", "start": (784, 5, 10)},
            "{path} holds a network with sizes 784,5,10, whose 784 inputs do not fit digits "
            "(64 inputs); it fits mnist, fashion-mnist or mnist-pkl",
        ),
        ({"start": (64, 5, 3)}, "whose 3 outputs do not fit digits (10 classes); digits needs"),
        ({"cost": "hinge"}, "cost must be one of"),
        ({"dtype": "float16"}, "dtype must be one of float32, float64"),
    ],
)
def test_start_from_conflicts_are_named(tmp_path, monkeypatch, spec, needle):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "start.json"
    save_network(Network.create(spec.pop("start", (64, 5, 10))), path)
    with pytest.raises(XentlabError) as caught:
        runs.prepare(runs.RunSpec.of(start_from=path, **spec))
    assert needle.replace("{path}", str(path)) in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["start.json"]


def test_start_from_conflicts_on_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save_network(Network.create((64, 5, 10)), tmp_path / "start.json")
    assert main(["train", "--start-from", "start.json", "--init", "large"]) == 2
    assert one_line_error(capsys).startswith("xentlab: error: --init must not be given with")
    assert main(["train", "--start-from", "start.json", "--sizes", "64,6,10"]) == 2
    assert "--sizes must be those of the network started from" in one_line_error(capsys)
    assert main(["train", "--start-from", "missing.safetensors"]) == 2
    assert "network file not found: missing.safetensors" in one_line_error(capsys)
