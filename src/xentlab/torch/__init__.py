"""xentlab for PyTorch users: :class:`SaturationMonitor`, which tells whether a network of
sigmoid layers learns slowly because its units are saturated (σ'(z) < 0.01) under a cost whose
gradient carries σ'(z).

PyTorch is optional for xentlab: importing this package without it fails with one line saying
what to install.
"""

from __future__ import annotations

try:
    import torch as _torch  # noqa: F401  (absolute: PyTorch itself, not this package)
except ModuleNotFoundError as missing:
    if missing.name != "torch":
        raise
    raise ModuleNotFoundError(
        "xentlab.torch needs PyTorch, which is not installed: pip install torch==2.13.0 "
        "(the CPU build: add --index-url https://download.pytorch.org/whl/cpu)",
        name="torch",
    ) from None

from .monitor import SaturationMonitor
from .summary import LayerSummary, MonitorSummary
from .traces import LayerTrace

__all__ = ["LayerSummary", "LayerTrace", "MonitorSummary", "SaturationMonitor"]
