"""``xentlab derive``: the article's algebra, each step checked by SymPy and each final formula
checked numerically against xentlab's own gradient code; written as text, LaTeX or Markdown,
in English or Chinese, on stdout or to a file.

SymPy, a dependency of xentlab, is imported only when this command runs (no other command
waits for it); where it is missing all the same, the command says how to install it and exits
with code 2."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from ...experiments import derive_words  # noqa: F401  (recognises the files derive writes)
from ...experiments.derive_choices import DERIVATION_FORMATS, DERIVE_COSTS, PARTS, require_sympy
from ...files import atomic_write, check_output_target
from .. import text
from ..argument_types import path
from ..exit_codes import EXIT_OK
from ..options import add_force, add_language
from ..parser import Subcommands

PART_MEANINGS = (
    "neuron: one neuron's ∂C/∂w_j and ∂C/∂b; reverse: the cross-entropy found from the "
    "gradient ∂C/∂b = σ(z) − y; properties: why the cross-entropy is a cost; outputs: the "
    "output error δᴸ of sigmoid, softmax and linear output layers"
)


def add_parser(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "derive",
        help="the article's algebra, each step checked by SymPy",
        description="Derive ∂C/∂w_j and ∂C/∂b of a sigmoid neuron under the quadratic and the "
        "cross-entropy cost as the article does, step by step, each step verified by SymPy; "
        "find the cross-entropy again from the gradient it should have; show why it is a cost; "
        "and derive the output error δᴸ of a layer of outputs. Each final formula is also "
        "evaluated at seeded random points against xentlab's own gradient code. Needs SymPy "
        "(pip install sympy). Example: xentlab derive --cost cross-entropy "
        "--part neuron --format md --lang zh --out derive.md",
    )
    p.add_argument(
        "--cost",
        choices=DERIVE_COSTS,
        default="all",
        help="the cost whose derivations to show (log-likelihood: the softmax output's)",
    )
    p.add_argument("--part", choices=PARTS, default="all", help=PART_MEANINGS)
    p.add_argument(
        "--format",
        choices=DERIVATION_FORMATS,
        default="text",
        help="text (Unicode, for a terminal), tex (a LaTeX document) or md (Markdown with "
        "$$ LaTeX $$)",
    )
    add_language(p, "derive")
    p.add_argument("--out", type=path, metavar="FILE", help="write here instead of to stdout")
    add_force(p)
    p.set_defaults(run=run, command_parser=p)


def run(args: argparse.Namespace, out: Console) -> int:
    if args.out is not None:
        check_output_target(args.out, "derivation", force=args.force)
    require_sympy()
    from ...experiments.derive import derive
    from ...experiments.derive_documents import render

    # Equations drawn in Unicode, unless they go to a terminal that cannot show it
    unicode = args.out is not None or text.says_unicode(sys.stdout)
    written = render(derive(args.cost, args.part), args.format, args.lang, unicode)
    if args.out is None:
        out.print(written, end="")
        return EXIT_OK
    with atomic_write(args.out, "w", kind="derivation", force=args.force, encoding="utf-8") as f:
        f.write(written)
    out.print(f"derivation written to {args.out}")
    return EXIT_OK
