"""Sweeps without a cluster: the grid and its checks, run ids, sweep files, the book's sweep,
result files, the sweep's folder, one run trained as a worker trains it, the table and the
figure. (The sweep on a Dask cluster is tested in test_sweep_cluster.py.)"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from xentlab import runs, sweeps
from xentlab.errors import FormatError, XentlabError
from xentlab.model import Network
from xentlab.sweeps import SweepSpec
from xentlab.sweeps.records import SweepFolder, read_record, write_record
from xentlab.training import EpochRecord, History

SMALL = {"cost": ["quadratic", "cross-entropy"], "eta": [0.5, 3], "seed": [1, 2], "epochs": 2}


def test_a_grid_is_every_combination_in_order_with_the_seeds_innermost():
    points = SweepSpec.from_axes(SMALL).points()
    assert len(points) == 8
    assert [(p.cost, p.config.eta, p.seed) for p in points[:4]] == [
        ("quadratic", 0.5, 1),
        ("quadratic", 0.5, 2),
        ("quadratic", 3.0, 1),
        ("quadratic", 3.0, 2),
    ]
    # What the grid does not name keeps the defaults of a run.
    point = points[0]
    assert point.sizes == (64, 30, 10) and point.init == "default" and point.dtype == "float32"
    assert point.config.batch_size == 10 and point.config.epochs == 2
    assert sweeps.varying(points) == ["cost", "eta"]


def _digest(document):
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def test_a_run_id_is_the_hash_of_what_changes_its_result_and_the_same_in_any_process():
    point = SweepSpec.from_axes(SMALL).points()[0]  # quadratic, η 0.5, seed 1, 2 epochs
    changed = {"cost": "quadratic", "epochs": 2, "seed": 1}  # η 0.5 is the default
    assert point.id == _digest({"dataset": "digits", "sizes": [64, 30, 10], **changed})
    # The first format's id, by which a folder it made keeps resuming: its whole document,
    # which had no output (a setting added since, left at its default here).
    first_format = {k: v for k, v in point.document().items() if k != "output"}
    assert point.document()["output"] is None
    assert point.legacy_id == _digest(first_format)
    code = (
        f"from xentlab.sweeps import SweepSpec;print(SweepSpec.from_axes({SMALL!r}).points()[0].id)"
    )
    elsewhere = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert elsewhere.stdout.strip() == point.id, elsewhere.stderr


def test_one_value_spelled_two_ways_is_one_run_and_another_value_another():
    def only(**axes):
        (point,) = SweepSpec.from_axes(axes).points()
        return point.id

    assert only(eta=3) == only(eta=3.0)
    assert only(lmbda=-0.0) == only(lmbda=0) == only()
    assert only(hidden=30) == only(hidden=[[30]]) == only()
    # The kernel changes rounding only, and resolves differently from machine to machine.
    assert only(kernel="numpy") == only(kernel="compiled") == only(kernel="auto") == only()
    assert len({only(), only(seed=1), only(eta=0.25), only(cost="quadratic")}) == 4
    assert SweepSpec.from_axes({}, "mnist").points()[0].id != only()


def test_grids_are_united_and_a_point_they_share_runs_once():
    spec = SweepSpec(({"eta": (0.5, 1.0)}, {"eta": (1.0, 2.0), "cost": ("cross-entropy",)}))
    assert [p.config.eta for p in spec.points()] == [0.5, 1.0, 2.0]
    assert spec.size() == 4


def test_options_given_over_a_sweep_replace_its_values_in_every_grid():
    spec = sweeps.book_spec().overridden({"epochs": 1, "seed": [7]}, "digits")
    points = spec.points()
    assert len(points) == 3 and {p.config.epochs for p in points} == {1}
    assert {p.seed for p in points} == {7} and {p.dataset for p in points} == {"digits"}
    assert [p.sizes for p in points] == [(64, 30, 10), (64, 100, 10), (64, 30, 10)]


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        ({"etaa": 1}, "unknown setting(s) 'etaa'; a sweep may vary cost, hidden,"),
        ({"eta": []}, "eta must list at least one value; got none"),
        ({"seed": ()}, "seed must list at least one value; got none"),
        ({"eta": [-1]}, "eta must be a finite number > 0; got -1"),
        ({"eta": [float("nan")]}, "eta must be a finite number; got nan"),
        ({"eta": [True]}, "eta must be a finite number; got True"),
        ({"epochs": [0]}, "epochs must be an integer >= 1; got 0"),
        ({"epochs": 100_001}, "epochs must be at most 100000"),
        ({"batch_size": [2.5]}, "batch_size must be an integer >= 1; got 2.5"),
        ({"cost": ["hinge"]}, "cost must be one of quadratic, cross-entropy, log-likelihood"),
        ({"init": "zero"}, "init must be one of default, large, saturated"),
        ({"regularization": "l3"}, "regularization must be one of l2, l1"),
        ({"hidden": [0]}, "hidden must be an integer >= 1; got 0"),
        ({"hidden": [[30, 100_001]]}, "hidden must be at most 100000"),
        ({"eta": [1, 1.0]}, "eta lists 1.0 more than once"),
        ({"early_stop": 0}, "early_stop must be an integer >= 1; got 0"),
    ],
)
def test_a_bad_grid_is_refused_naming_the_setting(axes, message):
    with pytest.raises(XentlabError) as caught:
        SweepSpec.from_axes(axes).points()
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_too_many_runs_need_confirmation_and_far_too_many_are_refused():
    spec = SweepSpec.from_axes({"seed": list(range(101))})
    sweeps.check_size(100, confirmed=False)
    with pytest.raises(sweeps.SweepTooLarge, match="the sweep has 101 runs, more than the 100"):
        sweeps.check_size(len(spec.points()), confirmed=False)
    sweeps.check_size(101, confirmed=True)
    with pytest.raises(XentlabError, match="the sweep has 11,800 runs; at most 10,000"):
        SweepSpec.from_axes({"seed": list(range(200)), "eta": [0.1 * k for k in range(1, 60)]})


def test_a_bad_data_set_or_an_empty_sweep_is_refused():
    with pytest.raises(XentlabError, match="dataset must be one of"):
        SweepSpec.from_axes({}, "cifar")
    with pytest.raises(XentlabError, match="a sweep needs at least one grid"):
        SweepSpec(())


TOML = """
dataset = "digits"
epochs = 2
seed = [1, 2]

[[grid]]
cost = "cross-entropy"
eta = [0.5, 1.0]
hidden = [30, [20, 10]]

[[grid]]
cost = "quadratic"
eta = 3
"""


def test_a_sweep_file_in_toml_or_json_describes_the_same_sweep(tmp_path):
    (tmp_path / "s.toml").write_text(TOML)
    document = {
        "dataset": "digits",
        "epochs": 2,
        "seed": [1, 2],
        "grid": [
            {"cost": "cross-entropy", "eta": [0.5, 1.0], "hidden": [30, [20, 10]]},
            {"cost": "quadratic", "eta": 3},
        ],
    }
    (tmp_path / "s.json").write_text(json.dumps(document))
    from_toml = sweeps.read_sweep_file(tmp_path / "s.toml").points()
    from_json = sweeps.read_sweep_file(tmp_path / "s.json").points()
    assert [p.id for p in from_toml] == [p.id for p in from_json]
    assert len(from_toml) == 2 * 2 * 2 + 2
    assert {p.sizes for p in from_toml} == {(64, 30, 10), (64, 20, 10, 10)}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("s.toml", "eta = [", "s.toml is not TOML"),
        ("s.json", "{", "s.json is not JSON"),
        ("s.json", '{"eta": NaN}', "s.json is not JSON"),
        ("s.json", "[1]", "s.json: a sweep must be a table of settings"),
        ("s.toml", "etaa = 1", "s.toml: unknown setting(s) 'etaa'"),
        ("s.toml", "grid = []", "s.toml: grid must hold at least one table; it is empty"),
        ("s.toml", "grid = 3", "s.toml: grid must be a list of tables of settings"),
        ("s.toml", "[[grid]]\nseeds = [1]", "s.toml: grid 1: unknown setting(s) 'seeds'"),
        (
            "s.toml",
            "[[grid]]\n[[grid]]\neta = 0",
            "s.toml: grid 2: eta must be a finite number > 0",
        ),
        ("s.toml", 'dataset = "cifar"', "s.toml: dataset must be one of"),
        ("s.toml", "eta = []", "s.toml: eta must list at least one value"),
        ("s.yaml", "eta: 1", "sweep file"),
        ("s.toml", b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_a_bad_sweep_file_is_refused_in_one_line_naming_it(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(XentlabError) as caught:
        sweeps.read_sweep_file(path).points()
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_before_python_3_11_a_toml_file_needs_tomli_and_says_so(tmp_path, monkeypatch):
    import importlib

    real = importlib.import_module

    def without_toml(name, *args):
        if name in ("tomllib", "tomli"):
            raise ModuleNotFoundError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_toml)
    (tmp_path / "s.toml").write_text("eta = 1")
    with pytest.raises(XentlabError, match="needs Python 3.11 or later, or the tomli package"):
        sweeps.read_sweep_file(tmp_path / "s.toml")
    (tmp_path / "s.json").write_text('{"eta": 1}')
    assert len(sweeps.read_sweep_file(tmp_path / "s.json").points()) == 1


def test_the_book_sweep_is_the_three_chapter_3_runs_of_the_slow_test_each_with_three_seeds():
    import test_mnist_results  # the book's configurations, as the slow test trains them

    marks = test_mnist_results.test_book_results.pytestmark
    (marker,) = [mark for mark in marks if mark.name == "parametrize"]
    configurations = [(tuple(sizes), cost, eta) for sizes, cost, eta, _ in marker.args[1]]
    points = sweeps.book_spec().points()
    assert len(points) == 9
    assert [(p.sizes, p.cost, p.config.eta) for p in points[::3]] == configurations
    for point in points:
        assert point.dataset == "mnist" and point.init == "large"  # the test's init="large"
        assert point.config.epochs == 30 and point.config.batch_size == 10
        assert point.config.lmbda == 0 and point.dtype == "float32"
    assert [p.seed for p in points] == list(test_mnist_results.SEEDS) * 3
    assert [row.accuracy for row in sweeps.BOOK_RESULTS] == [0.9549, 0.9682, 0.9542]


def record_of(point, accuracy, diverged=None):
    """A run's record without training it (the network is random; one record an epoch)."""
    from xentlab.model import Network

    network = Network.create(point.sizes, point.cost, seed=point.seed)
    epochs = range(1, point.config.epochs + 1)
    history = History([EpochRecord(e, point.config.eta, 0.5, 0.9, 0.6, 0.85, 0.1) for e in epochs])
    return sweeps.RunRecord(point, network, history, accuracy, diverged, (), {"train": 0.1})


def test_the_table_gives_mean_and_sd_over_seeds_and_marks_the_best_setting_without_divergence(
    tmp_path,
):
    points = SweepSpec.from_axes({**SMALL, "seed": [1, 2, 3]}).points()
    accuracies = {
        ("quadratic", 0.5): [0.5, 0.6, 0.7],
        ("quadratic", 3.0): [0.99, None, 0.99],  # best mean, but one seed diverged
        ("cross-entropy", 0.5): [0.9, 0.92, 0.94],
        ("cross-entropy", 3.0): [0.9, 0.91, 0.92],
    }
    records = [
        record_of(p, a, None if a is not None else "training diverged")
        for p in points
        for a in [accuracies[p.cost, p.config.eta][p.seed - 1]]
    ]
    table = sweeps.summarise(records)
    assert table.varying == ("cost", "eta")
    assert table.fixed["sizes"] == (64, 30, 10) and table.fixed["epochs"] == 2
    rows = {(r.setting["cost"], r.setting["eta"]): r for r in table.rows}
    assert rows["quadratic", 0.5].mean == pytest.approx(0.6)
    assert rows["quadratic", 0.5].sd == pytest.approx(0.1)
    assert rows["quadratic", 3.0].diverged == 1 and rows["quadratic", 3.0].mean == 0.99
    assert rows["quadratic", 3.0].sd == 0.0  # of the two seeds that finished
    assert table.best is rows["cross-entropy", 0.5] and sum(r.best for r in table.rows) == 1
    csv_path, json_path = sweeps.write_summary(table, tmp_path)
    lines = Path(csv_path).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5 and lines[0].startswith("dataset,sizes,cost,init,dtype,output,epochs")
    assert ",quadratic," in lines[2] and "0.99  0.99" in lines[2]  # the diverged seed: empty
    saved = json.loads(Path(json_path).read_text(encoding="utf-8"))
    assert saved["varying"] == ["cost", "eta"] and len(saved["rows"]) == 4
    assert saved["rows"][2]["best"] is True and saved["rows"][1]["test_accuracies"][1] is None


def test_the_figure_has_a_panel_per_lambda_and_marks_diverged_settings(tmp_path):
    from xentlab.plots import save, sweep_figure

    points = SweepSpec.from_axes({**SMALL, "lmbda": [0, 5]}).points()
    records = [
        record_of(p, None, "diverged")
        if p.config.eta == 3.0 and p.config.lmbda == 5
        else record_of(p, 0.5 + 0.1 * p.seed)
        for p in points
    ]
    figure = sweep_figure(sweeps.summarise(records))
    assert [ax.get_title() for ax in figure.axes] == ["λ = 0", "λ = 5"]
    labels = figure.axes[1].get_legend_handles_labels()[1]
    assert "quadratic: every seed diverged" in labels
    assert "cross-entropy: every seed diverged" in labels
    save(figure, tmp_path / "sweep.svg")
    assert (tmp_path / "sweep.svg").read_text().startswith("<?xml")


def test_a_run_trained_as_a_worker_trains_it_is_the_run_of_the_run_layer(tmp_path):
    point = SweepSpec.from_axes({"eta": 0.5, "epochs": 2, "seed": 3}).points()[0]
    record = sweeps.train_point(point)
    reference = runs.prepare(point.run_spec()).train()
    assert record.test_accuracy == reference.test_accuracy
    for a, b in zip(record.network.weights, reference.network.weights, strict=True):
        assert np.array_equal(a, b)
    assert record.data["dataset"] == "digits" and len(record.data["fingerprint"]) == 64
    assert set(record.seconds) == {"prepare", "train"} and "pid" in record.worker
    # Its result file reads back the same, and is a network file xentlab evaluate reads.
    write_record(record, tmp_path / f"{point.id}.json")
    again = read_record(tmp_path / f"{point.id}.json", point)
    assert again.test_accuracy == record.test_accuracy and again.diverged is None
    assert again.history == record.history and again.versions == record.versions
    for a, b in zip(again.network.weights, record.network.weights, strict=True):
        assert np.array_equal(a, b)
    _, evaluation = runs.evaluate_saved(tmp_path / f"{point.id}.json")
    assert evaluation.accuracy == record.test_accuracy


def test_runs_of_one_sweep_trained_on_other_data_files_are_said(tmp_path):
    """A sweep continued with another data folder keeps the runs made before: their result
    files record the fingerprint of the data they saw, and a difference is said."""
    from idx_tools import write_mnist_dir

    point = SweepSpec.from_axes({"epochs": 1, "hidden": [(5,)]}, "mnist").points()[0]
    folders = [write_mnist_dir(tmp_path / f"mnist-{s}", 10_010, 5, seed=s) for s in (0, 1, 0)]
    first, other, same = (sweeps.train_point(point, folder) for folder in folders)
    assert sweeps.data_disagreements([first, same]) == []
    (warning,) = sweeps.data_disagreements([first, other, same])
    assert warning.startswith("the runs of this sweep on mnist were trained on different mnist")
    # The digits split by another seed are other training data, and rightly so: nothing said.
    digits = SweepSpec.from_axes({"epochs": 1, "seed": [1, 2]}).points()
    assert sweeps.data_disagreements([sweeps.train_point(p) for p in digits]) == []


def test_a_run_that_diverges_is_a_result_that_says_where(tmp_path):
    point = SweepSpec.from_axes({"eta": 1e6, "epochs": 1}).points()[0]
    record = sweeps.train_point(point)
    assert record.test_accuracy is None and "training diverged at epoch 1" in record.diverged
    write_record(record, tmp_path / "run.json")
    assert read_record(tmp_path / "run.json", point).diverged == record.diverged


def test_a_result_file_of_another_run_or_a_changed_one_is_refused(tmp_path):
    first, second = SweepSpec.from_axes({"seed": [1, 2], "epochs": 1}).points()
    write_record(record_of(first, 0.9), tmp_path / "run.json")
    with pytest.raises(FormatError, match="holds the result of another run"):
        read_record(tmp_path / "run.json", second)
    text = (tmp_path / "run.json").read_text().replace('"worker":""', '"worker":"x"')
    (tmp_path / "run.json").write_text(text)
    with pytest.raises(FormatError, match="is corrupt: its content does not match its checksum"):
        read_record(tmp_path / "run.json", first)


def test_a_sweep_writes_only_to_a_folder_of_its_own(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(XentlabError, match="holds files but no sweep.json: it is not a sweep's"):
        SweepFolder(tmp_path / "mine").check()
    (tmp_path / "file").write_text("")
    with pytest.raises(XentlabError, match="is not a folder"):
        SweepFolder(tmp_path / "file").check()
    with pytest.raises(XentlabError, match="cannot create the sweep folder"):
        SweepFolder(tmp_path / "missing" / "sweep").check()
    spec = SweepSpec.from_axes({"epochs": 1})
    folder = SweepFolder(tmp_path / "new")
    folder.start(spec, spec.points())
    index = json.loads((tmp_path / "new" / "sweep.json").read_text())
    assert index["format"] == "xentlab.sweep" and len(index["runs"]) == 1
    assert (tmp_path / "new" / "runs").is_dir()
    folder.check()  # a sweep's folder may be used again
    (tmp_path / "new" / "sweep.json").write_text(
        (tmp_path / "new" / "sweep.json").read_text().replace("digits", "mnist")
    )
    with pytest.raises(FormatError, match="is corrupt"):
        folder.check()


def test_the_book_figure_draws_the_books_accuracy_beside_xentlabs_for_each_network(tmp_path):
    from matplotlib.lines import Line2D

    from xentlab.plots import book_figure, save

    points = sweeps.book_spec().overridden({"epochs": 1}, "digits").points()
    measured = {(30, "cross-entropy"): 0.8, (100, "cross-entropy"): 0.9, (30, "quadratic"): 0.5}
    records = {p.id: record_of(p, measured[p.sizes[1], p.cost] + p.seed / 100) for p in points}
    del records[next(p.id for p in points if p.cost == "quadratic")]  # one seed not finished
    rows = sweeps.book_rows(points, records)
    figure = book_figure(rows)
    (ax,) = figure.axes
    texts = [t.get_text() for t in ax.texts]
    assert texts == [
        "xentlab 82.00%",
        "book 95.49% (ch. 3)",
        "xentlab 92.00%",
        "book 96.82% (ch. 3)",
        "xentlab 52.50%",  # the median of seeds 2 and 3
        "book 95.42% (ch. 1)",
    ]
    diamonds = [
        (line.get_xdata()[0], line.get_ydata()[0])
        for line in ax.lines
        if isinstance(line, Line2D) and line.get_marker() == "D"
    ]
    # One diamond per network at the book's accuracy, on that network's line (top to bottom).
    assert diamonds == [
        (pytest.approx(100 * b.accuracy), len(sweeps.BOOK_RESULTS) - 1 - i)
        for i, b in enumerate(sweeps.BOOK_RESULTS)
    ]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "[64, 30, 10]\ncross-entropy, η = 0.5"  # the top line, the first row
    title = figure.texts[0].get_text()
    assert "xentlab: digits, 1 epoch, mini-batch 10, init large" in title
    assert "the book: mnist, 30 epochs, mini-batch 10, init large" in title
    save(figure, tmp_path / "book.png")
    # A network the sweep did not run still shows the book's figure, and says so.
    lone = book_figure(sweeps.book_rows([], {}))
    assert "xentlab: not in this sweep" in [t.get_text() for t in lone.axes[0].texts]
    assert "xentlab ran none of them" in lone.texts[0].get_text()


def test_a_folder_of_the_first_id_format_keeps_resuming(tmp_path):
    """A result file an earlier xentlab wrote is named by the hash of the point's whole
    document (the kernel asked for included) and records no kernel: it is found and read."""
    from xentlab.formats import save_network

    (point, other) = SweepSpec.from_axes({**SMALL, "cost": "quadratic", "eta": 0.5}).points()
    folder = SweepFolder(tmp_path / "old")
    folder.start(SweepSpec.from_axes(SMALL), [point, other])
    meta = record_of(point, 0.75).meta()
    meta["sweep"]["id"] = point.legacy_id
    del meta["sweep"]["kernel"]
    network = Network.create(point.sizes, point.cost, seed=point.seed)
    save_network(network, folder.runs / f"{point.legacy_id}.json", meta)
    assert point.legacy_id != point.id
    found = folder.finished([point, other])
    assert list(found) == [point.id] and found[point.id].test_accuracy == 0.75
    assert found[point.id].kernel is None  # it was not recorded then


def test_a_run_records_the_kernel_it_used_not_auto(tmp_path):
    (point,) = SweepSpec.from_axes({"epochs": 1, "kernel": "numpy"}).points()
    record = sweeps.train_point(point)
    assert record.kernel == "numpy"
    path = tmp_path / "run.json"
    write_record(record, path)
    assert read_record(path, point).kernel == "numpy"
    (auto,) = SweepSpec.from_axes({"epochs": 1}).points()
    assert sweeps.train_point(auto).kernel in ("numpy", "compiled")


def test_runs_that_share_their_data_and_order_go_to_a_worker_together_split_across_workers():
    from xentlab.sweeps.passes import plan_tasks

    spec = SweepSpec.from_axes(
        {"cost": ["quadratic", "cross-entropy"], "eta": [0.5, 3.0], "seed": [1, 2, 3]}
    )
    points = spec.points()
    tasks = plan_tasks(points, workers=2)
    assert sorted(len(task) for task in tasks) == [4, 4, 4]  # one pass per seed
    assert all(len({p.seed for p in task}) == 1 for task in tasks)
    assert sorted(p.id for task in tasks for p in task) == sorted(p.id for p in points)
    one_seed = [p for p in points if p.seed == 1]
    halves = plan_tasks(one_seed, workers=2)  # one group, two workers: halved
    assert [len(task) for task in halves] == [2, 2]
    assert [len(task) for task in plan_tasks(one_seed, workers=8)] == [1, 1, 1, 1]


def test_train_points_gives_each_run_the_record_it_gets_alone():
    spec = SweepSpec.from_axes(
        {"cost": ["quadratic", "cross-entropy"], "eta": [0.5, 300.0], "epochs": [2]}
    )
    points = spec.points()
    together = sweeps.worker.train_points(points)
    assert any(record.diverged for record in together)  # η = 300 diverges, alone as together
    for point, record in zip(points, together, strict=True):
        alone = sweeps.train_point(point)
        assert record.point == point and record.diverged == alone.diverged
        assert [w.tobytes() for w in record.network.weights] == [
            w.tobytes() for w in alone.network.weights
        ]
