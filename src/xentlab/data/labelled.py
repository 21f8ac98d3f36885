"""Labelled data: inputs as rows with one integer label each, and a data set's three parts.

:class:`LabelledData` is the one type for labelled examples, whatever reads or checks them:
X has shape (n, features), a floating array (a data set's images are float32 in [0, 1]), and
labels has shape (n,), int64, the class of each row. :class:`Dataset` is a named data set's
training, validation and test parts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

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
