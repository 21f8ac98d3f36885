"""Several networks in one pass over the data: each trains to the same bits as alone.

A group shares the inputs and the order of mini-batches; each network keeps its own shape,
cost, η, λ and regularisation. The kernels' claim is exact equality (every weight gets the same
operations in the same order, whatever the networks beside it), so the tests compare bits.
"""

from __future__ import annotations

import numpy as np
import pytest

from xentlab.functions import COSTS
from xentlab.kernel import Member, Step, make_group_kernel
from xentlab.model import Network

pytest.importorskip("numba", reason="the compiled kernel needs numba")

# Widths and depths differ; 30 and 31 straddle the compiled kernel's padding of rows.
SHAPES = [(20, 30, 4), (20, 4), (20, 31, 9, 4), (20, 7, 4), (20, 64, 4)]
GROUP_COSTS = [
    ["quadratic", "cross-entropy", "quadratic", "cross-entropy", "quadratic"],
    ["log-likelihood", "quadratic", "cross-entropy", "log-likelihood", "cross-entropy"],
]
STEPS = [
    (0.5, 0.0, False),
    (3.0, 2.0, False),
    (0.1, 1.0, True),
    (1.5, 0.5, True),
    (0.7, 0.0, False),
]


def problem(dtype: np.dtype, n: int = 53) -> tuple[np.ndarray, np.ndarray]:
    """Inputs with many zeros (as images have), one-hot targets."""
    rng = np.random.default_rng(5)
    X = rng.random((n, 20)) * (rng.random((n, 20)) < 0.4)
    Y = np.eye(4)[rng.integers(0, 4, n)]
    return X.astype(dtype), Y.astype(dtype)


def networks(dtype: np.dtype, costs: list[str]) -> list[Network]:
    return [
        Network.create(sizes, cost, "default", seed, dtype.name)
        for seed, (sizes, cost) in enumerate(zip(SHAPES, costs, strict=True))
    ]


def member(net: Network, index: int, n: int) -> Member:
    """Network ``index`` of the group with its step."""
    eta, lmbda, l1 = STEPS[index]
    return Member(net.weights, net.biases, Step(eta, lmbda, n, l1))


def test_the_groups_cover_every_cost() -> None:
    assert {cost for costs in GROUP_COSTS for cost in costs} == set(COSTS)


def bits(net: Network) -> list[bytes]:
    return [a.tobytes() for a in net.weights + net.biases]


@pytest.mark.parametrize("kernel", ["numpy", "compiled"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("costs", GROUP_COSTS)
def test_a_group_trains_each_network_to_the_bits_it_gets_alone(
    kernel: str, dtype: type, costs: list[str]
) -> None:
    dt = np.dtype(dtype)
    X, Y = problem(dt)
    order = np.random.default_rng(1).permutation(len(X))
    start = networks(dt, costs)
    together = [net.copy() for net in start]
    group = make_group_kernel(kernel, [(n.sizes, n.cost) for n in together], 6, dt)
    assert group.name == kernel
    for first, stop in [(0, 3), (3, 9)]:  # two chunks of the epoch's 9 mini-batches
        group.run_group(
            [member(net, i, len(X)) for i, net in enumerate(together)], X, Y, first, stop, order
        )
    for index, net in enumerate(start):
        alone = net.copy()
        group.subgroup([index]).run_group([member(alone, index, len(X))], X, Y, 0, 9, order)
        assert bits(alone) == bits(together[index]), f"network {index} {alone.sizes}"
        assert bits(alone) != bits(net)  # it did train
