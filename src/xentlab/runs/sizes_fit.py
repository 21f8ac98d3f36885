"""Whether a network's layer sizes fit a data set, and what to do when they do not.

A network [n_0, ..., n_L] fits a data set when n_0 is its number of inputs (one per pixel) and
n_L its number of classes (one output neuron each). A misfit is named by the side that does not
fit (inputs, outputs or both), with the fix: the sizes that would fit, and another data set only
when that one fits both sides.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..data import CLASSES, DATASETS, INPUTS
from ..errors import XentlabError


def fitting_datasets(sizes: Sequence[int]) -> list[str]:
    """The data sets xentlab knows whose inputs and classes are both those of ``sizes``."""
    return [d for d in DATASETS if (INPUTS[d], CLASSES[d]) == (sizes[0], sizes[-1])]


def check_new_sizes(sizes: Sequence[int], dataset: str, inputs: int, classes: int) -> None:
    """Sizes asked for a new network on ``dataset`` (``inputs`` per example, ``classes``
    classes): a misfit raises XentlabError naming the side, the sizes that would fit and, if
    one exists, another data set the sizes fit as they are."""
    wrong_inputs, wrong_outputs = sizes[0] != inputs, sizes[-1] != classes
    if not (wrong_inputs or wrong_outputs):
        return
    if wrong_inputs and wrong_outputs:
        rule = (
            f"start with {inputs} and end with {classes}: {dataset} has {inputs} inputs and "
            f"{classes} classes"
        )
    elif wrong_inputs:
        rule = f"start with {inputs}: {dataset} has {inputs} inputs"
    else:
        rule = f"end with {classes}: {dataset} has {classes} classes"
    # Ends replaced; but 784,30 with outputs to fix most likely lacks its output layer.
    kept = sizes[1:] if wrong_outputs and len(sizes) == 2 else sizes[1:-1]
    fixed = [inputs, *kept, classes]
    others = [d for d in fitting_datasets(sizes) if d != dataset]
    hint = f"{_shown(fixed)} would fit {dataset}"
    if others:  # only a data set that fits both sides as they are
        hint += f"; {_shown(sizes)} fits {_either(others)}"
    raise XentlabError(f"sizes must {rule}; got {_shown(sizes)} ({hint})")


def check_saved_sizes(
    path: str | os.PathLike[str],
    sizes: Sequence[int],
    dataset: str,
    inputs: int,
    classes: int,
    *,
    more_outputs: bool = False,
) -> None:
    """A saved network (at ``path``) used on ``dataset``: a misfit raises XentlabError naming
    the side that does not fit and, if one exists, the data set the network does fit.
    ``more_outputs``: outputs beyond the classes are allowed (to evaluate, every label must
    name an output; to train, each output must be a class)."""
    wrong_inputs = sizes[0] != inputs
    wrong_outputs = sizes[-1] < classes if more_outputs else sizes[-1] != classes
    if not (wrong_inputs or wrong_outputs):
        return
    sides, needs = [], []
    if wrong_inputs:
        sides.append(f"{sizes[0]} inputs")
        needs.append(f"{inputs} inputs")
    if wrong_outputs:
        sides.append(f"{sizes[-1]} outputs")
        needs.append(f"{classes} classes")
    others = [d for d in fitting_datasets(sizes) if d != dataset]
    fix = (
        f"it fits {_either(others)}"
        if others
        else f"{dataset} needs a network of sizes {inputs},...,{classes}"
    )
    raise XentlabError(
        f"{os.fspath(path)} holds a network with sizes {_shown(sizes)}, whose "
        f"{' and '.join(sides)} do not fit {dataset} ({', '.join(needs)}); {fix}"
    )


def _either(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _shown(sizes: Sequence[int]) -> str:
    return ",".join(map(str, sizes))
