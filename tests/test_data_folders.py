"""What is read of a data set: a split reads only its own files, and a data set too large for
memory is refused from its headers, before its pixels are read or converted."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from idx_tools import idx_bytes, write_idx, write_mnist_dir

from xentlab import data, files, runs
from xentlab.errors import FormatError, XentlabError
from xentlab.formats import save_network
from xentlab.model import Network

# --- reading only what a split needs ------------------------------------------------------


def opened_while(monkeypatch, call) -> tuple[object, set[str]]:
    """call()'s result and the names of the files it opened for reading."""
    opened: set[str] = set()
    real = files.open_input

    def spy(path, kind):
        opened.add(Path(path).name)
        return real(path, kind)

    monkeypatch.setattr(files, "open_input", spy)
    return call(), opened


def test_each_split_reads_only_its_files(tmp_path, monkeypatch):
    directory = write_mnist_dir(tmp_path / "mnist")
    full = data.load_dataset("mnist", directory)
    train_files = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}
    test_files = {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
    for split in ("train", "validation", "test"):
        part, opened = opened_while(
            monkeypatch, lambda s=split: data.load_split("mnist", s, directory)
        )
        expected = getattr(full, split)
        assert np.array_equal(part.X, expected.X) and np.array_equal(part.labels, expected.labels)
        assert opened == (test_files if split == "test" else train_files)


def test_evaluating_the_test_split_needs_no_training_files(tmp_path):
    directory = write_mnist_dir(tmp_path / "mnist")
    for stem in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (directory / stem).unlink()
    save_network(Network.create([784, 5, 10], seed=0), tmp_path / "net.json", {"dataset": "mnist"})
    _, evaluation = runs.evaluate_saved(tmp_path / "net.json", data_dir=directory)
    assert evaluation.split == "test" and evaluation.n == 7
    with pytest.raises(XentlabError, match="data file not found: .*train-images"):
        runs.evaluate_saved(tmp_path / "net.json", data_dir=directory, split="validation")


# --- a data set too large for memory, refused from its headers -----------------------------


def test_a_data_set_too_large_is_refused_before_reading_or_converting(tmp_path):
    directory = write_mnist_dir(tmp_path / "mnist")
    n = 400_000  # 314 MB of bytes, 1.25 GB as float32: more than xentlab loads
    images = directory / "train-images-idx3-ubyte.gz"
    images.write_bytes(gzip.compress(idx_bytes(np.zeros((n, 28, 28), np.uint8)), 1))
    write_idx(directory / "train-labels-idx1-ubyte.gz", np.zeros(n, np.uint8))
    tracemalloc.start()
    try:
        with pytest.raises(FormatError) as caught:
            data.load_dataset("mnist", directory)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value) == (
        f"{images}: 400,000 images of 28 × 28 (with the rest of the load) would need 1.5 GiB as "
        "float32; xentlab loads at most 1 GiB"
    )
    assert peak < 10_000_000  # the headers only
    assert len(data.load_split("mnist", "test", directory).X) == 7  # the test split fits
