"""Regenerate the corpus cases about meaning: ``python tests/corpus/make_meaning.py``.

Writes cases/process.json and the files they need (tests/corpus/files/meaning-*, replacing the
previous ones): checkpoints and network files (JSON and safetensors) whose history, progress
or test accuracy is nonsense (an accuracy of -500 % at epoch 99 of a 5-epoch run, epochs out of
order or repeated, a negative cost, η of 0 or below, saturation shares above 1, more records
than epochs done, negative seconds), each sealed again with a valid checksum after the change:
a checksum stops damage, not nonsense, so each is refused by the meaning of its fields, through
`train --resume`, `evaluate`, `export`, `data inspect` and `train --start-from`.

Each case is a command line run in an empty working directory (``{files}`` stands for the files
directory) and the words its one-line error must contain.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from make_corpus import Cases, remove_group_files  # beside this script, on the path as a script

from xentlab.data import load_dataset
from xentlab.formats import checkpoint_document, network_document, save_safetensors, seal
from xentlab.model import Network
from xentlab.training import TrainConfig, TrainState, check_labelled, fit

HERE = Path(__file__).parent
FILES = HERE / "files"
PREFIX = "meaning-"


class StopAfter:
    """Stops a run (as Ctrl-C does) once ``epochs`` epochs are done."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_batches(self, state, done, total):
        pass

    def on_epoch(self, state, record):
        if state.epoch >= self.epochs:
            raise KeyboardInterrupt


def two_epochs_of_five() -> tuple[dict, Network, dict]:
    """A [64, 5, 10] digits run of 5 epochs stopped after 2: its checkpoint document, its
    network and the meta `train --save` would give it."""
    digits = load_dataset("digits", seed=0)
    state = TrainState.start(Network.create([64, 5, 10], seed=0), TrainConfig(epochs=5, seed=0))
    training = check_labelled(state.network, digits.train.X, digits.train.labels, "t")
    validation = check_labelled(state.network, digits.validation.X, digits.validation.labels, "v")
    try:
        fit(state, training, validation, observers=[StopAfter(2)], chunk=10)
    except KeyboardInterrupt:
        pass
    info = {
        "dataset": "digits",
        "split_seed": 0,
        "n": len(training.X),
        "fingerprint": training.fingerprint(),
    }
    document = json.loads(json.dumps(checkpoint_document(state, info)))
    for entry in document["history"]["records"]:
        entry["seconds"] = 0.25  # not the time it took: the same files every time
    meta = {
        "dataset": "digits",
        "config": document["config"],
        "history": document["history"],
        "test_accuracy": 0.5,
    }
    return document, state.network, meta


def changed(document: dict, change) -> bytes:
    """``document`` changed by ``change`` (a function of a deep copy), sealed again."""
    copied = copy.deepcopy(document)
    change(copied)
    copied.pop("sha256", None)
    return (json.dumps(seal(copied), separators=(",", ":")) + "\n").encode()


def record(doc: dict, index: int = 0) -> dict:
    return doc["history"]["records"][index]


def main() -> None:
    remove_group_files(PREFIX)
    checkpoint, network, meta = two_epochs_of_five()
    cases = Cases()

    def resume(name, change, needle):
        cases.add(
            f"{PREFIX}{name}.ckpt",
            ["train", "--resume", f"{{files}}/{PREFIX}{name}.ckpt"],
            needle,
            changed(checkpoint, change),
        )

    def issue_example(doc):  # the issue's: -500 % at epoch 99 of a 5-epoch run
        record(doc, 1).update(epoch=99, training_accuracy=-5.0)

    resume("issue-example", issue_example, "history record 2 training_accuracy must be")
    resume(
        "epoch-99",
        lambda d: record(d, 1).update(epoch=99),
        "records must be of epochs 1, 2, 3, ... in order; record 2 is of epoch 99",
    )
    resume(
        "epochs-repeated",
        lambda d: record(d, 1).update(epoch=1),
        "record 2 is of epoch 1",
    )
    resume(
        "accuracy-above-one",
        lambda d: record(d).update(evaluation_accuracy=1.5),
        "history record 1 evaluation_accuracy must be a number in [0, 1]; got 1.5",
    )
    resume(
        "negative-cost",
        lambda d: record(d).update(training_cost=-0.25),
        "history record 1 training_cost must be a finite number >= 0",
    )
    resume("eta-zero", lambda d: record(d).update(eta=0), "history record 1 eta must be")
    resume(
        "saturation-above-one",
        lambda d: record(d).update(output_saturation=7.0),
        "output_saturation must be a number in [0, 1]",
    )
    resume(
        "wrong-beyond-saturated",
        lambda d: record(d).update(output_saturation=0.1, saturated_wrong=0.2),
        "saturated_wrong (0.2) cannot exceed output_saturation (0.1)",
    )
    resume(
        "negative-seconds",
        lambda d: record(d).update(seconds=-3.0),
        "seconds must be a finite number >= 0",
    )
    resume(
        "records-beyond-progress",
        lambda d: d["history"]["records"].append({**record(d, 1), "epoch": 3}),
        "epoch is 2, but the history holds 3 records",
    )
    resume(
        "records-missing",
        lambda d: d["history"]["records"].pop(),
        "epoch is 2, but the history holds 1 record",
    )
    resume(
        "best-accuracy-negative",
        lambda d: d["progress"].update(best_accuracy=-0.5),
        "best_accuracy must be a number in [0, 1]",
    )
    resume(
        "patience-beyond-epochs",
        lambda d: d["progress"].update(epochs_without_improvement=7),
        "epochs_without_improvement (7) cannot exceed the epochs done (2)",
    )

    # A saved network's meta records the same history: every reader of a network checks it.
    network_doc = json.loads(json.dumps(network_document(network, meta)))
    readers = {
        "evaluate": lambda path: ["evaluate", path],
        "export": lambda path: ["export", path, "--to", "out.safetensors"],
        "inspect": lambda path: ["data", "inspect", path],
        "start-from": lambda path: ["train", "--epochs", "1", "--start-from", path],
    }
    nonsense = {
        "issue-example": (issue_example, "history record 2 training_accuracy must be"),
        "test-accuracy": (
            lambda m: m.update(test_accuracy=97.5),
            "test_accuracy must be a number in [0, 1]; got 97.5",
        ),
        "more-records-than-epochs": (
            lambda m: m["config"].update(epochs=1),
            "the history holds 2 records of a run of 1 epoch",
        ),
        "negative-eta": (
            lambda m: record(m).update(eta=-0.5),
            "history record 1 eta must be a finite number > 0; got -0.5",
        ),
    }
    for (kind, (change, needle)), command in zip(nonsense.items(), readers.values(), strict=True):
        name = f"{PREFIX}network-{kind}.json"
        cases.add(
            name,
            command(f"{{files}}/{name}"),
            needle,
            changed(network_doc, lambda d, change=change: change(d["meta"])),
        )
    # the same nonsense in a safetensors file's metadata, sealed by xentlab's own writer
    for reader, command in readers.items():
        bad = copy.deepcopy(meta)
        issue_example(bad)
        name = f"{PREFIX}safetensors-{reader}.safetensors"
        save_safetensors(network, FILES / name, bad)
        cases.add(name, command(f"{{files}}/{name}"), "history record 2 training_accuracy")

    (HERE / "cases" / "process.json").write_text(json.dumps(cases, indent=1) + "\n")
    print(f"{len(cases)} cases in cases/process.json")


if __name__ == "__main__":
    main()
