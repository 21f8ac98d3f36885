"""Take the README's pictures of the page: each view in Debian's chromium (headless, driven by
Playwright) against the page served on a free loopback port.

    python docs/screenshots.py        # writes docs/page-neuron.png, page-map.png, page-race.png
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from xentlab.web import create_app, listen, make_server, page_address

DOCS = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1360, "height": 900}


def ready(page: Page, url: str, view: str) -> None:
    page.goto(f"{url}#{view}")
    page.wait_for_selector("body[data-ready=true]")


def neuron(page: Page, url: str) -> None:
    """The article's saturated start as every contender (both costs, and the linear neuron),
    played to the end."""
    ready(page, url, "neuron")
    page.click('.preset[data-preset="2,2"]')
    page.eval_on_selector("#n-speed", "e => { e.value = 10; e.dispatchEvent(new Event('input')); }")
    page.click("#n-run")
    page.wait_for_function("document.getElementById('n-epoch').textContent === '300'")
    page.eval_on_selector("#n-speed", "e => { e.value = 5; e.dispatchEvent(new Event('input')); }")
    page.wait_for_timeout(1500)  # the table's new numbers flash, then settle
    page.screenshot(path=str(DOCS / "page-neuron.png"), full_page=True)


def saturation(page: Page, url: str) -> None:
    """A map per contender, the pointer on a start that the quadratic cost never gets right."""
    ready(page, url, "map")
    page.wait_for_selector("#m-maps[data-loaded=true]")
    box = page.locator('canvas.heat[data-cost="quadratic"]').bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 0.75 * box["width"], box["y"] + 0.3 * box["height"])
    page.wait_for_selector("#m-tip:not([hidden])")
    page.screenshot(path=str(DOCS / "page-map.png"), full_page=True)


def race(page: Page, url: str) -> None:
    """Ten epochs on the digits from the saturated start."""
    ready(page, url, "race")
    page.select_option("#r-pace", "0")
    page.click("#r-start")
    page.wait_for_selector("#r-status[data-state=finished]", timeout=120_000)
    page.screenshot(path=str(DOCS / "page-race.png"), full_page=True)


def main() -> None:
    sock = listen("127.0.0.1", 0)
    server = make_server(create_app())
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = page_address(sock)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            for take in (neuron, saturation, race):
                page = browser.new_page(viewport=VIEWPORT)
                take(page, url)
                page.close()
            browser.close()
    finally:
        server.should_exit = True
        thread.join()
        sock.close()
    print("written: " + ", ".join(f"docs/page-{v}.png" for v in ("neuron", "map", "race")))


if __name__ == "__main__":
    main()
