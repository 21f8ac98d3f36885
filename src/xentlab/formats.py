"""xentlab's own files: JSON documents whose arrays are base64 of little-endian bytes.

Loading executes nothing (no pickle): it parses JSON, then checks every field — format name,
version, shapes, dtypes, byte counts, finiteness — before building an array, and a bad file
raises :class:`FormatError` naming the file and what is wrong.

The network file, format ``xentlab.network`` version 1::

    {"format": "xentlab.network", "version": 1,
     "sizes": [784, 30, 10], "cost": "cross-entropy", "dtype": "float32",
     "weights": [{"shape": [784, 30], "data": "<base64>"}, ...],   # W_l: (n_in, n_out)
     "biases":  [{"shape": [30], "data": "<base64>"}, ...],
     "meta": {...}}                                                 # free-form, JSON only
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import checks
from .errors import FormatError, XentlabError
from .files import atomic_write, read_bytes_capped
from .functions import get_cost
from .model import DTYPES, Network, check_sizes
from .training import History, TrainConfig, TrainState

NETWORK_FORMAT = "xentlab.network"
NETWORK_VERSION = 1
MAX_FILE_BYTES = 2**31  # a [784, 100000, ...] network in float64 is far below this


def encode_array(array: NDArray[Any]) -> dict[str, Any]:
    """{"shape": [...], "data": base64 of the little-endian bytes}."""
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {"shape": list(array.shape), "data": base64.b64encode(little.tobytes()).decode()}


def decode_array(
    doc: Any, dtype: np.dtype, shape: tuple[int, ...], where: str, finite: bool = True
) -> NDArray[Any]:
    """The array that ``doc`` encodes, which must have exactly ``shape`` and ``dtype``."""
    if not isinstance(doc, dict) or set(doc) != {"shape", "data"}:
        raise FormatError(f"{where} must be an object with keys 'shape' and 'data'")
    if doc["shape"] != list(shape):
        raise FormatError(f"{where} has shape {doc['shape']!r}; expected {list(shape)}")
    if not isinstance(doc["data"], str):
        raise FormatError(f"{where}: 'data' must be a base64 string")
    expected = math.prod(shape) * dtype.itemsize
    if len(doc["data"]) != 4 * math.ceil(expected / 3):  # checked before decoding anything
        raise FormatError(f"{where}: 'data' does not hold {expected} bytes of {dtype.name}")
    try:
        raw = base64.b64decode(doc["data"], validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"{where}: 'data' is not valid base64") from None
    if len(raw) != expected:
        raise FormatError(f"{where}: 'data' holds {len(raw)} bytes; expected {expected}")
    array = np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)
    if finite and not np.isfinite(array).all():
        raise FormatError(f"{where} holds NaN or infinite values")
    return array


def write_json(path: str | os.PathLike[str], document: dict[str, Any]) -> None:
    """Write a JSON document atomically (a crash leaves the old file or the new, never half)."""
    with atomic_write(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, allow_nan=False, separators=(",", ":"))


def read_json(path: str | os.PathLike[str], kind: str) -> dict[str, Any]:
    """Parse a JSON object from ``path``, refusing files too large to be ours."""
    path = Path(path)
    text = read_bytes_capped(path, kind, MAX_FILE_BYTES)
    try:
        document = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FormatError(f"{path} is not a {kind} file: not JSON ({reason})") from None
    if not isinstance(document, dict):
        raise FormatError(f"{path} is not a {kind} file: expected a JSON object")
    return document


def check_header(document: dict[str, Any], path: Any, kind: str, fmt: str, version: int) -> None:
    """The "format" and "version" fields: ours, and not newer than this xentlab reads."""
    if document.get("format") != fmt:
        raise FormatError(f"{path} is not a {kind} file (format {document.get('format')!r})")
    found = document.get("version")
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise FormatError(f"{path}: 'version' must be a positive integer; got {found!r}")
    if found > version:
        raise FormatError(
            f"{path} is {kind} format version {found}; this xentlab reads up to version "
            f"{version}: upgrade xentlab"
        )


def require(document: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Any) -> Any:
    """document[key], which must exist and be of the given JSON type."""
    if key not in document:
        raise FormatError(f"{path}: missing key {key!r}")
    value = document[key]
    if isinstance(value, bool) or not isinstance(value, kind):  # JSON true is not a number
        raise FormatError(f"{path}: {key!r} has the wrong type ({type(value).__name__})")
    return value


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
    network: Network, path: str | os.PathLike[str], meta: dict[str, Any] | None = None
) -> None:
    """Write ``network`` (and JSON-ready ``meta``) to ``path`` atomically."""
    write_json(path, network_document(network, meta))


def load_network(path: str | os.PathLike[str]) -> tuple[Network, dict[str, Any]]:
    """The network stored at ``path`` and its meta; FormatError if anything is off."""
    document = read_json(path, "network")
    network = network_from_document(document, path)
    meta = document.get("meta", {})
    if not isinstance(meta, dict):
        raise FormatError(f"{path}: 'meta' must be an object")
    return network, meta


# --- checkpoints ------------------------------------------------------------------------------
# Format ``xentlab.checkpoint`` version 1: everything a run needs to continue bit for bit.
#
#     {"format": "xentlab.checkpoint", "version": 1,
#      "network": <a network document>,
#      "config": {"epochs": 30, "batch_size": 10, "eta": 0.5, ...},    # TrainConfig
#      "progress": {"eta": 0.5, "epoch": 3, "batch": 1200, "best_accuracy": 0.95,
#                   "epochs_without_improvement": 0},
#      "order": {"shape": [n], "data": "<base64 int64>"} or null,      # the epoch's shuffle
#      "rng": <numpy bit generator state>, "history": {...},
#      "data": {"dataset": "mnist", "n": 50000, "fingerprint": "<sha256>"}}

CHECKPOINT_FORMAT = "xentlab.checkpoint"
CHECKPOINT_VERSION = 1


def checkpoint_document(state: TrainState, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "network": network_document(state.network),
        "config": dataclasses.asdict(state.config),
        "progress": {
            "eta": state.eta,
            "epoch": state.epoch,
            "batch": state.batch,
            "best_accuracy": state.best_accuracy,
            "epochs_without_improvement": state.epochs_without_improvement,
            "reference_cost": state.reference_cost,
        },
        "order": None if state.order is None else encode_array(state.order.astype(np.int64)),
        "rng": state.rng.bit_generator.state,
        "history": state.history.to_dict(),
        "data": data,
    }


def save_checkpoint(state: TrainState, path: str | os.PathLike[str], data: dict[str, Any]) -> None:
    """Write the whole training state atomically (temporary file, fsync, rename)."""
    write_json(path, checkpoint_document(state, data))


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[TrainState, dict[str, Any]]:
    """The training state saved at ``path`` and its data description; FormatError if bad."""
    document = read_json(path, "checkpoint")
    check_header(document, path, "checkpoint", CHECKPOINT_FORMAT, CHECKPOINT_VERSION)
    network = network_from_document(require(document, "network", dict, path), f"{path}: network")
    config_doc = require(document, "config", dict, path)
    progress = require(document, "progress", dict, path)
    data = require(document, "data", dict, path)
    try:
        config = TrainConfig(**config_doc)
        history = History.from_dict(require(document, "history", dict, path))
        n = checks.int_at_least("data n", data.get("n"), 1)
        batches = -(-n // config.batch_size)
        state = TrainState(
            network=network,
            config=config,
            rng=_generator(require(document, "rng", dict, path)),
            eta=checks.positive_number("progress eta", progress.get("eta")),
            epoch=checks.int_at_least("progress epoch", progress.get("epoch"), 0),
            batch=checks.int_at_least("progress batch", progress.get("batch"), 0),
            best_accuracy=checks.real_number("best_accuracy", progress.get("best_accuracy")),
            epochs_without_improvement=checks.int_at_least(
                "epochs_without_improvement", progress.get("epochs_without_improvement"), 0
            ),
            reference_cost=checks.non_negative_number(
                "reference_cost", progress.get("reference_cost")
            ),
            history=history,
        )
    except (TypeError, KeyError, XentlabError) as exc:
        raise FormatError(f"{path}: bad training state: {exc}") from None
    if state.batch > batches or state.epoch > config.epochs:
        raise FormatError(
            f"{path}: progress (epoch {state.epoch}, batch {state.batch}) is impossible"
        )
    order = document.get("order")
    if order is not None:
        state.order = decode_array(order, np.dtype(np.int64), (n,), f"{path}: order")
        if not np.array_equal(np.sort(state.order), np.arange(n)):
            raise FormatError(f"{path}: order is not a permutation of 0..{n - 1}")
    elif state.batch:
        raise FormatError(f"{path}: a run in mid-epoch needs its 'order'")
    return state, data


def _generator(doc: dict[str, Any]) -> np.random.Generator:
    """A PCG64 generator restored from its saved state (the only kind xentlab creates)."""
    if doc.get("bit_generator") != "PCG64":
        raise XentlabError(f"rng must be a PCG64 state; got {doc.get('bit_generator')!r}")
    bit_generator = np.random.PCG64()
    try:
        bit_generator.state = doc
    except (TypeError, ValueError, KeyError) as exc:
        raise XentlabError(f"rng state is malformed ({exc})") from None
    return np.random.Generator(bit_generator)
