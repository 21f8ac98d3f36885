"""Progress of long work: the library tells how far it is, the command line shows it as bars on
a terminal and as plain lines anywhere else (at most one a task per interval, timed here by a
clock of the test's own, never by sleeping), and every command that can run long shows it."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from rich.console import Console

from xentlab import neuron
from xentlab.cli import progress, render
from xentlab.cli.main import main
from xentlab.experiments import saturation_map, slowdown

ESCAPE_OR_RETURN = re.compile(r"[\r\x1b]")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def plain_console() -> tuple[Console, io.StringIO]:
    text = io.StringIO()
    return Console(file=text, force_terminal=False, width=80, soft_wrap=True), text


def lines_display(interval: float = 10.0) -> tuple[progress.Lines, FakeClock, io.StringIO]:
    out, text = plain_console()
    clock = FakeClock()
    return progress.Lines(out, "compare", interval, clock, ticking=False), clock, text


# --- the plain lines -----------------------------------------------------------------------


def test_a_line_says_what_how_far_and_how_long():
    lines, clock, text = lines_display()
    task = lines.add("run 2 of 4 (cross-entropy, seed 1)", 25_000, progress.MINI_BATCHES)
    clock.now = 62.0
    task.update(12_000)
    clock.now = 134.0
    task.update(25_000)
    task.finish()
    assert text.getvalue().splitlines() == [
        "compare: run 2 of 4 (cross-entropy, seed 1): started: 25,000 mini-batches",
        "compare: run 2 of 4 (cross-entropy, seed 1): mini-batch 12,000 of 25,000 (48%), "
        "1:02 elapsed, about 1:07 left",
        "compare: run 2 of 4 (cross-entropy, seed 1): mini-batch 25,000 of 25,000 (100%), "
        "2:14 elapsed, about 0:00 left",
        "compare: run 2 of 4 (cross-entropy, seed 1): done: 25,000 mini-batches in 2:14",
    ]


def test_no_flood_at_most_one_line_per_interval_per_task():
    lines, clock, text = lines_display(interval=10.0)
    first = lines.add("first", 1000, progress.MINI_BATCHES, announced=False)
    second = lines.add("second", 1000, progress.MINI_BATCHES, announced=False)
    for step in range(1, 1000):  # 0.1 s a mini-batch: 100 s, both tasks updated every step
        clock.now = step / 10
        first.update(step)
        second.update(step)
        lines.tick()
    said = text.getvalue().splitlines()
    for name in ("first", "second"):
        theirs = [line for line in said if line.startswith(f"compare: {name}:")]
        assert len(theirs) == 9, theirs  # at 10, 20, ..., 90 s
        elapsed = [re.search(r"(\d+:\d\d) elapsed", line).group(1) for line in theirs]
        assert elapsed == ["0:10", "0:20", "0:30", "0:40", "0:50", "1:00", "1:10", "1:20", "1:30"]


def test_a_silent_task_is_still_told_every_interval():
    lines, clock, text = lines_display(interval=10.0)
    lines.add("", 9, progress.RUNS, completed=3, announced=False)  # 3 done before this sweep
    clock.now = 9.9
    lines.tick()
    assert text.getvalue() == ""
    clock.now = 10.0
    lines.tick()
    lines.tick()
    clock.now = 15.0
    lines.tick()
    assert text.getvalue().splitlines() == [
        "compare: 3 of 9 runs finished (33%), 0:10 elapsed"  # no rate yet: no time left
    ]


def test_the_time_left_counts_only_the_work_done_while_watched():
    lines, clock, text = lines_display(interval=1.0)
    task = lines.add("", 9, progress.RUNS, completed=3, announced=False)
    clock.now = 60.0
    task.update(5)  # 2 runs a minute from here: 4 more take 2 minutes
    assert text.getvalue().splitlines() == [
        "compare: 5 of 9 runs finished (56%), 1:00 elapsed, about 2:00 left"
    ]


def test_an_unannounced_task_says_nothing_at_its_ends_and_finishing_twice_is_once():
    lines, clock, text = lines_display()
    lines.add("epoch 1 of 3", 100, progress.MINI_BATCHES, announced=False).finish()
    task = lines.add("file.gz", None, progress.BYTES)
    task.update(3 * 2**20)
    task.finish()
    task.finish()
    assert text.getvalue().splitlines() == [
        "compare: file.gz: started",
        "compare: file.gz: done: 3.0 MiB in 0:00",
    ]
    assert lines.tasks == []


def test_finished_tasks_are_not_told_again():
    lines, clock, text = lines_display(interval=1.0)
    lines.add("a", 10, progress.EPOCHS, announced=False).finish()
    clock.now = 5.0
    lines.tick()
    assert text.getvalue() == ""


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0:00"), (7.9, "0:07"), (62, "1:02"), (3723, "1:02:03")]
)
def test_durations_read_as_a_clock(seconds, shown):
    assert progress.clock_text(seconds) == shown


def test_units_say_their_amounts():
    assert progress.MINI_BATCHES.amount(1) == "1 mini-batch"
    assert progress.MINI_BATCHES.position(12_000, None) == "mini-batch 12,000"
    assert progress.RUNS.position(1, 1) == "1 of 1 run finished"
    assert progress.BYTES.position(512, 3 * 2**20) == "512 B of 3.0 MiB"


def test_the_ticker_thread_stops_with_the_display():
    out, text = plain_console()
    lines = progress.Lines(out, "x", interval=0.05)
    with lines:
        assert lines.ticker is not None and lines.ticker.is_alive()
        ticker = lines.ticker
    assert lines.ticker is None and not ticker.is_alive()


def test_a_negative_interval_is_refused():
    out, _ = plain_console()
    with pytest.raises(ValueError, match="interval must be"):
        progress.Lines(out, "x", interval=-1)


# --- which display ------------------------------------------------------------------------


def test_a_terminal_gets_bars_anything_else_lines():
    terminal = Console(file=io.StringIO(), force_terminal=True, force_interactive=True)
    assert isinstance(progress.display(terminal, "x"), progress.Bars)
    piped, _ = plain_console()
    assert isinstance(progress.display(piped, "x"), progress.Lines)
    dumb = Console(file=io.StringIO(), force_terminal=True, force_interactive=False)
    assert isinstance(progress.display(dumb, "x"), progress.Lines)


def fake_state(epoch: int, finished: bool = False) -> SimpleNamespace:
    return SimpleNamespace(epoch=epoch, finished=finished)


def test_the_runs_of_an_experiment_are_bars_on_a_terminal():
    text = io.StringIO()
    terminal = Console(file=text, force_terminal=True, force_interactive=True, width=100)
    with render.RunsProgress(terminal, 2, epochs=2) as runs:
        assert isinstance(runs.display, progress.Bars)
        (bar,) = runs.observers_for("quadratic", 1)
        bar.on_batches(fake_state(0), 50, 100)
        runs.display.progress.refresh()
        drawn = text.getvalue()
    assert "\x1b[" in drawn and "━" in drawn
    assert "run 1 of 2 (quadratic, seed 1)" in drawn and "mini-batch 50 of 200" in drawn
    assert "started" not in drawn  # lines are for output that is not a terminal


def test_the_runs_of_an_experiment_are_lines_elsewhere(monkeypatch):
    monkeypatch.setattr(progress, "INTERVAL_SECONDS", 0.0)  # every update is due
    out, text = plain_console()
    with render.RunsProgress(out, 2, epochs=2, label="report: the comparison") as runs:
        for seed in (1,):
            for cost in ("quadratic", "cross-entropy"):
                (bar,) = runs.observers_for(cost, seed)
                for epoch in range(2):
                    bar.on_batches(fake_state(epoch), 100, 100)
                    bar.on_epoch(fake_state(epoch + 1, finished=epoch == 1), None)
    said = text.getvalue()
    assert not ESCAPE_OR_RETURN.search(said)
    first = "report: the comparison: run 1 of 2 (quadratic, seed 1): "
    assert said.splitlines()[0] == first + "started: 200 mini-batches"
    assert said.splitlines()[1].startswith(first + "mini-batch 100 of 200 (50%), 0:00 elapsed")
    assert said.splitlines()[2].startswith(first + "mini-batch 200 of 200 (100%), 0:00 elapsed")
    assert said.count(": done: 200 mini-batches in 0:00") == 2
    assert "run 2 of 2 (cross-entropy, seed 1): started" in said


# --- the library tells how far it is --------------------------------------------------------


def test_a_neuron_tells_its_epochs_up_to_a_thousand_times():
    told: list[tuple[int, int]] = []
    neuron.train(2.0, 2.0, epochs=300, progress=lambda d, t: told.append((d, t)))
    assert told == [(t, 300) for t in range(1, 301)]
    told.clear()
    neuron.train(2.0, 2.0, epochs=5_500, progress=lambda d, t: told.append((d, t)))
    assert len(told) <= neuron.PROGRESS_CALLS + 1 and told[-1] == (5_500, 5_500)
    assert [d for d, _ in told] == sorted({d for d, _ in told})


def test_progress_changes_no_result():
    quiet = neuron.train(2.0, 2.0, epochs=50)
    told = neuron.train(2.0, 2.0, epochs=50, progress=lambda d, t: None)
    assert np.array_equal(quiet.w, told.w) and np.array_equal(quiet.cost, told.cost)


def test_the_saturation_map_and_the_slowdown_name_their_passes():
    passes: dict[str, list[int]] = {}
    saturation_map(points=5, epochs=40, progress=lambda p, d, t: passes.setdefault(p, []).append(d))
    assert list(passes) == ["quadratic", "cross-entropy"]
    assert all(d == sorted(d) and d[-1] <= 40 for d in passes.values())
    passes.clear()
    slowdown(epochs=20, progress=lambda p, d, t: passes.setdefault(p, []).append(d))
    assert list(passes) == [
        "quadratic at the article's η = 0.15",
        "cross-entropy at the article's η = 0.005",
        "quadratic/linear at the article's η = 0.15",
        "quadratic at the common η = 0.15",
        "cross-entropy at the common η = 0.15",
        "quadratic/linear at the common η = 0.15",
    ]
    assert all(d == list(range(1, 21)) for d in passes.values())


# --- the commands, their output not a terminal -----------------------------------------------


def assert_plain(text: str) -> None:
    assert not ESCAPE_OR_RETURN.search(text), repr(text[:300])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["compare", "--epochs", "1"],
            "compare: run 1 of 2 (quadratic, seed 1): mini-batch 10 of 108",
        ),
        (["train", "--epochs", "2"], "train: epoch 2 of 2: mini-batch 108 of 108 (100%)"),
        (["saturation", "--points", "11"], "saturation: quadratic: epoch 1 of 300 (0%)"),
        (["slowdown", "--epochs", "5"], "slowdown: cross-entropy at the common η = 0.15: epoch 5"),
        (["neuron", "--epochs", "5"], "neuron: cross-entropy, η = 0.005: epoch 3 of 5 (60%)"),
    ],
)
def test_long_work_prints_plain_progress_lines(tmp_path, monkeypatch, capsys, args, expected):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(progress, "INTERVAL_SECONDS", 0.0)  # as if each step took 10 s
    assert main(args) == 0
    out = capsys.readouterr().out
    assert expected in out
    assert_plain(out)


def test_train_still_prints_one_line_per_epoch_and_nothing_else_when_quick(tmp_path, capsys):
    assert main(["train", "--epochs", "3", "--save", str(tmp_path / "net.json")]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith("training: [64, 30, 10] on digits")
    assert [line.split()[1] for line in said[1:4]] == ["1/3", "2/3", "3/3"]
    assert said[4].startswith("done after 3 epochs") and said[5].startswith("network saved")
    assert len(said) == 6  # no bar's remains, no empty line


def test_neuron_json_keeps_stdout_for_the_json(monkeypatch, capsys):
    monkeypatch.setattr(progress, "INTERVAL_SECONDS", 0.0)
    assert main(["neuron", "--epochs", "4", "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("{") and "epoch 4 of 4" not in captured.out
    assert "neuron: cross-entropy, η = 0.005: epoch 4 of 4" in captured.err


def test_fetch_says_each_file_it_downloads(tmp_path, monkeypatch, capsys):
    from xentlab import data

    def fetch(name, dest, progress, on_download):
        for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
            on_download(f"https://mirror.example/{stem}.gz")
            progress(1024, 2048)
            progress(2048, 2048)
        return tmp_path

    monkeypatch.setattr(data, "fetch", fetch)
    assert main(["data", "fetch", "mnist", "--dest", str(tmp_path)]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said == [
        "data fetch mnist: train-images-idx3-ubyte.gz: started",
        "data fetch mnist: train-images-idx3-ubyte.gz: done: 2.0 KiB in 0:00",
        "data fetch mnist: train-labels-idx1-ubyte.gz: started",
        "data fetch mnist: train-labels-idx1-ubyte.gz: done: 2.0 KiB in 0:00",
        f"mnist is in {tmp_path} (checksums verified)",
    ]


def test_a_piped_compare_says_each_run_start_and_end_in_plain_text(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "xentlab", "compare", "--epochs", "1", "--probe-every", "50"],
        cwd=tmp_path,
        capture_output=True,  # stdout a pipe, not a terminal
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert_plain(done.stdout)
    said = done.stdout.splitlines()
    for run, what in ((1, "quadratic"), (2, "cross-entropy")):
        prefix = f"compare: run {run} of 2 ({what}, seed 1): "
        assert prefix + "started: 108 mini-batches" in said
        assert any(line.startswith(prefix + "done: 108 mini-batches in ") for line in said)


def test_fetch_says_done_only_of_the_files_it_got(tmp_path, monkeypatch, capsys):
    from xentlab import data
    from xentlab.errors import XentlabError

    def fetch(name, dest, progress, on_download):
        on_download("https://dead.example/train-images-idx3-ubyte.gz")
        progress(1024, 4096)  # ... and the connection drops: the next mirror
        on_download("https://mirror.example/train-images-idx3-ubyte.gz")
        progress(4096, 4096)
        on_download("https://mirror.example/train-labels-idx1-ubyte.gz")
        raise XentlabError("could not fetch train-labels-idx1-ubyte.gz")

    monkeypatch.setattr(data, "fetch", fetch)
    assert main(["data", "fetch", "mnist", "--dest", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "data fetch mnist: train-images-idx3-ubyte.gz: started",
        "data fetch mnist: train-images-idx3-ubyte.gz: started",
        "data fetch mnist: train-images-idx3-ubyte.gz: done: 4.0 KiB in 0:00",
        "data fetch mnist: train-labels-idx1-ubyte.gz: started",
    ]
    assert captured.err == "xentlab: error: could not fetch train-labels-idx1-ubyte.gz\n"
