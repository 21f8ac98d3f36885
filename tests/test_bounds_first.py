"""Bounds first, then linear work; whatever the arguments decide, checked before the work.

Every list or range an argument names is counted before it is expanded; a sweep's size (the
product of its axes, summed over its grids) before its values; a network's training memory
before any data are read or any cluster starts; a sweep's outputs (its folder, its figure)
before any run. And an error line is never empty. (The Dask side, with a cluster, is in
test_sweep_boundaries.py; the command lines themselves in the corpus, cases/sweeps.json.)
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from xentlab import runs, sweeps
from xentlab.cli import argument_types, main, text
from xentlab.cli.commands import train as train_command
from xentlab.errors import XentlabError
from xentlab.model import MAX_NETWORK_BYTES, Network, training_bytes
from xentlab.settings import Setting
from xentlab.sweeps import SweepSpec, engine, grid, local_worker

LIMIT = argument_types.MAX_LIST_VALUES


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("xentlab"), err
    return err.strip()


# --- lists and ranges on the command line -------------------------------------------------------

LIST_TYPES = [
    (argument_types.seeds, "3"),
    (argument_types.integer_lists, "3"),
    (argument_types.numbers, "0.5"),
    (argument_types.names, "l2"),
    (argument_types.costs, "quadratic"),
    (argument_types.etas, "quadratic=3"),
    (argument_types.sizes, "5"),
    (argument_types.hidden_layers, "30"),
]


def test_no_list_a_command_uses_is_refused_the_largest_sweep_included():
    assert LIMIT == sweeps.MAX_RUNS


@pytest.mark.parametrize(("read", "value"), LIST_TYPES, ids=[t.__name__ for t, _ in LIST_TYPES])
def test_every_list_argument_is_counted_before_it_is_split(read, value):
    read(",".join([value] * LIMIT))  # as many as a command may use: accepted
    with pytest.raises(argparse.ArgumentTypeError, match=f"lists {LIMIT + 1:,} values; at most"):
        read(",".join([value] * (LIMIT + 1)))


def test_the_layers_of_one_network_are_counted_too():
    with pytest.raises(argparse.ArgumentTypeError, match="lists 10,001 values"):
        argument_types.hidden_layers(":".join(["30"] * (LIMIT + 1)))


@pytest.mark.parametrize("read", [argument_types.seeds, argument_types.integer_lists])
def test_a_range_is_measured_by_its_ends_before_it_is_expanded(read):
    """10^30 values cannot be built: only a range measured first can be refused by count."""
    with pytest.raises(argparse.ArgumentTypeError, match=r"lists 1,000,000,000,000,000,000,"):
        read("0-" + "9" * 30)
    with pytest.raises(argparse.ArgumentTypeError, match="lists 10,001 values"):
        read(f"1-{LIMIT // 2},{LIMIT}-{LIMIT + LIMIT // 2}")  # the parts are summed
    assert read("1-3,7") == (1, 2, 3, 7)
    assert read("5-1") == ()  # an empty range is the grid's to refuse, by name


@pytest.mark.parametrize(
    "argv",
    [
        ["sweep", "--seeds", "1-100000000"],  # the example: 3.6 GB before
        ["compare", "--seeds", "1-100000000"],
        ["report", "--seeds", "1-100000000"],
    ],
)
def test_a_huge_range_is_one_line_naming_the_option(capsys, argv):
    assert main(argv) == 2
    assert "argument --seeds: lists 100,000,000 values; at most 10,000" in one_error_line(capsys)


# --- a sweep's grid -----------------------------------------------------------------------------


@pytest.fixture
def counted_checks(monkeypatch):
    """How many values the settings' constraints have checked."""
    calls = []
    original = Setting.check

    def check(self, value):
        calls.append(value)
        return original(self, value)

    monkeypatch.setattr(Setting, "check", check)
    return calls


def test_a_grid_is_measured_before_any_value_is_checked(counted_checks):
    """100,000 seeds, each invalid and each repeated: the size is what is refused, and no
    value was looked at (before, each was checked, then counted against all the others)."""
    with pytest.raises(XentlabError, match="the sweep has 100,000 runs; at most 10,000"):
        SweepSpec.from_axes({"seed": [-1] * 100_000})
    assert counted_checks == []


def test_the_size_of_several_grids_is_their_sum_and_checked_first(counted_checks):
    document = {"grid": [{"seed": i} for i in range(LIMIT + 1)]}
    with pytest.raises(XentlabError, match="the sweep has 10,001 runs"):
        SweepSpec.from_document(document, where="many.json")
    assert counted_checks == []
    wide = {"seed": list(range(101)), "eta": [0.1 * k for k in range(1, 100)]}  # 9,999 runs
    assert SweepSpec.from_axes(wide).size() == 9_999


class Counted:
    """A value that counts how often it is compared."""

    comparisons = 0

    def __init__(self, n: int) -> None:
        self.n = n

    def __hash__(self) -> int:
        return hash(self.n)

    def __eq__(self, other: object) -> bool:
        Counted.comparisons += 1
        return isinstance(other, Counted) and other.n == self.n

    def __repr__(self) -> str:
        return f"v{self.n}"


def test_duplicates_are_found_in_one_pass():
    values = [Counted(n) for n in range(5_000)] + [Counted(17)]
    Counted.comparisons = 0
    assert [v.n for v in grid._repeated(values)] == [17]
    assert Counted.comparisons <= 2  # count() for each value made 25 million


def test_a_repeated_value_is_still_refused_by_name():
    with pytest.raises(XentlabError, match="seed lists 3 more than once"):
        SweepSpec.from_axes({"seed": [*range(2_000), 3]})
    with pytest.raises(XentlabError, match="eta lists 3.0 more than once"):
        SweepSpec.from_axes({"eta": [3, 0.5, 3.0]})  # 3 and 3.0 are one η


# --- memory, estimated on the client ------------------------------------------------------------


@pytest.fixture
def no_cluster(monkeypatch):
    """Fails the test if a sweep starts a cluster."""

    def refuse(*args, **kwargs):
        raise AssertionError("a cluster was started")

    monkeypatch.setattr(engine, "_cluster", refuse)
    monkeypatch.setattr(engine, "local_cluster", refuse)


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        ({"hidden": [[100000, 100000]]}, "sizes 64,100000,100000,10 in float32 would need about"),
        ({"hidden": [30, [15000, 15000]], "dtype": ["float32", "float64"]}, "in float64 would"),
        ({"hidden": [[100000] * 3], "seed": [1, 2]}, "64,100000,100000,100000,10"),
    ],
)
def test_a_network_too_large_is_refused_before_any_cluster_starts(
    tmp_path, no_cluster, axes, message
):
    spec = SweepSpec.from_axes({"epochs": 1, **axes})
    with pytest.raises(XentlabError, match=message):
        sweeps.run_sweep(spec, tmp_path / "out", confirmed=True)
    assert not (tmp_path / "out").exists()


def test_the_client_makes_the_estimate_the_worker_would(tmp_path):
    """The largest network a sweep allows is one a worker builds; one unit wider is refused
    by both alike."""

    def fits(width):
        sizes = (64, width, width, 10)
        return training_bytes(sizes, np.dtype("float64")) <= MAX_NETWORK_BYTES

    width = max(w for w in range(11_000, 12_000) if fits(w))
    for w, allowed in ((width, True), (width + 1, False)):
        spec = SweepSpec.from_axes({"hidden": [[w, w]], "dtype": "float64"})
        if allowed:
            spec.points()
        else:
            with pytest.raises(XentlabError, match="would need about"):
                spec.points()
            with pytest.raises(XentlabError, match="would need about"):
                Network.create((64, w, w, 10), dtype="float64")


def test_a_run_refuses_a_network_too_large_before_reading_its_data():
    loaded = []

    def load(*args):
        loaded.append(args)
        raise AssertionError("the data were read")

    for values in (
        {"sizes": (784, 90000, 90000, 10), "dataset": "mnist"},
        {"hidden": (90000, 90000), "dataset": "mnist"},
        {"hidden": (20000, 20000), "dtype": "float64"},
    ):
        with pytest.raises(XentlabError, match="would need about"):
            runs.prepare(runs.RunSpec.of(**values), load=load)
    assert loaded == []


# --- a sweep's outputs, before any run ----------------------------------------------------------


@pytest.fixture
def no_sweep(monkeypatch):
    """Records a sweep started instead of running it."""
    started = []

    def run_sweep(*args, **kwargs):
        started.append(args)
        raise XentlabError("the sweep started")

    monkeypatch.setattr(sweeps, "run_sweep", run_sweep)
    return started


@pytest.mark.parametrize(
    ("figure", "message"),
    [
        ("missing/sweep.png", "directory missing does not exist"),  # the example
        ("new/figures/a.png", "directory new/figures does not exist"),  # below the new folder
        ("shots.png", "cannot write figure file shots.png: it is a directory"),
    ],
)
def test_a_figure_that_could_not_be_written_is_refused_before_any_run(
    tmp_path, monkeypatch, capsys, no_sweep, figure, message
):
    monkeypatch.chdir(tmp_path)
    Path("shots.png").mkdir()
    code = main(["sweep", "--seeds", "1", "--out", "new", "--figure", figure])
    assert code == 2 and message in one_error_line(capsys)
    assert no_sweep == []


def test_a_figure_in_the_sweep_folder_still_to_be_made_is_fine(tmp_path, monkeypatch, no_sweep):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "--seeds", "1", "--out", "new", "--figure", "new/a.png"]) == 2
    assert len(no_sweep) == 1  # it got as far as the sweep


def test_a_sweep_folder_where_no_file_can_be_made_is_refused_before_any_cluster(
    tmp_path, no_cluster
):
    """/proc is a folder that root may 'write' by its permission bits; no file can be made
    there. Before, the cluster started and then the folder failed."""
    spec = SweepSpec.from_axes({"epochs": 1, "seed": 1})
    with pytest.raises(XentlabError, match="cannot create the sweep folder /proc/xentlab-sw"):
        sweeps.run_sweep(spec, "/proc/xentlab-sweep")


def test_a_sweep_folder_that_cannot_be_written_is_refused_before_any_cluster():
    """A sweep folder begun before whose runs/ can no longer be written (the summary's place
    was checked before; runs/ was not, and the cluster started first). Root writes anywhere
    permission bits forbid, so as root the sweep runs as nobody."""
    root = Path(tempfile.mkdtemp(prefix="xentlab-read-only-"))
    try:
        os.chmod(root, 0o777)  # nobody's home for the run
        folder = root / "sweep"
        spec = SweepSpec.from_axes({"epochs": 1, "seed": 1, "cost": "quadratic"})
        sweeps.SweepFolder(folder).start(spec, spec.points())  # sweep.json and runs/
        os.chmod(folder, 0o777)
        os.chmod(folder / "runs", 0o555)
        argv = ["sweep", "--seeds", "1", "--costs", "quadratic", "--epochs", "1"]
        argv += ["--workers", "1", "--out", str(folder)]
        result = run_unprivileged(argv, root)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert f"cannot write to the sweep folder {folder}: no file can be created in " in (
            result.stderr
        )
        assert "Permission denied" in result.stderr
        assert sorted(p.name for p in folder.iterdir()) == ["runs", "sweep.json"]
    finally:
        os.chmod(root / "sweep" / "runs", 0o755)
        shutil.rmtree(root)


def run_unprivileged(argv, home):
    """``xentlab argv`` in a new process: as nobody (uid 65534, through util-linux's setpriv)
    when this is root, so that permission bits hold; it refuses before any cluster, so it
    never starts one."""
    source = Path(__file__).parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": str(source), "HOME": str(home), "MPLCONFIGDIR": str(home)}
    command = [sys.executable, "-m", "xentlab", *argv]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("as root, this needs setpriv (util-linux) to run as another user")
        command = [setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups", *command]
    return subprocess.run(command, cwd=home, env=env, capture_output=True, text=True, timeout=120)


# --- an error line is never empty ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (
            XentlabError(""),
            "xentlab: error: XentlabError with no message, while running xentlab train",
        ),
        (XentlabError(" \n "), "XentlabError with no message, while running xentlab train"),
        (OSError(), "xentlab: error: OSError with no message, while running xentlab train"),
        (OSError("disk on fire"), "xentlab: error: disk on fire"),
        (OSError(5, ""), "xentlab: error: Input/output error"),  # its number's text
        (PermissionError(13, "", "net.json"), "xentlab: error: Permission denied: net.json"),
    ],
)
def test_an_error_line_is_never_empty(capsys, monkeypatch, raised, expected):
    def fail(spec):
        raise raised

    monkeypatch.setattr(train_command.runs, "prepare", fail)
    assert main(["train"]) == 2
    line = one_error_line(capsys)
    assert expected in line and line != "xentlab: error:"


def test_one_line_shows_an_empty_message_as_no_message(capsys):
    assert text.one_line("") == text.one_line("  ") == text.NO_MESSAGE
    text.error_line("")
    assert capsys.readouterr().err == f"xentlab: error: {text.NO_MESSAGE}\n"
    assert text.one_line("two\nlines") == "two\\nlines"  # as before


# --- a failed run is reported once, by the sweep ------------------------------------------------


def test_local_workers_leave_a_failed_run_to_the_sweep_to_report(caplog):
    logger = logging.getLogger(local_worker.WORKER_LOGGER)
    ctrl_c = signal.getsignal(signal.SIGINT)  # dask_setup ignores it, as a worker does
    try:
        local_worker.dask_setup(object())
        local_worker.dask_setup(object())  # a worker restarted in the same process: one filter
        assert logger.filters.count(local_worker.kept) == 1
        with caplog.at_level(logging.INFO, logger=local_worker.WORKER_LOGGER):
            logger.error("Compute Failed\nKey:       %s\n", "xentlab-run-1")
            logger.error("a worker's own trouble")
        assert [r.getMessage() for r in caplog.records] == ["a worker's own trouble"]
    finally:
        logger.removeFilter(local_worker.kept)
        signal.signal(signal.SIGINT, ctrl_c)
