"""Runs trained together: every run that can share a pass over its data with others does
(``training.fit_group``), each to the bits it gets alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..training import Observer, fit_group, group_key, grouped
from .stopping import StopRequest

if TYPE_CHECKING:
    from .training_run import Run, RunResult


def train_together(
    runs: Sequence[Run],
    observers: Sequence[Sequence[Observer]] | None = None,
    stop: StopRequest | None = None,
    chunk: int | None = None,
) -> list[RunResult | Exception]:
    """Train ``runs`` (each with its ``observers``, all with ``stop``) as :meth:`Run.train`
    would one by one, to the same bits, in as few passes over the data as they allow: runs on
    the same data whose training shares its order of mini-batches (see
    ``training.group_key``) train in one pass. Returns each run's result, or the exception
    its training ended with."""
    observers = observers if observers is not None else [()] * len(runs)
    if len(observers) != len(runs):
        raise ValueError("give one list of observers per run")
    outcomes: list[RunResult | Exception | None] = [None] * len(runs)
    keys = [
        (
            group_key(run.state),
            run.data_info["dataset"],
            run.data_info.get("split_seed"),
            run.data_info["fingerprint"],
            run.spec.checkpoint_every,
        )
        for run in runs
    ]
    for group in grouped(list(range(len(runs))), keys):
        first = runs[group[0]]
        starts = [  # on the data the group's pass shares: made ready for measuring once
            runs[i].measure_start(first.training, first.validation) if runs[i].fresh else None
            for i in group
        ]
        trainees = [runs[i].trainee(observers[i], stop) for i in group]
        fit_group(trainees, first.training, first.validation, chunk, first.spec.checkpoint_every)
        for i, trainee, start in zip(group, trainees, starts, strict=True):
            try:
                outcomes[i] = runs[i].finish(trainee.failure, start)
            except Exception as exc:  # noqa: BLE001 - the run's own failure, for its caller
                outcomes[i] = exc
    return [outcome for outcome in outcomes if outcome is not None]
