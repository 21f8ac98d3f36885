"""The network file, format ``xentlab.network`` version 2::

{"format": "xentlab.network", "version": 2,
 "sizes": [784, 30, 10], "cost": "cross-entropy", "dtype": "float32",
 "weights": [{"shape": [784, 30], "data": "<base64>"}, ...],   # W_l: (n_in, n_out)
 "biases":  [{"shape": [30], "data": "<base64>"}, ...],
 "meta": {...},                 # JSON; a run's history, test_accuracy checked (.history)
 "sha256": "<64 hex digits>"}                                   # checksum of all the rest

"sha256" is the SHA-256 of the canonical JSON of the document without it (see
``formats.documents``); a file whose content does not match is refused as corrupt. Version 1 is
the same document without "sha256": such files are still read (unverified), but a version-1
file that carries "sha256", or a version-2 file that lacks it, is refused. A network document
embedded in a checkpoint carries no checksum of its own: the checkpoint's covers it.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import FormatError, XentlabError
from ..files import register_output_kind
from ..functions import get_cost
from ..model import DTYPES, Network, check_sizes
from .documents import (
    check_header,
    decode_array,
    encode_array,
    read_document,
    recognise_document,
    require,
    seal,
    write_json,
)
from .history import check_meta

NETWORK_FORMAT = "xentlab.network"
NETWORK_VERSION = 2
register_output_kind("network", recognise_document(NETWORK_FORMAT))


def network_document(network: Network, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "format": NETWORK_FORMAT,
        "version": NETWORK_VERSION,
        "sizes": list(network.sizes),
        "cost": network.cost.name,
        "dtype": network.dtype.name,
        "weights": [encode_array(W) for W in network.weights],
        "biases": [encode_array(b) for b in network.biases],
        "meta": meta or {},
    }


def network_from_document(document: dict[str, Any], path: Any) -> Network:
    """Rebuild a network from its document, checking every field."""
    check_header(document, path, "network", NETWORK_FORMAT, NETWORK_VERSION)
    sizes = require(document, "sizes", list, path)
    if any(not isinstance(s, int) or isinstance(s, bool) for s in sizes):
        raise FormatError(f"{path}: 'sizes' must be a list of integers; got {sizes!r}")
    try:
        sizes = check_sizes(sizes)
    except XentlabError as exc:
        raise FormatError(f"{path}: {exc}") from None
    cost_name = require(document, "cost", str, path)
    dtype = require(document, "dtype", str, path)
    try:
        cost = get_cost(cost_name)
        DTYPES.check("dtype", dtype)
    except XentlabError as exc:
        raise FormatError(f"{path}: {exc}") from None
    dt = np.dtype(dtype)
    layers = len(sizes) - 1
    weights_doc = require(document, "weights", list, path)
    biases_doc = require(document, "biases", list, path)
    if len(weights_doc) != layers or len(biases_doc) != layers:
        raise FormatError(
            f"{path}: {len(sizes)} layer sizes need {layers} weight and bias arrays; got "
            f"{len(weights_doc)} and {len(biases_doc)}"
        )
    weights = [
        decode_array(doc, dt, (sizes[i], sizes[i + 1]), f"{path}: weights[{i}]")
        for i, doc in enumerate(weights_doc)
    ]
    biases = [
        decode_array(doc, dt, (sizes[i + 1],), f"{path}: biases[{i}]")
        for i, doc in enumerate(biases_doc)
    ]
    return Network(sizes, weights, biases, cost)


def save_network(
    network: Network,
    path: str | os.PathLike[str],
    meta: dict[str, Any] | None = None,
    *,
    force: bool = False,
) -> None:
    """Write ``network`` (and JSON-ready ``meta``) to ``path`` atomically, with its checksum.
    An existing file there must be a network xentlab wrote, unless ``force``."""
    write_json(path, seal(network_document(network, meta)), "network", force=force)


def load_network(path: str | os.PathLike[str]) -> tuple[Network, dict[str, Any]]:
    """The network stored at ``path`` and its meta; FormatError if anything is off, its checksum
    first."""
    document = read_document(path, "network", NETWORK_FORMAT, NETWORK_VERSION)
    network = network_from_document(document, path)
    meta = document.get("meta", {})
    if not isinstance(meta, dict):
        raise FormatError(f"{path}: 'meta' must be an object")
    check_meta(meta, path)
    return network, meta
