"""The race view (static/race.js): one network with a hidden layer trained under each cost at
once, from the same start, its learning curves streamed to the page as they grow.

    POST /api/races             start a race (JSON settings); the answer is its event stream
    POST /api/races/ID/stop     stop that race
    GET  /api/status            the races running now, and the limits

It adds to /api/setup the data sets the race offers and, for each, None if this server can use
it, else why not. The races themselves (their threads, their events, their limits) are
``races.Races``; this module reads the settings, opens the race and streams it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import anyio
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .. import checks
from .. import settings as run_settings
from ..data import INPUTS, check_available
from ..errors import XentlabError
from .limits import Limits
from .params import Parameter, integer, name, number, read_values
from .races import RACE_OUTPUTS, Race, Races, RaceSettings
from .view import Shared, View

RACE_DATASETS = checks.OneOf(("digits", "mnist"))
RACE_INITS = checks.OneOf(("default", "saturated"))
MAX_SEED = 2**32 - 1
# Where the race starts unless asked otherwise: the article's saturated start, short, seed 1.
RACE_DEFAULTS: dict[str, Any] = {"init": "saturated", "epochs": 10, "seed": 1}
READERS = {"integer": integer, "number": number, "name": name, "widths": integer}


def parameters(limits: Limits) -> tuple[Parameter, ...]:
    """A network with one hidden layer trained under both costs from the same start: the data
    set, every setting offered to the race (``xentlab.settings``), within the page's bounds
    where it has them, and the pace."""
    bounds: dict[str, checks.Constraint] = {
        "init": RACE_INITS,
        "hidden": checks.Integer(1, limits.race_hidden),  # one hidden layer
        "epochs": checks.Integer(1, limits.race_epochs),
        "batch_size": checks.Integer(1, limits.race_batch_size),
        "eta": checks.Interval(0.0, limits.race_eta, open_low=True),
        "seed": checks.Integer(0, MAX_SEED),
        "output": checks.Optional(checks.OneOf(RACE_OUTPUTS)),
    }
    derived = []
    for setting in run_settings.offered("race"):
        default = RACE_DEFAULTS.get(setting.name, setting.default)
        derived.append(
            Parameter(
                setting.name,
                READERS[setting.kind],
                bounds.get(setting.name, setting.constraint),
                default[0] if isinstance(default, tuple) else default,
            )
        )
    return (
        Parameter("dataset", name, RACE_DATASETS, "digits"),
        *derived,
        Parameter("pace", number, checks.Interval(0.0, limits.race_pace), 0.0),
    )


def race_datasets(data_dir: str | None) -> dict[str, str | None]:
    """For each data set the race offers, None if the server can use it, else why not."""
    found: dict[str, str | None] = {}
    for dataset in RACE_DATASETS:
        try:
            check_available(dataset, data_dir)
            found[dataset] = None
        except XentlabError as exc:
            found[dataset] = str(exc)
    return found


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


def race_settings(document: Any, race_parameters: tuple[Parameter, ...]) -> RaceSettings:
    """The race a body's JSON document asks for, every setting checked (XentlabError)."""
    if not isinstance(document, dict):
        raise XentlabError('the settings must be a JSON object: {"epochs": 10, ...}')
    return RaceSettings.of(read_values(list(document.items()), race_parameters))


def build(shared: Shared) -> View:
    """The race view: its parameters within ``shared.limits``, its routes, the data sets found
    in ``shared.data_dir``; its races (``app.state.races``) stop when the server stops."""
    limits = shared.limits
    race_parameters = parameters(limits)
    races = Races(limits)
    datasets = race_datasets(shared.data_dir)

    async def start_race(request: Request) -> Response:
        asked = race_settings(await shared.json_body(request), race_parameters)
        unavailable = datasets.get(asked.dataset)
        if unavailable is not None:
            raise XentlabError(f"dataset {asked.dataset} is not available here: {unavailable}")
        client = request.client.host if request.client else "unknown"
        race = races.open(client, asked, INPUTS[asked.dataset], shared.data_dir)
        return RaceStream(race)

    async def stop_race(request: Request) -> Response:
        race_id = request.path_params["id"]
        race = races.running.get(race_id)
        if race is None:
            raise HTTPException(404, f"no race {race_id[:40]!r} is running (it may have ended)")
        race.request_stop("the page asked")
        return JSONResponse({"id": race.id, "stopping": True})

    async def get_status(request: Request) -> Response:
        return JSONResponse({"races": len(races.running), "limits": dataclasses.asdict(limits)})

    async def stop_every_race() -> None:
        races.stop_all("the server stopped")
        await anyio.to_thread.run_sync(races.join)

    return View(
        name="race",
        parameters=race_parameters,
        routes=(
            Route("/api/races", start_race, methods=["POST"]),
            Route("/api/races/{id}/stop", stop_race, methods=["POST"]),
            Route("/api/status", get_status),
        ),
        setup={"datasets": datasets},
        state={"races": races},
        on_stop=stop_every_race,
    )
