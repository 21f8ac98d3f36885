"""The book's ``mnist.pkl.gz``, read without running any code the file might carry.

A pickle can call anything it names; this reader names only stand-ins of its own for the few
NumPy and codecs functions that an array pickle uses, and each stand-in checks what it is given.
"""

from __future__ import annotations

import io
import math
import os
import pickle
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..errors import FormatError
from ..files import open_content, read_capped
from .idx import MAX_IDX_BYTES
from .labelled import Dataset, LabelledData

PKL_NAME = "mnist.pkl.gz"

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
        order: Literal["C", "F"] = "F" if fortran else "C"
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


def _pkl_split(path: Path, part: Any, which: str) -> LabelledData:
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
    return LabelledData(np.ascontiguousarray(X, dtype=np.float32), labels.astype(np.int64))


def read_mnist_pkl(path: str | os.PathLike[str]) -> Dataset:
    """The book's ``mnist.pkl.gz``: a (gzipped) pickle of ((X, y), (X, y), (X, y)) for training,
    validation and test, read without running any code the file might carry."""
    path = Path(path)
    with open_content(path, "data") as stream:
        raw = read_capped(path, stream, MAX_IDX_BYTES + 1)
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
    train, validation, test = (
        _pkl_split(path, p, w)
        for p, w in zip(content, ("training", "validation", "test"), strict=True)
    )
    return Dataset("mnist-pkl", train, validation, test, 10, (28, 28))
