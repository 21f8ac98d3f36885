"""xentlab: why a sigmoid neuron learns slowly under the quadratic cost, and how the
cross-entropy cost cures it — the math once, real data, fast training."""

from .errors import FormatError, XentlabError

__version__ = "0.1.0"

__all__ = ["FormatError", "XentlabError", "__version__"]
