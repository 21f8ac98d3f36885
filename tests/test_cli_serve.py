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


def xentlab(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-m", "xentlab", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
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
