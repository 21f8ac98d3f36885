"""What a view of the page is, and what the app shares with every view.

A view (the neuron, the saturation map, the race) is one module with a ``build`` function: given
the app's ``Shared`` tools, it returns a ``View``: its name, its parameters, what it adds to
/api/setup, its routes, and what it does when the server stops. ``app.VIEWS`` lists the views;
the app builds /api/setup and its routes from that list and nothing else.

A view refuses a bad request by raising ``XentlabError`` (400, its one-line message), work beyond
the limits by raising ``TooBusy`` (429), a missing thing by raising ``HTTPException`` (404): the
app answers each as ``{"error": "<message>"}``.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import XentlabError
from ..formats.documents import parse_json
from .limits import Limits
from .params import Parameter, read_values

MAX_BODY_BYTES = 10_000  # a race's settings are a few dozen bytes of JSON
CACHED_ANSWERS = 64  # answers kept by each cached computation, by their parameters


class TooBusy(Exception):
    """Work refused because the client or the server already runs as much as allowed (429)."""


@dataclass(frozen=True)
class View:
    """One view of the page, as the server sees it.

    ``name`` keys its parameters' descriptions in /api/setup (the page's script reads
    ``setup.parameters[name]``); ``setup`` is whatever else its script needs from /api/setup,
    merged into it (no two views may give the same key); ``state`` is put on ``app.state``
    for whoever holds the app; ``on_stop`` runs when the server stops."""

    name: str
    parameters: tuple[Parameter, ...]
    routes: tuple[Route, ...]
    setup: Mapping[str, Any] = field(default_factory=dict)
    state: Mapping[str, Any] = field(default_factory=dict)
    on_stop: Callable[[], Awaitable[None]] | None = None


class Shared:
    """What the app shares with every view: its limits, where the data lives, and the one way
    to read a query, to read a JSON body and to run a computation within the limits."""

    def __init__(self, limits: Limits, data_dir: str | os.PathLike[str] | None) -> None:
        self.limits = limits
        self.data_dir = os.fspath(data_dir) if data_dir is not None else None
        # At most compute_threads computations at once; the others wait their turn.
        self._compute = threading.BoundedSemaphore(limits.compute_threads)

    def query(self, request: Request, parameters: Sequence[Parameter]) -> dict[str, Any]:
        """The query string's values of ``parameters`` (defaults for the others), checked;
        a query longer than the limit is refused before it is read."""
        length = len(request.url.query)
        if length > self.limits.query_length:
            raise XentlabError(
                f"the query must be at most {self.limits.query_length} characters; got {length}"
            )
        return read_values(request.query_params.multi_items(), parameters)

    async def json_body(self, request: Request) -> Any:
        """The request's JSON document, refused unless it says it is JSON and is at most
        MAX_BODY_BYTES (counted as it arrives, so a large body is never held)."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise XentlabError("send the settings as JSON, with Content-Type: application/json")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise XentlabError(f"the settings must be at most {MAX_BODY_BYTES} bytes of JSON")
        return read_json_body(body)

    async def computed(self, work: Callable[..., bytes], values: Mapping[str, Any]) -> Response:
        """``work(**values)`` as a JSON answer, run in a worker thread so that the event loop
        keeps answering while NumPy works."""

        def bounded() -> bytes:
            with self._compute:
                return work(**values)

        body = await anyio.to_thread.run_sync(bounded)
        return Response(body, media_type="application/json")


def read_json_body(body: bytes) -> Any:
    """The JSON document of a request's body, strictly (see ``formats.documents.parse_json``);
    XentlabError saying why not: ``{"epochs": 1, "epochs": 30}`` among them (which was meant?)."""
    try:
        return parse_json(body)
    except ValueError as exc:
        raise XentlabError(f"the settings are not valid JSON ({exc})") from None


def cached_json(compute: Callable[..., Mapping[str, Any]]) -> Callable[..., bytes]:
    """``compute``'s answer as JSON bytes, the last CACHED_ANSWERS kept by their parameters
    (given by name): a page that goes back to a setting gets it at once."""

    @functools.lru_cache(maxsize=CACHED_ANSWERS)
    def as_json(**values: Any) -> bytes:
        return json.dumps(compute(**values)).encode()

    return as_json
