"""Checkpoints: the whole training state saved and restored to the same bits, refused when bad."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from xentlab import checks
from xentlab.errors import FormatError, XentlabError
from xentlab.formats import CHECKPOINT_VERSION, load_checkpoint, save_checkpoint, seal
from xentlab.model import Network
from xentlab.training import (
    EpochRecord,
    TrainConfig,
    TrainState,
    check_labelled,
    check_targets,
    fit,
)


def setup(seed=0, n=157):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 8)).astype(np.float32)
    labels = (X[:, 0] > X[:, 1]).astype(np.int64) + 2 * (X[:, 2] > 0.5)
    net = Network.create([8, 6, 4], seed=seed)
    config = TrainConfig(epochs=4, batch_size=10, eta=0.5, lmbda=0.1, schedule=1, seed=seed)
    data = check_labelled(net, X, labels, "training")
    held = check_labelled(net, X[:40], labels[:40], "evaluation")
    return TrainState.start(net, config), data, held


class StopAt:
    """Interrupts a run once it has reached (epoch, batch)."""

    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batches(self, state, done, total):
        if (state.epoch, state.batch) >= self.at:
            raise KeyboardInterrupt

    def on_epoch(self, state, record):
        pass


def weights_bytes(net):
    return b"".join(a.tobytes() for a in net.weights + net.biases)


@pytest.mark.parametrize("stop", [(0, 3), (1, 0), (1, 16), (2, 9), (3, 15)])
def test_resume_from_any_batch_is_bit_identical(tmp_path, stop):
    reference, data, held = setup()
    fit(reference, data, held)

    state, data, held = setup()
    path = tmp_path / "run.ckpt"
    saved = []

    def checkpoint(st):
        save_checkpoint(st, path, {"dataset": "toy", "n": len(data.X)})
        saved.append((st.epoch, st.batch))

    with pytest.raises(KeyboardInterrupt):
        fit(
            state,
            data,
            held,
            observers=[StopAt(*stop)],
            chunk=1,
            checkpoint=checkpoint,
            checkpoint_every=1,
        )
    resumed, info = load_checkpoint(path)
    assert (resumed.epoch, resumed.batch) == saved[-1]
    assert info["dataset"] == "toy"
    fit(resumed, data, held)
    assert weights_bytes(resumed.network) == weights_bytes(reference.network)
    assert resumed.eta == reference.eta
    assert resumed.history.column("evaluation_accuracy") == reference.history.column(
        "evaluation_accuracy"
    )


def test_a_run_on_targets_resumes_to_the_same_bits(tmp_path):
    # Targets instead of labels: no accuracy, the schedule judged on the evaluation cost, and
    # that judgement's best cost saved and restored with the rest.
    def start():
        rng = np.random.default_rng(5)
        X, Y = rng.random((157, 8)), rng.random((157, 4))
        net = Network.create([8, 6, 4], seed=5)
        config = TrainConfig(epochs=5, batch_size=10, eta=2.0, schedule=1, seed=5)
        data = check_targets(net, X, Y, "training")
        return TrainState.start(net, config), data, check_targets(net, X[:40], Y[:40], "eval")

    reference, data, held = start()
    fit(reference, data, held)
    assert reference.best_cost is not None and reference.eta < 2.0  # the schedule acted

    state, data, held = start()
    with pytest.raises(KeyboardInterrupt):
        fit(state, data, held, observers=[StopAt(3, 4)], chunk=1)
    path = tmp_path / "targets.ckpt"
    save_checkpoint(state, path, {"dataset": "toy", "n": len(data.X)})
    resumed, _ = load_checkpoint(path)
    assert resumed.best_cost == state.best_cost is not None
    fit(resumed, data, held)
    assert weights_bytes(resumed.network) == weights_bytes(reference.network)
    assert resumed.history.column("training_accuracy") == [None] * 5
    assert resumed.history.column("evaluation_cost") == reference.history.column("evaluation_cost")


def test_a_checkpoint_from_before_best_cost_is_read(tmp_path):
    document = saved_document(tmp_path)
    del document["progress"]["best_cost"]  # written before target data existed
    path = tmp_path / "older.ckpt"
    path.write_text(json.dumps(seal(document)))
    state, _ = load_checkpoint(path)
    assert state.best_cost is None


def test_checkpoint_round_trip_keeps_everything(tmp_path):
    state, data, held = setup()
    with pytest.raises(KeyboardInterrupt):
        fit(state, data, held, observers=[StopAt(1, 7)], chunk=1)
    path = tmp_path / "c.ckpt"
    save_checkpoint(state, path, {"dataset": "toy", "n": len(data.X)})
    back, _ = load_checkpoint(path)
    assert back.config == state.config and back.eta == state.eta
    assert (back.epoch, back.batch) == (state.epoch, state.batch)
    assert np.array_equal(back.order, state.order)
    assert back.rng.bit_generator.state == state.rng.bit_generator.state
    assert back.history == state.history
    assert weights_bytes(back.network) == weights_bytes(state.network)


def saved_document(tmp_path):
    state, data, _ = setup()
    with pytest.raises(KeyboardInterrupt):
        fit(state, data, None, observers=[StopAt(0, 5)], chunk=1)
    path = tmp_path / "c.ckpt"
    save_checkpoint(state, path, {"dataset": "toy", "n": len(data.X)})
    return json.loads(path.read_text())


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda d: d.update(version=CHECKPOINT_VERSION + 1), "upgrade xentlab"),
        (lambda d: d.update(format="xentlab.network"), "not a checkpoint file"),
        (lambda d: d.pop("rng"), "missing key 'rng'"),
        (lambda d: d["rng"].update(bit_generator="MT19937"), "PCG64"),
        (lambda d: d["rng"].update(state="x"), "rng state must be an object"),
        (lambda d: d["config"].update(eta=-1), "eta must be"),
        (lambda d: d["config"].update(bogus=1), "bad training state"),
        (lambda d: d["progress"].update(batch=10**6), "impossible"),
        (lambda d: d["progress"].update(epoch=-1), "progress epoch"),
        (lambda d: d.update(order=None), "needs its 'order'"),
        (lambda d: d["data"].update(n=100), "order has shape"),
        (lambda d: d["network"].update(sizes=[8, 7, 4]), "shape"),
        (lambda d: d["history"].update(records=[{"epoch": 1}]), "bad training state"),
    ],
)
def test_bad_checkpoints_are_refused(tmp_path, edit, needle):
    document = saved_document(tmp_path)
    edit(document)
    path = tmp_path / "bad.ckpt"
    path.write_text(json.dumps(seal(document)))  # sealed again: the field check must refuse it
    with pytest.raises(FormatError, match=needle):
        load_checkpoint(path)


def test_order_must_be_a_permutation(tmp_path):
    document = saved_document(tmp_path)
    from xentlab.formats import encode_array

    document["order"] = encode_array(np.zeros(157, dtype=np.int64))
    path = tmp_path / "bad.ckpt"
    path.write_text(json.dumps(seal(document)))
    with pytest.raises(FormatError, match="not a permutation"):
        load_checkpoint(path)


def test_the_checkpoint_stores_every_declared_field():
    from xentlab.formats import checkpoint_document
    from xentlab.formats.checkpoint import declared_fields

    state, data, held = setup()
    fit(state, data, held)
    document = checkpoint_document(state, {"n": len(data.X)})
    assert set(document["progress"]) == set(declared_fields(TrainState))
    assert {"eta", "epoch", "batch", "reference_cost"} <= set(document["progress"])
    assert set(document["config"]) == {f.name for f in dataclasses.fields(TrainConfig)}
    assert set(document["history"]["records"][0]) == set(declared_fields(EpochRecord))


def test_a_field_added_to_a_state_dataclass_needs_no_edit_in_the_format():
    from xentlab.formats.checkpoint import fields_document, fields_from_document

    @dataclasses.dataclass(frozen=True)
    class Config:
        epochs: int = checks.constrained(checks.Integer(1), default=30)
        warmup: int = checks.constrained(checks.Integer(0), default=0)  # the new field

    assert fields_document(Config(5, 2)) == {"epochs": 5, "warmup": 2}
    assert fields_from_document(Config, {"epochs": 5, "warmup": 2}, "config") == Config(5, 2)
    # An older file, written before the field existed, takes its default.
    assert fields_from_document(Config, {"epochs": 5}, "config") == Config(5, 0)
    with pytest.raises(XentlabError, match="config warmup must be an integer >= 0"):
        fields_from_document(Config, {"epochs": 5, "warmup": -1}, "config")
    with pytest.raises(XentlabError, match="config has unknown field"):
        fields_from_document(Config, {"epochs": 5, "bogus": 1}, "config")
