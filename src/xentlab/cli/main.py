"""The ``xentlab`` entry point: the only place that turns outcomes into exit codes.

Every bad input ends the same way: one line on stderr naming the problem, exit code 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from rich.console import Console

from ..errors import XentlabError
from .commands import EXIT_INTERRUPTED
from .parser import EXIT_BAD_INPUT, build_parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Piped output is not wrapped at 80 columns: tables stay one row per line.
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    try:
        code: int = args.run(args, out)
        return code
    except KeyboardInterrupt:  # outside training, where Ctrl-C stops the run and saves it
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
