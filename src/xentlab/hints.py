"""Commands that xentlab suggests in a message ("continue with: xentlab train --resume ..."),
written so that they work when copied into a POSIX shell: each value written as the command line
reads it back, and quoted (``shlex.quote``) where the shell would otherwise split or expand it.
Every message that suggests a command builds it here; the command line (``cli``) gives it the
options the user actually typed."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def argument_text(value: Any) -> str:
    """``value`` as an option takes it: 784,30,10 for layer sizes; quadratic=3,cross-entropy=0.5
    for a rate per cost; 30,60:30 for networks by their hidden widths (a network's widths
    joined by colons); a float as Python writes it back exactly (0.1, 1e-05); a path as text."""
    if isinstance(value, Mapping):
        return ",".join(f"{key}={argument_text(item)}" for key, item in value.items())
    if isinstance(value, (tuple, list)):
        return ",".join(
            ":".join(map(argument_text, item))
            if isinstance(item, (tuple, list))
            else argument_text(item)
            for item in value
        )
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


def command_line(words: Sequence[str], options: Iterable[tuple[str, Any]] = ()) -> str:
    """The command ``words`` (``["xentlab", "train"]``) followed by ``options``, as one line a
    shell runs as it reads: each (option, value) pair becomes ``option value``; a value of True
    the option alone (a flag); None or False leaves the option out; an empty option name puts
    the value alone (a positional argument)."""
    parts = list(words)
    for option, value in options:
        if value is None or value is False:
            continue
        if option:
            parts.append(option)
        if value is not True:
            parts.append(argument_text(value))
    return shlex.join(parts)
