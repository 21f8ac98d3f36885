"""How ``xentlab`` reads its command line: the parser every command and subcommand is made of.

Every option's default is shown by ``--help``; options are never abbreviated (``--epoch`` is an
error, not ``--epochs``); an empty path or size list is an error, not a default; an unknown
option is reported by the subcommand it was given to, pointing at that subcommand's help.
The commands themselves, and the parser built from them, are in ``commands/``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn, TypeAlias

from .exit_codes import EXIT_BAD_INPUT
from .text import one_line


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        if isinstance(action.default, tuple):  # shown as typed: quadratic,cross-entropy
            shown = ",".join(map(str, action.default))
            return f"{action.help} (default: {shown})"
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the message and where to get help), options
    are never abbreviated, and every default is shown in the help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        message = one_line(message)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """Parse; an unknown option is reported by the subcommand it was given to."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            where: Parser = getattr(parsed, "command_parser", self)
            where.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed


# What a command's ``add_parser`` adds its subcommand to.
Subcommands: TypeAlias = "argparse._SubParsersAction[Parser]"


def option_names(parser: argparse.ArgumentParser) -> dict[str, str]:
    """{dest: "--long-option"} for every option of ``parser``: how a user types a parameter.
    Where two options set one dest (a new name and the old one kept), the first declared names
    it."""
    names: dict[str, str] = {}
    for action in parser._actions:
        if action.option_strings and action.dest not in ("help", "version"):
            names.setdefault(action.dest, action.option_strings[-1])
    return names
