"""The book's ``mnist.pkl.gz``, read without running any code the file might carry, and with
memory bounded by the file's size.

A pickle can call anything it names; this reader names only stand-ins of its own for the few
NumPy and codecs functions that an array pickle uses, and each stand-in checks what it is given.

A pickle can also make the unpickler allocate far more than the file holds: a memo index of
5·10⁸ in an 8-byte file grows the memo to gigabytes, and a byte string may declare a length
the file does not have. So the opcodes are first walked without building anything
(``pickletools.genops``), and a pickle is refused unless each opcode is one an array pickle
uses, each memo index lies within what the opcodes before it can have stored, and there are
few enough opcodes; the unpickler then meets only lengths the file backs. The stand-ins share
one allowance, twice the pickle's size, so that referring to one memoized string many times
cannot multiply the memory either.
"""

from __future__ import annotations

import functools
import io
import math
import os
import pickle
import pickletools
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..errors import FormatError
from ..files import read_content_capped
from .labelled import Dataset, LabelledData

PKL_NAME = "mnist.pkl.gz"
# The book's pickle holds 220 MB of float32 pixels; written again by Python 3 (strings in
# UTF-8) it grows by up to half. Unpickling needs a few times the content, so the content is
# capped well below what a machine running xentlab has.
MAX_PKL_BYTES = 2**29
MAX_PKL_OPCODES = 10_000  # the book's pickle has fewer than 200
MAX_PKL_PROTOCOL = 5
# The opcodes of NumPy array pickles, protocols 0 to 4 (constants, strings and bytes, tuples,
# globals and the calls on them, the memo), and of the plain lists and dicts a pickle of other
# data would hold, so that it is refused for what it holds. Nothing here calls a class without a
# global, refers to objects outside the pickle, or reads a length of more than 4 GiB.
PKL_OPCODES = frozenset(
    """PROTO FRAME STOP MARK POP POP_MARK NONE NEWTRUE NEWFALSE
    INT BININT BININT1 BININT2 LONG LONG1 FLOAT BINFLOAT
    STRING BINSTRING SHORT_BINSTRING UNICODE BINUNICODE SHORT_BINUNICODE BINBYTES SHORT_BINBYTES
    EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3 EMPTY_LIST APPEND APPENDS LIST
    EMPTY_DICT DICT SETITEM SETITEMS GLOBAL STACK_GLOBAL REDUCE BUILD
    PUT BINPUT LONG_BINPUT MEMOIZE GET BINGET LONG_BINGET""".split()
)
_MEMO_PUTS = {"PUT", "BINPUT", "LONG_BINPUT"}
_MEMO_GETS = {"GET", "BINGET", "LONG_BINGET"}


def check_pkl_opcodes(raw: bytes) -> None:
    """Walk the opcodes of the pickle ``raw`` without unpickling it, and raise FormatError
    unless unpickling it can allocate no more than its size justifies: each opcode one of an
    array pickle (PKL_OPCODES), protocol at most 5, at most MAX_PKL_OPCODES opcodes, every length
    within the bytes that follow (genops checks it), every memo index stored below the number of
    opcodes before it and read only once stored, a frame within the file, nothing after STOP."""
    stored: set[int] = set()
    end = 0
    try:
        for count, (op, arg, pos) in enumerate(pickletools.genops(raw), start=1):
            value: Any = arg
            at = int(pos or 0)
            if count > MAX_PKL_OPCODES:
                raise FormatError(f"more than {MAX_PKL_OPCODES} opcodes: not an array pickle")
            if op.name not in PKL_OPCODES:
                raise FormatError(f"opcode {op.name} at byte {at} is not one an array pickle uses")
            if op.name == "PROTO" and value > MAX_PKL_PROTOCOL:
                raise FormatError(f"pickle protocol {value} at byte {at}; xentlab reads 0..5")
            if op.name == "FRAME" and value > len(raw) - at:
                raise FormatError(
                    f"not a readable pickle (a frame of {value} bytes at byte {at} passes its end)"
                )
            if op.name in _MEMO_PUTS:
                if not 0 <= value < count:
                    raise FormatError(
                        f"memo index {value} at byte {at} is larger than the number of opcodes "
                        f"before it ({count - 1})"
                    )
                stored.add(value)
            elif op.name == "MEMOIZE":
                stored.add(len(stored))
            elif op.name in _MEMO_GETS and value not in stored:
                raise FormatError(
                    f"not a readable pickle (memo index {value} at byte {at} is read before it "
                    "is stored)"
                )
            end = at + 1  # the last opcode genops yields is STOP, one byte long
    except FormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - genops's ways of finding a pickle malformed
        raise FormatError(f"not a readable pickle ({type(exc).__name__}: {exc})") from None
    if end < len(raw):
        raise FormatError(
            f"not a readable pickle ({len(raw) - end} bytes follow its STOP at byte {end - 1})"
        )


class _Allowance:
    """The bytes the stand-ins may still allocate while one pickle is loaded."""

    def __init__(self, total: int) -> None:
        self.total = self.left = total

    def take(self, count: int) -> None:
        if count > self.left:
            raise FormatError(
                f"building its arrays would take more than {self.total} bytes, twice the "
                "pickle's size"
            )
        self.left -= count


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

    def __init__(
        self, allowance: _Allowance, cls: Any, shape: Any = (0,), typecode: Any = b"b"
    ) -> None:
        if cls is not _NDArrayName:
            raise FormatError("only numpy.ndarray may be reconstructed")
        self.allowance = allowance
        self.array: np.ndarray | None = None

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) == 5):
            raise FormatError("malformed array state")
        _, shape, dtype, fortran, raw = state
        if not isinstance(dtype, _PickledDType):
            raise FormatError("an array's dtype must be a plain numeric dtype")
        if not (isinstance(shape, tuple) and all(type(d) is int and d >= 0 for d in shape)):
            raise FormatError(f"malformed array shape {shape!r}")
        if not isinstance(raw, (bytes, str)):  # str: a Python 2 byte string, read as latin-1
            raise FormatError("an array's data must be bytes")
        dt = dtype.dtype()
        if len(raw) != math.prod(shape) * dt.itemsize:
            raise FormatError(f"array data of {len(raw)} bytes does not fit shape {shape} {dt}")
        self.allowance.take(len(raw) * (1 + isinstance(raw, str)))  # the array, the encoding
        if isinstance(raw, str):
            raw = raw.encode("latin1")
        order: Literal["C", "F"] = "F" if fortran else "C"
        self.array = np.frombuffer(raw, dt).reshape(shape, order=order).astype(dt.newbyteorder("="))


def _latin1_encode(
    allowance: _Allowance, text: Any, encoding: Any = "latin1", errors: Any = "strict"
) -> bytes:
    """Stands in for _codecs.encode, which Python 3 pickles use for byte strings."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise FormatError("only latin-1 byte strings may be encoded")
    allowance.take(len(text))
    return text.encode("latin1")


# Each global an array pickle names, and its stand-in; the ones that allocate are given the
# allowance of the pickle being loaded.
_PKL_GLOBALS: dict[tuple[str, str], tuple[Any, bool]] = {
    ("numpy.core.multiarray", "_reconstruct"): (_PickledArray, True),
    ("numpy._core.multiarray", "_reconstruct"): (_PickledArray, True),
    ("numpy", "ndarray"): (_NDArrayName, False),
    ("numpy", "dtype"): (_PickledDType, False),
    ("_codecs", "encode"): (_latin1_encode, True),
}


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that can build plain numeric NumPy arrays and nothing else: any other global
    (os.system, builtins.eval, ...) is refused before it can be called."""

    def __init__(self, raw: bytes, allowance: _Allowance) -> None:
        super().__init__(io.BytesIO(raw), encoding="latin1")
        self.allowance = allowance

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _PKL_GLOBALS:
            raise FormatError(f"refused to load {module}.{name}: only NumPy arrays are accepted")
        stand_in, allocates = _PKL_GLOBALS[module, name]
        return functools.partial(stand_in, self.allowance) if allocates else stand_in


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


def _unpickle(path: Path) -> Any:
    """The structure pickled in ``path``, built by stand-ins only, after its opcodes have been
    checked; any way the pickle is malformed becomes a FormatError naming ``path``."""
    raw = read_content_capped(path, "data", MAX_PKL_BYTES)
    try:
        check_pkl_opcodes(raw)
        return _arrays(_ArraysOnly(raw, _Allowance(2 * len(raw))).load())
    except FormatError as exc:
        raise FormatError(f"{path}: {exc}") from None
    except MemoryError:
        raise FormatError(f"{path}: not enough memory to unpickle its {len(raw)} bytes") from None
    except Exception as exc:  # noqa: BLE001 - any way a pickle can be malformed
        raise FormatError(f"{path}: not a readable pickle ({type(exc).__name__}: {exc})") from None


def read_mnist_pkl(path: str | os.PathLike[str]) -> Dataset:
    """The book's ``mnist.pkl.gz``: a (gzipped) pickle of ((X, y), (X, y), (X, y)) for training,
    validation and test, read without running any code the file might carry."""
    path = Path(path)
    content = _unpickle(path)
    if not (isinstance(content, tuple) and len(content) == 3):
        raise FormatError(f"{path}: expected a tuple (training, validation, test)")
    train, validation, test = (
        _pkl_split(path, p, w)
        for p, w in zip(content, ("training", "validation", "test"), strict=True)
    )
    return Dataset("mnist-pkl", train, validation, test, 10, (28, 28))
