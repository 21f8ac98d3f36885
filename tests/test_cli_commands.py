"""Each command of ``xentlab`` is one module of ``cli/commands/``, holding its options and its
handler, and one line of ``COMMANDS``: a module left out of the list, listed twice, or a
handler that lives elsewhere is caught here."""

from __future__ import annotations

import argparse
from pathlib import Path

from xentlab.cli import commands
from xentlab.cli.commands import COMMANDS, build_parser, named_command

FOLDER = Path(commands.__file__).parent


def test_every_command_module_is_registered_once():
    modules = sorted(p.stem for p in FOLDER.glob("*.py") if p.stem != "__init__")
    assert sorted(COMMANDS) == modules


def test_a_command_alone_parses_as_in_the_whole_parser():
    """``xentlab train ...`` builds the parser of train alone (so that only its module is
    imported): that parser is the same, option for option, as train's in the whole parser."""
    whole = leaf_parsers(build_parser())
    for name in COMMANDS:
        alone = leaf_parsers(build_parser(name))
        assert sorted(alone) == sorted(k for k in whole if k.split()[0] == name)
        for typed, parser in alone.items():
            assert parser.prog == whole[typed].prog == f"xentlab {typed}"
            assert parser.format_help() == whole[typed].format_help()


def test_the_command_is_named_by_the_first_word_only():
    assert named_command(["train", "--epochs", "1"]) == "train"
    assert named_command(["data", "fetch", "mnist"]) == "data"
    for others in ([], ["--help"], ["--version"], ["trian"], ["--epochs", "train"]):
        assert named_command(others) is None  # the whole parser: help, version, a typo


def leaf_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """{"data fetch": its parser, ...}: every parser that runs something, by what is typed."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                inner = leaf_parsers(sub)
                found.update({f"{name} {k}": v for k, v in inner.items()} if inner else {name: sub})
    return found


def test_each_command_runs_a_handler_of_its_own_module():
    leaves = leaf_parsers(build_parser())
    assert len(leaves) == 13  # twelve modules; data has two subcommands
    for typed, parser in leaves.items():
        module = f"xentlab.cli.commands.{typed.split()[0]}"
        run = parser.get_default("run")
        assert run.__module__ == module, f"xentlab {typed}: its handler is in {run.__module__}"
        assert parser.get_default("command_parser") is parser  # errors name this command
