"""Reading only what can be read safely: a FIFO, a device, a socket or a link to one is refused
by every reader before a byte is read (and without hanging); an IDX header is read without its
data; gzip content is held once, and capped however far a small file expands, in memory as well
as in the message; a file over its cap is refused unread."""

from __future__ import annotations

import gzip
import os
import resource
import socket
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from idx_tools import idx_bytes, write_idx, write_mnist_dir

from xentlab import data
from xentlab.errors import FormatError, XentlabError
from xentlab.files import open_content, read_bytes_capped, read_capped, read_content_capped
from xentlab.formats import load_checkpoint, load_network

WHAT = {
    "fifo": "a FIFO",
    "device": "a character device",
    "socket": "a socket",
    "link-to-fifo": "a FIFO",
    "link-to-device": "a character device",
}
READERS = {
    "idx": (data.read_idx, "data"),
    "idx-header": (data.idx_shape, "data"),
    "pickle": (data.read_mnist_pkl, "data"),
    "network": (load_network, "network"),
    "checkpoint": (load_checkpoint, "checkpoint"),
    "content-checksum": (data.sha256_of_content, "data"),
    "file-checksum": (data.sha256_of_file, "data"),
    "identify": (data.identify, "data"),
    "bytes-capped": (lambda p: read_bytes_capped(p, "network", 100), "network"),
}


def special_file(tmp_path: Path, kind: str) -> Path:
    """A path of the given kind: a FIFO, /dev/zero, a socket, or a link to one."""
    if kind in ("fifo", "link-to-fifo"):
        os.mkfifo(tmp_path / "fifo")
    if kind == "socket":
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(tmp_path / "sock"))  # the socket file outlives the socket
        return tmp_path / "sock"
    if kind.startswith("link-to-"):
        target = tmp_path / "fifo" if kind == "link-to-fifo" else Path("/dev/zero")
        (tmp_path / "link").symlink_to(target)
        return tmp_path / "link"
    return tmp_path / "fifo" if kind == "fifo" else Path("/dev/zero")


def outcome_within(seconds: float, call) -> BaseException | None:
    """What ``call()`` raised (None if nothing), failing the test if it takes longer: a reader
    that opens a FIFO for reading would wait forever for a writer."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still reading after {seconds} s"
    return outcome[0]


@pytest.mark.parametrize("kind", list(WHAT))
@pytest.mark.parametrize("reader", list(READERS))
def test_every_reader_refuses_what_is_not_a_regular_file(tmp_path, reader, kind):
    path = special_file(tmp_path, kind)
    function, what = READERS[reader]
    error = outcome_within(10, lambda: function(path))
    assert isinstance(error, XentlabError), error
    assert str(error) == f"{what} file is not a regular file: {path} ({WHAT[kind]})"


def test_a_data_folder_holding_a_fifo_is_refused_by_name(tmp_path):
    directory = write_mnist_dir(tmp_path / "mnist")
    labels = directory / "t10k-labels-idx1-ubyte.gz"
    labels.unlink()
    os.mkfifo(labels)
    error = outcome_within(10, lambda: data.load_dataset("mnist", directory))
    assert isinstance(error, XentlabError)
    assert str(error) == f"data file is not a regular file: {labels} (a FIFO)"


def test_a_directory_and_a_missing_parent_are_named(tmp_path):
    with pytest.raises(XentlabError, match="^data file is a directory: "):
        data.read_idx(tmp_path)
    with pytest.raises(XentlabError, match="^network file not found: "):
        load_network(tmp_path / "absent" / "net.json")
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(XentlabError, match="^data file not found: "):
        data.read_idx(tmp_path / "file" / "inside")


def test_idx_shape_reads_the_header_only(tmp_path):
    path = write_idx(tmp_path / "f.gz", np.zeros((3, 4, 5), np.uint8))
    assert data.idx_shape(path) == (3, 4, 5)
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(0, np.uint8), dims=(1_000, 1_000, 1_000))))
    assert data.idx_shape(path) == (1_000, 1_000, 1_000)  # declared, not read: no data needed
    with pytest.raises(FormatError, match="truncated"):
        data.read_idx(path)
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(0, np.uint8), dims=(2**30 + 1,))))
    with pytest.raises(FormatError, match=f"\\({data.MAX_IDX_BYTES} bytes\\)$"):
        data.idx_shape(path)


# --- content held once, and capped --------------------------------------------------------


def peak_bytes(call) -> tuple[object, int]:
    """call()'s result, and the most memory Python held while it ran (tracemalloc)."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("zipped", [True, False])
def test_content_is_held_once(tmp_path, zipped):
    content = np.random.default_rng(0).integers(0, 4, 48 << 20, dtype=np.uint8).tobytes()
    path = tmp_path / "big"
    path.write_bytes(gzip.compress(content, 1) if zipped else content)

    def read() -> bytes:
        with open_content(path, "data") as stream:
            return read_capped(path, stream, len(content) + 1)

    read_back, peak = peak_bytes(read)
    assert read_back == content
    # Pieces joined at the end would hold the content twice.
    assert peak < 1.2 * len(content) + (4 << 20), peak / len(content)
    _, peak = peak_bytes(lambda: read_bytes_capped(path, "data", len(content) * 2))
    assert peak < 1.2 * path.stat().st_size + (4 << 20)


def gzip_bomb(path: Path, content: int, head: bytes = b"") -> Path:
    """A gzip file of ``head`` and then zeros, ``content`` bytes in all: members of 64 MiB each,
    about 1/1000 of that on disk."""
    member = gzip.compress(bytes(64 << 20), 9, mtime=0)
    count, rest = divmod(content - len(head), 64 << 20)
    with path.open("wb") as out:
        out.write(gzip.compress(head + bytes(rest), 9, mtime=0))
        for _ in range(count):
            out.write(member)
    return path


def test_expanding_content_is_refused_at_the_cap(tmp_path):
    path = gzip_bomb(tmp_path / "bomb.gz", 256 << 20)
    assert path.stat().st_size < 300_000
    error, peak = peak_bytes(
        lambda: outcome_within(60, lambda: read_content_capped(path, "data", 1 << 20))
    )
    assert isinstance(error, FormatError)
    assert str(error) == (
        f"{path}: the data content is larger than 1 MiB (1048576 bytes), the most xentlab "
        "reads for a data file"
    )
    assert peak < 8 << 20  # the 1 MiB read, and pieces of 1 MiB: not the 256 MiB


def cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.mark.parametrize(
    ("kind", "head", "needle"),
    [
        ("pkl", b"", "larger than 512 MiB (536870912 bytes)"),
        ("idx", idx_bytes(np.zeros(0, np.uint8), dims=(100_000_000,)), "longer than declared"),
    ],
)
def test_a_small_gzip_of_gigabytes_is_refused_under_a_memory_cap(tmp_path, kind, head, needle):
    path = gzip_bomb(tmp_path / "bomb.gz", 4 << 30, head)
    assert path.stat().st_size < 5_000_000
    result = subprocess.run(
        [sys.executable, "-m", "xentlab", "data", "inspect", "--kind", kind, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=cap_memory,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and needle in result.stderr, result.stderr


def test_a_network_file_over_the_cap_is_refused_unread(tmp_path):
    from xentlab.formats import MAX_FILE_BYTES

    path = tmp_path / "huge.json"
    with path.open("wb") as sparse:
        sparse.truncate(MAX_FILE_BYTES + 1)  # holes: no disk, and no read, needed
    error, peak = peak_bytes(lambda: outcome_within(10, lambda: load_network(path)))
    assert str(error) == f"{path}: {MAX_FILE_BYTES + 1} bytes is too large for a network file"
    assert peak < 1 << 20


def test_a_read_that_runs_out_of_memory_is_a_one_line_refusal(tmp_path):
    path = tmp_path / "big.json"
    with path.open("wb") as sparse:
        sparse.truncate(3 << 29)  # 1.5 GiB, under the cap, over the memory below
    script = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from xentlab.files import read_bytes_capped\n"
        "from xentlab.errors import FormatError\n"
        "try:\n"
        "    read_bytes_capped(sys.argv[1], 'network', 2 << 30)\n"
        "except FormatError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.stderr == ""
    assert result.stdout.startswith(f"{path}: not enough memory to read it (")
