"""Likelihood-ratio tests and profile-likelihood CIs for nested variance components.

Both refit the model with one σ² held fixed (at 0 for the LRT, at a trial value for the
profile), the others re-estimated — as metafor's ``anova(full, reduced)`` and
``confint()`` on an ``rma.mv`` fit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from yim.stats.meta._blocks import FloatArray
from yim.stats.meta._mlfit import LikelihoodPoint, NestedLikelihood, maximise


@dataclass(frozen=True)
class VarianceComponentLRT:
    """LRT of H0: σ²_level = 0 (full model vs. the one with that σ² fixed at 0).

    The null sits on the boundary of the parameter space, so the χ²(1) p-value (metafor's
    ``anova``) is conservative; ``pval_half`` is the 50:50 χ²(0)/χ²(1) mixture p-value that the
    Assink & Wibbelink tutorial reports as the one-sided test.
    """

    level: str
    statistic: float
    df: int
    pval: float
    pval_half: float
    loglik_reduced: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def profile_loglik(
    lik: NestedLikelihood, best: LikelihoodPoint, comp: int, value: float, scale: float
) -> float:
    """Maximum log-likelihood with σ²[comp] fixed at ``value``."""
    fixed = np.full(best.sigma2.size, np.nan)
    fixed[comp] = value
    start = best.sigma2.copy()
    return maximise(lik, start, fixed, scale=scale).loglik


def lrt_for_component(
    lik: NestedLikelihood, best: LikelihoodPoint, comp: int, name: str, scale: float
) -> VarianceComponentLRT:
    ll0 = profile_loglik(lik, best, comp, 0.0, scale)
    stat = max(0.0, 2.0 * (best.loglik - ll0))
    pval = float(stats.chi2.sf(stat, 1))
    return VarianceComponentLRT(name, stat, 1, pval, pval / 2.0, ll0)


def profile_ci(
    lik: NestedLikelihood, best: LikelihoodPoint, comp: int, level: float, scale: float
) -> tuple[float, float]:
    """Profile-likelihood CI for σ²[comp]: where ℓ drops by χ²₁(level)/2 from its maximum.

    Search range as metafor's ``confint.rma.mv``: [0, max(10, 100·σ̂²)]; when the profile
    stays above the cut-off at an end of the range, that end is returned.
    """
    est = float(best.sigma2[comp])
    cut = best.loglik - float(stats.chi2.ppf(level, 1)) / 2.0

    def gap(x: float) -> float:
        return profile_loglik(lik, best, comp, x, scale) - cut

    # the profile function carries the inner optimiser's error (~1e-11 relative), so the
    # root is located to ~1e-9 relative: ample for CIs printed to 4 digits
    if est <= 0.0 or gap(0.0) >= 0.0:
        lower = 0.0
    else:
        lower = float(optimize.brentq(gap, 0.0, est, xtol=1e-14, rtol=1e-11))
    vc_max = max(10.0, 100.0 * est) if est > np.sqrt(np.finfo(float).eps) else 10.0
    if gap(vc_max) >= 0.0:
        upper = vc_max
    else:
        upper = float(optimize.brentq(gap, est, vc_max, xtol=1e-14, rtol=1e-11))
    return lower, upper


def typical_variance_aw(vi: FloatArray) -> float:
    """Assink & Wibbelink (Cheung 2014) typical within-study variance (k−1)Σw/((Σw)²−Σw²)."""
    w = 1.0 / vi
    k = vi.size
    return float((k - 1) * w.sum() / (w.sum() ** 2 - np.sum(w**2)))


def typical_variance_pmatrix(x: FloatArray, vi: FloatArray) -> float:
    """Typical sampling variance (k−p)/tr(P), P = W − WX(XᵀWX)⁻¹XᵀW, W = diag(1/v)."""
    w = 1.0 / vi
    xtwx = x.T @ (x * w[:, None])
    xtw2x = x.T @ (x * (w**2)[:, None])
    tr_p = float(w.sum() - np.trace(np.linalg.solve(xtwx, xtw2x)))
    return float((vi.size - x.shape[1]) / tr_p)
