"""xentlab's costs, gradients and SGD agree with PyTorch's to a relative error below 1e-10
(float64), on random networks of several depths and random data. Skipped without torch
(``pip install torch==2.13.0``).

The correspondences checked (n examples, z the output layer's weighted input):
    quadratic       C = mse_loss(σ(z), y, reduction="sum") / (2n)
    cross-entropy   C = binary_cross_entropy_with_logits(z, y, reduction="sum") / n
    log-likelihood  C = cross_entropy(z, labels)  (the mean over rows of −ln softmax(z)_label)
    quadratic/linear  C = mse_loss(z, y, reduction="sum") / (2n)  (a linear output, a = z)
    L2              + λ/(2n) Σ w²  (weights only),    in SGD: weight_decay = λ/n on the weights
    L1              + λ/n Σ |w|    (weights only)

A relative error here is max |ours − theirs| / max |theirs| over one array: the error measured
against the array's scale, so that an entry near 0 does not blow it up.
"""

from __future__ import annotations

import numpy as np
import pytest
from optional import REASONS

from xentlab.functions import labelled_cost
from xentlab.kernel import EpochKernel
from xentlab.model import Network, one_hot
from xentlab.training import TrainConfig, TrainState, check_labelled, fit

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason=REASONS["torch"])
F = torch.nn.functional

COSTS = ["quadratic", "cross-entropy", "log-likelihood", "quadratic/linear"]
SHAPES = [(4, 3), (5, 4, 3), (6, 5, 4, 3), (7, 3, 6, 4, 2)]
REGULARIZATIONS = [(0.0, "l2"), (2.5, "l2"), (1.5, "l1")]
TOLERANCE = 1e-10


def relative_error(ours, theirs) -> float:
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    return float(np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)))


def random_problem(sizes, cost, seed, n=11):
    """A float64 network with random weights (hidden layers N(0, 1), so that some neurons
    saturate), inputs X ~ N(0, 1), and targets: one-hot for log-likelihood, uniform in [0, 1]
    (soft targets, which both libraries accept) for the sigmoid costs."""
    rng = np.random.default_rng(seed)
    net = Network.create(sizes, labelled_cost(cost), init="large", seed=seed, dtype="float64")
    X = rng.standard_normal((n, sizes[0]))
    if cost == "log-likelihood":
        Y = one_hot(rng.integers(0, sizes[-1], n), sizes[-1], np.dtype(np.float64))
    else:
        Y = rng.random((n, sizes[-1]))
    return net, X, Y


def torch_data_cost(cost: str, z, y):
    """C = 1/n Σ_x C_x from the output z, as PyTorch's losses write it."""
    n = z.shape[0]
    if cost == "quadratic":
        return F.mse_loss(torch.sigmoid(z), y, reduction="sum") / (2 * n)
    if cost == "quadratic/linear":
        return F.mse_loss(z, y, reduction="sum") / (2 * n)
    if cost == "cross-entropy":
        return F.binary_cross_entropy_with_logits(z, y, reduction="sum") / n
    return F.cross_entropy(z, y.argmax(dim=1))


def torch_regularization(weights, lmbda: float, n: int, regularization: str):
    if regularization == "l2":
        return lmbda / (2 * n) * sum((W**2).sum() for W in weights)
    return lmbda / n * sum(W.abs().sum() for W in weights)


def torch_cost(net: Network, X, Y, lmbda=0.0, regularization="l2"):
    """The cost built from torch operations on tensors that track gradients (weights in
    xentlab's layout, so that their gradients compare directly)."""
    weights = [torch.tensor(W, requires_grad=True) for W in net.weights]
    biases = [torch.tensor(b, requires_grad=True) for b in net.biases]
    a = torch.tensor(X)
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        z = a @ W + b
        a = torch.sigmoid(z) if layer < len(weights) - 1 else z
    value = torch_data_cost(net.cost.label, a, torch.tensor(Y))
    if lmbda:
        value = value + torch_regularization(weights, lmbda, len(X), regularization)
    return value, weights, biases


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("sizes", SHAPES, ids=str)
@pytest.mark.parametrize(("lmbda", "regularization"), REGULARIZATIONS)
@pytest.mark.parametrize("cost", COSTS)
def test_cost_and_gradients_match_autograd(cost, lmbda, regularization, sizes, seed):
    net, X, Y = random_problem(sizes, cost, seed)
    n = len(X)
    value, weights, biases = torch_cost(net, X, Y, lmbda, regularization)
    value.backward()
    ours = net.total_cost(X, Y, lmbda, n, regularization)
    assert relative_error(ours, value.item()) < TOLERANCE
    grads_w, grads_b = net.backprop(X, Y)
    grads_w = [
        g + r
        for g, r in zip(grads_w, net.regularization_gradient(lmbda, n, regularization), strict=True)
    ]
    for layer in range(len(weights)):
        assert relative_error(grads_w[layer], weights[layer].grad) < TOLERANCE, layer
        assert relative_error(grads_b[layer], biases[layer].grad) < TOLERANCE, layer


def test_l1_problems_stay_away_from_w_0():
    """|w| has no derivative at 0: the L1 cases above never have a weight there."""
    for sizes in SHAPES:
        for seed in (0, 1):
            net, _, _ = random_problem(sizes, "quadratic", seed)
            assert min(float(np.abs(W).min()) for W in net.weights) > 1e-6


@pytest.mark.parametrize(("lmbda", "regularization"), REGULARIZATIONS)
@pytest.mark.parametrize("cost", COSTS)
def test_one_kernel_step_matches_torch_sgd(cost, lmbda, regularization):
    """One mini-batch of the kernel is one step of torch.optim.SGD on the regularised cost."""
    net, X, Y = random_problem((5, 4, 3), cost, seed=1, n=6)
    value, weights, biases = torch_cost(net, X, Y, lmbda, regularization)
    optimiser = torch.optim.SGD(weights + biases, lr=0.7)
    value.backward()
    optimiser.step()
    EpochKernel([(net.sizes, net.cost)], 6, np.dtype("float64")).run(
        net.weights, net.biases, X, Y, 0, 1, 0.7, lmbda, 6, regularization
    )
    for ours, theirs in zip(net.weights + net.biases, weights + biases, strict=True):
        assert relative_error(ours, theirs.detach()) < TOLERANCE


class OrderSeen:
    """An observer that keeps the order in which the epoch visits the training rows."""

    def __init__(self) -> None:
        self.orders: list[np.ndarray] = []

    def on_batches(self, state, done, total):
        if not self.orders or self.orders[-1] is not state.order:
            self.orders.append(state.order)

    def on_epoch(self, state, record):
        pass


def torch_epoch(net: Network, X, Y, order, batch_size, eta, lmbda, regularization):
    """One epoch of torch.optim.SGD on ``net.to_torch()``, mini-batches taken in ``order``:
    L2 as SGD's weight_decay = λ/n on the weights only (biases are not regularised), L1 as
    λ/n Σ |w| added to each mini-batch's cost."""
    module = net.to_torch()
    # without the output activation, which each loss applies: z (a linear output has none)
    body = module if isinstance(module[-1], torch.nn.Linear) else module[:-1]
    linears = [layer for layer in module if isinstance(layer, torch.nn.Linear)]
    n = len(X)
    decay = lmbda / n if regularization == "l2" else 0.0
    optimiser = torch.optim.SGD(
        [
            {"params": [layer.weight for layer in linears], "weight_decay": decay},
            {"params": [layer.bias for layer in linears], "weight_decay": 0.0},
        ],
        lr=eta,
    )
    X, Y = torch.tensor(X[order]), torch.tensor(Y[order])
    for lo in range(0, n, batch_size):
        z = body(X[lo : lo + batch_size])
        loss = torch_data_cost(net.cost.label, z, Y[lo : lo + batch_size])
        if regularization == "l1" and lmbda:
            loss = loss + torch_regularization([la.weight for la in linears], lmbda, n, "l1")
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return linears


@pytest.mark.parametrize("sizes", [(6, 3), (6, 5, 3), (6, 7, 4, 3)], ids=str)
@pytest.mark.parametrize(("lmbda", "regularization"), REGULARIZATIONS)
@pytest.mark.parametrize("cost", COSTS)
def test_one_epoch_of_training_matches_torch_sgd(cost, lmbda, regularization, sizes):
    """A whole epoch of xentlab.training (23 examples in mini-batches of 5: four full and a
    short last one of 3) gives the weights that torch.optim.SGD reaches from the same start
    over the same mini-batches."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((23, sizes[0]))
    labels = rng.integers(0, sizes[-1], 23)
    start = Network.create(sizes, labelled_cost(cost), init="large", seed=3, dtype="float64")
    net = start.copy()
    config = TrainConfig(
        epochs=1, batch_size=5, eta=0.8, lmbda=lmbda, regularization=regularization, seed=5
    )
    seen = OrderSeen()
    fit(TrainState.start(net, config), check_labelled(net, X, labels, "t"), observers=[seen])
    assert len(seen.orders) == 1
    Y = one_hot(labels, sizes[-1], np.dtype(np.float64))
    linears = torch_epoch(start, X, Y, seen.orders[0], 5, 0.8, lmbda, regularization)
    assert not np.allclose(net.weights[0], start.weights[0])  # the epoch did move the weights
    for layer, linear in enumerate(linears):
        assert relative_error(net.weights[layer], linear.weight.detach().T) < TOLERANCE
        assert relative_error(net.biases[layer], linear.bias.detach()) < TOLERANCE
