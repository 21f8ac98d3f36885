"""What the saturation monitor keeps of each watched layer: per recorded step, the step number,
the saturation S, the fraction saturated and wrong W (NaN where no targets were seen) and the
gradient factor g, in compact arrays (32 bytes a step) that can be thinned to every k-th step.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class LayerTrace:
    """One watched layer, one entry per recorded step (see :class:`SaturationMonitor` for the
    formulas). ``saturated_wrong`` is NaN at steps where no targets reached the monitor."""

    name: str
    role: str
    steps: NDArray[np.int64]
    saturation: NDArray[np.float64]
    saturated_wrong: NDArray[np.float64]
    gradient_factor: NDArray[np.float64]


class _Trace:
    """A growing LayerTrace in compact arrays: 32 bytes per recorded step."""

    def __init__(self, name: str, role: str) -> None:
        self.name, self.role = name, role
        self.steps = array("q")
        self.saturation = array("d")
        self.saturated_wrong = array("d")
        self.gradient_factor = array("d")

    def append(self, step: int, saturation: float, factor: float) -> None:
        self.steps.append(step)
        self.saturation.append(saturation)
        self.saturated_wrong.append(math.nan)
        self.gradient_factor.append(factor)

    def keep_multiples_of(self, stride: int) -> None:
        keep = [i for i, step in enumerate(self.steps) if step % stride == 0]
        for column in ("steps", "saturation", "saturated_wrong", "gradient_factor"):
            values = getattr(self, column)
            setattr(self, column, array(values.typecode, (values[i] for i in keep)))

    def frozen(self) -> LayerTrace:
        return LayerTrace(
            self.name,
            self.role,
            np.array(self.steps, dtype=np.int64),
            np.array(self.saturation, dtype=np.float64),
            np.array(self.saturated_wrong, dtype=np.float64),
            np.array(self.gradient_factor, dtype=np.float64),
        )
