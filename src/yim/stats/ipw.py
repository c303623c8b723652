"""Inverse-probability weighting for the effect on the treated (ATT) with a standard error that
accounts for the estimated propensity score (pure numpy).

The weighted contrast rests on weights made from an *estimated* propensity model; an interval
that treats the weights as known (:func:`yim.stats.balance.weighted_risk_difference`, HC0)
ignores that. Here the propensity model and the weighted outcome means are solved together as
one system of stacked estimating equations (M-estimation; Stefanski & Boos 2002, *Am Stat*
56:29; Lunceford & Davidian 2004, *Stat Med* 23:2937), one row ``i`` at a time:

* propensity (logistic score): ``ψ_β = x (t − e(xβ))`` — every unit with its covariates;
* the JIM group's risk: ``ψ₁ = r t (y − μ₁)`` (``r``: the outcome is recorded);
* the weighted comparison risk: ``ψ₀ = r (1 − t) w(β) (y − μ₀)`` with ``w = e / (1 − e)
  = exp(xβ)``, or the cap for a truncated weight.

The covariance of ``θ = (β, μ₁, μ₀)`` is the empirical sandwich ``J⁻¹ (Σ ψψᵀ) J⁻ᵀ`` with
``J = Σ ∂ψ/∂θ`` in closed form: ``∂ψ_β/∂β = −e(1 − e) x xᵀ``, ``∂ψ₁/∂μ₁ = −r t``,
``∂ψ₀/∂μ₀ = −r (1 − t) w`` and ``∂ψ₀/∂β = r (1 − t) (y − μ₀) ∂w/∂β`` where ``∂w/∂β = w x``
for an untruncated weight and 0 for a truncated one. No small-sample factor (like HC0).
The risk difference ``μ₁ − μ₀`` and the log odds ratio ``logit μ₁ − logit μ₀`` take their
variances from that covariance by the delta method; the weighted logistic regression of the
outcome on the group alone is saturated, so its odds ratio is exactly that log odds ratio and
its own stacked sandwich would give the same variance.

**Truncation.** With trimming the cap (a percentile of the comparison weights) is held at its
value: a truncated weight does not move with β. The percentile's own sampling variation is not
in the sandwich; the bootstrap of the whole procedure (which re-trims every replicate) agrees
within its Monte Carlo error (tests/research/fixtures/make_ipw_reference.R).

**Why numpy and not a library.** statsmodels fits each model alone and has no way to stack
the propensity and outcome equations; ``delicatessen`` (M-estimation for Python) is not a
dependency and finds the bread by numerical differentiation; R's ``geex``/``PSweight`` are R.
The system has ``p + 2`` equations with closed-form derivatives: about forty lines of linear
algebra, checked against R (a numerically differentiated stacked sandwich and a bootstrap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: What the JSON and the pages say about the interval.
METHOD = (
    "M-estimation sandwich: propensity score equations stacked with the weighted outcome "
    "equations (accounts for the estimated propensity score)"
)


@dataclass(frozen=True)
class AttContrast:
    """The weighted risks per group and their contrasts, with standard errors that account
    for the estimated propensity score. ``covariance``: of ``(risk_treated,
    risk_comparison)``. ``log_or_se`` is NaN when a risk is 0 or 1."""

    risk_treated: float
    risk_comparison: float
    risk_difference: float
    rd_se: float
    log_or_se: float
    covariance: tuple[tuple[float, float], tuple[float, float]]
    method: str = METHOD


def _expit(eta: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-eta)), dtype=np.float64)


def att_contrast(
    y: FloatArray,
    treated: BoolArray,
    x: FloatArray,
    beta: FloatArray,
    *,
    cap: float | None = None,
) -> AttContrast:
    """The ATT-weighted risk difference (JIM minus comparison) and log odds ratio with
    stacked-equation standard errors (see the module).

    ``x``: the propensity model's design (with its intercept), one row per unit the model was
    fitted on; ``beta``: its maximum-likelihood estimate; ``y``: the binary outcome, NaN
    where it is not recorded (such a unit counts in the propensity equations only);
    ``cap``: the truncation of the comparison weights, if any."""
    observed = ~np.isnan(y)
    r = observed.astype(np.float64)
    yy = np.where(observed, y, 0.0)
    t = treated.astype(np.float64)
    eta = x @ beta
    e = _expit(eta)
    raw = np.exp(eta)  # e / (1 − e)
    truncated = (~treated) & (raw > cap) if cap is not None else np.zeros(len(y), dtype=bool)
    w = np.where(treated, 1.0, np.where(truncated, cap if cap is not None else 0.0, raw))
    in_1, in_0 = r * t, r * (1.0 - t) * w
    mu1 = float(np.sum(in_1 * yy) / np.sum(in_1))
    mu0 = float(np.sum(in_0 * yy) / np.sum(in_0))
    p = x.shape[1]
    psi = np.column_stack([x * (t - e)[:, None], in_1 * (yy - mu1), in_0 * (yy - mu0)])
    jacobian = np.zeros((p + 2, p + 2))
    jacobian[:p, :p] = -(x * (e * (1.0 - e))[:, None]).T @ x
    jacobian[p, p] = -float(np.sum(in_1))
    moving = np.where(truncated, 0.0, in_0)  # ∂w/∂β = w x, 0 for a truncated weight
    jacobian[p + 1, :p] = (moving * (yy - mu0)) @ x
    jacobian[p + 1, p + 1] = -float(np.sum(in_0))
    bread = np.linalg.inv(jacobian)
    covariance = bread @ (psi.T @ psi) @ bread.T
    v = covariance[p:, p:]
    rd_var = float(v[0, 0] + v[1, 1] - 2.0 * v[0, 1])
    log_or_se = math.nan
    if 0.0 < mu1 < 1.0 and 0.0 < mu0 < 1.0:
        g = np.array([1.0 / (mu1 * (1.0 - mu1)), -1.0 / (mu0 * (1.0 - mu0))])
        log_or_se = math.sqrt(float(g @ v @ g))
    return AttContrast(
        risk_treated=mu1,
        risk_comparison=mu0,
        risk_difference=mu1 - mu0,
        rd_se=math.sqrt(max(rd_var, 0.0)),
        log_or_se=log_or_se,
        covariance=((float(v[0, 0]), float(v[0, 1])), (float(v[1, 0]), float(v[1, 1]))),
    )


__all__ = ["METHOD", "AttContrast", "att_contrast"]
