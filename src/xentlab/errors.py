"""The one error type xentlab raises for bad input.

Every check at the library's boundary raises :class:`XentlabError` (a ``ValueError``) with a
message that names the parameter, the value received and what is allowed. The command line
prints that message on one line and exits with code 2; anything else is a bug.
"""

from __future__ import annotations


class XentlabError(ValueError):
    """Bad input: a parameter, array or file that xentlab cannot accept."""


class FormatError(XentlabError):
    """A file (IDX, pkl, model, checkpoint) whose content is malformed or not what it claims."""
