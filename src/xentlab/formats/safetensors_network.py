"""A network as a safetensors file: which tensors make it, the metadata xentlab writes, and its
checksum (the file format itself is ``safetensors_file``'s).

A network of L layers is stored as the ``state_dict`` of :meth:`Network.to_torch`'s module:
"0.weight" = W_1ᵀ (n_1, n_0), "0.bias" = b_1, "2.weight" = W_2ᵀ, "2.bias" = b_2, ... (layer
l's Linear sits at index 2l), all F32 or all F64; so
``net.to_torch().load_state_dict(safetensors.torch.load_file(path))`` works as it is.

The metadata xentlab writes (all strings):
    "cost"             quadratic, cross-entropy or log-likelihood
    "sizes"            the layer sizes, "784,30,10"
    "xentlab_version"  the version that wrote the file
    "xentlab_meta"     the network's meta (data set, settings, history, accuracy) as JSON
    "xentlab_sha256"   SHA-256 of the canonical JSON of the metadata without this key (keys
                       sorted, no spaces, ASCII), then of the tensors' bytes in the order
                       0.weight, 0.bias, 2.weight, ...: one changed byte anywhere is refused

Reading checks the names and shapes of one network's layers and finite values. Of the
metadata only xentlab's keys are read, each checked; other tools' keys are ignored. A file
that records no cost (one saved from a torch state_dict, say) is read as having the cost
given, or else cross-entropy.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import __version__
from ..errors import FormatError, XentlabError
from ..functions import Cost, get_cost
from ..model import LOGITS_COST, Network, check_sizes
from ..sequential import parameter_names
from .documents import not_json
from .history import check_meta
from .safetensors_file import Tensors, little_endian, read_safetensors, write_safetensors

CHECKSUM = "xentlab_sha256"
HEX_DIGEST = re.compile(r"[0-9a-f]{64}\Z")


def save_safetensors(
    network: Network,
    path: str | os.PathLike[str],
    meta: dict[str, Any] | None = None,
    *,
    force: bool = False,
) -> None:
    """Write ``network`` (and JSON-ready ``meta``) to ``path`` as a safetensors file,
    atomically, with its checksum. An existing file there must be a network xentlab wrote,
    unless ``force``."""
    arrays = network_tensors(network)
    try:
        meta_text = json.dumps(meta or {}, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise XentlabError(f"the network's meta cannot be written as JSON: {exc}") from None
    metadata = {
        "cost": network.cost.name,
        "sizes": ",".join(map(str, network.sizes)),
        "xentlab_version": __version__,
        "xentlab_meta": meta_text,
    }
    metadata[CHECKSUM] = _digest(metadata, arrays)
    write_safetensors(path, arrays, metadata, force=force)


def network_tensors(network: Network) -> dict[str, NDArray[np.floating]]:
    """{"0.weight": W_1ᵀ, "0.bias": b_1, "2.weight": W_2ᵀ, ...}: the torch module's state_dict."""
    names = iter(parameter_names(len(network.weights)))
    arrays = {}
    for W, b in zip(network.weights, network.biases, strict=True):
        arrays[next(names)] = np.ascontiguousarray(W.T)
        arrays[next(names)] = b
    return arrays


def load_safetensors(
    path: str | os.PathLike[str], cost: str | Cost | None = None
) -> tuple[Network, dict[str, Any]]:
    """The network stored at ``path`` and its meta ({} for a file xentlab did not write).
    ``cost`` is for a file that records none (default cross-entropy); given for a file that
    records another, it is refused."""
    tensors = read_safetensors(path)
    return network_from_tensors(tensors, path, cost), network_meta(tensors, path)


def network_meta(tensors: Tensors, path: Any) -> dict[str, Any]:
    """The network's meta that xentlab wrote into the metadata ("xentlab_meta"), else {}."""
    try:
        meta = json.loads(tensors.metadata.get("xentlab_meta", "{}"), parse_constant=not_json)
    except (ValueError, RecursionError):
        meta = None
    if not isinstance(meta, dict):
        raise FormatError(f"{path}: its metadata 'xentlab_meta' must be a JSON object")
    check_meta(meta, path)
    return meta


def recorded_cost(tensors: Tensors) -> str | None:
    """The cost the file's metadata names, if any."""
    return tensors.metadata.get("cost")


def network_from_tensors(tensors: Tensors, path: Any, cost: str | Cost | None = None) -> Network:
    """The network whose layers ``tensors`` holds, checked: the names of one network's layers,
    one dtype, shapes that chain, finite values, and the metadata's cost, sizes and checksum."""
    arrays, metadata = tensors.arrays, tensors.metadata
    names = parameter_names(max(1, (len(arrays) + 1) // 2))
    unexpected = [name for name in arrays if name not in names]
    missing = [name for name in names if name not in arrays]
    if unexpected or missing:
        what = f"has a tensor {unexpected[0][:60]!r}" if unexpected else f"lacks {missing[0]!r}"
        raise FormatError(
            f"{path} {what}; a network's tensors are named 0.weight, 0.bias, 2.weight, 2.bias, "
            "... (the state_dict of Linear layers at 0, 2, 4, ... of a Sequential)"
        )
    dtypes = {name: array.dtype for name, array in arrays.items()}
    odd = next((name for name in names if dtypes[name] != dtypes[names[0]]), None)
    if odd is not None:
        raise FormatError(
            f"{path}: tensor {odd!r} is {dtypes[odd].name} but {names[0]!r} is "
            f"{dtypes[names[0]].name}; a network has one dtype"
        )
    weights: list[NDArray[np.floating]] = []
    biases: list[NDArray[np.floating]] = []
    for weight_name, bias_name in zip(names[::2], names[1::2], strict=True):
        weight, bias = arrays[weight_name], arrays[bias_name]
        if weight.ndim != 2:
            raise FormatError(
                f"{path}: tensor {weight_name!r} must be 2-dimensional (outputs, inputs); got "
                f"shape {list(weight.shape)}"
            )
        if bias.shape != weight.shape[:1]:
            raise FormatError(
                f"{path}: tensor {bias_name!r} must have shape [{weight.shape[0]}] to go with "
                f"{weight_name!r} of shape {list(weight.shape)}; got {list(bias.shape)}"
            )
        if weights and weight.shape[1] != weights[-1].shape[1]:
            raise FormatError(
                f"{path}: tensor {weight_name!r} takes {weight.shape[1]} inputs, but the layer "
                f"before gives {weights[-1].shape[1]} outputs"
            )
        for name, array in ((weight_name, weight), (bias_name, bias)):
            if not np.isfinite(array).all():
                raise FormatError(f"{path}: tensor {name!r} holds NaN or infinite values")
        weights.append(np.ascontiguousarray(weight.T))
        biases.append(bias)
    try:
        sizes = check_sizes((weights[0].shape[0], *(W.shape[1] for W in weights)))
    except XentlabError as exc:
        raise FormatError(f"{path}: {exc}") from None
    shown = ",".join(map(str, sizes))
    if "sizes" in metadata and metadata["sizes"] != shown:
        raise FormatError(
            f"{path}: its metadata says sizes {metadata['sizes'][:60]!r}, but its tensors make "
            f"{shown}"
        )
    _check_digest(path, metadata, arrays)
    return Network(sizes, weights, biases, _cost(path, recorded_cost(tensors), cost))


def _cost(path: Any, recorded: str | None, given: str | Cost | None) -> Cost:
    if recorded is None:
        return get_cost(LOGITS_COST if given is None else given)
    try:
        cost = get_cost(recorded)
    except XentlabError as exc:
        raise FormatError(f"{path}: its metadata's {exc}") from None
    if given is not None and get_cost(given) != cost:
        raise XentlabError(
            f"{path} records cost {cost.name!r}, not {get_cost(given).name!r}; a cost is given "
            "only for a file that records none"
        )
    return cost


def _digest(metadata: Mapping[str, str], arrays: Mapping[str, NDArray[np.floating]]) -> str:
    """SHA-256 of the canonical JSON of ``metadata`` without the checksum, then of the arrays'
    little-endian bytes in layer order (0.weight, 0.bias, 2.weight, ...)."""
    content = {key: value for key, value in metadata.items() if key != CHECKSUM}
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    )
    for name in parameter_names(len(arrays) // 2):
        digest.update(little_endian(arrays[name]).tobytes())
    return digest.hexdigest()


def _check_digest(
    path: Any,
    metadata: Mapping[str, str],
    arrays: Mapping[str, NDArray[np.floating]],
) -> None:
    if CHECKSUM not in metadata:
        return  # not written by xentlab: nothing to verify against
    claimed = metadata[CHECKSUM]
    if not HEX_DIGEST.match(claimed):
        raise FormatError(
            f"{path} is corrupt: its checksum {CHECKSUM!r} must be 64 lowercase hexadecimal "
            f"digits; got {claimed[:70]!r}"
        )
    if _digest(metadata, arrays) != claimed:
        raise FormatError(
            f"{path} is corrupt: its content does not match its checksum ({CHECKSUM} "
            f"{claimed[:16]}... recorded); the file was damaged or edited after xentlab wrote it"
        )
