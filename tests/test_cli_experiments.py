"""The experiment commands end to end: saturation and compare write their figure and data and
print their summary; bad requests are refused before any work."""

from __future__ import annotations

import csv
import json

import pytest

from xentlab.cli.main import main


def cells_of(out: str, cost: str) -> list[str]:
    """The cells of the table row that begins with ``cost`` (or another first cell)."""
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if cells[0] == cost:
            return cells
    raise AssertionError(f"no row for {cost} in:\n{out}")


def test_saturation_writes_the_map_and_prints_the_slow_share(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["saturation", "--points", "61", "--out", "map.svg"]) == 0
    out = capsys.readouterr().out
    assert "quadratic" in out and "cross-entropy" in out and "> 100 epochs" in out
    figure = (tmp_path / "map.svg").read_text()
    assert figure.startswith("<?xml") and "<svg" in figure and len(figure) > 20_000


def test_saturation_draws_a_map_for_each_contender_the_linear_neuron_among_them(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    three = "quadratic,cross-entropy,quadratic/linear"
    assert main(["saturation", "--points", "61", "--contenders", three, "--out", "map.png"]) == 0
    out = capsys.readouterr().out
    # the linear neuron (a = z, δ = a − y) has no slow region: its median 9 epochs
    assert cells_of(out, "quadratic/linear")[1:3] == ["0.0%", "0.0%"], out
    assert "9" in cells_of(out, "quadratic/linear"), out
    assert (tmp_path / "map.png").read_bytes().startswith(b"\x89PNG")
    for refused, needle in (
        ("cross-entropy/linear", "cost 'cross-entropy' does not go with a linear output"),
        ("log-likelihood", "cost must be one of quadratic, cross-entropy"),
        ("quadratic/sigmoid,quadratic", "--contenders must not repeat; got quadratic/sigmoid"),
        ("quadratic,,cross-entropy", "argument --contenders: must be names separated by commas"),
    ):
        assert main(["saturation", "--contenders", refused, "--out", "other.png"]) == 2
        err = capsys.readouterr().err
        assert needle in err and len(err.strip().splitlines()) == 1, err
        assert not (tmp_path / "other.png").exists()


def test_the_saturation_median_counts_the_starts_that_never_arrive(tmp_path, monkeypatch, capsys):
    """The quadratic cost's starts that never arrive (23%) count as more than the epochs run:
    skipped, they would make its median 0, below cross-entropy's 15."""
    monkeypatch.chdir(tmp_path)
    assert main(["saturation", "--points", "61", "--out", "map.svg"]) == 0
    out = capsys.readouterr().out
    cells = {c: cells_of(out, c) for c in ("quadratic", "cross-entropy")}
    assert "71" in cells["quadratic"] and "0" not in cells["quadratic"], out
    assert "15" in cells["cross-entropy"], out
    assert "median: a start that never arrives counts as more than 300 epochs" in out
    # Within 30 epochs most quadratic starts do not arrive: its median is only a bound.
    assert main(["saturation", "--points", "61", "--epochs", "30", "--out", "map.svg"]) == 0
    out = capsys.readouterr().out
    assert "> 30" in " ".join(cells_of(out, "quadratic")) and "more than 30 epochs" in out


def test_compare_writes_figure_json_and_csv(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["compare", "--init", "saturated", "--epochs", "3", "--seeds", "1-2"]
    assert main([*args, "--eta", "quadratic=0.5,cross-entropy=0.5"]) == 0
    out = capsys.readouterr().out
    assert "mini-batches to reach a validation accuracy" in out
    # The saturated quadratic runs stall: both seeds fall short of 80% and 90%, so its
    # medians are only known to be more than the 324 mini-batches trained.
    # (a column per cost, the quadratic cost's first)
    assert all(cells_of(out, row)[1].startswith("> 324 ") for row in ("80%", "90%")), out
    assert "a seed that does not reach an accuracy within its 324 mini-batches" in out
    assert (tmp_path / "compare.png").stat().st_size > 50_000
    document = json.loads((tmp_path / "compare.json").read_text())
    assert [(r["cost"], r["seed"]) for r in document["runs"]] == [
        ("quadratic", 1),
        ("cross-entropy", 1),
        ("quadratic", 2),
        ("cross-entropy", 2),
    ]
    with (tmp_path / "compare.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(len(r["probes"]) for r in document["runs"])
    assert rows[0]["cost"] == "quadratic" and float(rows[0]["saturated_wrong"]) == 0.9


def test_compare_takes_contenders_a_cost_and_its_output(tmp_path, monkeypatch, capsys):
    """--contenders quadratic,cross-entropy,quadratic/linear: the same table with a third
    column; --costs is the same option."""
    monkeypatch.chdir(tmp_path)
    contenders = "quadratic,cross-entropy,quadratic/linear"
    etas = "quadratic=0.5,cross-entropy=0.5,quadratic/linear=0.1"
    args = ["compare", "--init", "saturated", "--epochs", "1", "--eta", etas]
    assert main([*args, "--contenders", contenders]) == 0
    out = capsys.readouterr().out
    assert cells_of(out, "η") == ["η", "0.5", "0.5", "0.1"], out
    assert "quadratic/linear" in out
    document = json.loads((tmp_path / "compare.json").read_text())
    assert [r["cost"] for r in document["runs"]] == contenders.split(",")
    assert main([*args, "--costs", contenders, "--force"]) == 0
    again = json.loads((tmp_path / "compare.json").read_text())
    assert [r["probes"] for r in again["runs"]] == [r["probes"] for r in document["runs"]]


def test_compare_names_a_contender_that_ended_dead(tmp_path, monkeypatch, capsys):
    """A linear output at η = 0.5 drives the hidden layer into saturation and stays at chance:
    compare says so in one warning line naming the contender, and keeps it in its JSON."""
    monkeypatch.chdir(tmp_path)
    args = ["compare", "--init", "saturated", "--epochs", "2", "--seeds", "1"]
    assert main([*args, "--contenders", "cross-entropy,quadratic/linear"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("xentlab: warning: quadratic/linear, seed 1: the network has")
    assert "hidden layer's neurons are saturated" in warnings[0]
    runs = json.loads((tmp_path / "compare.json").read_text())["runs"]
    assert [len(run["warnings"]) for run in runs] == [0, 1]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["compare", "--costs", "quadratic,hinge"], "cost must be one of"),
        (["compare", "--costs", "quadratic,quadratic"], "--contenders must not repeat"),
        (["sweep", "--costs", "quadratic,"], "argument --costs: must be names separated by"),
        (["compare", "--contenders", "cross-entropy/linear"], "does not go with a linear output"),
        (["compare", "--contenders", "log-likelihood/linear"], "goes with quadratic"),
        (["train", "--cost", "cross-entropy", "--output", "linear"], "does not go with a linear"),
        (["sweep", "--costs", "cross-entropy", "--output", "linear"], "does not go with a linear"),
        (["compare", "--eta", "quadratic=3"], "--eta for cross-entropy is missing"),
        (["compare", "--eta", "fast"], "argument --eta: must be a number"),
        (["compare", "--seeds", "1-x"], "argument --seeds"),
        (["compare", "--seeds", "1-200"], "at most 100 runs"),
        (["compare", "--probe-every", "0"], "--probe-every must be an integer >= 1"),
        (["compare", "--out", "c.bmp"], "must be one of png, svg, pdf"),
        (["compare", "--json", "out.json", "--csv", "out.json"], "give them different names"),
        (["saturation", "--points", "1"], "--points must be an integer >= 2"),
        (["saturation", "--points", "5000"], "--points must be at most"),
        (["saturation", "--y", "2"], "--y must lie in [0, 1]"),
        (["saturation", "--threshold", "0"], "--threshold must be"),
    ],
)
def test_bad_experiments_are_refused_before_any_work(tmp_path, monkeypatch, capsys, args, needle):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err
    assert list(tmp_path.iterdir()) == []
