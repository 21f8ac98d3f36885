"""The page's server: routes, validation, errors as JSON, and the work kept within its limits.

    GET  /                      the page (one HTML file; its views are #neuron, #map, #race)
    GET  /static/NAME           its scripts, styles and icon
    GET  /api/setup             the article's presets, every parameter's default and bounds,
                                the colours, the data sets the race can use
    GET  /api/neuron?w=&b=&...  one neuron's path under one cost or both (views.neuron_view)
    GET  /api/saturation?...    the saturation map of both costs (views.map_view)
    POST /api/races             start a race (JSON settings); the answer is its event stream
    POST /api/races/ID/stop     stop that race
    GET  /api/status            the races running now

A bad parameter is answered 400 with ``{"error": "<one line naming it>"}``; too many races 429.
Computations run in worker threads, at most ``Limits.compute_threads`` at once, and their
answers are cached, so that the event loop keeps answering while NumPy works.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..data import INPUTS, check_available
from ..errors import XentlabError
from ..neuron import NEURON_COSTS
from ..plots import cost_colour, saturation_colours
from . import views
from .assets import load_assets
from .limits import Limits
from .params import (
    RACE_DATASETS,
    Parameter,
    describe,
    map_parameters,
    neuron_parameters,
    race_parameters,
    read_values,
)
from .races import Race, Races, RaceSettings, TooBusy

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_BODY_BYTES = 10_000  # a race's settings are a few dozen bytes of JSON
CACHED_ANSWERS = 64  # neuron paths and maps kept, by their parameters
MAP_COLOURS = 64


def error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


@functools.lru_cache(maxsize=CACHED_ANSWERS)
def _neuron_json(**values: Any) -> bytes:
    return json.dumps(views.neuron_view(**values)).encode()


@functools.lru_cache(maxsize=CACHED_ANSWERS)
def _map_json(**values: Any) -> bytes:
    return json.dumps(views.map_view(**values)).encode()


def race_datasets(data_dir: str | os.PathLike[str] | None) -> dict[str, str | None]:
    """For each data set the race offers, None if the server can use it, else why not."""
    found: dict[str, str | None] = {}
    for name in RACE_DATASETS:
        try:
            check_available(name, data_dir)
            found[name] = None
        except XentlabError as exc:
            found[name] = str(exc)
    return found


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


class RaceStream(StreamingResponse):
    """A race's server-sent events; when the page goes away (or the server stops), the race
    stops with it."""

    def __init__(self, race: Race) -> None:
        super().__init__(
            race.stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Race": race.id},
        )
        self.race = race

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.race.request_stop("the page went away")  # nothing to do if it has ended


async def _json_body(request: Request) -> Any:
    """The request's JSON document, refused unless it says it is JSON and is small."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise XentlabError("send the settings as JSON, with Content-Type: application/json")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise XentlabError(f"the settings must be at most {MAX_BODY_BYTES} bytes of JSON")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise XentlabError("the settings are not valid JSON") from None


def create_app(
    limits: Limits | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    allowed_hosts: frozenset[str] | None = LOOPBACK_NAMES,
) -> Starlette:
    """The page's app. ``data_dir`` is where the race looks for MNIST (default:
    $XENTLAB_DATA, then the cache); ``allowed_hosts``: the Host names answered (None: any, for a
    server that listens beyond this machine on purpose)."""
    limits = limits or Limits()
    assets = load_assets()
    races = Races(limits)
    datasets = race_datasets(data_dir)
    compute = threading.BoundedSemaphore(limits.compute_threads)
    data_folder = os.fspath(data_dir) if data_dir is not None else None
    neuron_params = neuron_parameters(limits)
    map_params = map_parameters(limits)
    race_params = race_parameters(limits)
    scale, never = saturation_colours(MAP_COLOURS)
    setup = {
        "article": views.article(),
        "sigmoid": views.sigmoid_curve(),
        "colours": {cost: cost_colour(cost) for cost in NEURON_COSTS},
        "map_colours": {"scale": scale, "never": never},
        "parameters": {
            "neuron": describe(neuron_params),
            "map": describe(map_params),
            "race": describe(race_params),
        },
        "datasets": datasets,
        "limits": dataclasses.asdict(limits),
    }

    def query(request: Request, parameters: Sequence[Parameter]) -> dict[str, Any]:
        if len(request.url.query) > limits.query_length:
            raise XentlabError(
                f"the query must be at most {limits.query_length} characters; "
                f"got {len(request.url.query)}"
            )
        return read_values(request.query_params.multi_items(), parameters)

    async def computed(work: Callable[..., bytes], values: dict[str, Any]) -> Response:
        def bounded() -> bytes:
            with compute:  # at most compute_threads at once; the others wait their turn
                return work(**values)

        body = await anyio.to_thread.run_sync(bounded)
        return Response(body, media_type="application/json")

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

    async def get_neuron(request: Request) -> Response:
        return await computed(_neuron_json, query(request, neuron_params))

    async def get_saturation(request: Request) -> Response:
        return await computed(_map_json, query(request, map_params))

    async def start_race(request: Request) -> Response:
        document = await _json_body(request)
        if not isinstance(document, dict):
            raise XentlabError('the settings must be a JSON object: {"epochs": 10, ...}')
        settings = RaceSettings(**read_values(list(document.items()), race_params))
        unavailable = datasets.get(settings.dataset)
        if unavailable is not None:
            raise XentlabError(f"dataset {settings.dataset} is not available here: {unavailable}")
        client = request.client.host if request.client else "unknown"
        race = races.open(client, settings, INPUTS[settings.dataset], data_folder)
        return RaceStream(race)

    async def stop_race(request: Request) -> Response:
        race_id = request.path_params["id"]
        race = races.running.get(race_id)
        if race is None:
            return error(f"no race {race_id[:40]!r} is running (it may have ended)", 404)
        race.request_stop("the page asked")
        return JSONResponse({"id": race.id, "stopping": True})

    async def get_status(request: Request) -> Response:
        return JSONResponse({"races": len(races.running), "limits": dataclasses.asdict(limits)})

    async def bad_input(request: Request, exc: Exception) -> Response:
        return error(str(exc))

    async def too_busy(request: Request, exc: Exception) -> Response:
        return error(str(exc), 429)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error(exc.detail, exc.status_code)

    async def server_error(request: Request, exc: Exception) -> Response:
        return error("the server failed to answer (a bug; its log has the details)", 500)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        races.stop_all("the server stopped")
        await anyio.to_thread.run_sync(races.join)

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/static/{name}", static),
            Route("/api/setup", get_setup),
            Route("/api/neuron", get_neuron),
            Route("/api/saturation", get_saturation),
            Route("/api/races", start_race, methods=["POST"]),
            Route("/api/races/{id}/stop", stop_race, methods=["POST"]),
            Route("/api/status", get_status),
        ],
        exception_handlers={
            XentlabError: bad_input,
            TooBusy: too_busy,
            HTTPException: http_error,
            Exception: server_error,
        },
        lifespan=lifespan,
    )
    app.state.races = races
    if allowed_hosts is not None:
        app.add_middleware(HostCheck, allowed=frozenset(allowed_hosts))
    return app
