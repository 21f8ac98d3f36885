"""Every table the CLI prints fits 80 columns and never cuts a cost name or a number: each
table builder on realistic data (the longest cost names, MNIST-sized counts, negative numbers
in e-notation), the layout mechanism itself, and the real commands with COLUMNS=80."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from rich.cells import cell_len
from rich.console import Console

from xentlab import neuron, sweeps
from xentlab.cli import text
from xentlab.cli.commands import compare as compare_command
from xentlab.cli.commands import sweep as sweep_command
from xentlab.cli.commands.compare import compare_table
from xentlab.cli.commands.evaluate import confusion_table
from xentlab.cli.commands.neuron import trajectory_table
from xentlab.cli.commands.saturation import saturation_summary
from xentlab.cli.commands.slowdown import slowdown_tables
from xentlab.cli.commands.sweep import book_table, sweep_table
from xentlab.cli.main import main
from xentlab.cli.tables import TABLE_WIDTH, Column, FittedTable, wrap
from xentlab.experiments import (
    TARGET_ACCURACIES,
    CompareResult,
    CompareSpec,
    saturation_map,
    slowdown,
)
from xentlab.experiments.compare import CostRun
from xentlab.runs import Evaluation
from xentlab.training import EpochRecord, History
from xentlab.training.probes import ProbeRecord

XENTLAB = [sys.executable, "-m", "xentlab"]
RULES = "│┃|"  # the vertical rules between cells (the last: an ASCII terminal's)
COSTS = ("quadratic", "cross-entropy", "log-likelihood")


def printed(*tables: FittedTable, width: int = TABLE_WIDTH) -> str:
    """The tables as a console of ``width`` columns prints them; the same as the CLI's console
    prints them (it never wraps or crops a line): nothing relies on cropping."""
    texts = []
    for soft_wrap in (False, True):
        console = Console(width=width, record=True, soft_wrap=soft_wrap)
        for table in tables:
            console.print(table)
        texts.append(console.export_text())
    assert texts[0] == texts[1]
    return texts[0]


def fragments(text: str) -> list[str]:
    """The text of each cell line (and of each title and legend line), stripped."""
    return [part.strip() for line in text.splitlines() for part in re.split(f"[{RULES}]", line)]


def assert_fits(text: str, tables: list[FittedTable]) -> None:
    """``text`` fits 80 columns, shows no ellipsis, and holds every cell of ``tables``: a cell
    of a column that never breaks as one piece, on its own in its place; the other cells, the
    title and the legend word by word, each word (a cost name, a number) whole."""
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) <= TABLE_WIDTH, text
    assert "…" not in text and "..." not in text
    found = fragments(text)
    words = {word for fragment in found for word in fragment.split()}
    for table in tables:
        for i, column in enumerate(table.columns):
            for row in table.rows:
                for line in row[i].split("\n"):
                    if not column.breaks:
                        assert line in found, f"{line!r} is not whole in\n{text}"
                    for word in line.split():
                        assert word in words, f"{word!r} is cut in\n{text}"
        for word in [*table.title.split(), *" ".join(table.legend).split()]:
            assert word in words or any(word in line for line in lines), word


def assert_printed(output: str, tables: list[FittedTable]) -> None:
    """A command's ``output`` holds ``tables`` as an 80-column console prints them, and they
    fit (the lines around them, "figure written to ...", are not tables)."""
    expected = printed(*tables)
    assert expected in output, output
    assert_fits(expected, tables)


def box_lines_line_up(text: str) -> None:
    """Within each table, every line of its box is as wide as its top border."""
    width = None
    for line in text.splitlines():
        if line[:1] in "┏┌+":
            width = cell_len(line)
        elif width is not None and line[:1] in "┃│┡├└+|":
            assert cell_len(line) == width, text
        else:
            width = None


# --- realistic data for each table --------------------------------------------------------


def compare_result(costs=COSTS, seeds=(1, 2, 3), per_epoch=5000, epochs=5) -> CompareResult:
    """A comparison shaped like MNIST's ([784, 30, 10], 5,000 mini-batches an epoch): the
    quadratic cost late by ×10 and more, log-likelihood fastest, 90% not reached by all."""
    reach = {"quadratic": (2490, 24990, None), "cross-entropy": (240, 2450, 9990)}
    reach["log-likelihood"] = (230, 2200, 21990)
    runs = []
    for seed in seeds:
        for cost in costs:
            probes = []
            for target, batches in zip(TARGET_ACCURACIES, reach[cost], strict=True):
                if batches is not None:
                    probes.append(
                        ProbeRecord(
                            batches + seed - 1, 0.0, 0.1, target, 0.0, 0.0, (0.1, 0.1), (1.0, 1.0)
                        )
                    )
            history = History([EpochRecord(1, 0.5, 0.5, 0.9, 0.6, 0.85, 0.1)])
            runs.append(
                CostRun(cost, seed, 0.5, per_epoch, tuple(probes), history, 0.9512 - seed / 1e4)
            )
    spec = CompareSpec.of(
        costs=costs,
        eta={
            cost: eta
            for cost, eta in {
                "quadratic": 3.0,
                "cross-entropy": 0.5,
                "log-likelihood": 0.005,
            }.items()
            if cost in costs
        },
        dataset="mnist",
        init="saturated",
        seeds=seeds,
        epochs=epochs,
    )
    return CompareResult(spec, tuple(runs), (784, 100, 10))


def record_of(point, accuracy, seconds=12.5):
    from xentlab.model import Network

    network = Network.create(point.sizes, point.cost, seed=point.seed)
    history = History([EpochRecord(1, point.config.eta, 0.5, 0.9, 0.6, 0.85, 0.1)])
    diverged = None if accuracy is not None else "training diverged"
    return sweeps.RunRecord(point, network, history, accuracy, diverged, (), {"train": seconds})


def sweep_records(axes):
    points = sweeps.SweepSpec.from_axes(axes).points()
    accuracy = [0.9549, 0.9012, None, 0.1135, 0.9682, 0.9542, 0.0980, 0.9321]
    return [record_of(p, accuracy[i % len(accuracy)], 0.9 + 131 * i) for i, p in enumerate(points)]


def book_records():
    points = sweeps.book_spec().points()
    accuracy = [0.9549, 0.9531, 0.9562, 0.9682, 0.9677, 0.9690, 0.9542, None, 0.9511]
    records = {p.id: record_of(p, a) for p, a in zip(points, accuracy, strict=True) if a}
    return points, records


def every_table() -> dict[str, list[FittedTable]]:
    """Each table builder of the CLI, on data such as the commands produce."""
    far = neuron.train(-4.5, 7.25, x=1.0, y=1.0, cost="quadratic", eta=0.15, epochs=2000)
    confusion = np.full((10, 10), 7, dtype=np.int64) + np.diag(np.arange(1000, 1010) * 6)
    wide_axes = {"cost": list(COSTS[:2]), "eta": [0.005, 3], "lmbda": [0, 5], "seed": [1, 2, 3]}
    table = sweeps.summarise(sweep_records(wide_axes))
    narrow = sweeps.summarise(sweep_records({"eta": [0.05, 0.2, 1, 4], "seed": [1, 2]}))
    points, records = book_records()
    return {
        "slowdown": slowdown_tables(slowdown(epochs=300), 300),
        "neuron": [trajectory_table(far, 1.0, 1.0)],
        "saturation": [saturation_summary(saturation_map(points=21))],
        "confusion": [confusion_table(Evaluation("fashion-mnist", "training", confusion))],
        "compare": [compare_table(compare_result(), TARGET_ACCURACIES)],
        "compare, two costs": [
            compare_table(compare_result(COSTS[:2], seeds=(1,)), TARGET_ACCURACIES)
        ],
        "sweep": [sweep_table(table, "mnist"), sweep_table(narrow, "mnist")],
        "book": [book_table(sweeps.book_rows(points, records))],
    }


TABLES = every_table()


@pytest.mark.parametrize("name", list(TABLES))
@pytest.mark.parametrize("width", [80, 120])
def test_every_table_fits_80_columns_and_cuts_nothing(name, width):
    text = printed(*TABLES[name], width=width)
    assert_fits(text, TABLES[name])
    box_lines_line_up(text)
    assert printed(*TABLES[name], width=80) == text  # the same table on any wide console


def test_the_costs_numbers_and_e_notation_are_whole_where_they_used_to_be_cut():
    slowdown_text = printed(*TABLES["slowdown"])
    for whole in ("quadratic", "cross-entropy", "-4.50e-03", "-9.05e-05", "not within 300"):
        assert whole in slowdown_text
    compare_text = printed(*TABLES["compare"])
    assert "log-likelihood" in compare_text and "24991" in compare_text
    assert "×11.4" in compare_text  # the quadratic cost's 24991 mini-batches over 2201
    assert "×N: N times the mini-batches the fastest cost needed" in compare_text


def test_a_table_too_wide_is_split_each_part_repeating_the_keys():
    text = printed(*TABLES["slowdown"][:1])
    headers = [line for line in text.splitlines() if line.startswith("┃")]
    # three parts: the keys (the cost column as wide as "quadratic/linear") leave 80 columns
    # room for two more at a time
    assert sum("cost" in line and "η" in line for line in headers) == 3
    assert any("first a < 0.5" in line for line in headers)
    assert any("ΔC epoch 1" in line for line in headers)
    confusion = printed(*TABLES["confusion"])
    assert len([line for line in confusion.splitlines() if line.startswith("┏")]) == 1


def test_cells_break_only_where_their_column_allows():
    text = printed(*TABLES["compare"])
    assert "(5.00 epochs, ×11.4)" in fragments(text)  # under its 24991 (a median of seeds)
    # a censored median stays whole: never ">" apart from its number
    assert "> 25000" in fragments(text) and "(> 5.00 epochs)" in fragments(text)
    sweep = printed(TABLES["sweep"][0])
    assert "90.12% -" in fragments(sweep) or "90.12% - 90.12%" in fragments(sweep)


def test_text_wraps_between_phrases_and_keeps_brackets_whole():
    title = "one neuron, x = 1, y = 0, 201 x 201 starts (w, b) in [-6, 6]², η = 0.15: epochs"
    assert wrap(title, 70) == [
        "one neuron, x = 1, y = 0, 201 x 201 starts (w, b) in [-6, 6]²,",
        "η = 0.15: epochs",
    ]
    assert wrap("start (w, b)", 8) == ["start", "(w, b)"]
    assert wrap("a\nb c", 80) == ["a", "b c"]
    assert wrap("(a long bracket)", 6) == ["(a", "long", "bracket)"]  # wider than a line


def test_a_narrow_terminal_gets_a_wider_table_rather_than_a_cut_one():
    table = FittedTable("t", [Column("cost", key=True), Column("ΔC epoch 1")])
    table.add_row("cross-entropy", "-4.50e-03")
    console = Console(width=20, record=True, soft_wrap=True)
    console.print(table)
    text = console.export_text()
    assert "cross-entropy" in fragments(text) and "-4.50e-03" in fragments(text)


def test_a_terminal_without_unicode_gets_aligned_ascii_tables():
    """η is measured as the "eta" such a terminal shows, so the columns still line up."""
    tables = [*TABLES["sweep"], *TABLES["compare"], *TABLES["slowdown"]]
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors=text.ERROR_HANDLER)
    console = Console(file=stream, width=80, record=True, soft_wrap=True)
    for table in tables:
        console.print(table)
    plain = console.export_text()
    assert plain.isascii() and "eta" in plain and "+/-" in plain and "x11.4" in plain
    assert max(map(len, plain.splitlines())) <= 80 and "..." not in plain
    box_lines_line_up(plain)


def test_a_row_needs_one_cell_a_column_and_breaks_one_space():
    table = FittedTable("t", [Column("a"), Column("b")])
    with pytest.raises(ValueError, match="a row needs 2 cells, not 1"):
        table.add_row("x")
    with pytest.raises(ValueError, match="breaks must hold one space"):
        Column("c", breaks="--")


# --- the real commands ----------------------------------------------------------------------


def run_at_80(*args, cwd):
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        [*XENTLAB, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_commands_print_tables_that_fit_80_columns(tmp_path):
    slowdown_text = run_at_80("slowdown", cwd=tmp_path)
    assert_printed(slowdown_text, slowdown_tables(slowdown(epochs=300), 300))
    neuron_text = run_at_80("neuron", "--w", "-4.5", "--b", "7.25", "--y", "1", cwd=tmp_path)
    trajectory = neuron.train(-4.5, 7.25, 1.0, 1.0, cost="cross-entropy", eta=0.005, epochs=300)
    assert_printed(neuron_text, [trajectory_table(trajectory, 1.0, 1.0)])
    saturation_text = run_at_80("saturation", "--points", "41", cwd=tmp_path)
    assert_printed(saturation_text, [saturation_summary(saturation_map(points=41))])
    run_at_80("train", "--epochs", "1", "--save", "net.json", cwd=tmp_path)
    evaluate_text = run_at_80("evaluate", "net.json", "--split", "train", cwd=tmp_path)
    from xentlab.runs import evaluate_saved

    _, evaluation = evaluate_saved(tmp_path / "net.json", split="train")
    assert_printed(evaluate_text, [confusion_table(evaluation)])


def test_compare_prints_a_table_that_fits_80_columns_and_explains_its_ratios(
    tmp_path, monkeypatch, capsys
):
    shown = []
    builder = compare_table
    monkeypatch.setattr(
        compare_command, "compare_table", lambda *a: shown.append(builder(*a)) or shown[-1]
    )
    monkeypatch.chdir(tmp_path)
    costs = ",".join(COSTS)
    eta = "quadratic=3,cross-entropy=0.5,log-likelihood=0.5"
    assert main(["compare", "--costs", costs, "--eta", eta]) == 0
    assert_printed(capsys.readouterr().out, shown)
    assert "×N: N times the mini-batches the fastest cost needed" in printed(*shown)
    # The same comparison again, as a command whose output goes to a file, with COLUMNS=80.
    assert_printed(run_at_80("compare", "--costs", costs, "--eta", eta, cwd=tmp_path), shown)


def test_the_sweep_and_the_book_print_tables_that_fit_80_columns(tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed", reason="the sweep needs dask: pip install '.[sweep]'")
    shown = []
    for name in ("sweep_table", "book_table"):
        builder = getattr(sweep_command, name)
        monkeypatch.setattr(
            sweep_command, name, lambda *a, b=builder: shown.append(b(*a)) or shown[-1]
        )
    argv = ["sweep", "--book", "--dataset", "digits", "--epochs", "1", "--seeds", "1"]
    assert main([*argv, "--workers", "1", "--out", str(tmp_path / "book")]) == 0
    assert len(shown) == 2
    assert_printed(capsys.readouterr().out, shown)


def test_a_real_80_column_terminal_gets_the_same_tables(tmp_path):
    """On a terminal (a pseudo-terminal of 80 columns) the console takes the terminal's width;
    the tables are those printed into a file."""
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm"
    process = subprocess.Popen(
        [*XENTLAB, "slowdown"], cwd=tmp_path, stdout=follower, stderr=subprocess.DEVNULL, env=env
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command is done
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output.decode()).replace("\r\n", "\n")
    # what the transient progress bars drew before the tables is erased on a real terminal
    assert text[text.index("one neuron, x = 1") :] == run_at_80("slowdown", cwd=tmp_path)
