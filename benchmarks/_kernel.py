"""Shared by the benchmarks that time xentlab's compiled kernel on its own: its epochs, called
directly as JAX's jit-compiled epoch is, one call per epoch over all its mini-batches."""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from xentlab.functions import one_hot
from xentlab.kernel import make_kernel
from xentlab.model import Network


def kernel_epochs(
    net: Network,
    X: NDArray[np.floating],
    labels: NDArray[np.integer],
    batch: int,
    eta: float,
    epochs: int,
    seed: int,
) -> list[float]:
    """Seconds of each of ``epochs`` epochs of the compiled kernel training ``net`` in place
    on (X, labels), a fresh shuffle from ``seed`` each epoch, no divergence checks and nothing
    else. BLAS is kept to the threads the kernel asks for, as the training loop keeps it: the
    threads of an earlier multithreaded product would otherwise spin on the kernel's core."""
    Y = one_hot(labels, net.sizes[-1], net.dtype)
    kernel = make_kernel("compiled", net.sizes, batch, net.dtype, net.cost)
    kernel.prepare(X, Y)
    rng = np.random.default_rng(seed)
    batches = -(-len(X) // batch)
    seconds = []
    with ThreadpoolController().limit(limits=kernel.blas_threads, user_api="blas"):
        for _ in range(epochs):
            start = time.perf_counter()
            order = rng.permutation(len(X))
            kernel.run(net.weights, net.biases, X, Y, 0, batches, eta, 0.0, len(X), "l2", order)
            seconds.append(time.perf_counter() - start)
    return seconds
