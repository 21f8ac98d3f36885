"""Figures are written in the format their file's extension names (PNG, SVG, PDF); any other
extension, and any target that cannot be written, is refused before anything is computed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from xentlab import neuron
from xentlab.cli import main
from xentlab.errors import XentlabError
from xentlab.plots import (
    FIGURE_FORMATS,
    check_figure_target,
    figure_format,
    save,
    trajectory_figure,
)

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF-"}


@pytest.mark.parametrize("name", ["n.png", "n.svg", "n.pdf", "N.SVG", "n.Pdf"])
def test_the_extension_names_the_format(tmp_path, name):
    path = tmp_path / name
    save(trajectory_figure(neuron.train(2.0, 2.0, epochs=5)), path)
    fmt = name.rsplit(".", 1)[1].lower()
    assert path.read_bytes().startswith(MAGIC[fmt])
    if fmt == "svg":
        assert b"<svg" in path.read_bytes()[:1000]
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize("name", ["n.bmp", "n.jpg", "n", "n.png.gz", "n.svgz", ".png"])
def test_other_extensions_are_refused_with_the_allowed_list(tmp_path, name):
    message = f"figure file .*{name}: the extension must be one of png, svg, pdf; got"
    with pytest.raises(XentlabError, match=message.replace(".png", r"\.png")):
        figure_format(tmp_path / name)
    with pytest.raises(XentlabError, match="must be one of png, svg, pdf"):
        save(trajectory_figure(neuron.train(2.0, 2.0, epochs=5)), tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    assert list(FIGURE_FORMATS) == ["png", "svg", "pdf"]


def test_check_figure_target_checks_the_target_then_the_format(tmp_path):
    assert check_figure_target(tmp_path / "ok.pdf") == "pdf"
    with pytest.raises(XentlabError, match="cannot write figure file /dev/null: it is a character"):
        check_figure_target("/dev/null")
    with pytest.raises(XentlabError, match="directory .*missing does not exist"):
        check_figure_target(tmp_path / "missing" / "f.png")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["neuron", "--plot", "f.bmp"], "the extension must be one of png, svg, pdf; got 'bmp'"),
        (["neuron", "--plot", "/dev/null"], "it is a character device"),
        (["neuron", "--plot", "."], "that names a directory"),
        (["slowdown", "--out", "f.jpeg"], "must be one of png, svg, pdf; got 'jpeg'"),
        (["slowdown", "--out", "missing/f.png"], "directory missing does not exist"),
        (["train", "--plot", "curves"], "must be one of png, svg, pdf; got ''"),
        (["train", "--plot", "x" * 300 + ".png"], "its name is 304 bytes long"),
        (["saturation", "--out", "map.gif"], "must be one of png, svg, pdf; got 'gif'"),
        (["compare", "--out", "/dev/null"], "it is a character device"),
    ],
)
def test_figure_targets_are_refused_before_computing(tmp_path, monkeypatch, capsys, args, needle):
    def never(*a, **k):
        raise AssertionError("computed before the figure's target was checked")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("xentlab.neuron.train", never)
    monkeypatch.setattr("xentlab.experiments.slowdown", never)
    monkeypatch.setattr("xentlab.experiments.saturation_map", never)
    monkeypatch.setattr("xentlab.experiments.compare", never)
    monkeypatch.setattr("xentlab.runs.prepare", never)
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_writes_svg(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "xentlab", "neuron", "--epochs", "5", "--plot", "n.svg"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "n.svg").read_bytes().startswith(b"<?xml")


def test_every_figure_renders_on_small_data(tmp_path):
    from xentlab import runs
    from xentlab.experiments import CompareSpec, compare, saturation_map, slowdown
    from xentlab.plots import (
        compare_figure,
        history_figure,
        saturation_figure,
        save,
        slowdown_figure,
        trajectory_figure,
    )

    result = runs.prepare(runs.RunSpec.of(**{"epochs": 2})).train()
    figures = {
        "slowdown.png": slowdown_figure(slowdown(epochs=50)),
        "trajectory.png": trajectory_figure(__import__("xentlab").neuron.train(2.0, 2.0)),
        "history.pdf": history_figure(
            result.history, "t", True, result.test_accuracy, result.start
        ),
        "map.svg": saturation_figure(saturation_map(points=21, epochs=50), [(2.0, 2.0)]),
        "compare.png": compare_figure(compare(CompareSpec.of(epochs=1, seeds=(1, 2)))),
    }
    for name, figure in figures.items():
        save(figure, tmp_path / name)
        written = (tmp_path / name).read_bytes()
        assert len(written) > 10_000, name
        assert written[:4] in (b"\x89PNG", b"%PDF", b"<?xm"), name


def test_the_page_gets_the_saturation_figures_colours():
    from xentlab.plots import saturation_colours

    scale, never = saturation_colours(5)
    assert len(scale) == 5 and all(len(c) == 7 and c.startswith("#") for c in scale)
    assert (scale[0], scale[-1], never) == ("#440154", "#fde725", "#d3d3d3")  # viridis, grey


def test_the_compare_figure_gives_the_first_mini_batches_room_on_a_log_scale():
    from xentlab.experiments import CompareSpec, compare
    from xentlab.plots import compare_figure

    result = compare(CompareSpec.of(init="saturated", epochs=2, seeds=(1, 2)))
    figure = compare_figure(result)
    assert [ax.get_xscale() for ax in figure.axes] == ["symlog"] * 4
    per_epoch = result.runs[0].per_epoch
    for ax in figure.axes:
        assert ax.get_xlim() == (0, 2 * per_epoch)  # the start and the last mini-batch
        assert ax.xaxis.get_transform().linthresh == 10  # linear to the first probe after 0
    bottom = [ax.get_xlabel() for ax in figure.axes[2:]]
    assert bottom == ["mini-batches (log scale above 10; dotted: the end of each epoch)"] * 2
    epoch_lines = [
        line for line in figure.axes[0].lines if list(line.get_xdata()) == [per_epoch] * 2
    ]
    assert len(epoch_lines) == 1  # the end of epoch 1; the end of epoch 2 is the axis's end
    assert [t.get_text() for t in figure.axes[1].texts] == ["epoch 1"]
    assert "lines: the median over the seeds, bands: their range" in figure.texts[0].get_text()
    # The cost panel: for each cost, a median line and a band from the lowest seed to the highest.
    costs = figure.axes[1]
    assert [line.get_label() for line in costs.lines[:1]] == ["quadratic, η = 0.5"]
    assert len(costs.collections) == 2


def test_the_learning_curves_show_the_cost_on_a_log_scale():
    from xentlab import runs
    from xentlab.plots import history_figure

    result = runs.prepare(runs.RunSpec.of(**{"epochs": 3})).train()
    figure = history_figure(result.history, "t", False, result.test_accuracy, result.start)
    cost, accuracy = figure.axes
    assert cost.get_yscale() == "log" and cost.get_ylabel() == "cost (log scale)"
    assert accuracy.get_yscale() == "linear"
    regularized = history_figure(result.history, "t", True)
    assert regularized.axes[0].get_ylabel() == "cost, with the regularisation term (log scale)"
