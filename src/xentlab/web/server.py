"""Where the page is served: the listening socket, whether it is private to this machine, and
the uvicorn server around the app.

The socket is bound before the server starts, so that a busy port is a one-line error rather
than a log message, ``--port 0`` gets a free port whose number can be printed, and a browser
opened at once finds the server listening.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import threading
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from .. import checks
from ..errors import XentlabError

PORTS = checks.Integer(0, 65535)  # 0: any free port
BACKLOG = 128
SHUTDOWN_SECONDS = 2  # open event streams get this long to end before they are cut
WAKE_SECONDS = 0.25  # how often serve() looks whether it has been asked to stop


def is_loopback(host: str) -> bool:
    """True if every address ``host`` names is this machine's loopback (127.0.0.0/8, ::1):
    nothing listening there is reachable from another machine."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return False
    addresses = {str(info[4][0]).split("%")[0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


Address = tuple[socket.AddressFamily, socket.SocketKind, int, tuple[Any, ...]]


def address_of(host: str, port: int) -> Address:
    """Where (``host``, ``port``) would listen: checked, and the host's first address; a
    one-line error for a bad port, an empty host or one that names no address."""
    port = PORTS.check("port", port)
    if not host:
        raise XentlabError("host must not be empty; the default is 127.0.0.1, this machine only")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise XentlabError(f"host {host!r} is not an address to listen on ({exc})") from None
    return family, kind, proto, address


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (``host``, ``port``) and listening; a one-line error names what
    went wrong (an unknown host, a port in use, a port that needs privileges)."""
    family, kind, proto, address = address_of(host, port)
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        advice = "; choose another port, or 0 for any free one" if port else ""
        if exc.errno == errno.EADDRINUSE:
            raise XentlabError(f"port {port} is already in use on {host}{advice}") from None
        raise XentlabError(f"cannot listen on {host} port {port}: {exc.strerror}{advice}") from None
    return sock


def page_address(sock: socket.socket) -> str:
    """The page's URL for a listening socket (an IPv6 host in brackets)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def make_server(app: ASGIApp, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for ``app`` that logs only warnings and errors (the command prints
    the address itself) and cuts event streams still open SHUTDOWN_SECONDS after a stop."""
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=SHUTDOWN_SECONDS,
    )
    return uvicorn.Server(config)


def serve(server: uvicorn.Server, sock: socket.socket, stop: threading.Event) -> None:
    """Serve on ``sock`` until the server stops or ``stop`` is set (from a signal handler or
    another thread), which stops the server: open event streams get SHUTDOWN_SECONDS to end.

    The server runs in a thread of its own, so that uvicorn leaves the signals to the caller:
    the command line decides what each signal does, for every command alike."""
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="xentlab-serve", daemon=True
    )
    thread.start()
    try:
        # Polled, not waited on: a signal handler that sets ``stop`` must never find its lock
        # held by the thread it interrupted.
        while thread.is_alive() and not stop.is_set():
            thread.join(WAKE_SECONDS)
    finally:
        server.should_exit = True
        thread.join()
