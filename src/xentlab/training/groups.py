"""Which runs can train together in one pass over their data (``training.fit_group``).

Runs share a pass when everything the pass shares is the same for them: the mini-batch size,
the dtype, the kernel, the input width and outputs, and the order of mini-batches, now and in
every later epoch: the same point of the epoch, the same shuffle drawn, the same state of the
generator that draws the next ones (runs of one seed, started together). The training data must
be one as well; that is the caller's part (it passes one data set).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from typing import TypeVar

from ..kernel import resolve_kernel
from .state import TrainState

Item = TypeVar("Item")


def group_key(state: TrainState) -> Hashable:
    """What runs that share a pass have in common (equal keys: they may share it)."""
    cfg, net = state.config, state.network
    order = None if state.order is None else hashlib.sha256(state.order.tobytes()).hexdigest()
    return (
        cfg.batch_size,
        resolve_kernel(cfg.kernel, net.cost),
        net.dtype.name,
        net.sizes[0],
        net.sizes[-1],
        state.batch,
        order,
        repr(state.rng.bit_generator.state),
    )


def grouped(items: Sequence[Item], keys: Sequence[Hashable]) -> list[list[Item]]:
    """``items`` in groups of equal key, each group and the groups in the order of their
    first item."""
    groups: dict[Hashable, list[Item]] = {}
    for item, key in zip(items, keys, strict=True):
        groups.setdefault(key, []).append(item)
    return list(groups.values())
