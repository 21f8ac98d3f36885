"""A feed-forward network of sigmoid neurons: sizes, weights, biases, cost.

Batches are rows. Layer l maps activations A (n, n_in) to Z = A W + b with W of shape
(n_in, n_out), b of shape (n_out,), and A' = σ(Z); the output layer is sigmoid, softmax for
the log-likelihood cost, or linear (a = z) under the quadratic cost. Back-propagation is
written over the whole batch:

    δ_L = ∂C_x/∂z_L                         (a − y for cross-entropy, log-likelihood, linear)
    δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l)      with σ'(z) = a (1 − a)
    ∂C/∂W_l = A_{l−1}ᵀ δ_l / n,   ∂C/∂b_l = Σ_x δ_l / n

This module holds the plain, readable path; ``kernel`` holds the fast epoch loops, tested
against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import checks
from .errors import XentlabError
from .functions import Cost, Output, costs_of, get_cost, sigmoid
from .functions import one_hot as one_hot  # its first home; callers still import it here

if TYPE_CHECKING:
    import torch

# Each initialisation and what it draws (the one list: the options' help texts read it).
INIT_MEANINGS = {
    "default": "weights N(0, 1/n_in)",
    "large": "weights N(0, 1)",
    "saturated": "every output starts saturated and wrong (z ≈ 6)",
}
INITS = checks.OneOf(tuple(INIT_MEANINGS))
# The output layer under the "saturated" init: z near +6, where σ'(6) ≈ 0.0025.
SATURATED_BIAS = 6.0
SATURATED_WEIGHT_SCALE = 0.25  # keeps every output's z within about ±1 of the bias
SATURATION_THRESHOLD = 0.01  # a neuron with σ'(z) below this is saturated
OUTPUT_CHUNK_ROWS = 10_000  # rows of X in one forward pass when measuring, to bound memory
DTYPES = checks.OneOf(("float32", "float64"))
REGULARIZATIONS = checks.OneOf(("l2", "l1"))
MAX_LAYER_SIZE = 100_000
# Weights, biases and what training keeps beside them: the divergence guard's copy, the
# gradients and the L1 sign buffer, four arrays of each shape in all.
COPIES_IN_TRAINING = 4
MAX_NETWORK_BYTES = 4 * 2**30
# The cost of outputs whose activation nothing records (a torch module ending in logits, a
# state_dict): sigmoid outputs under cross-entropy, as for BCEWithLogitsLoss.
LOGITS_COST = "cross-entropy"


def training_bytes(sizes: Sequence[int], dtype: np.dtype) -> int:
    """Bytes of the weights, biases and their training copies for layer sizes ``sizes``."""
    parameters = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True))
    return COPIES_IN_TRAINING * parameters * dtype.itemsize


def check_training_memory(sizes: Sequence[int], dtype: str | np.dtype) -> None:
    """Refuse, before anything is allocated, a network whose training would need more than
    MAX_NETWORK_BYTES (:func:`training_bytes`): the one estimate, made by Network.create and,
    before a cluster starts or data are read, by whoever knows the sizes first (a sweep's
    client, a run about to load its data)."""
    dt = check_dtype(dtype)
    checks.within_memory(
        f"a network with sizes {','.join(map(str, sizes))} in {dt.name}",
        training_bytes(sizes, dt),
        MAX_NETWORK_BYTES,
        "use fewer or smaller layers",
    )


def check_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    """Layer sizes: at least an input and an output layer, each an integer in [1, 100000]."""
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise XentlabError(f"sizes must be a list of layer sizes; got {sizes!r}") from None
    if len(sizes) < 2:
        raise XentlabError(f"sizes must name at least 2 layers (input, output); got {sizes}")
    for size in sizes:
        checks.int_at_least("each layer size", size, 1)
        if size > MAX_LAYER_SIZE:
            raise XentlabError(f"each layer size must be at most {MAX_LAYER_SIZE}; got {size}")
    return tuple(int(s) for s in sizes)


def check_dtype(dtype: str | np.dtype | type) -> np.dtype:
    """float32 or float64, given by name or as a NumPy dtype."""
    name = dtype if isinstance(dtype, str) else np.dtype(dtype).name
    return np.dtype(DTYPES.check("dtype", name))


@dataclass
class Network:
    """Weights W_l (n_in, n_out) and biases b_l (n_out,) for each layer after the input."""

    sizes: tuple[int, ...]
    weights: list[NDArray[np.floating]]
    biases: list[NDArray[np.floating]]
    cost: Cost

    @classmethod
    def create(
        cls,
        sizes: Sequence[int],
        cost: str | Cost = "cross-entropy",
        init: str = "default",
        seed: int = 0,
        dtype: str = "float32",
        output: str | None = None,
    ) -> Network:
        """A new network with Gaussian weights drawn from ``numpy.random.default_rng(seed)``,
        its output layer ``output`` (None: the one the cost implies; see
        :func:`~xentlab.functions.pair_cost` for the pairs allowed).

        ``default``: weights N(0, 1/n_in) (standard deviation 1/√n_in), biases N(0, 1), so z
        starts with variance ≈ 1 and hidden neurons start unsaturated. ``large``: weights and
        biases N(0, 1), the older choice under which z has variance ≈ n_in / 2 and neurons start
        saturated. ``saturated``: the default draws, then the output weights scaled by 1/4 and every
        output bias set to +6, so every sigmoid output starts at a ≈ 1 with σ'(z) < 0.01:
        saturated, and wrong wherever y = 0 — the network's version of the article's neuron
        started at (w, b) = (2, 2). Draws happen
        in float64 and are then cast, so a seed means the same weights in both dtypes (to
        rounding), and the same hidden layers under ``default`` and ``saturated``.
        """
        sizes = check_sizes(sizes)
        cost = get_cost(cost, output=output)
        INITS.check("init", init)
        seed = checks.int_at_least("seed", seed, 0)
        dt = check_dtype(dtype)
        check_training_memory(sizes, dt)
        rng = np.random.default_rng(seed)
        weights, biases = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            scale = 1.0 if init == "large" else 1.0 / np.sqrt(n_in)
            weights.append((rng.standard_normal((n_in, n_out)) * scale).astype(dt))
            biases.append(rng.standard_normal(n_out).astype(dt))
        if init == "saturated":
            weights[-1] *= dt.type(SATURATED_WEIGHT_SCALE)
            biases[-1][:] = SATURATED_BIAS
        return cls(sizes, weights, biases, cost)

    @classmethod
    def from_torch(
        cls, module: Any, cost: str | Cost | None = None, output: str | None = None
    ) -> Network:
        """The network a ``torch.nn.Sequential`` computes: Linear and Sigmoid layers in turn,
        ending in the last Linear (logits z, or a linear output), Sigmoid, Softmax(dim=1) or
        LogSoftmax(dim=1). W_l = weightᵀ, b_l = bias, copied in their dtype (float32 or
        float64).

        ``cost`` defaults from the end of the module: log-likelihood after Softmax or
        LogSoftmax, cross-entropy after Sigmoid or a Linear; ``output`` defaults to the one
        the cost implies (give ``cost="quadratic", output="linear"`` for a module whose last
        Linear is its output). The cost on its output must fit the module: after a Linear any
        (the logits say nothing of the activation); after Sigmoid a sigmoid output; after
        Softmax or LogSoftmax a softmax one. Any other module is refused with an XentlabError
        naming the layer (see ``sequential``).
        """
        from .sequential import LOGITS, MODULE_OUTPUTS, from_sequential

        layers = from_sequential(module)
        named = MODULE_OUTPUTS.get(layers.output)  # None: the logits, any output
        ending = None if named is None else Output(named)
        if cost is None:
            fits = ending is None or get_cost(LOGITS_COST).output is ending
            cost = LOGITS_COST if fits or ending is None else costs_of(ending)[0]
        cost = get_cost(cost, output=output)
        if ending is not None and cost.output is not ending:
            raise XentlabError(
                f"cost {cost.label!r} needs {cost.output} outputs, but module layer "
                f"{layers.output_index} is {layers.output}; give cost "
                f"{' or '.join(costs_of(ending))}, or end the module with its last Linear "
                f"({LOGITS})"
            )
        return cls(check_sizes(layers.sizes), layers.weights, layers.biases, cost)

    def to_torch(self) -> torch.nn.Sequential:
        """An equivalent ``torch.nn.Sequential`` in the network's dtype: Linear, Sigmoid, ...,
        Linear, then Sigmoid (quadratic, cross-entropy), Softmax(dim=1) (log-likelihood) or
        nothing (a linear output), so that its output is :meth:`predict_proba`'s. Linear
        ``weight`` = W_lᵀ (out, in), ``bias`` = b_l; layer l's Linear is at index 2l, so its
        state_dict names are "2l.weight" and "2l.bias". A copy: training it leaves this
        network as it is. Needs torch."""
        from .sequential import to_sequential

        return to_sequential(self.weights, self.biases, self.cost.output)

    @property
    def dtype(self) -> np.dtype:
        return self.weights[0].dtype

    def copy(self) -> Network:
        return Network(
            self.sizes, [w.copy() for w in self.weights], [b.copy() for b in self.biases], self.cost
        )

    def check_inputs(self, X: ArrayLike, name: str = "X") -> NDArray[np.floating]:
        """X as a finite (n, sizes[0]) array of the network's dtype."""
        X = checks.finite_array(name, X, self.dtype)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise XentlabError(
                f"{name} must have shape (n, {self.sizes[0]}) for a network with sizes "
                f"{list(self.sizes)}; got shape {X.shape}"
            )
        return X

    def weighted_inputs(self, X: NDArray[np.floating]) -> list[NDArray[np.floating]]:
        """Activations A_0 = X, ..., A_{L−1} and the output layer's z: [A_0, ..., A_{L−1}, z_L]."""
        layers = [X]
        for W, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            layers.append(sigmoid(layers[-1] @ W + b).astype(self.dtype, copy=False))
        layers.append(layers[-1] @ self.weights[-1] + self.biases[-1])
        return layers

    def output_z(
        self, X: NDArray[np.floating], chunk: int = OUTPUT_CHUNK_ROWS
    ) -> NDArray[np.floating]:
        """The output layer's z for every row of X, computed in chunks of rows to bound memory."""
        parts = [self.weighted_inputs(X[i : i + chunk])[-1] for i in range(0, len(X), chunk)]
        return np.concatenate(parts) if parts else np.empty((0, self.sizes[-1]), self.dtype)

    def predict_proba(self, X: ArrayLike) -> NDArray[np.floating]:
        """The output activations a_L for each row of X (softmax rows sum to 1)."""
        return self.cost.activation(self.output_z(self.check_inputs(X))).astype(self.dtype)

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """The index of the most active output neuron for each row of X."""
        return np.argmax(self.output_z(self.check_inputs(X)), axis=1)

    def deltas(
        self, X: NDArray[np.floating], Y: NDArray[np.floating]
    ) -> tuple[list[NDArray[np.floating]], list[NDArray[np.floating]]]:
        """The inputs A_{l−1} and the errors δ_l = ∂C_x/∂z_l of every layer l after the input,
        row by row: δ_L from the cost, then δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l), σ' = a (1 − a).
        Every hidden δ carries σ'(z), whatever the cost: only the output layer's can lose it."""
        layers = self.weighted_inputs(X)
        inputs = layers[:-1]
        deltas = [self.cost.delta(layers[-1], Y)]
        for layer in range(len(self.weights) - 1, 0, -1):
            A = inputs[layer]
            deltas.insert(0, (deltas[0] @ self.weights[layer].T) * A * (1 - A))
        return inputs, deltas

    def backprop(
        self, X: NDArray[np.floating], Y: NDArray[np.floating]
    ) -> tuple[list[NDArray[np.floating]], list[NDArray[np.floating]]]:
        """∂C/∂W_l = A_{l−1}ᵀ δ_l / m and ∂C/∂b_l = Σ_x δ_l / m of the batch cost
        C = 1/m Σ_x C_x (no regularisation term)."""
        inputs, deltas = self.deltas(X, Y)
        m = X.shape[0]
        grads_w = [A.T @ delta / m for A, delta in zip(inputs, deltas, strict=True)]
        grads_b = [delta.sum(axis=0) / m for delta in deltas]
        return grads_w, grads_b

    def regularization_cost(self, lmbda: float, n: int, regularization: str = "l2") -> float:
        """λ/(2n) Σ w² for L2, λ/n Σ |w| for L1 (biases are not regularised)."""
        REGULARIZATIONS.check("regularization", regularization)
        if lmbda == 0:
            return 0.0
        weights = [W.astype(np.float64) for W in self.weights]
        if regularization == "l2":
            return lmbda / (2 * n) * sum(float(np.sum(W * W)) for W in weights)
        return lmbda / n * sum(float(np.sum(np.abs(W))) for W in weights)

    def regularization_gradient(
        self, lmbda: float, n: int, regularization: str = "l2"
    ) -> list[NDArray[np.floating]]:
        """∂/∂W_l of the regularisation term: λ/n W_l for L2, λ/n sgn(W_l) for L1 (0 where
        w = 0). Added to :meth:`backprop`'s ∂C/∂W_l it gives the gradient the update rule of
        ``kernel`` follows; the biases' gradients gain nothing."""
        REGULARIZATIONS.check("regularization", regularization)
        scale = lmbda / n
        if regularization == "l2":
            return [scale * W for W in self.weights]
        return [scale * np.sign(W) for W in self.weights]

    def total_cost(
        self,
        X: NDArray[np.floating],
        Y: NDArray[np.floating],
        lmbda: float = 0.0,
        n_train: int | None = None,
        regularization: str = "l2",
    ) -> float:
        """C = 1/n Σ_x C_x on (X, Y) plus the regularisation term for a training set of n_train."""
        return self.cost_and_accuracy(X, Y, None, lmbda, n_train, regularization)[0]

    def cost_and_accuracy(
        self,
        X: NDArray[np.floating],
        Y: NDArray[np.floating],
        labels: NDArray[np.integer] | None,
        lmbda: float = 0.0,
        n_train: int | None = None,
        regularization: str = "l2",
    ) -> tuple[float, float | None]:
        """:meth:`total_cost` and, given labels, :meth:`accuracy` (else None), from one forward
        pass: what every epoch's evaluation measures, at half the cost of asking twice."""
        z = self.output_z(X)
        data_cost = self.cost.value(z.astype(np.float64), Y)
        cost = data_cost + self.regularization_cost(lmbda, n_train or len(X), regularization)
        if labels is None:
            return cost, None
        return cost, self._accuracy_from_z(z, labels)

    def saturation(
        self,
        X: NDArray[np.floating],
        Y: NDArray[np.floating],
        threshold: float = SATURATION_THRESHOLD,
    ) -> tuple[float, float]:
        """Two fractions of the (row, output neuron) pairs, from one forward pass: those
        saturated, a (1 − a) = σ'(z) below ``threshold``, and those saturated AND wrong,
        |a − y| > 0.5 as well: the outputs that learn slowly under the quadratic cost. An output
        saturated at the right answer is no problem. A linear output never saturates: (0, 0)."""
        if not self.cost.output.saturates:
            return 0.0, 0.0
        a = self.cost.activation(self.output_z(X).astype(np.float64))
        saturated = a * (1 - a) < threshold
        return float(np.mean(saturated)), float(np.mean(saturated & (np.abs(a - Y) > 0.5)))

    def hidden_saturation(
        self, X: NDArray[np.floating], threshold: float = SATURATION_THRESHOLD
    ) -> tuple[float, ...]:
        """For each hidden layer, the fraction of its (row, neuron) pairs saturated, σ'(z) =
        a (1 − a) below ``threshold``. Every hidden δ carries σ'(z) whatever the cost, so a
        saturated hidden layer stalls learning even under a cost or output that has none."""
        saturated = np.zeros(len(self.sizes) - 2)
        for i in range(0, len(X), OUTPUT_CHUNK_ROWS):
            hidden = self.weighted_inputs(X[i : i + OUTPUT_CHUNK_ROWS])[1:-1]
            saturated += [np.count_nonzero(A * (1 - A) < threshold) for A in hidden]
        pairs = len(X) * np.asarray(self.sizes[1:-1], dtype=float)
        fractions = np.divide(saturated, pairs, out=np.zeros_like(pairs), where=pairs > 0)
        return tuple(float(f) for f in fractions)

    def accuracy(self, X: NDArray[np.floating], labels: NDArray[np.integer]) -> float:
        """The fraction of rows whose most active output neuron is the label."""
        return self._accuracy_from_z(self.output_z(X), labels)

    @staticmethod
    def _accuracy_from_z(z: NDArray[np.floating], labels: NDArray[np.integer]) -> float:
        return float(np.mean(np.argmax(z, axis=1) == labels))
