"""The ``xentlab`` command: parse, call the library, print. Only this module knows exit codes.

Every bad input ends the same way: one line on stderr naming the problem, exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import numpy as np
from rich.console import Console
from rich.table import Table

from . import __version__
from .errors import XentlabError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the message and where to get help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _fmt_epoch(epoch: int | None, epochs: int) -> str:
    return f"not within {epochs}" if epoch is None else str(epoch)


# --- neuron ---------------------------------------------------------------------------------


def _neuron(args: argparse.Namespace, out: Console) -> int:
    from . import neuron

    trajectory = neuron.train(
        args.w, args.b, args.x, args.y, cost=args.cost, eta=args.eta, epochs=args.epochs
    )
    if args.plot:
        from .plots import save, trajectory_figure

        save(trajectory_figure(trajectory), args.plot)
    if args.json:
        print(json.dumps(trajectory.to_dict()))
        return 0
    epochs = trajectory.epochs
    step = max(1, epochs // 10)
    shown = sorted(set(range(0, epochs + 1, step)) | {epochs})
    table = Table(
        title=f"one neuron, {args.cost}, η = {args.eta:g}, x = {args.x:g}, y = {args.y:g}"
    )
    for column in ("epoch", "w", "b", "a", "C"):
        table.add_column(column, justify="right")
    a = trajectory.output[:, 0, 0]
    for t in shown:
        w, b, c = trajectory.w[t, 0, 0], trajectory.b[t, 0], trajectory.cost[t, 0]
        table.add_row(str(t), f"{w:.4f}", f"{b:.4f}", f"{a[t]:.4f}", f"{c:.5f}")
    out.print(table)
    if args.plot:
        out.print(f"figure written to {args.plot}")
    return 0


# --- slowdown -------------------------------------------------------------------------------


def _slowdown(args: argparse.Namespace, out: Console) -> int:
    from .experiments import OUTPUT_THRESHOLDS, slowdown
    from .plots import save, slowdown_figure

    runs = slowdown(epochs=args.epochs, common_eta=args.common_eta)
    save(slowdown_figure(runs), args.out)
    titles = {"article": "at the article's rates", "common": "at one common rate"}
    for setting, title in titles.items():
        table = Table(title=f"one neuron, x = 1, y = 0, {args.epochs} epochs, {title}")
        headers = ["cost", "η", "start (w, b)", "a(0)"]
        headers += [f"first a < {th:g}" for th in OUTPUT_THRESHOLDS]
        headers += ["ΔC epoch 1", "steepest at", "final C"]
        for header in headers:
            table.add_column(header, justify="right")
        for run in (r for r in runs if r.setting == setting):
            table.add_row(
                run.cost,
                f"{run.eta:g}",
                f"({run.w0:g}, {run.b0:g})",
                f"{run.epoch_output[0]:.3f}",
                *(_fmt_epoch(run.first_below[th], args.epochs) for th in OUTPUT_THRESHOLDS),
                f"{run.initial_slope:+.2e}",
                f"epoch {run.steepest_epoch}",
                f"{run.epoch_cost[-1]:.4f}",
            )
        out.print(table)
    out.print(f"figure written to {args.out}")
    return 0


# --- networks: train, evaluate, data fetch ----------------------------------------------------


def _parse_sizes(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise XentlabError(
            f"sizes must be comma-separated integers like 784,30,10; got {text!r}"
        ) from None


class _EpochProgress:
    """Renders training progress: a bar within each epoch, then one line per epoch."""

    def __init__(self, out: Console, epochs: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.out, self.epochs = out, epochs
        self.progress = Progress(
            "epoch {task.fields[epoch]}/" + str(epochs),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=out,
            transient=True,
        )
        self.task = None

    def __enter__(self) -> _EpochProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def on_batches(self, state, done: int, total: int) -> None:
        if self.task is None:
            self.task = self.progress.add_task("", total=total, epoch=state.epoch + 1)
        self.progress.update(self.task, completed=done, total=total, epoch=state.epoch + 1)

    def on_epoch(self, state, record) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None
        evaluation = (
            f"evaluation accuracy {record.evaluation_accuracy:.2%}"
            if record.evaluation_accuracy is not None
            else "no evaluation data"
        )
        self.out.print(
            f"epoch {record.epoch:>3}/{self.epochs}  training cost {record.training_cost:.4f}  "
            f"training accuracy {record.training_accuracy:.2%}  {evaluation}  "
            f"η {record.eta:g}  {record.seconds:.2f} s"
        )


class _StopOnSignal:
    """Turns Ctrl-C into a stop at the next mini-batch boundary, where the state is whole."""

    def __init__(self) -> None:
        self.requested = False

    def __enter__(self) -> _StopOnSignal:
        import signal

        self.previous = signal.signal(signal.SIGINT, self._request)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        signal.signal(signal.SIGINT, self.previous)

    def _request(self, signum: int, frame: object) -> None:
        self.requested = True

    def on_batches(self, state, done: int, total: int) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def on_epoch(self, state, record) -> None:
        if self.requested:
            raise KeyboardInterrupt


def _train_state(args: argparse.Namespace):
    """A new training state from the arguments, or the one saved in --resume (checked)."""
    from .data import load_dataset
    from .formats import load_checkpoint
    from .model import Network
    from .training import TrainConfig, TrainState

    if args.resume:
        state, data = load_checkpoint(args.resume)
        name = args.dataset or data.get("dataset")
        if name != data.get("dataset"):
            raise XentlabError(
                f"{args.resume} was made on {data.get('dataset')!r}, not {name!r}; "
                "resume it on the same data set"
            )
        dataset = load_dataset(name, args.data_dir, seed=data.get("split_seed", 0))
        if args.sizes and _parse_sizes(args.sizes) != list(state.network.sizes):
            raise XentlabError(
                f"{args.resume} holds a network with sizes "
                f"{','.join(map(str, state.network.sizes))}, not {args.sizes}"
            )
        return state, dataset, data
    name = args.dataset or "digits"
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        eta=args.eta,
        lmbda=args.lmbda,
        regularization=args.regularization,
        early_stop=args.early_stop,
        schedule=args.schedule,
        seed=args.seed,
    )
    dataset = load_dataset(name, args.data_dir, seed=args.seed)
    features = dataset.train.X.shape[1]
    sizes = _parse_sizes(args.sizes) if args.sizes else [features, 30, dataset.n_classes]
    if sizes[0] != features or sizes[-1] != dataset.n_classes:
        raise XentlabError(
            f"sizes must start with {features} inputs and end with {dataset.n_classes} outputs "
            f"for {name}; got {','.join(map(str, sizes))}"
        )
    network = Network.create(sizes, args.cost, args.init, args.seed, args.dtype)
    return TrainState.start(network, config), dataset, {"dataset": name, "split_seed": args.seed}


def _train(args: argparse.Namespace, out: Console) -> int:
    from .formats import save_checkpoint, save_network
    from .training import LabelledData, TrainingDiverged, check_batch_size, fit

    state, dataset, data = _train_state(args)
    network, config = state.network, state.config
    training = LabelledData.check(network, dataset.train.X, dataset.train.labels, "training")
    evaluation = LabelledData.check(
        network, dataset.validation.X, dataset.validation.labels, "validation"
    )
    check_batch_size(config, len(training.X))
    fingerprint = training.fingerprint()
    if args.resume and data.get("fingerprint") != fingerprint:
        raise XentlabError(
            f"{args.resume} was made on other {data['dataset']} data (its fingerprint differs)"
        )
    data = {**data, "n": len(training.X), "fingerprint": fingerprint}
    if args.resume and state.finished:
        out.print(f"{args.resume} holds a finished run: nothing left to train")
    checkpoint_path = args.checkpoint or args.resume
    for path in (args.save, checkpoint_path, args.plot):
        if path:
            _check_writable(path)
    if args.checkpoint_every is not None and not checkpoint_path:
        raise XentlabError("--checkpoint-every needs --checkpoint PATH (or --resume PATH)")

    def checkpoint(st) -> None:
        save_checkpoint(st, checkpoint_path, data)

    verb = f"resuming {args.resume} at epoch {state.epoch + 1}" if args.resume else "training"
    out.print(
        f"{verb}: {list(network.sizes)} on {data['dataset']} ({len(training.X)} training, "
        f"{len(evaluation.X)} validation images), {network.cost.name}, η = {config.eta:g}, "
        f"λ = {config.lmbda:g}, mini-batch {config.batch_size}, seed {config.seed}"
    )
    try:
        with _StopOnSignal() as stopper, _EpochProgress(out, config.epochs) as progress:
            fit(
                state,
                training,
                evaluation,
                observers=[progress, stopper],
                checkpoint=checkpoint if checkpoint_path else None,
                checkpoint_every=args.checkpoint_every,
            )
    except KeyboardInterrupt:
        if not checkpoint_path:
            checkpoint_path = "interrupted.ckpt"
            _check_writable(checkpoint_path)
        checkpoint(state)
        print(
            f"interrupted at epoch {state.epoch + 1}, mini-batch {state.batch}; saved to "
            f"{checkpoint_path}; continue with: xentlab train --resume {checkpoint_path}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except TrainingDiverged as exc:
        if checkpoint_path and os.path.exists(checkpoint_path):
            raise XentlabError(f"{exc}; the last good checkpoint is {checkpoint_path}") from None
        raise
    history = state.history
    test = LabelledData.check(network, dataset.test.X, dataset.test.labels, "test")
    test_accuracy = network.accuracy(test.X, test.labels)
    accuracies = [a for a in history.column("evaluation_accuracy") if a is not None]
    best = f"best validation accuracy {max(accuracies):.2%}, " if accuracies else ""
    out.print(
        f"done after {state.epoch} epochs"
        + (f" ({history.stop_reason})" if history.stop_reason else "")
        + f": {best}test accuracy {test_accuracy:.2%}"
    )
    if args.plot:
        from .plots import history_figure, save

        title = (
            f"{list(network.sizes)} on {data['dataset']}, {network.cost.name}, η = {config.eta:g}"
        )
        save(history_figure(history, title), args.plot)
        out.print(f"learning curves written to {args.plot}")
    if args.save:
        meta = {
            "dataset": data["dataset"],
            "config": dataclasses.asdict(config),
            "history": history.to_dict(),
            "test_accuracy": test_accuracy,
        }
        save_network(network, args.save, meta)
        out.print(f"network saved to {args.save}")
    return 0


def _check_writable(path: str) -> None:
    """Fail before hours of training, not after, if the result can't be saved."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory) or not os.access(directory, os.W_OK):
        raise XentlabError(f"cannot write to {path}: {directory} is not a writable directory")


def _evaluate(args: argparse.Namespace, out: Console) -> int:
    import numpy as np

    from .data import load_dataset
    from .formats import load_network

    network, meta = load_network(args.network)
    name = args.dataset or meta.get("dataset") or "digits"
    seed = args.seed if args.seed is not None else meta.get("config", {}).get("seed", 0)
    dataset = load_dataset(name, args.data_dir, seed=seed)
    split = getattr(dataset, args.split)
    X = network.check_inputs(split.X, f"{args.split} X")
    if split.labels.max() >= network.sizes[-1]:
        raise XentlabError(
            f"{args.network} has {network.sizes[-1]} outputs but {name} has "
            f"{dataset.n_classes} classes"
        )
    predicted = network.predict(X)
    classes = network.sizes[-1]
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (split.labels, predicted), 1)
    accuracy = float(np.trace(confusion) / len(predicted))
    out.print(
        f"{args.network} ({list(network.sizes)}, {network.cost.name}) on {name} "
        f"{args.split} ({len(predicted)} images): accuracy {accuracy:.2%}"
    )
    table = Table(title="confusion matrix: rows true digit, columns predicted")
    table.add_column("true", justify="right")
    for c in range(classes):
        table.add_column(str(c), justify="right")
    for t in range(classes):
        table.add_row(str(t), *(str(v) for v in confusion[t]))
    out.print(table)
    return 0


def _fetch(args: argparse.Namespace, out: Console) -> int:
    from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

    from .data import fetch

    with Progress(
        "{task.description}", DownloadColumn(), TransferSpeedColumn(), console=out, transient=True
    ) as progress:
        task = progress.add_task(f"fetching {args.name}", total=None)

        def report(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        where = fetch(args.name, args.dest, progress=report)
    out.print(f"{args.name} is in {where} (checksums verified)")
    return 0


FILE_KINDS = ("idx", "pkl", "network", "checkpoint")


def _kind_of(path: str) -> str:
    """The kind of a file xentlab reads, from its name: .json, .ckpt, .pkl[.gz], else IDX."""
    name = path.lower()
    if name.endswith(".json"):
        return "network"
    if name.endswith(".ckpt"):
        return "checkpoint"
    if name.endswith((".pkl", ".pkl.gz")):
        return "pkl"
    return "idx"


def _inspect(args: argparse.Namespace, out: Console) -> int:
    from . import data, formats

    kind = args.kind or _kind_of(args.file)
    if kind == "idx":
        array = data.read_idx(args.file)
        out.print(f"{args.file}: IDX, unsigned bytes, shape {array.shape}")
        if array.ndim == 1:
            values, counts = np.unique(array, return_counts=True)
            counts = ", ".join(f"{v}: {c}" for v, c in zip(values, counts, strict=True))
            out.print(f"values: {counts}")
    elif kind == "pkl":
        dataset = data.read_mnist_pkl(args.file)
        sizes = [len(getattr(dataset, s).X) for s in ("train", "validation", "test")]
        out.print(
            f"{args.file}: MNIST pickle, {sizes[0]} training, {sizes[1]} validation, "
            f"{sizes[2]} test images"
        )
    elif kind == "network":
        network, meta = formats.load_network(args.file)
        out.print(
            f"{args.file}: network {list(network.sizes)}, {network.cost.name}, "
            f"{network.dtype.name}, trained on {meta.get('dataset', 'unknown data')}"
        )
    else:
        state, info = formats.load_checkpoint(args.file)
        out.print(
            f"{args.file}: checkpoint of {list(state.network.sizes)} on "
            f"{info.get('dataset')}, epoch {state.epoch + 1} of {state.config.epochs}, "
            f"mini-batch {state.batch}, η = {state.eta:g}"
        )
    return 0


# --- the parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="xentlab",
        description="Why a sigmoid neuron learns slowly under the quadratic cost, and how the "
        "cross-entropy cost cures it.",
    )
    parser.add_argument("--version", action="version", version=f"xentlab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = commands.add_parser(
        "neuron",
        help="train one sigmoid neuron by gradient descent and show its path",
        description="Train one sigmoid neuron a = σ(wx + b) on one example by gradient descent.",
    )
    p.add_argument("--cost", default="cross-entropy", help="quadratic or cross-entropy")
    p.add_argument("--w", type=float, default=2.0, help="starting weight (default 2.0)")
    p.add_argument("--b", type=float, default=2.0, help="starting bias (default 2.0)")
    p.add_argument("--x", type=float, default=1.0, help="the input (default 1.0)")
    p.add_argument("--y", type=float, default=0.0, help="the target in [0, 1] (default 0.0)")
    p.add_argument("--eta", type=float, default=0.005, help="learning rate η > 0 (default 0.005)")
    p.add_argument("--epochs", type=int, default=300, help="epochs ≥ 1 (default 300)")
    p.add_argument("--plot", metavar="PNG", help="write the cost-against-epoch figure here")
    p.add_argument("--json", action="store_true", help="print the whole trajectory as JSON")
    p.set_defaults(run=_neuron)

    p = commands.add_parser(
        "slowdown",
        help="the article's experiment: both costs from two starts, one figure and a table",
        description="Train one neuron (x = 1, y = 0) from (w, b) = (0.6, 0.9) and (2.0, 2.0) "
        "under both costs, at the article's rates (quadratic 0.15, cross-entropy 0.005) and at "
        "one common rate; write a figure and print when each run's output falls below 0.5 and 0.2.",
    )
    p.add_argument("--epochs", type=int, default=300, help="epochs ≥ 1 (default 300)")
    p.add_argument(
        "--common-eta", type=float, default=0.15, help="the rate used for both costs (default 0.15)"
    )
    p.add_argument("--out", default="slowdown.png", help="figure path (default slowdown.png)")
    p.set_defaults(run=_slowdown)

    from .data import DATASETS
    from .functions import COSTS
    from .model import DTYPES, INITS, REGULARIZATIONS

    p = commands.add_parser(
        "train",
        help="train a network of sigmoid neurons by mini-batch SGD",
        description="Train a feed-forward network on MNIST, Fashion-MNIST or the embedded 8x8 "
        "digits (no download), with a progress bar, one line per epoch and a summary.",
    )
    p.add_argument(
        "--dataset", choices=DATASETS, help="default: digits, or the data set of --resume"
    )
    p.add_argument("--data-dir", help="where the data files are (default: $XENTLAB_DATA, cache)")
    p.add_argument("--sizes", help="layer sizes, e.g. 784,30,10 (default: inputs,30,classes)")
    p.add_argument("--cost", default="cross-entropy", choices=list(COSTS))
    p.add_argument("--epochs", type=int, default=30, help="default 30")
    p.add_argument("--batch-size", type=int, default=10, help="mini-batch size (default 10)")
    p.add_argument("--eta", type=float, default=0.5, help="learning rate η (default 0.5)")
    p.add_argument("--lmbda", type=float, default=0.0, help="regularisation λ ≥ 0 (default 0)")
    p.add_argument("--regularization", default="l2", choices=REGULARIZATIONS)
    p.add_argument("--init", default="default", choices=INITS, help="default: 1/√n_in weights")
    p.add_argument("--seed", type=int, default=0, help="weights, shuffles and splits (default 0)")
    p.add_argument("--dtype", default="float32", choices=DTYPES)
    p.add_argument(
        "--early-stop",
        type=int,
        metavar="N",
        help="stop after N epochs without a better validation accuracy",
    )
    p.add_argument(
        "--schedule",
        type=int,
        metavar="N",
        help="halve η after N epochs without a better validation accuracy; stop at η₀/128",
    )
    p.add_argument("--save", metavar="JSON", help="write the trained network here")
    p.add_argument("--plot", metavar="PNG", help="write the learning curves (cost, accuracy) here")
    p.add_argument(
        "--checkpoint", metavar="PATH", help="write the training state here after every epoch"
    )
    p.add_argument("--checkpoint-every", type=int, metavar="N", help="... and every N mini-batches")
    p.add_argument(
        "--resume",
        metavar="PATH",
        help="continue the run saved in this checkpoint (its "
        "settings are used; the checkpoint keeps being updated)",
    )
    p.set_defaults(run=_train)

    p = commands.add_parser(
        "evaluate",
        help="accuracy and confusion matrix of a saved network",
        description="Load a saved network and report its accuracy and confusion matrix.",
    )
    p.add_argument("network", help="a network file written by xentlab train --save")
    p.add_argument(
        "--dataset", choices=DATASETS, help="default: the data set the network was trained on"
    )
    p.add_argument("--data-dir", help="where the data files are (default: $XENTLAB_DATA, cache)")
    p.add_argument("--split", default="test", choices=("train", "validation", "test"))
    p.add_argument("--seed", type=int, help="the digits split's seed (default: the training seed)")
    p.set_defaults(run=_evaluate)

    p = commands.add_parser(
        "data", help="download data sets, inspect files", description="Data sets and files."
    )
    data_commands = p.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    p = data_commands.add_parser(
        "fetch",
        help="download MNIST or Fashion-MNIST and verify checksums",
        description="Download a data set from known public mirrors into the cache (or --dest) "
        "and verify the SHA-256 of every file.",
    )
    p.add_argument("name", choices=("mnist", "fashion-mnist"))
    p.add_argument("--dest", help="directory to download into (default: the per-user cache)")
    p.set_defaults(run=_fetch)
    p = data_commands.add_parser(
        "inspect",
        help="check a file xentlab reads and say what it holds",
        description="Read an IDX file, an MNIST pickle, a network or a checkpoint with every "
        "check xentlab applies, and summarise it (or say exactly what is wrong).",
    )
    p.add_argument("file")
    p.add_argument("--kind", choices=FILE_KINDS, help="default: from the file name")
    p.set_defaults(run=_inspect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Piped output is not wrapped at 80 columns: tables stay one row per line.
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    try:
        return args.run(args, out)
    except KeyboardInterrupt:  # outside training, where Ctrl-C saves a checkpoint itself
        print("xentlab: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `xentlab neuron --json | head`: the reader has gone, fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except XentlabError as exc:
        print(f"xentlab: error: {exc}", file=sys.stderr)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"xentlab: error: {exc.strerror or exc}{where}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
