"""Data sets kept decoded on disk (data.decoded_cache): read back the second time, never trusted
blindly. A stale, corrupt, truncated or foreign entry is decoded again and rewritten, never an
error and never wrong data; a cache folder that cannot be written is no cache, silently."""

from __future__ import annotations

import gzip
import os
import pickle
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from idx_tools import write_idx, write_mnist_dir

from xentlab import data
from xentlab.data import decoded_cache, sets
from xentlab.files import places

LONG_AGO = time.time_ns() - 3600 * 10**9  # an hour ago: older than RECENT_SECONDS


def aged(*paths: Path, at: int = LONG_AGO) -> None:
    """Give files a modification time long past, as data files have."""
    for path in paths:
        os.utime(path, ns=(at, at))


def t10k_folder(folder: Path, seed: int = 0, n: int = 7, old: bool = True) -> Path:
    """A folder named mnist holding the two t10k files (all a test split reads)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    images = write_idx(folder / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
    labels = write_idx(folder / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, n))
    if old:
        aged(images, labels)
    return folder


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """The folder of decoded entries, in a cache of the test's own, switched on."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(places.NO_DECODED_CACHE, raising=False)
    return tmp_path / "cache" / "xentlab" / places.DECODED_FOLDER


@pytest.fixture
def decoded(monkeypatch) -> list[str]:
    """The IDX files read (decoded) from here on, by name."""
    names: list[str] = []
    read = sets.read_idx

    def counting(path):
        names.append(Path(path).name)
        return read(path)

    monkeypatch.setattr(sets, "read_idx", counting)
    return names


def uncached(monkeypatch, load):
    """What ``load()`` gives with the cache turned off: the reference."""
    with monkeypatch.context() as off:
        off.setenv(places.NO_DECODED_CACHE, "1")
        return load()


def same(a: data.LabelledData, b: data.LabelledData) -> bool:
    return (
        a.X.dtype == b.X.dtype
        and a.labels.dtype == b.labels.dtype
        and np.array_equal(a.X, b.X)
        and np.array_equal(a.labels, b.labels)
    )


def entry_of(cache: Path, folder: Path) -> Path:
    """The entry of the test split of the MNIST files in ``folder``."""
    sources = [
        folder / f"{stem}.gz" for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    ]
    entry = cache / f"mnist-test-{decoded_cache._paths_digest(sources)}{decoded_cache.SUFFIX}"
    assert entry.is_file()
    return entry


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"*{decoded_cache.SUFFIX}")) if cache.is_dir() else []


def test_the_second_load_reads_the_entry_instead_of_the_files(
    tmp_path, cache, decoded, monkeypatch
):
    folder = t10k_folder(tmp_path / "mnist")
    first = data.load_split("mnist", "test", folder)
    assert len(decoded) == 2  # images and labels
    (entry,) = entries(cache)
    assert entry.name.startswith("mnist-test-")
    second = data.load_split("mnist", "test", folder)
    assert len(decoded) == 2  # not decoded again
    reference = uncached(monkeypatch, lambda: data.load_split("mnist", "test", folder))
    assert same(first, reference) and same(second, reference)
    assert second.X.flags.writeable and second.X.flags.c_contiguous


def test_a_whole_data_set_and_its_splits_share_the_entries(tmp_path, cache, decoded, monkeypatch):
    folder = write_mnist_dir(tmp_path / "mnist")
    aged(*folder.iterdir())
    whole = data.load_dataset("mnist", folder)
    assert [p.name.rsplit("-", 1)[0] for p in entries(cache)] == ["mnist-test", "mnist-train"]
    count = len(decoded)
    validation = data.load_split("mnist", "validation", folder)
    again = data.load_dataset("mnist", folder)
    assert len(decoded) == count
    reference = uncached(monkeypatch, lambda: data.load_dataset("mnist", folder))
    assert same(validation, reference.validation)
    for part in ("train", "validation", "test"):
        assert same(getattr(whole, part), getattr(reference, part))
        assert same(getattr(again, part), getattr(reference, part))


@pytest.mark.parametrize("change", ["same size", "other size"])
def test_a_source_changed_since_is_decoded_again(tmp_path, cache, decoded, change):
    folder = t10k_folder(tmp_path / "mnist", seed=0)
    data.load_split("mnist", "test", folder)
    # New labels in the same file, its time set back to the very one it had: the entry's
    # key still tells them apart (the change time, and for the other size, the size).
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    new = np.arange(7 if change == "same size" else 9) % 10
    if change == "other size":
        write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((9, 28, 28)))
        aged(folder / "t10k-images-idx3-ubyte.gz")
    write_idx(labels, new)
    aged(labels)
    got = data.load_split("mnist", "test", folder)
    assert np.array_equal(got.labels, new)
    assert len(decoded) == 4
    (entry,) = entries(cache)  # the stale entry was replaced by the new one
    assert np.array_equal(data.load_split("mnist", "test", folder).labels, new)
    assert len(decoded) == 4


def test_a_source_written_just_now_is_not_kept(tmp_path, cache, decoded):
    """File times have a coarse grain: a file rewritten within the same tick, at the same size,
    would look unchanged; so what changed within RECENT_SECONDS is decoded every time."""
    folder = t10k_folder(tmp_path / "mnist", old=False)
    data.load_split("mnist", "test", folder)
    data.load_split("mnist", "test", folder)
    assert entries(cache) == [] and len(decoded) == 4


def damaged(entry: Path, how: str, other: Path) -> None:
    content = entry.read_bytes()
    middle = len(content) - 100  # inside the images' bytes
    if how == "one byte flipped":
        entry.write_bytes(content[:middle] + bytes([content[middle] ^ 1]) + content[middle + 1 :])
    elif how == "truncated":
        entry.write_bytes(content[: len(content) // 2])
    elif how == "a byte more":
        entry.write_bytes(content + b"\0")
    elif how == "empty":
        entry.write_bytes(b"")
    elif how == "foreign":
        entry.write_bytes(os.urandom(len(content)))
    elif how == "a header alone":
        entry.write_bytes(content[: decoded_cache.HEADER.size])
    elif how == "another source's entry":
        entry.write_bytes(other.read_bytes())  # complete and intact, for other files
    elif how == "another version's":
        head = decoded_cache.HEADER.unpack_from(content)
        newer = decoded_cache.HEADER.pack(head[0], head[1] + 1, *head[2:])
        entry.write_bytes(newer + content[len(newer) :])
    elif how == "a shape that does not add up":
        at = decoded_cache.HEADER.size
        code, dims, *shape, crc = decoded_cache.ARRAY.unpack_from(content, at)
        lying = decoded_cache.ARRAY.pack(code, dims, shape[0] + 1, *shape[1:], crc)
        entry.write_bytes(content[:at] + lying + content[at + len(lying) :])
    else:
        raise AssertionError(how)


DAMAGE = [
    "one byte flipped",
    "truncated",
    "a byte more",
    "empty",
    "foreign",
    "a header alone",
    "another source's entry",
    "another version's",
    "a shape that does not add up",
]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_or_foreign_entry_is_decoded_again_and_rewritten(
    tmp_path, cache, decoded, how, monkeypatch
):
    other = t10k_folder(tmp_path / "elsewhere" / "mnist", seed=1)
    data.load_split("mnist", "test", other)
    folder = t10k_folder(tmp_path / "mnist", seed=0)
    data.load_split("mnist", "test", folder)
    entry, other_entry = entry_of(cache, folder), entry_of(cache, other)
    good = entry.read_bytes()
    damaged(entry, how, other_entry)
    count = len(decoded)
    got = data.load_split("mnist", "test", folder)
    assert len(decoded) == count + 2  # decoded again
    assert same(got, uncached(monkeypatch, lambda: data.load_split("mnist", "test", folder)))
    assert entry.read_bytes() == good  # and written again, whole


@pytest.mark.parametrize(
    "where", ["the cache is a file", "its folder is a file", "the entry is a folder"]
)
def test_a_cache_that_cannot_be_written_is_no_cache_and_no_error(
    tmp_path, cache, decoded, where, monkeypatch, capsys
):
    folder = t10k_folder(tmp_path / "mnist")
    if where == "the cache is a file":
        (tmp_path / "cache").write_text("not a folder")
    elif where == "its folder is a file":
        cache.parent.mkdir(parents=True)
        cache.write_text("not a folder")
    else:
        cache.mkdir(parents=True)
        sources = [folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz"]
        name = f"mnist-test-{decoded_cache._paths_digest(sources)}{decoded_cache.SUFFIX}"
        (cache / name).mkdir()
    reference = uncached(monkeypatch, lambda: data.load_split("mnist", "test", folder))
    for _ in range(2):
        assert same(data.load_split("mnist", "test", folder), reference)
    assert len(decoded) == 6  # the reference, then decoded each time: nothing was kept
    assert capsys.readouterr() == ("", "")  # no warning, no message (warnings are errors here)


def test_the_variable_turns_it_off(tmp_path, cache, decoded, monkeypatch):
    folder = t10k_folder(tmp_path / "mnist")
    monkeypatch.setenv(places.NO_DECODED_CACHE, "1")
    data.load_split("mnist", "test", folder)
    assert entries(cache) == []  # nothing written
    monkeypatch.setenv(places.NO_DECODED_CACHE, "0")  # "0" (or empty) means on
    data.load_split("mnist", "test", folder)
    assert len(entries(cache)) == 1
    monkeypatch.setenv(places.NO_DECODED_CACHE, "yes")
    data.load_split("mnist", "test", folder)
    assert len(decoded) == 6  # an entry there is not read either
    assert places.decoded_cache_folder() is None


def test_a_source_changed_while_it_was_decoded_is_not_kept(tmp_path, cache):
    source = tmp_path / "source"
    source.write_bytes(b"12345")
    aged(source)

    def decode():
        source.write_bytes(b"54321")  # someone rewrites it meanwhile
        aged(source)
        return (np.arange(5, dtype=np.uint8),)

    decoded_cache.cached_arrays("x", [source], decode)
    assert entries(cache) == []


def test_arrays_that_do_not_fit_are_decoded_again(tmp_path, cache):
    source = tmp_path / "source"
    source.write_bytes(b"1")
    aged(source)
    calls = []

    def decode():
        calls.append(1)
        return (np.arange(6, dtype=np.uint8).reshape(2, 3),)

    decoded_cache.cached_arrays("x", [source], decode)
    (got,) = decoded_cache.cached_arrays("x", [source], decode, fits=lambda a: a[0].shape == (3, 2))
    assert len(calls) == 2 and got.shape == (2, 3)


@pytest.mark.parametrize("dtype", ["|u1", "<i4", ">i8", "<f4", ">f8"])
def test_entries_hold_every_dtype_in_native_order(tmp_path, dtype):
    array = np.arange(24, dtype=dtype).reshape(2, 3, 4) / 1
    array = array.astype(dtype)
    key = b"k" * 32
    path = tmp_path / "entry"
    assert decoded_cache.write_entry(path, key, (array, array[0, 0]))
    got, first_row = decoded_cache.read_entry(path, key)
    assert got.dtype == array.dtype.newbyteorder("=") and got.dtype.isnative
    assert np.array_equal(got, array) and np.array_equal(first_row, array[0, 0])
    assert decoded_cache.read_entry(path, b"o" * 32) is None  # another key's


def test_a_header_claiming_a_terabyte_is_refused_before_any_allocation(tmp_path):
    key = b"k" * 32
    path = tmp_path / "entry"
    header = decoded_cache.HEADER.pack(decoded_cache.MAGIC, decoded_cache.DECODED_VERSION, key, 1)
    table = decoded_cache.ARRAY.pack(b"<f8", 2, 2**20, 2**17, 0, 0, 0)
    path.write_bytes(header + table + b"\0" * 64)
    tracemalloc.start()
    try:
        assert decoded_cache.read_entry(path, key) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_the_book_pickle_is_kept_decoded(tmp_path, cache, monkeypatch):
    rng = np.random.default_rng(0)
    parts = tuple(
        (rng.random((n, 784)).astype(np.float32), rng.integers(0, 10, n)) for n in (5, 4, 3)
    )
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(parts, protocol=2)))
    aged(path)
    first = data.load_dataset("mnist-pkl", tmp_path)
    assert [p.name.rsplit("-", 1)[0] for p in entries(cache)] == ["mnist-pkl"]

    def unread(path):
        raise AssertionError("the pickle was read again")

    monkeypatch.setattr(sets, "read_mnist_pkl", unread)
    again = data.load_dataset("mnist-pkl", tmp_path)
    test = data.load_split("mnist-pkl", "test", tmp_path)
    for part, (X, labels) in zip(("train", "validation", "test"), parts, strict=True):
        reference = data.LabelledData(X, labels.astype(np.int64))
        assert same(getattr(first, part), reference) and same(getattr(again, part), reference)
    assert same(test, data.LabelledData(parts[2][0], parts[2][1].astype(np.int64)))


def test_the_digits_are_kept_decoded_and_read_without_scikit_learn(cache, monkeypatch):
    """scikit-learn's digits file is found without importing scikit-learn; once its digits are
    decoded, a load reads them back (the command line then never imports scikit-learn, whose
    import takes a second or two: see test_startup)."""
    import sklearn.datasets

    reference = uncached(monkeypatch, lambda: data.load_digits(3))
    first = data.load_digits(3)
    assert [p.name.rsplit("-", 1)[0] for p in entries(cache)] == ["digits"]

    def refuse(*args, **kwargs):
        raise AssertionError("scikit-learn was asked again")

    monkeypatch.setattr(sklearn.datasets, "load_digits", refuse)
    again = data.load_digits(3)
    other_split = data.load_digits(4)
    for part in ("train", "validation", "test"):
        assert same(getattr(first, part), getattr(reference, part))
        assert same(getattr(again, part), getattr(reference, part))
    assert not same(other_split.train, again.train)  # the seed still splits them


def test_the_least_recently_used_entries_go_beyond_the_folders_budget(tmp_path, cache, monkeypatch):
    """Entries for sources since moved or deleted do not pile up: past KEPT_BYTES, the entries
    used longest ago are removed, a read renewing an entry's use; the one just written stays."""
    sources = {}
    for name in ("a", "b", "c"):
        sources[name] = tmp_path / name
        sources[name].write_bytes(name.encode())
        aged(sources[name])

    def load(name):
        return decoded_cache.cached_arrays(
            name, [sources[name]], lambda: (np.zeros(1000, np.uint8),)
        )

    load("a")
    (entry_size,) = {p.stat().st_size for p in entries(cache)}
    monkeypatch.setattr(decoded_cache, "KEPT_BYTES", 2 * entry_size)  # room for two
    load("b")
    assert len(entries(cache)) == 2
    for at, path in enumerate(entries(cache)):  # a used long ago, then b
        aged(path, at=LONG_AGO + at * 10**9)
    load("a")  # a read: a is now the latest used
    load("c")  # a third entry: b, used longest ago, goes
    assert [p.name.split("-")[0] for p in entries(cache)] == ["a", "c"]


def test_prune_keeps_the_entry_just_written_and_leaves_other_files(tmp_path):
    folder = tmp_path / "decoded"
    folder.mkdir()
    for at, name in enumerate(["old.decoded", "new.decoded", "notes.txt"]):
        (folder / name).write_bytes(b"x" * 100)
        aged(folder / name, at=LONG_AGO + at * 10**9)
    assert decoded_cache.prune(folder, keep=folder / "old.decoded", budget=0) == [
        folder / "new.decoded"
    ]
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "old.decoded"]
    assert decoded_cache.prune(folder, keep=folder / "old.decoded", budget=100) == []
