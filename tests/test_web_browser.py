"""The page in a real browser: Debian's chromium, headless, driven by Playwright, against a real
server on the loopback. What the page shows must be the library's numbers; each test saves a
screenshot under test-artifacts/web/."""

from __future__ import annotations

import re

import pytest
from optional import CHROMIUM, REASONS
from web_helpers import ARTIFACTS, serving

# Without the background-networking flags chromium's own connections are refused by a closed
# network, many at a time; the sandbox needs privileges a test runner may not have.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytest.importorskip("starlette", reason="the web extra is not installed (pip install starlette)")
pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install uvicorn)")
pytestmark = pytest.mark.chromium
sync_api = pytest.importorskip("playwright.sync_api", reason=REASONS["chromium"])

from xentlab import neuron  # noqa: E402
from xentlab.experiments import contenders, prepare_cost_run, saturation_map, slowdown_runs  # noqa: E402
from xentlab.functions import labelled_cost  # noqa: E402
from xentlab.web import create_app  # noqa: E402
from xentlab.web.races import RaceSettings  # noqa: E402

COSTS = ("quadratic", "cross-entropy")
CONTENDERS = (*COSTS, "quadratic/linear")  # the neuron and map views' default: "all"
LINEAR = 'article[data-run="quadratic/linear"]'
FASTEST = 10  # the speed slider's last step: the whole path at once


@pytest.fixture(scope="module")
def url():
    with serving(create_app()) as address:
        yield address


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    refused = re.compile(r"Failed to load resource: .* status of 4(00|29) ")  # shown on the page
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    errors = [e for e in errors if not refused.match(e)]
    assert errors == [], f"the page reported errors: {errors}"


def open_view(page, url: str, view: str) -> None:
    page.goto(f"{url}#{view}")
    page.wait_for_selector("body[data-ready=true]")


def set_range(page, selector: str, value: int) -> None:
    page.eval_on_selector(
        selector, "(e, v) => { e.value = v; e.dispatchEvent(new Event('input')); }", value
    )


def shown(page, selector: str) -> tuple[str, float]:
    """An element's text and the exact number the page keeps beside it."""
    element = page.locator(selector)
    return element.inner_text(), float(element.get_attribute("data-value"))


def check_neuron_at(page, epoch: int, paths: dict[str, neuron.Trajectory]) -> None:
    for cost, path in paths.items():
        panel = f'article[data-run="{cost}"]'
        expected = {
            "w": path.w[epoch, 0, 0],
            "b": path.b[epoch, 0],
            "a": path.output[epoch, 0, 0],
            "C": path.cost[epoch, 0],
        }
        for field, value in expected.items():
            text, exact = shown(page, f'{panel} [data-field="{field}"]')
            assert exact == value, (cost, field, epoch)  # the library's number, to the bit
            # and as read: five significant digits, three in an exponent's form (below 1e-3)
            rel = 1e-4 if abs(value) >= 1e-3 else 5e-3
            assert float(text) == pytest.approx(value, rel=rel, abs=1e-9)


def test_the_cost_choices_are_the_library_s(page, url):
    open_view(page, url, "neuron")
    radios = page.locator('#n-cost input[name="cost"]')
    offered = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
    assert offered == list(contenders.NEURON_COST_CHOICES)  # what `xentlab neuron --cost` takes
    assert page.inner_text("#n-cost").split() == ["cost", *contenders.NEURON_COST_CHOICES]
    assert page.is_checked('#n-cost input[value="all"]')  # the page's default: every contender
    page.click('#n-cost label:has-text("quadratic")')
    assert page.is_checked('#n-cost input[value="quadratic"]')


def test_the_saturated_preset_shows_the_library_s_trajectory(page, url):
    epochs = 60
    open_view(page, url, "neuron")
    page.click('.preset[data-preset="2,2"]')
    assert page.input_value("#n-w") == "2" and page.input_value("#n-eta") == "0.15"
    page.fill("#n-epochs", str(epochs))
    set_range(page, "#n-speed", FASTEST)
    page.click("#n-run")
    page.wait_for_function(f"document.getElementById('n-epoch').textContent === '{epochs}'")
    paths = {
        cost: neuron.train(2.0, 2.0, 1.0, 0.0, cost=labelled_cost(cost), eta=0.15, epochs=epochs)
        for cost in CONTENDERS
    }
    check_neuron_at(page, epochs, paths)
    # The slowdown table: cross-entropy within 0.5 after 17 epochs, 0.2 after 31; the
    # quadratic cost not within 60 (it needs 232), its steepest fall not yet reached.
    row = 'tr[data-run="{}"] [data-field="{}"]'
    assert page.inner_text(row.format("cross-entropy", "first-0.5")) == "17"
    assert page.inner_text(row.format("cross-entropy", "first-0.2")) == "31"
    assert page.inner_text(row.format("cross-entropy", "steepest")) == "epoch 0"
    assert page.inner_text(row.format("quadratic", "first-0.5")) == "not within 60"
    (linear,) = slowdown_runs(paths["quadratic/linear"])  # no slow start either
    assert page.inner_text(row.format("quadratic/linear", "first-0.2")) == str(
        linear.first_below[0.2]
    )
    assert page.inner_text(row.format("quadratic/linear", "steepest")) == "epoch 0"
    # Back to any epoch with the slider: the same numbers as the library's at that epoch.
    set_range(page, "#n-scrub", 23)
    assert page.inner_text("#n-epoch") == "23"
    check_neuron_at(page, 23, paths)
    assert page.inner_text(row.format("cross-entropy", "first-0.2")) == "…"  # not reached yet


def test_clicking_the_saturation_map_starts_the_neuron_there(page, url):
    open_view(page, url, "neuron")
    set_range(page, "#n-speed", FASTEST)
    page.click("nav a[data-view=map]")
    page.wait_for_selector("#m-maps[data-loaded=true]")
    canvas = page.locator('canvas.heat[data-cost="quadratic"]').bounding_box()
    page.mouse.move(canvas["x"] + 0.72 * canvas["width"], canvas["y"] + 0.3 * canvas["height"])
    tip = page.locator("#m-tip")
    tip.wait_for(state="visible")
    w, b = float(tip.get_attribute("data-w")), float(tip.get_attribute("data-b"))
    i, j = int(tip.get_attribute("data-i")), int(tip.get_attribute("data-j"))
    grid = saturation_map(contenders=CONTENDERS)  # the map the page asked for: the defaults
    assert w == pytest.approx(grid.w_values[j], abs=1e-9)
    assert b == pytest.approx(grid.b_values[i], abs=1e-9)
    for cost in CONTENDERS:
        e = int(grid.epochs[cost][i, j])
        said = f"{e} epochs" if e >= 0 else "not within 300 epochs"
        assert tip.locator(f'[data-field="{cost}"]').inner_text() == said
    assert w > 1 and b > 1  # up and to the right: the quadratic cost's slow region

    page.mouse.click(canvas["x"] + 0.72 * canvas["width"], canvas["y"] + 0.3 * canvas["height"])
    page.wait_for_selector("#view-neuron:not([hidden])")
    page.wait_for_function("document.getElementById('n-epoch').textContent === '300'")
    assert float(page.input_value("#n-w")) == w and float(page.input_value("#n-b")) == b
    assert page.input_value("#n-eta") == "0.15"
    assert page.inner_text('tr[data-run="quadratic"] [data-field="start"]') == f"({w:g}, {b:g})"
    # The neuron view opens with the map's contenders; its epochs to |a − y| < 0.2 are the map's.
    assert page.locator("#n-panels article").count() == len(CONTENDERS)
    for cost in CONTENDERS:
        e = int(grid.epochs[cost][i, j])
        cell = page.inner_text(f'tr[data-run="{cost}"] [data-field="first-0.2"]')
        assert cell == (str(e) if e >= 0 else "not within 300")
    set_range(page, "#n-scrub", 0)
    for cost in CONTENDERS:
        assert shown(page, f'article[data-run="{cost}"] [data-field="w"]')[1] == w
        assert shown(page, f'article[data-run="{cost}"] [data-field="b"]')[1] == b


def test_the_linear_neuron_s_panel_shows_a_line_not_a_sigmoid(page, url):
    """By default three panels, side by side at 1280 px: the linear neuron's body, readouts,
    curve and formula say a = z, with no σ anywhere; its output axis reaches a = 4."""
    page.set_viewport_size({"width": 1280, "height": 1000})
    open_view(page, url, "neuron")
    page.click('.preset[data-preset="2,2"]')
    set_range(page, "#n-speed", FASTEST)
    page.click("#n-run")
    page.wait_for_function("document.getElementById('n-epoch').textContent === '300'")
    panels = page.locator("#n-panels article")
    assert [panels.nth(k).get_attribute("data-run") for k in range(3)] == list(CONTENDERS)
    tops = {round(panels.nth(k).bounding_box()["y"]) for k in range(3)}
    assert len(tops) == 1  # one row of three
    shown_text = page.inner_text(LINEAR)
    assert "σ" not in shown_text and "a = z" in shown_text
    assert page.inner_text(f"{LINEAR} h3 .formula") == "∂C/∂w = x (a − y)"
    assert page.text_content(f'{LINEAR} [data-field="body"]') == "a = z"  # SVG text
    assert page.get_attribute(f"{LINEAR} polyline", "data-curve") == "linear"
    set_range(page, "#n-scrub", 0)
    readout = page.locator(f'{LINEAR} .readouts div:has([data-field="da_dz"])')
    assert readout.locator("dt").inner_text() == "da/dz"
    assert shown(page, f'{LINEAR} [data-field="da_dz"]')[1] == 1.0
    assert shown(page, f'{LINEAR} [data-field="a"]')[1] == 4.0  # a = z = 2 + 2
    assert float(page.get_attribute(f"{LINEAR} canvas.curve", "data-output-max")) == 4.0
    # the sigmoid neurons keep their σ, σ'(z) and output axis [0, 1]
    quadratic = 'article[data-run="quadratic"]'
    assert page.text_content(f'{quadratic} [data-field="body"]') == "σ"
    assert "σ′(z)" in page.inner_text(f"{quadratic} h3 .formula")
    assert float(page.get_attribute(f"{quadratic} canvas.curve", "data-output-max")) == 1.0
    rows = page.locator("#n-table tbody tr")
    assert [rows.nth(k).get_attribute("data-run") for k in range(3)] == list(CONTENDERS)
    page.screenshot(path=str(ARTIFACTS / "neuron-three-1280.png"), full_page=True)


def test_the_map_draws_a_figure_per_contender_and_reads_each(page, url):
    """By default three maps on one colour scale, the tooltip a line per contender; "both"
    draws the two sigmoid costs' maps only."""
    page.set_viewport_size({"width": 1280, "height": 1000})
    open_view(page, url, "map")
    page.wait_for_selector("#m-maps[data-loaded=true]")
    figures = page.locator("#m-maps figure")
    assert [figures.nth(k).get_attribute("data-cost") for k in range(3)] == list(CONTENDERS)
    assert figures.count() == 3 and page.locator("canvas.heat").count() == 3
    canvas = page.locator('canvas.heat[data-cost="quadratic/linear"]').bounding_box()
    page.mouse.move(canvas["x"] + 0.72 * canvas["width"], canvas["y"] + 0.3 * canvas["height"])
    tip = page.locator("#m-tip")
    tip.wait_for(state="visible")
    lines = tip.locator("[data-field]")
    fields = [lines.nth(k).get_attribute("data-field") for k in range(lines.count())]
    assert fields == ["start", *CONTENDERS]
    page.screenshot(path=str(ARTIFACTS / "map-three-1280.png"), full_page=True)
    page.click('#m-contenders label:has-text("both")')
    page.click("#m-run")
    page.wait_for_selector('#m-maps[data-contenders="quadratic,cross-entropy"]')
    assert page.locator("canvas.heat").count() == 2


def start_race(page, epochs: int, pace: str) -> None:
    page.fill("#r-epochs", str(epochs))
    page.select_option("#r-pace", pace)
    page.click("#r-start")


def epochs_seen(page, cost: str) -> list[int]:
    seen = page.get_attribute(f'#r-table tr[data-cost="{cost}"]', "data-epochs-seen")
    return [int(e) for e in seen.split(",")] if seen else []


def test_the_race_draws_every_epoch_of_both_costs(page, url):
    epochs = 3
    open_view(page, url, "race")
    start_race(page, epochs, "0")
    page.wait_for_selector("#r-status[data-state=finished]", timeout=60_000)
    settings = RaceSettings.of(
        {"dataset": "digits", "pace": 0.0, "init": "saturated", "epochs": epochs, "seed": 1}
    )
    for cost in COSTS:
        assert epochs_seen(page, cost) == [1, 2, 3]
        run, probe = prepare_cost_run(settings.compare_spec(64, None), cost, 1)
        result = run.train([probe], chunk=probe.every)
        row = f'#r-table tr[data-cost="{cost}"]'
        text, accuracy = shown(page, f'{row} [data-field="accuracy"]')
        assert accuracy == result.history.records[-1].evaluation_accuracy
        assert text == f"{100 * accuracy:.2f}%"
        assert shown(page, f'{row} [data-field="test"]')[1] == result.test_accuracy
        assert page.inner_text(f'{row} [data-field="state"]') == "finished"
    # cross-entropy is ahead, as the article says
    quadratic = shown(page, '#r-table tr[data-cost="quadratic"] [data-field="accuracy"]')[1]
    entropy = shown(page, '#r-table tr[data-cost="cross-entropy"] [data-field="accuracy"]')[1]
    assert entropy > quadratic + 0.2


def test_a_race_with_a_linear_output_gives_the_quadratic_row_to_quadratic_linear(page, url):
    """output linear: the quadratic cost trains on a linear output (a = z), cross-entropy on
    its sigmoid one; the page shows the library's numbers, and the next race its own runs."""
    epochs = 2
    open_view(page, url, "race")
    page.select_option("#r-output", "linear")
    start_race(page, epochs, "0")
    page.wait_for_selector("#r-status[data-state=finished]", timeout=60_000)
    settings = RaceSettings.of(
        {
            "dataset": "digits",
            "pace": 0.0,
            "init": "saturated",
            "epochs": epochs,
            "seed": 1,
            "output": "linear",
        }
    )
    rows = page.locator("#r-table tbody tr .label").all_inner_texts()
    assert rows == ["quadratic/linear", "cross-entropy"]
    for cost in ("quadratic/linear", "cross-entropy"):
        assert epochs_seen(page, cost) == [1, 2]
        run, probe = prepare_cost_run(settings.compare_spec(64, None), cost, 1)
        result = run.train([probe], chunk=probe.every)
        row = f'#r-table tr[data-cost="{cost}"]'
        accuracy = shown(page, f'{row} [data-field="accuracy"]')[1]
        assert accuracy == result.history.records[-1].evaluation_accuracy
    linear = '#r-table tr[data-cost="quadratic/linear"]'
    assert shown(page, f'{linear} [data-field="saturation"]')[1] == 0.0  # a = z never saturates
    page.screenshot(path=str(ARTIFACTS / "race-linear.png"), full_page=True)
    page.select_option("#r-output", "")
    start_race(page, 1, "0")
    page.wait_for_selector("#r-status[data-state=finished]", timeout=60_000)
    rows = page.locator("#r-table tbody tr .label").all_inner_texts()
    assert rows == list(COSTS) and epochs_seen(page, "quadratic") == [1]


def test_stop_ends_a_race_and_other_tabs_race_on(page, url):
    other = page.context.new_page()
    open_view(page, url, "race")
    open_view(other, url, "race")
    start_race(page, 30, "0.2")
    start_race(other, 4, "0.2")
    page.wait_for_function(
        "document.querySelector('#r-table tr[data-cost=quadratic]').dataset.epochsSeen"
        ".split(',').length >= 2"
    )
    page.click("#r-stop")
    page.wait_for_selector("#r-status[data-state=stopped]", timeout=30_000)
    assert page.inner_text("#r-status") == "Stopped: the page asked."
    for cost in COSTS:
        seen = epochs_seen(page, cost)
        assert 2 <= len(seen) < 30 and seen == list(range(1, len(seen) + 1))
        state = page.inner_text(f'#r-table tr[data-cost="{cost}"] [data-field="state"]')
        assert state == "stopped"
    # The other tab's race was not stopped: it trains every one of its epochs.
    other.wait_for_selector("#r-status[data-state=finished]", timeout=60_000)
    assert all(epochs_seen(other, cost) == [1, 2, 3, 4] for cost in COSTS)
    other.close()


def test_a_bad_parameter_shows_a_readable_message(page, url):
    open_view(page, url, "neuron")
    page.fill("#n-eta", "-1")
    page.click("#n-run")
    banner = page.locator("#error")
    banner.wait_for(state="visible")
    assert re.fullmatch(
        r"The server refused this: eta must be a number in \(0, 100\]; got -1\.0\s*×?",
        banner.inner_text().strip(),
    )
    page.click("#error-close")
    assert banner.is_hidden()
    open_view(page, url, "race")
    page.fill("#r-epochs", "500")
    page.click("#r-start")
    banner.wait_for(state="visible")
    assert "epochs must be at most 30; got 500" in banner.inner_text()
    assert page.get_attribute("#r-status", "data-state") == "error"


def test_the_derivation_is_drawn_as_mathml_in_either_language(page, url):
    pytest.importorskip("sympy", reason="the derive extra is not installed (pip install sympy)")
    open_view(page, url, "derivation")
    page.wait_for_selector("#d-body[data-loaded=true]", timeout=60_000)
    equations = page.locator("#d-body math")
    assert equations.count() > 20
    box = equations.first.bounding_box()  # drawn by the browser: it takes room on the page
    assert box is not None and box["width"] > 20 and box["height"] > 10
    steps = page.locator("#d-body li[data-verified]")
    assert steps.count() > 0 and page.locator('#d-body li[data-verified="false"]').count() == 0
    english = page.inner_text("#d-body h2")
    page.click('#d-lang label:has-text("中文")')
    page.wait_for_selector('#d-body[lang="zh-CN"][data-loaded=true]', timeout=60_000)
    assert re.search(r"[\u4e00-\u9fff]", page.inner_text("#d-body h2")), english
    assert page.locator("#d-body math").count() == equations.count()


def test_without_sympy_the_derivation_view_says_so_in_one_line(page, monkeypatch):
    from xentlab.web import derivation_view

    monkeypatch.setattr(derivation_view, "sympy_found", lambda: False)
    with serving(create_app()) as address:
        open_view(page, address, "derivation")
        said = page.inner_text("#d-missing")
    assert "pip install sympy" in said and "\n" not in said.strip()
    assert page.locator("#d-body math").count() == 0 and page.is_hidden("#d-form")
