"""The network file: exact round trip, and a clear FormatError for every kind of bad file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from xentlab.errors import FormatError, XentlabError
from xentlab.formats import (
    NETWORK_VERSION,
    encode_array,
    load_network,
    network_document,
    save_network,
    seal,
)
from xentlab.model import Network


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "log-likelihood"])
def test_round_trip_is_bit_exact(tmp_path, dtype, cost):
    net = Network.create([7, 5, 3], cost=cost, seed=4, dtype=dtype)
    path = tmp_path / "net.json"
    save_network(net, path, {"dataset": "toy"})
    loaded, meta = load_network(path)
    assert meta == {"dataset": "toy"}
    assert loaded.sizes == net.sizes and loaded.cost == net.cost and loaded.dtype == net.dtype
    for a, b in zip(net.weights + net.biases, loaded.weights + loaded.biases, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]


def good_document():
    return network_document(Network.create([4, 3, 2], seed=0, dtype="float64"))


def mutate(doc, path, value):
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


NAN_WEIGHTS = encode_array(np.full((4, 3), np.nan))
GIANT = {"shape": [4, 3], "data": "A" * 10}


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("format",), "something.else", "not a network file"),
        (("version",), NETWORK_VERSION + 1, "upgrade xentlab"),
        (("version",), "1", "'version' must be a positive integer"),
        (("sizes",), KeyError, "missing key 'sizes'"),
        (("weights",), KeyError, "missing key 'weights'"),
        (("sizes",), [4, 3], "need 1 weight and bias arrays; got 2"),
        (("sizes",), [4, 3.5, 2], "'sizes' must be a list of integers"),
        (("sizes",), [4, 10**12, 2], "at most"),
        (("sizes",), "4,3,2", "'sizes' has the wrong type"),
        (("cost",), "hinge", "cost must be one of"),
        (("dtype",), "float16", "dtype must be one of"),
        (("dtype",), "float32", "does not hold"),
        (("weights", 0), NAN_WEIGHTS, "NaN or infinite"),
        (("weights", 0, "shape"), [3, 4], "expected [4, 3]"),
        (("weights", 0, "data"), "!!!!" * 32, "not valid base64"),
        (("weights", 0), GIANT, "does not hold 96 bytes"),
        (("weights", 0), [1, 2], "must be an object"),
        (("biases", 1, "data"), 5, "must be a base64 string"),
        (("meta",), [], "'meta' must be an object"),
    ],
)
def test_bad_network_documents(tmp_path, path, value, needle):
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(seal(mutate(good_document(), path, value))))  # sealed again
    with pytest.raises(FormatError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        load_network(file)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "not JSON"),
        (b"\x00\xff\xfe garbage", "not JSON"),
        (b"[1, 2, 3]", "expected a JSON object"),
        (b'{"format": "xentlab.network"', "not JSON"),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_files_that_are_not_networks(tmp_path, content, needle):
    file = tmp_path / "bad.json"
    file.write_bytes(content)
    with pytest.raises(FormatError, match=needle):
        load_network(file)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(XentlabError, match="network file not found: .*nope.json"):
        load_network(tmp_path / "nope.json")


def test_failed_save_leaves_old_file(tmp_path):
    path = tmp_path / "net.json"
    save_network(Network.create([4, 3, 2], seed=0), path)
    before = path.read_bytes()
    with pytest.raises(ValueError):
        save_network(Network.create([4, 3, 2], seed=1), path, {"bad": float("nan")})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]


def test_saved_files_get_the_usual_mode(tmp_path):
    import os

    path = tmp_path / "net.json"
    save_network(Network.create([4, 3, 2], seed=0), path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    save_network(Network.create([4, 3, 2], seed=1), path)
    assert path.stat().st_mode & 0o777 == 0o640  # rewriting keeps the file's mode
