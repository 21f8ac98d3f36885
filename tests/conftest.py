import functools
import os
import sys
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import optional  # noqa: E402

# What a skip says when a test reaches for a part on its own (an importorskip, a skip on a data
# error) instead of through its marker: such a test would never run in CI's second stage.
UNMARKED_SIGNS = {
    "torch": ("torch",),
    "chromium": ("chromium", "playwright"),
    "data": ("XENTLAB_DATA", "MNIST not"),
    "cjk": ("CJK font",),
}
# A module that imported one of these at its top needs the part for every test in it.
MODULE_SIGNS = {"torch": "torch", "chromium": "playwright"}


@pytest.fixture(autouse=True, scope="session")
def cache_of_the_session(tmp_path_factory: pytest.TempPathFactory):
    """The tests, and the processes they start, keep their caches (xentlab's decoded data sets,
    Matplotlib's fonts) in a folder of the session's own, never in the user's: what a test
    writes there does not outlive it, and no test reads what the user's cache holds. A test
    that sets XDG_CACHE_HOME itself (monkeypatch) gets this one back afterwards."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@functools.cache
def _missing(part: str) -> bool:
    return optional.missing(part)


def pytest_runtest_setup(item: pytest.Item) -> None:
    for part, reason in optional.REASONS.items():
        if item.get_closest_marker(part) is None:
            module = getattr(item, "module", None)
            top = MODULE_SIGNS.get(part)
            if top is not None and module is not None and _imports(module, top):
                pytest.fail(f"{item.nodeid} imports {top} but is not marked pytest.mark.{part}")
            continue
        if _missing(part):
            if os.environ.get("XENTLAB_REQUIRE_OPTIONAL"):  # CI's second stage: all installed
                pytest.fail(f"XENTLAB_REQUIRE_OPTIONAL is set, but {reason}")
            pytest.skip(reason)


def _imports(module: types.ModuleType, name: str) -> bool:
    return any(
        isinstance(value, types.ModuleType) and value.__name__.split(".")[0] == name
        for value in vars(module).values()
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return
    reason = report.longrepr[2]
    for part, signs in UNMARKED_SIGNS.items():
        if item.get_closest_marker(part) is None and any(sign in reason for sign in signs):
            report.outcome = "failed"
            report.longrepr = (
                f"{item.nodeid} skipped for want of {part} ({reason}) but is not marked "
                f"pytest.mark.{part}: CI's second stage, which selects by marker, would never "
                "run it"
            )
