"""Several networks in one pass over the data: each trains to the same bits as alone.

A group shares the inputs and the order of mini-batches; each network keeps its own shape,
cost, η, λ and regularisation. The kernels' claim is exact equality (every weight gets the same
operations in the same order, whatever the networks beside it), so the tests compare bits.
"""

from __future__ import annotations

import numpy as np
import pytest

from xentlab.functions import PAIRED_COSTS
from xentlab.kernel import Member, Step, make_group_kernel
from xentlab.model import Network

pytest.importorskip("numba", reason="the compiled kernel needs numba")

# Widths and depths differ; 30 and 31 straddle the compiled kernel's padding of rows.
SHAPES = [(20, 30, 4), (20, 4), (20, 31, 9, 4), (20, 7, 4), (20, 64, 4)]
GROUP_COSTS = [
    ["quadratic", "cross-entropy", "quadratic", "cross-entropy", "quadratic"],
    ["log-likelihood", "quadratic", "cross-entropy", "log-likelihood", "cross-entropy"],
    # a linear output beside the others, on a network whose input layer is its output layer too
    ["cross-entropy", "quadratic/linear", "quadratic/linear", "quadratic", "log-likelihood"],
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
    """A network of each shape under each cost, written COST[/OUTPUT]."""
    return [
        Network.create(sizes, cost, "default", seed, dtype.name, output or None)
        for seed, (sizes, (cost, _, output)) in enumerate(
            zip(SHAPES, (c.partition("/") for c in costs), strict=True)
        )
    ]


def member(net: Network, index: int, n: int) -> Member:
    """Network ``index`` of the group with its step."""
    eta, lmbda, l1 = STEPS[index]
    return Member(net.weights, net.biases, Step(eta, lmbda, n, l1))


def test_the_groups_cover_every_cost_on_each_of_its_outputs() -> None:
    assert {cost for costs in GROUP_COSTS for cost in costs} == {c.label for c in PAIRED_COSTS}


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_size", [1, 6, 9, 63])
def test_the_input_layer_by_row_or_by_example_trains_to_the_same_bits(
    dtype: type, batch_size: int
) -> None:
    """The compiled kernel updates the shared input layer by row where its rows are long, by
    example where they are short: the same operations in the same order, so the same bits
    (a network alone and in a group may take different ways)."""
    from xentlab.kernel.compiled import CompiledEpochKernel

    dt = np.dtype(dtype)
    X, Y = problem(dt, n=150)
    order = np.random.default_rng(2).permutation(len(X))
    batches = -(-len(X) // batch_size)
    start = networks(dt, GROUP_COSTS[0])
    trained = {}
    for by_row in (True, False):
        nets = [net.copy() for net in start]
        shapes = [(n.sizes, n.cost) for n in nets]
        kernel = CompiledEpochKernel(shapes, batch_size, dt, update_by_row=by_row)
        assert kernel.update_by_row is by_row
        members = [member(net, i, len(X)) for i, net in enumerate(nets)]
        kernel.run_group(members, X, Y, 0, batches // 2, order)
        kernel.run_group(members, X, Y, batches // 2, batches, order)
        trained[by_row] = [bits(net) for net in nets]
    assert trained[True] == trained[False]
    assert all(after != bits(net) for after, net in zip(trained[True], start, strict=True))


def test_the_update_by_row_is_chosen_for_long_rows_and_small_batches() -> None:
    from xentlab.kernel.compiled import CompiledEpochKernel

    one = [((784, 30, 10), "cross-entropy")]
    f32 = np.dtype(np.float32)
    assert CompiledEpochKernel(one * 8, 10, f32).update_by_row
    assert not CompiledEpochKernel(one, 10, f32).update_by_row
    assert not CompiledEpochKernel(one * 8, 64, f32).update_by_row
    with pytest.raises(ValueError, match="update_by_row needs a batch size of at most 63; got 64"):
        CompiledEpochKernel(one, 64, f32, update_by_row=True)


def test_the_padding_of_every_layer_stays_zero() -> None:
    """σ runs over the padded width (σ(0) = ½ there): the padding of W and b stays zero only
    because each δ's padding is set to zero, under both regularisations."""
    from xentlab.kernel.compiled import CompiledEpochKernel
    from xentlab.kernel.compiled_layers import OUTPUTS, WIDTH

    dt = np.dtype(np.float32)
    X, Y = problem(dt)
    nets = networks(dt, GROUP_COSTS[1])
    kernel = CompiledEpochKernel([(n.sizes, n.cost) for n in nets], 6, dt)
    members = [member(net, i, len(X)) for i, net in enumerate(nets)]
    kernel.run_group(members, X, Y, 0, 9, np.random.default_rng(1).permutation(len(X)))
    for row in range(len(kernel.layout)):
        W, b = kernel._blocks(row)
        outputs = kernel.layout[row, OUTPUTS]
        assert not W[:, outputs:].any() and not b[outputs:].any(), f"layout row {row}"
    assert any(kernel.layout[:, WIDTH] > kernel.layout[:, OUTPUTS])  # there is padding
