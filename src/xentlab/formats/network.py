"""The network file, format ``xentlab.network`` version 3::

{"format": "xentlab.network", "version": 3,
 "sizes": [784, 30, 10], "cost": "quadratic", "output": "linear", "dtype": "float32",
 "weights": [{"shape": [784, 30], "data": "<base64>"}, ...],   # W_l: (n_in, n_out)
 "biases":  [{"shape": [30], "data": "<base64>"}, ...],
 "meta": {...},                 # JSON; a run's history, test_accuracy checked (.history)
 "sha256": "<64 hex digits>"}                                   # checksum of all the rest

"sha256" is the SHA-256 of the canonical JSON of the document without it (see
``formats.documents``); a file whose content does not match is refused as corrupt. Version 1 is
the same document without "sha256": such files are still read (unverified), but a version-1
file that carries "sha256", or a version-2 file that lacks it, is refused. A network document
embedded in a checkpoint carries no checksum of its own: the checkpoint's covers it.

Version 3 adds "output", the output layer's activation, where it is not the one the cost
implies (a linear output under the quadratic cost). A network whose output is its cost's own is
written as version 2, without it, byte for byte as before, so that an older xentlab reads it;
an older xentlab refuses a version-3 file ("upgrade xentlab") rather than misread its output.
A file without "output" has the output its cost implies.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import FormatError, XentlabError
from ..files import register_output_kind
from ..functions import COSTS, get_cost
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
NETWORK_VERSION = 3
OUTPUT_SINCE = 3  # the first version that may name the output
register_output_kind("network", recognise_document(NETWORK_FORMAT))


def network_document(network: Network, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    implied = get_cost(network.cost.name).output if network.cost.name in COSTS else None
    named = network.cost.output is not implied  # only then "output", and version 3
    return {
        "format": NETWORK_FORMAT,
        "version": OUTPUT_SINCE if named else OUTPUT_SINCE - 1,
        "sizes": list(network.sizes),
        "cost": network.cost.name,
        **({"output": str(network.cost.output)} if named else {}),
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
    output = require(document, "output", str, path) if "output" in document else None
    if output is not None and document["version"] < OUTPUT_SINCE:
        raise FormatError(
            f"{path}: a version-{document['version']} network file names no output, yet this "
            f"one has 'output' (was its version changed?)"
        )
    dtype = require(document, "dtype", str, path)
    try:
        cost = get_cost(cost_name, output=output)
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
