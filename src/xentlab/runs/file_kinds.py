"""Which reader a file given by a user needs: IDX, the book's pickle, a network (JSON or
safetensors) or a checkpoint."""

from __future__ import annotations

import os

from ..checks import OneOf

FILE_KINDS = OneOf(("idx", "pkl", "network", "safetensors", "checkpoint"))
SAFETENSORS_SUFFIX = ".safetensors"


def file_kind(path: str | os.PathLike[str]) -> str:
    """The kind of a file xentlab reads, from its name: .json a network, .safetensors a network
    as a safetensors file, .ckpt a checkpoint, .pkl or .pkl.gz the book's pickle, anything else
    IDX (gzipped or not)."""
    name = os.fspath(path).lower()
    if name.endswith(".json"):
        return "network"
    if name.endswith(SAFETENSORS_SUFFIX):
        return "safetensors"
    if name.endswith(".ckpt"):
        return "checkpoint"
    if name.endswith((".pkl", ".pkl.gz")):
        return "pkl"
    return "idx"
