"""The page's server believes the socket, not what a client says about itself, and every way a
client can leave is one ordinary line in the server's log, never a traceback.

A real uvicorn server on a free loopback port (web_helpers.serving), raw sockets for what no
well-behaved HTTP client sends, and the server's own log ("uvicorn.error") read at the info
level.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

import pytest
from web_helpers import serving, wait_until

pytest.importorskip("starlette", reason="the web extra is not installed (pip install starlette)")
pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install uvicorn)")
httpx = pytest.importorskip("httpx", reason="httpx is not installed (the test extra has it)")

from xentlab.errors import XentlabError  # noqa: E402
from xentlab.web import Limits, create_app, trusted_proxies  # noqa: E402

SLOW_RACE = {"epochs": 30, "pace": 2}  # runs until stopped, at one epoch every 2 s
HEAD = b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"


class Lines(logging.Handler):
    """The server's log lines, as records."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        return [record.getMessage() for record in self.records]


@contextmanager
def server_log() -> Iterator[Lines]:
    """The server's log from now on (after the server is made: uvicorn's logging configuration
    replaces the handlers of its loggers)."""
    lines = Lines()
    log = logging.getLogger("uvicorn.error")
    log.addHandler(lines)
    try:
        yield lines
    finally:
        log.removeHandler(lines)


def start_race(base: str, stack: ExitStack, forwarded_for: str) -> int:
    """POST a slow race as a client saying it is ``forwarded_for``; the answer's status (the
    stream, if any, kept open by ``stack``)."""
    client = stack.enter_context(httpx.Client(base_url=base, timeout=30))
    answer = stack.enter_context(
        client.stream(
            "POST", "/api/races", json=SLOW_RACE, headers={"X-Forwarded-For": forwarded_for}
        )
    )
    return answer.status_code


def test_a_client_cannot_pass_for_others_by_saying_so():
    limits = Limits(races_per_client=2, races=4)
    with serving(create_app(limits)) as base, ExitStack() as stack:
        statuses = [start_race(base, stack, f"198.51.100.{n}") for n in range(3)]
    assert statuses == [200, 200, 429]  # all from 127.0.0.1, whatever they said


def test_a_trusted_proxy_names_its_clients():
    limits = Limits(races_per_client=2, races=6)
    with serving(create_app(limits), proxies=["127.0.0.1"]) as base, ExitStack() as stack:
        others = [start_race(base, stack, f"198.51.100.{n}") for n in range(3)]
        same = [start_race(base, stack, "192.0.2.1, 203.0.113.9") for _ in range(3)]
    assert others == [200, 200, 200]  # three clients, each within its limit
    assert same == [200, 200, 429]  # the client the proxy names: the last address it added


@pytest.mark.parametrize(
    ("given", "kept"),
    [(["127.0.0.1"], ("127.0.0.1",)), ([" ::1", "10.1.2.3/8"], ("::1", "10.0.0.0/8")), ([], ())],
)
def test_trusted_proxies_are_addresses_or_networks(given, kept):
    assert trusted_proxies(given) == kept


@pytest.mark.parametrize("given", ["proxy.example", "*", "", "10.0.0.0/33", "127.0.0.1:8080"])
def test_anything_else_is_refused_as_a_trusted_proxy(given):
    with pytest.raises(XentlabError, match="--trusted-proxy must be an IP address or network"):
        trusted_proxies([given])


def send(base: str, data: bytes, then: float = 0.3) -> bytes:
    """Send raw ``data``, wait ``then`` seconds, read what came back (b"" if nothing), close."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(data)
        time.sleep(then)
        sock.settimeout(0.5)
        try:
            return sock.recv(4096)
        except TimeoutError:
            return b""


def body_request(length: bytes, body: bytes) -> bytes:
    return (
        b"POST /api/races HTTP/1.1\r\n" + HEAD + b"Content-Length: " + length + b"\r\n\r\n" + body
    )


# How a client may leave, and the one line each leaves in the log (None: none at all).
DEPARTURES = [
    (
        "half a JSON body, then gone",
        body_request(b"100", b'{"epochs": '),
        "left before its request",
    ),
    ("a Content-Length that is no number", body_request(b"abc", b"{}"), "Invalid HTTP request"),
    ("a negative Content-Length", body_request(b"-1", b"{}"), "Invalid HTTP request"),
    ("two Content-Lengths", body_request(b"2\r\nContent-Length: 3", b"{}"), "Invalid HTTP request"),
    (
        "a broken chunk",
        b"POST /api/races HTTP/1.1\r\n"
        + HEAD
        + b'Transfer-Encoding: chunked\r\n\r\n2\r\n{"\r\nzz\r\n',
        "Invalid HTTP request",
    ),
    (
        "a computation asked for, then gone",
        b"GET /api/map?points=201 HTTP/1.1\r\n" + HEAD + b"\r\n",
        None,
    ),
    ("connected, then gone", b"", None),
]


@pytest.mark.parametrize(("how", "data", "line"), DEPARTURES, ids=[d[0] for d in DEPARTURES])
def test_every_way_a_client_leaves_is_one_line_in_the_log(how, data, line):
    with serving(create_app(), log_level="info") as base, server_log() as log:
        send(base, data, then=0.05)
        if line is not None:
            wait_until(lambda: any(line in text for text in log.texts()), what=f"{line!r} logged")
        time.sleep(0.5)  # a computation ends, and any line it would log is logged
    during = [r for r in log.records if r.getMessage() not in ("Started server process [%d]",)]
    texts = [r.getMessage() for r in during]
    assert not any(r.exc_info for r in during), texts  # no traceback
    assert not any("Exception in ASGI application" in text for text in texts), texts
    departures = [t for t in texts if "request" in t or "connection" in t]
    assert len(departures) == (line is not None), texts
    if line is not None:
        assert line in departures[0] and "\n" not in departures[0]


@pytest.mark.parametrize(
    ("how", "data"),
    [
        ("a head that never ends", b"POST /api/races HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "),
        ("a body that never ends", body_request(b"100", b'{"epochs": ')),
    ],
)
def test_a_client_too_slow_to_send_its_request_is_cut_off_in_one_line(how, data):
    address_of_client = None
    with serving(create_app(), log_level="info", request_seconds=1) as base, server_log() as log:
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
            address_of_client = "{}:{}".format(*sock.getsockname()[:2])
            sock.sendall(data)
            started = time.monotonic()
            assert sock.recv(100) == b""  # closed by the server, without an answer
            waited = time.monotonic() - started
    cut = [t for t in log.texts() if "did not arrive whole" in t]
    assert cut == [
        f"closed the connection of {address_of_client}: its request did not arrive whole within 1 s"
    ], log.texts()
    assert not any(r.exc_info for r in log.records) and 0.5 < waited < 5


def test_a_connection_left_idle_is_closed_without_a_word_and_a_quick_client_is_answered():
    with serving(create_app(), log_level="info", request_seconds=1) as base, server_log() as log:
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as idle:
            assert idle.recv(100) == b""  # closed after the deadline
        answer = send(base, b"GET /api/status HTTP/1.1\r\n" + HEAD + b"\r\n", then=0.3)
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert not [t for t in log.texts() if "did not arrive" in t or "left" in t], log.texts()
