"""The run layer: what every front end calls. A run is described, prepared (everything checked
before training), trained with observers, stopped on request from another thread at a mini-batch
boundary, resumed to the same bits, and evaluated."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from xentlab import runs
from xentlab.errors import XentlabError
from xentlab.formats import load_checkpoint, load_network
from xentlab.kernel import compiled_unavailable

SETTINGS = {"epochs": 3, "batch_size": 10, "eta": 0.5, "lmbda": 0.2, "seed": 2}


def spec(tmp_path, **changes):
    described = {"dataset": "digits", "sizes": (64, 20, 10), **SETTINGS}
    return runs.RunSpec.of(**{**described, **changes})


def test_a_run_trains_saves_and_reports(tmp_path):
    result = runs.prepare(spec(tmp_path, save=tmp_path / "net.json")).train()
    assert not result.stopped and result.dataset == "digits"
    assert len(result.history.records) == 3 and result.state.epoch == 3
    network, meta = load_network(tmp_path / "net.json")
    assert all(
        np.array_equal(a, b) for a, b in zip(network.weights, result.network.weights, strict=True)
    )
    assert meta["test_accuracy"] == result.test_accuracy > 0.8
    assert meta["config"]["lmbda"] == 0.2 and len(meta["history"]["records"]) == 3
    # Evaluating the saved network on the test split of its training seed gives the same figure.
    _, evaluation = runs.evaluate_saved(tmp_path / "net.json")
    assert evaluation.split == "test" and evaluation.confusion.shape == (10, 10)
    assert evaluation.accuracy == result.test_accuracy
    assert evaluation.n == len(runs.prepare(spec(tmp_path)).dataset.test.X)


class StopFromAnotherThread:
    """Asks for a stop from a second thread once the run reaches mini-batch ``at`` of epoch 2,
    and waits until that thread has done so: the way a web page's Stop button arrives."""

    def __init__(self, stop, at):
        self.stop, self.at = stop, at

    def on_batches(self, state, done, total):
        if state.epoch == 1 and done >= self.at and not self.stop.requested:
            button = threading.Thread(target=self.stop.request)
            button.start()
            button.join()

    def on_epoch(self, state, record):
        pass


def test_a_stop_request_saves_at_a_batch_boundary_and_resume_gives_the_same_bits(tmp_path):
    reference = runs.prepare(spec(tmp_path)).train()
    stop = runs.StopRequest()
    run = runs.prepare(spec(tmp_path, checkpoint=tmp_path / "run.ckpt"))
    stopped = run.train(observers=[StopFromAnotherThread(stop, 1)], stop=stop, chunk=20)
    assert stopped.stopped and stopped.test_accuracy is None
    assert stopped.checkpoint == tmp_path / "run.ckpt"
    state, _ = load_checkpoint(tmp_path / "run.ckpt")
    # Mini-batches go in chunks of 20; the stop takes effect at the end of the one it came in.
    assert (state.epoch, state.batch) == (1, 20)
    resumed = runs.prepare(runs.RunSpec.of(resume=tmp_path / "run.ckpt")).train()
    assert not resumed.stopped and resumed.test_accuracy == reference.test_accuracy
    for a, b in zip(resumed.network.weights, reference.network.weights, strict=True):
        assert np.array_equal(a, b)
    assert resumed.history.column("training_cost") == reference.history.column("training_cost")


def test_a_stopped_run_without_a_checkpoint_goes_to_the_stop_checkpoint(tmp_path):
    stop = runs.StopRequest()
    stop.request()  # before the first chunk ends
    run = runs.prepare(spec(tmp_path, stop_checkpoint=tmp_path / "stopped.ckpt"))
    result = run.train(stop=stop, chunk=10)
    assert result.stopped and result.checkpoint == tmp_path / "stopped.ckpt"
    state, _ = load_checkpoint(tmp_path / "stopped.ckpt")
    assert state.epoch == 0 and state.batch == 10  # the first chunk of 10 mini-batches
    # With nowhere to save, a stop still ends the run, and says nothing was saved.
    unsaved = runs.prepare(spec(tmp_path)).train(stop=stop)
    assert unsaved.stopped and unsaved.checkpoint is None


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"checkpoint_every": 5}, "checkpoint_every needs a checkpoint path"),
        ({"save": "/nonexistent-folder/net.json"}, "directory /nonexistent-folder does not exist"),
        ({"sizes": (64, 20, 3)}, "end with 10: digits has 10 classes"),
        ({"sizes": (784, 30, 10)}, "784,30,10 fits mnist, fashion-mnist or mnist-pkl"),
        ({"data_dir": "/no/such/folder"}, "data directory /no/such/folder does not exist"),
        ({"cost": "hinge"}, "cost must be one of"),
        ({"init": "huge"}, "init must be one of"),
        ({"dataset": "cifar"}, "dataset must be one of"),
        ({"batch_size": 5000}, "batch_size must be at most"),
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        (
            {"etaa": 0.1},
            r"unknown setting\(s\) 'etaa'; known: cost, hidden, init, dtype, output, epochs",
        ),
    ],
)
def test_prepare_refuses_bad_runs_before_anything_is_written(tmp_path, changes, needle):
    with pytest.raises(XentlabError, match=needle):
        runs.prepare(spec(tmp_path, checkpoint=None, **changes))
    assert list(tmp_path.iterdir()) == []


def test_resume_refuses_another_data_set_or_shape(tmp_path):
    runs.prepare(spec(tmp_path, checkpoint=tmp_path / "run.ckpt")).train()
    with pytest.raises(XentlabError, match="was made on 'digits', not 'mnist'"):
        runs.prepare(runs.RunSpec.of(resume=tmp_path / "run.ckpt", dataset="mnist"))
    with pytest.raises(XentlabError, match="holds a network with sizes 64,20,10, not 64,30,10"):
        runs.prepare(runs.RunSpec.of(resume=tmp_path / "run.ckpt", sizes=(64, 30, 10)))
    finished = runs.prepare(runs.RunSpec.of(resume=tmp_path / "run.ckpt"))
    assert finished.resumed and finished.state.finished


def test_evaluation_counts_and_refuses_labels_beyond_the_outputs(tmp_path):
    run = runs.prepare(spec(tmp_path))
    network, test = run.state.network, run.dataset.test
    confusion = runs.confusion_matrix(network, test)
    assert confusion.sum() == len(test.X)
    assert np.array_equal(confusion.sum(axis=1), np.bincount(test.labels, minlength=10))
    assert np.trace(confusion) / len(test.X) == network.accuracy(test.X, test.labels)
    bad = type(test)(test.X, np.where(test.labels == 9, 12, test.labels))
    with pytest.raises(XentlabError, match="the network has 10 outputs but the data labels"):
        runs.confusion_matrix(network, bad)
    runs.prepare(spec(tmp_path, save=tmp_path / "net.json")).train()
    with pytest.raises(XentlabError, match="split must be one of train, validation, test"):
        runs.evaluate_saved(tmp_path / "net.json", split="holdout")


def test_file_kinds_follow_the_name():
    assert [runs.file_kind(p) for p in ("a.json", "b.CKPT", "m.pkl.gz", "t10k-images.gz")] == [
        "network",
        "checkpoint",
        "pkl",
        "idx",
    ]


def test_resume_refuses_each_conflicting_setting_and_extends_epochs(tmp_path):
    runs.prepare(spec(tmp_path, checkpoint=tmp_path / "run.ckpt")).train()
    saved = tmp_path / "run.ckpt"
    conflicting = runs.RunSpec.of(
        resume=saved, **{"eta": 0.1, "lmbda": 0.2, "seed": 5}, cost="quadratic"
    )
    with pytest.raises(XentlabError) as refused:
        runs.prepare(conflicting)
    message = str(refused.value)
    assert "eta 0.1 (saved: 0.5)" in message and "seed 5 (saved: 2)" in message
    assert "cost 'quadratic' (saved: 'cross-entropy')" in message
    assert "lmbda" not in message  # given, but the same as saved
    assert message.endswith("only epochs and kernel may change when a run is resumed")
    with pytest.raises(XentlabError, match="init 'large' \\(a resumed run keeps its weights\\)"):
        runs.prepare(runs.RunSpec.of(resume=saved, init="large"))
    with pytest.raises(XentlabError, match="dtype 'float64' \\(saved: 'float32'\\)"):
        runs.prepare(runs.RunSpec.of(resume=saved, dtype="float64"))
    # Extending a finished run trains the new epochs, and only those.
    extended = runs.prepare(runs.RunSpec.of(resume=saved, **{"epochs": 5, "eta": 0.5}))
    assert not extended.state.finished and extended.state.config.epochs == 5
    result = extended.train()
    assert result.history.column("epoch") == [1, 2, 3, 4, 5]
    # The same five epochs in one go give the same bits.
    straight = runs.prepare(spec(tmp_path, **{**SETTINGS, "epochs": 5})).train()
    for a, b in zip(result.network.weights, straight.network.weights, strict=True):
        assert np.array_equal(a, b)


def test_a_new_run_is_measured_before_its_first_mini_batch(tmp_path):
    run = runs.prepare(spec(tmp_path, checkpoint=tmp_path / "run.ckpt"))
    before = run.state.network.accuracy(run.validation.X, run.validation.labels)
    result = run.train()
    assert result.start is not None and result.start.epoch == 0
    assert result.start.evaluation_accuracy == before
    assert result.start.training_cost > result.history.records[0].training_cost
    # A resumed run has no start of its own to measure.
    extended = runs.prepare(runs.RunSpec.of(resume=tmp_path / "run.ckpt", **{"epochs": 4}))
    assert extended.train().start is None


def test_a_run_takes_its_data_from_the_loader_it_is_given(tmp_path):
    """A process that trains many runs (a sweep's worker) passes a cache's loader: the run reads
    nothing itself, and trains to the same bits on the cached, read-only arrays."""
    from xentlab.data import DatasetCache

    cache = DatasetCache()
    asked = []

    def load(name, data_dir, seed):
        asked.append((name, data_dir, seed))
        return cache.load(name, data_dir, seed)

    cached = runs.prepare(spec(tmp_path), load=load).train()
    assert asked == [("digits", None, SETTINGS["seed"])]
    reference = runs.prepare(spec(tmp_path)).train()
    assert cached.test_accuracy == reference.test_accuracy
    for a, b in zip(cached.network.weights, reference.network.weights, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.skipif(compiled_unavailable() is not None, reason="numba unavailable")
def test_a_run_may_resume_under_the_other_kernel(tmp_path):
    """The kernel is saved with the run and may change at resume: the run goes on from the
    saved bits, and ends equal to an uninterrupted run to rounding (bit-identical only when
    both ran the same kernel)."""
    settings = {**SETTINGS, "epochs": 2, "kernel": "numpy"}
    ckpt = tmp_path / "run.ckpt"
    runs.prepare(spec(tmp_path, dtype="float64", **settings, checkpoint=ckpt)).train()
    state, _ = load_checkpoint(ckpt)
    assert state.config.kernel == "numpy"
    resumed = runs.prepare(runs.RunSpec.of(resume=ckpt, **{"epochs": 4, "kernel": "compiled"}))
    assert resumed.kernel == "compiled"
    result = resumed.train()
    assert load_checkpoint(ckpt)[0].config.kernel == "compiled"
    straight = runs.prepare(spec(tmp_path, dtype="float64", **{**settings, "epochs": 4})).train()
    for a, b in zip(result.network.weights, straight.network.weights, strict=True):
        assert not np.array_equal(a, b)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * np.abs(b).max())


def test_runs_trained_together_stop_together_and_each_resumes_alone_to_the_bits_of_a_run_alone(
    tmp_path,
):
    costs = {"quadratic": 3.0, "cross-entropy": 0.5, "log-likelihood": 0.4}
    alone = {c: runs.prepare(spec(tmp_path, cost=c, eta=e)).train() for c, e in costs.items()}
    stop = runs.StopRequest()
    together = [
        runs.prepare(spec(tmp_path, cost=c, eta=e, checkpoint=tmp_path / f"{c}.ckpt"))
        for c, e in costs.items()
    ]
    observers = [[StopFromAnotherThread(stop, 1)], [], []]
    outcomes = runs.train_together(together, observers, stop=stop, chunk=20)
    assert all(isinstance(o, runs.RunResult) and o.stopped for o in outcomes)
    for cost in costs:
        state, _ = load_checkpoint(tmp_path / f"{cost}.ckpt")
        assert (state.epoch, state.batch) == (1, 20)  # all at the same boundary
        resumed = runs.prepare(runs.RunSpec.of(resume=tmp_path / f"{cost}.ckpt")).train()
        assert resumed.test_accuracy == alone[cost].test_accuracy
        for a, b in zip(resumed.network.weights, alone[cost].network.weights, strict=True):
            assert np.array_equal(a, b)
        assert resumed.history.column("training_cost") == alone[cost].history.column(
            "training_cost"
        )


def test_a_run_on_a_linear_output_saves_resumes_and_starts_from_it(tmp_path):
    """cost quadratic, output linear: the network saved, checkpointed and started from keeps
    its output; a resumed run given another output is refused by name."""
    linear = spec(tmp_path, cost="quadratic", output="linear", eta=0.1, lmbda=0.0, epochs=1)
    linear = dataclasses.replace(linear, save=tmp_path / "net.json", checkpoint=tmp_path / "c.ckpt")
    result = runs.prepare(linear).train()
    assert result.state.network.cost.label == "quadratic/linear"
    assert load_network(tmp_path / "net.json")[0].cost.label == "quadratic/linear"
    state, _ = load_checkpoint(tmp_path / "c.ckpt")
    assert state.network.cost.label == "quadratic/linear"
    with pytest.raises(XentlabError, match="output 'sigmoid' \\(saved: 'linear'\\)"):
        runs.prepare(
            runs.RunSpec.of(resume=tmp_path / "c.ckpt", cost="quadratic", output="sigmoid")
        )
    started = runs.prepare(spec(tmp_path, start_from=tmp_path / "net.json", epochs=1))
    assert started.state.network.cost.label == "quadratic/linear"
    # a cost given alone brings the output it implies
    given = runs.prepare(spec(tmp_path, start_from=tmp_path / "net.json", cost="cross-entropy"))
    assert given.state.network.cost.label == "cross-entropy"
