"""Property-based fuzzing of every reader: random bytes and random mutations of valid files.

The only outcomes allowed are a correct result or xentlab's own documented error
(XentlabError / FormatError). "Correct" is checked, not assumed: an IDX result re-encodes to the
very bytes read; a loaded network has the shapes its sizes promise and finite values.
"""

from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from idx_tools import idx_bytes

from xentlab import data
from xentlab.errors import XentlabError
from xentlab.formats import (
    load_checkpoint,
    load_network,
    load_safetensors,
    network_document,
    network_tensors,
    save_safetensors,
    seal,
    write_safetensors,
)
from xentlab.model import Network

FUZZ = settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
VALID_IDX = idx_bytes(np.arange(60, dtype=np.uint8).reshape(3, 4, 5))
VALID_NET = json.dumps(seal(network_document(Network.create([4, 3, 2], seed=0)))).encode()
VALID_PKL = pickle.dumps(
    tuple((np.full((2, 784), 0.5, np.float32), np.array([1, 2])) for _ in range(3)), protocol=2
)
CORPUS_CKPT = Path(__file__).parent / "corpus" / "files" / "good.ckpt"


def safetensors_bytes(sealed: bool) -> bytes:
    """A [4, 3, 2] network as a safetensors file: xentlab's (with its checksum, which stops
    most mutations at once) or a bare one as torch would write it (no metadata, so that every
    mutation reaches the checks of the layout and the network)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "n.safetensors"
        network = Network.create([4, 3, 2], seed=0)
        if sealed:
            save_safetensors(network, path, {"dataset": "digits"})
        else:
            write_safetensors(path, network_tensors(network), {})
        return path.read_bytes()


VALID_SAFETENSORS = (safetensors_bytes(sealed=True), safetensors_bytes(sealed=False))


@st.composite
def mutations(draw, valid: bytes):
    """valid bytes with a few bytes flipped, inserted, deleted, or the tail cut off."""
    content = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "set"]))
        at = draw(st.integers(0, max(len(content) - 1, 0)))
        if action == "flip" and content:
            content[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and content:
            content[at] = draw(st.integers(0, 255))
        elif action == "insert":
            content[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del content[at : at + draw(st.integers(1, 8))]
        else:
            del content[at:]
    return bytes(content)


def check_idx(path: Path, raw: bytes) -> None:
    try:
        array = data.read_idx(path)
    except XentlabError:
        return
    content = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    assert array.dtype == np.uint8
    assert idx_bytes(array) == content  # the result is exactly what the bytes say


@FUZZ
@given(st.binary(max_size=200))
def test_idx_random_bytes(tmp_path, raw):
    path = tmp_path / "f"
    path.write_bytes(raw)
    check_idx(path, raw)


@FUZZ
@given(st.one_of(mutations(VALID_IDX), mutations(gzip.compress(VALID_IDX, mtime=0))))
def test_idx_mutations(tmp_path, raw):
    path = tmp_path / "f"
    path.write_bytes(raw)
    check_idx(path, raw)


def check_network(path: Path) -> None:
    try:
        net, meta = load_network(path)
    except XentlabError:
        return
    assert isinstance(meta, dict)
    check_network_shapes(net)


def check_network_shapes(net: Network) -> None:
    for (n_in, n_out), W, b in zip(
        zip(net.sizes[:-1], net.sizes[1:], strict=True), net.weights, net.biases, strict=True
    ):
        assert W.shape == (n_in, n_out) and b.shape == (n_out,)
        assert np.isfinite(W).all() and np.isfinite(b).all()


@FUZZ
@given(st.binary(max_size=300))
def test_network_random_bytes(tmp_path, raw):
    path = tmp_path / "n.json"
    path.write_bytes(raw)
    check_network(path)


@FUZZ
@given(mutations(VALID_NET))
def test_network_mutations(tmp_path, raw):
    path = tmp_path / "n.json"
    path.write_bytes(raw)
    check_network(path)


def resealed(raw: bytes) -> bytes:
    """A mutated file that still parses as a JSON object, given a checksum that matches again,
    so that the mutation reaches the checks behind the checksum."""
    try:
        document = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(document, dict):
        return raw
    try:
        return json.dumps(seal(document)).encode()
    except ValueError:  # NaN or a number beyond any float: not JSON xentlab writes
        return raw


@FUZZ
@given(st.binary(max_size=300))
def test_safetensors_random_bytes(tmp_path, raw):
    path = tmp_path / "n.safetensors"
    path.write_bytes(raw)
    check_safetensors(path)


@FUZZ
@given(st.one_of(*(mutations(valid) for valid in VALID_SAFETENSORS)))
def test_safetensors_mutations(tmp_path, raw):
    path = tmp_path / "n.safetensors"
    path.write_bytes(raw)
    check_safetensors(path)


def check_safetensors(path: Path) -> None:
    """A safetensors file loads as a well-formed network, which saves and loads back the same,
    or is refused with xentlab's own error."""
    try:
        net, meta = load_safetensors(path)
    except XentlabError:
        return
    check_network_shapes(net)
    assert isinstance(meta, dict)
    again = path.with_name("again.safetensors")
    save_safetensors(net, again, meta)
    back, back_meta = load_safetensors(again)
    assert back_meta == meta and back.sizes == net.sizes and back.cost == net.cost
    pairs = zip(net.weights + net.biases, back.weights + back.biases, strict=True)
    assert all(np.array_equal(a, b) for a, b in pairs)


@FUZZ
@given(mutations(VALID_NET))
def test_network_mutations_resealed(tmp_path, raw):
    path = tmp_path / "n.json"
    path.write_bytes(resealed(raw))
    check_network(path)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutations(CORPUS_CKPT.read_bytes()), st.booleans())
def test_checkpoint_mutations(tmp_path, raw, reseal):
    path = tmp_path / "c.ckpt"
    path.write_bytes(resealed(raw) if reseal else raw)
    try:
        state, _ = load_checkpoint(path)
    except XentlabError:
        return
    assert 0 <= state.batch and state.eta > 0
    assert state.order is None or np.array_equal(np.sort(state.order), np.arange(len(state.order)))


@pytest.mark.parametrize("field", ["state", "inc"])
def test_checkpoint_rng_numbers_over_128_bits(tmp_path, field):
    # Found by the atheris target: NumPy raised OverflowError for a PCG64 number over 128 bits.
    document = json.loads(CORPUS_CKPT.read_text())
    document["rng"]["state"][field] = 2**129
    path = tmp_path / "c.ckpt"
    path.write_text(json.dumps(seal(document)))  # sealed again, so the field itself is judged
    with pytest.raises(XentlabError, match=rf"rng state.{field} must be"):
        load_checkpoint(path)


def check_pkl(path: Path) -> None:
    try:
        ds = data.read_mnist_pkl(path)
    except XentlabError:
        return
    for split in (ds.train, ds.validation, ds.test):
        assert split.X.shape[1] == 784 and len(split.X) == len(split.labels) > 0
        assert split.X.min() >= 0 and split.X.max() <= 1
        assert split.labels.min() >= 0 and split.labels.max() <= 9


@FUZZ
@given(st.binary(max_size=300))
def test_pkl_random_bytes(tmp_path, raw):
    path = tmp_path / "p.pkl"
    path.write_bytes(raw)
    check_pkl(path)


@FUZZ
@given(st.one_of(mutations(VALID_PKL), mutations(gzip.compress(VALID_PKL, mtime=0))))
def test_pkl_mutations(tmp_path, raw):
    path = tmp_path / "p.pkl"
    path.write_bytes(raw)
    check_pkl(path)


def test_atheris_target_runs_clean_for_a_while(tmp_path):
    """Run the coverage-guided target for a bounded time, when atheris is installed. Its memory
    is capped by the target itself (an address-space limit, not libFuzzer's once-a-second look
    at the resident size), so an input that allocates too much fails the same way every time."""
    import subprocess
    import sys

    pytest.importorskip(
        "atheris",
        reason="atheris is not installed: it publishes wheels only for CPython on x86-64 Linux "
        "(glibc), and the test extra asks for it only there",
    )
    target = Path(__file__).parent / "fuzz" / "atheris_readers.py"
    result = subprocess.run(
        [sys.executable, str(target), "-max_total_time=15"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done" in result.stderr
    assert not list(tmp_path.glob("crash-*"))


# --- the documents a user or a page sends: sweep files (TOML, JSON) and race bodies ------------

VALID_SWEEP_TOML = b"""dataset = "digits"
cost = ["quadratic", "cross-entropy"]
eta = [0.1, 0.5]
seed = [1, 2]
epochs = [1]

[[grid]]
hidden = [30]

[[grid]]
hidden = [10]
init = ["saturated"]
"""
VALID_SWEEP_JSON = json.dumps(
    {
        "dataset": "digits",
        "cost": ["quadratic", "cross-entropy"],
        "eta": [0.1, 0.5],
        "seed": [1, 2],
        "grid": [{"hidden": [30]}, {"hidden": [10], "epochs": [1]}],
    }
).encode()
VALID_RACE_BODY = (
    b'{"epochs": 3, "eta": 0.5, "hidden": 30, "seed": 2, "pace": 0, "init": "default"}'
)


@st.composite
def a_key_repeated(draw, valid: bytes, toml: bool = False):
    """(``valid`` with one of its top-level keys given again, with another of its values, the
    key): a document that must be refused by name, whatever the value."""
    document = json.loads(VALID_SWEEP_JSON) if toml else json.loads(valid)
    key = draw(st.sampled_from(sorted(k for k in document if k != "grid")))
    value = document[draw(st.sampled_from(sorted(k for k in document if k != "grid")))]
    if toml:
        line = f"{key} = {json.dumps(value)}\n".encode()
        at = draw(st.booleans())  # before the key's first line, or after it
        return (line + valid if at else valid.replace(b"\n", b"\n" + line, 1)), key
    given = json.dumps(key).encode() + b": " + json.dumps(value).encode()
    return b"{" + given + b", " + valid[1:], key


def first(pair: tuple[bytes, str]) -> bytes:
    return pair[0]


def keys_once(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [key for key, _ in pairs]
    assert len(set(keys)) == len(keys), f"a key given twice was accepted: {keys}"
    return dict(pairs)


def check_sweep_file(path: Path, raw: bytes) -> None:
    """A sweep file is refused with XentlabError, or read into a sweep whose every point is a
    run within the sweep's limits, from a document that gives each key once."""
    from xentlab import sweeps

    try:
        spec = sweeps.read_sweep_file(path)
        points = spec.points()
    except XentlabError:
        return
    if path.suffix == ".json":
        json.loads(raw, object_pairs_hook=keys_once)
    assert 1 <= len(points) <= sweeps.MAX_RUNS
    assert len({point.id for point in points}) == len(points)


@FUZZ
@given(st.binary(max_size=300), st.sampled_from([".toml", ".json"]))
def test_sweep_file_random_bytes(tmp_path, raw, suffix):
    path = tmp_path / f"s{suffix}"
    path.write_bytes(raw)
    check_sweep_file(path, raw)


@FUZZ
@given(
    st.one_of(
        st.tuples(mutations(VALID_SWEEP_TOML), st.just(".toml")),
        st.tuples(mutations(VALID_SWEEP_JSON), st.just(".json")),
        st.tuples(a_key_repeated(VALID_SWEEP_TOML, toml=True).map(first), st.just(".toml")),
        st.tuples(a_key_repeated(VALID_SWEEP_JSON).map(first), st.just(".json")),
    )
)
def test_sweep_file_mutations(tmp_path, mutated):
    raw, suffix = mutated
    path = tmp_path / f"s{suffix}"
    path.write_bytes(raw)
    check_sweep_file(path, raw)


def check_race_body(raw: bytes) -> None:
    """A race body is refused with XentlabError, or read into settings within the server's
    limits, from a JSON object that gives each setting once."""
    pytest.importorskip("starlette", reason="the web extra is not installed")
    from xentlab.web import Limits
    from xentlab.web.race_view import parameters, race_settings
    from xentlab.web.view import read_json_body

    limits = Limits()
    try:
        settings_asked = race_settings(read_json_body(raw), parameters(limits))
    except XentlabError:
        return
    given = json.loads(raw, object_pairs_hook=keys_once)
    document = settings_asked.document()
    assert 1 <= document["epochs"] <= limits.race_epochs
    for key, value in given.items():  # text ("3") is read as the number it names
        assert key not in document or isinstance(value, str) or document[key] == value, key


@FUZZ
@given(st.binary(max_size=200))
def test_race_body_random_bytes(raw):
    check_race_body(raw)


@FUZZ
@given(st.one_of(mutations(VALID_RACE_BODY), a_key_repeated(VALID_RACE_BODY).map(first)))
def test_race_body_mutations(raw):
    check_race_body(raw)


@FUZZ
@given(
    st.one_of(
        st.tuples(a_key_repeated(VALID_SWEEP_TOML, toml=True), st.just("s.toml")),
        st.tuples(a_key_repeated(VALID_SWEEP_JSON), st.just("s.json")),
        st.tuples(a_key_repeated(VALID_RACE_BODY), st.just("race")),
    )
)
def test_a_key_given_twice_is_always_refused_by_name(tmp_path, repeated):
    (raw, key), name = repeated
    if name == "race":
        pytest.importorskip("starlette", reason="the web extra is not installed")
        from xentlab.web.view import read_json_body

        with pytest.raises(XentlabError) as caught:
            read_json_body(raw)
    else:
        from xentlab import sweeps

        (tmp_path / name).write_bytes(raw)
        with pytest.raises(XentlabError) as caught:
            sweeps.read_sweep_file(tmp_path / name)
    assert f"the key '{key}' appears twice" in str(caught.value)
