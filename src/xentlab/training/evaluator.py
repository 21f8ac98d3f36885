"""Measuring networks on one data set, again and again: :class:`Evaluator`.

Every epoch's record measures the network on the whole training set and the validation set
(the cost C = 1/n Σ_x C_x plus the regularisation term, the accuracy, and the output layer's
saturation on the first training examples), and a probe measures it every few mini-batches
(the cost, the saturation, and per layer the mean |δ_l| and ‖∂C/∂W_l‖ = ‖A_{l−1}ᵀ δ_l‖ / n).
An evaluator is built once per data set (:func:`evaluator_for`) and measures any network on it
by one of two paths that compute the same numbers:

- ``numpy``, the reference: ``Network``'s own methods (``cost_and_accuracy``, ``saturation``,
  ``deltas``), a few NumPy calls per layer over all the rows at once;
- ``compiled``, the fast path (``kernel.compiled_forward``): one compiled pass over the data
  set's inputs compressed to their non-zero entries (once, on first use), every measure taken
  from each example's output z at once, sums in float64, large sets shared between two
  threads. Equal to the reference to rounding (tested: 1e-12 relative in float64, float32
  rounding in float32).

Which one: the kernel named by the run (``numpy`` means the reference throughout), ``auto`` and
``compiled`` the compiled path where numba imports and the cost declares its formula
(:class:`~xentlab.functions.CostFormula`; a probe's δ also needs a rule the compiled loops
implement), the reference otherwise.
"""

from __future__ import annotations

import copy
import os
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ..data import LabelledData, TrainingData
from ..functions import Cost, CostFormula
from ..kernel import COMPILED_RULES, resolve_kernel
from ..model import SATURATION_THRESHOLD, Network

if TYPE_CHECKING:  # the compiled modules import numba, which the reference path never needs
    from ..kernel.compiled import CompressedRows
    from ..kernel.compiled_forward import OutputLayer

# Threads sharing the compiled pass over a large data set: two halve an epoch's evaluation on
# MNIST; more would take cores from the runs beside it for little.
MAX_THREADS = 2


@dataclass(frozen=True)
class Measures:
    """A network on a data set: the cost (with the regularisation term asked for), the
    accuracy (None for data with targets), and the fractions of (example, output) pairs
    saturated and saturated-and-wrong on the first rows (None where not asked)."""

    cost: float
    accuracy: float | None
    saturation: float | None = None
    saturated_wrong: float | None = None


@dataclass(frozen=True)
class ProbeMeasures:
    """What a probe measures: on its sample, in float64, the cost (no regularisation term),
    the saturated and saturated-and-wrong fractions, and for every layer after the input the
    mean |δ_l| and ‖∂C/∂W_l‖ = ‖A_{l−1}ᵀ δ_l‖ / n (Frobenius); on its validation rows, the
    accuracy."""

    cost: float
    saturation: float
    saturated_wrong: float
    delta_mean: tuple[float, ...]
    gradient_norm: tuple[float, ...]
    validation_accuracy: float


def measuring_threads() -> int:
    """The threads a compiled pass may use: MAX_THREADS, but no more than the cores this
    process may run on, nor than OMP_NUM_THREADS where it is set (a process told to keep to
    one thread, as a sweep's local workers are, measures on one)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    told = os.environ.get("OMP_NUM_THREADS", "")
    budget = int(told) if told.isdigit() and int(told) > 0 else MAX_THREADS
    return max(1, min(MAX_THREADS, cores, budget))


class Evaluator:
    """One data set (labelled, or with targets) made ready to measure networks on: its targets
    in float64, and on the compiled path its inputs compressed, once per dtype computed in.

    It reads the inputs when first measuring on the compiled path, and keeps them as read:
    data changed in place afterwards is measured as it was (as the compiled training kernel,
    which compresses its training set once per run)."""

    def __init__(self, data: TrainingData) -> None:
        # A copy of the frozen data object (the same arrays): the cache of evaluators keys on
        # the caller's object, which this one must not keep alive.
        self.data = copy.copy(data)
        self.n = len(data.X)
        self._lock = threading.Lock()
        self._targets: dict[int, NDArray[np.float64]] = {}
        self._rows: dict[np.dtype, CompressedRows] = {}

    # --- the two paths ----------------------------------------------------------------------

    def uses_compiled(self, kernel: str, cost: Cost, back_propagates: bool = False) -> bool:
        """Whether measuring under ``kernel`` takes the compiled path for ``cost`` (see the
        module's description); ``compiled`` without numba is an error saying what to do."""
        if resolve_kernel(kernel) == "numpy" or self.n == 0:
            return False
        if cost.formula is CostFormula.OWN:
            return False
        return not back_propagates or cost.rule in COMPILED_RULES

    def _compiled_for(self, network: Network, kernel: str, back_propagates: bool = False) -> bool:
        """Whether to measure ``network`` on the compiled path: as :meth:`uses_compiled` says,
        and its weights and biases finite. (A NaN or infinite weight makes every z NaN in the
        reference, 0 × ∞ being NaN; the compressed rows skip the zero inputs, and with them
        the NaN of an input that is always 0.)"""
        return self.uses_compiled(kernel, network.cost, back_propagates) and all(
            np.isfinite(a).all() for a in [*network.weights, *network.biases]
        )

    def targets(self, outputs: int) -> NDArray[np.float64]:
        """The desired outputs y(x) of every row, in float64 (as the costs are computed)."""
        with self._lock:
            if outputs not in self._targets:
                Y = self.data.targets(outputs, np.dtype(np.float64))
                self._targets[outputs] = np.ascontiguousarray(Y)
            return self._targets[outputs]

    def compressed(self, dtype: np.dtype) -> CompressedRows:
        """The inputs compressed to their non-zero entries in ``dtype``, once per dtype (the
        compiled training kernel takes them too)."""
        from ..kernel.compiled import CompressedRows

        with self._lock:
            if dtype not in self._rows:
                self._rows[dtype] = CompressedRows(np.asarray(self.data.X, dtype))
            return self._rows[dtype]

    @property
    def labels(self) -> NDArray[np.int64] | None:
        return self.data.labels if isinstance(self.data, LabelledData) else None

    # --- an epoch's record ------------------------------------------------------------------

    def measure(
        self,
        network: Network,
        lmbda: float = 0.0,
        n_train: int | None = None,
        regularization: str = "l2",
        saturation_rows: int = 0,
        kernel: str = "auto",
    ) -> Measures:
        """C = 1/n Σ_x C_x + the regularisation term for a training set of ``n_train`` (this
        set's size if None), the accuracy (labelled data only), and the saturation of the
        output layer on the first ``saturation_rows`` rows (if any): an epoch's record of this
        data set."""
        outputs = network.sizes[-1]
        Y = self.targets(outputs)
        saturation_rows = min(saturation_rows, self.n)
        if not self._compiled_for(network, kernel):
            return self._measure_numpy(
                network, Y, (lmbda, n_train, regularization), saturation_rows
            )
        from ..kernel.compiled_forward import measure

        dtype = np.result_type(self.data.X.dtype, network.dtype)
        cost, correct, saturated, wrong = measure(
            self.compressed(dtype),
            Y,
            self.labels,
            network.weights,
            network.biases,
            _output(network.cost),
            saturation_rows,
            threads=measuring_threads(),
        )
        pairs = saturation_rows * outputs
        penalty = network.regularization_cost(lmbda, n_train or self.n, regularization)
        return Measures(
            cost / self.n + penalty,
            None if self.labels is None else correct / self.n,
            saturated / pairs if pairs else None,
            wrong / pairs if pairs else None,
        )

    def _measure_numpy(
        self,
        network: Network,
        Y: NDArray[np.float64],
        regularization: tuple[float, int | None, str],
        saturation_rows: int,
    ) -> Measures:
        X = self.data.X
        cost, accuracy = network.cost_and_accuracy(X, Y, self.labels, *regularization)
        if not saturation_rows:
            return Measures(cost, accuracy)
        saturation, wrong = network.saturation(X[:saturation_rows], Y[:saturation_rows])
        return Measures(cost, accuracy, saturation, wrong)

    def cost_and_accuracy(
        self,
        network: Network,
        lmbda: float = 0.0,
        n_train: int | None = None,
        regularization: str = "l2",
        kernel: str = "auto",
    ) -> tuple[float, float | None]:
        """(cost, accuracy) as :meth:`Network.cost_and_accuracy` gives them."""
        measures = self.measure(network, lmbda, n_train, regularization, kernel=kernel)
        return measures.cost, measures.accuracy

    def accuracy(self, network: Network, kernel: str = "auto") -> float:
        """The fraction of rows whose most active output is their label (labelled data)."""
        labels = self.labels
        if labels is None:
            raise TypeError("accuracy needs labelled data")
        if not self._compiled_for(network, kernel):
            return network.accuracy(self.data.X, labels)
        from ..kernel.compiled_forward import measure

        dtype = np.result_type(self.data.X.dtype, network.dtype)
        correct = measure(
            self.compressed(dtype),
            self.targets(network.sizes[-1]),
            labels,
            network.weights,
            network.biases,
            _output(network.cost),
            want_cost=False,
        )[1]
        return correct / self.n

    # --- a probe ----------------------------------------------------------------------------

    def probe(self, network: Network, validation: Evaluator, kernel: str = "auto") -> ProbeMeasures:
        """What a probe measures (:class:`ProbeMeasures`): on this data set in float64 whatever
        the network's dtype, δ_L from the cost, δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l), ∂C/∂W_l =
        A_{l−1}ᵀ δ_l / n; and the accuracy on ``validation`` (labelled) as the network
        predicts, in its own dtype."""
        labels = validation.labels
        if labels is None:
            raise TypeError("a probe's validation data must be labelled")
        Y = self.targets(network.sizes[-1])
        if not self._compiled_for(network, kernel, back_propagates=True) or validation.n == 0:
            return self._probe_numpy(network, Y, validation.data.X, labels)
        from ..kernel.compiled_probe import probe

        dtype = np.result_type(validation.data.X.dtype, network.dtype)
        valid_Y = validation.targets(network.sizes[-1])
        total, saturated, wrong, delta_sums, gradient_norms, correct = probe(
            self.compressed(np.dtype(np.float64)),
            Y,
            network.weights,
            network.biases,
            _output(network.cost),
            (validation.compressed(dtype), valid_Y, labels),
            threads=measuring_threads(),
        )
        pairs = self.n * network.sizes[-1]
        return ProbeMeasures(
            total / self.n,
            saturated / pairs,
            wrong / pairs,
            tuple(
                s / (self.n * width) for s, width in zip(delta_sums, network.sizes[1:], strict=True)
            ),
            tuple(norm / self.n for norm in gradient_norms),
            correct / validation.n,
        )

    def _probe_numpy(
        self,
        network: Network,
        Y: NDArray[np.float64],
        valid_X: NDArray[np.floating],
        valid_labels: NDArray[np.int64],
    ) -> ProbeMeasures:
        X = self.data.X.astype(np.float64)
        wide = Network(
            network.sizes,
            [W.astype(np.float64) for W in network.weights],
            [b.astype(np.float64) for b in network.biases],
            network.cost,
        )
        inputs, deltas = wide.deltas(X, Y)
        saturation, saturated_wrong = wide.saturation(X, Y)
        return ProbeMeasures(
            wide.total_cost(X, Y),
            saturation,
            saturated_wrong,
            tuple(float(np.abs(d).mean()) for d in deltas),
            tuple(
                float(np.linalg.norm(A.T @ d / len(X))) for A, d in zip(inputs, deltas, strict=True)
            ),
            network.accuracy(valid_X, valid_labels),
        )


def _output(cost: Cost) -> OutputLayer:
    """The output layer and cost as the compiled loops read them."""
    from ..kernel.compiled_forward import OutputLayer

    return OutputLayer(cost.output, cost.formula, cost.delta_has_sigma_prime, SATURATION_THRESHOLD)


# The evaluators of the data objects alive, by the object's identity: the same object (a run's
# training set, a probe's sample) is compressed once, however often it is measured.
_EVALUATORS: dict[int, tuple[weakref.ref[TrainingData], Evaluator]] = {}
# Reentrant: a collection inside evaluator_for may call an object's forget in the same thread.
_EVALUATORS_LOCK = threading.RLock()


def evaluator_for(data: TrainingData) -> Evaluator:
    """The evaluator of ``data`` (this very object): built on first use, forgotten when the
    object is."""
    key = id(data)
    with _EVALUATORS_LOCK:
        entry = _EVALUATORS.get(key)
        if entry is not None and entry[0]() is data:
            return entry[1]

        def forget(ref: weakref.ref[TrainingData]) -> None:
            with _EVALUATORS_LOCK:
                if key in _EVALUATORS and _EVALUATORS[key][0] is ref:
                    del _EVALUATORS[key]

        evaluator = Evaluator(data)
        _EVALUATORS[key] = (weakref.ref(data, forget), evaluator)
        return evaluator
