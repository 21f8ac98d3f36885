"""scikit-learn estimators over xentlab's sigmoid networks: a classifier and a regressor.

:class:`SigmoidNetworkClassifier` and :class:`SigmoidNetworkRegressor` are front ends: they
check what scikit-learn hands them, build a :class:`~xentlab.model.Network`, train it with
``xentlab.training.fit`` (the same loop, guard and measurements as ``xentlab train``) and read
the results back as fitted attributes. Progress (``verbose``) reaches them through a training
observer; the loop itself never prints.

The cost is chosen explicitly, since choosing it is the point of the article. With a = σ(z) the
output activations and y the desired outputs of a training input x, over n inputs:

    cross-entropy   C = −1/n Σ_x Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)],  δ = a − y
    quadratic       C = 1/(2n) Σ_x ‖y − a‖²,                                δ = (a − y) σ'(z)
    log-likelihood  C = −1/n Σ_x ln a_{y(x)}, a = softmax(z)  (classifier), δ = a − y

The quadratic δ carries σ'(z), which is near 0 when an output saturates: a saturated, wrong
output learns slowly under it and fast under the other two (``saturation_curve_`` shows this).

Input scaling is the user's business, as for any scikit-learn estimator: put a scaler in a
:class:`~sklearn.pipeline.Pipeline` (inputs of order 1 keep z = w·x + b away from saturation).

The package: :mod:`.base` holds what both estimators share (the parameters and their
constraints, training, continuing, the fitted curves); :mod:`.classifier` and :mod:`.regressor`
say what y means for each and how validation is scored.
"""

from __future__ import annotations

from .classifier import SigmoidNetworkClassifier
from .regressor import SigmoidNetworkRegressor

__all__ = ["SigmoidNetworkClassifier", "SigmoidNetworkRegressor"]
