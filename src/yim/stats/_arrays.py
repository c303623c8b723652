"""Array helpers shared by the models of the statistics library."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["readonly"]


def readonly(values: ArrayLike) -> NDArray[np.float64]:
    """A float copy of ``values`` that cannot be written to: the arrays a result hands out
    stay as they were fitted, whatever the caller does with the input or the output."""
    arr = np.array(values, dtype=np.float64, copy=True)
    arr.setflags(write=False)
    return arr
