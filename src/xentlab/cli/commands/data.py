"""``xentlab data``: ``fetch`` downloads MNIST or Fashion-MNIST and verifies its checksums;
``inspect`` reads a file xentlab reads, with every check it applies, and says what it holds."""

from __future__ import annotations

import argparse

import numpy as np
from rich.console import Console

from ... import data, formats, runs
from ...checks import plural
from ...data import FETCHABLE
from ...runs import FILE_KINDS
from .. import progress
from ..argument_types import path
from ..exit_codes import EXIT_OK
from ..parser import Parser, Subcommands


def add_parser(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "data", help="download data sets, inspect files", description="Data sets and files."
    )
    p.set_defaults(command_parser=p)
    data_commands = p.add_subparsers(dest="data_command", required=True, parser_class=Parser)
    p = data_commands.add_parser(
        "fetch",
        help="download MNIST or Fashion-MNIST and verify checksums",
        description="Download a data set from known public mirrors into the cache (or --dest) "
        "and verify the SHA-256 of every file.",
    )
    p.add_argument("name", choices=FETCHABLE)
    p.add_argument(
        "--dest", type=path, help="directory to download into (default: the per-user cache)"
    )
    p.set_defaults(run=run_fetch, command_parser=p)
    p = data_commands.add_parser(
        "inspect",
        help="check a file xentlab reads and say what it holds",
        description="Read an IDX file, an MNIST pickle, a network (JSON or safetensors) or a "
        "checkpoint with every check xentlab applies, and summarise it (or say exactly what is "
        "wrong).",
    )
    p.add_argument("file", type=path)
    p.add_argument("--kind", choices=FILE_KINDS, help="default: from the file name")
    p.set_defaults(run=run_inspect, command_parser=p)


def run_fetch(args: argparse.Namespace, out: Console) -> int:
    with FetchProgress(out, args.name) as download:
        where = data.fetch(
            args.name, args.dest, progress=download.on_bytes, on_download=download.on_download
        )
    out.print(f"{args.name} is in {where} (checksums verified)")
    return EXIT_OK


def run_inspect(args: argparse.Namespace, out: Console) -> int:
    kind = args.kind or runs.file_kind(args.file)
    if kind == "idx":
        array = data.read_idx(args.file)
        out.print(f"{args.file}: IDX, unsigned bytes, shape {array.shape}")
        if array.ndim == 1:
            out.print(f"values: {label_counts(array)}")
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
            f"{args.file}: {what} {list(network.sizes)}, {network.cost.label}{assumed}, "
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


class FetchProgress:
    """A data set's download: each file's bytes as they arrive. A file is done when the next
    file begins or the fetch returns; one tried again from another mirror, or the last one
    when the fetch fails, is not."""

    def __init__(self, out: Console, name: str) -> None:
        self.display = progress.display(out, f"data fetch {name}")
        self.file: str | None = None
        self.task: progress.Task | None = None

    def __enter__(self) -> FetchProgress:
        self.display.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self._end(succeeded=exc_type is None)
        self.display.stop()

    def on_download(self, url: str) -> None:
        file = url.rsplit("/", 1)[-1]
        self._end(succeeded=file != self.file)
        self.file = file
        self.task = self.display.add(file, None, progress.BYTES)

    def on_bytes(self, done: int, total: int | None) -> None:
        if self.task is not None:
            self.task.update(done, total)

    def _end(self, succeeded: bool) -> None:
        if self.task is not None:
            if succeeded:
                self.task.finish()
            else:
                self.task.abandon()
            self.task = None


def label_counts(labels: np.ndarray) -> str:
    values, counts = np.unique(labels, return_counts=True)
    return ", ".join(f"{v}: {c}" for v, c in zip(values, counts, strict=True))
