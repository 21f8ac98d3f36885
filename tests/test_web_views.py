"""The page's views come from one list: each view is one module whose ``build`` gives its
parameters, its routes and what it adds to /api/setup; the app is built from the list and
knows no view by name. The page imports no plotting library."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from web_helpers import BASE_URL

pytest.importorskip("starlette", reason="the web extra is not installed (pip install starlette)")
pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install uvicorn)")
pytest.importorskip("httpx", reason="httpx is not installed (the test extra has it)")

from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from xentlab import checks  # noqa: E402
from xentlab.experiments import contenders
from xentlab.web import Limits, create_app  # noqa: E402
from xentlab.web.app import VIEWS, page_setup  # noqa: E402
from xentlab.web.assets import load_assets  # noqa: E402
from xentlab.web.params import Parameter, integer  # noqa: E402
from xentlab.web.view import Shared, View  # noqa: E402

SRC = Path(__file__).parent.parent / "src"


def test_the_page_imports_no_plotting_library():
    """Importing the page and building its app leaves matplotlib unloaded; the same check
    sees it once the figures are imported, so it can fail."""
    script = (
        "import sys\n"
        "import xentlab.web.app\n"
        "xentlab.web.app.create_app()\n"
        "assert 'matplotlib' not in sys.modules, 'the page imported matplotlib'\n"
        "import xentlab.plots\n"
        "assert 'matplotlib' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_every_view_has_its_section_and_its_script_on_the_page():
    """The list of views and the page agree: view NAME has #view-NAME, a link, and NAME.js."""
    assets = load_assets()
    index = assets["index.html"].content.decode()
    names = [build(Shared(Limits(), None)).name for build in VIEWS]
    assert names == ["neuron", "map", "race", "derivation"]
    for name in names:
        assert f'id="view-{name}"' in index and f'data-view="{name}"' in index, name
        assert f"{name}.js" in assets, name


def echo_view(shared: Shared) -> View:
    """A view a test adds: one parameter, one route, one setup entry, a stop hook."""
    parameters = (Parameter("n", integer, checks.Integer(1, 9), 3),)
    stops: list[str] = []

    async def get_echo(request: Request) -> Response:
        return JSONResponse(shared.query(request, parameters))

    async def on_stop() -> None:
        stops.append("stopped")

    return View(
        name="echo",
        parameters=parameters,
        routes=(Route("/api/echo", get_echo),),
        setup={"echo_note": "hello"},
        state={"echo_stops": stops},
        on_stop=on_stop,
    )


def test_a_view_added_to_the_list_is_served_checked_and_described():
    app = create_app(views=(*VIEWS, echo_view))
    with TestClient(app, base_url=BASE_URL) as client:
        setup = client.get("/api/setup").json()
        assert setup["parameters"]["echo"] == {"n": {"default": 3, "min": 1, "max": 9}}
        assert setup["echo_note"] == "hello" and "neuron" in setup["parameters"]
        assert client.get("/api/echo?n=7").json() == {"n": 7}
        refused = client.get("/api/echo?n=10")
        assert refused.status_code == 400
        assert refused.json() == {"error": "n must be at most 9; got 10"}
        assert client.get("/api/neuron?epochs=2").status_code == 200  # the others still there
        assert app.state.echo_stops == []
    assert app.state.echo_stops == ["stopped"]  # the server stopped: the view heard it


def test_a_view_without_the_others_serves_only_its_own_routes():
    with TestClient(create_app(views=(echo_view,)), base_url=BASE_URL) as client:
        assert list(client.get("/api/setup").json()["parameters"]) == ["echo"]
        assert client.get("/api/neuron").status_code == 404


def test_two_views_may_not_give_setup_the_same_key_or_have_one_name():
    shared = Shared(Limits(), None)
    echo = echo_view(shared)
    with pytest.raises(ValueError, match="view 'echo' gives /api/setup a 'echo_note'"):
        page_setup([echo, echo], Limits())
    twin = View("echo", (), ())
    with pytest.raises(ValueError, match="two views have one name: echo, echo"):
        page_setup([echo, twin], Limits())
    parameters_again = View("other", (), (), setup={"parameters": {}})
    with pytest.raises(ValueError, match="'parameters', already given"):
        page_setup([parameters_again], Limits())


def test_every_map_s_contenders_open_the_neuron_view_with_the_same_contenders():
    """A click on a map opens the neuron view with the map's ``neuron_cost``: each group the
    map view offers is a choice of the neuron view that trains the very contenders mapped."""

    with TestClient(create_app(), base_url=BASE_URL) as client:
        offered = client.get("/api/setup").json()["parameters"]["map"]["contenders"]["choices"]
        assert offered == list(contenders.CONTENDER_GROUPS)
        for group in offered:
            query = {"points": 2, "epochs": 5, "contenders": group}
            grid = client.get("/api/saturation", params=query).json()
            assert grid["contenders"] == list(contenders.contenders_of(group)), group
            opened = client.get("/api/neuron", params={"epochs": 1, "cost": grid["neuron_cost"]})
            assert [run["cost"] for run in opened.json()["runs"]] == grid["contenders"], group
