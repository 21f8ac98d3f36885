"""What both scikit-learn estimators share: the parameters and their constraints, training
(fresh, warm-started or one epoch at a time), the fitted attributes, and the observer that
scores validation data and prints progress when verbose.

Training goes through ``xentlab.training.fit``, the loop ``xentlab train`` runs, directly: the
run layer trains named data sets from files, an estimator the arrays it is given. Subclasses
say what y means (:meth:`_SigmoidNetwork._encode_targets`) and how validation is scored.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..data import TrainingData
from ..errors import XentlabError
from ..functions import SIGMOID_COST_NAMES, get_cost
from ..model import MAX_LAYER_SIZE, Network
from ..settings import TRAINING_SETTINGS
from ..training import (
    EpochRecord,
    TrainConfig,
    TrainState,
    check_labelled,
    check_targets,
    fit,
)
from . import parameters

TRAINING_FIELDS = {s.name for s in TRAINING_SETTINGS}
_SIGMOID_COSTS = tuple(SIGMOID_COST_NAMES)  # a sigmoid output: multilabel y, the regressor


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

    # Derived from xentlab.settings (sklearn.parameters): one parameter per setting offered to
    # the estimators, and scikit-learn's own.
    _parameter_constraints: dict[str, list[Any]] = parameters.parameter_constraints()
    __init__ = parameters.derived_init()

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
        get_cost(self.cost, output=self.output)  # a pair that does not go, refused by name
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
            network = Network.create(sizes, self.cost, self.init, seed, self.dtype, self.output)
        training = _training_data(network, X, encoded, "training")
        evaluation = None
        if X_val is not None:
            evaluation = _training_data(network, X_val, encoded_val, "validation")
        chosen = parameters.training_settings(self.get_params(deep=False))
        del chosen["hidden"]  # the sizes above hold them
        config = TrainConfig(
            **{
                **{k: v for k, v in chosen.items() if k in TRAINING_FIELDS},
                "epochs": 1 if incremental else self.epochs,
                # a training set smaller than one mini-batch trains in one of all its rows
                "batch_size": min(self.batch_size, len(X)),
                "early_stop": self.n_iter_no_change if evaluation is not None else None,
                "seed": seed,
            }
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
            ("output", self.output or str(network.cost.output), str(network.cost.output)),
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
