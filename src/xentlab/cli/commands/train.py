"""``xentlab train``: a network of sigmoid neurons trained by mini-batch SGD, with a progress
bar, one line per epoch and a summary; Ctrl-C stops it at a mini-batch boundary and saves it,
with the command that resumes it. Nothing here decides how training works; that is
``xentlab.runs``."""

from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console

from ... import runs
from ...checks import plural
from ...files import beside
from ...hints import command_line
from ...runs import DEFAULT_DATASET, DEFAULT_HIDDEN
from ...training import EpochRecord, TrainState, stall_warning
from .. import progress, text
from ..argument_types import path, sizes
from ..exit_codes import EXIT_INTERRUPTED, EXIT_OK
from ..options import add_data_dir, add_dataset, add_force
from ..parser import Subcommands
from ..setting_options import add_setting_options, setting_values
from ..signals import signals_request_stop

# Where Ctrl-C saves a run that has no checkpoint: beside the file the user named, named after
# it (net.json: net-interrupted.ckpt), or, when none was named, in the current folder.
INTERRUPT_SUFFIX = "-interrupted.ckpt"
INTERRUPT_CHECKPOINT = "interrupted.ckpt"
# The options of train that a checkpoint does not record, which the command resuming a run must
# give again: where the data is, the settings that may change on resuming, and what to write.
NOT_IN_CHECKPOINT = (
    *("data_dir", *runs.RESUMABLE_SETTINGS),
    *("save", "plot", "checkpoint_every", "force"),
)


def add_parser(subcommands: Subcommands) -> None:
    resumable = " and ".join("--" + s for s in runs.RESUMABLE_SETTINGS)
    p = subcommands.add_parser(
        "train",
        help="train a network of sigmoid neurons by mini-batch SGD",
        description="Train a feed-forward network on MNIST, Fashion-MNIST or the embedded 8x8 "
        "digits (no download), with a progress bar, one line per epoch and a summary. With "
        "--resume, every setting comes from the checkpoint: a setting given as well must agree "
        f"with it, except {resumable}, which may change "
        "(to extend a run, say). With --start-from, a new run begins from a saved network's "
        "weights (JSON or .safetensors) instead of fresh ones.",
    )
    saved = "or the checkpoint's"
    add_dataset(p, f"default: {DEFAULT_DATASET} {saved}")
    add_data_dir(p)
    p.add_argument(
        "--sizes",
        type=sizes,
        help=f"layer sizes, e.g. 784,30,10 (default: inputs,{DEFAULT_HIDDEN},classes)",
    )
    add_setting_options(p, "train", note=f", {saved}")
    p.add_argument(
        "--save",
        type=path,
        metavar="NETWORK",
        help="write the trained network here: a safetensors file if the name ends in "
        ".safetensors, else JSON; Ctrl-C saves an unfinished run beside it (see --checkpoint)",
    )
    p.add_argument("--plot", type=path, metavar="FIGURE", help="learning curves: .png/.svg/.pdf")
    p.add_argument(
        "--checkpoint",
        type=path,
        metavar="PATH",
        help="write the training state here after every epoch (default: the --resume file). "
        "Ctrl-C saves the run here; without a checkpoint, beside --save and named after it "
        f"(runs/net.json: runs/net{INTERRUPT_SUFFIX}), else beside --plot, else "
        f"{INTERRUPT_CHECKPOINT} in the current folder",
    )
    p.add_argument("--checkpoint-every", type=int, metavar="N", help="... and every N mini-batches")
    p.add_argument(
        "--resume",
        type=path,
        metavar="PATH",
        help="continue the run saved in this checkpoint, with its settings",
    )
    p.add_argument(
        "--start-from",
        type=path,
        metavar="NETWORK",
        help="begin a new run from this saved network (JSON or .safetensors): its sizes, and "
        "its cost and dtype unless --cost or --dtype say otherwise",
    )
    add_force(p)
    p.set_defaults(run=run, command_parser=p)


def run_spec(args: argparse.Namespace) -> runs.RunSpec:
    """The run the ``train`` arguments describe: only what the user typed is set, so that a
    resumed run can tell a setting given on purpose from a default."""
    return runs.RunSpec.of(
        **setting_values(args, "train"),
        dataset=args.dataset,
        data_dir=args.data_dir,
        sizes=args.sizes,
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


def run(args: argparse.Namespace, out: Console) -> int:
    if args.plot is not None:
        from ...plots import check_figure_target

        check_figure_target(args.plot, force=args.force)
    prepared = runs.prepare(run_spec(args))
    if prepared.resumed and prepared.state.finished:
        out.print(f"{args.resume} holds a finished run: nothing left to train")
    out.print(run_header(prepared))
    epoch_before = prepared.state.epoch
    for warning in prepared.warnings:
        text.warning_line(warning)
    stop = runs.StopRequest()
    with (
        signals_request_stop(stop.request) as received,
        EpochProgress(out, prepared.state.config.epochs) as bar,
    ):
        result = prepared.train(observers=[bar], stop=stop)
    if result.stopped:
        resume = resume_command(args, result.checkpoint) if result.checkpoint else ""
        print(text.one_line(stopped_message(result, resume)), file=sys.stderr)
        return 128 + received[0] if received else EXIT_INTERRUPTED
    out.print(run_summary(result))
    for warning in result.warnings:
        text.warning_line(warning)
    if args.plot is not None:
        from ...plots import history_figure, save

        save(
            history_figure(
                result.history,
                run_title(prepared),
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


def run_header(run: runs.Run) -> str:
    """What is about to be trained, on one line."""
    network, config = run.state.network, run.state.config
    if run.resumed and run.state.finished:  # nothing to resume: say where the run ended
        verb = f"{run.spec.resume}, finished after {plural(run.state.epoch, 'epoch')}"
    elif run.resumed:
        verb = f"resuming {run.spec.resume} at epoch {run.state.epoch + 1}"
    elif run.spec.start_from is not None:
        verb = f"training from {run.spec.start_from}"
    else:
        verb = "training"
    return (
        f"{verb}: {list(network.sizes)} on {run.data_info['dataset']} ({len(run.training.X)} "
        f"training, {len(run.validation.X)} validation images), {network.cost.label}, "
        f"η = {config.eta:g}, λ = {config.lmbda:g}, mini-batch {config.batch_size}, "
        f"seed {config.seed}, {run.kernel} kernel"
    )


def run_title(run: runs.Run) -> str:
    """A run's settings in a few words, for a figure's title."""
    network, config = run.state.network, run.state.config
    if run.resumed:
        init = ""
    elif run.spec.start_from is not None:
        init = f", from {os.path.basename(run.spec.start_from)}"
    else:
        init = f", init {run.spec.network.init}"
    lmbda = f", λ = {config.lmbda:g} ({config.regularization})" if config.lmbda else ""
    return (
        f"{list(network.sizes)} on {run.data_info['dataset']}, {network.cost.label}, "
        f"η = {config.eta:g}{lmbda}, mini-batch {config.batch_size}, seed {config.seed}{init}"
    )


def run_summary(result: runs.RunResult) -> str:
    """How a finished run did, on one line."""
    history = result.history
    best = history.best_evaluation_accuracy
    return (
        f"done after {plural(result.state.epoch, 'epoch')}"
        + (f" ({history.stop_reason})" if history.stop_reason else "")
        + (f": best validation accuracy {best:.2%}, " if best is not None else ": ")
        + f"test accuracy {result.test_accuracy:.2%}"
    )


def stopped_message(result: runs.RunResult, resume_command: str) -> str:
    """Where a stopped run stands, and how to continue it: ``resume_command``, last on the line
    so that it can be copied whole."""
    where = f"interrupted at epoch {result.state.epoch + 1}, mini-batch {result.state.batch}"
    if result.checkpoint is None:
        return f"{where}; not saved"
    return f"{where}; saved to {result.checkpoint}; continue with: {resume_command}"


class EpochProgress:
    """Renders training progress: how far each epoch is (a bar, or a line every so often where
    the output is not a terminal), then one line per epoch."""

    def __init__(self, out: Console, epochs: int, label: str = "train") -> None:
        self.out, self.epochs = out, epochs
        self.display = progress.display(out, label)
        self.task: progress.Task | None = None
        self.warned = False  # a stall is said once

    def __enter__(self) -> EpochProgress:
        self.display.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.display.stop()

    def on_batches(self, state: TrainState, done: int, total: int) -> None:
        if self.task is None:  # the epoch's line says when it ends: no line of its own
            self.task = self.display.add(
                f"epoch {state.epoch + 1} of {self.epochs}",
                total,
                progress.MINI_BATCHES,
                announced=False,
            )
        self.task.update(done, total)

    def on_epoch(self, state: TrainState, record: EpochRecord) -> None:
        if self.task is not None:
            self.task.finish()
            self.task = None
        validation = (
            f"validation accuracy {record.evaluation_accuracy:.2%}"
            if record.evaluation_accuracy is not None
            else "no validation data"
        )
        saturation = (
            f"  outputs saturated {record.output_saturation:.0%} "
            f"(and wrong {record.saturated_wrong:.0%})"
            if record.output_saturation is not None and record.saturated_wrong is not None
            else ""
        )
        self.out.print(
            f"epoch {record.epoch:>3}/{self.epochs}  training cost {record.training_cost:.4f}  "
            f"training accuracy {record.training_accuracy:.2%}  {validation}{saturation}  "
            f"η {record.eta:g}  {record.seconds:.2f} s"
        )
        warning = stall_warning(state.history, state.network)
        if warning and not self.warned:
            text.warning_line(warning)
            self.warned = True
