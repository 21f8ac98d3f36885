"""The commands of ``xentlab``, one module each, holding the whole command: its options and
help (``add_parser``, which sets its handler as the parser's default), its handler (``run``:
the parsed arguments → the library → rendered output, and an exit code) and the rendering
only it uses. What several commands share is beside this folder, in ``cli/``.

A new command is one module here, named as the command is typed, and one line in
``COMMANDS``. A command's module is imported only when that command runs (or when the whole
parser is built, for ``xentlab --help``): ``xentlab train`` never imports the sweeps, the page
or the experiments, nor the libraries they need.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Protocol, cast

from ... import __version__
from ..parser import Parser, Subcommands


class Command(Protocol):
    """A command's module: ``add_parser`` adds the command to ``xentlab``'s subcommands."""

    def add_parser(self, subcommands: Subcommands) -> None: ...


# One line a command (its module's name, which is the command's), in the order
# `xentlab --help` lists them.
COMMANDS: tuple[str, ...] = (
    "neuron",
    "slowdown",
    "saturation",
    "compare",
    "derive",
    "report",
    "serve",
    "sweep",
    "train",
    "evaluate",
    "export",
    "data",
)


def command_module(name: str) -> Command:
    """The module of command ``name`` (one of COMMANDS), imported now if it was not before."""
    return cast(Command, importlib.import_module(f"{__name__}.{name}"))


def build_parser(command: str | None = None) -> Parser:
    """``xentlab`` and each command of ``COMMANDS``, with its options; or, given the command
    about to run (one of COMMANDS), ``xentlab`` with that command alone, so that running it
    imports its own module and nothing of the others'. The two parse that command's arguments
    the same way: a command's parser, its name (``xentlab train``) and its messages do not
    depend on the commands beside it."""
    parser = Parser(
        prog="xentlab",
        description="Why a sigmoid neuron learns slowly under the quadratic cost, and how the "
        "cross-entropy cost cures it.",
    )
    parser.add_argument("--version", action="version", version=f"xentlab {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name in COMMANDS if command is None else (command,):
        command_module(name).add_parser(subcommands)
    return parser


def named_command(argv: Sequence[str]) -> str | None:
    """The command ``argv`` (the arguments after ``xentlab``) runs, when its first word names
    one; else None (``--help``, ``--version``, nothing, a mistyped command), for which the whole
    parser is needed."""
    return argv[0] if argv and argv[0] in COMMANDS else None
