"""Data readers: IDX round trips and refusals, real MNIST, digits, where data lives, fetching
from a local server, and the book's pickle read without running code."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import pickle
import re
import shlex
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from idx_tools import idx_bytes, write_idx, write_mnist_dir

from xentlab import data
from xentlab.errors import FormatError, XentlabError


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (1, 2, 1, 3)])
def test_idx_round_trip(tmp_path, gz, shape):
    array = np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8)
    assert np.array_equal(data.read_idx(write_idx(tmp_path / "f", array, gz=gz)), array)


GOOD = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "too short"),
        (b"\x00\x00", "too short"),
        (idx_bytes(GOOD, magic=b"\x01\x00\x08\x03"), "not an IDX file"),
        (idx_bytes(GOOD, magic=b"\x00\x00\x0d\x03"), "type 0x0d is not supported"),
        (b"\x00\x00\x08\x00", "dimension count 0"),
        (b"\x00\x00\x08\x05" + b"\x00" * 20, "dimension count 5"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated IDX header"),
        (idx_bytes(GOOD)[:-1], "truncated"),
        (idx_bytes(GOOD) + b"\x00", "longer than declared"),
        (idx_bytes(GOOD, dims=(3, 3, 4)), "truncated"),
        (idx_bytes(GOOD, dims=(1, 3, 4)), "longer than declared"),
        (idx_bytes(GOOD, dims=(1_000_000, 1000, 1000)), "more than xentlab reads"),
        # found by the atheris target: no bytes declared, yet no array of that shape exists
        (idx_bytes(GOOD[:0], dims=(2052, 4278190068, 0, 1088421887)), "more than xentlab reads"),
        (gzip.compress(idx_bytes(GOOD))[:-10], "damaged gzip"),
        (gzip.compress(idx_bytes(GOOD))[:20], "damaged gzip"),
        (b"\x1f\x8b" + b"\xff" * 40, "damaged gzip"),
    ],
)
def test_bad_idx_files(tmp_path, content, needle):
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=needle):
        data.read_idx(path)


def test_huge_declared_size_allocates_nothing(tmp_path):
    # 4·10⁹ images of 28 × 28 (over 10¹² bytes) declared in the header of a tiny gzip file.
    path = tmp_path / "huge"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(16, np.uint8), dims=(4_000_000_000, 28, 28))))
    tracemalloc.start()
    with pytest.raises(FormatError, match="more than xentlab reads"):
        data.read_idx(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10_000_000


def test_missing_file_is_named(tmp_path):
    with pytest.raises(XentlabError, match="data file not found: .*nothing"):
        data.read_idx(tmp_path / "nothing")


def test_mnist_directory_checks(tmp_path):
    directory = write_mnist_dir(tmp_path / "m")
    ds = data.load_dataset("mnist", directory)
    assert ds.train.X.shape == (12, 784) and ds.validation.X.shape == (10_000, 784)
    assert ds.test.X.dtype == np.float32 and 0 <= ds.test.X.min() and ds.test.X.max() <= 1
    write_idx(directory / "t10k-labels-idx1-ubyte.gz", np.full(7, 10))
    with pytest.raises(FormatError, match="labels must be digits 0..9; found 10"):
        data.load_dataset("mnist", directory)
    write_idx(directory / "t10k-labels-idx1-ubyte.gz", np.zeros(6))
    with pytest.raises(FormatError, match="7 images but .* 6 labels"):
        data.load_dataset("mnist", directory)
    write_idx(directory / "t10k-labels-idx1-ubyte.gz", np.zeros((7, 1)))
    with pytest.raises(FormatError, match="labels must be 1-D"):
        data.load_dataset("mnist", directory)
    (directory / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(XentlabError, match="data file not found: .*t10k-labels"):
        data.load_dataset("mnist", directory)


@pytest.mark.data
def test_real_mnist():
    directory = data.resolve_data_dir("mnist")
    ds = data.load_dataset("mnist")
    assert (len(ds.train.X), len(ds.validation.X), len(ds.test.X)) == (50_000, 10_000, 10_000)
    assert ds.train.X.shape[1] == 784 and ds.train.X.dtype == np.float32
    assert ds.train.X.min() == 0 and ds.train.X.max() == 1
    counts = np.bincount(ds.train.labels, minlength=10)
    assert counts.sum() == 50_000 and counts.min() > 4000
    for stem, digest in data.CHECKSUMS["mnist"].items():
        assert data.sha256_of_content(directory / f"{stem}.gz") == digest
    assert data.identify(directory / "t10k-labels-idx1-ubyte.gz") == "mnist"


def test_digits_split_is_seeded_and_disjoint():
    a, b, c = data.load_digits(0), data.load_digits(0), data.load_digits(1)
    assert a.train.X.shape == (1078, 64) and a.image_shape == (8, 8)
    assert np.array_equal(a.train.X, b.train.X) and not np.array_equal(a.train.X, c.train.X)
    rows = {tuple(r) for split in (a.train, a.validation, a.test) for r in split.X.round(4)}
    assert len(a.train.X) + len(a.validation.X) + len(a.test.X) == 1797
    assert len(rows) > 1700  # (a few digits images are exact duplicates of each other)
    assert a.train.X.max() <= 1 and a.train.X.min() >= 0


def test_data_dir_precedence(tmp_path, monkeypatch):
    explicit, env, cache = tmp_path / "explicit", tmp_path / "env", tmp_path / "cache"
    for d in (explicit, env / "mnist", cache / "xentlab" / "mnist"):
        d.mkdir(parents=True)
    (explicit / "train-images-idx3-ubyte.gz").write_bytes(b"")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("XENTLAB_DATA", str(env))
    assert data.resolve_data_dir("mnist", explicit) == explicit  # files directly in it
    assert data.resolve_data_dir("mnist") == env / "mnist"  # a subdirectory named for the set
    monkeypatch.setenv("XENTLAB_DATA", str(env / "mnist"))
    assert data.resolve_data_dir("mnist") == env / "mnist"  # a directory named for the set
    # ... which is not Fashion-MNIST, although the file names are the same
    with pytest.raises(XentlabError, match="no fashion-mnist data .*xentlab data fetch"):
        data.resolve_data_dir("fashion-mnist")
    monkeypatch.delenv("XENTLAB_DATA")
    assert data.resolve_data_dir("mnist") == cache / "xentlab" / "mnist"
    with pytest.raises(XentlabError, match="xentlab data fetch fashion-mnist"):
        data.resolve_data_dir("fashion-mnist", tmp_path / "nowhere")


# --- fetching from a server of our own ----------------------------------------------------


class Files(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    truncate: set[str] = set()
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (the http.server API)
        name = self.path.strip("/").split("/")[-1]
        self.requests.append(name)
        body = self.files.get(name)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if name in self.truncate else body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    Files.files, Files.truncate, Files.requests = {}, set(), []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    contents = {
        stem: idx_bytes(np.arange(i + 1, dtype=np.uint8))
        for i, stem in enumerate(data.IDX_FILES.values())
    }
    for stem, raw in contents.items():
        Files.files[f"{stem}.gz"] = gzip.compress(raw)
    monkeypatch.setitem(
        data.CHECKSUMS,
        "mnist",
        {s: hashlib.sha256(r).hexdigest() for s, r in contents.items()},
    )
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_fetch_downloads_and_verifies(tmp_path, server):
    seen, urls = [], []
    where = data.fetch(
        "mnist",
        tmp_path,
        mirrors=[server],
        progress=lambda d, t: seen.append((d, t)),
        on_download=urls.append,
    )
    assert sorted(p.name for p in where.iterdir()) == sorted(
        f"{s}.gz" for s in data.IDX_FILES.values()
    )
    assert seen and seen[-1][0] == seen[-1][1]
    assert urls == [f"{server}{s}.gz" for s in data.CHECKSUMS["mnist"]]
    first = list(Files.requests)
    data.fetch("mnist", tmp_path, mirrors=[server])
    assert Files.requests == first  # verified files are not downloaded again


@pytest.mark.parametrize("origin", ["the cache", "XENTLAB_DATA", "--data-dir"])
def test_the_fetch_a_missing_data_set_suggests_puts_it_where_it_is_looked_for(
    tmp_path, server, monkeypatch, origin
):
    """The command, copied from the message as a shell reads it and run, fetches the data into
    the folder the failed command looks in: --dest is named whenever that is not the cache."""
    from xentlab.cli import main

    monkeypatch.setitem(data.MIRRORS, "mnist", [server])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("XENTLAB_DATA", raising=False)
    explicit = None
    if origin == "XENTLAB_DATA":
        monkeypatch.setenv("XENTLAB_DATA", str(tmp_path / "shared data"))
    elif origin == "--data-dir":
        explicit = tmp_path / "it's mine"  # not made yet
    with pytest.raises(XentlabError, match=f"\\({re.escape(origin)}\\)") as caught:
        data.resolve_data_dir("mnist", explicit)
    hint = str(caught.value).split("fetch it: ", 1)[1]
    assert ("--dest" in hint) == (origin != "the cache")
    program, *argv = shlex.split(hint)
    assert program == "xentlab" and main(argv) == 0
    assert data.resolve_data_dir("mnist", explicit).name == "mnist"
    data.check_available("mnist", explicit)  # every file where a run reads it


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "missing", "wrong"])
def test_fetch_refuses_bad_files_and_leaves_nothing(tmp_path, server, damage):
    name = "t10k-images-idx3-ubyte.gz"
    if damage == "corrupt":
        body = bytearray(Files.files[name])
        body[len(body) // 2] ^= 0xFF
        Files.files[name] = bytes(body)
    elif damage == "truncated":
        Files.truncate.add(name)
    elif damage == "missing":
        del Files.files[name]
    else:
        Files.files[name] = Files.files["train-labels-idx1-ubyte.gz"]
    with pytest.raises(XentlabError, match="could not fetch t10k-images-idx3-ubyte.gz"):
        data.fetch("mnist", tmp_path, mirrors=[server])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert name not in names and not any(n.endswith(".part") for n in names)


def test_fetch_tries_the_next_mirror(tmp_path, server):
    dead = "http://127.0.0.1:9/"  # discard port: connection refused
    data.fetch("mnist", tmp_path, mirrors=[dead, server], timeout=5)
    assert len(list(tmp_path.iterdir())) == 4


# --- the book's pickle --------------------------------------------------------------------


def book_pickle(parts) -> bytes:
    return gzip.compress(pickle.dumps(parts, protocol=2))


def pkl_parts(n=5):
    rng = np.random.default_rng(0)
    return tuple(
        (rng.random((n, 784)).astype(np.float32), rng.integers(0, 10, n)) for _ in range(3)
    )


def test_pkl_reads_arrays(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    parts = pkl_parts()
    path.write_bytes(book_pickle(parts))
    ds = data.read_mnist_pkl(path)
    assert np.array_equal(ds.validation.X, parts[1][0]) and np.array_equal(
        ds.test.labels, parts[2][1]
    )
    assert data.load_dataset("mnist-pkl", tmp_path).train.X.shape == (5, 784)


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class EvalEvil:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))


@pytest.mark.parametrize(
    "make", [lambda m: Evil(m), lambda m: EvalEvil(), lambda m: (Evil(m), 1, 2)]
)
def test_pkl_that_runs_code_is_refused(tmp_path, make):
    marker = tmp_path / "pwned"
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(book_pickle(make(marker)))
    with pytest.raises(FormatError, match="refused to load"):
        data.read_mnist_pkl(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("parts", "needle"),
    [
        ((1, 2), "expected a tuple"),
        (
            pkl_parts()[:2] + ((np.zeros((3, 10), np.float32), np.zeros(3, int)),),
            "float \\(n, 784\\)",
        ),
        (
            pkl_parts()[:2] + ((np.full((3, 784), 2.0, np.float32), np.zeros(3, int)),),
            "in \\[0, 1\\]",
        ),
        (pkl_parts()[:2] + ((np.zeros((3, 784), np.float32), np.full(3, 12)),), "digits 0..9"),
        (pkl_parts()[:2] + ((np.zeros((3, 784), np.float32), np.zeros(2, int)),), "3 integers"),
        (pkl_parts()[:2] + (([0.0], [1]),), "NumPy arrays"),
    ],
)
def test_pkl_with_wrong_structure(tmp_path, parts, needle):
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(book_pickle(parts))
    with pytest.raises(FormatError, match=needle):
        data.read_mnist_pkl(path)


def test_pkl_that_is_not_a_pickle(tmp_path):
    path = tmp_path / "mnist.pkl"
    path.write_bytes(b"definitely not a pickle")
    with pytest.raises(FormatError, match="not a readable pickle"):
        data.read_mnist_pkl(path)
    path.write_bytes(io.BytesIO(pickle.dumps(pkl_parts())[:-30]).getvalue())
    with pytest.raises(FormatError, match="not a readable pickle"):
        data.read_mnist_pkl(path)


def test_unknown_dataset():
    with pytest.raises(XentlabError, match="dataset must be one of"):
        data.load_dataset("cifar")
    assert isinstance(Path(data.cache_dir()), Path)


def py2_array(array: np.ndarray) -> bytes:
    """A NumPy array as Python 2's cPickle (protocol 2) wrote it: byte strings, not bytes."""
    import struct

    def short(text: bytes) -> bytes:
        return b"U" + bytes([len(text)]) + text

    def binint(value: int) -> bytes:
        return b"J" + struct.pack("<i", value)

    code = array.dtype.str[1:].encode()
    dtype = b"cnumpy\ndtype\n" + short(code) + b"K\x00K\x01\x87R"
    dtype += b"(K\x03" + short(b"<") + b"NNN" + binint(-1) + binint(-1) + b"K\x00tb"
    shape = b"(" + b"".join(binint(d) for d in array.shape) + b"t"
    raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
    return (
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85"
        + short(b"b")
        + b"\x87R(K\x01"
        + shape
        + dtype
        + b"\x89T"
        + struct.pack("<I", len(raw))
        + raw
        + b"tb"
    )


def test_pkl_written_by_python_2(tmp_path):
    parts = pkl_parts(3)
    body = b"".join(py2_array(X) + py2_array(y) + b"\x86" for X, y in parts)
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(b"\x80\x02" + body + b"\x87."))
    ds = data.read_mnist_pkl(path)
    for split, (X, y) in zip((ds.train, ds.validation, ds.test), parts, strict=True):
        assert np.array_equal(split.X, X) and np.array_equal(split.labels, y)


def test_pkl_object_dtype_is_refused(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(np.array([1, None], dtype=object), protocol=2)))
    with pytest.raises(FormatError, match="not a plain numeric type"):
        data.read_mnist_pkl(path)


def test_labelled_data_fingerprint_bits():
    # Pinned digests: checkpoints store fingerprints, so the bits hashed must never change.
    labels = np.arange(200) % 10
    X = np.arange(600, dtype=np.float32).reshape(200, 3) / 7
    assert data.LabelledData(X, labels).fingerprint() == (
        "4c527054cbb74d490fb88dbb6fcac83e6274c2d10128d3b3c1e99fc8bd2ada2f"
    )
    X = np.arange(600, dtype=np.float64).reshape(20, 30) / 7
    assert data.LabelledData(X, labels[:20]).fingerprint() == (
        "c48f418dea2295937b894a5d82390e3790114a1a345a6f7b51858839772406a0"
    )
    same_values = data.LabelledData(X.reshape(30, 20), labels[:20])
    assert same_values.fingerprint() != data.LabelledData(X, labels[:20]).fingerprint()


def test_a_dataset_cache_reads_each_data_set_once_and_hands_out_read_only_arrays(
    tmp_path, monkeypatch
):
    write_mnist_dir(tmp_path, n_train=10_010, n_test=7)
    reads = []
    real = data.sets.load_dataset

    def counted(name, data_dir=None, seed=0):
        reads.append((name, seed))
        return real(name, data_dir, seed)

    monkeypatch.setattr("xentlab.data.cache.load_dataset", counted)
    cache = data.DatasetCache()
    first = cache.load("mnist", tmp_path, seed=1)
    # MNIST comes split by its files: one copy serves every seed.
    assert cache.load("mnist", tmp_path, seed=2) is first
    assert cache.load("digits", seed=1) is cache.load("digits", seed=1)
    # The digits are split by the seed: another seed is another split, read once too.
    other = cache.load("digits", seed=2)
    assert not np.array_equal(other.train.labels, cache.load("digits", seed=1).train.labels)
    assert reads == [("mnist", 1), ("digits", 1), ("digits", 2)] and len(cache) == 3
    for part in (first.train, first.validation, first.test):
        with pytest.raises(ValueError, match="read-only"):
            part.X[0, 0] = 1.0
        with pytest.raises(ValueError, match="read-only"):
            part.labels[0] = 1
