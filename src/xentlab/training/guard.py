"""The divergence guard: stop at the first mini-batch whose weights overflow or cost explodes."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from ..data import TrainingData
from ..errors import XentlabError
from ..kernel import Kernel
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
    state: TrainState,
    guard: DivergenceGuard,
    X: NDArray[np.floating],
    Y: NDArray[np.floating],
    stop: int,
    n: int,
) -> None:
    """Apply mini-batches state.batch..stop − 1 of the epoch's order (state.order) of X, Y; on
    divergence, stop at the first bad batch with the weights it started from."""
    net, cfg = state.network, state.config
    before = net.copy()
    args = (state.eta, cfg.lmbda, n, cfg.regularization, state.order)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is judged by the guard
        kernel.run(net.weights, net.biases, X, Y, state.batch, stop, *args)
    if guard.problem(net) is None:
        state.batch = stop
        return
    # Replay from the last good weights one mini-batch at a time, to stop at the bad one.
    net.weights, net.biases = before.weights, before.biases
    for k in range(state.batch, stop):
        trial = net.copy()
        with np.errstate(over="ignore", invalid="ignore"):
            kernel.run(trial.weights, trial.biases, X, Y, k, k + 1, *args)
        problem = guard.problem(trial)
        if problem:
            state.batch = k
            raise TrainingDiverged(state.epoch + 1, k + 1, state.eta, problem)
        net.weights, net.biases = trial.weights, trial.biases
    raise AssertionError("unreachable: the chunk diverged but no single batch did")
