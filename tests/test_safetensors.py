"""Networks as safetensors files: xentlab's own reader and writer, exact both ways, interoperable
with the reference implementation (the ``safetensors`` package) and PyTorch, and a one-line
FormatError for every malformed header, layout or network."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest

from xentlab import __version__
from xentlab.errors import FormatError, XentlabError
from xentlab.formats import (
    load_safetensors,
    read_safetensors,
    save_safetensors,
    write_safetensors,
)
from xentlab.model import Network

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def network(cost="cross-entropy", dtype="float64", sizes=(5, 4, 3), seed=0):
    return Network.create(sizes, cost=cost, seed=seed, dtype=dtype)


def same_network(a: Network, b: Network) -> bool:
    pairs = zip(a.weights + a.biases, b.weights + b.biases, strict=True)
    return (
        a.sizes == b.sizes
        and a.cost == b.cost
        and all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in pairs)
    )


def header_of(path) -> tuple[dict, bytes]:
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + length]), raw[8 + length :]


def raw_file(header, data=b"", length=None) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "log-likelihood"])
def test_round_trip_is_bit_exact(tmp_path, cost, dtype):
    net = network(cost, dtype, sizes=(7, 6, 5, 4, 3, 2, 3, 4))  # 7 layers: names up to 12.*
    path = tmp_path / "net.safetensors"
    save_safetensors(net, path, {"dataset": "toy", "notes": [1.5, None]})
    loaded, meta = load_safetensors(path)
    assert same_network(loaded, net)
    assert meta == {"dataset": "toy", "notes": [1.5, None]}
    assert [p.name for p in tmp_path.iterdir()] == ["net.safetensors"]
    _, data = header_of(path)
    assert (path.stat().st_size - len(data)) % 8 == 0  # the data start 8-byte aligned


@pytest.mark.torch
def test_the_file_opens_in_the_reference_implementation_and_torch(tmp_path):
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file

    net = network("log-likelihood", "float64", sizes=(6, 5, 4, 3))
    path = tmp_path / "net.safetensors"
    save_safetensors(net, path, {"dataset": "digits"})
    arrays = safetensors_numpy.load_file(path)
    assert sorted(arrays) == ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]
    for layer, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        assert np.array_equal(arrays[f"{2 * layer}.weight"], W.T)  # torch's (out, in)
        assert np.array_equal(arrays[f"{2 * layer}.bias"], b)
    with safe_open(path, "np") as handle:
        metadata = handle.metadata()
    assert metadata["cost"] == "log-likelihood" and metadata["sizes"] == "6,5,4,3"
    assert metadata["xentlab_version"] == __version__
    assert json.loads(metadata["xentlab_meta"]) == {"dataset": "digits"}
    module = net.to_torch()
    module.load_state_dict(load_file(path))  # strict: every name and shape as torch expects
    X = np.random.default_rng(0).standard_normal((8, 6))
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(out, net.predict_proba(X), rtol=1e-12)


def test_the_reference_lays_out_the_same_data_and_keeps_the_checksum_valid(tmp_path):
    from safetensors import safe_open

    ours, theirs = tmp_path / "ours.safetensors", tmp_path / "theirs.safetensors"
    net = network(sizes=(3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 2))  # 12 layers: "10.bias" < "2.bias"
    save_safetensors(net, ours)
    with safe_open(ours, "np") as handle:
        metadata = handle.metadata()
    safetensors_numpy.save_file(safetensors_numpy.load_file(ours), theirs, metadata=metadata)
    ours_header, ours_data = header_of(ours)
    theirs_header, theirs_data = header_of(theirs)
    assert ours_header == theirs_header and ours_data == theirs_data
    assert same_network(load_safetensors(theirs)[0], net)


def torch_module(torch, last=None):
    torch.manual_seed(0)
    nn = torch.nn
    layers = [nn.Linear(4, 6), nn.Sigmoid(), nn.Linear(6, 3)]
    return nn.Sequential(*layers, *([last] if last is not None else []))


@pytest.mark.torch
def test_a_torch_state_dict_with_metadata_loads(tmp_path):
    import torch
    from safetensors.torch import save_file

    module = torch_module(torch, torch.nn.Softmax(dim=1))
    path = tmp_path / "torch.safetensors"
    save_file(module.state_dict(), path, metadata={"cost": "log-likelihood", "format": "pt"})
    net, meta = load_safetensors(path)
    assert meta == {} and net.cost.name == "log-likelihood" and net.dtype == np.float32
    assert same_network(net, Network.from_torch(module))
    X = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(net.predict_proba(X), out, rtol=1e-5)
    with pytest.raises(XentlabError, match="records cost 'log-likelihood', not 'quadratic'"):
        load_safetensors(path, cost="quadratic")
    assert load_safetensors(path, cost="log-likelihood")[0].cost.name == "log-likelihood"


@pytest.mark.torch
def test_a_torch_state_dict_without_metadata_takes_the_cost_given_or_cross_entropy(tmp_path):
    import torch
    from safetensors.torch import save_file

    module = torch_module(torch).double()  # logits, as fed to BCEWithLogitsLoss
    path = tmp_path / "logits.safetensors"
    save_file(module.state_dict(), path)
    net, meta = load_safetensors(path)
    assert net.cost.name == "cross-entropy" and meta == {} and net.dtype == np.float64
    assert same_network(net, Network.from_torch(module))
    assert load_safetensors(path, cost="quadratic")[0].cost.name == "quadratic"
    assert load_safetensors(path, cost="log-likelihood")[0].cost.name == "log-likelihood"


def test_a_numpy_file_without_metadata_loads(tmp_path):
    path = tmp_path / "np.safetensors"
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(2)
    safetensors_numpy.save_file({"0.weight": W, "0.bias": b.astype(np.float32)}, path)
    net, _ = load_safetensors(path)
    assert net.sizes == (3, 2) and np.array_equal(net.weights[0], W.T)


# --- malformed files --------------------------------------------------------------------------

GOOD = {
    "0.weight": {"dtype": "F64", "shape": [2, 3], "data_offsets": [0, 48]},
    "0.bias": {"dtype": "F64", "shape": [2], "data_offsets": [48, 64]},
}
DATA = np.arange(8, dtype="<f8").tobytes()


def with_tensor(name, **fields):
    return {**GOOD, name: {**GOOD.get(name, {}), **fields}}


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "is not a safetensors file: 0 bytes, fewer than the 8"),
        (b"\x01\x00\x00", "3 bytes, fewer than the 8"),
        (struct.pack("<Q", 2**63) + b"{}", "header would be 9223372036854775808 bytes; at most"),
        (raw_file(b"{}", length=100), "header would be 100 bytes, but only 2 follow"),
        (raw_file(b"{\xff}"), "header is not UTF-8 text"),
        (raw_file(b'{"a": }'), "header is not JSON (Expecting value"),
        (raw_file(b"[1, 2]"), "header is not a JSON object"),
        (raw_file(b" {}"), "header is not a JSON object"),
        (raw_file(b'{"a": NaN}'), "NaN is not a JSON value"),
        (raw_file(b"[" * 100_000), "header is not a JSON object"),
        (raw_file(b"{" + b'"a":{' * 100_000), "header is not JSON"),
        (
            raw_file(json.dumps(GOOD).encode()[:-1] + b', "0.bias": {}}', DATA),
            "the key '0.bias' appears twice",
        ),
        (
            raw_file(b'{"0.bias": {"dtype": "F64", "dtype": "F32"}}'),
            "the key 'dtype' appears twice",
        ),
        (raw_file({"__metadata__": [], **GOOD}, DATA), "'__metadata__' must be an object"),
        (
            raw_file({"__metadata__": {"cost": 1}, **GOOD}, DATA),
            "'__metadata__' must map strings to strings; 'cost' maps to 1",
        ),
        (
            raw_file({**GOOD, "0.bias": {"dtype": "F64", "shape": [2]}}, DATA),
            "tensor '0.bias' must have the keys dtype, shape, data_offsets; got ['dtype', 'shape']",
        ),
        (raw_file({**GOOD, "0.bias": 5}, DATA), "must have the keys dtype, shape, data_offsets"),
        (
            raw_file(with_tensor("0.bias", extra=1), DATA),
            "got ['data_offsets', 'dtype', 'extra', 'shape']",
        ),
        (raw_file(with_tensor("0.bias", dtype="F16"), DATA), "dtype 'F16'; xentlab reads F32"),
        (raw_file(with_tensor("0.bias", dtype="BF16"), DATA), "dtype 'BF16'"),
        (raw_file(with_tensor("0.bias", dtype="I64"), DATA), "dtype 'I64'"),
        (raw_file(with_tensor("0.bias", shape=[-2]), DATA), "'shape' must be a list of integers"),
        (raw_file(with_tensor("0.bias", shape=[2.0]), DATA), "'shape' must be a list of integers"),
        (raw_file(with_tensor("0.bias", shape=[True]), DATA), "'shape' must be a list"),
        (raw_file(with_tensor("0.bias", shape=2), DATA), "'shape' must be a list"),
        (raw_file(with_tensor("0.bias", data_offsets=[48]), DATA), "'data_offsets' must be"),
        (raw_file(with_tensor("0.bias", data_offsets=[64, 48]), DATA), "0 <= begin <= end"),
        (raw_file(with_tensor("0.bias", data_offsets=[-16, 0]), DATA), "0 <= begin <= end"),
        (raw_file(with_tensor("0.bias", data_offsets=[48, "64"]), DATA), "'data_offsets'"),
        (
            raw_file(with_tensor("0.bias", data_offsets=[48, 72]), DATA),
            "tensor '0.bias' of shape [2] in F64 takes 16 bytes, but its data_offsets [48, 72] "
            "span 24",
        ),
        (
            raw_file(with_tensor("0.bias", shape=[2**40, 2**40]), DATA),
            "takes 9671406556917033397649408 bytes",
        ),
        (
            raw_file(with_tensor("0.bias", data_offsets=[40, 56]), DATA),
            "tensors '0.weight' and '0.bias' overlap (bytes 40 to 48 of the data)",
        ),
        (
            raw_file(with_tensor("0.bias", data_offsets=[56, 72]), DATA + bytes(8)),
            "bytes 48 to 56 of the data belong to no tensor",
        ),
        (raw_file(GOOD, DATA + b"x"), "its tensors take 64 bytes, but 65 follow the header"),
        (raw_file(GOOD, DATA[:-1]), "take 64 bytes, but 63 follow the header (a truncated"),
        (
            raw_file({"0.weight": GOOD["0.weight"], "0.b": GOOD["0.bias"]}, DATA),
            "has a tensor '0.b'; a network's tensors are named 0.weight, 0.bias, 2.weight",
        ),
        (raw_file({"0.weight": GOOD["0.weight"]}, DATA[:48]), "lacks '0.bias'"),
        (raw_file({}), "lacks '0.weight'"),
        (raw_file({"__metadata__": {}}), "lacks '0.weight'"),
        (
            raw_file(with_tensor("0.bias", dtype="F32", data_offsets=[48, 56]), DATA[:56]),
            "tensor '0.bias' is float32 but '0.weight' is float64; a network has one dtype",
        ),
        (
            raw_file(
                {
                    "0.weight": {"dtype": "F64", "shape": [6], "data_offsets": [0, 48]},
                    "0.bias": GOOD["0.bias"],
                },
                DATA,
            ),
            "tensor '0.weight' must be 2-dimensional (outputs, inputs); got shape [6]",
        ),
        (
            raw_file(
                {
                    "0.weight": {"dtype": "F64", "shape": [1, 6], "data_offsets": [0, 48]},
                    "0.bias": GOOD["0.bias"],
                },
                DATA,
            ),
            "tensor '0.bias' must have shape [1] to go with '0.weight' of shape [1, 6]; got [2]",
        ),
        (
            raw_file(
                {
                    **GOOD,
                    "2.weight": {"dtype": "F64", "shape": [1, 3], "data_offsets": [64, 88]},
                    "2.bias": {"dtype": "F64", "shape": [1], "data_offsets": [88, 96]},
                },
                DATA + bytes(32),
            ),
            "tensor '2.weight' takes 3 inputs, but the layer before gives 2 outputs",
        ),
        (
            raw_file(GOOD, DATA[:8] + np.array([np.nan], "<f8").tobytes() + DATA[16:]),
            "tensor '0.weight' holds NaN or infinite values",
        ),
        (
            raw_file(with_tensor("0.bias", data_offsets=[48, 48], shape=[0]), DATA[:48]),
            "tensor '0.bias' must have shape [2]",
        ),
        (
            raw_file(
                {
                    "0.weight": {"dtype": "F64", "shape": [0, 3], "data_offsets": [0, 0]},
                    "0.bias": {"dtype": "F64", "shape": [0], "data_offsets": [0, 0]},
                }
            ),
            "each layer size must be an integer >= 1",
        ),
        (
            raw_file({"__metadata__": {"sizes": "3,4"}, **GOOD}, DATA),
            "its metadata says sizes '3,4', but its tensors make 3,2",
        ),
        (
            raw_file({"__metadata__": {"cost": "hinge"}, **GOOD}, DATA),
            "its metadata's cost must be one of quadratic, cross-entropy, log-likelihood",
        ),
        (
            raw_file({"__metadata__": {"xentlab_meta": "[]"}, **GOOD}, DATA),
            "its metadata 'xentlab_meta' must be a JSON object",
        ),
        (
            raw_file({"__metadata__": {"xentlab_meta": "{"}, **GOOD}, DATA),
            "its metadata 'xentlab_meta' must be a JSON object",
        ),
        (
            raw_file({"__metadata__": {"xentlab_sha256": "abc"}, **GOOD}, DATA),
            "is corrupt: its checksum 'xentlab_sha256' must be 64 lowercase hexadecimal",
        ),
        (
            raw_file({"__metadata__": {"xentlab_sha256": "0" * 64}, **GOOD}, DATA),
            "is corrupt: its content does not match its checksum",
        ),
    ],
)
def test_malformed_files_are_refused_in_one_line(tmp_path, content, needle):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(FormatError) as caught:
        load_safetensors(path)
    message = str(caught.value)
    assert needle in message and "\n" not in message and str(path) in message, message


def test_the_good_file_of_those_cases_loads(tmp_path):
    path = tmp_path / "good.safetensors"
    path.write_bytes(raw_file(GOOD, DATA))
    net, meta = load_safetensors(path)
    assert net.sizes == (3, 2) and meta == {}
    assert np.array_equal(net.weights[0], np.arange(6.0).reshape(2, 3).T)
    assert np.array_equal(net.biases[0], [6.0, 7.0])


def test_one_changed_byte_anywhere_in_a_saved_file_is_refused(tmp_path):
    path = tmp_path / "net.safetensors"
    save_safetensors(network(sizes=(3, 2)), path, {"dataset": "digits"})
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = raw[8 : 8 + length].decode()
    spots = {
        "a weight": len(raw) - 1,
        "the data set in the meta": 8 + header.index("digits"),
        "the version": 8 + header.index(__version__),
    }
    for what, at in spots.items():
        changed = bytearray(raw)
        changed[at] ^= 0x01
        path.write_bytes(bytes(changed))
        with pytest.raises(FormatError, match="is corrupt: its content does not match"):
            load_safetensors(path)
            pytest.fail(f"a changed byte in {what} went unnoticed")


def test_not_regular_files_and_large_files_are_refused(tmp_path):
    fifo = tmp_path / "fifo.safetensors"
    os.mkfifo(fifo)
    with pytest.raises(XentlabError, match="network file is not a regular file: .* \\(a FIFO\\)"):
        read_safetensors(fifo)
    with pytest.raises(XentlabError, match="network file is a directory"):
        read_safetensors(tmp_path)
    with pytest.raises(XentlabError, match="network file not found"):
        read_safetensors(tmp_path / "missing.safetensors")
    huge = tmp_path / "huge.safetensors"
    with huge.open("wb") as handle:  # sparse: no disk used
        handle.truncate(2**31 + 1)
    with pytest.raises(FormatError, match="2147483649 bytes is too large for a network file"):
        read_safetensors(huge)


def test_writing_checks_its_target_and_is_atomic(tmp_path):
    with pytest.raises(XentlabError, match="cannot write network file"):
        save_safetensors(network(), tmp_path / "missing" / "net.safetensors")
    path = tmp_path / "net.safetensors"
    save_safetensors(network(seed=1), path)
    before = path.read_bytes()
    with pytest.raises(XentlabError, match="meta cannot be written as JSON"):
        save_safetensors(network(seed=2), path, {"bad": float("nan")})
    assert path.read_bytes() == before
    with pytest.raises(XentlabError, match="at most 100000000 can be read back"):
        write_safetensors(path, {}, {"x": "y" * 100_000_000})
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == [path.name]
