"""The ``xentlab`` entry point: the only place that turns outcomes into exit codes.

Every bad input ends the same way: one line on stderr naming the problem in the words the user
typed (``--batch-size``, not the library's ``batch_size``), exit code 2. Output goes through
one console that never reads markup into the user's text, never wraps a line mid-phrase, and
falls back to ASCII (eta for η) on a terminal that cannot print Unicode.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Sequence

from rich.console import Console

from ..errors import XentlabError
from ..files import places
from . import streams, text
from .commands import build_parser, named_command
from .exit_codes import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_TERMINATED
from .parser import option_names


class QuietOnClosedPipe(Console):
    """A console that, when its reader goes away (``xentlab train | head -3``), goes quiet and
    lets the command finish its work (a run still trains and saves) instead of exiting."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class Terminated(BaseException):
    """SIGTERM outside training and serving: unwinds like Ctrl-C (a file being written is
    discarded)."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def entry_point() -> int:
    """``xentlab`` as a program (the console script, ``python -m xentlab``): :func:`main` on
    the process's arguments, then its exit code, for the process to end with.

    Before it ends, every object is frozen (``gc.freeze``): the interpreter's last garbage
    collections then skip them, where they would otherwise walk every object the process made
    (numba's registries among them: 0.2 s of a short run) only for the system to reclaim the
    memory anyway. Reference counting still closes files and runs the atexit handlers."""
    code = main()
    gc.freeze()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    streams.open_closed_streams()  # `xentlab train >&-`: the work is still done and saved
    text.fall_back_to_ascii(sys.stdout, sys.stderr)
    stand_in = places.point_dependency_caches()  # before Matplotlib or Numba is imported
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _run(argv, stand_in)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(argv: Sequence[str] | None, stand_in: places.Cache | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(named_command(arguments))  # only the command that runs is imported
    try:
        args = parser.parse_args(arguments)
    except SystemExit as done:  # --help, --version, or a usage error already printed
        return done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
    if stand_in is not None and stand_in.stand_in_because is not None:
        text.warning_line(
            f"{stand_in.stand_in_because}: caching in {stand_in.path} instead; set HOME or "
            "XDG_CACHE_HOME to keep a cache of your own"
        )
    # No line is wrapped or cut: tables lay themselves out within 80 columns (cli/tables.py),
    # at the terminal's width, COLUMNS if set, else 80, whichever is narrower.
    out = QuietOnClosedPipe(highlight=False, markup=False, emoji=False, soft_wrap=True)
    try:
        code: int = args.run(args, out)
        return code
    except KeyboardInterrupt:  # outside training, where Ctrl-C stops the run and saves it
        text.error_line("interrupted")
        return EXIT_INTERRUPTED
    except Terminated:
        text.error_line("terminated")
        return EXIT_TERMINATED
    except BrokenPipeError:  # `xentlab slowdown | head -1`: the reader has gone, fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except XentlabError as exc:
        said = _said(exc, args.command_parser.prog)
        text.error_line(text.in_user_words(said, option_names(args.command_parser)))
    except MemoryError:  # every size is checked before it is allocated; this is the last net
        text.error_line("out of memory: ask for less (fewer epochs, starts or smaller layers)")
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        said = (exc.strerror or "").strip() or (os.strerror(exc.errno) if exc.errno else "")
        text.error_line(f"{said or _said(exc, args.command_parser.prog)}{where}")
    return EXIT_BAD_INPUT


def _said(exc: BaseException, command: str) -> str:
    """What the exception says; where it says nothing (or only blanks), its type and what was
    being done, so that an error line is never empty."""
    return str(exc).strip() or f"{type(exc).__name__} with no message, while running {command}"
