"""The optional parts' markers hold: a test that needs a part is skipped with a reason that says
how to turn it on, and a test that reaches for a part without its marker fails (CI's second
stage selects by marker and would never run it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import optional

pytest_plugins = ["pytester"]

HERE = Path(__file__).parent


def project(pytester):
    for name in ("conftest.py", "optional.py"):
        shutil.copy(HERE / name, pytester.path / name)
    pytester.makeini("[pytest]\nmarkers =\n    torch\n    chromium\n    data\n")


def test_a_marked_test_skips_with_the_reason_where_its_part_is_missing(pytester, monkeypatch):
    project(pytester)
    monkeypatch.setattr(optional, "missing", lambda part: True)
    pytester.makepyfile(
        test_needs="""
        import pytest

        @pytest.mark.data
        def test_on_real_data():
            raise AssertionError("runs only with the data")
        """
    )
    result = pytester.runpytest_inprocess("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*export XENTLAB_DATA=*"])


def test_the_second_stage_fails_a_missing_part_instead_of_skipping(pytester, monkeypatch):
    project(pytester)
    monkeypatch.setattr(optional, "missing", lambda part: True)
    monkeypatch.setenv("XENTLAB_REQUIRE_OPTIONAL", "1")
    pytester.makepyfile(
        test_needs="""
        import pytest

        @pytest.mark.torch
        def test_with_torch():
            pass
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(errors=1)


def test_a_skip_for_a_part_without_its_marker_fails(pytester):
    project(pytester)
    pytester.makepyfile(
        test_unmarked="""
        import pytest

        def test_reaches_for_data():
            pytest.skip("MNIST not here (set XENTLAB_DATA)")

        def test_reaches_for_torch():
            pytest.importorskip("torch_that_is_not_there_either")

        def test_skips_for_its_own_reason():
            pytest.skip("nothing to do with an optional part")
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=2, skipped=1)
    result.stdout.fnmatch_lines(["*not marked pytest.mark.data*"])


def test_a_module_that_imports_a_part_must_be_marked(pytester):
    project(pytester)
    (pytester.path / "playwright.py").write_text("")  # stands for the real package
    pytester.makepyfile(
        test_module_level="""
        import playwright

        def test_uses_it():
            pass
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*imports playwright but is not marked pytest.mark.chromium*"])
