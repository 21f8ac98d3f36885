"""Safetensors files whose sizes the input decides (issue 19): shapes NumPy refuses, more
tensors than a network has, and files far larger than the network in them. Bounds come first,
from the header; a network is decided from the header alone and only its tensors are read."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from xentlab.errors import FormatError
from xentlab.formats import documents, load_safetensors, read_safetensors
from xentlab.formats.safetensors_file import MAX_TENSORS

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def package_file():
    """Write F32 tensors {name: (shape, bytes of data)} with the safetensors package's own
    writer, which takes shapes NumPy would refuse to make."""
    safetensors = pytest.importorskip("safetensors")

    def write(path, tensors):
        zeros = np.zeros(max([n for _, n in tensors.values()] + [0]) // 4 + 1, np.float32)
        specs = {
            name: safetensors.TensorSpec(
                dtype="float32", shape=shape, data_ptr=zeros.ctypes.data, data_len=n
            )
            for name, (shape, n) in tensors.items()
        }
        safetensors.serialize_file(specs, str(path), None)
        return path

    return write


def refusal(reader, path) -> str:
    with pytest.raises(FormatError) as caught:
        reader(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message, message
    return message


# --- class 1: NumPy's refusals never reach the user -------------------------------------------


@pytest.mark.parametrize(
    ("shape", "data_bytes", "needle"),
    [
        ([1] * 65, 4, "tensor '0.weight' has 65 dimensions; xentlab reads at most 8"),  # issue
        ([2**63, 0], 0, "tensor '0.weight' has shape [9223372036854775808, 0]; no dimension"),
        ([1] * 10_000, 4, "tensor '0.weight' has 10000 dimensions"),  # NumPy: at most 64
        ([0, 2**62], 0, "tensor '0.weight' has shape [0, 4611686018427387904]"),  # too big
    ],
)
@pytest.mark.parametrize("reader", [load_safetensors, read_safetensors])
def test_shapes_numpy_refuses_are_one_line_naming_file_and_tensor(
    tmp_path, package_file, reader, shape, data_bytes, needle
):
    path = package_file(
        tmp_path / "odd.safetensors", {"0.weight": (shape, data_bytes), "0.bias": ([1], 4)}
    )
    assert needle in refusal(reader, path)


def test_dimensions_up_to_the_bounds_are_read(tmp_path, package_file):
    path = package_file(
        tmp_path / "fine.safetensors",
        {"eight": ([1] * 8, 4), "wide": ([2**31, 0], 0), "product": ([0, 2**16, 2**15], 0)},
    )
    arrays = read_safetensors(path).arrays
    assert arrays["eight"].shape == (1,) * 8 and arrays["wide"].shape == (2**31, 0)
    assert arrays["product"].shape == (0, 2**16, 2**15)


# --- class 2: too many tensors, refused by count before the work ------------------------------


def counting_objects(monkeypatch) -> list[int]:
    """Count the JSON objects the header's parse completes (through its duplicate-key check)."""
    seen = [0]
    unique_keys = documents._unique_keys

    def counted(pairs):
        seen[0] += 1
        return unique_keys(pairs)

    monkeypatch.setattr(documents, "_unique_keys", counted)
    return seen


@pytest.mark.parametrize(
    "tensors",
    [
        {f"t{i}": ([0], 0) for i in range(100_000)},  # the issue's: 100,000 empty tensors
        # the names of a network of 50,000 layers (once a quadratic lookup of every name)
        {f"{2 * i}.{kind}": ([0], 0) for i in range(50_000) for kind in ("weight", "bias")},
        {f"{i}.weight": ([1], 4) for i in range(100_000)},  # each with its bytes
    ],
    ids=["empty", "network-names", "with-data"],
)
def test_far_more_tensors_than_a_network_has_are_refused_by_count(
    tmp_path, package_file, monkeypatch, tensors
):
    path = package_file(tmp_path / "many.safetensors", tensors)
    seen = counting_objects(monkeypatch)
    message = refusal(load_safetensors, path)
    assert f"describes more than {MAX_TENSORS} tensors; xentlab reads at most" in message
    assert seen[0] <= MAX_TENSORS + 2  # the parse stopped at the bound, not after 100,000


def test_as_many_tensors_as_allowed_are_read(tmp_path, package_file):
    path = package_file(tmp_path / "most.safetensors", {f"t{i}": ([0], 0) for i in range(10_000)})
    assert len(read_safetensors(path).arrays) == MAX_TENSORS == 10_000


# --- class 4: decided from the header, only the network read ----------------------------------


def sparse_file(path: Path, header: dict) -> Path:
    """A safetensors file of ``header`` whose data (zeros) takes no disk: the file is extended
    past the header by truncate."""
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    end = max(info["data_offsets"][1] for info in header.values())
    with path.open("wb") as handle:
        handle.write(struct.pack("<Q", len(text)) + text)
        handle.truncate(8 + len(text) + end)
    return path


def peak_while_loading(path: Path) -> tuple[float, str]:
    """Load ``path`` in a fresh interpreter: how much its peak memory (ru_maxrss, MiB) grew
    during the load, and the FormatError's message ("" when it loaded)."""
    script = textwrap.dedent(
        f"""
        import json, resource, sys
        from xentlab.errors import FormatError
        from xentlab.formats import load_safetensors
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            load_safetensors({str(path)!r})
            message = ""
        except FormatError as exc:
            message = str(exc)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps([(after - before) / 1024, message]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        timeout=300,
        check=True,
    )
    grown, message = json.loads(done.stdout)
    return grown, message


BIG = 1_500_000_000  # bytes: the 1.5 GB


def f32(shape, begin):
    return {
        "dtype": "F32",
        "shape": shape,
        "data_offsets": [begin, begin + 4 * int(np.prod(shape))],
    }


@pytest.mark.parametrize(
    ("header", "needle"),
    [
        # the issue's: one tensor of another model, 1.5 GB
        ({"embedding.weight": f32([BIG // 4], 0)}, "has a tensor 'embedding.weight'"),
        # a network's tensors, then 1.5 GB that are no part of it
        (
            {
                "0.weight": f32([2, 3], 0),
                "0.bias": f32([2], 24),
                "optimizer.momentum": f32([BIG // 4], 32),
            },
            "has a tensor 'optimizer.momentum'",
        ),
        # a network's names, but its first layer's 1.5 GB do not chain with the next layer
        (
            {
                "0.weight": f32([BIG // 4 // 1000, 1000], 0),
                "0.bias": f32([BIG // 4 // 1000], BIG),
                "2.weight": f32([10, 7], BIG + BIG // 1000),
                "2.bias": f32([10], BIG + BIG // 1000 + 280),
            },
            "tensor '2.weight' takes 7 inputs, but the layer before gives 375000 outputs",
        ),
    ],
    ids=["another-model", "extra-tensor", "layers-do-not-chain"],
)
def test_a_large_file_that_is_no_network_is_refused_from_its_header(tmp_path, header, needle):
    path = sparse_file(tmp_path / "big.safetensors", header)
    grown, message = peak_while_loading(path)
    assert needle in message and str(path) in message, message
    assert grown < 50, f"{grown:.0f} MiB read for a refusal the header decides"


def test_a_large_network_takes_about_its_own_size_to_load(tmp_path):
    outputs, inputs = 100_000, 784  # one layer: its weight takes 299 MiB in F32
    path = sparse_file(
        tmp_path / "wide.safetensors",
        {"0.weight": f32([outputs, inputs], 0), "0.bias": f32([outputs], 4 * outputs * inputs)},
    )
    kept = 4 * outputs * (inputs + 1) / 2**20
    grown, message = peak_while_loading(path)
    assert message == ""
    assert grown < 1.15 * kept, f"{grown:.0f} MiB to load a network of {kept:.0f} MiB"
