"""The epoch kernels: mini-batch SGD over a range of mini-batches, in place, fast.

Two kernels compute the same thing, and one is chosen by name (:data:`KERNELS`):

- ``numpy``: :class:`EpochKernel` (``numpy_loop``), the reference: a few NumPy calls per
  layer and mini-batch, tested against ``Network.backprop`` and against PyTorch autograd.
- ``compiled``: :class:`~xentlab.kernel.compiled.CompiledEpochKernel` (``compiled``, over
  ``compiled_loop`` and its ``compiled_input``, ``compiled_layers``, ``compiled_math``), the
  same loop compiled by numba, tested equal to the reference (to 1e-12 relative in float64
  over whole epochs, to float32 rounding in float32). It needs numba.
- ``auto`` (the default): ``compiled`` where numba imports, else ``numpy``.

The two differ only in rounding (the order in which sums are added), so each is
deterministic (the same seed gives the same bits, run after run, on one machine) but they are
not bit-identical to each other.

Both take the training set unshuffled, with the epoch's order: batch k of batch size m is the
rows order[k m:(k + 1) m] (the last may be shorter). The update of one mini-batch of m
examples from a training set of n:
    L2:  W ← (1 − ηλ/n) W − (η/m) Σ_x ∂C_x/∂W
    L1:  W ← W − (ηλ/n) sgn(W) − (η/m) Σ_x ∂C_x/∂W
    b  ← b − (η/m) Σ_x ∂C_x/∂b
with ∂C_x/∂W_l = a_{l−1}ᵀ δ_l and ∂C_x/∂b_l = δ_l, back-propagated from the output error
δ_L the cost declares (:class:`~xentlab.functions.OutputRule`): a − y (cross-entropy,
log-likelihood) or (a − y) σ'(z_L) (quadratic); a cost with a δ of its own trains under the
NumPy kernel only (``auto`` picks it; ``compiled`` refuses it by name).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ..checks import OneOf
from ..errors import XentlabError
from ..functions import Cost, OutputRule, get_cost
from .numpy_loop import EpochKernel, Member, NetworkShape, Step, sgd_batches

KERNELS = OneOf(("auto", "numpy", "compiled"))
INSTALL_HINT = "pip install numba"
# The output errors the compiled loop computes; a cost with another rule trains under NumPy.
COMPILED_RULES = frozenset({OutputRule.CARRIES_SIGMA_PRIME, OutputRule.CANCELS})


class Kernel(Protocol):
    """What the training loop asks of a kernel (both kernels are this): built for a group of
    networks (one or more) that share their training data and order of mini-batches.
    ``blas_threads``: the BLAS threads the loop should allow around it (None: the machine's
    default)."""

    name: str
    blas_threads: int | None

    def prepare(
        self,
        X: NDArray[np.floating],
        Y: NDArray[np.floating],
        compressed: Callable[[np.dtype], Any] | None = None,
    ) -> None:
        """Make X and Y ready for the epochs. ``compressed(dtype)``, where given, returns X
        compressed to its non-zero entries in ``dtype`` (a ``compiled.CompressedRows`` of X,
        which the caller keeps for measuring too): the compiled kernel takes it rather than
        compressing X again."""

    def subgroup(self, indices: Sequence[int]) -> Kernel: ...

    def run(
        self,
        weights: list[NDArray[np.floating]],
        biases: list[NDArray[np.floating]],
        X: NDArray[np.floating],
        Y: NDArray[np.floating],
        first_batch: int,
        stop_batch: int,
        eta: float,
        lmbda: float,
        n_train: int,
        regularization: str,
        order: NDArray[np.integer] | None = None,
    ) -> None: ...

    def run_group(
        self,
        members: Sequence[Member],
        X: NDArray[np.floating],
        Y: NDArray[np.floating],
        first_batch: int,
        stop_batch: int,
        order: NDArray[np.integer] | None = None,
    ) -> None: ...


@cache
def compiled_unavailable() -> str | None:
    """Why the compiled kernel cannot be used here (numba missing or failing to import), or
    None if it can."""
    try:
        from . import compiled  # noqa: F401
    except Exception as exc:  # any failure to import numba means: use NumPy
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def resolve_kernel(name: str, cost: str | Cost | None = None) -> str:
    """The kernel ``name`` stands for here, for ``cost`` (any of xentlab's when None): ``auto``
    is ``compiled`` where numba imports and the compiled loop implements the cost's output
    error, else ``numpy``; ``compiled`` without numba, or for a cost it does not implement, is an
    error saying what to do."""
    name = KERNELS.check("kernel", name)
    declared = get_cost(cost) if cost is not None else None
    if name == "numpy":
        return name  # numba is not even imported (a quarter of a second or more)
    problem = compiled_unavailable()
    implemented = declared is None or declared.rule in COMPILED_RULES
    if name == "auto":
        return "numpy" if problem or not implemented else "compiled"
    if name == "compiled" and problem:
        raise XentlabError(
            f"kernel 'compiled' needs numba, which cannot be imported ({problem}): "
            f"{INSTALL_HINT}, or use kernel 'numpy' or 'auto'"
        )
    if name == "compiled" and declared is not None and not implemented:
        raise XentlabError(
            f"kernel 'compiled' does not implement the output error of cost {declared.name!r} "
            f"(δ = {declared.rule.value}): use kernel 'numpy' or 'auto'"
        )
    return name


def make_kernel(
    name: str, sizes: Sequence[int], batch_size: int, dtype: np.dtype, cost: str | Cost
) -> Kernel:
    """The kernel called ``name`` (see :func:`resolve_kernel`) for one network shape,
    mini-batch size, dtype and cost."""
    return make_group_kernel(name, [(sizes, cost)], batch_size, dtype)


def make_group_kernel(
    name: str,
    shapes: Sequence[tuple[Sequence[int], str | Cost]],
    batch_size: int,
    dtype: np.dtype,
) -> Kernel:
    """The kernel called ``name`` for a group of networks, each given as (sizes, cost), that
    share their inputs, outputs, mini-batch size and dtype: ``auto`` is ``compiled`` only where
    it implements every network's cost."""
    resolved = {resolve_kernel(name, cost) for _, cost in shapes}
    if "numpy" in resolved:
        return EpochKernel(shapes, batch_size, dtype)
    from .compiled import CompiledEpochKernel

    return CompiledEpochKernel(shapes, batch_size, dtype)


__all__ = [
    "KERNELS",
    "EpochKernel",
    "Kernel",
    "Member",
    "NetworkShape",
    "Step",
    "compiled_unavailable",
    "make_group_kernel",
    "make_kernel",
    "resolve_kernel",
    "sgd_batches",
]
