"""What ``xentlab derive`` can be asked for, and whether SymPy is there to answer: light enough
for the command line to import at start (``experiments.derive`` imports SymPy, this does not)."""

from __future__ import annotations

from ..checks import OneOf
from ..errors import XentlabError

PARTS = OneOf(("neuron", "reverse", "properties", "outputs", "all"))
DERIVE_COSTS = OneOf(("quadratic", "cross-entropy", "log-likelihood", "all"))
DERIVATION_FORMATS = OneOf(("text", "tex", "md"))  # as derive_documents.render writes them
SYMPY_MISSING = "the derivation is checked by SymPy, which is not installed: pip install sympy"


def require_sympy() -> None:
    """Import SymPy, or raise XentlabError saying how to install it."""
    try:
        import sympy  # noqa: F401
    except ImportError:
        raise XentlabError(SYMPY_MISSING) from None


def sympy_available() -> bool:
    """Whether SymPy imports (it is then imported)."""
    try:
        require_sympy()
    except XentlabError:
        return False
    return True
