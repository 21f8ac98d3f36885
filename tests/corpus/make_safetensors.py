"""Regenerate the safetensors cases of the bad-input corpus:
``python tests/corpus/make_safetensors.py``.

Writes files named ``safetensors-*`` into tests/corpus/files/ and the cases into
cases/safetensors.json: networks as safetensors files with a header that lies about its length,
is not UTF-8 or JSON, repeats a key, names a dtype other than F32 and F64, declares tensors
that overlap, leave gaps, run past the file or would take petabytes; with tensors that are not
one network's (names, shapes, dtypes), NaN weights, metadata that contradicts the tensors or
has been changed after xentlab sealed it; and the same files through every command that reads a
network (evaluate, export, data inspect, train --start-from), plus a FIFO and a device named
like one. Each file is built byte by byte here, without the safetensors package, but for the
shapes and counts that only the package's own writer should vouch for (issue 19): tensors of 65
and of 10,000 dimensions, zero-size tensors that declare a dimension of 2⁶³ or 2⁶², and
10,001 tensors, one more than xentlab reads — written by ``safetensors.serialize_file``, so the
package (a test extra) is needed to regenerate them, not to run them.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
from make_corpus import Cases, remove_group_files  # beside this script

from xentlab.formats import save_safetensors
from xentlab.model import Network

HERE = Path(__file__).parent
FILES = HERE / "files"

WEIGHT = {"dtype": "F32", "shape": [5, 64], "data_offsets": [0, 1280]}
BIAS = {"dtype": "F32", "shape": [5], "data_offsets": [1280, 1300]}
OUT_WEIGHT = {"dtype": "F32", "shape": [10, 5], "data_offsets": [1300, 1500]}
OUT_BIAS = {"dtype": "F32", "shape": [10], "data_offsets": [1500, 1540]}


def tensors(**changes) -> dict:
    """The header of a [64, 5, 10] network in F32 (tensors in the data's order), changed."""
    header = {"0.weight": WEIGHT, "0.bias": BIAS, "2.weight": OUT_WEIGHT, "2.bias": OUT_BIAS}
    for name, change in changes.items():
        name = name.replace("_", ".")
        if change is None:
            del header[name]
        else:
            header[name] = {**header.get(name, {}), **change}
    return header


DATA = np.random.default_rng(0).standard_normal(385).astype("<f4").tobytes()  # 1540 bytes


def safetensors(header, data=DATA, length=None) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def package_file(path: Path, tensors: dict[str, tuple[list[int], int]]) -> None:
    """Write F32 tensors {name: (shape, bytes of data)} with the safetensors package's own
    writer (it takes any shape, whatever NumPy would make of it); the data is zeros."""
    from safetensors import TensorSpec, serialize_file

    zeros = np.zeros(max(n for _, n in tensors.values()) // 4 + 1, np.float32)
    specs = {
        name: TensorSpec(dtype="float32", shape=shape, data_ptr=zeros.ctypes.data, data_len=n)
        for name, (shape, n) in tensors.items()
    }
    serialize_file(specs, str(path), None)


def main() -> None:
    remove_group_files("safetensors-")
    cases = Cases()
    case = cases.add

    good = FILES / "safetensors-good.safetensors"
    save_safetensors(Network.create([64, 5, 10], seed=0), good, {"dataset": "digits"})
    sealed = good.read_bytes()

    # --- the header: its length, its text, its JSON -------------------------------------------
    for name, content, needle in [
        ("empty", b"", "is not a safetensors file: 0 bytes, fewer than the 8"),
        (
            "header-length-2-to-the-63",
            struct.pack("<Q", 2**63) + b"{}",
            "header would be 9223372036854775808 bytes; at most 100000000 are read",
        ),
        (
            "header-past-the-end",
            safetensors(b"{}", b"", length=4096),
            "header would be 4096 bytes, but only 2 follow its length",
        ),
        ("header-not-utf8", safetensors(b'{"\xff": 1}'), "its safetensors header is not UTF-8"),
        ("header-not-json", safetensors(b"{'0.weight'}"), "its safetensors header is not JSON"),
        ("header-a-list", safetensors(b"[]"), "its safetensors header is not a JSON object"),
        (
            "header-nested-10000-deep",
            safetensors(b'{"a":' * 10_000),
            "its safetensors header is not JSON",
        ),
        (
            "header-duplicate-tensor",
            safetensors(json.dumps(tensors()).encode()[:-1] + b',"0.bias":{}}'),
            "the key '0.bias' appears twice",
        ),
        (
            "metadata-not-strings",
            safetensors({"__metadata__": {"cost": ["quadratic"]}, **tensors()}),
            "'__metadata__' must map strings to strings; 'cost' maps to a list",
        ),
    ]:
        file = f"safetensors-{name}.safetensors"
        case(file, ["evaluate", f"{{files}}/{file}"], needle, content)
    text = json.dumps({"format": "xentlab.network"}).encode()
    (claimed,) = struct.unpack("<Q", text[:8])  # what the first 8 characters say as a length
    case(
        "safetensors-a-json-network-named-safetensors.safetensors",
        ["data", "inspect", "{files}/safetensors-a-json-network-named-safetensors.safetensors"],
        f"header would be {claimed} bytes; at most 100000000 are read (is it a safetensors file?)",
        text,
    )

    # --- the tensors' layout --------------------------------------------------------------------
    for name, content, needle in [
        ("dtype-f16", safetensors(tensors(**{"2_bias": {"dtype": "F16"}})), "dtype 'F16'"),
        ("dtype-bf16", safetensors(tensors(**{"0_weight": {"dtype": "BF16"}})), "dtype 'BF16'"),
        (
            "tensor-extra-key",
            safetensors(tensors(**{"0_bias": {"offsets": [0, 1]}})),
            "tensor '0.bias' must have the keys dtype, shape, data_offsets",
        ),
        (
            "declares-petabytes",
            safetensors(tensors(**{"0_weight": {"shape": [2**30, 2**30]}})),
            "takes 4611686018427387904 bytes, but its data_offsets [0, 1280] span 1280",
        ),
        (
            "overlapping-tensors",
            safetensors(tensors(**{"0_bias": {"data_offsets": [1270, 1290]}}), DATA[:-10]),
            "tensors '0.weight' and '0.bias' overlap (bytes 1270 to 1280 of the data)",
        ),
        (
            "gap-between-tensors",
            safetensors(
                tensors(**{"2_bias": {"data_offsets": [1504, 1544]}}),
                DATA[:1500] + bytes(4) + DATA[1500:],
            ),
            "bytes 1500 to 1504 of the data belong to no tensor",
        ),
        (
            "offsets-past-the-data",
            safetensors(tensors(**{"2_bias": {"data_offsets": [2**40, 2**40 + 40]}})),
            "bytes 1500 to 1099511627776 of the data belong to no tensor",
        ),
        ("trailing-bytes", safetensors(tensors(), DATA + b"extra"), "but 1545 follow the header"),
        ("truncated", sealed[:-7], "(a truncated file?)"),
    ]:
        file = f"safetensors-{name}.safetensors"
        case(file, ["evaluate", f"{{files}}/{file}"], needle, content)

    # --- tensors that are not one network ------------------------------------------------------
    inspect = ["data", "inspect"]
    nan = bytearray(DATA)
    nan[1300:1304] = np.array([np.nan], "<f4").tobytes()
    for name, content, needle in [
        (
            "names-of-another-model",
            safetensors({"fc1.weight": WEIGHT, "fc1.bias": BIAS}, DATA[:1300]),
            "has a tensor 'fc1.weight'; a network's tensors are named 0.weight, 0.bias",
        ),
        ("missing-bias", safetensors(tensors(**{"2_bias": None}), DATA[:1500]), "lacks '2.bias'"),
        (
            "layers-do-not-chain",
            safetensors(
                tensors(
                    **{
                        "2_weight": {"shape": [10, 4], "data_offsets": [1300, 1460]},
                        "2_bias": {"data_offsets": [1460, 1500]},
                    }
                ),
                DATA[:1500],
            ),
            "tensor '2.weight' takes 4 inputs, but the layer before gives 5 outputs",
        ),
        ("nan-weight", safetensors(tensors(), bytes(nan)), "'2.weight' holds NaN or infinite"),
        (
            "metadata-sizes-lie",
            safetensors({"__metadata__": {"sizes": "64,30,10"}, **tensors()}),
            "its metadata says sizes '64,30,10', but its tensors make 64,5,10",
        ),
        (
            "metadata-cost-unknown",
            safetensors({"__metadata__": {"cost": "hinge"}, **tensors()}),
            "its metadata's cost must be one of quadratic, cross-entropy, log-likelihood",
        ),
        ("one-bit-flipped", sealed[:-1] + bytes([sealed[-1] ^ 1]), "is corrupt"),
    ]:
        file = f"safetensors-{name}.safetensors"
        case(file, [*inspect, f"{{files}}/{file}"], needle, content)

    # --- every command that reads a network, and what is not a file -----------------------------
    truncated = "{files}/safetensors-truncated.safetensors"
    for name, args, needle, extra in [
        (
            "safetensors-export-truncated",
            ["export", truncated, "--to", "{tmp}/net.json"],
            "(a truncated file?)",
            {},
        ),
        (
            "safetensors-start-from-truncated",
            ["train", "--start-from", truncated, "--epochs", "1"],
            "(a truncated file?)",
            {},
        ),
        (
            "safetensors-export-cost-contradicts",
            [
                "export",
                "{files}/safetensors-good.safetensors",
                "--to",
                "{tmp}/x.json",
                "--cost",
                "quadratic",
            ],
            "records cost 'cross-entropy', not 'quadratic'",
            {},
        ),
        (
            "safetensors-export-to-npz",
            ["export", "{files}/safetensors-good.safetensors", "--to", "{tmp}/x.npz"],
            "--to must end in .json or .safetensors",
            {},
        ),
        (
            "safetensors-start-from-784-on-digits",
            ["train", "--start-from", "{files}/safetensors-mnist-shape.safetensors"],
            "holds a network with sizes 784,5,10, whose 784 inputs do not fit digits",
            {},
        ),
        (
            "safetensors-fifo",
            ["evaluate", "{tmp}/fifo.safetensors"],
            "network file is not a regular file: {tmp}/fifo.safetensors (a FIFO)",
            {"fifos": ["fifo.safetensors"]},
        ),
        (
            "safetensors-link-to-zero",
            ["train", "--start-from", "{tmp}/zero.safetensors"],
            "network file is not a regular file: {tmp}/zero.safetensors (a character device)",
            {"links": {"zero.safetensors": "/dev/zero"}},
        ),
    ]:
        case(name, args, needle, **extra)
    # --- shapes NumPy refuses and too many tensors, as the safetensors package writes them ------
    commands = {
        "evaluate": ["evaluate", "{path}"],
        "export": ["export", "{path}", "--to", "{tmp}/net.json"],
        "inspect": ["data", "inspect", "{path}"],
        "start-from": ["train", "--start-from", "{path}", "--epochs", "1"],
    }
    for name, shape, data_bytes, needle, through in [
        ("65-dimensions", [1] * 65, 4, "tensor '0.weight' has 65 dimensions", commands),
        (
            "10000-dimensions",
            [1] * 10_000,
            4,
            "tensor '0.weight' has 10000 dimensions",
            ["evaluate", "inspect"],
        ),
        (
            "shape-2-to-the-63-by-0",
            [2**63, 0],
            0,
            "tensor '0.weight' has shape [9223372036854775808, 0]; no dimension",
            commands,
        ),
        (
            "shape-0-by-2-to-the-62",
            [0, 2**62],
            0,
            "tensor '0.weight' has shape [0, 4611686018427387904]",
            ["export"],
        ),
    ]:
        file = f"safetensors-package-{name}.safetensors"
        package_file(FILES / file, {"0.weight": (shape, data_bytes), "0.bias": ([1], 4)})
        for command in through:
            args = [arg.replace("{path}", f"{{files}}/{file}") for arg in commands[command]]
            case(f"{file}-{command}", args, f"{{files}}/{file}: {needle}")
    file = "safetensors-package-10001-tensors.safetensors"
    package_file(FILES / file, {str(i): ([0], 0) for i in range(10_001)})
    case(
        file,
        ["data", "inspect", f"{{files}}/{file}"],
        "header describes more than 10000 tensors; xentlab reads at most 10000",
    )

    mnist_shape = Network.create([784, 5, 10], seed=0)
    save_safetensors(mnist_shape, FILES / "safetensors-mnist-shape.safetensors")

    (HERE / "cases" / "safetensors.json").write_text(json.dumps(cases, indent=1) + "\n")
    size = sum(p.stat().st_size for p in FILES.glob("safetensors-*"))
    print(f"{len(cases)} cases, {size / 1e3:.1f} kB of files")


if __name__ == "__main__":
    main()
