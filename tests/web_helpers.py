"""Shared tools of the page's tests: a real uvicorn server on a free loopback port, the
Starlette TestClient, reading a race's event stream, and where screenshots go."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).parent.parent / "test-artifacts" / "web"
BASE_URL = "http://127.0.0.1"  # the Host header the app answers to by default


@contextmanager
def serving(app: Any, **options: Any) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 and a free port, in a thread; yields its URL.
    ``options`` go to ``make_server`` (log_level, proxies, request_seconds)."""
    from xentlab.web import listen, make_server, page_address

    sock = listen("127.0.0.1", 0)
    server = make_server(app, **options)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield page_address(sock)
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()


def events(lines: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, data) of each server-sent event in a stream's lines."""
    kind = None
    for line in lines:
        if line.startswith("event: "):
            kind = line[len("event: ") :]
        elif line.startswith("data: "):
            assert kind is not None
            yield kind, json.loads(line[len("data: ") :])
            kind = None


def wait_until(condition: Any, seconds: float = 20.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.05)
