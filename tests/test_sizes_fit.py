"""Layer sizes that do not fit a data set: the message names the side that does not fit (inputs,
outputs or both), gives sizes that would fit, and suggests another data set only when that one
fits both sides as they are."""

from __future__ import annotations

import itertools
import re

import pytest
from idx_tools import write_mnist_dir

from xentlab.cli import main
from xentlab.data import CLASSES, DATASETS, INPUTS
from xentlab.errors import XentlabError
from xentlab.formats import save_network
from xentlab.model import Network
from xentlab.runs.sizes_fit import check_new_sizes, check_saved_sizes, fitting_datasets


def new_sizes_error(sizes: tuple[int, ...], dataset: str) -> str:
    with pytest.raises(XentlabError) as caught:
        check_new_sizes(sizes, dataset, INPUTS[dataset], CLASSES[dataset])
    return str(caught.value)


def suggested(message: str) -> list[str]:
    """The data sets a message suggests instead: those after "fits" (or "it fits")."""
    match = re.search(r"fits ([a-z, -]+?)\)?$", message.replace(" or ", ", "))
    return match.group(1).split(", ") if match else []


@pytest.mark.parametrize(
    ("sizes", "dataset", "expected"),
    [
        # the report: the inputs fit mnist, its 30 outputs do not
        ((784, 30), "mnist", "sizes must end with 10: mnist has 10 classes; got 784,30 "),
        ((784, 30, 10), "digits", "sizes must start with 64: digits has 64 inputs; got 784,30,10"),
        ((64, 30, 10), "mnist", "sizes must start with 784: mnist has 784 inputs; got 64,30,10"),
        (
            (100, 30),
            "fashion-mnist",
            "sizes must start with 784 and end with 10: fashion-mnist has 784 inputs and 10 "
            "classes; got 100,30 (784,30,10 would fit fashion-mnist)",
        ),
    ],
)
def test_the_side_that_does_not_fit_is_named(sizes, dataset, expected):
    assert new_sizes_error(sizes, dataset).startswith(expected)


def test_the_reported_case_suggests_its_output_layer_not_another_data_set():
    assert new_sizes_error((784, 30), "mnist") == (
        "sizes must end with 10: mnist has 10 classes; got 784,30 (784,30,10 would fit mnist)"
    )
    # 784 inputs fit the digits' neither; 784,30,5 fits no data set, so none is suggested
    assert suggested(new_sizes_error((784, 30, 5), "digits")) == []
    assert suggested(new_sizes_error((64, 30, 10), "mnist")) == ["digits"]
    assert suggested(new_sizes_error((784, 30, 10), "digits")) == [
        "mnist",
        "fashion-mnist",
        "mnist-pkl",
    ]


def test_every_misfit_names_its_sides_fits_its_fix_and_suggests_only_what_fits():
    combinations = itertools.product(DATASETS, (64, 784, 100), (10, 30, 5), ((), (30,), (100, 30)))
    for dataset, inputs, outputs, hidden in combinations:
        sizes = (inputs, *hidden, outputs)
        wrong_inputs, wrong_outputs = inputs != INPUTS[dataset], outputs != CLASSES[dataset]
        if not (wrong_inputs or wrong_outputs):
            check_new_sizes(sizes, dataset, INPUTS[dataset], CLASSES[dataset])  # no error
            continue
        message = new_sizes_error(sizes, dataset)
        assert (f"start with {INPUTS[dataset]}" in message) == wrong_inputs, message
        assert (f"end with {CLASSES[dataset]}" in message) == wrong_outputs, message
        fix = re.search(r"\(([0-9,]+) would fit ", message)
        assert fix, message
        fixed = tuple(map(int, fix.group(1).split(",")))
        assert (fixed[0], fixed[-1]) == (INPUTS[dataset], CLASSES[dataset]), message
        assert fixed[1 : 1 + len(hidden)] == hidden, message  # the hidden layers are kept
        for other in suggested(message):  # only a data set that fits both sides
            assert other != dataset, message
            assert (INPUTS[other], CLASSES[other]) == (inputs, outputs), message
        expected = sorted(d for d in fitting_datasets(sizes) if d != dataset)
        assert sorted(suggested(message)) == expected, message


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        (
            (64, 5, 10),
            "{path} holds a network with sizes 64,5,10, whose 64 inputs do not fit mnist "
            "(784 inputs); it fits digits",
        ),
        (
            (784, 5, 7),
            "{path} holds a network with sizes 784,5,7, whose 7 outputs do not fit mnist "
            "(10 classes); mnist needs a network of sizes 784,...,10",
        ),
        (
            (100, 5, 7),
            "{path} holds a network with sizes 100,5,7, whose 100 inputs and 7 outputs do not "
            "fit mnist (784 inputs, 10 classes); mnist needs a network of sizes 784,...,10",
        ),
    ],
)
def test_a_saved_network_that_does_not_fit_is_named_by_its_side(sizes, expected):
    with pytest.raises(XentlabError) as caught:
        check_saved_sizes("net.json", sizes, "mnist", 784, 10)
    assert str(caught.value) == expected.format(path="net.json")


def test_evaluation_allows_more_outputs_than_classes_but_not_fewer():
    check_saved_sizes("net.json", (784, 5, 12), "mnist", 784, 10, more_outputs=True)
    with pytest.raises(XentlabError, match="whose 7 outputs do not fit mnist"):
        check_saved_sizes("net.json", (784, 5, 7), "mnist", 784, 10, more_outputs=True)


def test_the_command_line_names_the_side_for_train_and_evaluate(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    mnist = write_mnist_dir(tmp_path / "mnist")
    args = ["train", "--dataset", "mnist", "--data-dir", str(mnist), "--sizes", "784,30"]
    assert main(args) == 2
    assert capsys.readouterr().err == (
        "xentlab: error: --sizes must end with 10: mnist has 10 classes; got 784,30 "
        "(784,30,10 would fit mnist)\n"
    )
    save_network(Network.create((64, 5, 10)), tmp_path / "digits.json")
    for command in (["evaluate", "digits.json"], ["train", "--start-from", "digits.json"]):
        assert main([*command, "--dataset", "mnist", "--data-dir", str(mnist)]) == 2
        assert capsys.readouterr().err == (
            "xentlab: error: digits.json holds a network with sizes 64,5,10, whose 64 inputs "
            "do not fit mnist (784 inputs); it fits digits\n"
        )
