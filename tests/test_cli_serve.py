"""``xentlab serve``: it says where the page is, serves it, stops cleanly on Ctrl-C, warns when
it would listen beyond this machine, and refuses a bad address in one line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed (pip install starlette)")
pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install uvicorn)")
httpx = pytest.importorskip("httpx", reason="httpx is not installed (the test extra has it)")

SRC = str(Path(__file__).parent.parent / "src")


def xentlab(*args: str, ignore_sigint: bool = False) -> subprocess.Popen[str]:
    """``xentlab *args`` in a child process; ``ignore_sigint``: started as a script's background
    job is (``xentlab serve &`` in a non-interactive shell), with SIGINT ignored."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-m", "xentlab", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        if ignore_sigint
        else None,
    )


def test_serve_prints_the_address_serves_the_page_and_stops_on_ctrl_c():
    server = xentlab("serve", "--port", "0")
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.fullmatch(
            r"the page is at (http://127\.0\.0\.1:\d+/) \(Ctrl-C stops the server\)\n", line
        )
        assert match, line
        with httpx.Client(base_url=match.group(1), timeout=30) as client:
            assert client.get("/").status_code == 200
            assert client.get("/api/neuron?eta=0").json()["error"].startswith("eta must be")
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode == 0, err
    assert out == "the server has stopped\n" and err == ""


@pytest.mark.parametrize(
    ("signum", "ignore_sigint"),
    [
        (signal.SIGTERM, False),  # how service managers and `kill` stop a server
        (signal.SIGINT, True),  # `xentlab serve &` in a script, then `kill -INT`
        (signal.SIGTERM, True),
    ],
)
def test_serve_stops_cleanly_on_sigint_and_sigterm_however_it_was_started(signum, ignore_sigint):
    server = xentlab("serve", "--port", "0", ignore_sigint=ignore_sigint)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("the page is at http://127.0.0.1:"), line
        server.send_signal(signum)
        out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode == 0, err
    assert out == "the server has stopped\n" and err == ""


def test_a_background_serve_started_by_a_shell_script_stops_on_sigint(tmp_path):
    # Every wait is bounded, and a server still running at the end is killed (exit 99): a
    # failing test leaves no server behind.
    script = f"""
        {sys.executable} -m xentlab serve --port 0 > out.txt 2> err.txt &
        server=$!
        for i in $(seq 600); do grep -q 'the page is at' out.txt && break; sleep 0.1; done
        kill -INT $server
        for i in $(seq 300); do kill -0 $server 2> /dev/null || break; sleep 0.1; done
        kill -KILL $server 2> /dev/null && exit 99
        wait $server
    """
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, (tmp_path / "err.txt").read_text()  # the server's exit code
    assert (tmp_path / "out.txt").read_text().endswith("\nthe server has stopped\n")
    assert (tmp_path / "err.txt").read_text() == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "xentlab: error: --port must be at most 65535; got 70000\n"),
        (["--port", "-1"], "xentlab: error: --port must be an integer >= 0; got -1\n"),
        (["--host", ""], "xentlab: error: --host must not be empty; the default is 127.0.0.1"),
        (["--host", "no-such-host.invalid"], "xentlab: error: host 'no-such-host.invalid' is"),
    ],
)
def test_a_bad_address_is_one_line_and_exit_2(args, message):
    out, err = xentlab("serve", *args).communicate(timeout=60)
    assert err.startswith(message) and err.count("\n") == 1 and out == ""


def test_a_host_beyond_this_machine_is_warned_about_before_listening():
    # 192.0.2.1 is reserved for documentation: not loopback, and not this machine's, so the
    # warning is printed and then binding fails, without listening beyond the loopback.
    out, err = xentlab("serve", "--host", "192.0.2.1", "--port", "0").communicate(timeout=60)
    lines = err.splitlines()
    assert lines[0] == (
        "xentlab: warning: --host 192.0.2.1 is not a loopback address: every machine that can "
        "reach this one can open the page and start training runs on it"
    )
    assert lines[1].startswith("xentlab: error: cannot listen on 192.0.2.1 port 0: ")
    assert len(lines) == 2 and out == ""


def test_a_busy_port_is_named():
    from xentlab.web import listen

    with listen("127.0.0.1", 0) as busy:
        port = busy.getsockname()[1]
        out, err = xentlab("serve", "--port", str(port)).communicate(timeout=60)
    assert err == (
        f"xentlab: error: port {port} is already in use on 127.0.0.1; choose another port, "
        "or 0 for any free one\n"
    )
