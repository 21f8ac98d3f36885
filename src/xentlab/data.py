"""Data sets: MNIST and Fashion-MNIST (IDX files), the book's mnist.pkl.gz, the embedded digits.

Every reader checks what it reads before trusting it: a malformed file raises FormatError
naming the file and the problem, and no declared size is allocated before the bytes behind it
have been seen (a header claiming 10¹² images fails at once, without the memory).

Where data comes from: an explicit ``data_dir``, then ``$XENTLAB_DATA``, then the per-user cache
(``$XDG_CACHE_HOME/xentlab`` or ``~/.cache/xentlab``). In a directory the files may lie directly
or in a subdirectory named after the data set.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import io
import math
import os
import pickle
import struct
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from . import checks
from .errors import FormatError, XentlabError

DATASETS = checks.OneOf(("mnist", "fashion-mnist", "digits", "mnist-pkl"))
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
VALIDATION_SIZE = 10_000  # the last 10,000 training images, as in the book
MAX_IDX_BYTES = 2**31  # far above MNIST's 47 MB; anything bigger is not a data set we read
PKL_NAME = "mnist.pkl.gz"

# SHA-256 per file, of its uncompressed content ("content": the gzip wrapper may differ between
# mirrors, the bytes inside must not) or, where only that is published, of the .gz file itself
# ("gzip": Fashion-MNIST has a single origin).
CHECKSUMS: dict[str, dict[str, tuple[str, str]]] = {
    "mnist": {
        "train-images-idx3-ubyte": (
            "content",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ),
        "train-labels-idx1-ubyte": (
            "content",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ),
        "t10k-images-idx3-ubyte": (
            "content",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        "t10k-labels-idx1-ubyte": (
            "content",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": (
            "gzip",
            "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
        ),
        "train-labels-idx1-ubyte": (
            "gzip",
            "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        ),
        "t10k-images-idx3-ubyte": (
            "gzip",
            "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
        ),
        "t10k-labels-idx1-ubyte": (
            "gzip",
            "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
        ),
    },
}
FETCHABLE = checks.OneOf(tuple(CHECKSUMS))
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
}


@dataclass(frozen=True)
class Split:
    """Images as rows X (n, features), float32 in [0, 1], and integer labels (n,)."""

    X: NDArray[np.float32]
    labels: NDArray[np.int64]

    def fingerprint(self) -> str:
        """SHA-256 of the labels, the shape and every 97th value of X."""
        digest = hashlib.sha256(self.labels.astype("<i8").tobytes())
        digest.update(repr(self.X.shape).encode())
        digest.update(np.ascontiguousarray(self.X.reshape(-1)[::97], "<f8").tobytes())
        return digest.hexdigest()


LabelledData = Split  # temporary, until the data package lands


@dataclass(frozen=True)
class Dataset:
    name: str
    train: Split
    validation: Split
    test: Split
    n_classes: int
    image_shape: tuple[int, int]


# --- IDX -------------------------------------------------------------------------------------


@contextlib.contextmanager
def _content(path: Path) -> Iterator[IO[bytes]]:
    """The file's content as a stream: gunzipped if it starts with the gzip magic."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise XentlabError(f"data file not found: {path}") from None
    except IsADirectoryError:
        raise XentlabError(f"data file is a directory: {path}") from None
    with handle:
        if handle.read(2) != b"\x1f\x8b":
            handle.seek(0)
            yield handle
            return
        handle.seek(0)
        with gzip.GzipFile(fileobj=handle, mode="rb") as unzipped:
            yield unzipped


def _read_capped(path: Path, stream: IO[bytes], limit: int) -> bytes:
    """Read up to ``limit`` bytes in 1 MiB pieces, so memory follows the bytes actually there
    rather than the size a header claims; gzip damage becomes a FormatError naming the file."""
    pieces, remaining = [], limit
    try:
        while remaining > 0:
            piece = stream.read(min(remaining, 1 << 20))
            if not piece:
                break
            pieces.append(piece)
            remaining -= len(piece)
    except (EOFError, OSError, zlib.error) as exc:
        raise FormatError(f"{path}: damaged gzip data ({exc})") from None
    return b"".join(pieces)


def read_idx(path: str | os.PathLike[str]) -> NDArray[np.uint8]:
    """The unsigned-byte array stored in an IDX file (gzipped or not), with its declared shape.

    IDX: two zero bytes, a type byte (0x08: unsigned byte), a dimension count d, d big-endian
    uint32 sizes, then the data in C order.
    """
    path = Path(path)
    with _content(path) as stream:
        header = _read_capped(path, stream, 4)
        if len(header) < 4:
            raise FormatError(f"{path}: too short for an IDX header ({len(header)} bytes)")
        zero, kind, dims = header[:2], header[2], header[3]
        if zero != b"\x00\x00":
            raise FormatError(f"{path}: not an IDX file (magic {header.hex()})")
        if kind != 0x08:
            raise FormatError(f"{path}: IDX type 0x{kind:02x} is not supported (only 0x08, bytes)")
        if not 1 <= dims <= 4:
            raise FormatError(f"{path}: IDX dimension count {dims} is not in 1..4")
        size_bytes = _read_capped(path, stream, 4 * dims)
        if len(size_bytes) < 4 * dims:
            raise FormatError(f"{path}: truncated IDX header")
        shape = struct.unpack(f">{dims}I", size_bytes)
        expected = math.prod(shape)
        # Zero dimensions are counted as 1 here: (0, 4e9, 4e9) holds no bytes but is no more
        # an array xentlab can build than (1, 4e9, 4e9) is.
        if math.prod(max(d, 1) for d in shape) > MAX_IDX_BYTES:
            raise FormatError(
                f"{path}: declares shape {shape} ({expected} bytes), more than xentlab reads"
            )
        data = _read_capped(path, stream, expected + 1)  # one more byte reveals trailing data
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "longer than declared"
        raise FormatError(
            f"{path}: {what}: shape {shape} needs {expected} data bytes, found "
            f"{len(data) if len(data) <= expected else 'more'}"
        )
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def _find(directory: Path, stem: str) -> Path:
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if candidate.exists():
            return candidate
    raise XentlabError(f"data file not found: {directory / stem}[.gz]")


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


def _as_split(images: NDArray[np.uint8], labels: NDArray[np.uint8]) -> Split:
    X = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)
    return Split(np.ascontiguousarray(X), labels.astype(np.int64))


def load_idx_dataset(name: str, directory: Path) -> Dataset:
    """MNIST-style data in ``directory``: the training file's last 10,000 images become the
    validation set, the rest the training set; t10k is the test set."""
    paths = {key: _find(directory, stem) for key, stem in IDX_FILES.items()}
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
        _as_split(train_images[:cut], train_labels[:cut]),
        _as_split(train_images[cut:], train_labels[cut:]),
        _as_split(test_images, test_labels),
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
    train, validation, test = (Split(np.ascontiguousarray(X[p]), labels[p]) for p in parts)
    return Dataset("digits", train, validation, test, 10, (8, 8))


# --- the book's pickle -----------------------------------------------------------------------

# NumPy pickles an array as _reconstruct(ndarray, ...) followed by a state tuple, and its dtype
# as dtype(code, ...) followed by another. Handing those states to NumPy's own reconstructors
# trusts them (a crafted dtype state can make raw bytes be read as object pointers), so the
# pickle reader maps each NumPy global to a stand-in of its own, which accepts only plain numeric
# dtypes and builds the array with np.frombuffer from a byte count it has checked.
PKL_DTYPES = {"f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"}
PKL_BYTE_ORDERS = {"<", ">", "|", "="}


class _PickledDType:
    """Stands in for numpy.dtype(code, align, copy) and its state (version, byte order, ...)."""

    def __init__(self, code: Any, align: Any = 0, copy: Any = 1) -> None:
        if not isinstance(code, str) or code not in PKL_DTYPES:
            raise FormatError(f"dtype {code!r} is not a plain numeric type")
        self.code, self.order = code, "="

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) >= 2 and state[1] in PKL_BYTE_ORDERS):
            raise FormatError("malformed dtype state")
        self.order = "=" if state[1] == "|" else state[1]

    def dtype(self) -> np.dtype:
        return np.dtype(self.order + self.code)


class _NDArrayName:
    """Stands in for the name numpy.ndarray: the only class _reconstruct may be asked for."""


class _PickledArray:
    """Stands in for numpy's _reconstruct(ndarray, shape, typecode) and the array state
    (version, shape, dtype, is_fortran, raw bytes)."""

    def __init__(self, cls: Any, shape: Any = (0,), typecode: Any = b"b") -> None:
        if cls is not _NDArrayName:
            raise FormatError("only numpy.ndarray may be reconstructed")
        self.array: np.ndarray | None = None

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) == 5):
            raise FormatError("malformed array state")
        _, shape, dtype, fortran, raw = state
        if not isinstance(dtype, _PickledDType):
            raise FormatError("an array's dtype must be a plain numeric dtype")
        if not (isinstance(shape, tuple) and all(type(d) is int and d >= 0 for d in shape)):
            raise FormatError(f"malformed array shape {shape!r}")
        if isinstance(raw, str):  # a Python 2 byte string, read as latin-1
            raw = raw.encode("latin1")
        if not isinstance(raw, bytes):
            raise FormatError("an array's data must be bytes")
        dt = dtype.dtype()
        if len(raw) != math.prod(shape) * dt.itemsize:
            raise FormatError(f"array data of {len(raw)} bytes does not fit shape {shape} {dt}")
        order = "F" if fortran else "C"
        self.array = np.frombuffer(raw, dt).reshape(shape, order=order).astype(dt.newbyteorder("="))


def _latin1_encode(text: Any, encoding: Any = "latin1") -> bytes:
    """Stands in for _codecs.encode, which Python 3 pickles use for byte strings."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise FormatError("only latin-1 byte strings may be encoded")
    return text.encode("latin1")


_PKL_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _PickledArray,
    ("numpy._core.multiarray", "_reconstruct"): _PickledArray,
    ("numpy", "ndarray"): _NDArrayName,
    ("numpy", "dtype"): _PickledDType,
    ("_codecs", "encode"): _latin1_encode,
}


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that can build plain numeric NumPy arrays and nothing else: any other global
    (os.system, builtins.eval, ...) is refused before it can be called."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _PKL_GLOBALS:
            raise FormatError(f"refused to load {module}.{name}: only NumPy arrays are accepted")
        return _PKL_GLOBALS[module, name]


def _arrays(content: Any) -> Any:
    """The unpickled structure with each stand-in replaced by the array it built."""
    if isinstance(content, _PickledArray):
        if content.array is None:
            raise FormatError("an array without its data")
        return content.array
    if isinstance(content, tuple):
        return tuple(_arrays(part) for part in content)
    return content


def _pkl_split(path: Path, part: Any, which: str) -> Split:
    if not (isinstance(part, tuple) and len(part) == 2):
        raise FormatError(f"{path}: the {which} set must be a pair (images, labels)")
    X, labels = part
    if not (isinstance(X, np.ndarray) and isinstance(labels, np.ndarray)):
        raise FormatError(f"{path}: the {which} images and labels must be NumPy arrays")
    if X.ndim != 2 or X.shape[1] != 784 or not np.issubdtype(X.dtype, np.floating):
        raise FormatError(f"{path}: {which} images must be float (n, 784); got {X.dtype} {X.shape}")
    if labels.shape != (len(X),) or not np.issubdtype(labels.dtype, np.integer):
        raise FormatError(f"{path}: {which} labels must be {len(X)} integers; got {labels.shape}")
    if len(X) == 0:
        raise FormatError(f"{path}: the {which} set is empty")
    if not np.isfinite(X).all() or X.min() < 0 or X.max() > 1:
        raise FormatError(f"{path}: {which} pixels must be finite and in [0, 1]")
    if labels.min() < 0 or labels.max() > 9:
        raise FormatError(f"{path}: {which} labels must be digits 0..9")
    return Split(np.ascontiguousarray(X, dtype=np.float32), labels.astype(np.int64))


def read_mnist_pkl(path: str | os.PathLike[str]) -> Dataset:
    """The book's ``mnist.pkl.gz``: a (gzipped) pickle of ((X, y), (X, y), (X, y)) for training,
    validation and test, read without running any code the file might carry."""
    path = Path(path)
    with _content(path) as stream:
        raw = _read_capped(path, stream, MAX_IDX_BYTES + 1)
    if len(raw) > MAX_IDX_BYTES:
        raise FormatError(f"{path}: larger than any MNIST pickle")
    try:
        content = _arrays(_ArraysOnly(io.BytesIO(raw), encoding="latin1").load())
    except FormatError as exc:
        raise FormatError(f"{path}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - any way a pickle can be malformed
        raise FormatError(f"{path}: not a readable pickle ({type(exc).__name__}: {exc})") from None
    if not (isinstance(content, tuple) and len(content) == 3):
        raise FormatError(f"{path}: expected a tuple (training, validation, test)")
    parts = [
        _pkl_split(path, p, w)
        for p, w in zip(content, ("training", "validation", "test"), strict=True)
    ]
    return Dataset("mnist-pkl", *parts, 10, (28, 28))


# --- where data lives, and loading by name ---------------------------------------------------


def cache_dir() -> Path:
    """The per-user cache: $XDG_CACHE_HOME/xentlab, or ~/.cache/xentlab."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "xentlab"


def resolve_data_dir(name: str, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The directory to read data set ``name`` from: ``data_dir``, else $XENTLAB_DATA, else the
    cache. A subdirectory named ``name`` is preferred when it exists. Files lying directly in the
    directory are taken when it was given explicitly, is itself named ``name``, or (for the
    pickle, whose file name says what it is) always: MNIST and Fashion-MNIST files share their
    names, and one must never be read as the other."""
    if data_dir is not None:
        base, origin, direct = Path(data_dir), "--data-dir", True
    elif os.environ.get("XENTLAB_DATA"):
        base, origin = Path(os.environ["XENTLAB_DATA"]), "XENTLAB_DATA"
        direct = base.name == name or name == "mnist-pkl"
    else:
        base, origin, direct = cache_dir(), "the cache", False
    if (base / name).is_dir():
        return base / name
    if direct and base.is_dir():
        return base
    hint = f"xentlab data fetch {name}" if name in MIRRORS else "--data-dir"
    raise XentlabError(
        f"no {name} data in {base / name if not direct else base} ({origin}); run '{hint}' or "
        "pass --data-dir"
    )


def load_dataset(
    name: str, data_dir: str | os.PathLike[str] | None = None, seed: int = 0
) -> Dataset:
    """Data set ``name`` (one of DATASETS); ``seed`` only affects the digits split."""
    DATASETS.check("dataset", name)
    if name == "digits":
        return load_digits(seed)
    directory = resolve_data_dir(name, data_dir)
    if name == "mnist-pkl":
        return read_mnist_pkl(_find(directory, PKL_NAME.removesuffix(".gz")))
    return load_idx_dataset(name, directory)


# --- fetching --------------------------------------------------------------------------------


def sha256_of_content(path: str | os.PathLike[str]) -> str:
    """SHA-256 of the file's uncompressed bytes (gunzipped first if it is gzip)."""
    path = Path(path)
    digest = hashlib.sha256()
    with _content(path) as stream:
        while chunk := _read_capped(path, stream, 1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_of_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of the file's bytes as they are on disk."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _checksum_matches(path: Path, kind: str, digest: str) -> bool:
    """Whether ``path`` has the SHA-256 ``digest`` of the given kind; damaged files do not."""
    try:
        found = sha256_of_content(path) if kind == "content" else sha256_of_file(path)
    except (XentlabError, OSError):
        return False
    return found == digest


def fetch(
    name: str,
    dest: str | os.PathLike[str] | None = None,
    mirrors: Sequence[str] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download the four gzipped IDX files of ``name`` into ``dest`` (default: the cache),
    trying each mirror in turn, and verify the SHA-256 of their content. A file is written under
    a temporary name and renamed only once verified: nothing half-downloaded is ever left."""
    FETCHABLE.check("name", name)
    target = Path(dest) if dest is not None else cache_dir() / name
    target.mkdir(parents=True, exist_ok=True)
    for stem, (kind, digest) in CHECKSUMS[name].items():
        final = target / f"{stem}.gz"
        if final.exists() and _checksum_matches(final, kind, digest):
            continue
        errors = []
        for mirror in mirrors or MIRRORS[name]:
            try:
                url = mirror.rstrip("/") + f"/{stem}.gz"
                _download(url, final, (kind, digest), progress, timeout)
                break
            except (OSError, http.client.HTTPException, FormatError) as exc:
                errors.append(f"{mirror}: {getattr(exc, 'reason', exc)}")
        else:
            raise XentlabError(f"could not fetch {stem}.gz; " + "; ".join(errors))
    return target


def _download(
    url: str,
    final: Path,
    checksum: tuple[str, str],
    progress: Callable[[int, int | None], None] | None,
    timeout: float,
) -> None:
    partial = final.with_name(f".{final.name}.part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, partial.open("wb") as out:
            total = response.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            done = 0
            while chunk := response.read(1 << 16):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
            if total is not None and done != total:
                raise FormatError(f"{url}: connection ended after {done} of {total} bytes")
            out.flush()
            os.fsync(out.fileno())
        if not _checksum_matches(partial, *checksum):
            raise FormatError(f"{url}: checksum mismatch: the file is corrupt or not {final.name}")
        os.replace(partial, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
