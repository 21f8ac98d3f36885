"""Which runs of a sweep train together, one pass over their data for a group of them.

Runs share a pass when their data and order of mini-batches are the same: the data set, the seed
(which draws each epoch's order), the mini-batch size, the dtype and the kernel asked for
(``training.group_key`` decides finally, on the worker). A sweep sends each group to a worker as
one task; groups are split until there are as many tasks as workers, where they can be, so that
no worker waits while another trains a large group.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from ..training import grouped
from .grid import SweepPoint


def pass_key(point: SweepPoint) -> Hashable:
    """What the runs that may share a pass have in common."""
    config = point.config
    return (point.dataset, config.seed, config.batch_size, point.dtype, config.kernel)


def plan_tasks(points: Sequence[SweepPoint], workers: int) -> list[tuple[SweepPoint, ...]]:
    """``points`` as tasks: groups that may share a pass, the largest halved while there are
    fewer tasks than ``workers`` and a group of two or more to halve."""
    tasks = [tuple(group) for group in grouped(points, [pass_key(p) for p in points])]
    while len(tasks) < workers:
        largest = max(range(len(tasks)), key=lambda i: len(tasks[i]), default=None)
        if largest is None or len(tasks[largest]) < 2:
            break
        group = tasks.pop(largest)
        half = (len(group) + 1) // 2
        tasks[largest:largest] = [group[:half], group[half:]]
    return tasks
