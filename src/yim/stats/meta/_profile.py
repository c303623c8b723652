"""Likelihood-ratio tests and profile-likelihood CIs for nested variance components.

Both refit the model with one σ² held fixed (at 0 for the LRT, at a trial value for the
profile), the others re-estimated — as metafor's ``anova(full, reduced)`` and
``confint()`` on an ``rma.mv`` fit.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from yim.stats.meta._blocks import FloatArray
from yim.stats.meta._mlfit import LikelihoodPoint, NestedLikelihood, maximise
from yim.stats.meta.multilevel_result import VarianceComponentLRT


class ComponentProfile:
    """The profile log-likelihood of one σ² (the others re-estimated), evaluated on demand.

    Every evaluation is a refit with σ²[comp] held fixed, started from the refit at the
    nearest value already evaluated (the maximum itself to begin with), moved along the
    ridge of the likelihood when the curvature at the maximum is known. The refit at 0 is
    the reduced model of the likelihood-ratio test; the CI search reuses it.
    """

    def __init__(
        self,
        lik: NestedLikelihood,
        best: LikelihoodPoint,
        comp: int,
        scale: float,
        hessian: FloatArray | None = None,
    ) -> None:
        self.lik = lik
        self.best = best
        self.comp = comp
        self.scale = scale
        self._points: dict[float, LikelihoodPoint] = {float(best.sigma2[comp]): best}
        self._ridge: FloatArray | None = None
        self._neg_hessian: FloatArray | None = None if hessian is None else -hessian
        self.curvature: float | None = None  # −d²ℓ_profile/dσ²² at the maximum
        if hessian is not None:
            free = [j for j in range(best.sigma2.size) if j != comp]
            ridge = np.zeros(best.sigma2.size)
            if free:
                h_oo = hessian[np.ix_(free, free)]
                h_oc = hessian[free, comp]
                try:
                    ridge[free] = -np.linalg.solve(h_oo, h_oc)
                except np.linalg.LinAlgError:
                    ridge[free] = 0.0
            ridge[comp] = 1.0
            if np.all(np.isfinite(ridge)):
                self._ridge = ridge
                self.curvature = float(-(ridge @ hessian @ ridge))

    def at(self, value: float, *, xtol: float = 1e-11) -> LikelihoodPoint:
        """The refit with σ²[comp] = ``value``; its ``gradient[comp]`` is the slope of the
        profile there (the other components sit at their maximum)."""
        value = float(value)
        if value in self._points:
            return self._points[value]
        near = min(self._points, key=lambda x: abs(x - value))
        start = self._points[near].sigma2.copy()
        if self._ridge is not None:
            start = np.maximum(start + (value - near) * self._ridge, 0.0)
        fixed = np.full(self.best.sigma2.size, np.nan)
        fixed[self.comp] = value
        neg_h = self._points[near].hessian
        if neg_h is None:
            neg_h = self._neg_hessian
        point = maximise(self.lik, start, fixed, scale=self.scale, xtol=xtol, neg_hessian=neg_h)
        self._points[value] = point
        return point


def profile_loglik(
    lik: NestedLikelihood, best: LikelihoodPoint, comp: int, value: float, scale: float
) -> float:
    """Maximum log-likelihood with σ²[comp] fixed at ``value``."""
    return ComponentProfile(lik, best, comp, scale).at(value).loglik


def lrt_for_component(
    lik: NestedLikelihood,
    best: LikelihoodPoint,
    comp: int,
    name: str,
    scale: float,
    profile: ComponentProfile | None = None,
) -> VarianceComponentLRT:
    prof = profile or ComponentProfile(lik, best, comp, scale)
    ll0 = prof.at(0.0).loglik
    stat = max(0.0, 2.0 * (best.loglik - ll0))
    pval = float(stats.chi2.sf(stat, 1))
    return VarianceComponentLRT(name, stat, 1, pval, pval / 2.0, ll0)


def likelihood_hessian(lik: NestedLikelihood, best: LikelihoodPoint, scale: float) -> FloatArray:
    """Hessian of the log-likelihood at ``best`` by forward differences of the analytic score
    (the optimiser's own step sizes)."""
    x = best.sigma2
    n = x.size
    hess = np.empty((n, n))
    for j in range(n):
        h = 1e-6 * (x[j] + 1e-3 * scale)
        xh = x.copy()
        xh[j] += h
        hess[:, j] = (lik.point(xh).gradient - best.gradient) / h
    out: FloatArray = 0.5 * (hess + hess.T)
    return out


# the roots are located to this relative precision: the profile carries the optimiser's
# error (~1e-11 relative) and the rounding of a log-likelihood summed over k terms, while
# CIs are printed to 4 digits and checked against metafor to 1e-6
_ROOT_RTOL = 1e-9
_PROFILE_XTOL = 1e-8


def _step(x: float, gap: float, slope: float, curv: float | None) -> float:
    """Next iterate for gap(t) = 0 from x: the root of the local quadratic model (when the
    curvature is known and the model has a root near x), else the Newton step."""
    if curv is not None and curv != 0.0 and np.isfinite(curv):
        disc = slope * slope - 2.0 * curv * gap
        if disc >= 0.0:
            # the root nearer to x, written without cancellation
            q = -(slope + np.copysign(np.sqrt(disc), slope))
            if q != 0.0:
                return float(x + 2.0 * gap / q)
    return float(x - gap / slope) if slope != 0.0 else float("nan")


def _root(prof: ComponentProfile, cut: float, inside: float, outside: float, guess: float) -> float:
    """Where the profile crosses ``cut`` between ``inside`` (profile ≥ cut) and ``outside``
    (profile < cut). The profile's slope is the score of the fixed component at the refit,
    so each step solves the local quadratic model (slope here, curvature from the last two
    slopes); a step that would leave the bracket is replaced by a bisection."""
    comp = prof.comp
    lo, hi = min(inside, outside), max(inside, outside)
    x = float(guess) if lo < guess < hi else 0.5 * (lo + hi)
    prev: tuple[float, float] | None = None
    for _ in range(100):
        pt = prof.at(x, xtol=_PROFILE_XTOL)
        gap = pt.loglik - cut
        if gap >= 0.0:
            inside = x
        else:
            outside = x
        lo, hi = min(inside, outside), max(inside, outside)
        tol = _ROOT_RTOL * max(abs(x), 1e-3 * prof.scale)
        slope = float(pt.gradient[comp])
        curv = (slope - prev[1]) / (x - prev[0]) if prev is not None and x != prev[0] else None
        prev = (x, slope)
        nxt = _step(x, gap, slope, curv)
        if np.isfinite(nxt) and lo < nxt < hi:
            if abs(nxt - x) <= tol:
                return nxt
            x = nxt
        else:
            x = 0.5 * (lo + hi)
            prev = None
        if hi - lo <= tol:
            return x
    # not expected: finish with the plain bracketing search on what is left
    return float(
        optimize.brentq(
            lambda t: prof.at(t, xtol=_PROFILE_XTOL).loglik - cut, lo, hi, xtol=1e-14, rtol=1e-11
        )
    )


def profile_ci(
    lik: NestedLikelihood,
    best: LikelihoodPoint,
    comp: int,
    level: float,
    scale: float,
    profile: ComponentProfile | None = None,
) -> tuple[float, float]:
    """Profile-likelihood CI for σ²[comp]: where ℓ drops by χ²₁(level)/2 from its maximum.

    Search range as metafor's ``confint.rma.mv``: [0, max(10, 100·σ̂²)]; when the profile
    stays above the cut-off at an end of the range, that end is returned. The profile is
    unimodal in σ²[comp], so the crossing is searched outward from the estimate: the far end
    of the range is evaluated only when the search reaches it.
    """
    prof = profile or ComponentProfile(lik, best, comp, scale)
    est = float(best.sigma2[comp])
    drop = float(stats.chi2.ppf(level, 1)) / 2.0
    cut = best.loglik - drop
    curvature = prof.curvature
    # distance from the maximum to the cut-off by the quadratic approximation there
    reach = (
        float(np.sqrt(2.0 * drop / curvature))
        if curvature is not None and curvature > 0.0
        else max(0.5 * est, 1e-3 * scale)
    )

    if est <= 0.0 or prof.at(0.0).loglik - cut >= 0.0:
        lower = 0.0
    else:
        lower = _root(prof, cut, est, 0.0, est - reach)

    vc_max = max(10.0, 100.0 * est) if est > np.sqrt(np.finfo(float).eps) else 10.0
    inside = est
    x = min(est + reach, vc_max)
    for _ in range(200):
        pt = prof.at(x, xtol=_PROFILE_XTOL)
        gap = pt.loglik - cut
        slope = float(pt.gradient[comp])
        ahead = x - gap / slope if slope < 0.0 else np.inf
        if gap < 0.0:
            return lower, _root(prof, cut, inside, x, ahead)
        if x >= vc_max:
            return lower, vc_max
        inside = x
        # the crossing predicted by the slope here (a concave profile's tangent overshoots
        # it, which brackets the root), or twice as far out when the slope says nothing
        nxt = float(ahead) if np.isfinite(ahead) else est + 2.0 * (x - est)
        if not nxt > x:  # no progress within rounding
            nxt = x + max(x - est, 1e-3 * scale)
        x = min(vc_max, nxt)
    # not expected: the end of metafor's range decides, as the plain search does
    if prof.at(vc_max).loglik - cut >= 0.0:
        return lower, vc_max
    return lower, _root(prof, cut, inside, vc_max, 0.5 * (inside + vc_max))


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
