"""Evaluating a trained network on a data set's split: accuracy and confusion matrix."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..data import SPLITS as SPLITS  # the splits evaluate_saved accepts: the data sets'
from ..data import LabelledData, load_split
from ..errors import XentlabError
from ..model import Network
from .network_files import load_saved_network
from .recorded import data_mismatches
from .run_spec import DEFAULT_DATASET
from .sizes_fit import check_saved_sizes


@dataclass(frozen=True)
class Evaluation:
    """How a network did on ``n`` images: ``confusion[t, p]`` counts the images of class t
    predicted as p, so the accuracy is its trace over n. ``warnings``: where the data differ
    from what the network's file says it was trained on."""

    dataset: str
    split: str
    confusion: NDArray[np.int64]
    warnings: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return int(self.confusion.sum())

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / self.n)


def confusion_matrix(network: Network, data: LabelledData, name: str = "data") -> NDArray[np.int64]:
    """Counts of (true class, predicted class) over the rows of ``data``; the labels must name
    the network's output neurons."""
    X = network.check_inputs(data.X, f"{name} X")
    classes = network.sizes[-1]
    if len(data.labels) and (data.labels.min() < 0 or data.labels.max() >= classes):
        raise XentlabError(
            f"the network has {classes} outputs but the {name} labels run from "
            f"{data.labels.min()} to {data.labels.max()}"
        )
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (data.labels, network.predict(X)), 1)
    return confusion


def evaluate_saved(
    path: str | os.PathLike[str],
    dataset: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    split: str = "test",
    seed: int | None = None,
) -> tuple[Network, Evaluation]:
    """Load the network saved at ``path`` (JSON, or a .safetensors file) and evaluate it on
    ``split`` of ``dataset`` (default: the data set it was trained on; for the digits, the split
    of its training seed). Only the files of that split are read: the test split of MNIST needs
    only its two t10k files. The cost does not matter here: the most active output is the same
    under sigmoid and softmax. A data set or a split other than the file records is evaluated,
    and said in the evaluation's warnings."""
    SPLITS.check("split", split)
    saved = load_saved_network(path)
    network, meta = saved.network, saved.meta
    name: Any = dataset or meta.get("dataset") or DEFAULT_DATASET
    config = meta.get("config")
    if seed is None:
        seed = config.get("seed", 0) if isinstance(config, dict) else 0
    warnings = tuple(data_mismatches(path, meta, name, seed, "evaluated on"))
    data = load_split(name, split, data_dir, seed=seed)
    classes = int(data.labels.max()) + 1 if len(data.labels) else 0
    check_saved_sizes(path, network.sizes, name, data.X.shape[1], classes, more_outputs=True)
    return network, Evaluation(name, split, confusion_matrix(network, data, split), warnings)
