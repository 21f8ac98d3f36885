"""Integrity of xentlab's own files: a checksum over the content (a changed byte anywhere is
refused as corrupt), the rule for version-1 files, every field of the generator's state checked,
and nothing but FormatError from loading a checkpoint, whatever JSON it holds."""

from __future__ import annotations

import copy
import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xentlab.errors import FormatError
from xentlab.formats import (
    CHECKPOINT_VERSION,
    NETWORK_VERSION,
    checkpoint_document,
    content_digest,
    load_checkpoint,
    load_network,
    save_checkpoint,
    save_network,
    seal,
)
from xentlab.model import Network
from xentlab.training import TrainConfig, TrainState, check_labelled, fit

META = {"dataset": "toy", "test_accuracy": 0.9375, "seconds": 3.5e-05, "note": "ümlaut"}


def saved_network(tmp_path):
    net = Network.create([4, 3, 2], seed=0)
    path = tmp_path / "net.json"
    save_network(net, path, META)
    return net, path


def same_network(a: Network, b: Network) -> bool:
    return all(
        x.tobytes() == y.tobytes()
        for x, y in zip(a.weights + a.biases, b.weights + b.biases, strict=True)
    )


def test_a_saved_network_carries_the_checksum_of_its_content(tmp_path):
    _, path = saved_network(tmp_path)
    document = json.loads(path.read_text())
    assert NETWORK_VERSION == 3 and document["version"] == 2  # its output is its cost's own
    assert document["sha256"] == content_digest(document)
    assert len(document["sha256"]) == 64
    document["meta"]["dataset"] = "toy2"
    assert content_digest(document) != json.loads(path.read_text())["sha256"]


def test_every_single_bit_flip_is_refused_or_changes_nothing(tmp_path):
    """Flip each bit of each byte of a network file: either the load is refused (FormatError),
    or what it loads is the very same network and meta (a flip JSON reads as the same value)."""
    net, path = saved_network(tmp_path)
    raw = path.read_bytes()
    flipped = tmp_path / "flipped.json"
    refused = same = 0
    for at in range(len(raw)):
        for bit in range(8):
            content = bytearray(raw)
            content[at] ^= 1 << bit
            flipped.write_bytes(bytes(content))
            try:
                loaded, meta = load_network(flipped)
            except FormatError:
                refused += 1
                continue
            assert same_network(loaded, net) and meta == META, (at, bit, bytes(content))
            same += 1
    assert refused + same == 8 * len(raw)
    assert same <= 8, same  # only such as 'e' -> 'E' in 3.5e-05 read the same
    text = raw.decode()
    start = text.index(json.loads(text)["weights"][0]["data"])
    for at in range(start, start + 40):  # inside a weight's base64: every flip refused
        content = bytearray(raw)
        content[at] ^= 1
        flipped.write_bytes(bytes(content))
        with pytest.raises(FormatError, match="is corrupt|not JSON|not valid base64"):
            load_network(flipped)


def test_a_changed_base64_character_is_refused_as_corrupt(tmp_path):
    """One base64 character of an output weight changed, the JSON still valid: before the
    checksum it loaded silently as another network (on real MNIST: 94.03% -> 84.78%)."""
    net, path = saved_network(tmp_path)
    document = json.loads(path.read_text())
    data = document["weights"][1]["data"]
    document["weights"][1]["data"] = ("/" if data[4] != "/" else "A").join([data[:4], data[5:]])
    path.write_text(json.dumps(document))
    with pytest.raises(FormatError, match=f"{path} is corrupt: its content does not match"):
        load_network(path)
    # The same change in a version-1 file, which has no checksum, loads as another network.
    document["version"] = 1
    del document["sha256"]
    path.write_text(json.dumps(document))
    loaded, _ = load_network(path)
    assert not same_network(loaded, net)


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda d: d.pop("sha256"), "a version-2 network file must carry its checksum"),
        (lambda d: d.update(version=1), "a version-1 network file has no checksum, yet"),
        (lambda d: d.update(sha256=d["sha256"].upper()), "must be 64 lowercase hexadecimal"),
        (lambda d: d.update(sha256=d["sha256"][:63]), "must be 64 lowercase hexadecimal"),
        (lambda d: d.update(sha256=12345), "must be 64 lowercase hexadecimal"),
        (lambda d: d.update(sha256=None), "must be 64 lowercase hexadecimal"),
        (lambda d: d.update(sha256="0" * 64), "its content does not match its checksum"),
        (lambda d: d.update(extra=1), "its content does not match its checksum"),
    ],
)
def test_the_checksum_rule(tmp_path, edit, needle):
    _, path = saved_network(tmp_path)
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))
    with pytest.raises(FormatError, match=f"{path} is corrupt: .*{needle}"):
        load_network(path)


def test_version_1_files_are_still_read(tmp_path):
    net, path = saved_network(tmp_path)
    document = json.loads(path.read_text())
    del document["sha256"]
    document["version"] = 1
    path.write_text(json.dumps(document))
    loaded, meta = load_network(path)
    assert same_network(loaded, net) and meta == META


def test_strict_json_only(tmp_path):
    path = tmp_path / "n.json"
    for text in ['{"format": NaN}', '{"version": Infinity}', '{"v": ' + "9" * 5000 + "}"]:
        path.write_text(text)
        with pytest.raises(FormatError, match="not JSON"):
            load_network(path)


def test_a_document_that_is_not_json_is_not_saved(tmp_path):
    path = tmp_path / "n.json"
    with pytest.raises(ValueError, match="cannot be written as JSON"):
        save_network(Network.create([3, 2]), path, {"x": object()})
    assert list(tmp_path.iterdir()) == []
    sealed = seal({"format": "f", "meta": {1: (1, 2)}})  # as a reader will see it
    assert sealed["meta"] == {"1": [1, 2]} and sealed["sha256"] == content_digest(sealed)


# --- checkpoints ---------------------------------------------------------------------------


def interrupted_state():
    rng = np.random.default_rng(0)
    X = rng.random((50, 6)).astype(np.float32)
    net = Network.create([6, 4, 3], seed=0)
    state = TrainState.start(net, TrainConfig(epochs=3, batch_size=10, seed=0))
    data = check_labelled(net, X, rng.integers(0, 3, 50), "training")

    class Stop:
        def on_batches(self, st, done, total):
            if st.batch >= 2:
                raise KeyboardInterrupt

        def on_epoch(self, st, record):
            pass

    with pytest.raises(KeyboardInterrupt):
        fit(state, data, observers=[Stop()], chunk=1)
    return state


STATE = interrupted_state()
INFO = {"dataset": "toy", "n": 50}
DOCUMENT = json.loads(json.dumps(checkpoint_document(STATE, INFO)))


def write(tmp_path, document, sealed=True):
    path = tmp_path / "c.ckpt"
    path.write_text(json.dumps(seal(document) if sealed else document))
    return path


def test_one_checksum_covers_the_whole_checkpoint(tmp_path):
    path = tmp_path / "c.ckpt"
    save_checkpoint(STATE, path, INFO)
    document = json.loads(path.read_text())
    assert CHECKPOINT_VERSION == 2 and document["sha256"] == content_digest(document)
    assert "sha256" not in document["network"]  # the embedded network has none of its own
    for edit in (
        lambda d: d["network"]["weights"][0].update(
            data="A" + d["network"]["weights"][0]["data"][1:]
        ),
        lambda d: d["progress"].update(batch=d["progress"]["batch"] + 1),
        lambda d: d["rng"]["state"].update(state=d["rng"]["state"]["state"] ^ 1),
        lambda d: d["data"].update(n=51),
    ):
        changed = copy.deepcopy(document)
        edit(changed)
        with pytest.raises(FormatError, match="is corrupt: its content does not match"):
            load_checkpoint(write(tmp_path, changed, sealed=False))


def test_version_1_checkpoints_are_still_read_and_resume_the_same(tmp_path):
    old = copy.deepcopy(DOCUMENT)
    old["version"] = old["network"]["version"] = 1
    state, info = load_checkpoint(write(tmp_path, old, sealed=False))
    assert info == INFO and (state.epoch, state.batch) == (STATE.epoch, STATE.batch)
    assert state.rng.bit_generator.state == STATE.rng.bit_generator.state
    with pytest.raises(FormatError, match="a version-1 checkpoint file has no checksum"):
        load_checkpoint(write(tmp_path, old, sealed=True))
    with pytest.raises(FormatError, match="a version-2 checkpoint file must carry its checksum"):
        load_checkpoint(write(tmp_path, DOCUMENT, sealed=False))


U128 = 2**128


def rng_edit(path, value):
    def edit(d):
        target = d["rng"]
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return edit


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("state", "state"), -1, "rng state.state must be an integer in [0, 2^128); got -1"),
        (("state", "state"), U128, "rng state.state must be an integer in [0, 2^128)"),
        (("state", "state"), 1.5, "rng state.state must be an integer in [0, 2^128); got 1.5"),
        (("state", "state"), True, "rng state.state must be an integer in [0, 2^128); got True"),
        (("state", "state"), "5", "rng state.state must be an integer"),
        (("state", "state"), None, "rng state.state must be an integer"),
        (("state", "inc"), 2, "rng state.inc must be odd"),
        (("state", "inc"), U128 + 1, "rng state.inc must be an integer in [0, 2^128)"),
        (("state", "inc"), [1], "rng state.inc must be an integer"),
        (("state", "inc"), KeyError, "rng state lacks key(s) 'inc'"),
        (("state", "extra"), 1, "rng state has unknown key(s) 'extra'"),
        (("state",), [1, 2], "rng state must be an object with 'state' and 'inc'"),
        (("has_uint32",), 2, "rng has_uint32 must be 0 or 1; got 2"),
        (("has_uint32",), -1, "rng has_uint32 must be 0 or 1"),
        (("has_uint32",), True, "rng has_uint32 must be 0 or 1; got True"),
        (("has_uint32",), 1.0, "rng has_uint32 must be 0 or 1; got 1.0"),
        (("has_uint32",), KeyError, "rng lacks key(s) 'has_uint32'"),
        (("uinteger",), -1, "rng uinteger must be an integer in [0, 2^32); got -1"),
        (("uinteger",), 2**32, "rng uinteger must be an integer in [0, 2^32)"),
        (("uinteger",), 0.5, "rng uinteger must be an integer"),
        (("uinteger",), 10**400, "rng uinteger must be an integer"),
        (("seed",), 1, "rng has unknown key(s) 'seed'"),
        (("bit_generator",), "MT19937", "rng must be a PCG64 state; got 'MT19937'"),
    ],
)
def test_every_field_of_the_generator_state_is_checked(tmp_path, path, value, needle):
    document = copy.deepcopy(DOCUMENT)
    rng_edit(path, value)(document)
    with pytest.raises(FormatError, match=re.escape(f"bad training state: {needle}")):
        load_checkpoint(write(tmp_path, document))


@pytest.mark.parametrize(
    "state",
    [
        {"state": {"state": 0, "inc": 1}, "has_uint32": 0, "uinteger": 0},
        {"state": {"state": U128 - 1, "inc": U128 - 1}, "has_uint32": 1, "uinteger": 2**32 - 1},
    ],
)
def test_generator_states_at_the_limits_resume_exactly(tmp_path, state):
    document = copy.deepcopy(DOCUMENT)
    document["rng"] = {"bit_generator": "PCG64", **state}
    restored, _ = load_checkpoint(write(tmp_path, document))
    assert restored.rng.bit_generator.state == document["rng"]
    reference = np.random.PCG64()
    reference.state = document["rng"]
    assert np.array_equal(
        restored.rng.integers(0, 2**63, 8), np.random.Generator(reference).integers(0, 2**63, 8)
    )


def test_numbers_beyond_any_float_are_format_errors(tmp_path):
    for edit in (
        lambda d: d["config"].update(eta=10**400),
        lambda d: d["progress"].update(eta=10**400),
        lambda d: d["data"].update(n=10**400),
        lambda d: (d["data"].update(n=10**400), d["order"].update(shape=[10**400])),
        lambda d: d["network"].update(sizes=[6, 10**400, 3]),
    ):
        document = copy.deepcopy(DOCUMENT)
        edit(document)
        with pytest.raises(FormatError):
            load_checkpoint(write(tmp_path, document))


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def paths(document, prefix=()):
    """Every path to a value inside ``document``."""
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            yield from paths(value, (*prefix, i))


PATHS = [p for p in paths(DOCUMENT) if p]


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.sampled_from(PATHS), JSON | st.just(KeyError)), min_size=1, max_size=3)
)
def test_any_json_in_any_field_gives_a_state_or_a_format_error(tmp_path, edits):
    """Sealed again after the change, so every field check is reached: the only outcomes are a
    state that passed them all, or a FormatError."""
    document = copy.deepcopy(DOCUMENT)
    for path, value in edits:
        target = document
        try:
            for key in path[:-1]:
                target = target[key]
            if value is KeyError:
                del target[path[-1]]
            else:
                target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this path
    try:
        state, _ = load_checkpoint(write(tmp_path, document))
    except FormatError:
        return
    assert state.eta > 0 and state.batch >= 0 and state.epoch <= state.config.epochs
    assert state.rng.bit_generator.state == document["rng"]
