"""``xentlab export``: a saved network converted between xentlab's JSON and safetensors."""

from __future__ import annotations

import argparse

from rich.console import Console

from ... import runs
from ...functions import COST_NAMES
from ...runs import EXPORT_SUFFIXES
from ..argument_types import path
from ..exit_codes import EXIT_OK
from ..options import add_force
from ..parser import Subcommands


def add_parser(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "export",
        help="convert a saved network between JSON and safetensors",
        description="Convert a saved network to the format the target's name ends in: "
        ".safetensors (the weights for PyTorch, JAX and others, named as torch names the "
        "parameters of Linear layers at 0, 2, 4, ... of a Sequential: 0.weight (out, in), "
        "0.bias, 2.weight, ...; the cost, sizes and xentlab version in its metadata) or .json "
        "(xentlab's network file).",
    )
    p.add_argument("network", type=path, help="a saved network: JSON, or a .safetensors file")
    p.add_argument(
        "--to",
        dest="target",
        type=path,
        required=True,
        metavar="FILE",
        help=f"the file to write: {' or '.join(EXPORT_SUFFIXES)}",
    )
    p.add_argument(
        "--cost",
        choices=COST_NAMES,
        help="the cost of a safetensors file that records none (default: cross-entropy)",
    )
    add_force(p)
    p.set_defaults(run=run, command_parser=p)


def run(args: argparse.Namespace, out: Console) -> int:
    saved = runs.export_network(args.network, args.target, args.cost, force=args.force)
    network = saved.network
    out.print(
        f"{args.network} ({list(network.sizes)}, {network.cost.label}, {network.dtype.name}) "
        f"written to {args.target}"
    )
    return EXIT_OK
