"""Residual heterogeneity of a two-level model: Cochran's Q_E, I^2 and H^2 as metafor defines them.

* Q_E = y' P y with P built from the fixed-effect weights 1/v; Q_E ~ chi^2(k - p) under
  tau^2 = 0.
* I^2 and H^2 for random-effects fits use the "typical" sampling variance
  s^2 = (k - p) / tr(P):  I^2 = 100 tau^2 / (tau^2 + s^2),  H^2 = tau^2 / s^2 + 1.
  They therefore change with the tau^2 estimator (they are *not* (Q - df)/Q).
* For equal-effects fits there is no tau^2, and metafor reports I^2 = max(0, 100 (Q - df)/Q),
  H^2 = Q/df.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scipy import stats

from yim.stats.meta._tau2 import Projection
from yim.stats.meta._validate import FloatArray

I2_FORMULA_RE = "I² = τ²/(τ² + s²), s² = (k − p)/tr(P)"
I2_FORMULA_EE = "I² = (Q − df)/Q"


@dataclass(frozen=True)
class Heterogeneity:
    """Q_E test and the I^2 / H^2 summaries; ``typical_variance`` is s^2 (0 when k = p)."""

    QE: float
    QE_df: int
    QE_pval: float
    I2: float
    H2: float
    typical_variance: float

    def to_dict(self) -> dict[str, Any]:
        """The fields a report needs: QE, QE_df, QE_pval, I2, H2."""
        return {
            "QE": self.QE,
            "QE_df": self.QE_df,
            "QE_pval": self.QE_pval,
            "I2": self.I2,
            "H2": self.H2,
        }

    def i2_at(self, tau2: float) -> float:
        """I^2 (percent) implied by another tau^2 value, e.g. a CI bound."""
        if self.typical_variance <= 0:
            return float("nan")
        return 100.0 * tau2 / (self.typical_variance + tau2)


def heterogeneity(
    y: FloatArray, v: FloatArray, X: FloatArray, tau2: float, *, equal_effects: bool
) -> Heterogeneity:
    """Compute Q_E (with df and p-value), I^2 and H^2 for a fit with the given tau^2."""
    k, p = X.shape
    df = k - p
    if df <= 0:
        return Heterogeneity(0.0, 0, 1.0, 0.0, 1.0, 0.0)
    P = Projection(X, 1.0 / v)
    qe = max(0.0, P.quad(y))
    pval = float(stats.chi2.sf(qe, df))
    s2 = df / P.trace()
    if equal_effects:
        i2 = max(0.0, 100.0 * (qe - df) / qe) if qe > 0 else 0.0
        h2 = qe / df
    else:
        i2 = 100.0 * tau2 / (s2 + tau2)
        h2 = tau2 / s2 + 1.0
    return Heterogeneity(qe, df, pval, i2, h2, s2)
