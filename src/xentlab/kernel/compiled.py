"""The compiled epoch kernel: :class:`CompiledEpochKernel`, the NumPy kernel's interface over
the loops of ``compiled_loop`` (importing this module imports numba).

Per call of :meth:`CompiledEpochKernel.run` the network's weights and biases are copied into
one flat buffer padded for the vector width, the mini-batches run there, and the result is
copied back into the network's own arrays; per training set (once per ``fit``) the inputs are
compressed to their non-zero entries. Both copies are small next to the work of a chunk of
mini-batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import XentlabError
from ..functions import Cost
from . import COMPILED_RULES
from .compiled_input import EXAMPLES_PER_MASK
from .compiled_layers import OUTPUT_CODES, OUTPUTS, STRIDE, WIDTH
from .compiled_loop import FIRST_ROW, L1, sgd_batches_compiled
from .compiled_support import count_nonzero_rows, fill_rows
from .numpy_loop import Member, NetworkShape, one_member, shapes_of

Arr = NDArray[np.floating]
VECTOR_BYTES = 64  # one AVX-512 register (two AVX2 ones): rows of W are padded to this
# Input layers whose rows (all the group's columns) are at least this long are updated by row,
# which saves stores, rather than by example, which saves setting the inputs out by row.
ROW_BYTES_UPDATED_BY_ROW = 512


class CompressedRows:
    """X (n, features) as its non-zero entries, row by row (the CSR layout): row r's entries
    are ``values[indptr[r]:indptr[r + 1]]``, in the columns ``indices[...]``."""

    def __init__(self, X: Arr) -> None:
        X = np.ascontiguousarray(X)
        counts = np.empty(X.shape[0], np.int64)
        total = count_nonzero_rows(X, counts)
        self.indptr = np.zeros(X.shape[0] + 1, np.int64)
        np.cumsum(counts, out=self.indptr[1:])
        self.indices = np.empty(total, np.uint32)  # unsigned: an index numba need not wrap
        self.values = np.empty(total, X.dtype)
        fill_rows(X, self.indptr, self.indices, self.values)
        self.shape = X.shape


class CompiledEpochKernel:
    """The compiled twin of :class:`~xentlab.kernel.EpochKernel`: same arguments, same
    mini-batches in the same order, results equal to rounding; a group's networks train in one
    pass over the data, each to the same bits as alone."""

    name = "compiled"
    blas_threads: int | None = 1  # one core: BLAS threads spinning beside it would take it

    def __init__(
        self,
        shapes: Sequence[tuple[Sequence[int], str | Cost]],
        batch_size: int,
        dtype: np.dtype,
        *,
        update_by_row: bool | None = None,
    ) -> None:
        """``update_by_row``: the input layer's update by row or by example (the same bits
        either way, see ``compiled_input``); None chooses by the length of its rows."""
        self.shapes = shapes_of(shapes)
        self.batch_size = batch_size
        self.dtype = np.dtype(dtype)
        for shape in self.shapes:
            if shape.cost.rule not in COMPILED_RULES:
                raise XentlabError(
                    f"kernel 'compiled' does not implement the output error of cost "
                    f"{shape.cost.name!r} (δ = {shape.cost.rule.value}): use kernel 'numpy'"
                )
        self.layout, self.members, size, scratch = _layout(self.shapes, batch_size, self.dtype)
        self.params = np.zeros(size, self.dtype)
        self.acts = np.zeros(scratch, self.dtype)
        self.deltas = np.zeros(scratch, self.dtype)
        self.spare = np.zeros(_spare_size(self.layout, self.members), self.dtype)
        self.update_by_row = self._update_by_row(update_by_row)
        rows = self.shapes[0].sizes[0] if self.update_by_row else 0
        self.row_examples = np.zeros(rows, np.int64)
        self.row_values = np.zeros((rows, batch_size), self.dtype)
        self.row_counts = np.zeros(rows, np.int64)
        self.flags = np.array(
            [(0, OUTPUT_CODES[s.cost.output], s.cost.delta_has_sigma_prime) for s in self.shapes],
            np.int64,
        )
        self._rows: tuple[Any, CompressedRows] | None = None
        self._targets: tuple[Any, Arr] | None = None
        self._identity = np.arange(0, dtype=np.int64)

    def _update_by_row(self, asked: bool | None) -> bool:
        """Whether the input layer is updated by row: as asked, or where its rows (every
        network's columns) are long; never for mini-batches of more than EXAMPLES_PER_MASK."""
        fits = self.batch_size <= EXAMPLES_PER_MASK
        if asked and not fits:
            raise ValueError(
                f"update_by_row needs a batch size of at most {EXAMPLES_PER_MASK}; "
                f"got {self.batch_size}"
            )
        if asked is not None:
            return asked
        row_bytes = int(self.layout[0, STRIDE]) * self.dtype.itemsize
        return fits and row_bytes >= ROW_BYTES_UPDATED_BY_ROW

    def prepare(
        self, X: Arr, Y: Arr, compressed: Callable[[np.dtype], CompressedRows] | None = None
    ) -> None:
        """Compress the inputs X (or take them from ``compressed``, see ``Kernel.prepare``) and
        keep the targets Y (done by the first :meth:`run` on them if not before; a training
        loop calls it first, so that its epochs time training only)."""
        if self._rows is None or self._rows[0] is not X:
            if compressed is not None:
                self._rows = (X, compressed(self.dtype))
            else:
                self._rows = (X, CompressedRows(np.asarray(X, self.dtype)))
        if self._targets is None or self._targets[0] is not Y:
            self._targets = (Y, np.ascontiguousarray(Y, self.dtype))

    @property
    def compressed(self) -> CompressedRows | None:
        """The inputs last prepared, compressed (None before any)."""
        return self._rows[1] if self._rows else None

    def subgroup(self, indices: Sequence[int]) -> CompiledEpochKernel:
        """The kernel of the networks ``indices`` of this group (each trains to the same bits
        in it as here), sharing the inputs this one has prepared."""
        part = CompiledEpochKernel([self.shapes[i] for i in indices], self.batch_size, self.dtype)
        part._rows, part._targets = self._rows, self._targets
        return part

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
        """As :meth:`EpochKernel.run_group <xentlab.kernel.EpochKernel.run_group>`."""
        if len(members) != len(self.shapes):
            raise ValueError(f"this kernel trains {len(self.shapes)} networks at once")
        n_train = {member.step.n_train for member in members}
        if len(n_train) != 1:
            raise ValueError("the networks of a group train on one training set")
        self.prepare(X, Y)
        assert self._rows is not None and self._targets is not None
        rows, targets = self._rows[1], self._targets[1]
        if order is None:
            if len(self._identity) != rows.shape[0]:
                self._identity = np.arange(rows.shape[0], dtype=np.int64)
            order = self._identity
        steps = np.array([(m.step.eta, m.step.lmbda) for m in members], np.float64)
        self.flags[:, L1] = [m.step.l1 for m in members]
        for member, first in zip(members, self.members[:, FIRST_ROW], strict=True):
            self._pack(member, first)
        sgd_batches_compiled(
            self.params,
            self.layout,
            self.members,
            steps,
            self.flags,
            (rows.indptr, rows.indices, rows.values),
            targets,
            np.asarray(order, np.int64),
            (first_batch, stop_batch, self.batch_size, n_train.pop(), self.update_by_row),
            (
                self.acts,
                self.deltas,
                self.spare,
                self.row_examples,
                self.row_values,
                self.row_counts,
            ),
        )
        for member, first in zip(members, self.members[:, FIRST_ROW], strict=True):
            self._unpack(member, first)

    def _blocks(self, row: int) -> tuple[Arr, Arr]:
        """Layout row ``row``'s W and b (their padded columns) as views of params."""
        inputs, _, width, w_at, b_at, stride, column, _ = self.layout[row]
        W = self.params[w_at : w_at + inputs * stride].reshape(inputs, stride)
        return W[:, column : column + width], self.params[b_at + column : b_at + column + width]

    def _pack(self, member: Member, first: int) -> None:
        for row, (W, b) in enumerate(zip(member.weights, member.biases, strict=True), first):
            W_block, b_block = self._blocks(row)
            outputs = W.shape[1]
            W_block[:, :outputs] = W
            W_block[:, outputs:] = 0  # the padding is never read, but is kept finite
            b_block[:outputs] = b
            b_block[outputs:] = 0

    def _unpack(self, member: Member, first: int) -> None:
        for row, (W, b) in enumerate(zip(member.weights, member.biases, strict=True), first):
            W_block, b_block = self._blocks(row)
            outputs = W.shape[1]
            W[...] = W_block[:, :outputs]
            b[...] = b_block[:outputs]


def _layout(
    shapes: Sequence[NetworkShape], batch_size: int, dtype: np.dtype
) -> tuple[NDArray[np.int64], NDArray[np.int64], int, int]:
    """The group's layout rows and member rows (see ``compiled_loop``), the size of params and
    of each scratch buffer. The input layers come first, side by side; then each network's
    own layers."""
    lanes = VECTOR_BYTES // dtype.itemsize

    def padded(outputs: int) -> int:
        return -(-outputs // lanes) * lanes

    inputs = shapes[0].sizes[0]
    shared = sum(padded(shape.sizes[1]) for shape in shapes)  # the input layers' columns
    size, scratch = (inputs + 1) * shared, batch_size * shared
    rows: list[tuple[int, ...]] = []
    members: list[tuple[int, int]] = []
    column = 0
    for shape in shapes:
        members.append((len(rows), len(shape.sizes) - 1))
        width = padded(shape.sizes[1])
        rows.append((inputs, shape.sizes[1], width, 0, inputs * shared, shared, column, 0))
        column += width
        for below, outputs in zip(shape.sizes[1:-1], shape.sizes[2:], strict=True):
            width = padded(outputs)
            rows.append((below, outputs, width, size, size + below * width, width, 0, scratch))
            size += (below + 1) * width
            scratch += batch_size * width
    return np.array(rows, np.int64), np.array(members, np.int64), size, scratch


def _spare_size(layout: NDArray[np.int64], members: NDArray[np.int64]) -> int:
    """The scratch the loop needs besides activations and δ: a row of the input layers' sums
    of δ, and each layer's Wᵀ (its outputs × the padded width of the layer beneath)."""
    size = int(layout[0, STRIDE])
    first_rows = set(members[:, FIRST_ROW].tolist())
    for row in range(len(layout)):
        if row not in first_rows:
            size = max(size, int(layout[row, OUTPUTS] * layout[row - 1, WIDTH]))
    return size


def warm_up() -> None:
    """Compile the kernel for float32 and float64 (or load it from numba's cache): what the
    first training run on a machine would otherwise do inside its first epoch."""
    for dtype in (np.dtype(np.float32), np.dtype(np.float64)):
        X: Arr = np.eye(3, 4, dtype=dtype)
        Y: Arr = np.eye(3, 2, dtype=dtype)
        weights = [np.ones((4, 3), dtype), np.ones((3, 2), dtype)]
        biases = [np.zeros(3, dtype), np.zeros(2, dtype)]
        CompiledEpochKernel([((4, 3, 2), "cross-entropy")], 2, dtype).run(
            weights, biases, X, Y, 0, 2, 0.1, 0.0, 3, "l2"
        )
