"""Sweeps on a real Dask cluster of worker processes: a worker killed mid-run, a sweep
interrupted and run again, Ctrl-C at the terminal, schedulers that do not answer, and the
command from end to end. Each test that starts a cluster is bounded in time: on this 2-core
machine, shared with other work, they take 5 to 20 s each."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from xentlab import runs, sweeps
from xentlab.cli import main
from xentlab.cli.commands import build_parser
from xentlab.sweeps import SweepSpec

distributed = pytest.importorskip("distributed")

# Runs of about half a second each on the digits: long enough to be caught mid-run.
GRID = {"cost": ["quadratic", "cross-entropy"], "eta": [0.5, 3.0], "seed": [1, 2, 3]}
GRID_EPOCHS = 40


@contextlib.contextmanager
def time_limit(seconds):
    """Fail (TimeoutError in the main thread, which closes any cluster on its way out) if the
    block takes longer than ``seconds``."""

    def expire(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def executing(dask_worker):
    """Run on a worker: the keys of the tasks it is computing now."""
    return [task.key for task in dask_worker.state.executing]


class KillAWorkerMidRun:
    """On the first result, kills (SIGKILL) the process of a worker that is computing a run
    at that moment, and notes which run and which process."""

    def __init__(self, client):
        self.client, self.killed = client, None

    def on_start(self, total, done, cluster):
        pass

    def on_run(self, record):
        if self.killed is not None:
            return
        for address, keys in self.client.run(executing).items():
            if keys:
                pid = self.client.run(os.getpid, workers=[address])[address]
                os.kill(pid, signal.SIGKILL)
                self.killed = (keys[0], pid)
                return


def same_run(a, b):
    """Bit for bit: weights, biases, every measurement of every epoch (but its wall time)."""
    assert a.test_accuracy == b.test_accuracy
    for x, y in zip(
        a.network.weights + a.network.biases, b.network.weights + b.network.biases, strict=True
    ):
        assert x.dtype == y.dtype and np.array_equal(x, y)
    strip = [{**vars(r), "seconds": 0} for r in a.history.records]
    assert strip == [{**vars(r), "seconds": 0} for r in b.history.records]
    assert a.history.stop_reason == b.history.stop_reason


def test_a_worker_killed_mid_run_loses_nothing_and_the_sweep_is_the_serial_runs_bit_for_bit(
    tmp_path,
):
    spec = SweepSpec.from_axes({**GRID, "epochs": GRID_EPOCHS})
    points = spec.points()
    # A sweep's own local cluster (its logs silenced: the nanny reports the death we cause),
    # given by its address, so that this test has a client of its own to find and kill a worker.
    with (
        time_limit(180),
        sweeps.local_cluster(2) as cluster,
        distributed.Client(cluster) as client,
    ):
        killer = KillAWorkerMidRun(client)
        result = sweeps.run_sweep(
            spec, tmp_path / "out", scheduler=cluster.scheduler_address, observers=[killer]
        )
        assert killer.killed is not None, "no worker was computing a run to be killed"
        # The nanny started a new worker process in place of the one killed.
        pids = set(client.run(os.getpid).values())
    killed_key, killed_pid = killer.killed
    assert result.complete and result.computed == len(points) == 12 and not result.stopped
    assert killed_pid not in pids
    # The runs that were killed (a group, named by its first) were done again, by another
    # process.
    (rerun,) = [p for p in points if f"xentlab-runs-{p.id}" == killed_key]
    redone_by = result.records[rerun.id].worker
    assert str(killed_pid) not in redone_by.split()
    print(f"killed pid {killed_pid} while it computed {killed_key}; redone by {redone_by}")
    # Every result, read back from its file, is the run done serially, to the last bit.
    on_disk = sweeps.SweepFolder(tmp_path / "out").finished(points)
    assert set(on_disk) == {p.id for p in points}
    for point in points:
        same_run(on_disk[point.id], sweeps.train_point(point))


class StopAfter:
    """Asks the sweep to stop once ``count`` runs have finished; counts every run it sees."""

    def __init__(self, stop, count):
        self.stop, self.count, self.seen = stop, count, []

    def on_start(self, total, done, cluster):
        self.started = (total, done)

    def on_run(self, record):
        self.seen.append(record.id)
        if self.stop is not None and len(self.seen) >= self.count:
            self.stop.request()


def test_an_interrupted_sweep_run_again_does_only_what_is_left(tmp_path):
    spec = SweepSpec.from_axes({**GRID, "epochs": 10})
    out = tmp_path / "out"
    with time_limit(120):
        stop = runs.StopRequest()
        first = StopAfter(stop, 3)
        stopped = sweeps.run_sweep(spec, out, workers=2, observers=[first], stop=stop)
        assert stopped.stopped and not stopped.complete and first.started == (12, 0)
        done = sorted(p.name for p in (out / "runs").iterdir())
        assert len(done) == stopped.computed == len(first.seen) >= 3
        assert sorted(f"{i}.json" for i in first.seen) == done
        before = {name: (out / "runs" / name).stat() for name in done}
        contents = {name: (out / "runs" / name).read_bytes() for name in done}
        second = StopAfter(None, 0)
        finished = sweeps.run_sweep(spec, out, workers=2, observers=[second])
    assert finished.complete and not finished.stopped
    assert second.started == (12, len(done))
    assert finished.skipped == len(done) and finished.computed == 12 - len(done)
    assert not set(second.seen) & set(first.seen)  # nothing done twice
    print(f"stopped after {len(done)} of 12 runs; run again: {finished.computed} computed")
    for name, stat in before.items():  # the first runs' files were not even rewritten
        after = (out / "runs" / name).stat()
        assert (after.st_ino, after.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
        assert (out / "runs" / name).read_bytes() == contents[name]
    # A third time there is nothing to do, and no cluster is started for it.
    third = StopAfter(None, 0)
    again = sweeps.run_sweep(spec, out, observers=[third])
    assert again.computed == 0 and again.skipped == 12 and third.seen == []
    assert again.cluster == ""


def test_the_local_cluster_has_single_threaded_blas_no_malloc_trim_and_leaves_ctrl_c_alone(
    monkeypatch,
):
    def worker_setup():
        from threadpoolctl import threadpool_info

        blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
        trim = os.environ.get("MALLOC_TRIM_THRESHOLD_")  # Dask's default; slows runs by 30%
        return blas, signal.getsignal(signal.SIGINT) == signal.SIG_IGN, trim

    # As a process that has started a Dask cluster before has it: the workers must not.
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    before = dict(os.environ)
    with (
        time_limit(60),
        sweeps.local_cluster(2) as cluster,
        distributed.Client(cluster) as client,
    ):
        answers = client.run(worker_setup)
        assert len(answers) == 2
        for blas, ignores_ctrl_c, trim in answers.values():
            assert blas and set(blas) == {1} and ignores_ctrl_c and trim is None
        info = client.scheduler_info()
        assert all(w["nthreads"] == 1 for w in info["workers"].values())
        allowed = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures)
        assert allowed == sweeps.ALLOWED_FAILURES
        # A second sweep's cluster beside this one takes another port (no warning about 8787).
        with sweeps.local_cluster(1) as other:
            assert other.scheduler_address != cluster.scheduler_address
    assert dict(os.environ) == before  # Dask's variables are not left in this process


@contextlib.contextmanager
def listening(reply):
    """A TCP server on a free port of this machine that accepts connections and sends
    ``reply`` (nothing at all, if empty), then keeps them open: its address."""
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

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        for connection in accepted:
            connection.close()


@pytest.mark.parametrize("server", ["none", "silent", "http"])
def test_a_scheduler_that_does_not_answer_is_one_line_within_the_timeout(tmp_path, capsys, server):
    """Nothing listening; a server that accepts the connection and never speaks (Dask's own
    client would wait for ever); a server of another protocol (Dask's client would try to
    allocate exabytes)."""
    reply = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" if server == "http" else b""
    with contextlib.ExitStack() as stack:
        if server == "none":
            address = "tcp://127.0.0.1:1"
        else:
            address = stack.enter_context(listening(reply))
        started = time.monotonic()
        argv = ["sweep", "--scheduler", address, "--connect-timeout", "1", "--out"]
        code = main([*argv, str(tmp_path / "out"), "--epochs", "1"])
        took = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 2 and took < 10, (code, took)
    assert err.count("\n") == 1 and err.startswith("xentlab: error: "), err
    expected = "answered, but not as a Dask scheduler" if server == "http" else "no Dask scheduler"
    assert expected in err
    assert not (tmp_path / "out").exists()  # a sweep that cannot start leaves nothing


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seeds", "5-1"], "--seeds must list at least one value; got none"),
        (["--eta", "0.5,-1"], "--eta must be a finite number > 0; got -1.0"),
        (["--costs", "hinge"], "--costs must be one of quadratic, cross-entropy"),
        (["--hidden", "30,0"], "--hidden must be an integer >= 1; got 0"),
        (["--eta", "x"], "argument --eta: must be numbers, comma-separated"),
        (["--etaa", "1"], "unrecognized arguments: --etaa"),
        (["--seeds", "1-60"], "the sweep has 120 runs, more than the 100 started without"),
        (["--workers", "0"], "workers must be an integer >= 1; got 0"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "--workers must not be given"),
        (["--scheduler", "localhost"], "--scheduler must be an address like tcp://host:8786"),
        (["--figure", "a.gif"], "the extension must be one of png, svg, pdf"),
        (["--book", "sweep.toml"], "give a sweep file or --book, not both"),
        (["missing.toml"], "missing.toml"),
        (["sweep.toml"], "sweep.toml: unknown setting(s) 'seeds'"),
        (["sweep.toml", "--seeds", "1"], "sweep.toml: unknown setting(s) 'seeds'"),
    ],
)
def test_a_bad_sweep_is_one_line_and_exit_code_2_before_any_work(
    tmp_path, capsys, monkeypatch, argv, message
):
    monkeypatch.chdir(tmp_path)
    Path("sweep.toml").write_text("seeds = [1, 2]\n")
    code = main(["sweep", *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not Path("xentlab-sweep").exists()


def test_the_command_runs_a_sweep_prints_the_table_and_writes_its_files(tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = ["sweep", "--costs", "quadratic,cross-entropy", "--eta", "0.5,3", "--seeds", "1,2"]
    argv += ["--epochs", "3", "--workers", "2", "--out", str(out)]
    with time_limit(120):
        assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "sweep of 8 runs; 8 to run on a local cluster of 2 worker processes" in printed
    assert printed.count("test accuracy ") >= 8 and printed.count("◀ best") == 1
    assert {p.name for p in out.iterdir()} == {
        "runs",
        "sweep.json",
        "summary.csv",
        "summary.json",
        "sweep.png",
    }
    assert len(list((out / "runs").iterdir())) == 8
    assert len((out / "summary.csv").read_text().splitlines()) == 5
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    with time_limit(60):
        assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "sweep of 8 runs, 8 already done in" in printed and "nothing to run" in printed
    assert "◀ best" in printed


def test_the_book_sweep_prints_the_book_beside_xentlab(tmp_path, capsys):
    """The book's sweep on the digits for one epoch: the table's shape, not the book's
    figures (those need MNIST and 30 epochs: tests/test_mnist_results.py)."""
    argv = ["sweep", "--book", "--dataset", "digits", "--epochs", "1", "--seeds", "1"]
    figure = tmp_path / "book.svg"
    with time_limit(120):
        assert main([*argv, "--workers", "1", "--out", str(tmp_path / "book")]) == 0
        assert main([*argv, "--out", str(tmp_path / "book"), "--figure", str(figure)]) == 0
    printed = capsys.readouterr().out
    assert "the book's results and xentlab's (digits, 1 epoch, mini-batch 10, init large)" in (
        printed
    )
    for line in ("95.49% (ch. 3)", "96.82% (ch. 3)", "95.42% (ch. 1)"):
        assert line in printed
        assert f"book {line}" in figure.read_text()  # the figure draws the book's figures too
    assert (tmp_path / "book" / "sweep.png").read_bytes().startswith(b"\x89PNG")


def test_ctrl_c_at_the_terminal_stops_the_sweep_cleanly_and_it_resumes(tmp_path):
    """Ctrl-C goes to every process of the terminal's job, the workers too: the sweep stops
    with exit code 130 and one line, no worker prints a traceback, and the runs finished are
    kept; the same command, which the message names, then does only the rest."""
    out = tmp_path / "out"
    argv = ["sweep", "--eta", "0.5,1,3", "--epochs", "60", "--workers", "2", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with time_limit(150):
        job = subprocess.Popen(
            [sys.executable, "-m", "xentlab", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,  # its own job, as a terminal's foreground job is
        )
        try:
            while not (out / "runs").is_dir() or len(list((out / "runs").iterdir())) < 2:
                assert job.poll() is None, job.communicate()
                time.sleep(0.1)
            os.killpg(job.pid, signal.SIGINT)
            stdout, stderr = job.communicate(timeout=60)
        finally:
            if job.poll() is None:
                os.killpg(job.pid, signal.SIGKILL)
                job.wait()
        kept = len(list((out / "runs").iterdir()))
        assert job.returncode == 130, stderr
        assert stderr.startswith("xentlab: error: ") is False
        assert stderr.count("\n") == 1 and "interrupted: " in stderr, stderr
        assert f"{kept} of 18 runs finished and kept in {out}" in stderr
        assert "Traceback" not in stderr and 2 <= kept < 18
        # The command the message ends with, read as a shell reads it, is the same command.
        program, *again = shlex.split(stderr.split("run the same command again to continue: ")[1])
        parse = build_parser().parse_args
        assert program == "xentlab" and vars(parse(again)) == vars(parse(argv))
        assert main(again) == 0
    assert len(list((out / "runs").iterdir())) == 18
