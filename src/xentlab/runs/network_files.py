"""A saved network in either of its formats, told apart by the file's name: a safetensors file
(``.safetensors``: weights for PyTorch, JAX and others) or xentlab's JSON network file (any
other name). One place that loads, saves and converts them, for every front end."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..errors import XentlabError
from ..files import check_output_target
from ..formats import (
    load_network,
    read_safetensors_network,
    save_network,
    save_safetensors,
)
from ..formats.safetensors_network import check_given_cost
from ..functions import Cost
from ..model import Network
from .file_kinds import SAFETENSORS_SUFFIX, file_kind

EXPORT_SUFFIXES = (".json", SAFETENSORS_SUFFIX)


@dataclass(frozen=True)
class SavedNetwork:
    """A network read from ``path`` (``kind`` "network" for JSON, or "safetensors"), its meta
    ({} when the file has none), and whether the file records its cost (a safetensors file
    saved from a torch state_dict may not: then the cost was given, or is cross-entropy)."""

    path: str | os.PathLike[str]
    kind: str
    network: Network
    meta: dict[str, Any]
    cost_recorded: bool


def load_saved_network(
    path: str | os.PathLike[str], cost: str | Cost | None = None, kind: str | None = None
) -> SavedNetwork:
    """The network saved at ``path``, read as ``kind`` ("network" for JSON, or "safetensors";
    default: from the name). ``cost`` is for a safetensors file that records none (default
    cross-entropy); a file that records another cost is refused."""
    if (kind or file_kind(path)) == "safetensors":
        read = read_safetensors_network(path, cost)
        return SavedNetwork(path, "safetensors", read.network, read.meta, read.cost_recorded)
    network, meta = load_network(path)
    check_given_cost(path, network.cost, cost, "a safetensors file")
    return SavedNetwork(path, "network", network, meta, True)


def save_network_file(
    network: Network,
    path: str | os.PathLike[str],
    meta: dict[str, Any] | None = None,
    *,
    force: bool = False,
) -> None:
    """Write ``network`` and its ``meta`` to ``path`` atomically: a safetensors file if the
    name ends in .safetensors, else xentlab's JSON network file. A file there must be a network
    xentlab wrote (in either format), unless ``force``."""
    if file_kind(path) == "safetensors":
        save_safetensors(network, path, meta, force=force)
    else:
        save_network(network, path, meta, force=force)


def export_network(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    cost: str | Cost | None = None,
    *,
    force: bool = False,
) -> SavedNetwork:
    """Convert the network saved at ``source`` to the format ``target``'s name ends in (.json
    or .safetensors), its meta carried along; ``cost`` as for :func:`load_saved_network`. The
    target is checked before the source is read (a file there must be a network xentlab wrote,
    unless ``force``). Returns what was read."""
    if not os.fspath(target).lower().endswith(EXPORT_SUFFIXES):
        raise XentlabError(
            f"target must end in {' or '.join(EXPORT_SUFFIXES)} (the format to write); got "
            f"{os.fspath(target)!r}"
        )
    check_output_target(target, "network", force=force)
    saved = load_saved_network(source, cost)
    save_network_file(saved.network, target, saved.meta, force=force)
    return saved
