"""Writes never destroy what they should not: every output target is checked before any work,
devices, FIFOs, sockets and directories are never replaced, each writer removes only its own
temporary files, and writers of the same file never make each other fail."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from xentlab import files
from xentlab.errors import FormatError, XentlabError
from xentlab.files import atomic_write, check_output_target, temporary_owner
from xentlab.formats import load_checkpoint, load_network, save_checkpoint, save_network
from xentlab.model import Network
from xentlab.training import TrainConfig, TrainState


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def immutable(path: Path) -> None:
    """Make ``path`` immutable (even root may not write to it), or skip the test."""
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")


@pytest.fixture
def release(tmp_path):
    """Paths made immutable during a test get their flag back off, so tmp_path can be removed."""
    made: list[Path] = []
    yield made
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)


# --- check_output_target -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("", "cannot write network file: its path is empty"),
        ("out/", "cannot write network file out/: that names a directory"),
        (".", "that names a directory"),
        ("missing/net.json", "net.json: directory missing does not exist"),
        ("file.txt/net.json", "net.json: file.txt is not a directory"),
        ("a\0b.json", "cannot contain a NUL character"),
        ("x" * 300, "its name is 300 bytes long; at most 255 fit here"),
        ("a/" * 2100 + "n.json", "the path is 4206 bytes long; at most 4095 fit"),
    ],
)
def test_bad_targets_are_named(tmp_path, monkeypatch, name, needle):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("keep")
    with pytest.raises(XentlabError, match=needle):
        check_output_target(name, "network")
    with pytest.raises(XentlabError, match=needle):
        save_network(Network.create([3, 2], seed=0), name)
    assert listing(tmp_path) == ["file.txt"]


def test_the_longest_name_that_fits_is_written(tmp_path):
    """At the limit exactly: a name as long as the file system allows is written (its
    temporary file's name is short whatever the target's), one byte more is refused."""
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    longest = tmp_path / ("n" * (limit - 5) + ".json")
    save_network(Network.create([3, 2], seed=0), longest)
    assert load_network(longest)[0].sizes == (3, 2)
    with pytest.raises(XentlabError, match=f"at most {limit} fit here"):
        check_output_target(tmp_path / ("n" * (limit - 4) + ".json"), "network")


def test_a_directory_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(XentlabError, match="checkpoint file .*/d: it is a directory"):
        check_output_target(tmp_path / "d", "checkpoint")
    with pytest.raises(XentlabError, match="it is a directory"), atomic_write(tmp_path / "d"):
        pass
    assert listing(tmp_path) == ["d"] and listing(tmp_path / "d") == []


def special_files(tmp_path: Path) -> list[tuple[Path, str]]:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    sock.close()
    (tmp_path / "to-null").symlink_to("/dev/null")
    (tmp_path / "to-fifo").symlink_to(fifo)
    return [
        (Path("/dev/null"), "character device"),
        (Path("/dev/zero"), "character device"),
        (fifo, "FIFO"),
        (sock_path, "socket"),
        (tmp_path / "to-null", "character device"),
        (tmp_path / "to-fifo", "FIFO"),
    ]


def test_devices_fifos_sockets_and_links_to_them_are_never_replaced(tmp_path):
    targets = special_files(tmp_path)
    before = {path: os.lstat(path) for path, _ in targets}
    net = Network.create([3, 2], seed=0)
    for path, what in targets:
        message = f"cannot write network file {path}: it is a {what}"
        with pytest.raises(XentlabError, match=message):
            check_output_target(path, "network")
        with pytest.raises(XentlabError, match=message):
            save_network(net, path)  # atomic_write refuses too: the last line of defence
        with pytest.raises(XentlabError, match="it is a"), atomic_write(path, "wb") as handle:
            handle.write(b"never")
    for path, info in before.items():
        after = os.lstat(path)
        assert (after.st_ino, after.st_mode, after.st_rdev) == (
            info.st_ino,
            info.st_mode,
            info.st_rdev,
        )
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert listing(tmp_path) == ["fifo", "sock", "to-fifo", "to-null"]  # no temporary left


def test_a_fifo_put_in_place_during_the_write_is_not_replaced(tmp_path):
    target = tmp_path / "net.json"
    with pytest.raises(XentlabError, match="it is a FIFO"), atomic_write(target) as handle:
        handle.write("{}")
        os.mkfifo(target)  # appears after the check, before the rename
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert listing(tmp_path) == ["net.json"]


def test_an_unwritable_directory_is_refused(tmp_path, release):
    locked = tmp_path / "locked"
    locked.mkdir()
    immutable(locked)
    release.append(locked)
    with pytest.raises(XentlabError, match=f"directory {locked} is not writable"):
        check_output_target(locked / "net.json", "network")


def test_a_read_only_file_is_not_replaced(tmp_path, release):
    path = tmp_path / "net.json"
    save_network(Network.create([3, 2], seed=0), path)
    before = path.read_bytes()
    immutable(path)
    release.append(path)
    with pytest.raises(XentlabError, match="it is read-only"):
        save_network(Network.create([3, 2], seed=1), path)
    assert path.read_bytes() == before


def test_a_link_to_a_file_is_kept_and_the_file_replaced(tmp_path):
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "net.json"
    link = tmp_path / "latest.json"
    link.symlink_to(real)  # dangling at first: the first save creates the file it names
    assert check_output_target(link, "network") == str(real)
    for seed in (0, 1):
        net = Network.create([3, 2], seed=seed)
        save_network(net, link)
        assert link.is_symlink() and os.readlink(link) == str(real)
        assert np.array_equal(load_network(real)[0].weights[0], net.weights[0])
    assert listing(tmp_path / "runs") == ["net.json"]


def test_outputs_are_checked_before_the_data_is_loaded(tmp_path, monkeypatch):
    from xentlab import runs

    def never(*args, **kwargs):
        raise AssertionError("data loaded before the output was checked")

    monkeypatch.setattr("xentlab.runs.training_run.load_dataset", never)
    for spec in (
        runs.RunSpec.of(save=str(tmp_path / "no" / "net.json")),
        runs.RunSpec.of(checkpoint="/dev/null"),
        runs.RunSpec.of(save=""),
    ):
        with pytest.raises(XentlabError, match="cannot write"):
            runs.prepare(spec)


def test_two_outputs_of_one_run_must_be_different_files(tmp_path, monkeypatch):
    from xentlab import runs

    monkeypatch.chdir(tmp_path)
    (tmp_path / "alias.json").symlink_to(tmp_path / "run.ckpt")
    for save in ("run.ckpt", "./run.ckpt", "alias.json"):
        with pytest.raises(XentlabError, match="the network file and the checkpoint file are both"):
            runs.prepare(runs.RunSpec.of(save=save, checkpoint="run.ckpt"))
    assert listing(tmp_path) == ["alias.json"]
    # A checkpoint to resume is read first; then saving the network over it is refused.
    runs.prepare(runs.RunSpec.of(**{"epochs": 1}, checkpoint="run.ckpt")).train()
    saved = (tmp_path / "run.ckpt").read_bytes()
    with pytest.raises(XentlabError, match="are both run.ckpt"):
        runs.prepare(runs.RunSpec.of(save="run.ckpt", resume="run.ckpt"))
    assert listing(tmp_path) == ["alias.json", "run.ckpt"]
    assert (tmp_path / "run.ckpt").read_bytes() == saved


# --- temporary files -----------------------------------------------------------------------------


def test_a_users_files_beside_the_target_are_left_alone(tmp_path):
    """Before, any '.net.json.*.tmp' was deleted: a user's backup among them."""
    mine = [".net.json.backup.tmp", ".net.json.1.tmp", ".net.json.xentlab-1-2-3.tmp"]
    for name in mine:
        (tmp_path / name).write_text("the user's")
    save_network(Network.create([3, 2], seed=0), tmp_path / "net.json")
    assert listing(tmp_path) == sorted([*mine, "net.json"])
    assert all((tmp_path / name).read_text() == "the user's" for name in mine)


def temporary_name(target: str, pid: int, host: str = files.HOST_TAG) -> str:
    return f".{target}{files.TEMP_TAG}{pid}-{host}-0123abcd.tmp"


def test_the_temporary_file_names_xentlab_its_writer_and_host(tmp_path):
    target = tmp_path / "run.ckpt"
    with atomic_write(target) as handle:
        handle.write("x")
        (temporary,) = [p.name for p in tmp_path.iterdir()]
        assert temporary.startswith(f".run.ckpt.xentlab-{os.getpid()}-{files.HOST_TAG}-")
        assert temporary_owner(temporary, "run.ckpt") == os.getpid()
    assert listing(tmp_path) == ["run.ckpt"]
    assert temporary_owner(temporary_name("run.ckpt", 42), "other.ckpt") is None
    assert temporary_owner(temporary_name("run.ckpt", 42, "0badc0de"), "run.ckpt") is None
    assert temporary_owner(temporary_name("run.ckpt", 42), "run.ckpt") == 42
    assert files.temporary_name("run.ckpt", 42, "0123abcd") == temporary_name("run.ckpt", 42)
    for token in ("abcdefgh", "abc", "0123ABCD"):  # not 8 lowercase hex digits: not ours
        assert temporary_owner(files.temporary_name("run.ckpt", 7, token), "run.ckpt") is None
    assert (
        temporary_owner(f".run.ckpt.xentlab-x1-{files.HOST_TAG}-0123abcd.tmp", "run.ckpt") is None
    )


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_only_stale_temporaries_of_gone_writers_are_removed(tmp_path):
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        gone = dead_pid()
        names = {
            "gone": temporary_name("net.json", gone),
            "alive": temporary_name("net.json", alive.pid),
            "in flight": temporary_name("net.json", os.getpid()),
            "other host": temporary_name("net.json", gone, "0badc0de"),
            "other target": temporary_name("other.json", gone),
        }
        for name in names.values():
            (tmp_path / name).write_text("in flight")
        files.IN_FLIGHT.add(str(tmp_path / names["in flight"]))  # as if another thread's
        earlier = files.temporary_name("net.json", os.getpid(), "fedcba98")
        (tmp_path / earlier).write_text("an earlier process with this id")
        (tmp_path / temporary_name("net.json", gone + 1)).mkdir()  # not a regular file: kept
        save_network(Network.create([3, 2], seed=0), tmp_path / "net.json")
        kept = set(listing(tmp_path))
    finally:
        files.IN_FLIGHT.discard(str(tmp_path / names["in flight"]))
        alive.kill()
        alive.wait()
    assert names["gone"] not in kept and earlier not in kept
    assert {names[k] for k in names if k != "gone"} <= kept
    assert temporary_name("net.json", gone + 1) in kept


# --- concurrent writers --------------------------------------------------------------------------


def small_state(seed: int) -> TrainState:
    return TrainState.start(Network.create([6, 5, 3], seed=seed), TrainConfig(seed=seed))


def test_threads_writing_one_checkpoint_never_fail_and_it_stays_whole(tmp_path):
    path = tmp_path / "run.ckpt"
    save_checkpoint(small_state(0), path, {"n": 10})
    errors: list[BaseException] = []

    def write(seed: int) -> None:
        try:
            for _ in range(40):
                save_checkpoint(small_state(seed), path, {"n": 10})
        except BaseException as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    reads = 0
    while any(t.is_alive() for t in threads) or reads == 0:
        state, _ = load_checkpoint(path)  # always whole: one writer's complete file
        assert state.network.sizes == (6, 5, 3)
        reads += 1
    for thread in threads:
        thread.join()
    assert errors == []
    assert listing(tmp_path) == ["run.ckpt"]


WRITER = """
import sys
from xentlab.formats import save_checkpoint
from xentlab.model import Network
from xentlab.training import TrainConfig, TrainState
seed, path = int(sys.argv[1]), sys.argv[2]
state = TrainState.start(Network.create([6, 5, 3], seed=seed), TrainConfig(seed=seed))
for _ in range(150):
    save_checkpoint(state, path, {"n": 10, "writer": seed})
"""


def test_processes_writing_one_checkpoint_never_fail_and_it_stays_whole(tmp_path):
    path = tmp_path / "run.ckpt"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(seed), str(path)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(3)
    ]
    seen, failures = set(), []
    while any(w.poll() is None for w in writers):
        try:
            _, data = load_checkpoint(path)
            seen.add(data["writer"])
        except XentlabError as exc:
            if "not found" not in str(exc):  # before the first rename there is no file yet
                failures.append(exc)
    outcomes = [(w.wait(), w.communicate()[1]) for w in writers]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    assert failures == []
    assert load_checkpoint(path)[1]["writer"] in (0, 1, 2)
    assert seen, "the reader never saw a checkpoint"
    assert listing(tmp_path) == ["run.ckpt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "run.ckpt"
    save_checkpoint(small_state(0), path, {"n": 10})
    before = path.read_bytes()
    with pytest.raises(FormatError), atomic_write(path, kind="checkpoint") as handle:
        handle.write("half")
        raise FormatError("interrupted")
    assert path.read_bytes() == before and listing(tmp_path) == ["run.ckpt"]
