"""Where a sweep calls Dask: whatever is at the address ``--scheduler`` gives, one line naming
it, never Dask's exception. Small TCP servers on this machine play the peers (one that closes
at once, one that sends a message of no frames, one whose frame lengths lie, one that sends
text); a real Dask worker plays a Dask endpoint that is not a scheduler."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time

import pytest

from xentlab.cli import main

distributed = pytest.importorskip("distributed")


@contextlib.contextmanager
def peer(reply: bytes, close: bool = True):
    """A TCP server on a free port of this machine that accepts each connection, sends
    ``reply`` and (with ``close``) closes it: its tcp:// address."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []

    def serve():
        with contextlib.suppress(OSError):
            while True:
                connection, _ = server.accept()
                accepted.append(connection)
                connection.sendall(reply)
                if close:
                    connection.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        for connection in accepted:
            connection.close()


def sweep_at(address, tmp_path, capsys):
    started = time.monotonic()
    out = tmp_path / "out"
    code = main(["sweep", "--scheduler", address, "--connect-timeout", "2", "--out", str(out)])
    took = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("xentlab: error: "), err
    assert "Traceback" not in err and address in err, err
    assert took < 30, took  # the deadline is 2 s: this only guards against waiting for ever
    assert not out.exists()  # a sweep that cannot start leaves nothing
    return err


PEERS = {
    # Before, struct.error from Dask's frame decoding, as a traceback:
    "no-frames": struct.pack("<Q", 0),  # a message of no frames: nothing to read
    "frame-lengths-lie": struct.pack("<Q", 2) + struct.pack("<Q", 8) + b"\0" * 8,
    "one-frame-cut-short": struct.pack("<Q", 1) + struct.pack("<Q", 3) + b"abc",
    # Before as now, one line:
    "closes-at-once": b"",
    "text": b"SSH-2.0-OpenSSH_9.6\r\n",
}


@pytest.mark.parametrize("name", PEERS)
def test_a_peer_that_is_not_dask_is_one_line_naming_the_address(tmp_path, capsys, name):
    with peer(PEERS[name]) as address:
        err = sweep_at(address, tmp_path, capsys)
    assert "not as a Dask scheduler does" in err or "no Dask scheduler answered" in err


def test_a_message_of_no_frames_names_what_dask_could_not_read(tmp_path, capsys):
    with peer(PEERS["no-frames"]) as address:
        err = sweep_at(address, tmp_path, capsys)
    assert f"{address} answered, but not as a Dask scheduler does (struct.error: " in err


def test_tls_without_tls_settings_says_which_settings(tmp_path, capsys, monkeypatch):
    """Before: TypeError (TLS expects a `ssl_context` argument ...), as a traceback."""
    for name in ("CA_FILE", "CLIENT__CERT", "CLIENT__KEY"):
        monkeypatch.delenv(f"DASK_DISTRIBUTED__COMM__TLS__{name}", raising=False)
    with peer(b"") as address:
        tls = address.replace("tcp://", "tls://")
        err = sweep_at(tls, tmp_path, capsys)
    assert f"{tls} is a TLS address, but Dask has no TLS settings for a client" in err


def test_a_scheme_dask_cannot_use_here_is_one_line(tmp_path, capsys):
    """ucx:// is a scheme Dask knows, whose connector needs a package not installed. Before:
    TypeError (Can't instantiate abstract class UCXConnector ...), as a traceback."""
    from distributed.comm import registry

    try:
        registry.get_backend("ucx").get_connector()
    except Exception:
        pass
    else:
        pytest.skip("this machine can make ucx connections")  # the case needs it missing
    err = sweep_at("ucx://127.0.0.1:1", tmp_path, capsys)
    assert "Dask cannot make ucx:// connections here" in err


@pytest.fixture(scope="module")
def dask_endpoints():
    """A cluster in this process (its worker a thread, not a process), over TCP."""
    with distributed.LocalCluster(
        n_workers=1,
        processes=False,
        threads_per_worker=1,
        protocol="tcp://",
        dashboard_address=None,
        scheduler_port=0,
    ) as cluster:
        yield cluster


def test_a_dask_worker_is_not_taken_for_a_scheduler(tmp_path, capsys, dask_endpoints):
    """Before: TypeError (Worker.identity() got an unexpected keyword argument 'n_workers')
    from inside Dask's client, as a traceback."""
    worker = next(iter(dask_endpoints.scheduler_info["workers"]))
    err = sweep_at(worker, tmp_path, capsys)
    assert f"{worker} is a Dask Worker, not a Dask scheduler" in err


def test_the_scheduler_of_the_same_cluster_passes_the_check(dask_endpoints):
    from xentlab.sweeps.engine import _check_scheduler

    _check_scheduler(dask_endpoints.scheduler_address, 5)  # no exception: it is one
