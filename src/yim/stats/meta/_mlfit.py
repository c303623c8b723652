"""(Restricted) log-likelihood of the nested model, its score, and the optimiser.

Constants follow metafor's ``rma.mv`` so log-likelihoods, AIC and BIC are comparable:

    ML:   ℓ = −½ [k log 2π + log|V| + rᵀV⁻¹r]
    REML: ℓ = −½ [(k−p) log 2π − log|XᵀX| + log|V| + log|XᵀV⁻¹X| + rᵀV⁻¹r]

Score for σ²_l (Z_l Z_lᵀ = ∂V/∂σ²_l):
    ML:   −½ tr(V⁻¹ Z_lZ_lᵀ) + ½ rᵀV⁻¹ Z_lZ_lᵀ V⁻¹r
    REML: −½ tr(P Z_lZ_lᵀ)  + ½ rᵀV⁻¹ Z_lZ_lᵀ V⁻¹r,
          tr(P Z_lZ_lᵀ) = tr(V⁻¹Z_lZ_lᵀ) − tr((XᵀV⁻¹X)⁻¹ Σ_n w_n w_nᵀ).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import linalg

from yim.stats.meta._blocks import FloatArray, MultilevelConvergenceError, NestedEngine

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class LikelihoodPoint:
    sigma2: FloatArray  # tree order (outer → inner)
    loglik: float
    gradient: FloatArray
    beta: FloatArray
    vb: FloatArray  # (XᵀV⁻¹X)⁻¹
    iterations: int = 0
    hessian: FloatArray | None = None  # the optimiser's last Hessian (negated, free block)


class NestedLikelihood:
    """ML or REML log-likelihood as a function of σ² (tree order)."""

    def __init__(self, engine: NestedEngine, p: int, *, reml: bool) -> None:
        self.engine = engine
        self.p = p
        self.reml = reml
        self.k = int(engine.m.shape[0])
        x = engine.m[:, :p]
        sign, logdet_xtx = np.linalg.slogdet(x.T @ x)
        if sign <= 0:
            raise np.linalg.LinAlgError("model matrix is rank deficient")
        self.logdet_xtx = float(logdet_xtx)

    def _gls(self, gram: FloatArray) -> tuple[FloatArray, FloatArray, float, float]:
        p = self.p
        h = gram[:p, :p]
        chol = linalg.cho_factor(h, lower=True)
        beta = linalg.cho_solve(chol, gram[:p, p])
        rss = float(gram[p, p] - gram[:p, p] @ beta)
        logdet_h = 2.0 * float(np.sum(np.log(np.diag(chol[0]))))
        vb = linalg.cho_solve(chol, np.eye(p))
        return beta, vb, rss, logdet_h

    def _loglik(self, logdet_v: float, rss: float, logdet_h: float) -> float:
        if self.reml:
            return float(
                -0.5 * ((self.k - self.p) * _LOG_2PI - self.logdet_xtx + logdet_v + logdet_h + rss)
            )
        return float(-0.5 * (self.k * _LOG_2PI + logdet_v + rss))

    def value(self, sigma2: FloatArray) -> float:
        ev = self.engine.evaluate(sigma2, with_score=False)
        _, _, rss, logdet_h = self._gls(ev.gram)
        return self._loglik(ev.logdet_v, rss, logdet_h)

    def point(self, sigma2: FloatArray) -> LikelihoodPoint:
        ev = self.engine.evaluate(sigma2, with_score=True)
        assert ev.trace_terms is not None and ev.score_grams is not None
        beta, vb, rss, logdet_h = self._gls(ev.gram)
        p = self.p
        btilde = np.concatenate((-beta, [1.0]))
        quad = np.einsum("i,lij,j->l", btilde, ev.score_grams, btilde)
        trace = ev.trace_terms.copy()
        if self.reml:
            trace -= np.einsum("ij,lji->l", vb, ev.score_grams[:, :p, :p])
        grad = -0.5 * trace + 0.5 * quad
        return LikelihoodPoint(
            sigma2=sigma2.copy(),
            loglik=self._loglik(ev.logdet_v, rss, logdet_h),
            gradient=grad,
            beta=beta,
            vb=vb,
        )


def maximise(
    lik: NestedLikelihood,
    start: FloatArray,
    fixed: FloatArray,
    *,
    scale: float,
    max_iter: int = 200,
    xtol: float = 1e-11,
    neg_hessian: FloatArray | None = None,
) -> LikelihoodPoint:
    """Projected Newton ascent over σ² ≥ 0, with the Hessian from finite differences of
    the analytic score (only a handful of components, so this costs a few evaluations).

    ``fixed`` holds NaN for free components and the fixed value otherwise. Converged when the
    Newton step of every free component is below ``xtol·(σ²_l + scale)``; the log-likelihood
    is then within ~1e-20 relative of its maximum and σ² within ~1e-10 relative, far inside
    the 1e-6 agreement aimed for with metafor.

    With ``neg_hessian`` (an estimate of −Hessian over all components, say from a refit
    nearby) no finite differences are taken: the estimate is improved from step to step by
    BFGS updates of the scores, which needs one evaluation per step. The profile-likelihood
    searches use this for their many refits close to one another.
    """
    free = np.isnan(fixed)
    x = np.where(free, np.maximum(start, 0.0), fixed)
    pt = lik.point(x)
    if not free.any():
        return pt
    tiny = 1e-12 * scale
    quasi = neg_hessian is not None
    b_mat = None if neg_hessian is None else np.array(neg_hessian, dtype=np.float64)
    for it in range(1, max_iter + 1):
        g = pt.gradient
        # active set: at the bound with the score pushing further down
        act = free & ~((x <= 0.0) & (g <= 0.0))
        if not act.any():
            return _done(pt, it, b_mat)
        idx = np.flatnonzero(act)
        if b_mat is not None:
            neg_h = b_mat[np.ix_(idx, idx)]
        else:
            hess = np.empty((idx.size, idx.size))
            for j, comp in enumerate(idx):
                h = 1e-6 * (x[comp] + 1e-3 * scale)
                xh = x.copy()
                xh[comp] += h
                hess[:, j] = (lik.point(xh).gradient[idx] - g[idx]) / h
            neg_h = -0.5 * (hess + hess.T)
        eig_min = float(np.linalg.eigvalsh(neg_h).min())
        if eig_min <= 1e-12 * float(np.abs(neg_h).max() + 1e-300):
            neg_h = neg_h + (abs(eig_min) + 1e-6 * float(np.abs(neg_h).max() + 1.0)) * np.eye(
                idx.size
            )
        step_free = np.linalg.solve(neg_h, g[idx])
        step = np.zeros_like(x)
        step[idx] = step_free
        t = 1.0
        accepted = False
        while t > 1e-10:
            x_new = np.where(free, np.maximum(x + t * step, 0.0), fixed)
            new_val = lik.value(x_new)
            if np.isfinite(new_val) and new_val >= pt.loglik - 1e-12 * (1.0 + abs(pt.loglik)):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            # no ascent within rounding: fine if the predicted gain (Newton decrement) is
            # itself at rounding level, i.e. we already sit at the maximum
            if float(g[idx] @ step_free) <= 1e-9 * (1.0 + abs(pt.loglik)):
                return _done(pt, it, b_mat)
            if quasi and b_mat is not None:
                b_mat = None  # a poor estimate: take finite differences from here on
                continue
            raise MultilevelConvergenceError(
                "line search failed to improve the likelihood", it, g.tolist()
            )
        moved = np.abs(x_new - x)
        x_prev, g_prev = x, g
        x = x_new
        pt = lik.point(x)
        if b_mat is not None:
            b_mat = _bfgs(b_mat, x - x_prev, -(pt.gradient - g_prev), free)
        if np.all(moved[free] <= xtol * (x[free] + tiny) + tiny * 1e-3):
            return _done(pt, it, b_mat)
    raise MultilevelConvergenceError(
        "variance components did not converge", max_iter, pt.gradient.tolist()
    )


def _done(pt: LikelihoodPoint, it: int, neg_hessian: FloatArray | None) -> LikelihoodPoint:
    return LikelihoodPoint(pt.sigma2, pt.loglik, pt.gradient, pt.beta, pt.vb, it, neg_hessian)


def _bfgs(b_mat: FloatArray, s: FloatArray, y: FloatArray, free: NDArray[np.bool_]) -> FloatArray:
    """BFGS update of the (positive definite) −Hessian over the free components; the update
    is skipped when the step does not show positive curvature."""
    s = np.where(free, s, 0.0)
    y = np.where(free, y, 0.0)
    sy = float(s @ y)
    bs = b_mat @ s
    sbs = float(s @ bs)
    if sy <= 1e-12 * float(np.sqrt((s @ s) * (y @ y))) or sbs <= 0.0:
        return b_mat
    out: FloatArray = b_mat - np.outer(bs, bs) / sbs + np.outer(y, y) / sy
    return out
