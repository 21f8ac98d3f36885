"""Pickles that would make the unpickler allocate far more than they hold are refused before
anything is built: memo indices beyond the opcodes before them, opcodes no array pickle uses,
lengths the file does not have, and references that would copy one string or array many times.
Time and memory stay bounded by the file's size, and every refusal names what it found."""

from __future__ import annotations

import pickle
import resource
import struct
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest

from xentlab import data
from xentlab.data.mnist_pkl import MAX_PKL_OPCODES, check_pkl_opcodes
from xentlab.errors import FormatError

# LONG1 of length 0, then LONG_BINPUT with the memo index 0x1f8a0000 (about 5.3·10⁸): unchecked,
# the unpickler grows its memo to some 8 GB before it finds that the pickle ends.
MEMO_BOMB = bytes([0x8A, 0x00, 0x72, 0x00, 0x00, 0x8A, 0x1F, 0x8B])


def ops(*parts: bytes) -> bytes:
    return b"".join(parts)


PROTO2, STOP, NONE, POP = b"\x80\x02", b".", b"N", b"0"


def binput(i: int) -> bytes:
    return b"q" + bytes([i])


def long_binput(i: int) -> bytes:
    return b"r" + struct.pack("<I", i)


def binget(i: int) -> bytes:
    return b"h" + bytes([i])


def encode_amplifier(size: int, times: int) -> bytes:
    """_codecs.encode called ``times`` on one memoized string of ``size`` characters, every
    result kept: ``times`` × ``size`` bytes built from a pickle of ``size`` + 4·``times``."""
    text = b"a" * size
    return ops(
        PROTO2,
        b"c_codecs\nencode\n",
        binput(0),
        b"X" + struct.pack("<I", size) + text,
        binput(1),
        b"(",
        (binget(0) + binget(1) + b"\x85R") * times,
        b"t",
        STOP,
    )


class SharedBytesArray:
    """Pickles as an array whose data is one bytes object, the same for every such array."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct

        state = (1, (len(self.raw),), np.dtype("u1"), False, self.raw)
        return (_reconstruct, (np.ndarray, (0,), b"b"), state)


def array_amplifier(size: int, times: int) -> bytes:
    raw = bytes(size)
    return pickle.dumps(tuple(SharedBytesArray(raw) for _ in range(times)), protocol=3)


BOMBS = [
    ("memo-index-530-million", MEMO_BOMB, "memo index 529137664 at byte 2 is larger than"),
    ("memo-index-past-opcodes", ops(PROTO2, NONE, binput(200), STOP), "memo index 200 at byte 3"),
    (
        "long-memo-index",
        ops(PROTO2, NONE, long_binput(2**32 - 1), STOP),
        "memo index 4294967295",
    ),
    ("text-memo-index", b"N" + b"p99999999999\n" + b".", "memo index 99999999999"),
    ("get-before-put", ops(PROTO2, binget(7), STOP), "memo index 7 at byte 2 is read before"),
    ("protocol-6", ops(b"\x80\x06", NONE, STOP), "pickle protocol 6"),
    ("unknown-opcode", ops(PROTO2, b"\xff", STOP), "not a readable pickle"),
    ("bytes8", ops(b"\x80\x04", b"\x8e" + struct.pack("<Q", 3) + b"abc", STOP), "BINBYTES8"),
    ("bytearray8", ops(b"\x80\x05", b"\x96" + struct.pack("<Q", 1) + b"x", STOP), "BYTEARRAY8"),
    ("long4", ops(PROTO2, b"\x8b" + struct.pack("<i", 2) + b"\x01\x02", STOP), "LONG4"),
    (
        "bytes8-longer-than-file",
        ops(b"\x80\x04", b"\x8e" + struct.pack("<Q", 2**62), STOP),
        "not a readable pickle",
    ),
    ("ext-registry", ops(PROTO2, b"\x82\x01", STOP), "EXT1"),
    ("persistent-id", ops(PROTO2, NONE, b"Q", STOP), "BINPERSID"),
    ("newobj", ops(PROTO2, NONE, b")", b"\x81", STOP), "NEWOBJ"),
    ("inst", ops(b"(", b"ios\nsystem\n", STOP), "INST"),
    ("empty-set", ops(b"\x80\x04", b"\x8f", STOP), "EMPTY_SET"),
    (
        "bytes-longer-than-file",
        ops(b"\x80\x03", b"B" + struct.pack("<I", 2**31) + b"abc", STOP),
        "not a readable pickle",
    ),
    (
        "unicode-longer-than-file",
        ops(PROTO2, b"X" + struct.pack("<I", 2**32 - 1), STOP),
        "not a readable pickle",
    ),
    (
        "frame-past-the-end",
        ops(b"\x80\x04", b"\x95" + struct.pack("<Q", 2**60), NONE, STOP),
        "a frame of 1152921504606846976 bytes",
    ),
    ("trailing-bytes", ops(PROTO2, NONE, STOP, b"more"), "4 bytes follow its STOP"),
    ("no-stop", ops(PROTO2, NONE), "not a readable pickle"),
    ("too-many-opcodes", ops(PROTO2, (NONE + POP) * MAX_PKL_OPCODES, NONE, STOP), "opcodes"),
    ("encode-amplifier", encode_amplifier(1 << 20, 200), "would take more than"),
    ("array-amplifier", array_amplifier(1 << 20, 200), "would take more than"),
]


@pytest.mark.parametrize(("raw", "needle"), [b[1:] for b in BOMBS], ids=[b[0] for b in BOMBS])
def test_pickle_bombs_are_refused_in_bounded_time_and_memory(tmp_path, raw, needle):
    path = tmp_path / "bomb.pkl"
    path.write_bytes(raw)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(FormatError) as caught:
            data.read_mnist_pkl(path)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and needle in message, message
    assert "\n" not in message
    assert seconds < 5
    # The 8-byte memo bomb once took 8 GB; every bomb now stays within a few times its size.
    assert peak < 4 * len(raw) + (2 << 20), peak


@pytest.mark.parametrize("protocol", range(5))
def test_what_python_and_numpy_write_passes_the_checks(tmp_path, protocol):
    rng = np.random.default_rng(protocol)
    parts = tuple(
        (rng.random((n, 784)).astype(dtype), rng.integers(0, 10, n))
        for n, dtype in ((30, np.float32), (20, np.float64), (10, ">f4"))
    )
    path = tmp_path / "mnist.pkl"
    path.write_bytes(pickle.dumps(parts, protocol=protocol))
    loaded = data.read_mnist_pkl(path)  # within the opcodes, the memo and the allowance
    for split, (X, labels) in zip(
        (loaded.train, loaded.validation, loaded.test), parts, strict=True
    ):
        assert np.array_equal(split.X, X.astype(np.float32))
        assert np.array_equal(split.labels, labels)


def test_numpy_protocol_5_is_refused_by_its_opcode():
    parts = tuple((np.full((2, 784), 0.5, np.float32), np.arange(2)) for _ in range(3))
    with pytest.raises(FormatError, match="opcode BYTEARRAY8 at byte \\d+ is not one"):
        check_pkl_opcodes(pickle.dumps(parts, protocol=5))


def cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_the_memo_bomb_under_a_memory_cap_has_a_message(tmp_path):
    path = tmp_path / "bomb.pkl"
    path.write_bytes(MEMO_BOMB)
    result = subprocess.run(
        [sys.executable, "-m", "xentlab", "data", "inspect", "--kind", "pkl", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=cap_memory,
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"xentlab: error: {path}: memo index 529137664 at byte 2 is larger than the number of "
        "opcodes before it (1)\n"
    )
