"""Every file a command writes goes where the user said: beside the file named (or into the one
folder named), never into the current folder; and the command lists every file it wrote.

Each command runs from an empty current folder with its outputs named in a subfolder, out/;
afterwards the current folder holds out/ alone, and each file in out/ (or the folder that holds
it, for a sweep's runs/) is named in what the command printed."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

from xentlab import runs
from xentlab.cli.commands import build_parser
from xentlab.cli.commands.sweep import BOOK_OUT, DEFAULT_OUT
from xentlab.cli.commands.train import INTERRUPT_CHECKPOINT, INTERRUPT_SUFFIX
from xentlab.cli.main import main
from xentlab.files import beside
from xentlab.formats import load_checkpoint
from xentlab.report.texts import REPORT_FORMATS


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    """An empty current folder with an empty out/ in it."""
    folder = tmp_path / "cwd"
    (folder / "out").mkdir(parents=True)
    monkeypatch.chdir(folder)
    return folder


def written(cwd: Path) -> list[str]:
    """The files now in the current folder, as paths relative to it; the folder must hold out/
    alone."""
    assert sorted(p.name for p in cwd.iterdir()) == ["out"], "written outside out/"
    return sorted(str(p.relative_to(cwd)) for p in (cwd / "out").rglob("*") if p.is_file())


def run(capsys, *args: str) -> tuple[int, str]:
    """Run the command; its exit code and all it printed (stdout and stderr)."""
    code = main(list(args))
    printed = capsys.readouterr()
    return code, printed.out + printed.err


def assert_listed(files: list[str], printed: str) -> None:
    for file in files:
        assert file in printed, f"{file} was written but not listed:\n{printed}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["neuron", "--epochs", "20", "--plot", "out/n.png"], ["out/n.png"]),
        (["neuron", "--epochs", "20", "--json", "--plot", "out/n.svg"], ["out/n.svg"]),
        (["slowdown", "--epochs", "50", "--out", "out/s.png"], ["out/s.png"]),
        (["saturation", "--points", "21", "--out", "out/m.pdf"], ["out/m.pdf"]),
        (
            ["compare", "--epochs", "1", "--probe-every", "50", "--out", "out/cmp.png"],
            ["out/cmp.csv", "out/cmp.json", "out/cmp.png"],
        ),
        (
            [
                *("compare", "--epochs", "1", "--probe-every", "50", "--out", "out/c.svg"),
                *("--json", "out/data.json"),
            ],
            ["out/c.csv", "out/c.svg", "out/data.json"],  # an explicit place is honoured
        ),
    ],
    ids=["neuron", "neuron-json", "slowdown", "saturation", "compare", "compare-json"],
)
def test_an_experiment_writes_only_where_it_was_told_and_lists_it(cwd, capsys, args, expected):
    code, printed = run(capsys, *args)
    assert code == 0, printed
    assert written(cwd) == expected
    assert_listed(expected, printed)


def test_compare_puts_its_data_beside_its_figure_even_in_a_folder_of_the_same_names(cwd, capsys):
    """The report of issue 17: --out cmp-mnist/compare.png wrote compare.json (and .csv) into
    the current folder, over the last ones."""
    (cwd / "compare.json").write_text("the last comparison's data")
    (cwd / "out" / "cmp").mkdir()
    code, printed = run(capsys, "compare", "--epochs", "1", "--out", "out/cmp/compare.png")
    assert code == 0, printed
    assert (cwd / "compare.json").read_text() == "the last comparison's data"
    (cwd / "compare.json").unlink()
    expected = ["out/cmp/compare.csv", "out/cmp/compare.json", "out/cmp/compare.png"]
    assert written(cwd) == expected
    assert_listed(expected, printed)


@pytest.mark.parametrize("form", ["md", "html"])
def test_the_report_and_its_figures_go_where_it_is_named(cwd, capsys, form):
    args = ["report", "--dataset", "digits", "--epochs", "1", "--format", form]
    code, printed = run(capsys, *args, "--out", f"out/r.{form}")
    assert code == 0, printed
    figures = ["out/r-compare.png", "out/r-saturation.png", "out/r-slowdown.png"]
    expected = sorted([f"out/r.{form}", *(figures if form == "md" else [])])
    assert written(cwd) == expected
    assert_listed(expected, printed)


def test_train_and_export_write_only_the_files_named_and_list_them(cwd, capsys):
    train = ["train", "--epochs", "2", "--seed", "2", "--save", "out/net.json"]
    code, printed = run(capsys, *train, "--plot", "out/curves.png", "--checkpoint", "out/run.ckpt")
    assert code == 0, printed
    expected = ["out/curves.png", "out/net.json", "out/run.ckpt"]
    assert written(cwd) == expected
    assert_listed(expected, printed)
    code, printed = run(capsys, "export", "out/net.json", "--to", "out/net.safetensors")
    assert code == 0, printed
    assert written(cwd) == sorted([*expected, "out/net.safetensors"])
    assert_listed(["out/net.safetensors"], printed)


class StopAtOnce(runs.StopRequest):
    """A stop request made before training starts, as a Ctrl-C at the first mini-batch."""

    def __init__(self) -> None:
        super().__init__()
        self.request()


@pytest.mark.parametrize(
    ("named", "checkpoint"),
    [
        (["--save", "out/net.json", "--plot", "out/curves.png"], "out/net-interrupted.ckpt"),
        (["--plot", "out/curves.svg"], "out/curves-interrupted.ckpt"),
        ([], "interrupted.ckpt"),
    ],
)
def test_a_run_stopped_without_a_checkpoint_is_saved_beside_the_files_named(
    cwd, capsys, monkeypatch, named, checkpoint
):
    monkeypatch.setattr(runs, "StopRequest", StopAtOnce)
    code, printed = run(capsys, "train", "--epochs", "3", *named)
    assert code == 130, printed
    assert f"saved to {checkpoint}" in printed
    state, _ = load_checkpoint(cwd / checkpoint)
    assert state.epoch == 0 and not state.finished  # stopped in its first epoch
    if named:
        assert written(cwd) == [checkpoint]
    else:  # nothing named: the current folder, as before
        assert sorted(p.name for p in cwd.iterdir()) == ["interrupted.ckpt", "out"]


def test_a_sweep_writes_into_its_folder_and_lists_what_it_wrote(cwd, capsys):
    pytest.importorskip("distributed")
    args = ["sweep", "--costs", "cross-entropy", "--seeds", "1", "--epochs", "1"]
    code, printed = run(capsys, *args, "--workers", "1", "--out", "out/sweep")
    assert code == 0, printed
    files = written(cwd)
    assert "out/sweep/sweep.png" in files and len(files) == 5, files
    for file in files:  # each result file is listed by its folder
        assert file in printed or (
            file.startswith("out/sweep/runs/") and "out/sweep/runs" in printed
        )
    assert "1 result file in out/sweep/runs" in printed


@pytest.mark.parametrize(
    ("path", "suffix", "expected"),
    [
        ("cmp-mnist/compare.png", ".json", "cmp-mnist/compare.json"),
        ("compare.png", ".csv", "compare.csv"),
        ("runs/net.json", "-interrupted.ckpt", "runs/net-interrupted.ckpt"),
        ("/tmp/a.b/c", ".json", "/tmp/a.b/c.json"),
        (Path("x/net.v2.json"), ".csv", "x/net.v2.csv"),
    ],
)
def test_a_file_beside_another_is_in_its_folder_and_named_after_it(path, suffix, expected):
    assert beside(path, suffix) == expected


GITIGNORE = Path(__file__).parent.parent / ".gitignore"


def ignored(name: str, patterns: list[str]) -> bool:
    """Whether git ignores ``name`` (a file, or a folder if it ends in /) in the repository's
    top folder, by the simple patterns of .gitignore (the last matching pattern decides)."""
    verdict = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").lstrip("/")
        if pattern.endswith("/") and not name.endswith("/"):
            continue
        if fnmatch.fnmatchcase(name.rstrip("/"), pattern.rstrip("/")):
            verdict = not negated
    return verdict


def test_gitignore_covers_what_the_commands_write_by_default():
    if not GITIGNORE.is_file():
        pytest.skip("no .gitignore: not a clone of the repository")
    lines = GITIGNORE.read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    parser = build_parser()
    defaults = [
        parser.parse_args([command]).out for command in ("slowdown", "saturation", "compare")
    ]
    defaults += [beside(defaults[-1], ".json"), beside(defaults[-1], ".csv")]
    defaults += [f"report.{form}" for form in REPORT_FORMATS]
    defaults += ["report-slowdown.png", "report-saturation.png", "report-compare.png"]
    defaults += [INTERRUPT_CHECKPOINT, beside("net.json", INTERRUPT_SUFFIX), "run.ckpt"]
    defaults += ["net.json", "net.safetensors", "trajectory.json", "quadratic.png"]
    defaults += [f"{DEFAULT_OUT}/", f"{BOOK_OUT}/", "bench-results/"]
    assert [name for name in defaults if not ignored(name, patterns)] == []
    # ... and nothing of the project's own is ignored.
    kept = ["docs/slowdown.png", "tests/corpus/files/a.ckpt", "README.md", "pyproject.toml"]
    assert [name for name in kept if ignored(name, patterns)] == []
