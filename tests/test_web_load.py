"""The server keeps answering under load: 200 requests from 20 concurrent clients against a real
uvicorn server on the loopback, while a race trains in its worker threads. The figures are
written to test-artifacts/web/load.json."""

from __future__ import annotations

import json
import statistics
import threading
import time

import pytest
from web_helpers import ARTIFACTS, events, serving, wait_until

pytest.importorskip("starlette", reason="the web extra is not installed (pip install starlette)")
pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install uvicorn)")
httpx = pytest.importorskip("httpx", reason="httpx is not installed (the test extra has it)")

from xentlab.web import create_app  # noqa: E402
from xentlab.web.limits import Limits  # noqa: E402

CLIENTS = 20
REQUESTS_EACH = 10
# 1,078 mini-batches an epoch, for longer than the page allows: a race that outlasts the load
# however fast training gets (the test stops it once the load is done)
BUSY_EPOCHS = 1000
BUSY_RACE = {"epochs": BUSY_EPOCHS, "batch_size": 1, "pace": 0}


def request_of(client: int, k: int) -> tuple[str, int]:
    """The k-th request of a client, and the status it must get: new computations (a neuron
    and a map no one asked for before), the page's files and setup, and a refused one."""
    kind = k % 5
    if kind == 0:
        return f"/api/neuron?w={client / 10:g}&b={k / 10:g}&epochs=300", 200
    if kind == 1:
        return f"/api/saturation?points=51&eta={0.1 + client / 100 + k / 1000:g}", 200
    if kind == 2:
        return "/api/setup", 200
    if kind == 3:
        return "/static/neuron.js", 200
    return "/api/neuron?eta=-1", 400


def test_twenty_clients_get_their_answers_while_a_race_trains():
    app = create_app(Limits(race_epochs=BUSY_EPOCHS))
    race_seen: list[str] = []
    timings: list[float] = []
    failures: list[str] = []
    with serving(app) as url:

        def race() -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                with client.stream("POST", "/api/races", json=BUSY_RACE) as answer:
                    race_seen.extend(kind for kind, _ in events(answer.iter_lines()))

        racer = threading.Thread(target=race)
        racer.start()
        wait_until(lambda: race_seen.count("probe") >= 2, 30, "the race's first probes")
        start = threading.Barrier(CLIENTS)

        def client_work(number: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                start.wait()
                for k in range(REQUESTS_EACH):
                    path, status = request_of(number, k)
                    began = time.perf_counter()
                    try:
                        answer = client.get(path)
                    except httpx.HTTPError as exc:
                        failures.append(f"{path}: {exc!r}")
                        continue
                    timings.append(time.perf_counter() - began)
                    if answer.status_code != status:
                        failures.append(f"{path}: {answer.status_code}")

        began = time.perf_counter()
        workers = [threading.Thread(target=client_work, args=(n,)) for n in range(CLIENTS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
        elapsed = time.perf_counter() - began
        still_training = "end" not in race_seen
        race_id = next(iter(app.state.races.running), None)
        with httpx.Client(base_url=url, timeout=10) as client:
            if race_id:
                client.post(f"/api/races/{race_id}/stop")
        racer.join(30)

    timings.sort()
    figures = {
        "clients": CLIENTS,
        "requests": CLIENTS * REQUESTS_EACH,
        "answered": len(timings),
        "failures": failures,
        "seconds": round(elapsed, 3),
        "requests_per_second": round(len(timings) / elapsed, 1),
        "median_ms": round(1000 * statistics.median(timings), 1),
        "p95_ms": round(1000 * timings[int(0.95 * len(timings)) - 1], 1),
        "max_ms": round(1000 * timings[-1], 1),
        "race_probes_during_load": race_seen.count("probe"),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(figures, indent=1))
    print(f"\nload: {figures}")
    assert failures == [] and len(timings) == CLIENTS * REQUESTS_EACH
    assert still_training, "the race ended before the load did: it did not overlap"
    assert timings[-1] < 20 and elapsed < 60
    assert race_seen[-1] == "end"
