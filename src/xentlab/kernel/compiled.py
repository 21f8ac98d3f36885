"""The compiled epoch kernel: :class:`CompiledEpochKernel`, the NumPy kernel's interface over
the loops of ``compiled_loop`` (importing this module imports numba).

Per call of :meth:`CompiledEpochKernel.run` the network's weights and biases are copied into
one flat buffer padded for the vector width, the mini-batches run there, and the result is
copied back into the network's own arrays; per training set (once per ``fit``) the inputs are
compressed to their non-zero entries. Both copies are small next to the work of a chunk of
mini-batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import XentlabError
from ..functions import Cost, get_cost
from ..model import REGULARIZATIONS
from . import COMPILED_RULES
from .compiled_loop import count_nonzero_rows, fill_rows, sgd_batches_compiled

Arr = NDArray[np.floating]
VECTOR_BYTES = 64  # one AVX-512 register (two AVX2 ones): rows of W are padded to this


class CompressedRows:
    """X (n, features) as its non-zero entries, row by row (the CSR layout): row r's entries
    are ``values[indptr[r]:indptr[r + 1]]``, in the columns ``indices[...]``."""

    def __init__(self, X: Arr) -> None:
        X = np.ascontiguousarray(X)
        counts = np.empty(X.shape[0], np.int64)
        total = count_nonzero_rows(X, counts)
        self.indptr = np.zeros(X.shape[0] + 1, np.int64)
        np.cumsum(counts, out=self.indptr[1:])
        self.indices = np.empty(total, np.int32)
        self.values = np.empty(total, X.dtype)
        fill_rows(X, self.indptr, self.indices, self.values)
        self.shape = X.shape


class CompiledEpochKernel:
    """The compiled twin of :class:`~xentlab.kernel.EpochKernel`: same arguments, same
    mini-batches in the same order, results equal to rounding."""

    name = "compiled"
    blas_threads: int | None = 1  # one core: BLAS threads spinning beside it would take it

    def __init__(
        self, sizes: Sequence[int], batch_size: int, dtype: np.dtype, cost: str | Cost
    ) -> None:
        self.sizes = tuple(sizes)
        self.batch_size = batch_size
        self.dtype = np.dtype(dtype)
        self.cost = get_cost(cost)
        if self.cost.rule not in COMPILED_RULES:
            raise XentlabError(
                f"kernel 'compiled' does not implement the output error of cost "
                f"{self.cost.name!r} (δ = {self.cost.rule.value}): use kernel 'numpy'"
            )
        lanes = VECTOR_BYTES // self.dtype.itemsize
        layout, offset = [], 0
        for inputs, outputs in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            width = -(-outputs // lanes) * lanes
            layout.append((inputs, outputs, width, offset, offset + inputs * width))
            offset += (inputs + 1) * width
        self.layout = np.array(layout, np.int64)
        self.params = np.zeros(offset, self.dtype)
        scratch = batch_size * int(self.layout[:, 2].sum())
        self.acts = np.zeros(scratch, self.dtype)
        self.deltas = np.zeros(scratch, self.dtype)
        self._rows: tuple[Any, CompressedRows] | None = None
        self._targets: tuple[Any, Arr] | None = None
        self._identity = np.arange(0, dtype=np.int64)

    def prepare(self, X: Arr, Y: Arr) -> None:
        """Compress the inputs X and keep the targets Y (done by the first :meth:`run` on them
        if not before; a training loop calls it first, so that its epochs time training only)."""
        if self._rows is None or self._rows[0] is not X:
            self._rows = (X, CompressedRows(np.asarray(X, self.dtype)))
        if self._targets is None or self._targets[0] is not Y:
            self._targets = (Y, np.ascontiguousarray(Y, self.dtype))

    @property
    def compressed(self) -> CompressedRows | None:
        """The inputs last prepared, compressed (None before any)."""
        return self._rows[1] if self._rows else None

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
        """As :meth:`EpochKernel.run <xentlab.kernel.EpochKernel.run>`."""
        l1 = REGULARIZATIONS.check("regularization", regularization) == "l1"
        self.prepare(X, Y)
        assert self._rows is not None and self._targets is not None
        rows, targets = self._rows[1], self._targets[1]
        if order is None:
            if len(self._identity) != rows.shape[0]:
                self._identity = np.arange(rows.shape[0], dtype=np.int64)
            order = self._identity
        self._pack(weights, biases)
        sgd_batches_compiled(
            self.params,
            self.layout,
            (rows.indptr, rows.indices, rows.values),
            targets,
            np.asarray(order, np.int64),
            (first_batch, stop_batch, self.batch_size),
            (float(eta), float(lmbda), n_train, l1),
            (self.cost.softmax_output, self.cost.delta_has_sigma_prime),
            (self.acts, self.deltas),
        )
        self._unpack(weights, biases)

    def _pack(self, weights: list[Arr], biases: list[Arr]) -> None:
        for (inputs, outputs, width, w_at, b_at), W, b in zip(
            self.layout, weights, biases, strict=True
        ):
            block = self.params[w_at : w_at + inputs * width].reshape(inputs, width)
            block[:, :outputs] = W
            block[:, outputs:] = 0  # the padding is never read, but is kept finite
            self.params[b_at : b_at + width] = 0
            self.params[b_at : b_at + outputs] = b

    def _unpack(self, weights: list[Arr], biases: list[Arr]) -> None:
        for (inputs, outputs, width, w_at, b_at), W, b in zip(
            self.layout, weights, biases, strict=True
        ):
            W[...] = self.params[w_at : w_at + inputs * width].reshape(inputs, width)[:, :outputs]
            b[...] = self.params[b_at : b_at + outputs]


def warm_up() -> None:
    """Compile the kernel for float32 and float64 (or load it from numba's cache): what the
    first training run on a machine would otherwise do inside its first epoch."""
    for dtype in (np.dtype(np.float32), np.dtype(np.float64)):
        X: Arr = np.eye(3, 4, dtype=dtype)
        Y: Arr = np.eye(3, 2, dtype=dtype)
        weights = [np.ones((4, 3), dtype), np.ones((3, 2), dtype)]
        biases = [np.zeros(3, dtype), np.zeros(2, dtype)]
        CompiledEpochKernel((4, 3, 2), 2, dtype, "cross-entropy").run(
            weights, biases, X, Y, 0, 2, 0.1, 0.0, 3, "l2"
        )
