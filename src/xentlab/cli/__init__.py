"""The ``xentlab`` command: ``parser`` (arguments), ``commands`` (parse → call → render),
``render`` (tables, progress, summaries), ``main`` (exit codes)."""

from .main import main

__all__ = ["main"]
