"""Gradients and one SGD step agree with PyTorch autograd to 1e-10 (float64). Skipped without
torch (``pip install torch==2.13.0``)."""

from __future__ import annotations

import numpy as np
import pytest

from xentlab.kernel import EpochKernel
from xentlab.model import Network, one_hot

torch = pytest.importorskip("torch")


def torch_cost(net: Network, X: np.ndarray, Y: np.ndarray):
    """The same cost built from torch operations, with parameters that track gradients."""
    params = [torch.tensor(p, requires_grad=True) for p in net.weights + net.biases]
    layers = len(net.weights)
    a = torch.tensor(X)
    for i in range(layers):
        z = a @ params[i] + params[layers + i]
        a = torch.sigmoid(z) if i < layers - 1 else z
    y = torch.tensor(Y)
    if net.cost.name == "quadratic":
        cost = 0.5 * ((torch.sigmoid(a) - y) ** 2).sum() / len(X)
    elif net.cost.name == "cross-entropy":
        cost = torch.nn.functional.binary_cross_entropy_with_logits(a, y, reduction="sum") / len(X)
    else:
        cost = torch.nn.functional.cross_entropy(a, y.argmax(dim=1))
    return cost, params


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "log-likelihood"])
def test_gradients_match_autograd(cost):
    rng = np.random.default_rng(0)
    X = rng.random((9, 5))
    Y = one_hot(rng.integers(0, 3, 9), 3, np.float64)
    net = Network.create([5, 4, 3], cost=cost, seed=0, dtype="float64")
    value, params = torch_cost(net, X, Y)
    value.backward()
    grads_w, grads_b = net.backprop(X, Y)
    for ours, theirs in zip(grads_w + grads_b, params, strict=True):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert net.total_cost(X, Y) == pytest.approx(value.item(), rel=1e-12)


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "log-likelihood"])
def test_one_kernel_step_matches_torch_sgd(cost):
    rng = np.random.default_rng(1)
    X = rng.random((6, 5))
    Y = one_hot(rng.integers(0, 3, 6), 3, np.float64)
    net = Network.create([5, 4, 3], cost=cost, seed=2, dtype="float64")
    value, params = torch_cost(net, X, Y)
    optimiser = torch.optim.SGD(params, lr=0.7)
    value.backward()
    optimiser.step()
    EpochKernel(net.sizes, 6, np.dtype("float64"), cost).run(
        net.weights, net.biases, X, Y, 0, 1, 0.7, 0.0, 6, "l2"
    )
    for ours, theirs in zip(net.weights + net.biases, params, strict=True):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-14)
