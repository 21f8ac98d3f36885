"""Nothing that is not xentlab's is replaced without asking: every output of every command
replaces an existing file only when xentlab wrote it as a file of the same kind (a network, a
checkpoint, a figure, a report, a comparison's data), or with --force; otherwise the command
refuses in one line, before any work, and the file is left byte for byte. A target that cannot
be written (/proc, say) is refused before the work too, and no message names a temporary
file."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from xentlab import files, plots, runs
from xentlab.cli import main
from xentlab.errors import XentlabError
from xentlab.files import atomic_write, check_output_target, written_by_xentlab
from xentlab.formats import save_checkpoint, save_network, save_safetensors
from xentlab.model import Network
from xentlab.training import TrainConfig, TrainState

NOTES = b'{"my": "notes", "not": "a network"}\n'
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # an image, but not one xentlab drew
NETWORK = Network.create([64, 5, 10], seed=0)


def work_never_starts(monkeypatch):
    """Every command's work fails the test if it begins: loading data, training, the
    experiments, reading the network to export, the sweep."""

    def never(*args, **kwargs):
        raise AssertionError("the work began before the outputs were checked")

    for where in (
        "xentlab.runs.training_run.load_dataset",
        "xentlab.experiments.compare",
        "xentlab.experiments.slowdown",
        "xentlab.experiments.saturation_map",
        "xentlab.neuron.train",
        "xentlab.runs.network_files.load_saved_network",
        "xentlab.sweeps.run_sweep",
    ):
        monkeypatch.setattr(where, never)


# (what the user's file is, the command with {target} for it, the kind named in the refusal)
REFUSALS = [
    ("notes.json", NOTES, ["train", "--save", "{target}"], "network"),
    ("notes.safetensors", NOTES, ["train", "--save", "{target}"], "network"),
    ("run.ckpt", NOTES, ["train", "--checkpoint", "{target}"], "checkpoint"),
    ("photo.png", PHOTO, ["train", "--plot", "{target}"], "figure"),
    ("notes.json", NOTES, ["export", "net.json", "--to", "{target}"], "network"),
    ("photo.png", PHOTO, ["neuron", "--plot", "{target}"], "figure"),
    ("photo.png", PHOTO, ["slowdown", "--out", "{target}"], "figure"),
    ("photo.png", PHOTO, ["saturation", "--out", "{target}"], "figure"),
    ("photo.png", PHOTO, ["compare", "--out", "{target}"], "figure"),
    ("notes.json", NOTES, ["compare", "--json", "{target}"], "data"),
    ("notes.csv", b"a,b\n1,2\n", ["compare", "--csv", "{target}"], "data"),
    ("notes.html", b"<html>mine</html>", ["report", "--out", "{target}"], "report"),
    ("notes.md", b"# my notes\n", ["report", "--format", "md", "--out", "{target}"], "report"),
    ("r-saturation.png", PHOTO, ["report", "--format", "md", "--out", "r.md"], "figure"),
    ("photo.png", PHOTO, ["sweep", "--figure", "{target}"], "figure"),
]


@pytest.mark.parametrize(
    ("name", "content", "argv", "kind"),
    REFUSALS,
    ids=[
        f"{argv[0]} {argv[-2] if '{target}' in argv else 'md'} {kind}"
        for _, _, argv, kind in REFUSALS
    ],
)
def test_a_file_of_the_users_is_refused_before_any_work(
    tmp_path, monkeypatch, capsys, name, content, argv, kind
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(content)
    work_never_starts(monkeypatch)
    args = [a.replace("{target}", name) for a in argv]
    assert main(args) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        f"xentlab: error: cannot write {kind} file {name}: it exists and is not a {kind} file "
        "xentlab wrote; give another name, or add --force to replace it"
    )
    assert (tmp_path / name).read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing else written


def test_xentlabs_files_of_another_kind_are_not_replaced_either(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save_network(NETWORK, "net.json")
    save_checkpoint(TrainState.start(NETWORK, TrainConfig()), "run.ckpt", {"n": 10})
    work_never_starts(monkeypatch)
    for argv, needle in [
        (["train", "--save", "run.ckpt"], "network file run.ckpt: it exists and is not a network"),
        (["train", "--checkpoint", "net.json"], "it exists and is not a checkpoint file"),
        (["compare", "--json", "net.json"], "it exists and is not a data file"),
        (["slowdown", "--out", "net.json"], "it exists and is not a figure file"),
    ]:
        assert main(argv) == 2
        assert needle in capsys.readouterr().err


def test_force_replaces_the_users_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.json").write_bytes(NOTES)
    (tmp_path / "photo.png").write_bytes(PHOTO)
    assert main(["train", "--epochs", "1", "--save", "notes.json", "--plot", "photo.png"]) == 2
    argv = ["train", "--epochs", "1", "--save", "notes.json", "--plot", "photo.png", "--force"]
    assert main(argv) == 0
    assert written_by_xentlab("notes.json", "network")
    assert written_by_xentlab("photo.png", "figure")


def test_each_command_replaces_its_own_outputs_of_a_run_before(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert main(["train", "--epochs", "1", "--save", "n.json", "--checkpoint", "r.ckpt"]) == 0
        assert main(["train", "--epochs", "1", "--save", "n.safetensors", "--plot", "c.svg"]) == 0
        assert main(["export", "n.json", "--to", "e.safetensors"]) == 0
        assert main(["neuron", "--epochs", "3", "--plot", "n.pdf"]) == 0
        compare = ["compare", "--epochs", "1", "--probe-every", "100", "--sizes", "64,5,10"]
        assert main(compare) == 0  # compare.png, compare.json and compare.csv
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["n.json", "r.ckpt", "n.safetensors", "c.svg", "e.safetensors", "n.pdf"]
        + ["compare.png", "compare.json", "compare.csv"]
    )


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_a_figure_is_recognised_in_each_format(tmp_path, fmt):
    path = tmp_path / f"f.{fmt}"
    for _ in range(2):
        figure = plt.figure()
        figure.add_subplot().plot([0, 1], [1, 0])
        plots.save(figure, path)
    assert written_by_xentlab(path, "figure")
    path.write_bytes(path.read_bytes().replace(b"Matplotlib", b"Photoshop!"))
    assert not written_by_xentlab(path, "figure")


def test_an_empty_file_holds_nothing_to_lose_and_is_replaced(tmp_path):
    (tmp_path / "net.json").touch()
    save_network(NETWORK, tmp_path / "net.json")
    assert written_by_xentlab(tmp_path / "net.json", "network")


def test_the_library_refuses_too_and_force_replaces(tmp_path):
    """The writers under every command (and any program using xentlab) share the rule."""
    path = tmp_path / "notes.json"
    path.write_bytes(NOTES)
    for write in (
        lambda **kw: save_network(NETWORK, path, **kw),
        lambda **kw: save_safetensors(NETWORK, path, **kw),
        lambda **kw: save_checkpoint(TrainState.start(NETWORK, TrainConfig()), path, {}, **kw),
        lambda **kw: runs.save_network_file(NETWORK, path, **kw),
    ):
        with pytest.raises(XentlabError, match="notes.json: it exists and is not a"):
            write()
        assert path.read_bytes() == NOTES
    with pytest.raises(XentlabError, match="it exists and is not a network file"):
        runs.prepare(runs.RunSpec.of(save=path))
    save_network(NETWORK, path, force=True)
    assert written_by_xentlab(path, "network")


def test_an_interrupted_runs_checkpoint_never_replaces_a_file_of_the_users(tmp_path, monkeypatch):
    """A run with no checkpoint saves to interrupted.ckpt when stopped: a file of the user's
    by that name is refused before training, not found out at Ctrl-C."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "interrupted.ckpt").write_bytes(NOTES)
    with pytest.raises(XentlabError, match="interrupted.ckpt: it exists and is not a checkpoint"):
        runs.prepare(runs.RunSpec.of(stop_checkpoint="interrupted.ckpt"))
    assert (tmp_path / "interrupted.ckpt").read_bytes() == NOTES


# --- targets that cannot be written, and temporary files never named ------------------------


def test_a_folder_where_no_file_can_be_made_is_refused_before_training(monkeypatch, capsys):
    """Before, --save /proc/net.json trained, then failed naming a temporary file."""
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc here")
    work_never_starts(monkeypatch)
    assert main(["train", "--save", "/proc/net.json"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("xentlab: error: cannot write network file /proc/net.json: ")
    assert files.TEMP_TAG not in line and ".tmp" not in line
    assert not os.path.exists("/proc/net.json")


def test_a_write_that_fails_names_the_file_not_its_temporary(tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    save_network(NETWORK, path)
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(XentlabError) as caught:
        save_network(Network.create([64, 5, 10], seed=1), path)
    assert str(caught.value) == f"cannot write network file {path}: No space left on device"
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["net.json"]

    def no_rename(source, target):
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), source, None, target)

    monkeypatch.undo()
    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(XentlabError, match=f"^cannot write network file {path}: ") as caught:
        save_network(NETWORK, path)
    assert files.TEMP_TAG not in str(caught.value)
    assert os.listdir(tmp_path) == ["net.json"]


def test_an_error_about_another_file_in_the_block_is_passed_on(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_write(tmp_path / "a.json", kind="data") as out:
        out.write(Path(tmp_path / "missing.txt").read_text())
    assert os.listdir(tmp_path) == []


def test_check_output_target_tries_the_folder_and_leaves_nothing(tmp_path):
    assert check_output_target(tmp_path / "net.json", "network") == str(tmp_path / "net.json")
    assert os.listdir(tmp_path) == []
