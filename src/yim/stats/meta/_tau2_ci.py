"""Confidence intervals for tau^2: Q-profile (metafor's default) and profile likelihood.

Q-profile (Viechtbauer 2007): the bounds are the tau^2 values where the generalised
Q(tau^2) = y' P(tau^2) y equals the chi^2(k - p) quantiles 1 - alpha/2 (lower bound) and
alpha/2 (upper bound). It does not depend on the estimator used for the point estimate.

Profile likelihood: the bounds are where -2 (ll(tau^2) - ll(tau^2_hat)) = chi^2_{1, 1-alpha},
with the REML log-likelihood for REML fits and the ML one otherwise (as ``logLik.rma``).

Both search [0, max(100, 10 tau^2_hat)] like metafor; a bound that would lie outside is
reported as the end of that interval.
"""

from __future__ import annotations

from collections.abc import Callable

from scipy import stats

from yim.stats.meta._tau2 import brent_root, log_likelihood, q_statistic
from yim.stats.meta._validate import FloatArray

# Absolute tolerance of the root searches (in tau^2 units). brentq's relative tolerance
# (4 eps) governs for tau^2 away from 0; this guards the bounds near 0.
_XTOL = 1e-14


def _root(f: Callable[[float], float], lo: float, hi: float, what: str) -> float:
    return brent_root(f, lo, hi, xtol=_XTOL, maxiter=1000, what=what)[0]


def q_profile_ci(
    y: FloatArray, v: FloatArray, X: FloatArray, tau2: float, level: float
) -> tuple[float, float]:
    """Q-profile confidence interval (lower, upper) for tau^2."""
    k, p = X.shape
    alpha = 1.0 - level
    crit_u = float(stats.chi2.isf(alpha / 2.0, k - p))  # for the lower bound
    crit_l = float(stats.chi2.ppf(alpha / 2.0, k - p))  # for the upper bound
    lo, hi = 0.0, max(100.0, 10.0 * tau2)
    q_lo = q_statistic(y, v, X, lo)
    q_hi = q_statistic(y, v, X, hi)

    def q(target: float) -> Callable[[float], float]:
        return lambda t: q_statistic(y, v, X, t) - target

    if q_lo < crit_l:
        return lo, lo  # even tau^2 = 0 is "too much" heterogeneity: CI is {0}
    upper = hi if q_hi > crit_l else _root(q(crit_l), lo, hi, "Q-profile upper bound")
    if q_hi > crit_u:
        return hi, hi
    lower = lo if q_lo < crit_u else _root(q(crit_u), lo, hi, "Q-profile lower bound")
    return lower, upper


def profile_likelihood_ci(
    y: FloatArray, v: FloatArray, X: FloatArray, tau2: float, level: float, *, reml: bool
) -> tuple[float, float]:
    """Profile-likelihood confidence interval (lower, upper) for tau^2."""
    objective = float(stats.chi2.ppf(level, 1))
    ll_hat = log_likelihood(y, v, X, tau2, reml=reml)

    def lrt(t: float) -> float:
        return -2.0 * (log_likelihood(y, v, X, t, reml=reml) - ll_hat) - objective

    lo, hi = 0.0, max(100.0, 10.0 * tau2)
    lower = lo if lrt(lo) < 0 else _root(lrt, lo, tau2, "profile-likelihood lower bound")
    upper = hi if lrt(hi) < 0 else _root(lrt, tau2, hi, "profile-likelihood upper bound")
    return lower, upper
