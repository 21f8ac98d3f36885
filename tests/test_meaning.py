"""What is read back is checked for meaning, not only syntax (issue 19, class 8): the rules
are declared on the records (training.state) and every reader inherits them. The corpus
(cases/process.json, tests/corpus/make_meaning.py) runs the checkpoints and network files
through the command line; here, the library's readers and a sweep's result files."""

from __future__ import annotations

import dataclasses
import re

import pytest

from xentlab import sweeps
from xentlab.errors import FormatError, XentlabError
from xentlab.formats import history_document, history_from_document
from xentlab.model import Network
from xentlab.sweeps import SweepSpec
from xentlab.sweeps.records import read_record, write_record
from xentlab.training import EpochRecord, History

GOOD = EpochRecord(1, 0.5, 2.5, 0.9, 2.6, 0.85, 0.1, 0.04, 0.01)


def history_of(*records: EpochRecord) -> dict:
    return history_document(History(list(records)))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"training_accuracy": -5.0}, "history record 1 training_accuracy must be a number in"),
        ({"evaluation_accuracy": 1.01}, "evaluation_accuracy must be a number in [0, 1]"),
        ({"training_cost": -1e-3}, "training_cost must be a finite number >= 0"),
        ({"evaluation_cost": -2.0}, "evaluation_cost must be a finite number >= 0"),
        ({"eta": 0.0}, "eta must be a finite number > 0"),
        ({"seconds": -0.1}, "seconds must be a finite number >= 0"),
        ({"output_saturation": 1.5}, "output_saturation must be a number in [0, 1]"),
        ({"saturated_wrong": 0.05}, "saturated_wrong (0.05) cannot exceed output_saturation"),
        ({"epoch": 10**9}, "epoch must be at most"),
    ],
)
def test_a_record_out_of_meaning_is_refused(change, needle):
    with pytest.raises(XentlabError, match=re.escape(needle)):
        history_from_document(history_of(dataclasses.replace(GOOD, **change)))


def test_epochs_run_one_two_three_in_order():
    second = dataclasses.replace(GOOD, epoch=2)
    assert len(history_from_document(history_of(GOOD, second)).records) == 2
    for records, shown in [
        ((second,), "record 1 is of epoch 2"),
        ((GOOD, GOOD), "record 2 is of epoch 1"),
    ]:
        with pytest.raises(XentlabError, match=shown):
            history_from_document(history_of(*records))


def test_large_finite_costs_and_missing_evaluations_stay_readable():
    """A run near divergence may record huge (finite) costs; data without labels records no
    accuracy, a run without validation data no evaluation: all of these are meaningful."""
    odd = dataclasses.replace(
        GOOD,
        training_cost=3.4e38,
        training_accuracy=None,
        evaluation_cost=None,
        evaluation_accuracy=None,
        output_saturation=None,
        saturated_wrong=None,
    )
    assert history_from_document(history_of(odd)).records == [odd]


SMALL = {"cost": "cross-entropy", "eta": 0.5, "seed": 1, "epochs": 2}


def sweep_record(point, records: int, accuracy=0.9, diverged=None) -> sweeps.RunRecord:
    network = Network.create(point.sizes, point.cost, seed=point.seed)
    history = History([dataclasses.replace(GOOD, epoch=e) for e in range(1, records + 1)])
    return sweeps.RunRecord(point, network, history, accuracy, diverged, (), {"train": 0.1})


def test_a_sweep_result_file_is_checked_for_meaning(tmp_path):
    (point,) = SweepSpec.from_axes(SMALL).points()
    path = tmp_path / "run.json"
    write_record(sweep_record(point, 2), path)
    assert read_record(path, point).test_accuracy == 0.9
    write_record(sweep_record(point, 1, None, "training diverged at epoch 2"), path)
    assert read_record(path, point).diverged  # a diverged run has fewer epochs: fine
    cases = [
        (sweep_record(point, 3), "the history holds 3 records of a run of 2 epochs"),
        (sweep_record(point, 1), "holds 1 epoch of a run of 2 epochs that neither diverged"),
        (sweep_record(point, 2, accuracy=97.5), "test_accuracy must be a number in"),
    ]
    for record, needle in cases:
        write_record(record, path)
        with pytest.raises(FormatError, match=needle):
            read_record(path, point)
