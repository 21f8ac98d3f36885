"""Numbers that would go wrong are refused up front or named: absurd counts and sizes with the
memory they would need, a z beyond floating point, and a network that has stopped learning."""

from __future__ import annotations

import numpy as np
import pytest

from xentlab import neuron, runs
from xentlab.cli.main import main
from xentlab.errors import XentlabError
from xentlab.experiments import slowdown
from xentlab.model import MAX_NETWORK_BYTES, Network, training_bytes
from xentlab.training import MAX_EPOCHS, TrainConfig


def test_a_z_beyond_floating_point_is_refused_by_every_neuron_function():
    for call in (
        lambda: neuron.output(1e200, 0.0, 1e200),
        lambda: neuron.cost(1e200, 0.0, 1e200, 0.0, "quadratic"),
        lambda: neuron.gradient(1e200, 0.0, 1e200, 0.0, "cross-entropy"),
        lambda: neuron.train(1e200, 0.0, 1e200, 0.0, epochs=3),
    ):
        with pytest.raises(XentlabError, match=r"z = w·x \+ b overflows floating point"):
            call()
    # Large but finite z is fine: the costs are computed from z.
    assert np.isfinite(neuron.cost(1e150, 0.0, 1e150, 0.0, "cross-entropy"))


def test_a_trajectory_too_large_for_memory_is_refused_with_its_estimate():
    with pytest.raises(XentlabError, match=r"10000000000 epochs from 1 start would need about"):
        neuron.train(2.0, 2.0, epochs=10**10)
    with pytest.raises(XentlabError, match=r"from 2 starts would need about .* GiB"):
        slowdown(epochs=10**9)
    assert neuron.train(2.0, 2.0, epochs=1000).cost.shape == (1001, 1)


def test_epochs_and_network_sizes_have_limits_that_the_message_states():
    with pytest.raises(XentlabError, match=f"epochs must be at most {MAX_EPOCHS}"):
        TrainConfig(epochs=MAX_EPOCHS + 1)
    TrainConfig(epochs=MAX_EPOCHS)
    huge = [784, 50_000, 50_000, 10]
    assert training_bytes(huge, np.dtype("float32")) > MAX_NETWORK_BYTES
    with pytest.raises(XentlabError, match="sizes 784,50000,50000,10 in float32 would need"):
        Network.create(huge)
    # The estimate counts weights and biases four times (training's copies), in the dtype.
    assert training_bytes([3, 2], np.dtype("float64")) == 4 * (3 + 1) * 2 * 8


def test_a_dead_network_does_not_end_silently(tmp_path, capsys):
    dead = runs.RunSpec.of(cost="quadratic", **{"eta": 1e6, "epochs": 2})
    result = runs.prepare(dead).train()
    assert len(result.warnings) == 1
    assert "stopped learning" in result.warnings[0] and "try cross-entropy" in result.warnings[0]
    healthy = runs.prepare(runs.RunSpec.of(**{"epochs": 3})).train()
    assert healthy.warnings == ()
    assert main(["train", "--cost", "quadratic", "--eta", "1e6", "--epochs", "2"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("xentlab: warning: the network has stopped")


def test_a_linear_output_that_saturates_its_hidden_layer_is_named_dead():
    # A linear output never saturates, but its unbounded δ = z − y can drive the hidden layer
    # there at too large an η, and a hidden δ carries σ'(z) whatever the output.
    spec = {"cost": "quadratic", "output": "linear", "init": "saturated", "epochs": 3}
    dead = runs.prepare(runs.RunSpec.of(eta=0.5, **spec)).train()
    (warning,) = dead.warnings
    assert "stopped learning" in warning and "hidden layer's neurons are saturated" in warning
    assert "try a smaller eta" in warning and "cross-entropy" not in warning
    healthy = runs.prepare(runs.RunSpec.of(eta=0.1, **spec)).train()
    assert healthy.warnings == ()


def test_hidden_saturation_counts_each_hidden_layers_flat_neurons():
    rng = np.random.default_rng(0)
    net = Network.create([4, 3, 5, 2], seed=1)
    X = rng.normal(size=(23, 4))
    net.weights[0][:, 0] = 40.0  # the first hidden neuron saturates on most rows
    layers = net.weighted_inputs(X)
    expected = [np.mean(A * (1 - A) < 0.01) for A in layers[1:-1]]
    assert net.hidden_saturation(X) == pytest.approx(expected)
    assert net.hidden_saturation(X)[0] > 0
    assert Network.create([4, 2], seed=1).hidden_saturation(X) == ()


def test_a_run_stalled_in_saturation_is_named_once_while_it_trains(tmp_path, capsys):
    from xentlab.training import stall_warning

    stalled = runs.prepare(
        runs.RunSpec.of(cost="quadratic", init="saturated", **{"eta": 0.02, "epochs": 4})
    ).train()
    records = stalled.history.records
    assert all(r.saturated_wrong == pytest.approx(0.9) for r in records)
    assert all(r.output_saturation == 1.0 for r in records)
    warning = stall_warning(stalled.history, stalled.network)
    assert warning is not None and "stalled in saturation: 90%" in warning
    assert "try cross-entropy" in warning
    # The same start under cross-entropy escapes at once: no stall.
    escaped = runs.prepare(
        runs.RunSpec.of(cost="cross-entropy", init="saturated", **{"eta": 0.02, "epochs": 4})
    ).train()
    assert escaped.history.records[-1].saturated_wrong < 0.05
    assert stall_warning(escaped.history, escaped.network) is None
    # The command says it once, in one line, among the epoch lines.
    args = ["train", "--cost", "quadratic", "--init", "saturated", "--eta", "0.02"]
    assert main([*args, "--epochs", "6"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert sum("stalled in saturation" in line for line in err) == 1
