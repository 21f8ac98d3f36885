"""The fast epoch loop: mini-batch SGD over a range of batches, in place, with no allocation.

One function body over arrays, so a compiled kernel can later replace it. It computes what
``Network.backprop`` and the update rule compute (tested against them), with three savings:
buffers are allocated once per (shape, batch size, dtype); the data are shuffled once per epoch,
so each mini-batch is a contiguous slice; and δ is scaled by η/m before back-propagation, so the
gradients arrive already multiplied by the learning rate.

The update of one mini-batch of m examples from a training set of n:
    L2:  W ← (1 − ηλ/n) W − (η/m) Σ_x ∂C_x/∂W
    L1:  W ← W − (ηλ/n) sgn(W) − (η/m) Σ_x ∂C_x/∂W
    b  ← b − (η/m) Σ_x ∂C_x/∂b
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .functions import sigmoid_inplace, softmax_inplace

Arr = NDArray[np.floating]


class EpochKernel:
    """Preallocated buffers for one network shape, mini-batch size, dtype and cost."""

    def __init__(self, sizes: Sequence[int], batch_size: int, dtype: np.dtype, cost: str) -> None:
        self.sizes = tuple(sizes)
        self.batch_size = batch_size
        self.cost = cost
        m = batch_size
        # acts[l] holds layer l+1's activations (the input layer is a view of the data).
        self.acts = [np.empty((m, n), dtype) for n in sizes[1:]]
        self.deltas = [np.empty((m, n), dtype) for n in sizes[1:]]
        self.spare = [np.empty((m, n), dtype) for n in sizes[1:]]
        self.grad_w = [np.empty((i, o), dtype) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
        self.grad_b = [np.empty(o, dtype) for o in sizes[1:]]
        self.sign_w = [np.empty_like(g) for g in self.grad_w]
        self.ones = np.ones(m, dtype)

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
    ) -> None:
        """Apply mini-batches first_batch, ..., stop_batch − 1 of the (already shuffled) rows of
        X, Y to weights and biases, in place. Batch k is rows [k m, (k + 1) m); the last batch of
        an epoch may be shorter."""
        layers = len(weights)
        softmax_out = self.cost == "log-likelihood"
        quadratic = self.cost == "quadratic"
        decay = 1.0 - eta * lmbda / n_train
        l1_step = eta * lmbda / n_train
        for k in range(first_batch, stop_batch):
            lo = k * self.batch_size
            hi = min(lo + self.batch_size, X.shape[0])
            m = hi - lo
            x = X[lo:hi]
            # forward
            prev = x
            for layer in range(layers):
                a = self.acts[layer][:m]
                np.matmul(prev, weights[layer], out=a)
                a += biases[layer]
                if softmax_out and layer == layers - 1:
                    softmax_inplace(a)
                else:
                    sigmoid_inplace(a)
                prev = a
            # output error, already scaled by η/m
            delta = self.deltas[-1][:m]
            np.subtract(prev, Y[lo:hi], out=delta)
            if quadratic:  # δ = (a − y) σ'(z), σ'(z) = a (1 − a)
                sp = self.spare[-1][:m]
                np.subtract(1, prev, out=sp)
                sp *= prev
                delta *= sp
            delta *= eta / m
            # backward and update, last layer first
            for layer in range(layers - 1, -1, -1):
                below = x if layer == 0 else self.acts[layer - 1][:m]
                if layer:  # δ_{l−1} needs the weights before this step's update
                    delta_below = self.deltas[layer - 1][:m]
                    np.matmul(delta, weights[layer].T, out=delta_below)
                    sp = self.spare[layer - 1][:m]
                    np.subtract(1, below, out=sp)
                    sp *= below
                    delta_below *= sp
                gw, gb = self.grad_w[layer], self.grad_b[layer]
                np.matmul(below.T, delta, out=gw)
                np.matmul(self.ones[:m], delta, out=gb)
                W = weights[layer]
                if lmbda:
                    if regularization == "l2":
                        W *= decay
                    else:
                        np.sign(W, out=self.sign_w[layer])
                        self.sign_w[layer] *= l1_step
                        W -= self.sign_w[layer]
                W -= gw
                biases[layer] -= gb
                if layer:
                    delta = delta_below
