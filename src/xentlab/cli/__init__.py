"""The ``xentlab`` command: ``commands/`` (one module a command: its options, its handler,
its rendering), ``parser`` and ``options`` (what the commands' parsers share), ``render``,
``tables``, ``progress`` and ``text`` (what their output shares), ``main`` (exit codes)."""

from .main import entry_point, main

__all__ = ["entry_point", "main"]
