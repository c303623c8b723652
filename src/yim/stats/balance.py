"""Covariate balance and inverse-probability weights for the effect on the treated (pure numpy).

Conventions (docs/evidence.md, "Comparison studies"):

* **Standardised mean difference** (Austin 2009, Stat Med 28:3083): the difference of the
  group means divided by the pooled standard deviation ``sqrt((s_t² + s_c²) / 2)`` — the
  plain mean of the two variances, not weighted by group size. A continuous covariate uses
  the sample variance (n − 1); a binary one (a share, or one level of a categorical
  covariate) uses ``p (1 − p)``. Balance: ``|SMD| < 0.1``.
* **After weighting** the means and variances are weighted (Austin & Stuart 2015, Stat Med
  34:3661): ``x̄_w = Σ w x / Σ w`` and ``s²_w = Σ w / ((Σ w)² − Σ w²) · Σ w (x − x̄_w)²``
  (the sample variance when every weight is 1); a binary covariate ``p_w (1 − p_w)``.
* **ATT weights**: a treated unit 1, a comparison unit ``e / (1 − e)`` with ``e`` its
  propensity score; optionally truncated at a percentile of the comparison weights.
* **Kish effective sample size** per group: ``(Σ w)² / Σ w²``.
* :func:`weighted_risk_difference` and :func:`logistic_hc0` give **HC0 sandwiches that treat
  the weights as known** (they ignore the estimation of the propensity score); the comparison
  study keeps them beside its intervals for comparison only. The standard errors it shows
  account for the estimated propensity score: :mod:`yim.stats.ipw`.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Balance: an absolute standardised mean difference below this.
BALANCED_BELOW = 0.1


def weighted_mean(x: FloatArray, w: FloatArray | None = None) -> float:
    if w is None:
        return float(np.mean(x))
    return float(np.sum(w * x) / np.sum(w))


def weighted_variance(x: FloatArray, w: FloatArray | None = None) -> float:
    """``Σ w / ((Σ w)² − Σ w²) · Σ w (x − x̄_w)²``: the sample variance (n − 1) when every
    weight is 1; NaN with fewer than two units."""
    weights = np.ones_like(x) if w is None else w
    total, squares = float(np.sum(weights)), float(np.sum(weights**2))
    denominator = total**2 - squares
    if len(x) < 2 or denominator <= 0:
        return math.nan
    mean = float(np.sum(weights * x) / total)
    return total / denominator * float(np.sum(weights * (x - mean) ** 2))


def smd(
    x_treated: FloatArray,
    x_comparison: FloatArray,
    *,
    binary: bool,
    w_treated: FloatArray | None = None,
    w_comparison: FloatArray | None = None,
) -> float | None:
    """The standardised mean difference (treated minus comparison) over the pooled SD;
    ``None`` when the pooled SD is 0 while the means differ (no overlap at all)."""
    mean_t = weighted_mean(x_treated, w_treated)
    mean_c = weighted_mean(x_comparison, w_comparison)
    if binary:
        variance_t, variance_c = mean_t * (1 - mean_t), mean_c * (1 - mean_c)
    else:
        variance_t = weighted_variance(x_treated, w_treated)
        variance_c = weighted_variance(x_comparison, w_comparison)
    pooled = math.sqrt((variance_t + variance_c) / 2)
    difference = mean_t - mean_c
    if not math.isfinite(pooled):
        return None
    if pooled == 0:
        return 0.0 if difference == 0 else None
    return difference / pooled


def is_balanced(value: float | None) -> bool:
    return value is not None and abs(value) < BALANCED_BELOW


def att_weights(treated: npt.NDArray[np.bool_], propensity: FloatArray) -> FloatArray:
    """Weights for the average effect on the treated: 1 for a treated unit, ``e / (1 − e)``
    for a comparison unit."""
    return np.where(treated, 1.0, propensity / (1.0 - propensity))


def trim_weights(
    weights: FloatArray, treated: npt.NDArray[np.bool_], percentile: float
) -> tuple[FloatArray, int, float]:
    """Truncate the comparison weights above their ``percentile`` (numpy's linear
    interpolation between order statistics) to that value; returns the weights, how many
    were truncated and the cap. Treated weights (all 1) are left alone."""
    cap = float(np.percentile(weights[~treated], percentile))
    over = (~treated) & (weights > cap)
    return np.where(over, cap, weights), int(over.sum()), cap


def kish_ess(weights: FloatArray) -> float:
    """Kish's effective sample size ``(Σ w)² / Σ w²``."""
    return float(np.sum(weights) ** 2 / np.sum(weights**2))


def weighted_risk_difference(
    y: FloatArray, treated: npt.NDArray[np.bool_], weights: FloatArray
) -> tuple[float, float]:
    """The weighted risk difference (treated minus comparison) and its HC0 standard error:
    the sandwich of the weighted least-squares fit ``y ~ 1 + treated``, which for a group
    indicator is ``Σ_g Σ w² (y − ȳ_g)² / (Σ_g w)²`` summed over the two groups."""
    variance, means = 0.0, []
    for group in (treated, ~treated):
        w, yy = weights[group], y[group]
        mean = float(np.sum(w * yy) / np.sum(w))
        means.append(mean)
        variance += float(np.sum(w**2 * (yy - mean) ** 2)) / float(np.sum(w)) ** 2
    return means[0] - means[1], math.sqrt(variance)


def logistic_hc0(y: FloatArray, x: FloatArray, weights: FloatArray, beta: FloatArray) -> FloatArray:
    """The HC0 sandwich covariance of a weighted logistic regression at its estimate ``beta``
    (the solution of ``Σ w x (y − μ) = 0``): ``A⁻¹ B A⁻¹`` with ``A = Σ w μ (1 − μ) x xᵀ``
    and ``B = Σ w² (y − μ)² x xᵀ`` — what R's ``sandwich::vcovHC(glm(…, weights = w),
    type = "HC0")`` gives."""
    mu = 1.0 / (1.0 + np.exp(-(x @ beta)))
    bread = np.linalg.inv((x * (weights * mu * (1 - mu))[:, None]).T @ x)
    scores = x * (weights * (y - mu))[:, None]
    return np.asarray(bread @ (scores.T @ scores) @ bread, dtype=np.float64)


__all__ = [
    "BALANCED_BELOW",
    "att_weights",
    "is_balanced",
    "kish_ess",
    "logistic_hc0",
    "smd",
    "trim_weights",
    "weighted_mean",
    "weighted_risk_difference",
    "weighted_variance",
]
