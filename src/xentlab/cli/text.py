"""Text for a terminal: error lines, the user's option names (and the options they gave, for
the commands hints suggest), and an ASCII fallback."""

from __future__ import annotations

import argparse
import codecs
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

# What a terminal without Unicode shows instead (anything else becomes '?').
ASCII_FALLBACKS = {
    "η": "eta",
    "λ": "lambda",
    "σ": "sigma",
    "Δ": "d",
    "∂": "d",
    "≥": ">=",
    "≤": "<=",
    "≈": "~",
    "×": "x",
    "−": "-",
    "…": "...",
    "₀": "0",
    "√": "sqrt",
    "⊙": "*",
    "·": ".",
    "²": "^2",
    "—": "--",
    "–": "-",
    "±": "+/-",
    "◀": "<",
    # the derivations' (xentlab derive): one character for one where the layout needs it
    "✓": "v",
    "✗": "x",
    "ᴸ": "L",
    "ₖ": "k",
    "ⱼ": "j",
    "ₐ": "a",
    "ᵧ": "y",
    "₌": "=",
    "∘": "o",
    "Σ": "sum ",
    "≠": "!=",
    "∅": "{}",
    "→": "->",
}
ERROR_HANDLER = "xentlab-ascii"


def _ascii_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(ASCII_FALLBACKS.get(c, "?") for c in bad), error.end


codecs.register_error(ERROR_HANDLER, _ascii_fallback)


def says_unicode(stream: TextIO) -> bool:
    """Whether ``stream`` can print what xentlab writes in Unicode (η, σ, ⎛, ─)."""
    try:
        "ησ⎛─".encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def fall_back_to_ascii(*streams: TextIO) -> None:
    """Make each stream print η as eta (and so on) where its encoding cannot say η."""
    for stream in streams:
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "ησλ≥".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors=ERROR_HANDLER)


def to_ascii(text: str) -> str:
    """The text as a terminal without Unicode shows it (η as eta): for measuring it before it
    is laid out."""
    return text.encode("ascii", ERROR_HANDLER).decode("ascii")


NO_MESSAGE = "(no message)"


def one_line(message: str) -> str:
    """The message on one line: newlines and other control characters (in a path, say) are
    shown escaped; a message that is empty or only blanks is shown as NO_MESSAGE, never as
    nothing."""
    if not message.strip():
        return NO_MESSAGE
    return "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii")
        for c in message
    )


def error_line(message: str) -> None:
    print(f"xentlab: error: {one_line(message)}", file=sys.stderr)


def warning_line(message: str) -> None:
    print(f"xentlab: warning: {one_line(message)}", file=sys.stderr)


def in_user_words(message: str, options: dict[str, str]) -> str:
    """A library message about a parameter ("batch_size must be ...", "eta for quadratic is
    missing") names instead the option the user types ("--batch-size must be ..."); a message
    that merely begins with the same word ("checkpoint file ...") is left alone."""
    match = re.match(r"[a-z_]+(?= (must|needs|for) )", message)
    if match and match.group() in options:
        return options[match.group()] + message[match.end() :]
    return message


def given_arguments(
    args: argparse.Namespace, parser: argparse.ArgumentParser, dests: Sequence[str] | None = None
) -> list[tuple[str, Any]]:
    """The arguments of ``parser`` that ``args`` holds other than their defaults (what the user
    typed), as (option, value) pairs in the parser's order, for hints.command_line: a
    positional argument has the option ""; ``dests``, if given, keeps only those arguments, in
    that order."""
    actions = {
        action.dest: action
        for action in parser._actions
        if action.dest not in ("help", "version") and hasattr(args, action.dest)
    }
    chosen = [actions[d] for d in dests if d in actions] if dests is not None else actions.values()
    return [
        (action.option_strings[-1] if action.option_strings else "", getattr(args, action.dest))
        for action in chosen
        if getattr(args, action.dest) != action.default
    ]
