"""Linear output neurons, the article's third way out of the slowdown: a = z under the quadratic
cost, whose δ = a − y carries no σ'(z). The output is declared on its own (functions.Output),
each cost says which outputs it goes with (functions.PAIRS), and a pair that does not go
together is refused by name wherever it enters; the network's math, its files and its PyTorch
module carry the output."""

from __future__ import annotations

import json

import numpy as np
import pytest

from xentlab.errors import FormatError, XentlabError
from xentlab.formats import load_checkpoint, load_network, save_checkpoint, save_network
from xentlab.formats.safetensors_network import load_safetensors, save_safetensors
from xentlab.functions import (
    COSTS,
    LINEAR_QUADRATIC,
    PAIRED_COSTS,
    Output,
    OutputRule,
    get_cost,
    labelled_cost,
    pair_cost,
)
from xentlab.model import Network, one_hot
from xentlab.settings import NetworkSettings, TrainConfig
from xentlab.training import TrainState

REFUSED = [
    ("cross-entropy", "linear"),
    ("log-likelihood", "linear"),
    ("quadratic", "softmax"),
    ("cross-entropy", "softmax"),
    ("log-likelihood", "sigmoid"),
]


def linear_network(sizes=(6, 5, 3), seed=2, dtype="float64"):
    return Network.create(sizes, "quadratic", "default", seed, dtype, output="linear")


def test_each_cost_implies_the_output_it_always_had():
    implied = {"quadratic": "sigmoid", "cross-entropy": "sigmoid", "log-likelihood": "softmax"}
    for name, output in implied.items():
        assert get_cost(name) is COSTS[name] is pair_cost(name, None)
        assert get_cost(name).output is Output(output)
        assert get_cost(name, output=output) is COSTS[name]
        assert Network.create((3, 2), name).cost is COSTS[name]
    assert NetworkSettings().output is None


def test_the_quadratic_cost_goes_with_a_linear_output():
    cost = get_cost("quadratic", output="linear")
    assert cost is LINEAR_QUADRATIC is labelled_cost("quadratic/linear")
    assert cost.output is Output.LINEAR and cost.rule is OutputRule.CANCELS
    assert not cost.delta_has_sigma_prime and cost.label == "quadratic/linear"
    assert {c.label for c in PAIRED_COSTS} == {*COSTS, "quadratic/linear"}


@pytest.mark.parametrize(("cost", "output"), REFUSED)
def test_a_pair_that_does_not_go_together_is_refused_by_name(cost, output):
    for attempt in (
        lambda: get_cost(cost, output=output),
        lambda: Network.create((4, 3), cost, output=output),
        lambda: NetworkSettings(cost=cost, output=output),
        lambda: labelled_cost(f"{cost}/{output}"),
    ):
        with pytest.raises(XentlabError) as caught:
            attempt()
        message = str(caught.value)
        assert "\n" not in message
        assert f"cost {cost!r} does not go with a {output} output" in message
        assert "goes with" in message  # what the output is allowed with


def test_an_unknown_output_or_label_is_refused_by_name():
    with pytest.raises(XentlabError, match="output must be one of sigmoid, softmax, linear"):
        get_cost("quadratic", output="relu")
    with pytest.raises(XentlabError, match="an output must follow"):
        labelled_cost("quadratic/")
    with pytest.raises(XentlabError, match="cost must be one of"):
        labelled_cost("hinge/linear")


def test_the_linear_costs_value_and_delta_are_from_z():
    """C_x = ½ ‖z − y‖², and δ = z − y is its derivative (central differences)."""
    rng = np.random.default_rng(0)
    z, y = rng.normal(0, 5, (4, 3)), rng.random((4, 3))
    assert np.allclose(LINEAR_QUADRATIC.per_example(z, y), 0.5 * ((z - y) ** 2).sum(axis=1))
    h = 1e-6
    numeric = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (
            LINEAR_QUADRATIC.per_example(up, y) - LINEAR_QUADRATIC.per_example(down, y)
        )[index[0]] / (2 * h)
    assert np.allclose(LINEAR_QUADRATIC.delta(z, y), numeric, rtol=1e-7, atol=1e-8)
    assert np.array_equal(LINEAR_QUADRATIC.activation(z), z)


def test_a_linear_networks_gradient_is_the_derivative_of_its_cost():
    net = linear_network()
    rng = np.random.default_rng(1)
    X, Y = rng.random((7, 6)), rng.random((7, 3))
    grads_w, grads_b = net.backprop(X, Y)
    h = 1e-6
    for layer in range(len(net.weights)):
        for index in [(0, 0), (2, 1)]:
            W = net.weights[layer]
            saved = W[index]
            W[index] = saved + h
            up = net.total_cost(X, Y)
            W[index] = saved - h
            down = net.total_cost(X, Y)
            W[index] = saved
            assert grads_w[layer][index] == pytest.approx((up - down) / (2 * h), rel=1e-6)
        assert np.isfinite(grads_b[layer]).all()
    # the output layer's δ = a − y = z − y: no σ'(z), however large z
    net.biases[-1][:] = 40.0
    _, deltas = net.deltas(X, Y)
    assert np.allclose(deltas[-1], net.output_z(X) - Y)


def test_a_linear_output_predicts_z_and_never_saturates():
    net = linear_network()
    net.biases[-1][:] = 50.0  # a sigmoid output would be saturated here
    X = np.random.default_rng(2).random((5, 6))
    assert np.array_equal(net.predict_proba(X), net.output_z(X))
    Y = one_hot(np.array([0, 1, 2, 0, 1]), 3, np.dtype(np.float64))
    assert net.saturation(X, Y) == (0.0, 0.0)
    assert np.array_equal(net.predict(X), np.argmax(net.output_z(X), axis=1))


def test_network_files_carry_the_output(tmp_path):
    net = linear_network(dtype="float32")
    save_network(net, tmp_path / "linear.json")
    document = json.loads((tmp_path / "linear.json").read_text())
    assert document["version"] == 3 and document["output"] == "linear"
    loaded, _ = load_network(tmp_path / "linear.json")
    assert loaded.cost is LINEAR_QUADRATIC
    assert all(np.array_equal(a, b) for a, b in zip(loaded.weights, net.weights, strict=True))
    # a network whose output is its cost's own is written as before: version 2, no "output"
    save_network(Network.create((6, 3), "quadratic"), tmp_path / "sigmoid.json")
    document = json.loads((tmp_path / "sigmoid.json").read_text())
    assert document["version"] == 2 and "output" not in document
    assert load_network(tmp_path / "sigmoid.json")[0].cost is COSTS["quadratic"]


def test_an_output_in_a_version_2_network_file_is_refused(tmp_path):
    from xentlab.formats import seal, write_json

    document = json.loads(_saved(tmp_path, linear_network()).read_text())
    del document["sha256"]
    document["version"] = 2
    write_json(tmp_path / "edited.json", seal(document), "network", force=True)
    with pytest.raises(FormatError, match="names no output, yet this one has 'output'"):
        load_network(tmp_path / "edited.json")


def test_a_network_file_with_a_pair_that_does_not_go_together_is_refused(tmp_path):
    from xentlab.formats import seal, write_json

    document = json.loads(_saved(tmp_path, linear_network()).read_text())
    del document["sha256"]
    document["cost"] = "cross-entropy"
    write_json(tmp_path / "edited.json", seal(document), "network", force=True)
    with pytest.raises(FormatError, match="'cross-entropy' does not go with a linear output"):
        load_network(tmp_path / "edited.json")


def _saved(tmp_path, net):
    path = tmp_path / "saved.json"
    save_network(net, path)
    return path


def test_checkpoints_carry_the_output(tmp_path):
    state = TrainState.start(linear_network(), TrainConfig(epochs=2))
    save_checkpoint(state, tmp_path / "run.ckpt", {"dataset": "digits", "n": 10})
    loaded, data = load_checkpoint(tmp_path / "run.ckpt")
    assert loaded.network.cost is LINEAR_QUADRATIC and data == {"dataset": "digits", "n": 10}


def test_safetensors_files_carry_the_output(tmp_path):
    net = linear_network()
    save_safetensors(net, tmp_path / "linear.safetensors")
    loaded, _ = load_safetensors(tmp_path / "linear.safetensors")
    assert loaded.cost is LINEAR_QUADRATIC
    # a cost given by name stands for the cost recorded, on whatever output it has
    assert load_safetensors(tmp_path / "linear.safetensors", "quadratic")[0].cost is (
        LINEAR_QUADRATIC
    )
    with pytest.raises(XentlabError, match="records cost 'quadratic/linear', not 'quadratic'"):
        load_safetensors(tmp_path / "linear.safetensors", COSTS["quadratic"])
    save_safetensors(Network.create((6, 3), "quadratic"), tmp_path / "sigmoid.safetensors")
    assert load_safetensors(tmp_path / "sigmoid.safetensors")[0].cost is COSTS["quadratic"]


@pytest.mark.torch
def test_the_torch_module_of_a_linear_output_ends_in_its_last_linear():
    import torch

    net = linear_network()
    module = net.to_torch()
    assert [type(m).__name__ for m in module] == ["Linear", "Sigmoid", "Linear"]
    X = np.random.default_rng(3).standard_normal((9, 6))
    theirs = module(torch.tensor(X)).detach().numpy()
    ours = net.predict_proba(X)
    assert float(np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs))) < 1e-10
    back = Network.from_torch(module, cost="quadratic", output="linear")
    assert back.cost is LINEAR_QUADRATIC
    assert all(np.array_equal(a, b) for a, b in zip(back.weights, net.weights, strict=True))
    sigmoid_module = Network.create((6, 3), "quadratic", dtype="float64").to_torch()
    with pytest.raises(XentlabError, match="needs linear outputs, but module layer 1 is Sigmoid"):
        Network.from_torch(sigmoid_module, cost="quadratic", output="linear")
