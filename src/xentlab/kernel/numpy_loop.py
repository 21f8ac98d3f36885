"""The NumPy epoch kernel: the reference, and the fallback where numba is missing.

The loop itself, :func:`sgd_batches`, is a plain function over arrays and two small records (the
step's :class:`Step`, the buffers' :class:`Scratch`) that computes δ by the rule the cost
declares (no names compared), with a compiled twin in ``compiled_loop``. It computes what
``Network.backprop`` and the update rule compute (tested against them), with three savings:
buffers are allocated once per (shape, batch size, dtype); the rows of a chunk of mini-batches
are gathered in the epoch's order into one buffer, so each mini-batch is a contiguous slice;
and δ is scaled by η/m before back-propagation, so the gradients arrive already multiplied by
the learning rate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..functions import Cost, OutputRule, get_cost, sigmoid_inplace
from ..model import REGULARIZATIONS

Arr = NDArray[np.floating]


class NetworkShape(NamedTuple):
    """What a kernel is built for, per network: its layer sizes and its cost."""

    sizes: tuple[int, ...]
    cost: Cost


@dataclass(frozen=True)
class Step:
    """What one SGD step is given besides the data: η, λ, the training set's size n (the
    penalty is ηλ/n per step), and whether the penalty is L1 rather than L2."""

    eta: float
    lmbda: float
    n_train: int
    l1: bool


class Member(NamedTuple):
    """One network of a group, as a kernel trains it: its arrays (changed in place) and its
    step."""

    weights: list[Arr]
    biases: list[Arr]
    step: Step


def shapes_of(
    shapes: Sequence[tuple[Sequence[int], str | Cost]],
) -> tuple[NetworkShape, ...]:
    """``shapes`` as NetworkShapes (sizes a tuple, the cost looked up), checked to share their
    input width and their outputs: the networks of a group train on the same data."""
    found = tuple(NetworkShape(tuple(sizes), get_cost(cost)) for sizes, cost in shapes)
    if not found:
        raise ValueError("a group of networks needs at least one")
    ends = {(shape.sizes[0], shape.sizes[-1]) for shape in found}
    if len(ends) != 1:
        raise ValueError(f"the networks of a group must share inputs and outputs; got {ends}")
    return found


def one_member(
    weights: list[Arr],
    biases: list[Arr],
    eta: float,
    lmbda: float,
    n_train: int,
    regularization: str,
) -> list[Member]:
    """One network's arrays and step, as a group of one."""
    l1 = REGULARIZATIONS.check("regularization", regularization) == "l1"
    return [Member(weights, biases, Step(eta, lmbda, n_train, l1))]


class EpochKernel:
    """Preallocated buffers for a group of networks (their shapes and costs; see
    :class:`NetworkShape`), one mini-batch size and dtype. Each network trains as it would
    alone; the group shares the gathering of each chunk's rows."""

    name = "numpy"
    blas_threads: int | None = (
        None  # the matrix products are NumPy's: as many threads as BLAS likes
    )

    def __init__(
        self,
        shapes: Sequence[tuple[Sequence[int], str | Cost]],
        batch_size: int,
        dtype: np.dtype,
    ) -> None:
        self.shapes = shapes_of(shapes)
        self.batch_size = batch_size
        self.dtype = np.dtype(dtype)
        self.scratch = [Scratch.allocate(s.sizes, batch_size, self.dtype) for s in self.shapes]
        self._gathered: tuple[Arr, Arr] | None = None  # a chunk's rows, in the epoch's order

    def prepare(self, X: Arr, Y: Arr, compressed: Callable[[np.dtype], Any] | None = None) -> None:
        """Nothing to prepare: the compiled kernel compresses X here."""

    def subgroup(self, indices: Sequence[int]) -> EpochKernel:
        """The kernel of the networks ``indices`` of this group (each trains to the same bits in
        it as here)."""
        return EpochKernel([self.shapes[i] for i in indices], self.batch_size, self.dtype)

    def run(
        self,
        weights: list[Arr],
        biases: list[Arr],
        X: Arr,
        Y: Arr,
        first_batch: int,
        stop_batch: int,
        eta: float,
        lmbda: float,
        n_train: int,
        regularization: str,
        order: NDArray[np.integer] | None = None,
    ) -> None:
        """Apply mini-batches first_batch, ..., stop_batch − 1 to the weights and biases of a
        kernel's one network, in place (see :meth:`run_group`)."""
        members = one_member(weights, biases, eta, lmbda, n_train, regularization)
        self.run_group(members, X, Y, first_batch, stop_batch, order)

    def run_group(
        self,
        members: Sequence[Member],
        X: Arr,
        Y: Arr,
        first_batch: int,
        stop_batch: int,
        order: NDArray[np.integer] | None = None,
    ) -> None:
        """Apply mini-batches first_batch, ..., stop_batch − 1 to each network of the group
        (``members``, in the order of the shapes), in place. Batch k is the rows order[k m:(k +
        1) m] of X and Y (rows k m .. (k + 1) m − 1 without an order); the last batch of an
        epoch may be shorter."""
        if len(members) != len(self.shapes):
            raise ValueError(f"this kernel trains {len(self.shapes)} networks at once")
        if order is not None:  # the chunk's rows, gathered: its batches are then 0, 1, ...
            m = self.batch_size
            X, Y = self._gather(X, Y, order[first_batch * m : stop_batch * m])
            first_batch, stop_batch = 0, stop_batch - first_batch
        for member, shape, scratch in zip(members, self.shapes, self.scratch, strict=True):
            sgd_batches(
                member.weights,
                member.biases,
                X,
                Y,
                first_batch,
                stop_batch,
                self.batch_size,
                member.step,
                shape.cost,
                scratch,
            )

    def _gather(self, X: Arr, Y: Arr, rows: NDArray[np.integer]) -> tuple[Arr, Arr]:
        """X[rows], Y[rows] in buffers kept from one chunk to the next."""
        n = len(rows)
        kept = self._gathered
        if kept is None or len(kept[0]) < n or (kept[0].dtype, kept[1].dtype) != (X.dtype, Y.dtype):
            kept = (np.empty((n, X.shape[1]), X.dtype), np.empty((n, Y.shape[1]), Y.dtype))
            self._gathered = kept
        X_rows, Y_rows = kept[0][:n], kept[1][:n]
        np.take(X, rows, axis=0, out=X_rows)
        np.take(Y, rows, axis=0, out=Y_rows)
        return X_rows, Y_rows


@dataclass(frozen=True)
class Scratch:
    """Buffers of at least ``batch_size`` rows, one per layer, reused by every mini-batch:
    activations (the input layer is a view of the data), output errors δ, σ'(z) and the
    gradients; ``ones`` sums δ over a mini-batch's rows."""

    acts: list[Arr]
    deltas: list[Arr]
    spare: list[Arr]
    grad_w: list[Arr]
    grad_b: list[Arr]
    sign_w: list[Arr]
    ones: Arr

    @classmethod
    def allocate(cls, sizes: Sequence[int], batch_size: int, dtype: np.dtype) -> Scratch:
        m = batch_size
        grad_w = [np.empty((i, o), dtype) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
        return cls(
            acts=[np.empty((m, n), dtype) for n in sizes[1:]],
            deltas=[np.empty((m, n), dtype) for n in sizes[1:]],
            spare=[np.empty((m, n), dtype) for n in sizes[1:]],
            grad_w=grad_w,
            grad_b=[np.empty(o, dtype) for o in sizes[1:]],
            sign_w=[np.empty_like(g) for g in grad_w],
            ones=np.ones(m, dtype),
        )


def sgd_batches(
    weights: list[Arr],
    biases: list[Arr],
    X: Arr,
    Y: Arr,
    first_batch: int,
    stop_batch: int,
    batch_size: int,
    step: Step,
    cost: Cost,
    scratch: Scratch,
) -> None:
    """The loop of :meth:`EpochKernel.run` over plain arrays: mini-batches first_batch ..
    stop_batch − 1 of consecutive rows, each a ``step``; the output layer's activation and its
    error δ as ``cost`` declares them (its ``output`` and its
    :class:`~xentlab.functions.OutputRule`)."""
    eta, lmbda, n_train, l1 = step.eta, step.lmbda, step.n_train, step.l1
    acts, deltas, spare = scratch.acts, scratch.deltas, scratch.spare
    grad_w, grad_b, sign_w, ones = scratch.grad_w, scratch.grad_b, scratch.sign_w, scratch.ones
    layers = len(weights)
    activate_output = cost.output.activate_inplace  # σ, softmax or a = z, as declared
    own_delta = cost.rule is OutputRule.OWN  # δ from the cost itself, which needs z
    decay = 1.0 - eta * lmbda / n_train
    l1_step = eta * lmbda / n_train
    for k in range(first_batch, stop_batch):
        lo = k * batch_size
        hi = min(lo + batch_size, X.shape[0])
        m = hi - lo
        x = X[lo:hi]
        # forward
        prev = x
        for layer in range(layers):
            a = acts[layer][:m]
            np.matmul(prev, weights[layer], out=a)
            a += biases[layer]
            if own_delta and layer == layers - 1:
                z = spare[-1][:m]
                np.copyto(z, a)
            if layer == layers - 1:
                activate_output(a)
            else:
                sigmoid_inplace(a)
            prev = a
        # output error, already scaled by η/m
        delta = deltas[-1][:m]
        if own_delta:
            np.copyto(delta, cost.delta(z, Y[lo:hi]))
        else:
            np.subtract(prev, Y[lo:hi], out=delta)
        if cost.rule is OutputRule.CARRIES_SIGMA_PRIME:  # δ = (a − y) σ'(z), σ'(z) = a (1 − a)
            sp = spare[-1][:m]
            np.subtract(1, prev, out=sp)
            sp *= prev
            delta *= sp
        delta *= eta / m
        # backward and update, last layer first
        for layer in range(layers - 1, -1, -1):
            below = x if layer == 0 else acts[layer - 1][:m]
            if layer:  # δ_{l−1} needs the weights before this step's update
                delta_below = deltas[layer - 1][:m]
                np.matmul(delta, weights[layer].T, out=delta_below)
                sp = spare[layer - 1][:m]
                np.subtract(1, below, out=sp)
                sp *= below
                delta_below *= sp
            gw, gb = grad_w[layer], grad_b[layer]
            np.matmul(below.T, delta, out=gw)
            np.matmul(ones[:m], delta, out=gb)
            W = weights[layer]
            if lmbda:
                if l1:
                    np.sign(W, out=sign_w[layer])
                    sign_w[layer] *= l1_step
                    W -= sign_w[layer]
                else:
                    W *= decay
            W -= gw
            biases[layer] -= gb
            if layer:
                delta = delta_below
