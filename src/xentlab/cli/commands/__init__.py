"""The commands of ``xentlab``, one module each, holding the whole command: its options and
help (``add_parser``, which sets its handler as the parser's default), its handler (``run``:
the parsed arguments → the library → rendered output, and an exit code) and the rendering
only it uses. What several commands share is beside this folder, in ``cli/``.

A new command is one module here and one line in ``COMMANDS``.
"""

from __future__ import annotations

from typing import Protocol

from ... import __version__
from ..parser import Parser, Subcommands
from . import (
    compare,
    data,
    evaluate,
    export,
    neuron,
    report,
    saturation,
    serve,
    slowdown,
    sweep,
    train,
)


class Command(Protocol):
    """A command's module: ``add_parser`` adds the command to ``xentlab``'s subcommands."""

    def add_parser(self, subcommands: Subcommands) -> None: ...


# One line a command, in the order `xentlab --help` lists them.
COMMANDS: tuple[Command, ...] = (
    neuron,
    slowdown,
    saturation,
    compare,
    report,
    serve,
    sweep,
    train,
    evaluate,
    export,
    data,
)


def build_parser() -> Parser:
    """``xentlab`` and each command of ``COMMANDS``, with its options."""
    parser = Parser(
        prog="xentlab",
        description="Why a sigmoid neuron learns slowly under the quadratic cost, and how the "
        "cross-entropy cost cures it.",
    )
    parser.add_argument("--version", action="version", version=f"xentlab {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(subcommands)
    return parser
