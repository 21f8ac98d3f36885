"""The page's server: the views' routes, what every view shares, errors as JSON.

    GET  /                  the page (one HTML file; its views are #neuron, #map, #race,
                            #derivation)
    GET  /static/NAME       its scripts, styles and icon
    GET  /api/setup         the costs' colours, every view's parameters (default and bounds),
                            whatever else each view's script needs, and the limits
    ...                     each view's own routes (neuron_view, map_view, race_view,
                            derivation_view)

The views are the modules listed in VIEWS, each one ``build`` function (see ``view``); the app
knows nothing of any one view. A bad parameter is answered 400 with
``{"error": "<one line naming it>"}``; too much work at once 429. Computations run in worker
threads, at most ``Limits.compute_threads`` at once, so that the event loop keeps answering.
A client that leaves before its request has arrived whole is an ordinary event: one line in the
server's log at the info level, never a traceback.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..colours import cost_colour
from ..errors import XentlabError
from ..functions import PAIRED_COSTS
from ..neuron import NEURON_COSTS
from . import derivation_view, map_view, neuron_view, race_view
from .assets import load_assets
from .limits import Limits
from .params import describe
from .server import LOGGED, SERVER_LOG, client_name
from .view import Shared, TooBusy, View

# The page's views, in the order of their routes: a new view is one module and one line here.
VIEWS: tuple[Callable[[Shared], View], ...] = (
    neuron_view.build,
    map_view.build,
    race_view.build,
    derivation_view.build,
)
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class HostCheck:
    """Refuses requests whose Host header is not one of ``allowed`` (any port): a page served
    on 127.0.0.1 answers only to names of this machine, so that a web site cannot reach it
    through a name of its own that resolves here (DNS rebinding)."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app, self.allowed = app, allowed

    @staticmethod
    def host_name(value: str) -> str:
        """The host of a Host header, without its port ("[::1]:8000" → "::1")."""
        if value.startswith("["):
            return value[1:].split("]", 1)[0]
        return value.rsplit(":", 1)[0] if value.count(":") == 1 else value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            host = self.host_name(headers.get(b"host", b"").decode("latin-1")).lower()
            if host not in self.allowed:
                shown = host[:60] or "(none)"
                response = error(
                    f"this server answers to {', '.join(sorted(self.allowed))}; "
                    f"not to the host {shown!r}"
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def page_setup(views: Sequence[View], limits: Limits) -> dict[str, Any]:
    """The document of GET /api/setup: the costs' colours (every view draws the costs alike),
    what each view adds, each view's parameters by its name, and the limits. Two views giving
    one key, or one name, are a bug in a view, refused when the app is built."""
    drawn = (*NEURON_COSTS, *(cost.label for cost in PAIRED_COSTS))  # and each contender
    setup: dict[str, Any] = {"colours": {cost: cost_colour(cost) for cost in drawn}}
    for view in views:
        for key, value in view.setup.items():
            if key in setup or key in ("parameters", "limits"):
                raise ValueError(f"view {view.name!r} gives /api/setup a {key!r}, already given")
            setup[key] = value
    names = [view.name for view in views]
    if len(set(names)) < len(names):
        raise ValueError(f"two views have one name: {', '.join(names)}")
    setup["parameters"] = {view.name: describe(view.parameters) for view in views}
    setup["limits"] = dataclasses.asdict(limits)
    return setup


async def bad_input(request: Request, exc: Exception) -> Response:
    return error(str(exc))


async def too_busy(request: Request, exc: Exception) -> Response:
    return error(str(exc), 429)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error(exc.detail, exc.status_code)


async def client_left(request: Request, exc: Exception) -> Response:
    """A client whose connection closed while its request was being read: it left (nothing went
    wrong here), or the server closed it (too slow, or not HTTP), and has said so in its log.
    Nobody is left to read an answer."""
    if LOGGED not in request.scope:
        SERVER_LOG.info(
            "%s left before its request to %s arrived whole",
            client_name(request.client),
            request.url.path[:60],
        )
    return Response(status_code=400)


async def server_error(request: Request, exc: Exception) -> Response:
    return error("the server failed to answer (a bug; its log has the details)", 500)


def create_app(
    limits: Limits | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    allowed_hosts: frozenset[str] | None = LOOPBACK_NAMES,
    views: Sequence[Callable[[Shared], View]] = VIEWS,
) -> Starlette:
    """The page's app. ``data_dir`` is where the race looks for MNIST (default:
    $XENTLAB_DATA, then the cache); ``allowed_hosts``: the Host names answered (None: any, for a
    server that listens beyond this machine on purpose); ``views``: each view's ``build``."""
    limits = limits or Limits()
    shared = Shared(limits, data_dir)
    built = [build(shared) for build in views]
    setup = page_setup(built, limits)
    assets = load_assets()

    async def page(request: Request) -> Response:
        index = assets["index.html"]
        return Response(index.content, media_type=index.media_type)

    async def static(request: Request) -> Response:
        asset = assets.get(request.path_params["name"])
        if asset is None:
            raise HTTPException(404, f"no file {request.path_params['name'][:60]!r} here")
        return Response(
            asset.content, media_type=asset.media_type, headers={"Cache-Control": "no-cache"}
        )

    async def get_setup(request: Request) -> Response:
        return JSONResponse(setup)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        for view in built:
            if view.on_stop is not None:
                await view.on_stop()

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/static/{name}", static),
            Route("/api/setup", get_setup),
            *(route for view in built for route in view.routes),
        ],
        exception_handlers={
            XentlabError: bad_input,
            TooBusy: too_busy,
            HTTPException: http_error,
            ClientDisconnect: client_left,
            Exception: server_error,
        },
        lifespan=lifespan,
    )
    for view in built:
        for key, value in view.state.items():
            setattr(app.state, key, value)
    if allowed_hosts is not None:
        app.add_middleware(HostCheck, allowed=frozenset(allowed_hosts))
    return app
