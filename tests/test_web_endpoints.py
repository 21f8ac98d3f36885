"""The page's server: every endpoint answers with the library's numbers, every bad request is
refused 400 with one line naming the parameter, and the work stays within its limits (races
counted per client and in total, stopped on request, on disconnect, at the time limit and when
the server stops)."""

from __future__ import annotations

import json
import re
import threading
import time

import numpy as np
import pytest
from web_helpers import BASE_URL, events, serving, wait_until

pytest.importorskip("starlette", reason="the web extra is not installed (pip install starlette)")
pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install uvicorn)")
httpx = pytest.importorskip("httpx", reason="httpx is not installed (the test extra has it)")

from starlette.testclient import TestClient  # noqa: E402

from xentlab import neuron  # noqa: E402
from xentlab.cli import main  # noqa: E402
from xentlab.experiments import prepare_cost_run, saturation_map, slowdown_runs  # noqa: E402
from xentlab.functions import labelled_cost  # noqa: E402
from xentlab.web import Limits, create_app, is_loopback, listen  # noqa: E402
from xentlab.web.app import HostCheck  # noqa: E402
from xentlab.web.races import RaceSettings  # noqa: E402

QUICK_RACE = {"epochs": 2, "pace": 0}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url=BASE_URL) as test_client:
        yield test_client


def race_thread_count() -> int:
    return sum(t.name.startswith("race-") and t.is_alive() for t in threading.enumerate())


# --- the page and its files -------------------------------------------------------------------


def test_the_page_and_its_files_are_served_and_nothing_else(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/app.js">' in page.text
    script = client.get("/static/app.js")
    assert script.headers["content-type"].startswith("text/javascript")
    for path in ("/static/nothing.js", "/static/..%2Fapp.py", "/nowhere", "/static/"):
        answer = client.get(path)
        assert answer.status_code == 404 and "error" in answer.json(), path


def test_setup_gives_the_article_the_defaults_and_the_bounds(client):
    setup = client.get("/api/setup").json()
    assert setup["article"]["starts"] == [[0.6, 0.9], [2.0, 2.0]]
    assert setup["article"]["outputs"][1] == pytest.approx(0.982, abs=1e-3)
    eta = setup["parameters"]["neuron"]["eta"]
    assert eta == {"default": 0.15, "min": 0.0, "max": 100.0, "open_min": True}
    assert setup["parameters"]["race"]["epochs"]["max"] == Limits().race_epochs
    assert setup["parameters"]["neuron"]["cost"] == {
        "default": "all",  # a new visitor sees the linear neuron beside the sigmoid ones
        "choices": ["quadratic", "cross-entropy", "quadratic/linear", "both", "all"],
    }
    contenders = setup["parameters"]["map"]["contenders"]
    assert contenders == {"default": "all", "choices": ["both", "all"]}
    assert setup["contender_groups"] == {
        "both": ["quadratic", "cross-entropy"],
        "all": ["quadratic", "cross-entropy", "quadratic/linear"],
    }
    assert set(setup["contender_groups"]["all"]) <= set(setup["colours"])  # each drawn in its own
    assert setup["datasets"]["digits"] is None
    assert len(setup["map_colours"]["scale"]) == 64 and setup["map_colours"]["never"] == "#d3d3d3"


# --- the neuron and the map: the library's numbers, serialised ------------------------------


def test_the_neuron_path_is_the_library_s_to_the_last_bit(client):
    """By default every contender from one start, the linear neuron (a = z) last: each run is
    ``neuron.train``'s for the same cost on the same output, to the last bit."""
    answer = client.get("/api/neuron", params={"w": 2, "b": 2, "epochs": 50}).json()
    contenders = ["quadratic", "cross-entropy", "quadratic/linear"]
    assert [run["cost"] for run in answer["runs"]] == contenders
    assert [run["output"] for run in answer["runs"]] == ["sigmoid", "sigmoid", "linear"]
    for run in answer["runs"]:
        cost = labelled_cost(run["cost"])
        expected = neuron.train(2.0, 2.0, 1.0, 0.0, cost=cost, eta=0.15, epochs=50)
        path = run["trajectory"]
        assert path["w"] == expected.w[:, 0, 0].tolist()
        assert path["b"] == expected.b[:, 0].tolist()
        assert path["a"] == expected.output[:, 0, 0].tolist()
        assert path["C"] == expected.cost[:, 0].tolist()
        assert path["z"] == expected.z[:, 0, 0].tolist()
        assert path["da_dz"] == expected.output_slope[:, 0, 0].tolist()
        dw, db = neuron.gradient(expected.w[7, 0], expected.b[7, 0], 1.0, 0.0, cost)
        assert (path["dC_dw"][7], path["dC_db"][7]) == (dw[0], db)
        (numbers,) = slowdown_runs(expected)
        assert run["first_within"] == {f"{th:g}": numbers.first_below[th] for th in (0.5, 0.2)}
        assert run["steepest_epoch"] == numbers.steepest_epoch
    quadratic, _, linear = (run["trajectory"] for run in answer["runs"])
    # The linear neuron from (2, 2): a = z = 4, its slope 1, its gradient x (a − y) = 4, with no
    # σ'(z); the sigmoid neuron's quadratic gradient carries σ'(4) ≈ 0.018.
    assert linear["a"][0] == linear["z"][0] == 4.0 and set(linear["da_dz"]) == {1.0}
    assert linear["dC_dw"][0] == linear["dC_db"][0] == 4.0
    assert quadratic["da_dz"][0] == pytest.approx(0.0177, abs=1e-4)
    one = client.get("/api/neuron", params={"cost": "quadratic", "epochs": 300}).json()
    assert [run["first_within"]["0.5"] for run in one["runs"]] == [232]  # the article's table


def test_every_cost_the_page_offers_the_command_line_takes(client, capsys):
    """The page and ``xentlab neuron --cost`` read one declaration: each choice the page is
    given trains the same costs, to the same numbers, on the command line."""
    choices = client.get("/api/setup").json()["parameters"]["neuron"]["cost"]["choices"]
    assert "both" in choices and set(neuron.NEURON_COSTS) < set(choices)
    for choice in choices:
        query = {"w": 2, "b": 2, "eta": 0.15, "epochs": 20, "cost": choice}
        page = client.get("/api/neuron", params=query).json()["runs"]
        assert main(["neuron", *(f"--{k}={v}" for k, v in query.items()), "--json"]) == 0
        printed = json.loads(capsys.readouterr().out)
        cli = printed["runs"] if "runs" in printed else [printed]
        assert [run["cost"] for run in cli] == [run["cost"] for run in page], choice
        for mine, theirs in zip(cli, page, strict=True):
            assert mine["trajectory"]["C"] == theirs["trajectory"]["C"]


def test_the_saturation_map_is_the_library_s(client):
    """By default a map of each contender, the linear neuron's among them; "both" the two
    sigmoid costs'. Each is ``saturation_map``'s for the same contenders, and a click on it opens
    the neuron view with the same contenders."""
    answer = client.get("/api/saturation", params={"points": 21, "epochs": 100}).json()
    contenders = ("quadratic", "cross-entropy", "quadratic/linear")
    expected = saturation_map(21, 6.0, 0.15, 100, contenders=contenders)
    assert answer["contenders"] == list(answer["maps"]) == list(contenders)
    assert answer["neuron_cost"] == "all" and answer["slow_epochs"] == 100
    assert answer["w_values"] == expected.w_values.tolist()
    for cost, map_ in answer["maps"].items():
        assert map_["epochs"] == expected.epochs[cost].tolist()
        assert map_["slow_fraction"] == expected.slow_fraction(cost)
    never = np.mean(expected.epochs["quadratic"] < 0)
    assert answer["maps"]["quadratic"]["never_fraction"] == pytest.approx(never)
    assert answer["maps"]["quadratic/linear"]["slow_fraction"] == 0.0  # nothing to saturate
    both = client.get("/api/saturation", params={"points": 21, "contenders": "both"}).json()
    assert both["contenders"] == list(both["maps"]) == ["quadratic", "cross-entropy"]
    assert both["neuron_cost"] == "both"
    assert both["maps"]["quadratic"]["epochs"] == saturation_map(21).epochs["quadratic"].tolist()


# --- bad requests: 400, one line, the parameter named ---------------------------------------

BAD_QUERIES = [
    ("/api/neuron", "eta=0", "eta must be a number in (0, 100]; got 0.0"),
    ("/api/neuron", "eta=-1", "eta must be a number in (0, 100]"),
    ("/api/neuron", "eta=nan", "eta must be a finite number"),
    ("/api/neuron", "eta=1e999", "eta must be a finite number"),
    ("/api/neuron", "eta=fast", "eta must be a number; got 'fast'"),
    ("/api/neuron", "epochs=0", "epochs must be an integer >= 1"),
    ("/api/neuron", "epochs=2001", "epochs must be at most 2000; got 2001"),
    ("/api/neuron", "epochs=99999999999999999999", "epochs must be at most 2000"),
    ("/api/neuron", "epochs=2.5", "epochs must be an integer; got '2.5'"),
    ("/api/neuron", "w=21", "w must be a number in [-20, 20]; got 21.0"),
    ("/api/neuron", "w=", "w must be a number; got ''"),
    ("/api/neuron", "w=" + "1" * 101, "w must be at most 100 characters"),
    ("/api/neuron", "x=11", "x must be a number in [-10, 10]"),
    ("/api/neuron", "y=1.5", "y must be a number in [0, 1]"),
    (
        "/api/neuron",
        "cost=hinge",
        "cost must be one of quadratic, cross-entropy, quadratic/linear, both, all; got 'hinge'",
    ),
    ("/api/neuron", "cost=cross-entropy/linear", "cost must be one of quadratic, cross-entropy,"),
    ("/api/neuron", "epoch=5", "unknown parameter 'epoch'; this endpoint takes w, b, x, y"),
    ("/api/neuron", "w=1&w=2", "w is given twice; give it once"),
    ("/api/neuron", "w=1&" * 300, "the query must be at most 1000 characters"),
    ("/api/saturation", "points=1", "points must be an integer >= 2"),
    ("/api/saturation", "points=202", "points must be at most 201"),
    ("/api/saturation", "limit=0", "limit must be a number in (0, 20]"),
    ("/api/saturation", "epochs=1001", "epochs must be at most 1000"),
    ("/api/saturation", "eta=11", "eta must be a number in (0, 10]"),
    ("/api/saturation", "contenders=quadratic", "contenders must be one of both, all; got 'quad"),
]


@pytest.mark.parametrize(("path", "query", "message"), BAD_QUERIES)
def test_a_bad_query_is_refused_with_one_line_naming_the_parameter(client, path, query, message):
    answer = client.get(f"{path}?{query}")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error.startswith(message) and "\n" not in error


BAD_RACES = [
    ({"epochs": 31}, "epochs must be at most 30; got 31"),
    ({"epochs": 2.5}, "epochs must be an integer >= 1; got 2.5"),
    ({"epochs": True}, "epochs must be an integer >= 1; got True"),
    ({"epochs": None}, "epochs must be an integer >= 1; got None"),
    ({"epochs": "lots"}, "epochs must be an integer; got 'lots'"),
    ({"dataset": "cifar"}, "dataset must be one of digits, mnist; got 'cifar'"),
    ({"init": "large"}, "init must be one of default, saturated"),
    ({"hidden": 0}, "hidden must be an integer >= 1"),
    ({"hidden": 101}, "hidden must be at most 100"),
    ({"batch_size": 101}, "batch_size must be at most 100"),
    ({"eta": 0}, "eta must be a number in (0, 20]"),
    ({"pace": 2.5}, "pace must be a number in [0, 2]"),
    ({"seed": -1}, "seed must be an integer >= 0"),
    ({"sizes": [784, 10]}, "unknown parameter 'sizes'"),
    ({"hidden": "9" * 200}, "hidden must be at most 100 characters"),
]


@pytest.mark.parametrize(("settings", "message"), BAD_RACES)
def test_a_bad_race_is_refused_before_anything_trains(client, settings, message):
    answer = client.post("/api/races", json=settings)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(message)
    assert client.get("/api/status").json()["races"] == 0


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b'{"epochs": 2}', "text/plain", "send the settings as JSON, with Content-Type"),
        (b"{epochs: 2}", "application/json", "the settings are not valid JSON"),
        (b"[1, 2]", "application/json", "the settings must be a JSON object"),
        (b"[" * 100_000, "application/json", "the settings must be at most 10000 bytes"),
        (b'{"a": ' * 1200 + b"1" + b"}" * 1200, "application/json", "the settings are not"),
    ],
)
def test_a_race_body_must_be_a_small_json_object(client, body, content_type, message):
    answer = client.post("/api/races", content=body, headers={"content-type": content_type})
    assert answer.status_code == 400 and answer.json()["error"].startswith(message)


def test_mnist_is_refused_when_the_server_has_not_found_it(tmp_path):
    with TestClient(create_app(data_dir=tmp_path), base_url=BASE_URL) as client:
        why = client.get("/api/setup").json()["datasets"]["mnist"]
        answer = client.post("/api/races", json={"dataset": "mnist"})
    assert why.startswith(f"no mnist data in {tmp_path} (--data-dir): expected a subfolder mnist/")
    assert answer.status_code == 400
    assert answer.json()["error"] == f"dataset mnist is not available here: {why}"


def test_unknown_routes_methods_and_hosts_are_answered_in_json(client):
    assert client.get("/api/races").status_code == 405
    assert client.post("/api/neuron").json() == {"error": "Method Not Allowed"}
    answer = client.post("/api/races/0123456789abcdef/stop")
    assert answer.status_code == 404 and "no race '0123456789abcdef'" in answer.json()["error"]
    refused = client.get("/", headers={"host": "rebound.example:8000"})
    assert refused.status_code == 400 and "'rebound.example'" in refused.json()["error"]
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        assert client.get("/api/setup", headers={"host": host}).status_code == 200


def test_host_names_and_loopback_addresses():
    assert [HostCheck.host_name(h) for h in ("[::1]:80", "localhost:80", "::1", "a.b")] == [
        "::1",
        "localhost",
        "::1",
        "a.b",
    ]
    assert all(map(is_loopback, ("127.0.0.1", "localhost", "::1", "127.0.0.2")))
    assert not any(map(is_loopback, ("0.0.0.0", "192.0.2.1", "", "no-such-host.invalid")))


def test_listen_names_a_busy_port_and_a_bad_one():
    from xentlab.errors import XentlabError

    with listen("127.0.0.1", 0) as busy:
        port = busy.getsockname()[1]
        with pytest.raises(XentlabError, match=rf"^port {port} is already in use on 127\.0\.0\.1"):
            listen("127.0.0.1", port)
    with pytest.raises(XentlabError, match=r"^port must be at most 65535; got 65536$"):
        listen("127.0.0.1", 65536)
    with pytest.raises(XentlabError, match=r"^host must not be empty"):
        listen("", 0)


# --- the race ---------------------------------------------------------------------------------


def test_a_race_streams_every_epoch_of_both_runs_with_the_library_s_numbers(client):
    with client.stream("POST", "/api/races", json=QUICK_RACE) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        received = list(events(answer.iter_lines()))
    kinds = [kind for kind, _ in received]
    assert kinds[0] == "race" and kinds[-1] == "end" and kinds.count("run") == 2
    assert received[-1][1] == {"stopped": False, "reason": None}
    told = {k: v for k, v in received[0][1].items() if k not in ("id", "costs")}
    settings = RaceSettings.of(told)
    for cost in ("quadratic", "cross-entropy"):
        mine = [data for kind, data in received if data.get("cost") == cost]
        epochs = [data for data in mine if "evaluation_accuracy" in data]
        probes = [data for data in mine if "validation_accuracy" in data]
        done = next(data for data in mine if "test_accuracy" in data)
        # The same run through the library: the page was shown its very numbers.
        spec = settings.compare_spec(64, None)
        run, probe = prepare_cost_run(spec, cost, settings.seed)
        result = run.train([probe], chunk=probe.every)
        assert [e["epoch"] for e in epochs] == [1, 2]
        expected = result.history.column("evaluation_accuracy")
        assert [e["evaluation_accuracy"] for e in epochs] == expected
        assert [p["batches"] for p in probes] == [r.batches for r in probe.records]
        assert [p["saturated_wrong"] for p in probes] == [r.saturated_wrong for r in probe.records]
        assert probes[0]["batches"] == 0 and probes[0]["saturation"] == 1.0
        assert done["test_accuracy"] == result.test_accuracy and not done["stopped"]
    assert client.get("/api/status").json()["races"] == 0


def start_race(client, settings):
    """Open a race's stream on a real server; returns (response context, its events, race id)."""
    stream = client.stream("POST", "/api/races", json=settings)
    answer = stream.__enter__()
    assert answer.status_code == 200, answer.read()
    received = events(answer.iter_lines())
    kind, data = next(received)
    assert kind == "race"
    return stream, received, data["id"]


PACED = {"epochs": 10, "pace": 1.0}  # ten seconds at least, unless stopped


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (Limits(races_per_client=1), "this client already runs 1 race, the most allowed"),
        (Limits(races=1), "the server already runs 1 race, the most allowed"),
    ],
)
def test_too_many_races_are_refused_429_and_stop_ends_a_race(limits, message):
    started = time.monotonic()
    with serving(create_app(limits)) as url, httpx.Client(base_url=url, timeout=30) as client:
        stream, received, race_id = start_race(client, PACED)
        try:
            refused = client.post("/api/races", json=PACED)
            assert refused.status_code == 429 and refused.json()["error"].startswith(message)
            answer = client.post(f"/api/races/{race_id}/stop")
            assert answer.json() == {"id": race_id, "stopping": True}
            rest = list(received)
        finally:
            stream.__exit__(None, None, None)
        assert rest[-1] == ("end", {"stopped": True, "reason": "the page asked"})
        done = [data for kind, data in rest if kind == "done"]
        assert [d["stopped"] for d in done] == [True, True]
        assert all(d["epochs"] < 10 and d["test_accuracy"] is None for d in done)
        assert client.get("/api/status").json()["races"] == 0
        assert client.post("/api/races", json=QUICK_RACE).status_code == 200  # room again
    assert time.monotonic() - started < 10


def test_a_client_that_goes_away_stops_its_race():
    app = create_app()
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        stream, received, _ = start_race(client, PACED)
        assert next(received)[0] == "run"
        stream.__exit__(None, None, None)  # the page is closed
        started = time.monotonic()
        wait_until(lambda: client.get("/api/status").json()["races"] == 0, 10, "the race's end")
        wait_until(lambda: race_thread_count() == 0, 10, "the end of the runs' threads")
        assert time.monotonic() - started < 5


def test_a_race_is_stopped_at_the_time_limit():
    app = create_app(Limits(race_seconds=1.0))
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        started = time.monotonic()
        with client.stream("POST", "/api/races", json=PACED) as answer:
            received = list(events(answer.iter_lines()))
    assert received[-1] == ("end", {"stopped": True, "reason": "the time limit of 1 s"})
    assert time.monotonic() - started < 5


def test_stopping_the_server_stops_its_races():
    app = create_app()
    seen: list[str] = []

    def listen_to_race(url: str) -> None:
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                with client.stream("POST", "/api/races", json=PACED) as answer:
                    for kind, _ in events(answer.iter_lines()):
                        seen.append(kind)
        except httpx.HTTPError:
            seen.append("cut")  # the server closed the stream as it stopped

    with serving(app) as url:
        reader = threading.Thread(target=listen_to_race, args=(url,))
        reader.start()
        wait_until(lambda: seen.count("run") == 2, 20, "the race's start")
        stopping = time.monotonic()
    reader.join(10)
    assert not reader.is_alive() and time.monotonic() - stopping < 8
    assert app.state.races.running == {} and race_thread_count() == 0


def test_the_race_events_are_json_lines():
    from xentlab.web.races import event

    assert event("end", {"reason": "a\nb"}) == b'event: end\ndata: {"reason": "a\\nb"}\n\n'
    assert json.loads(event("x", {"v": 1.5}).split(b"data: ")[1]) == {"v": 1.5}


@pytest.mark.data
def test_a_race_on_mnist_when_the_server_finds_it_one_at_a_time():
    app = create_app()
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        assert client.get("/api/setup").json()["datasets"]["mnist"] is None
        race = {"dataset": "mnist", "epochs": 3, "batch_size": 100, "pace": 2.0}
        stream, received, race_id = start_race(client, race)
        try:
            run = next(data for kind, data in received if kind == "run")
            assert run["sizes"] == [784, 30, 10] and run["batches_per_epoch"] == 500
            refused = client.post("/api/races", json=race)
            assert refused.status_code == 429
            assert refused.json()["error"].startswith("the server already runs 1 race on MNIST")
            assert client.post("/api/races", json=QUICK_RACE).status_code == 200  # digits: room
            client.post(f"/api/races/{race_id}/stop")
            rest = list(received)
        finally:
            stream.__exit__(None, None, None)
    assert rest[-1] == ("end", {"stopped": True, "reason": "the page asked"})


# --- the derivation -----------------------------------------------------------------------------


def test_the_derivation_is_mathml_step_by_step_each_verified(client):
    pytest.importorskip("sympy", reason="the derive extra is not installed (pip install sympy)")
    from xentlab.experiments.derive import derive

    setup = client.get("/api/setup").json()
    assert setup["derivation"]["available"] is True
    assert setup["parameters"]["derivation"]["lang"] == {"default": "en", "choices": ["en", "zh"]}
    expected = derive("cross-entropy", "neuron")
    for lang in ("en", "zh"):
        answer = client.get(f"/api/derivation?lang={lang}&cost=cross-entropy&part=neuron")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert [d["title"] for d in body["derivations"]] == [
            d.title_zh if lang == "zh" else d.title_en for d in expected
        ]
        for shown, derivation in zip(body["derivations"], expected, strict=True):
            assert len(shown["steps"]) == len(derivation.steps) > 0
            assert shown["verified"] is True
            for step, original in zip(shown["steps"], derivation.steps, strict=True):
                assert step["mathml"].startswith('<math display="block">'), step
                assert step["mathml"].endswith("</math>")
                assert step["verified"] is True and "✓" in step["verdict"]
                assert step["text"] == (original.zh if lang == "zh" else original.en)
    assert re.search(r"[\u4e00-\u9fff]", body["intro"])  # the last asked for: Chinese


def test_a_bad_derivation_request_is_refused_in_one_line(client):
    answer = client.get("/api/derivation?lang=fr")
    assert answer.status_code == 400
    assert answer.json()["error"] == "lang must be one of en, zh; got 'fr'"
    assert client.get("/api/derivation?part=everything").status_code == 400


def test_without_sympy_the_derivation_view_says_how_to_install_it(monkeypatch):
    from xentlab.web import derivation_view

    monkeypatch.setattr(derivation_view, "sympy_found", lambda: False)
    with TestClient(create_app(), base_url=BASE_URL) as without:
        missing = without.get("/api/setup").json()["derivation"]
        assert missing["available"] is False
        assert "pip install sympy" in missing["missing"]
        assert "\n" not in missing["missing"]
        answer = without.get("/api/derivation")
        assert answer.status_code == 400 and answer.json()["error"] == missing["missing"]
