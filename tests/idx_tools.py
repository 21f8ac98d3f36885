"""Writing small IDX files and data directories for tests."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np


def idx_bytes(
    array: np.ndarray, magic: bytes | None = None, dims: tuple[int, ...] | None = None
) -> bytes:
    """The IDX encoding of a uint8 array (header fields overridable to make bad files)."""
    shape = array.shape if dims is None else dims
    head = magic if magic is not None else b"\x00\x00\x08" + bytes([len(shape)])
    return head + struct.pack(f">{len(shape)}I", *shape) + array.astype(np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = True, **kwargs) -> Path:
    data = idx_bytes(array, **kwargs)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def write_mnist_dir(directory: Path, n_train: int = 10_012, n_test: int = 7, seed: int = 0) -> Path:
    """A valid MNIST-shaped data directory (small: the validation cut needs > 10,000 images)."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    write_idx(directory / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (n_train, 28, 28)))
    write_idx(directory / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, n_train))
    write_idx(directory / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (n_test, 28, 28)))
    write_idx(directory / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, n_test))
    return directory
