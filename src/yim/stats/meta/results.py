"""Result building blocks shared by every meta-analytic model.

Results are immutable: a fit returns a frozen dataclass, never a mutable object
whose numbers can change after the fact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class Coefficient:
    """One row of a coefficient table."""

    name: str
    estimate: float
    se: float
    statistic: float
    df: float | None  # None for z-tests (normal reference distribution)
    pval: float
    ci_lb: float
    ci_ub: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def coefficient_table(
    names: Sequence[str],
    beta: ArrayLike,
    se: ArrayLike,
    statistic: ArrayLike,
    pval: ArrayLike,
    crit: ArrayLike,
    df: NDArray[np.float64] | float | None,
) -> tuple[Coefficient, ...]:
    """One :class:`Coefficient` per name, with the CI ``beta -/+ crit * se``.

    ``crit`` (the critical value) and ``df`` are given per row or once for all rows; a single
    ``df`` is kept as given (None for z-tests), per-row degrees of freedom become floats.
    """
    b, s, z, pv = (np.asarray(a, dtype=float) for a in (beta, se, statistic, pval))
    c = np.broadcast_to(np.asarray(crit, dtype=float), b.shape)
    dfs: list[float | None] = (
        [float(d) for d in df] if isinstance(df, np.ndarray) else [df] * len(names)
    )
    return tuple(
        Coefficient(
            name=str(names[j]),
            estimate=float(b[j]),
            se=float(s[j]),
            statistic=float(z[j]),
            df=dfs[j],
            pval=float(pv[j]),
            ci_lb=float(b[j] - c[j] * s[j]),
            ci_ub=float(b[j] + c[j] * s[j]),
        )
        for j in range(len(names))
    )


@dataclass(frozen=True)
class VarianceComponent:
    """An estimated variance component (tau^2 or a sigma^2 per level) with its CI."""

    name: str
    value: float
    ci_lb: float | None = None
    ci_ub: float | None = None
    ci_method: str | None = None  # e.g. "Q-profile", "profile likelihood"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ModeratorTest:
    """Omnibus test of the moderators (QM as chi^2, or F with df1/df2)."""

    statistic: float
    df1: float
    df2: float | None  # None for the chi^2 form
    pval: float
    test: str  # "chisq" or "F"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MethodChoices:
    """Every option that changes numbers, recorded on each result and printed in summaries."""

    model: str  # "EE", "RE", "ML-3L", ...
    estimator: str | None  # "REML", "DL", ...
    test: str  # "z", "t", "knha", "knha-truncated"
    df_method: str | None = None  # "residual" (k - p), "contain", "satterthwaite"
    ci_type: str = "wald"
    i2_formula: str | None = None
    extra: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["extra"] = dict(self.extra)
        return d

    def lines(self) -> list[str]:
        out = [f"model: {self.model}", f"estimator: {self.estimator}", f"test: {self.test}"]
        if self.df_method:
            out.append(f"df method: {self.df_method}")
        out.append(f"CI type: {self.ci_type}")
        if self.i2_formula:
            out.append(f"I² formula: {self.i2_formula}")
        out.extend(f"{k}: {v}" for k, v in self.extra)
        return out
