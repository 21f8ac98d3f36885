"""The scikit-learn regressor: targets in [0, 1] (a sigmoid output's range), one output
neuron per target column; predictions are the outputs a = σ(z); validation scored by R².
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions

from ..data import TrainingData
from ..errors import XentlabError
from ..functions import sigmoid
from ..model import Network
from ..training import EpochRecord
from .base import _SIGMOID_COSTS, _SigmoidNetwork


class SigmoidNetworkRegressor(RegressorMixin, _SigmoidNetwork):  # type: ignore[misc]
    """A regressor onto targets in [0, 1]: a network of sigmoid neurons whose outputs a = σ(z)
    are the predictions, trained by mini-batch SGD.

    A sigmoid output cannot leave (0, 1), so fit refuses targets outside [0, 1] (beyond the
    few units in the last place a scaler's rounding leaves, which are clipped): scale them
    first (``TransformedTargetRegressor(regressor, transformer=MinMaxScaler())``). Either cost
    is minimised at a = y: the quadratic C = 1/(2n) Σ_x ‖y − a‖², or the cross-entropy
    C = −1/n Σ_x Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)], whose gradient has no σ'(z) factor.
    y may have several columns (one output neuron each). Scale the inputs too (a Pipeline with
    a scaler).

    Parameters are those of :class:`SigmoidNetworkClassifier`, except: ``cost`` is
    "cross-entropy" (default) or "quadratic", ``output`` None, "sigmoid" or "linear" (with the
    quadratic cost; its targets stay in [0, 1] as a sigmoid's); early stopping holds out a random
    ``validation_fraction`` and judges the validation cost (lower is better).

    Attributes are those of the classifier without ``classes_``; ``n_outputs_`` is the number
    of target columns, and ``validation_scores_`` holds the validation R² after each epoch.
    """

    _parameter_constraints = {
        **_SigmoidNetwork._parameter_constraints,
        "cost": [StrOptions(set(_SIGMOID_COSTS))],
        "output": [StrOptions({"sigmoid", "linear"}), None],  # no softmax: no classes here
    }

    def fit(self, X: Any, y: Any) -> SigmoidNetworkRegressor:
        """Train a new network on (X, y) (or, with warm_start, continue the fitted one)."""
        self._train(X, y, incremental=False)
        return self

    def partial_fit(self, X: Any, y: Any) -> SigmoidNetworkRegressor:
        """One epoch on (X, y), continuing the fitted network (or starting one)."""
        self._train(X, y, incremental=True)
        return self

    def predict(self, X: Any) -> NDArray[np.floating]:
        """The outputs a = σ(z) (a = z for a linear output) for each row: shape (n,) for one
        target, else (n, n_outputs_)."""
        z = self._output_z(X)  # checks the fit first
        a = self.network_.cost.activation(z)
        return a[:, 0] if self.n_outputs_ == 1 else a

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _encode_targets(
        self, y: Any, continuing: bool, classes: Any
    ) -> tuple[NDArray[Any], int, bool]:
        # A scaler's arithmetic leaves its bounds a few units in the last place out (MinMaxScaler
        # maps the largest y to 1.0000000000000002): so much is rounding, and is clipped.
        rounding = 8 * np.finfo(y.dtype if y.dtype.kind == "f" else np.float64).eps
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if Y.min() < -rounding or Y.max() > 1 + rounding:
            raise XentlabError(
                f"y must lie in [0, 1], the range of a sigmoid output; got values from "
                f"{Y.min():g} to {Y.max():g} (scale y first, e.g. TransformedTargetRegressor "
                "with a MinMaxScaler)"
            )
        if continuing and Y.shape[1] != self.n_outputs_:
            raise XentlabError(
                f"y must have {self.n_outputs_} target columns, as in the fit being continued; "
                f"got {Y.shape[1]}"
            )
        return np.clip(Y, 0, 1), Y.shape[1], False

    def _validation_score(
        self, network: Network, record: EpochRecord, validation: TrainingData
    ) -> float:
        """R² on the validation data, as ``score`` measures it."""
        predicted = sigmoid(network.output_z(validation.X).astype(np.float64))
        wanted = validation.targets(network.sizes[-1], np.dtype(np.float64))
        return float(r2_score(wanted, predicted))
