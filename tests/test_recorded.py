"""What a file records about how it was made is held against what the user asks: a network
evaluated on another data set, or on a digits split of another seed, is evaluated with a
warning; a run started from a network trained on other data, or on another split, is warned
about; a checkpoint is never resumed with fewer epochs than it has trained."""

from __future__ import annotations

import pytest
from idx_tools import write_mnist_dir

from xentlab import runs
from xentlab.cli import main
from xentlab.errors import XentlabError
from xentlab.formats import load_checkpoint, save_safetensors
from xentlab.model import Network

WARNING = "xentlab: warning: "


@pytest.fixture(scope="module")
def digits_net(tmp_path_factory):
    """A digits network trained with seed 2, and its folder."""
    where = tmp_path_factory.mktemp("digits")
    net = where / "digits.json"
    assert main(["train", "--epochs", "1", "--seed", "2", "--save", str(net)]) == 0
    return net


@pytest.fixture(scope="module")
def mnist_net(tmp_path_factory):
    """A network trained on small MNIST-shaped data, and that data's folder."""
    where = tmp_path_factory.mktemp("mnist")
    data = write_mnist_dir(where / "data", n_train=10_020, n_test=30)
    net = where / "mnist.json"
    args = ["train", "--dataset", "mnist", "--data-dir", str(data), "--sizes", "784,5,10"]
    assert main([*args, "--epochs", "1", "--save", str(net)]) == 0
    return net, data


def warnings_in(stderr: str) -> list[str]:
    lines = stderr.strip().splitlines()
    assert all(line.startswith(WARNING) for line in lines), stderr  # nothing else on stderr
    return [line.removeprefix(WARNING) for line in lines]


# --- evaluate -------------------------------------------------------------------------------


def test_evaluating_on_another_data_set_says_what_the_file_records(mnist_net, capsys):
    net, data = mnist_net
    capsys.readouterr()
    assert main(["evaluate", str(net), "--data-dir", str(data)]) == 0
    assert warnings_in(capsys.readouterr().err) == []
    assert main(["evaluate", str(net), "--dataset", "fashion-mnist", "--data-dir", str(data)]) == 0
    out, err = capsys.readouterr()
    assert "on fashion-mnist test (30 images): accuracy" in out  # evaluated all the same
    assert warnings_in(err) == [
        f"{net} was trained on mnist, and is evaluated on fashion-mnist here"
    ]


def test_evaluating_on_another_digits_split_says_it_may_hold_training_images(digits_net, capsys):
    capsys.readouterr()
    for same in ([], ["--seed", "2"]):
        assert main(["evaluate", str(digits_net), *same]) == 0
        assert warnings_in(capsys.readouterr().err) == []
    assert main(["evaluate", str(digits_net), "--seed", "7"]) == 0
    (warning,) = warnings_in(capsys.readouterr().err)
    assert "split by seed 2" in warning and "split by seed 7" in warning
    assert "may include images it trained on (--seed 2 keeps its split)" in warning


def test_a_network_that_records_nothing_is_evaluated_without_a_word(tmp_path, capsys):
    net = tmp_path / "from-torch.safetensors"
    save_safetensors(Network.create([64, 5, 10], seed=0), net)  # no dataset in its meta
    assert main(["evaluate", str(net), "--dataset", "digits", "--seed", "9"]) == 0
    assert warnings_in(capsys.readouterr().err) == []


# --- train --start-from ---------------------------------------------------------------------


def test_starting_from_a_network_of_another_split_or_data_set_is_warned(digits_net, mnist_net):
    same = runs.prepare(runs.RunSpec.of(start_from=digits_net, **{"seed": 2}))
    assert same.warnings == ()
    other = runs.prepare(runs.RunSpec.of(start_from=digits_net, **{"seed": 0}))
    (warning,) = other.warnings
    assert "trained on the digits split by seed 2, and is trained further on" in warning
    assert "split by seed 0" in warning and "--seed 2 keeps its split" in warning
    net, data = mnist_net
    fashion = runs.prepare(
        runs.RunSpec.of(dataset="fashion-mnist", data_dir=data, start_from=net, **{})
    )
    assert fashion.warnings == (
        f"{net} was trained on mnist, and is trained further on fashion-mnist here",
    )


def test_train_says_the_warning_before_training(digits_net, tmp_path, capsys):
    capsys.readouterr()
    assert main(["train", "--start-from", str(digits_net), "--epochs", "1", "--seed", "4"]) == 0
    out, err = capsys.readouterr()
    (warning,) = warnings_in(err)
    assert "split by seed 4" in warning and out.startswith(f"training from {digits_net}")


# --- train --resume --epochs ----------------------------------------------------------------


@pytest.fixture
def finished_run(tmp_path, monkeypatch):
    """A digits run of 3 epochs, finished, in run.ckpt (the working folder is tmp_path)."""
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--epochs", "3", "--checkpoint", "run.ckpt"]) == 0
    return tmp_path / "run.ckpt"


def test_fewer_epochs_than_a_run_has_trained_are_refused_before_its_data_is_read(
    finished_run, monkeypatch, capsys
):
    """Before, --epochs 2 on a run at epoch 3 said 'done after 3 epochs', as if it were so."""
    before = finished_run.read_bytes()

    def never(*args, **kwargs):
        raise AssertionError("the data was read")

    monkeypatch.setattr("xentlab.runs.training_run.load_dataset", never)
    capsys.readouterr()
    assert main(["train", "--resume", "run.ckpt", "--epochs", "2"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        "xentlab: error: --epochs must be at least 3 to resume run.ckpt: it has already trained "
        "3 epochs; got 2"
    )
    assert finished_run.read_bytes() == before


def test_as_many_epochs_as_trained_ends_the_run_and_more_extend_it(finished_run, capsys):
    assert main(["train", "--resume", "run.ckpt", "--epochs", "3"]) == 0
    assert "done after 3 epochs" in capsys.readouterr().out
    assert main(["train", "--resume", "run.ckpt", "--epochs", "4"]) == 0
    assert "done after 4 epochs" in capsys.readouterr().out


def test_a_run_stopped_in_mid_epoch_must_finish_that_epoch_at_least(tmp_path):
    ckpt = tmp_path / "run.ckpt"
    run = runs.prepare(runs.RunSpec.of(**{"epochs": 5}, checkpoint=ckpt))
    stop = runs.StopRequest()

    class StopInEpochTwo:
        def on_batches(self, state, done, total):
            if state.epoch == 1 and done >= 20:
                stop.request()

        def on_epoch(self, state, record):
            pass

    assert run.train([StopInEpochTwo()], stop=stop, chunk=10).stopped
    state, _ = load_checkpoint(ckpt)
    assert (state.epoch, state.batch > 0) == (1, True)
    with pytest.raises(XentlabError, match="epochs must be at least 2 .* already trained 1 epoch "):
        runs.prepare(runs.RunSpec.of(resume=ckpt, **{"epochs": 1}))
    assert runs.prepare(runs.RunSpec.of(resume=ckpt, **{"epochs": 2})).state.config.epochs == 2
