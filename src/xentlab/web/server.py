"""Where the page is served: the listening socket, whether it is private to this machine, and
the uvicorn server around the app.

The socket is bound before the server starts, so that a busy port is a one-line error rather
than a log message, ``--port 0`` gets a free port whose number can be printed, and a browser
opened at once finds the server listening.

A client is the socket's peer: what a request says about itself (``X-Forwarded-For``) is
believed only from a proxy the user names (``serve --trusted-proxy``), so that no client can
pass for many and escape the limits kept per client. A client has REQUEST_SECONDS to send a
whole request, head and body, from when its connection opens or its last answer ends; one that
takes longer (slowloris) is cut off with one line in the server's log.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import socket
import threading
from collections.abc import Iterable
from typing import Any, cast

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from .. import checks
from ..errors import XentlabError

PORTS = checks.Integer(0, 65535)  # 0: any free port
BACKLOG = 128
SHUTDOWN_SECONDS = 2  # open event streams get this long to end before they are cut
WAKE_SECONDS = 0.25  # how often serve() looks whether it has been asked to stop
REQUEST_SECONDS = 10.0  # a race's settings are a few dozen bytes: any client sends them at once
SERVER_LOG = logging.getLogger("uvicorn.error")  # the server's log, as uvicorn configures it
LOGGED = "xentlab.logged"  # in a request's scope: why its connection ended is in the log


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


def trusted_proxies(addresses: Iterable[str]) -> tuple[str, ...]:
    """The proxies whose ``X-Forwarded-For`` is believed, each an IP address or network
    (``192.0.2.7``, ``10.0.0.0/8``), written as Python writes it; a one-line error for
    anything else (a host name is not compared with the peer's address, and "*" would let
    every client say who it is)."""
    checked = []
    for address in addresses:
        try:
            network = ipaddress.ip_network(address.strip(), strict=False)
        except ValueError:
            raise XentlabError(
                f"--trusted-proxy must be an IP address or network (192.0.2.7, 10.0.0.0/8); "
                f"got {address[:60]!r}"
            ) from None
        single = network.num_addresses == 1
        checked.append(str(network.network_address) if single else str(network))
    return tuple(checked)


def make_server(
    app: ASGIApp,
    log_level: str = "warning",
    proxies: Iterable[str] = (),
    request_seconds: float = REQUEST_SECONDS,
) -> uvicorn.Server:
    """A uvicorn server for ``app`` that logs only warnings and errors (the command prints
    the address itself) and cuts event streams still open SHUTDOWN_SECONDS after a stop.

    ``proxies`` (see :func:`trusted_proxies`) are the only peers whose ``X-Forwarded-For``
    names the client; with none (the default), the client is always the socket's peer.
    ``request_seconds``: how long a client has to send a whole request."""
    trusted = trusted_proxies(proxies)
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=SHUTDOWN_SECONDS,
        # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: any local
        # client could then pass for as many clients as it likes.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=list(trusted) or None,
        http=type("RequestDeadlineProtocol", (RequestDeadline,), {"seconds": request_seconds}),
    )
    return uvicorn.Server(config)


class RequestDeadline(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline on each request: from when the connection
    opens, or its last answer ends, the client has ``seconds`` to send the request whole (its
    head, and its body to the last byte), or the connection is closed, with one line in the
    log. uvicorn itself waits forever for a head that never ends (its keep-alive timer starts
    only after an answer, and any byte resets it)."""

    seconds: float = REQUEST_SECONDS
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._start_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._start_deadline()  # the next request on this connection gets as long again

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _start_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(self.seconds, self._deadline_passed)

    def _deadline_passed(self) -> None:
        self._deadline = None
        started = self.conn.their_state is h11.SEND_BODY
        if self.transport.is_closing() or not (started or self.conn.their_state is h11.IDLE):
            return  # closed already, or the request has arrived whole
        if started or self.conn.trailing_data[0]:  # a connection left idle is no one's fault
            SERVER_LOG.warning(
                "closed the connection of %s: its request did not arrive whole within %g s",
                client_name(self.client),
                self.seconds,
            )
            self._told_the_app()
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request that breaks HTTP (a Content-Length that is no number, a
        broken chunk), which it logs in one line; the app, if it was reading the body, then sees
        the connection close, and must not log it again."""
        self._told_the_app()
        super().send_400_response(msg)

    def _told_the_app(self) -> None:
        if self.cycle is not None and not self.cycle.response_complete:
            cast(dict[str, Any], self.scope)[LOGGED] = True


def client_name(client: Any) -> str:
    """host:port of a client as ASGI gives it (a pair, or None for a Unix socket's)."""
    if not client:
        return "a client"
    host, port = client[0], client[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


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
