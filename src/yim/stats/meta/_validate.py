"""Input checks shared by the effect-size functions and the models.

Rows are reported 1-based ("row 3"), the way a person counts rows in a spreadsheet.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from yim.stats.meta.errors import MetaAnalysisError

FloatArray = NDArray[np.float64]


def as_vector(
    name: str,
    values: ArrayLike,
    *,
    error: type[MetaAnalysisError] = MetaAnalysisError,
    length: int | None = None,
) -> FloatArray:
    """Convert ``values`` to a 1-d float array and reject non-finite entries.

    ``name`` is the argument name used in error messages. A scalar is broadcast to ``length``
    when a length is given.
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise error(f"{name}: values must be numeric ({exc})") from exc
    if arr.ndim == 0:
        arr = np.full(length if length is not None else 1, float(arr))
    if arr.ndim != 1:
        raise error(f"{name}: expected a one-dimensional sequence, got shape {arr.shape}")
    if length is not None and arr.shape[0] != length:
        raise error(f"{name}: has {arr.shape[0]} values but {length} were expected")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise error(
            f"{name}: row {bad[0] + 1} is {float(arr[bad[0]])}; values must be finite numbers"
        )
    return arr


def common_length(
    arrays: Sequence[tuple[str, ArrayLike]],
    *,
    error: type[MetaAnalysisError] = MetaAnalysisError,
) -> int:
    """Length shared by all non-scalar inputs (scalars broadcast)."""
    lengths: dict[str, int] = {}
    for name, values in arrays:
        arr = np.asarray(values)
        if arr.ndim > 0:
            lengths[name] = int(arr.shape[0])
    if not lengths:
        return 1
    distinct = set(lengths.values())
    if len(distinct) > 1:
        listed = ", ".join(f"{k}={v}" for k, v in lengths.items())
        raise error(f"inputs differ in length: {listed}")
    return distinct.pop()


def positive_vector(name: str, values: ArrayLike, *, length: int, what: str) -> FloatArray:
    """:func:`as_vector` for values that must be > 0 (``what`` names them in the message)."""
    arr = as_vector(name, values, length=length)
    row = first_row(arr <= 0)
    if row is not None:
        raise MetaAnalysisError(f"{name}: row {row} is {arr[row - 1]:g}; {what} must be > 0")
    return arr


def cluster_codes(cluster: ArrayLike, k: int) -> tuple[NDArray[np.intp], list[object]]:
    """The cluster of each of ``k`` effect sizes as a code 0, 1, … into the sorted labels."""
    series = pd.Series(np.asarray(cluster, dtype=object))
    if series.size != k:
        raise MetaAnalysisError(f"cluster has {series.size} labels for {k} effect sizes")
    missing = np.flatnonzero(series.isna().to_numpy())
    if missing.size:
        raise MetaAnalysisError(f"cluster: missing label in row {missing[0] + 1}")
    codes, labels = pd.factorize(series, sort=True)
    return np.asarray(codes, dtype=np.intp), labels.tolist()


def first_row(mask: NDArray[np.bool_]) -> int | None:
    """1-based number of the first row where ``mask`` is true, or None."""
    hits = np.flatnonzero(mask)
    return int(hits[0]) + 1 if hits.size else None
