"""Regenerate the corpus of inputs dangerous to read: ``python tests/corpus/make_reads.py``.

Writes files named ``reads-*`` into tests/corpus/files/ and the cases into cases/reads.json:
what is not a regular file (FIFOs, devices, links to them), gzip content that expands far
beyond its file, pickles that would make the unpickler allocate far more than they hold, data
sets whose headers declare more than memory holds, and data folders that do not say which data
set they hold. Besides ``{files}`` and ``{mnist}``, a case's arguments, needle and ``env`` may
use ``{tmp}``, the case's own folder, where the test makes the case's ``fifos`` and ``links``.
"""

from __future__ import annotations

import gzip
import json
import pickle
import struct
from pathlib import Path

import numpy as np
from make_corpus import Cases, remove_group_files  # beside this script

from xentlab.data.mnist_pkl import MAX_PKL_OPCODES
from xentlab.formats import network_document
from xentlab.model import Network

HERE = Path(__file__).parent
FILES = HERE / "files"
MEMBER = 64 << 20  # gzip bombs are members of 64 MiB of zeros, 65 KB each


def idx(shape: tuple[int, ...], content: bytes = b"") -> bytes:
    return b"\x00\x00\x08" + bytes([len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + content


def gz(raw: bytes) -> bytes:
    return gzip.compress(raw, 9, mtime=0)


def zeros_gz(head: bytes, total: int) -> bytes:
    """gzip of ``head`` followed by zeros, ``total`` bytes of content, about total/1000 on disk."""
    count, rest = divmod(total - len(head), MEMBER)
    return gz(head + bytes(rest)) + gz(bytes(MEMBER)) * count


def encode_amplifier(size: int, times: int) -> bytes:
    """_codecs.encode called ``times`` on one memoized string of ``size`` characters."""
    call = b"h\x00h\x01\x85R"  # BINGET 0, BINGET 1, TUPLE1, REDUCE
    text = b"X" + struct.pack("<I", size) + b"a" * size + b"q\x01"
    return b"\x80\x02c_codecs\nencode\nq\x00" + text + b"(" + call * times + b"t."


class SharedBytesArray:
    """Pickles as an array whose data is one bytes object, the same for every such array."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct

        state = (1, (len(self.raw),), np.dtype("u1"), False, self.raw)
        return (_reconstruct, (np.ndarray, (0,), b"b"), state)


def small_mnist(folder: Path) -> None:
    """Four tiny IDX files with MNIST's names and content no data set has."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for stem, shape in (
        ("train-images-idx3-ubyte", (3, 28, 28)),
        ("train-labels-idx1-ubyte", (3,)),
        ("t10k-images-idx3-ubyte", (2, 28, 28)),
        ("t10k-labels-idx1-ubyte", (2,)),
    ):
        content = rng.integers(0, 10, shape).astype(np.uint8).tobytes()
        (folder / f"{stem}.gz").write_bytes(gz(idx(shape, content)))


def main() -> None:
    remove_group_files("reads-")
    cases = Cases()
    case = cases.add

    net = FILES / "reads-net-784.json"
    net.write_text(json.dumps(network_document(Network.create([784, 2, 10], seed=0))))
    evaluate = ["evaluate", "{files}/reads-net-784.json", "--dataset", "mnist"]
    train = ["train", "--dataset", "mnist", "--data-dir", "{mnist}", "--epochs", "1"]
    inspect = ["data", "inspect", "--kind"]

    # --- not a regular file: refused before a byte is read, without waiting for a writer --------
    fifo = "is not a regular file: {tmp}/fifo (a FIFO)"
    zero = "is not a regular file: /dev/zero (a character device)"
    for name, args, needle, extra in [
        ("reads-fifo-as-idx", [*inspect, "idx", "{tmp}/fifo"], f"data file {fifo}", {}),
        ("reads-fifo-as-pkl", [*inspect, "pkl", "{tmp}/fifo"], f"data file {fifo}", {}),
        ("reads-fifo-as-network", ["evaluate", "{tmp}/fifo"], f"network file {fifo}", {}),
        (
            "reads-fifo-as-checkpoint",
            ["train", "--resume", "{tmp}/fifo"],
            f"checkpoint file {fifo}",
            {},
        ),
        (
            "reads-fifo-named-json",
            ["data", "inspect", "{tmp}/fifo.json"],
            "network file is not a regular file: {tmp}/fifo.json (a FIFO)",
            {"fifos": ["fifo.json"]},
        ),
        (
            "reads-fifo-named-ckpt",
            ["data", "inspect", "{tmp}/fifo.ckpt"],
            "checkpoint file is not a regular file: {tmp}/fifo.ckpt (a FIFO)",
            {"fifos": ["fifo.ckpt"]},
        ),
        ("reads-zero-as-idx", [*inspect, "idx", "/dev/zero"], f"data file {zero}", {}),
        ("reads-zero-as-pkl", [*inspect, "pkl", "/dev/zero"], f"data file {zero}", {}),
        ("reads-zero-as-network", ["evaluate", "/dev/zero"], f"network file {zero}", {}),
        (
            "reads-zero-as-checkpoint",
            ["train", "--resume", "/dev/zero"],
            f"checkpoint file {zero}",
            {},
        ),
        (
            "reads-null-as-network",
            ["evaluate", "/dev/null"],
            "network file is not a regular file: /dev/null (a character device)",
            {},
        ),
        (
            "reads-link-to-zero",
            [*inspect, "idx", "{tmp}/zero.gz"],
            "data file is not a regular file: {tmp}/zero.gz (a character device)",
            {"links": {"zero.gz": "/dev/zero"}},
        ),
        (
            "reads-link-to-fifo",
            ["evaluate", "{tmp}/net.json"],
            "network file is not a regular file: {tmp}/net.json (a FIFO)",
            {"links": {"net.json": "{tmp}/fifo"}},
        ),
        (
            "reads-fifo-as-test-labels",
            train,
            "data file is not a regular file: {mnist}/t10k-labels-idx1-ubyte.gz (a FIFO)",
            {"fifos": ["mnist/t10k-labels-idx1-ubyte.gz"]},
        ),
        (
            "reads-fifo-as-training-images",
            train,
            "data file is not a regular file: {mnist}/train-images-idx3-ubyte.gz (a FIFO)",
            {"fifos": ["mnist/train-images-idx3-ubyte.gz"]},
        ),
        (
            "reads-zero-as-test-images",
            [*evaluate, "--data-dir", "{mnist}"],
            "data file is not a regular file: {mnist}/t10k-images-idx3-ubyte.gz (a character",
            {"links": {"mnist/t10k-images-idx3-ubyte.gz": "/dev/zero"}},
        ),
        (
            "reads-fifo-as-data-dir",
            [*evaluate, "--data-dir", "{tmp}/fifo"],
            "data directory {tmp}/fifo is not a directory",
            {},
        ),
    ]:
        if "{tmp}/fifo" in json.dumps([args, extra]) and not extra.get("fifos"):
            extra = {**extra, "fifos": ["fifo"]}
        case(name, args, needle, **extra)

    # --- gzip content that expands far beyond its file -------------------------------------------
    case(
        "reads-pkl-768-mib-of-zeros.pkl.gz",
        [*inspect, "pkl", "{files}/reads-pkl-768-mib-of-zeros.pkl.gz"],
        "larger than 512 MiB (536870912 bytes)",
        zeros_gz(b"", 768 << 20),
    )
    case(
        "reads-idx-768-mib-behind-a-small-header.gz",
        [*inspect, "idx", "{files}/reads-idx-768-mib-behind-a-small-header.gz"],
        "longer than declared",
        zeros_gz(idx((10_000_000,)), 768 << 20),
    )
    case(
        "reads-idx-declares-2-gib.gz",
        [*inspect, "idx", "{files}/reads-idx-declares-2-gib.gz"],
        "more than xentlab reads from one IDX file (1073741824 bytes)",
        gz(idx((2**31,))),
    )
    case(
        "reads-idx-declares-4d.gz",
        [*inspect, "idx", "{files}/reads-idx-declares-4d.gz"],
        "more than xentlab reads from one IDX file",
        gz(idx((70_000, 28, 28, 1000))),
    )

    # --- data sets whose headers declare more than xentlab loads -------------------------------
    case(
        "reads-mnist-400k-training-images.gz",
        train,
        "400,000 images of 28 × 28 (with the rest of the load) would need 1.5 GiB as float32",
        zeros_gz(idx((400_000, 28, 28)), 16 + 400_000 * 784),
        replace="train-images-idx3-ubyte.gz",
    )
    case(
        "reads-mnist-300k-test-images.gz",
        [*evaluate, "--data-dir", "{mnist}"],
        "300,000 images of 28 × 28 (with the rest of the load) would need 1.1 GiB as float32",
        zeros_gz(idx((300_000, 28, 28)), 16 + 300_000 * 784),
        replace="t10k-images-idx3-ubyte.gz",
    )
    case(
        "reads-mnist-200m-labels.gz",
        train,
        "200,000,000 labels (with the rest of the load) would need 1.7 GiB as int64",
        gz(idx((200_000_000,))),
        replace="train-labels-idx1-ubyte.gz",
    )

    # --- pickles that would allocate far more than they hold ------------------------------------
    pkl = [*inspect, "pkl"]
    for name, raw, needle in [
        ("memo-bomb", bytes.fromhex("8a00720000" + "8a1f8b"), "memo index 529137664 at byte 2"),
        ("long-binput", b"\x80\x02N" + b"r\xff\xff\xff\xff" + b".", "memo index 4294967295"),
        ("binput-past-opcodes", b"\x80\x02Nq\xc8.", "memo index 200 at byte 3 is larger"),
        ("text-put", b"Np99999999999\n.", "memo index 99999999999"),
        ("get-before-put", b"\x80\x02h\x07.", "memo index 7 at byte 2 is read before"),
        ("protocol-6", b"\x80\x06N.", "pickle protocol 6"),
        ("ext1", b"\x80\x02\x82\x01.", "opcode EXT1 at byte 2"),
        ("binpersid", b"\x80\x02NQ.", "opcode BINPERSID at byte 3"),
        ("newobj", b"\x80\x02N)\x81.", "opcode NEWOBJ at byte 4"),
        ("inst", b"(ios\nsystem\n.", "opcode INST at byte 1"),
        ("binbytes8", b"\x80\x04\x8e" + struct.pack("<Q", 3) + b"abc.", "opcode BINBYTES8"),
        (
            "bytes-declares-2-gib",
            b"\x80\x03B" + struct.pack("<I", 2**31) + b"abc.",
            "expected 2147483648 bytes",
        ),
        (
            "unicode-declares-4-gib",
            b"\x80\x02X" + struct.pack("<I", 2**32 - 1) + b".",
            "expected 4294967295 bytes",
        ),
        ("frame-past-the-end", b"\x80\x04\x95" + struct.pack("<Q", 2**60) + b"N.", "a frame of"),
        ("trailing-bytes", b"\x80\x02N.more", "4 bytes follow its STOP"),
        ("opcodes-10001", b"\x80\x02" + b"N0" * MAX_PKL_OPCODES + b"N.", "more than 10000 opcodes"),
    ]:
        case(f"reads-pkl-{name}.pkl", [*pkl, f"{{files}}/reads-pkl-{name}.pkl"], needle, raw)
    case(
        "reads-pkl-memo-bomb.pkl.gz",
        [*pkl, "{files}/reads-pkl-memo-bomb.pkl.gz"],
        "memo index 529137664 at byte 2",
        gz(bytes.fromhex("8a00720000" + "8a1f8b")),
    )
    case(
        "reads-pkl-encode-one-string-100-times.pkl.gz",
        [*pkl, "{files}/reads-pkl-encode-one-string-100-times.pkl.gz"],
        "building its arrays would take more than",
        gz(encode_amplifier(50 << 20, 100)),
    )
    raw = bytes(50 << 20)  # one object: pickled once, then referred to by the memo
    shared = tuple(SharedBytesArray(raw) for _ in range(100))
    case(
        "reads-pkl-one-buffer-in-100-arrays.pkl.gz",
        [*pkl, "{files}/reads-pkl-one-buffer-in-100-arrays.pkl.gz"],
        "building its arrays would take more than",
        gz(pickle.dumps(shared, protocol=3)),
    )

    # --- data folders that do not say which data set they hold ---------------------------------
    small_mnist(FILES / "reads-downloads")
    small_mnist(FILES / "reads-cache" / "xentlab")
    for name, args, needle, env in [
        (
            "reads-folder-unnamed-as-mnist",
            [*train[:3], "--epochs", "1"],
            "only from a folder named 'mnist': move them to {files}/reads-downloads/mnist",
            {"XENTLAB_DATA": "{files}/reads-downloads"},
        ),
        (
            "reads-folder-unnamed-as-fashion",
            ["evaluate", "{files}/reads-net-784.json", "--dataset", "fashion-mnist"],
            "only from a folder named 'fashion-mnist'",
            {"XENTLAB_DATA": "{files}/reads-downloads"},
        ),
        (
            "reads-folder-mnist-as-fashion",
            ["train", "--dataset", "fashion-mnist", "--epochs", "1"],
            "no fashion-mnist data in {mnist} (XENTLAB_DATA): the IDX files lying there",
            {"XENTLAB_DATA": "{mnist}"},
        ),
        (
            "reads-folder-without-data",
            [*train[:3], "--epochs", "1"],
            "no mnist data in {files} (XENTLAB_DATA): expected a subfolder mnist/",
            {"XENTLAB_DATA": "{files}"},
        ),
        (
            "reads-folder-is-a-file",
            [*train[:3], "--epochs", "1"],
            "no mnist data in {files}/reads-net-784.json (XENTLAB_DATA): not a folder",
            {"XENTLAB_DATA": "{files}/reads-net-784.json"},
        ),
        (
            "reads-folder-cache-unnamed",
            [*train[:3], "--epochs", "1"],
            "(the cache): the IDX files lying there are not the published mnist",
            {"XENTLAB_DATA": "", "XDG_CACHE_HOME": "{files}/reads-cache"},
        ),
    ]:
        case(name, args, needle, env=env)

    (HERE / "cases" / "reads.json").write_text(json.dumps(cases, indent=1) + "\n")
    made = [p for top in FILES.glob("reads-*") for p in (top, *top.rglob("*")) if p.is_file()]
    size = sum(p.stat().st_size for p in made)
    print(f"{len(cases)} cases, {size / 1e6:.1f} MB of files")


if __name__ == "__main__":
    main()
