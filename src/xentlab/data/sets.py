"""The data sets xentlab knows, and loading one by name: MNIST and Fashion-MNIST from IDX files
(split 50,000 / 10,000 / 10,000 as in the book), the book's pickle, and scikit-learn's embedded
8 × 8 digits (no download). What each one's files decode to is kept decoded on disk after its
first load (``decoded_cache``): later loads read it back instead of decoding the files again."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .. import checks
from ..errors import FormatError
from .decoded_cache import Arrays, cached_arrays
from .idx import IDX_FILES, idx_shape, read_idx
from .labelled import Dataset, LabelledData
from .location import check_data_dir, find_file, resolve_data_dir
from .mnist_pkl import PKL_NAME, read_mnist_pkl

DATASETS = checks.OneOf(("mnist", "fashion-mnist", "digits", "mnist-pkl"))
SPLITS = checks.OneOf(("train", "validation", "test"))
INPUTS = {"digits": 64, "mnist": 784, "fashion-mnist": 784, "mnist-pkl": 784}  # pixels
CLASSES = {"digits": 10, "mnist": 10, "fashion-mnist": 10, "mnist-pkl": 10}  # output neurons
# The data sets whose split into training, validation and test depends on the seed (the others
# come split by their files).
SEEDED_SPLITS = ("digits",)
VALIDATION_SIZE = 10_000  # the last 10,000 training images, as in the book
# The most memory the images and labels of one load may take: the bytes read plus their float32
# (pixels) and int64 (labels) copies. Full MNIST takes 0.27 GiB.
MAX_LOAD_BYTES = 2**30


def load_dataset(
    name: str, data_dir: str | os.PathLike[str] | None = None, seed: int = 0
) -> Dataset:
    """Data set ``name`` (one of DATASETS); ``seed`` only affects the split of the
    SEEDED_SPLITS (the digits)."""
    DATASETS.check("dataset", name)
    check_data_dir(data_dir)
    if name == "digits":
        return load_digits(seed)
    directory = resolve_data_dir(name, data_dir)
    if name == "mnist-pkl":
        return _load_pkl(directory)
    return load_idx_dataset(name, directory)


def check_available(name: str, data_dir: str | os.PathLike[str] | None = None) -> None:
    """Raise XentlabError, saying where xentlab looked, unless data set ``name`` is where
    :func:`load_dataset` would read it: its folder and every one of its files (not read). The
    embedded digits are always there."""
    DATASETS.check("dataset", name)
    check_data_dir(data_dir)
    if name == "digits":
        return
    directory = resolve_data_dir(name, data_dir)
    stems = [PKL_NAME.removesuffix(".gz")] if name == "mnist-pkl" else IDX_FILES.values()
    for stem in stems:
        find_file(directory, stem, name)


def load_split(
    name: str, split: str, data_dir: str | os.PathLike[str] | None = None, seed: int = 0
) -> LabelledData:
    """Split ``split`` (train, validation or test) of data set ``name``, reading only the files
    that split needs: for MNIST and Fashion-MNIST the test split reads the two t10k files, the
    training and validation splits the two training files. The same arrays as
    ``getattr(load_dataset(name, data_dir, seed), split)``."""
    DATASETS.check("dataset", name)
    SPLITS.check("split", split)
    check_data_dir(data_dir)
    if name == "digits":
        loaded: LabelledData = getattr(load_digits(seed), split)
        return loaded
    directory = resolve_data_dir(name, data_dir)
    if name == "mnist-pkl":
        loaded = getattr(_load_pkl(directory), split)
        return loaded
    if split == "test":
        (test,) = _read_parts(name, directory, ("test",))
        return _as_labelled(*test)
    ((images, labels),) = _read_parts(name, directory, ("train",))
    cut = len(images) - VALIDATION_SIZE
    rows = slice(None, cut) if split == "train" else slice(cut, None)
    return _as_labelled(images[rows], labels[rows])


def load_idx_dataset(name: str, directory: Path) -> Dataset:
    """MNIST-style data in ``directory``: the training file's last 10,000 images become the
    validation set, the rest the training set; t10k is the test set."""
    train, test = _read_parts(name, directory, ("train", "test"))
    cut = len(train[0]) - VALIDATION_SIZE
    return Dataset(
        name,
        _as_labelled(train[0][:cut], train[1][:cut]),
        _as_labelled(train[0][cut:], train[1][cut:]),
        _as_labelled(*test),
        10,
        (int(train[0].shape[1]), int(train[0].shape[2])),
    )


# --- MNIST-style IDX files -------------------------------------------------------------------

_Part = tuple[NDArray[np.uint8], NDArray[np.uint8]]


def _read_parts(name: str, directory: Path, parts: tuple[str, ...]) -> list[_Part]:
    """(images, labels) of each part ("train", "test") of the IDX data of ``name`` in
    ``directory``.

    Every header is read and checked first (dimensions, counts, the memory the load will take),
    so that nothing is read that will not be used, and nothing is converted that does not fit.
    """
    paths = [
        (
            find_file(directory, IDX_FILES[f"{part}_images"], name),
            find_file(directory, IDX_FILES[f"{part}_labels"], name),
        )
        for part in parts
    ]
    shapes = [(idx_shape(images), idx_shape(labels)) for images, labels in paths]
    need = 0
    for (images_path, labels_path), (image_shape, label_shape) in zip(paths, shapes, strict=True):
        if len(image_shape) != 3:
            raise FormatError(
                f"{images_path}: images must be 3-D (n, rows, cols); got {image_shape}"
            )
        if len(label_shape) != 1:
            raise FormatError(f"{labels_path}: labels must be 1-D; got shape {label_shape}")
        n, rows, cols = image_shape
        for path, what, size, kind in (
            (images_path, f"{n:,} images of {rows} × {cols}", n * rows * cols, "float32"),
            (labels_path, f"{label_shape[0]:,} labels", label_shape[0], "int64"),
        ):
            need += size * (1 + np.dtype(kind).itemsize)  # the bytes read, and their copy
            if need > MAX_LOAD_BYTES:
                raise FormatError(
                    f"{path}: {what} (with the rest of the load) would need "
                    f"{need / 2**30:.1f} GiB as {kind}; xentlab loads at most "
                    f"{MAX_LOAD_BYTES / 2**30:.0f} GiB"
                )
        if n != label_shape[0]:
            raise FormatError(
                f"{images_path} holds {n} images but {labels_path} {label_shape[0]} labels"
            )
    for part, (images_path, _), (image_shape, _) in zip(parts, paths, shapes, strict=True):
        if part == "train" and image_shape[0] <= VALIDATION_SIZE:
            raise FormatError(
                f"{images_path}: {image_shape[0]} training images leave none after the "
                f"{VALIDATION_SIZE} validation images"
            )
        if part == "test" and image_shape[0] == 0:
            raise FormatError(f"{images_path}: holds no test images")
    if len(shapes) == 2 and shapes[0][0][1:] != shapes[1][0][1:]:
        raise FormatError(
            f"training images are {shapes[0][0][1:]} but test images {shapes[1][0][1:]}"
        )
    return [
        _decoded_pair(f"{name}-{part}", images, labels, image_shape, label_shape)
        for part, (images, labels), (image_shape, label_shape) in zip(
            parts, paths, shapes, strict=True
        )
    ]


def _decoded_pair(
    label: str,
    images_path: Path,
    labels_path: Path,
    image_shape: tuple[int, ...],
    label_shape: tuple[int, ...],
) -> _Part:
    """The images and labels of one part, read from the decoded cache when it holds them (as
    the headers declare them), else read from their files and kept there."""

    def fits(arrays: Arrays) -> bool:
        return [(a.dtype, a.shape) for a in arrays] == [
            (np.dtype(np.uint8), image_shape),
            (np.dtype(np.uint8), label_shape),
        ]

    images, labels = cached_arrays(
        label, (images_path, labels_path), lambda: _read_pair(images_path, labels_path), fits
    )
    return images, labels


def _read_pair(images_path: Path, labels_path: Path) -> _Part:
    """The images and labels of one part, whose headers have been checked."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if len(labels) and labels.max() > 9:
        raise FormatError(f"{labels_path}: labels must be digits 0..9; found {labels.max()}")
    return images, labels


def _as_labelled(images: NDArray[np.uint8], labels: NDArray[np.uint8]) -> LabelledData:
    """Pixels 0..255 as float32 in [0, 1], one row per image; labels as int64. The division is
    done in place: the float32 copy is the only one."""
    X = images.reshape(len(images), -1).astype(np.float32)
    X /= np.float32(255)
    return LabelledData(X, labels.astype(np.int64))


# --- the book's pickle ------------------------------------------------------------------------


def _load_pkl(directory: Path) -> Dataset:
    """The book's pickle in ``directory``, from the decoded cache when it holds it."""
    path = find_file(directory, PKL_NAME.removesuffix(".gz"))

    def decode() -> Arrays:
        dataset = read_mnist_pkl(path)
        parts = (dataset.train, dataset.validation, dataset.test)
        return tuple(array for part in parts for array in (part.X, part.labels))

    def fits(arrays: Arrays) -> bool:
        return len(arrays) == 6 and all(
            X.dtype == np.float32
            and X.ndim == 2
            and X.shape[1] == 784
            and labels.dtype == np.int64
            and labels.shape == (len(X),)
            for X, labels in zip(arrays[::2], arrays[1::2], strict=True)
        )

    arrays = cached_arrays("mnist-pkl", (path,), decode, fits)
    train, validation, test = (
        LabelledData(X, labels) for X, labels in zip(arrays[::2], arrays[1::2], strict=True)
    )
    return Dataset("mnist-pkl", train, validation, test, 10, (28, 28))


# --- the embedded digits ---------------------------------------------------------------------

# The file scikit-learn reads the digits from, inside its package: found without importing
# scikit-learn (a second or two), it keys the decoded cache, so that a load that finds the
# digits there never imports it.
DIGITS_FILE = ("datasets", "data", "digits.csv.gz")


def load_digits(seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8 × 8 digits (1,797 images, no download), pixels scaled from
    0..16 to [0, 1], split 60 / 20 / 20 % into training, validation and test by ``seed``."""
    seed = checks.int_at_least("seed", seed, 0)
    pixels, target = _digits_arrays()
    X = (pixels / 16.0).astype(np.float32)
    labels = target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(X))
    cuts = (int(0.6 * len(X)), int(0.8 * len(X)))
    parts = np.split(order, cuts)
    train, validation, test = (LabelledData(np.ascontiguousarray(X[p]), labels[p]) for p in parts)
    return Dataset("digits", train, validation, test, 10, (8, 8))


def _digits_arrays() -> Arrays:
    """scikit-learn's digits as it loads them: (pixels 0..16 as float64 (1797, 64), labels),
    from the decoded cache when it holds them; scikit-learn is imported only to decode them."""

    def decode() -> Arrays:
        from sklearn.datasets import load_digits as sklearn_digits

        bunch = sklearn_digits()
        return (np.asarray(bunch.data, np.float64), np.asarray(bunch.target, np.int64))

    def fits(arrays: Arrays) -> bool:
        return [(a.dtype, a.ndim) for a in arrays] == [
            (np.dtype(np.float64), 2),
            (np.dtype(np.int64), 1),
        ] and len(arrays[0]) == len(arrays[1])

    source = _digits_source()
    if source is None:
        return decode()
    return cached_arrays("digits", (source,), decode, fits)


def _digits_source() -> Path | None:
    """The digits' file inside the installed scikit-learn, or None where it is not there."""
    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), *DIGITS_FILE)
    return path if path.is_file() else None
