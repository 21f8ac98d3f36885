"""The scikit-learn classifier: labels of any type (one per row) or a multilabel indicator
matrix, encoded as class indices or 0/1 targets for a network of sigmoid (or softmax) outputs;
predictions and probabilities read from the output layer's z; validation scored by accuracy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from ..data import TrainingData
from ..errors import XentlabError
from ..functions import Output, sigmoid, softmax, softplus
from ..model import Network
from ..training import EpochRecord
from .base import _SIGMOID_COSTS, _SigmoidNetwork


class SigmoidNetworkClassifier(ClassifierMixin, _SigmoidNetwork):  # type: ignore[misc]
    """A classifier: a feed-forward network of sigmoid neurons trained by mini-batch SGD.

    One output neuron per class, binary problems included (two outputs); the desired output
    y(x) of an input of class j is the unit vector e_j, and the predicted class is the most
    active output. Labels may be of any type scikit-learn accepts (integers, strings, booleans,
    objects, pandas categoricals). A multilabel indicator matrix y (0/1, one column per label)
    trains one sigmoid output per label towards y itself, and an output a_j > 1/2 predicts its
    label; it needs a sigmoid output (cross-entropy or quadratic).

    Scale the inputs first (a Pipeline with a StandardScaler or MinMaxScaler): the network
    sees X as it is, converted to ``dtype``.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(30,)
        Neurons in each hidden layer; () for none (a single layer of sigmoid outputs).
    cost : {"cross-entropy", "quadratic", "log-likelihood"}, default="cross-entropy"
        The cost C (see xentlab.sklearn's description); "log-likelihood" makes the output layer
        softmax, whose rows sum to 1.
    output : {"sigmoid", "softmax", "linear"} or None, default=None
        The output layer's activation; None is the cost's own (softmax for "log-likelihood",
        sigmoid otherwise). "linear" (a = z) goes with the quadratic cost only: its δ = a − y
        carries no σ'(z). A pair that does not go together is refused at ``fit``.
    eta : float, default=0.5
        The learning rate η of w → w − η ∂C/∂w.
    batch_size : int, default=10
        Examples per mini-batch m (at most the training set: fewer rows are one mini-batch).
    epochs : int, default=30
        Passes over the training data (fewer if early stopping ends training).
    lmbda : float, default=0.0
        Regularisation strength λ: C + λ/(2n) Σ w² (L2) or C + λ/n Σ |w| (L1).
    regularization : {"l2", "l1"}, default="l2"
    init : {"default", "large", "saturated"}, default="default"
        Weights N(0, 1/n_in); N(0, 1) ("large", neurons start saturated); or the default with
        every output starting saturated at a ≈ 1 ("saturated": the article's slow start).
    dtype : {"float32", "float64"}, default="float32"
        The network's floating type; X is converted to it.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified) and stop after
        ``n_iter_no_change`` epochs without a better validation accuracy (for multilabel y:
        a lower validation cost). The network kept is the one of the best validation score
        (the first, if several tie), as MLPClassifier keeps. ``fit`` only.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the shuffles and the validation split. An int is xentlab's seed
        itself: the same network and shuffles as ``xentlab.training`` with that seed.
    verbose : bool or int, default=False
        Print one line per epoch: training cost, output saturation, validation score.
    warm_start : bool, default=False
        Let ``fit`` continue the fitted network (and its shuffles) instead of starting afresh;
        hidden_layer_sizes, cost and dtype must then stay as they were.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (for multilabel y, the label columns 0..k−1).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X had string column names (a DataFrame).
    n_outputs_ : int
        Output neurons: the number of classes (2 for a binary problem), or of labels.
    n_iter_ : int
        Epochs trained, over all continued fits.
    loss_curve_ : list of float
        The training cost C after each epoch, regularisation term included.
    saturation_curve_ : list of float
        After each epoch, the fraction of (example, output) pairs of the output layer with
        σ'(z) < 0.01, on up to 1,000 training examples. Outputs saturated at the right answer
        (confident, and harmless) count too: the slowdown is saturation at the wrong one, as
        at the start of an init="saturated" network, which the quadratic cost keeps for epochs.
    validation_scores_ : list of float or None
        The validation accuracy after each epoch (with early stopping), else None; for
        multilabel y, the fraction of rows with every label right.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    network_ : xentlab.model.Network
        The trained network.
    """

    _multilabel: bool  # y was a multilabel indicator matrix

    def fit(self, X: Any, y: Any) -> SigmoidNetworkClassifier:
        """Train a new network on (X, y) (or, with warm_start, continue the fitted one)."""
        self._train(X, y, incremental=False)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> SigmoidNetworkClassifier:
        """One epoch on (X, y), continuing the fitted network. ``classes``, every label y may
        ever hold, is required on the first call, as scikit-learn's convention has it."""
        if not hasattr(self, "network_") and classes is None:
            raise XentlabError(
                "classes must be given on the first call to partial_fit: every class y may "
                "hold in any call (np.unique of all the labels, say)"
            )
        self._train(X, y, incremental=True, classes=classes)
        return self

    def predict(self, X: Any) -> NDArray[Any]:
        """The class of the most active output neuron for each row (multilabel: a 0/1 row,
        1 where a_j > 1/2, that is where z_j > 0)."""
        z = self._output_z(X)
        if self._multilabel:
            return (z > 0).astype(np.int64)
        return np.asarray(self.classes_[np.argmax(z, axis=1)])

    def predict_proba(self, X: Any) -> NDArray[np.floating]:
        """Class probabilities, one column per class of ``classes_``, each row summing to 1.

        Under log-likelihood they are the softmax outputs. Sigmoid outputs are independent, so
        each row of a = σ(z) is normalised, p_j = a_j / Σ_k a_k (computed as softmax(ln σ(z)),
        finite for every z); the most probable class stays the most active output. A linear
        output's a = z are no probabilities: they are read as logits, p = softmax(z). For
        multilabel y each column is its own label's probability a_j, not normalised.
        """
        z = self._output_z(X)
        if self._multilabel:
            return sigmoid(z)
        if self.network_.cost.output is not Output.SIGMOID:
            return softmax(z)
        return softmax(-softplus(-z))  # ln σ(z) = −softplus(−z)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _encode_targets(
        self, y: Any, continuing: bool, classes: Any
    ) -> tuple[NDArray[Any], int, bool]:
        if hasattr(y, "toarray"):  # a sparse multilabel indicator matrix
            y = y.toarray()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        multilabel = type_of_target(y, input_name="y") == "multilabel-indicator"
        if y.ndim == 2 and not multilabel:
            raise XentlabError(
                "y with several columns must be a multilabel indicator matrix of 0s and 1s; "
                f"got {type_of_target(y, input_name='y')} targets"
            )
        if continuing and multilabel != self._multilabel:
            was = "multilabel" if self._multilabel else "one label per row"
            raise XentlabError(f"y must be {was}, as in the fit being continued")
        if multilabel:
            return self._encode_multilabel(y, continuing, classes)
        if not continuing:
            encoder = LabelEncoder().fit(y if classes is None else column_or_1d(classes))
            if len(encoder.classes_) < 2:
                raise XentlabError(
                    "y must hold at least 2 classes for a classifier; got 1 class, "
                    f"{encoder.classes_[0]!r}"
                )
            self._label_encoder, self.classes_, self._multilabel = encoder, encoder.classes_, False
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise XentlabError(
                f"classes must be the classes of the first call, {list(self.classes_)}; got "
                f"{list(np.unique(classes))}"
            )
        labels = self._label_encoder.transform(y).astype(np.int64)
        return labels, len(self.classes_), True

    def _encode_multilabel(
        self, y: NDArray[Any], continuing: bool, classes: Any
    ) -> tuple[NDArray[Any], int, bool]:
        if self.cost not in _SIGMOID_COSTS:
            raise XentlabError(
                f"cost must be one of {', '.join(_SIGMOID_COSTS)} for multilabel y (a sigmoid "
                f"output per label); got {self.cost!r}, whose softmax output picks one class"
            )
        if self.output not in (None, Output.SIGMOID):
            raise XentlabError(
                f"output must be sigmoid for multilabel y (each label's a = σ(z) is its "
                f"probability, 1 where z > 0); got {self.output!r}"
            )
        values = np.unique(y)
        if not set(values.tolist()) <= {0, 1}:
            raise XentlabError(
                "y as a multilabel indicator matrix must hold only 0s and 1s; got values "
                f"{', '.join(map(str, values[:5]))}"
            )
        labels = np.arange(y.shape[1])
        if classes is not None and not np.array_equal(np.unique(classes), labels):
            raise XentlabError(
                f"classes must be the label columns 0..{len(labels) - 1} for multilabel y; got "
                f"{list(np.unique(classes))}"
            )
        if continuing and len(labels) != len(self.classes_):
            raise XentlabError(
                f"y must have {len(self.classes_)} label columns, as in the fit being "
                f"continued; got {len(labels)}"
            )
        self.classes_, self._multilabel = labels, True
        return y.astype(np.float64), len(labels), False

    def _validation_score(
        self, network: Network, record: EpochRecord, validation: TrainingData
    ) -> float:
        """The accuracy on the validation data, as ``score`` measures it."""
        if record.evaluation_accuracy is not None:  # one label per row: the loop measured it
            return record.evaluation_accuracy
        predicted = network.output_z(validation.X) > 0
        wanted = validation.targets(network.sizes[-1], np.dtype(np.float64)) > 0.5
        return float(np.mean(np.all(predicted == wanted, axis=1)))  # exact rows, as score
