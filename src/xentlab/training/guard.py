"""The divergence guard: stop at the first mini-batch whose weights overflow or cost explodes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from ..data import TrainingData
from ..errors import XentlabError
from ..kernel import Kernel, Member, Step
from ..model import Network
from .state import TrainState


class TrainingDiverged(XentlabError):
    """Training diverged (see DivergenceGuard); the network is left as it was before the first
    bad mini-batch."""

    def __init__(self, epoch: int, batch: int | None, eta: float, what: str) -> None:
        where = f"epoch {epoch}" + (f", mini-batch {batch}" if batch is not None else "")
        super().__init__(
            f"training diverged at {where}: {what} with eta = {eta:g}; "
            f"try a smaller eta (say {eta / 10:g})"
        )
        self.epoch, self.batch, self.eta = epoch, batch, eta


class DivergenceGuard:
    """Decides whether training has diverged, cheaply enough to ask after every chunk.

    Diverged means: a weight or bias is NaN or infinite, or the cost on a fixed sample of the
    first 100 training examples is non-finite or has risen above 10 × its value at the start
    of the run (+ 1, so a near-zero start is not a hair trigger). Sigmoid outputs and δ are
    bounded, so an absurd η (1e6, say) rarely overflows; it throws the cost up by orders of
    magnitude instead, which the second test catches.
    """

    SAMPLE = 100
    FACTOR = 10.0

    def __init__(self, state: TrainState, training: TrainingData) -> None:
        # The sample's products are small: with several BLAS threads each check would wait
        # for a thread to be scheduled (milliseconds on a busy machine, after every chunk).
        self._blas = ThreadpoolController()
        net = state.network
        sample = training.head(self.SAMPLE)
        self.X = sample.X
        self.Y = sample.targets(net.sizes[-1], np.dtype(np.float64))
        if state.reference_cost is None:
            state.reference_cost = self.cost(net)
        self.limit = self.FACTOR * state.reference_cost + 1.0

    def cost(self, net: Network) -> float:
        with (
            self._blas.limit(limits=1, user_api="blas"),
            np.errstate(over="ignore", invalid="ignore"),  # a non-finite cost is the answer
        ):
            return net.cost.value(net.output_z(self.X).astype(np.float64), self.Y)

    def problem(self, net: Network) -> str | None:
        """What went wrong with ``net``, or None if it is fine."""
        finite = all(np.isfinite(a).all() for a in net.weights + net.biases)
        if not finite:
            return "the weights became NaN or infinite"
        cost = self.cost(net)
        if not cost <= self.limit:  # also true for NaN
            start = (self.limit - 1.0) / self.FACTOR
            return (
                f"the cost on {len(self.X)} training examples rose from {start:.4g} to {cost:.4g}"
            )
        return None


def run_checked(
    kernel: Kernel,
    states: Sequence[TrainState],
    guards: Sequence[DivergenceGuard],
    X: NDArray[np.floating],
    Y: NDArray[np.floating],
    stop: int,
    n: int,
) -> list[TrainingDiverged | None]:
    """Apply mini-batches batch..stop − 1 of the shared order to each network of the group
    ``states`` (all at the same batch of the same order, trained by ``kernel``, built for
    them); returns, per network, None, or how it diverged: stopped at the first bad batch with
    the weights that batch started from (replayed alone, which gives the same bits as in the
    group). The others go on."""
    first, order = states[0].batch, states[0].order
    before = [state.network.copy() for state in states]
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is judged by the guard
        members = [_member(state.network, state, n) for state in states]
        kernel.run_group(members, X, Y, first, stop, order)
    outcomes: list[TrainingDiverged | None] = []
    for index, (state, guard) in enumerate(zip(states, guards, strict=True)):
        if guard.problem(state.network) is None:
            state.batch = stop
            outcomes.append(None)
            continue
        state.network.weights, state.network.biases = before[index].weights, before[index].biases
        outcomes.append(_replay(kernel.subgroup([index]), state, guard, X, Y, stop, n))
    return outcomes


def _member(net: Network, state: TrainState, n: int) -> Member:
    """``net`` as the kernel trains it, with the step of ``state``."""
    cfg = state.config
    step = Step(state.eta, cfg.lmbda, n, cfg.regularization == "l1")
    return Member(net.weights, net.biases, step)


def _replay(
    kernel: Kernel,
    state: TrainState,
    guard: DivergenceGuard,
    X: NDArray[np.floating],
    Y: NDArray[np.floating],
    stop: int,
    n: int,
) -> TrainingDiverged:
    """From the last good weights, one mini-batch at a time, to the bad one."""
    net = state.network
    for k in range(state.batch, stop):
        trial = net.copy()
        with np.errstate(over="ignore", invalid="ignore"):
            kernel.run_group([_member(trial, state, n)], X, Y, k, k + 1, state.order)
        problem = guard.problem(trial)
        if problem:
            state.batch = k
            return TrainingDiverged(state.epoch + 1, k + 1, state.eta, problem)
        net.weights, net.biases = trial.weights, trial.biases
    raise AssertionError("unreachable: the chunk diverged but no single batch did")
