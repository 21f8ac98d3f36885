"""The network and data commands (train, evaluate, export, data fetch, data inspect): each takes the
parsed arguments, calls the library, renders, returns an exit code. Nothing here decides how
training works; that is ``xentlab.runs``."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

from .. import data, formats, runs
from ..checks import plural
from ..files import beside
from ..hints import command_line
from ..training import TrainConfig
from . import render, text

EXIT_OK = 0
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM
# Where Ctrl-C saves a run that has no checkpoint: beside the file the user named, named after
# it (net.json: net-interrupted.ckpt), or, when none was named, in the current folder.
INTERRUPT_SUFFIX = "-interrupted.ckpt"
INTERRUPT_CHECKPOINT = "interrupted.ckpt"


SETTINGS = tuple(f.name for f in dataclasses.fields(TrainConfig))  # each is also an option
# The options of train that a checkpoint does not record, which the command resuming a run must
# give again: where the data is, the settings that may change on resuming, and what to write.
NOT_IN_CHECKPOINT = (
    *("data_dir", *runs.RESUMABLE_SETTINGS),
    *("save", "plot", "checkpoint_every", "force"),
)


def run_spec(args: argparse.Namespace) -> runs.RunSpec:
    """The run the ``train`` arguments describe: only what the user typed is set, so that a
    resumed run can tell a setting given on purpose from a default."""
    settings = {key: getattr(args, key) for key in SETTINGS}
    return runs.RunSpec(
        dataset=args.dataset,
        data_dir=args.data_dir,
        sizes=args.sizes,
        cost=args.cost,
        init=args.init,
        dtype=args.dtype,
        settings={key: value for key, value in settings.items() if value is not None},
        resume=args.resume,
        checkpoint=args.checkpoint,
        checkpoint_every=args.checkpoint_every,
        save=args.save,
        stop_checkpoint=stop_checkpoint(args),
        start_from=args.start_from,
        force=args.force,
    )


def stop_checkpoint(args: argparse.Namespace) -> str:
    """Where Ctrl-C saves a ``train`` run that has no checkpoint: beside the network it is to
    save, else beside its figure, else in the current folder."""
    for named in (args.save, args.plot):
        if named is not None:
            return beside(named, INTERRUPT_SUFFIX)
    return INTERRUPT_CHECKPOINT


def resume_command(args: argparse.Namespace, checkpoint: object) -> str:
    """The command that continues, from ``checkpoint``, the run ``args`` started: --resume and
    every option given that the checkpoint does not record."""
    kept = text.given_arguments(args, args.command_parser, NOT_IN_CHECKPOINT)
    return command_line(args.command_parser.prog.split(), [("--resume", checkpoint), *kept])


@contextmanager
def signals_request_stop(request: Callable[[], None]) -> Iterator[list[int]]:
    """While the block runs, Ctrl-C (SIGINT) and SIGTERM call ``request`` (ask a run to stop at
    its next mini-batch boundary, where its state is whole; ask a server to stop) instead of
    ending the process; yields the signals received.

    Both handlers are installed whatever the signals were set to before: a job a script starts
    in the background (``xentlab serve &``) begins with SIGINT ignored, and must still stop on
    it."""
    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        received.append(signum)
        request()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run_train(args: argparse.Namespace, out: Console) -> int:
    if args.plot is not None:
        from ..plots import check_figure_target

        check_figure_target(args.plot, force=args.force)
    run = runs.prepare(run_spec(args))
    if run.resumed and run.state.finished:
        out.print(f"{args.resume} holds a finished run: nothing left to train")
    out.print(render.run_header(run))
    epoch_before = run.state.epoch
    for warning in run.warnings:
        text.warning_line(warning)
    stop = runs.StopRequest()
    with (
        signals_request_stop(stop.request) as received,
        render.EpochProgress(out, run.state.config.epochs) as bar,
    ):
        result = run.train(observers=[bar], stop=stop)
    if result.stopped:
        resume = resume_command(args, result.checkpoint) if result.checkpoint else ""
        print(text.one_line(render.stopped_message(result, resume)), file=sys.stderr)
        return 128 + received[0] if received else EXIT_INTERRUPTED
    out.print(render.run_summary(result))
    for warning in result.warnings:
        text.warning_line(warning)
    if args.plot is not None:
        from ..plots import history_figure, save

        save(
            history_figure(
                result.history,
                render.run_title(run),
                regularized=result.state.config.lmbda > 0,
                test_accuracy=result.test_accuracy,
                start=result.start,
            ),
            args.plot,
            force=args.force,
        )
        out.print(f"learning curves written to {args.plot}")
    if result.saved:
        out.print(f"network saved to {result.saved}")
    if result.checkpoint is not None and result.state.epoch > epoch_before:
        out.print(f"checkpoint written to {result.checkpoint}")
    return EXIT_OK


def run_evaluate(args: argparse.Namespace, out: Console) -> int:
    network, evaluation = runs.evaluate_saved(
        args.network, args.dataset, args.data_dir, args.split, args.seed
    )
    out.print(
        f"{args.network} ({list(network.sizes)}, {network.cost.name}) on {evaluation.dataset} "
        f"{evaluation.split} ({evaluation.n} images): accuracy {evaluation.accuracy:.2%}"
    )
    for warning in evaluation.warnings:
        text.warning_line(warning)
    out.print(render.confusion_table(evaluation))
    return EXIT_OK


def run_export(args: argparse.Namespace, out: Console) -> int:
    saved = runs.export_network(args.network, args.target, args.cost, force=args.force)
    network = saved.network
    out.print(
        f"{args.network} ({list(network.sizes)}, {network.cost.name}, {network.dtype.name}) "
        f"written to {args.target}"
    )
    return EXIT_OK


def run_fetch(args: argparse.Namespace, out: Console) -> int:
    with render.FetchProgress(out, args.name) as progress:
        where = data.fetch(
            args.name, args.dest, progress=progress.on_bytes, on_download=progress.on_download
        )
    out.print(f"{args.name} is in {where} (checksums verified)")
    return EXIT_OK


def run_inspect(args: argparse.Namespace, out: Console) -> int:
    kind = args.kind or runs.file_kind(args.file)
    if kind == "idx":
        array = data.read_idx(args.file)
        out.print(f"{args.file}: IDX, unsigned bytes, shape {array.shape}")
        if array.ndim == 1:
            out.print(f"values: {render.label_counts(array)}")
    elif kind == "pkl":
        dataset = data.read_mnist_pkl(args.file)
        sizes = [len(part.X) for part in (dataset.train, dataset.validation, dataset.test)]
        out.print(
            f"{args.file}: MNIST pickle, {sizes[0]} training, {sizes[1]} validation, "
            f"{sizes[2]} test images"
        )
    elif kind in ("network", "safetensors"):
        saved = runs.load_saved_network(args.file, kind=kind)
        network = saved.network
        what = "safetensors network" if kind == "safetensors" else "network"
        assumed = "" if saved.cost_recorded else " (not recorded: assumed)"
        out.print(
            f"{args.file}: {what} {list(network.sizes)}, {network.cost.name}{assumed}, "
            f"{network.dtype.name}, trained on {saved.meta.get('dataset', 'unknown data')}"
        )
    else:
        state, info = formats.load_checkpoint(args.file)
        where = (
            f"finished after {plural(state.epoch, 'epoch')}"
            if state.finished
            else f"epoch {state.epoch + 1} of {state.config.epochs}, mini-batch {state.batch}"
        )
        out.print(
            f"{args.file}: checkpoint of {list(state.network.sizes)} on "
            f"{info.get('dataset')}, {where}, η = {state.eta:g}"
        )
    return EXIT_OK
