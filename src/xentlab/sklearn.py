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
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .data import TrainingData
from .errors import XentlabError
from .functions import COST_NAMES, sigmoid, softmax, softplus
from .model import DTYPES, INITS, MAX_LAYER_SIZE, REGULARIZATIONS, Network
from .runs import DEFAULT_COST, DEFAULT_DTYPE, DEFAULT_INIT
from .training import (
    MAX_EPOCHS,
    EpochRecord,
    TrainConfig,
    TrainState,
    check_labelled,
    check_targets,
    fit,
)

_DEFAULTS = TrainConfig()  # the estimators' training defaults are xentlab's own
_SIGMOID_COSTS = ("cross-entropy", "quadratic")


class _EpochLog:
    """The estimators' training observer: after each epoch, the validation score (when there
    is validation data) and, when verbose, one line on stdout."""

    def __init__(
        self,
        verbose: bool,
        epochs_before: int,
        epochs_total: int,
        validation: TrainingData | None,
        score: Callable[[Network, EpochRecord, TrainingData], float],
    ) -> None:
        self.verbose = verbose
        self.epochs_before = epochs_before
        self.epochs_total = epochs_total
        self.validation = validation
        self.score = score
        self.scores: list[float] = []
        self.best: Network | None = None  # the network of the best validation score so far

    def on_batches(self, state: TrainState, done: int, total: int) -> None:
        pass

    def on_epoch(self, state: TrainState, record: EpochRecord) -> None:
        parts = [
            f"Epoch {self.epochs_before + record.epoch}/{self.epochs_total}",
            f"training cost = {record.training_cost:.6f}",
        ]
        if record.output_saturation is not None:
            parts.append(f"output saturation = {record.output_saturation:.1%}")
        if self.validation is not None:
            self.scores.append(self.score(state.network, record, self.validation))
            if self.scores[-1] == max(self.scores):
                self.best = state.network.copy()
            parts.append(f"validation score = {self.scores[-1]:.4f}")
        if self.verbose:
            print(", ".join(parts))  # the estimator's verbose output, as scikit-learn's own


# scikit-learn ships no type information: its classes are Any to mypy, hence the ignores.
class _SigmoidNetwork(BaseEstimator):  # type: ignore[misc]
    """What both estimators share: the parameters, training, continuing and the fitted curves.
    Subclasses say what y means (:meth:`_encode_targets`) and how validation is scored."""

    _parameter_constraints: dict[str, list[Any]] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, MAX_LAYER_SIZE, closed="both")],
        "cost": [StrOptions(set(COST_NAMES))],
        "eta": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, MAX_EPOCHS, closed="both")],
        "lmbda": [Interval(Real, 0, None, closed="left")],
        "regularization": [StrOptions(set(REGULARIZATIONS))],
        "init": [StrOptions(set(INITS))],
        "dtype": [StrOptions(set(DTYPES))],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes: Any = (30,),
        *,
        cost: str = DEFAULT_COST,
        eta: float = _DEFAULTS.eta,
        batch_size: int = _DEFAULTS.batch_size,
        epochs: int = _DEFAULTS.epochs,
        lmbda: float = _DEFAULTS.lmbda,
        regularization: str = _DEFAULTS.regularization,
        init: str = DEFAULT_INIT,
        dtype: str = DEFAULT_DTYPE,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        random_state: Any = None,
        verbose: bool | int = False,
        warm_start: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.cost = cost
        self.eta = eta
        self.batch_size = batch_size
        self.epochs = epochs
        self.lmbda = lmbda
        self.regularization = regularization
        self.init = init
        self.dtype = dtype
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # --- what subclasses say -------------------------------------------------------------

    def _encode_targets(
        self, y: Any, continuing: bool, classes: Any
    ) -> tuple[NDArray[Any], int, bool]:
        """(encoded y, output neurons, stratify the validation split): encoded y is a column
        of class indices (labelled data) or a matrix of targets in [0, 1]."""
        raise NotImplementedError

    def _validation_score(
        self, network: Network, record: EpochRecord, validation: TrainingData
    ) -> float:
        """The score of ``network`` on the validation data after an epoch, as ``score``
        measures it (higher is better)."""
        raise NotImplementedError

    # --- training ------------------------------------------------------------------------

    def _train(self, X: Any, y: Any, incremental: bool, classes: Any = None) -> None:
        """Train on (X, y): a fresh network, or with ``incremental`` (partial_fit: one epoch)
        or ``warm_start`` the fitted one continued."""
        self._validate_params()
        continuing = hasattr(self, "network_") and (incremental or self.warm_start)
        hidden = self._hidden_sizes()
        if continuing:
            self._check_unchanged(hidden, "partial_fit" if incremental else "warm_start")
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            dtype=np.dtype(self.dtype),
            multi_output=True,
            y_numeric=isinstance(self, RegressorMixin),
        )
        encoded, outputs, stratify = self._encode_targets(y, continuing, classes)
        seed = self._seed()
        X_val = encoded_val = None
        if self.early_stopping and not incremental:
            X, X_val, encoded, encoded_val = train_test_split(
                X,
                encoded,
                test_size=self.validation_fraction,
                random_state=seed,
                stratify=encoded if stratify else None,
            )
        if continuing:
            network = self.network_
        else:
            sizes = (X.shape[1], *hidden, outputs)
            network = Network.create(sizes, self.cost, self.init, seed, self.dtype)
        training = _training_data(network, X, encoded, "training")
        evaluation = None
        if X_val is not None:
            evaluation = _training_data(network, X_val, encoded_val, "validation")
        config = TrainConfig(
            epochs=1 if incremental else self.epochs,
            # a training set smaller than one mini-batch trains in one mini-batch of all rows
            batch_size=min(self.batch_size, len(X)),
            eta=self.eta,
            lmbda=self.lmbda,
            regularization=self.regularization,
            early_stop=self.n_iter_no_change if evaluation is not None else None,
            seed=seed,
        )
        state = (
            TrainState(network, config, self._rng, config.eta)
            if continuing
            else TrainState.start(network, config)
        )
        before = self.n_iter_ if continuing else 0
        log = _EpochLog(
            bool(self.verbose), before, before + config.epochs, evaluation, self._validation_score
        )
        fit(state, training, evaluation, observers=[log])
        self._record(state, log, continuing)

    def _record(self, state: TrainState, log: _EpochLog, continuing: bool) -> None:
        """The fitted attributes, continued from the previous fit when ``continuing``."""
        records = state.history.records
        if not continuing:
            self.n_iter_ = 0
            self.loss_curve_: list[float] = []
            self.saturation_curve_: list[float] = []
            self.validation_scores_: list[float] | None = None
        # With early stopping the network kept is the best on validation, as MLPClassifier's
        # is: the epochs after it, run only to see that nothing improves, are undone.
        self.network_ = log.best if log.best is not None else state.network
        self.n_outputs_ = state.network.sizes[-1]
        self._rng = state.rng  # a continued fit goes on drawing shuffles from here
        self.n_iter_ += len(records)
        self.loss_curve_ += [r.training_cost for r in records]
        self.saturation_curve_ += [  # the loop measures it every epoch (None in older files)
            r.output_saturation for r in records if r.output_saturation is not None
        ]
        if log.validation is not None:
            self.validation_scores_ = (self.validation_scores_ or []) + log.scores
        scores = self.validation_scores_
        self.best_validation_score_ = max(scores) if scores else None

    def _hidden_sizes(self) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, Integral) else tuple(np.ravel(sizes))
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, Integral):
                size = None
            if size is None or not 1 <= size <= MAX_LAYER_SIZE:
                raise XentlabError(
                    f"hidden_layer_sizes must hold integers from 1 to {MAX_LAYER_SIZE}, one per "
                    f"hidden layer; got {self.hidden_layer_sizes!r}"
                )
        return tuple(int(size) for size in sizes)

    def _check_unchanged(self, hidden: tuple[int, ...], how: str) -> None:
        """Refuse to continue the fitted network under settings that describe another one."""
        network = self.network_
        for name, now, fitted in (
            ("hidden_layer_sizes", hidden, network.sizes[1:-1]),
            ("cost", self.cost, network.cost.name),
            ("dtype", self.dtype, network.dtype.name),
        ):
            if now != fitted:
                raise XentlabError(
                    f"{how} continues the fitted network, so {name} must stay {fitted!r}; got "
                    f"{now!r} (set warm_start=False and call fit to start afresh)"
                )

    def _seed(self) -> int:
        """xentlab's seed (weights, shuffles, the validation split) from ``random_state``: an
        integer as it is, otherwise drawn from it."""
        if isinstance(self.random_state, Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _output_z(self, X: Any) -> NDArray[np.float64]:
        """The output layer's z for the rows of X, checked against the fit, in float64."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=self.network_.dtype)
        return self.network_.output_z(X).astype(np.float64)


def _training_data(network: Network, X: Any, encoded: Any, name: str) -> TrainingData:
    """A column of class indices is labelled data; a matrix of targets is target data."""
    if encoded.ndim == 1:
        return check_labelled(network, X, encoded, name)
    return check_targets(network, X, encoded, name)


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
        The cost C (see the module's description); "log-likelihood" makes the output layer
        softmax, whose rows sum to 1.
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
        finite for every z); the most probable class stays the most active output. For
        multilabel y each column is its own label's probability a_j, not normalised.
        """
        z = self._output_z(X)
        if self._multilabel:
            return sigmoid(z)
        if self.network_.cost.softmax_output:
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
    "cross-entropy" (default) or "quadratic"; early stopping holds out a random
    ``validation_fraction`` and judges the validation cost (lower is better).

    Attributes are those of the classifier without ``classes_``; ``n_outputs_`` is the number
    of target columns, and ``validation_scores_`` holds the validation R² after each epoch.
    """

    _parameter_constraints = {
        **_SigmoidNetwork._parameter_constraints,
        "cost": [StrOptions(set(_SIGMOID_COSTS))],
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
        """The outputs a = σ(z) for each row: shape (n,) for one target, else (n, n_outputs_)."""
        a = sigmoid(self._output_z(X))
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
