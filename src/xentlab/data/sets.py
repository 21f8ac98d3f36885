"""The data sets xentlab knows, and loading one by name: MNIST and Fashion-MNIST from IDX files
(split 50,000 / 10,000 / 10,000 as in the book), the book's pickle, and scikit-learn's embedded
8 × 8 digits (no download)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .. import checks
from ..errors import FormatError
from .idx import IDX_FILES, read_idx
from .labelled import Dataset, LabelledData
from .location import find_file, resolve_data_dir
from .mnist_pkl import PKL_NAME, read_mnist_pkl

DATASETS = checks.OneOf(("mnist", "fashion-mnist", "digits", "mnist-pkl"))
VALIDATION_SIZE = 10_000  # the last 10,000 training images, as in the book


def load_dataset(
    name: str, data_dir: str | os.PathLike[str] | None = None, seed: int = 0
) -> Dataset:
    """Data set ``name`` (one of DATASETS); ``seed`` only affects the digits split."""
    DATASETS.check("dataset", name)
    if name == "digits":
        return load_digits(seed)
    directory = resolve_data_dir(name, data_dir)
    if name == "mnist-pkl":
        return read_mnist_pkl(find_file(directory, PKL_NAME.removesuffix(".gz")))
    return load_idx_dataset(name, directory)


# --- MNIST-style IDX files -------------------------------------------------------------------


def _idx_split(images_path: Path, labels_path: Path) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3:
        raise FormatError(f"{images_path}: images must be 3-D (n, rows, cols); got {images.shape}")
    if labels.ndim != 1:
        raise FormatError(f"{labels_path}: labels must be 1-D; got shape {labels.shape}")
    if len(images) != len(labels):
        raise FormatError(
            f"{images_path} holds {len(images)} images but {labels_path} {len(labels)} labels"
        )
    if len(labels) and labels.max() > 9:
        raise FormatError(f"{labels_path}: labels must be digits 0..9; found {labels.max()}")
    return images, labels


def _as_labelled(images: NDArray[np.uint8], labels: NDArray[np.uint8]) -> LabelledData:
    X = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)
    return LabelledData(np.ascontiguousarray(X), labels.astype(np.int64))


def load_idx_dataset(name: str, directory: Path) -> Dataset:
    """MNIST-style data in ``directory``: the training file's last 10,000 images become the
    validation set, the rest the training set; t10k is the test set."""
    paths = {key: find_file(directory, stem) for key, stem in IDX_FILES.items()}
    train_images, train_labels = _idx_split(paths["train_images"], paths["train_labels"])
    test_images, test_labels = _idx_split(paths["test_images"], paths["test_labels"])
    if len(train_images) <= VALIDATION_SIZE:
        raise FormatError(
            f"{paths['train_images']}: {len(train_images)} training images leave none after "
            f"the {VALIDATION_SIZE} validation images"
        )
    if len(test_images) == 0:
        raise FormatError(f"{paths['test_images']}: holds no test images")
    if train_images.shape[1:] != test_images.shape[1:]:
        raise FormatError(
            f"training images are {train_images.shape[1:]} but test images {test_images.shape[1:]}"
        )
    cut = len(train_images) - VALIDATION_SIZE
    return Dataset(
        name,
        _as_labelled(train_images[:cut], train_labels[:cut]),
        _as_labelled(train_images[cut:], train_labels[cut:]),
        _as_labelled(test_images, test_labels),
        10,
        (int(train_images.shape[1]), int(train_images.shape[2])),
    )


# --- the embedded digits ---------------------------------------------------------------------


def load_digits(seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8 × 8 digits (1,797 images, no download), pixels scaled from
    0..16 to [0, 1], split 60 / 20 / 20 % into training, validation and test by ``seed``."""
    from sklearn.datasets import load_digits as sklearn_digits

    seed = checks.int_at_least("seed", seed, 0)
    bunch = sklearn_digits()
    X = (bunch.data / 16.0).astype(np.float32)
    labels = bunch.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(X))
    cuts = (int(0.6 * len(X)), int(0.8 * len(X)))
    parts = np.split(order, cuts)
    train, validation, test = (LabelledData(np.ascontiguousarray(X[p]), labels[p]) for p in parts)
    return Dataset("digits", train, validation, test, 10, (8, 8))
