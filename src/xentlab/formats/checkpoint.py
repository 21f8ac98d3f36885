"""The checkpoint file: everything a training run needs to continue bit for bit.

Format ``xentlab.checkpoint`` version 2::

    {"format": "xentlab.checkpoint", "version": 2,
     "network": <a network document, without a checksum of its own>,
     "config": {"epochs": 30, "batch_size": 10, "eta": 0.5, ...},     # TrainConfig
     "progress": {"eta": 0.5, "epoch": 3, "batch": 1200, ...},         # TrainState's counters
     "order": {"shape": [n], "data": "<base64 int64>"} or null,       # the epoch's shuffle
     "rng": {"bit_generator": "PCG64",                                 # NumPy's PCG64 state
             "state": {"state": <int in [0, 2^128)>, "inc": <odd int in [0, 2^128)>},
             "has_uint32": 0 or 1, "uinteger": <int in [0, 2^32)>},
     "history": {"records": [{"epoch": 1, ...}, ...], "stop_reason": null},
     "data": {"dataset": "mnist", "n": 50000, "fingerprint": "<sha256>", ...},
     "sha256": "<64 hex digits>"}                                      # checksum of all the rest

"sha256" is one checksum over the whole file, embedded network included: the SHA-256 of the
canonical JSON of the document without it (see ``formats.documents``). A file whose content
does not match is refused as corrupt. Version 1 is the same document without "sha256": such
files are still read (unverified), but a version-1 file that carries "sha256", or a version-2
file that lacks it, is refused. Every field of "rng" is checked for type and range before the
generator is built from it, so a resumed run draws the very numbers it would have drawn, or is
refused.

"config", "progress", each history record and the history's "stop_reason" are written and read
field by field from the constraints that ``training.state`` declares on its dataclasses, so a
field added there is saved, restored and checked here with no edit. A field missing from an
older file takes its default, if it has one.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .. import checks
from ..errors import FormatError, XentlabError
from ..files import register_output_kind
from ..training import TrainConfig, TrainState, batches_per_epoch
from .documents import (
    decode_array,
    encode_array,
    read_document,
    recognise_document,
    require,
    seal,
    write_json,
)
from .history import (
    declared_fields,
    fields_document,
    fields_from_document,
    history_document,
    history_from_document,
)
from .network import network_document, network_from_document

# Declared in .history; imported from here too, where they were declared before.
__all__ = [
    "declared_fields",
    "fields_document",
    "fields_from_document",
    "history_document",
    "history_from_document",
    "checkpoint_document",
    "load_checkpoint",
    "save_checkpoint",
]

CHECKPOINT_FORMAT = "xentlab.checkpoint"
CHECKPOINT_VERSION = 2
register_output_kind("checkpoint", recognise_document(CHECKPOINT_FORMAT))
RNG_KEYS = {"bit_generator", "state", "has_uint32", "uinteger"}


def checkpoint_document(state: TrainState, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "network": network_document(state.network),
        "config": fields_document(state.config),
        "progress": fields_document(state),
        "order": None if state.order is None else encode_array(state.order.astype(np.int64)),
        "rng": state.rng.bit_generator.state,
        "history": history_document(state.history),
        "data": data,
    }


def save_checkpoint(
    state: TrainState,
    path: str | os.PathLike[str],
    data: dict[str, Any],
    *,
    force: bool = False,
) -> None:
    """Write the whole training state atomically (temporary file, fsync, rename), with its
    checksum. An existing file there must be a checkpoint xentlab wrote, unless ``force``."""
    write_json(path, seal(checkpoint_document(state, data)), "checkpoint", force=force)


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[TrainState, dict[str, Any]]:
    """The training state saved at ``path`` and its data description; FormatError if bad (its
    checksum is checked first), and no other exception for any JSON content."""
    document = read_document(path, "checkpoint", CHECKPOINT_FORMAT, CHECKPOINT_VERSION)
    network = network_from_document(require(document, "network", dict, path), f"{path}: network")
    config_doc = require(document, "config", dict, path)
    progress = require(document, "progress", dict, path)
    data = require(document, "data", dict, path)
    try:
        config = fields_from_document(TrainConfig, config_doc, "config")
        history = history_from_document(require(document, "history", dict, path))
        n = checks.int_at_least("data n", data.get("n"), 1)
        rng = _generator(require(document, "rng", dict, path))
        state = fields_from_document(
            TrainState,
            progress,
            "progress",
            network=network,
            config=config,
            rng=rng,
            history=history,
        )
    except XentlabError as exc:
        raise FormatError(f"{path}: bad training state: {exc}") from None
    if state.batch > batches_per_epoch(n, config.batch_size) or state.epoch > config.epochs:
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
    """A PCG64 generator restored from its saved state (the only kind xentlab creates), every
    field checked first: NumPy would silently truncate a float, take True for 1 or an even
    increment, and overflow on a number too large, so none of these reaches it."""
    if doc.get("bit_generator") != "PCG64":
        raise XentlabError(f"rng must be a PCG64 state; got {_shown(doc.get('bit_generator'))}")
    _exact_keys(doc, RNG_KEYS, "rng")
    inner = doc["state"]
    if not isinstance(inner, dict):
        raise XentlabError(
            f"rng state must be an object with 'state' and 'inc'; got {_shown(inner)}"
        )
    _exact_keys(inner, {"state", "inc"}, "rng state")
    state = _unsigned("rng state.state", inner["state"], 128)
    inc = _unsigned("rng state.inc", inner["inc"], 128)
    if inc % 2 == 0:
        raise XentlabError(f"rng state.inc must be odd, as every PCG64 increment is; got {inc}")
    has_uint32 = doc["has_uint32"]
    if isinstance(has_uint32, bool) or not isinstance(has_uint32, int) or has_uint32 not in (0, 1):
        raise XentlabError(f"rng has_uint32 must be 0 or 1; got {_shown(has_uint32)}")
    uinteger = _unsigned("rng uinteger", doc["uinteger"], 32)
    checked: Any = {  # NumPy's own layout of a PCG64 state
        "bit_generator": "PCG64",
        "state": {"state": state, "inc": inc},
        "has_uint32": has_uint32,
        "uinteger": uinteger,
    }
    bit_generator = np.random.PCG64()
    bit_generator.state = checked
    if bit_generator.state != checked:  # NumPy must hold exactly what the file says
        raise XentlabError("rng state does not survive restoring it")
    return np.random.Generator(bit_generator)


def _exact_keys(doc: dict[str, Any], keys: set[str], where: str) -> None:
    """``doc`` has exactly ``keys``: none missing, none unknown."""
    missing, unknown = sorted(keys - set(doc)), sorted(set(doc) - keys)
    if missing:
        raise XentlabError(f"{where} lacks key(s) {', '.join(map(repr, missing))}")
    if unknown:
        listed = ", ".join(map(repr, unknown))
        raise XentlabError(f"{where} has unknown key(s) {listed[:80]}")


def _unsigned(name: str, value: Any, bits: int) -> int:
    """An integer in [0, 2^bits) (bool refused: true is not a number in a file)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise XentlabError(f"{name} must be an integer in [0, 2^{bits}); got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
