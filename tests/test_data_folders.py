"""Where data is found and what is read of it: files lying directly in a folder are taken for a
data set by their content or the folder's name, never as the other data set; a split reads
only its own files; a data set too large for memory is refused before its pixels are
converted; a failed fetch leaves no empty folder; and the real Fashion-MNIST, when here."""

from __future__ import annotations

import gzip
import hashlib
import re
import shlex
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from idx_tools import idx_bytes, write_idx, write_mnist_dir

from xentlab import data, files, runs
from xentlab.cli import main
from xentlab.errors import FormatError, XentlabError
from xentlab.formats import save_network
from xentlab.model import Network
from xentlab.training import TrainConfig, TrainState, check_labelled, fit

LABELS = "t10k-labels-idx1-ubyte"


def content_sha256(path: Path) -> str:
    return hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()


@pytest.fixture
def env(monkeypatch, tmp_path):
    """XENTLAB_DATA and the cache pointed into tmp_path; returns a setter for XENTLAB_DATA."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("XENTLAB_DATA", raising=False)
    return lambda path: monkeypatch.setenv("XENTLAB_DATA", str(path))


def test_files_of_unknown_content_are_read_only_from_a_folder_named_for_the_set(tmp_path, env):
    flat = write_mnist_dir(tmp_path / "downloads")
    env(flat)
    with pytest.raises(XentlabError) as caught:
        data.resolve_data_dir("mnist")
    message = str(caught.value)
    assert message.startswith(f"no mnist data in {flat} (XENTLAB_DATA): the IDX files lying there")
    assert "only from a folder named 'mnist'" in message and str(flat / "mnist") in message
    named = flat.rename(tmp_path / "mnist")
    env(named)
    assert data.resolve_data_dir("mnist") == named
    with pytest.raises(XentlabError, match="only from a folder named 'fashion-mnist'"):
        data.resolve_data_dir("fashion-mnist")
    assert data.resolve_data_dir("fashion-mnist", named) == named  # the user says so


def test_files_whose_content_is_known_are_read_whatever_the_folder(tmp_path, env, monkeypatch):
    flat = write_mnist_dir(tmp_path / "downloads")
    # These small files stand for MNIST: their test labels get MNIST's checksum.
    monkeypatch.setitem(data.CHECKSUMS["mnist"], LABELS, content_sha256(flat / f"{LABELS}.gz"))
    assert data.identify(flat / f"{LABELS}.gz") == "mnist"
    env(flat)
    assert data.resolve_data_dir("mnist") == flat
    assert len(data.load_dataset("mnist").test.X) == 7
    # ... and are never Fashion-MNIST, not even from a folder of that name or given outright.
    for directory, origin in ((flat, "--data-dir"), (None, "XENTLAB_DATA")):
        where = re.escape(f"{flat} ({origin}) holds mnist, not fashion-mnist (by the checksum of")
        with pytest.raises(XentlabError, match=f"^{where} .*{LABELS}"):
            data.resolve_data_dir("fashion-mnist", directory)
    named = flat.rename(tmp_path / "fashion-mnist")
    with pytest.raises(XentlabError, match="holds mnist, not fashion-mnist"):
        data.resolve_data_dir("fashion-mnist", named)


def test_the_cache_follows_the_same_rule(tmp_path, env, monkeypatch):
    flat = write_mnist_dir(tmp_path / "cache" / "xentlab")
    with pytest.raises(XentlabError, match="\\(the cache\\): the IDX files lying there"):
        data.resolve_data_dir("mnist")
    monkeypatch.setitem(data.CHECKSUMS["mnist"], LABELS, content_sha256(flat / f"{LABELS}.gz"))
    assert data.resolve_data_dir("mnist") == flat


def test_a_folder_without_data_says_where_data_belongs(tmp_path, env):
    env(tmp_path)
    with pytest.raises(XentlabError) as caught:
        data.resolve_data_dir("fashion-mnist")
    assert str(caught.value) == (
        f"no fashion-mnist data in {tmp_path} (XENTLAB_DATA): expected a subfolder "
        "fashion-mnist/ holding train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (gzipped or not); point XENTLAB_DATA "
        "(or --data-dir) at a folder that holds fashion-mnist/, or fetch it: xentlab data fetch "
        f"fashion-mnist --dest {tmp_path / 'fashion-mnist'}"
    )


# --- every message where data is not found fits how its folder was chosen -----------------

ORIGINS = ("--data-dir", "XENTLAB_DATA", "the cache")
# a fetch command comes last on its line, quoted for the shell
FETCH = re.compile(r"fetch (?:it|what is missing): (xentlab data fetch .*)$")
PUT = re.compile(r"put the book's mnist\.pkl\.gz in (\S+?)(?:,|$)")


def not_found_message(name: str, origin: str, folder: Path, env) -> tuple[str, object]:
    """The message of data.check_available for data set ``name`` looked for in ``folder``,
    chosen by ``origin``; and the data_dir argument that chose it."""
    data_dir = folder if origin == "--data-dir" else None
    if origin == "XENTLAB_DATA":
        env(folder)
    with pytest.raises(XentlabError) as caught:
        data.check_available(name, data_dir) if folder.is_dir() else data.resolve_data_dir(
            name, data_dir
        )
    return str(caught.value), data_dir


def follow_the_fix(message: str, name: str, folder: Path) -> None:
    """Do what the message says: fetch with its command, or put the pickle where it says
    ("there": in ``folder``, where xentlab looked)."""
    fetch, put = FETCH.search(message), PUT.search(message)
    if fetch:
        words = shlex.split(fetch.group(1))
        assert words[3] == name, message
        dest = Path(words[words.index("--dest") + 1]) if "--dest" in words else None
        write_mnist_dir(dest if dest is not None else data.cache_dir() / name)
        return
    assert put or "; put it there, or " in message, message
    target = Path(put.group(1)) if put else folder
    target.mkdir(parents=True, exist_ok=True)
    (target / "mnist.pkl.gz").write_bytes(b"")


@pytest.mark.parametrize(
    ("name", "origin", "situation"),
    [
        (name, origin, situation)
        for name in ("mnist", "fashion-mnist", "mnist-pkl")
        for origin in ORIGINS
        for situation in ("no folder", "empty folder", "the other data set")
        if not (name == "mnist-pkl" and situation == "the other data set")  # named by its file
    ],
)
def test_a_data_not_found_message_fits_how_the_folder_was_chosen_and_its_fix_works(
    tmp_path, env, monkeypatch, name, origin, situation
):
    folder = data.cache_dir() if origin == "the cache" else tmp_path / "data"
    if situation == "empty folder":
        folder.mkdir(parents=True)
    elif situation == "the other data set":
        other = "fashion-mnist" if name == "mnist" else "mnist"
        write_mnist_dir(folder)  # lying directly in the folder, with the other set's checksum
        monkeypatch.setitem(data.CHECKSUMS[other], LABELS, content_sha256(folder / f"{LABELS}.gz"))
    message, data_dir = not_found_message(name, origin, folder, env)
    assert f"{folder} ({origin})" in message, message  # where xentlab looked, and why there
    assert message.startswith(f"no {name} data in ") or " holds " in message, message
    if origin == "--data-dir":  # never "pass --data-dir" to someone who did: what is missing
        assert "--data-dir)" not in message.replace(f"({origin})", ""), message
        assert "pass --data-dir" not in message and "XENTLAB_DATA" not in message, message
    else:
        assert "point XENTLAB_DATA (or --data-dir) at" in message, message
    if origin != "the cache":  # fetch's default is the cache: elsewhere, --dest says where
        fetch = FETCH.search(message)
        assert fetch is None or "--dest" in fetch.group(1), message
    if name == "mnist-pkl" and origin == "--data-dir" and situation == "empty folder":
        assert message.endswith("the book's mnist.pkl.gz (gzipped or not) is not there")
        return  # what is missing there is all it needs to say
    follow_the_fix(message, name, folder)
    data.check_available(name, data_dir)  # found now


def test_a_partial_folder_names_the_missing_file_and_how_to_complete_it(tmp_path, env):
    directory = write_mnist_dir(tmp_path / "data" / "mnist")
    (directory / "train-images-idx3-ubyte.gz").unlink()
    for data_dir in (tmp_path / "data", None):
        env(tmp_path / "data")
        with pytest.raises(XentlabError) as caught:
            data.load_dataset("mnist", data_dir)
        assert str(caught.value) == (
            f"data file not found: {directory / 'train-images-idx3-ubyte'}[.gz]; fetch what is "
            f"missing: xentlab data fetch mnist --dest {directory}"
        )


def test_the_fashion_hint_given_data_dir_does_not_suggest_data_dir(
    tmp_path, env, monkeypatch, capsys
):
    """The report: `train --dataset fashion-mnist --data-dir DIR` where DIR holds MNIST."""
    mnist = write_mnist_dir(tmp_path / "mnist")
    env(tmp_path / "elsewhere")
    monkeypatch.setitem(data.CHECKSUMS["mnist"], LABELS, content_sha256(mnist / f"{LABELS}.gz"))
    assert main(["train", "--dataset", "fashion-mnist", "--data-dir", str(mnist)]) == 2
    assert capsys.readouterr().err == (
        f"xentlab: error: {mnist} (--data-dir) holds mnist, not fashion-mnist (by the checksum "
        f"of {mnist / LABELS}.gz); fetch it: xentlab data fetch fashion-mnist --dest "
        f"{mnist / 'fashion-mnist'}\n"
    )


# --- reading only what a split needs ------------------------------------------------------


def opened_while(monkeypatch, call) -> tuple[object, set[str]]:
    """call()'s result and the names of the files it opened for reading."""
    opened: set[str] = set()
    real = files.open_input

    def spy(path, kind):
        opened.add(Path(path).name)
        return real(path, kind)

    monkeypatch.setattr(files.reading, "open_input", spy)
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
        # (the test labels are read to tell which data set the folder holds)
        assert opened == (test_files if split == "test" else train_files | {f"{LABELS}.gz"})


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


# --- fetching ---------------------------------------------------------------------------


def test_a_failed_fetch_leaves_no_folder_it_made_and_says_where_files_go(tmp_path):
    dead = ["http://127.0.0.1:9/"]  # the discard port: connection refused
    target = tmp_path / "new" / "deeper" / "mnist"
    with pytest.raises(XentlabError) as caught:
        data.fetch("mnist", target, mirrors=dead, timeout=5)
    assert not (tmp_path / "new").exists()
    message = str(caught.value)
    assert message.startswith("could not fetch train-images-idx3-ubyte.gz; http://127.0.0.1:9/")
    assert message.endswith(
        "to fetch mnist by hand, put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        f"t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (gzipped or not) in {target}"
    )
    assert "\n" not in message
    existing = tmp_path / "mine"
    existing.mkdir()
    with pytest.raises(XentlabError, match="could not fetch"):
        data.fetch("fashion-mnist", existing, mirrors=dead, timeout=5)
    assert existing.is_dir() and not list(existing.iterdir())  # not made by fetch: kept


# --- the real Fashion-MNIST ---------------------------------------------------------------


@pytest.fixture(scope="module")
def fashion_dir():
    return data.resolve_data_dir("fashion-mnist")


@pytest.mark.data
def test_real_fashion_mnist_content_checksums(fashion_dir):
    for stem, digest in data.CHECKSUMS["fashion-mnist"].items():
        assert data.sha256_of_content(data.find_file(fashion_dir, stem)) == digest
    assert data.identify(data.find_file(fashion_dir, LABELS)) == "fashion-mnist"
    with pytest.raises(XentlabError, match="holds fashion-mnist, not mnist"):
        data.resolve_data_dir("mnist", fashion_dir)


@pytest.mark.data
def test_real_fashion_mnist_loads_and_a_network_learns_it(fashion_dir):
    ds = data.load_dataset("fashion-mnist", fashion_dir)
    assert (len(ds.train.X), len(ds.validation.X), len(ds.test.X)) == (50_000, 10_000, 10_000)
    assert ds.train.X.dtype == np.float32 and ds.train.X.min() == 0 and ds.train.X.max() == 1
    assert np.array_equal(np.bincount(ds.test.labels), np.full(10, 1000))  # 1,000 per class
    net = Network.create([784, 30, 10], seed=0)
    training = check_labelled(net, ds.train.X[:5000], ds.train.labels[:5000], "training")
    fit(TrainState.start(net, TrainConfig(epochs=1, batch_size=10, eta=0.5, seed=0)), training)
    assert net.accuracy(ds.test.X, ds.test.labels) > 0.65  # measured 0.76; chance is 0.1


def test_check_available_finds_a_data_set_without_reading_it(tmp_path):
    from xentlab.data import check_available

    check_available("digits", tmp_path)  # embedded: always there
    with pytest.raises(XentlabError, match=r"^no mnist data in .* \(--data-dir\): expected a"):
        check_available("mnist", tmp_path)
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"):
        (tmp_path / stem).write_bytes(b"")
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    check_available("mnist", tmp_path)  # found; whether they are good is for the reader to say
    with pytest.raises(XentlabError, match=r"^data directory .*missing does not exist$"):
        check_available("mnist", tmp_path / "missing")
