"""Training data: inputs as rows with one integer label each, or with a row of targets each;
and a data set's three parts.

:class:`LabelledData` is the one type for labelled examples, whatever reads or checks them:
X has shape (n, features), a floating array (a data set's images are float32 in [0, 1]), and
labels has shape (n,), int64, the class of each row. :class:`TargetData` is the one type for
examples whose desired outputs are given as they are: X as above and Y (n, outputs) in [0, 1]
(regression onto a sigmoid output, or several labels per row). Both say what the output layer
should produce for each row, ``targets(outputs, dtype)``: the one place training asks.
:class:`Dataset` is a named data set's training, validation and test parts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from ..functions import one_hot

FINGERPRINT_STRIDE = 97  # the fingerprint hashes every 97th value of X


@dataclass(frozen=True)
class LabelledData:
    """Inputs as rows X (n, features), floating, and integer labels (n,), int64."""

    X: NDArray[np.floating]
    labels: NDArray[np.int64]

    def fingerprint(self) -> str:
        """SHA-256 of the labels, the shape and every 97th value of X: tells data sets apart
        (a checkpoint refuses to resume on other data) without hashing all of X.

        The bytes hashed, in order: the labels as little-endian int64, ``repr(X.shape)``, and
        X[::97] (X flattened in C order) as little-endian float64.
        """
        digest = hashlib.sha256(self.labels.astype("<i8").tobytes())
        digest.update(repr(self.X.shape).encode())
        every = self.X.reshape(-1)[::FINGERPRINT_STRIDE]
        digest.update(np.ascontiguousarray(every, "<f8").tobytes())
        return digest.hexdigest()

    def targets(self, outputs: int, dtype: np.dtype) -> NDArray[np.floating]:
        """The desired outputs y(x): one-hot rows, a 1 in the column of each row's label."""
        return one_hot(self.labels, outputs, dtype)

    def head(self, n: int) -> LabelledData:
        """The first n examples."""
        return LabelledData(self.X[:n], self.labels[:n])


@dataclass(frozen=True)
class TargetData:
    """Inputs as rows X (n, features), floating, and their desired outputs Y (n, outputs), each
    in [0, 1] (a sigmoid output's range). No labels: accuracy does not apply, the cost does."""

    X: NDArray[np.floating]
    Y: NDArray[np.floating]

    def targets(self, outputs: int, dtype: np.dtype) -> NDArray[np.floating]:
        """The desired outputs y(x): Y itself, in ``dtype`` (checked to be ``outputs`` wide
        where the data entered, ``training.check_targets``)."""
        return self.Y.astype(dtype, copy=False)

    def head(self, n: int) -> TargetData:
        """The first n examples."""
        return TargetData(self.X[:n], self.Y[:n])


# What a network can be trained on: labelled examples (classification) or targets.
TrainingData: TypeAlias = LabelledData | TargetData


@dataclass(frozen=True)
class Dataset:
    """A named data set: training, validation and test parts, the number of classes and the
    shape (rows, columns) of one image; each row of X is an image flattened in C order."""

    name: str
    train: LabelledData
    validation: LabelledData
    test: LabelledData
    n_classes: int
    image_shape: tuple[int, int]
