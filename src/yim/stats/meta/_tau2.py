"""Estimators of the between-study variance tau^2 in the two-level (random-effects) model.

    y_i = x_i' beta + u_i + e_i,   u_i ~ N(0, tau^2),   e_i ~ N(0, v_i)

Formulas follow metafor 3.8 ``rma.uni`` (Viechtbauer 2005, 2010), written with the projection
matrix P = W - W X (X'WX)^-1 X'W for weights W = diag(w). P is k x k and is never formed:
:class:`Projection` gives P y, its diagonal and the traces the estimators need in O(k p^2),
so a million effect sizes take as little memory as a handful of vectors.

* DL   DerSimonian-Laird:  (y'P y - (k - p)) / tr(P),               w = 1/v
* HE   Hedges (OLS moments): (y'P y - tr(P V)) / (k - p),           P from w = 1
* HS   Hunter-Schmidt:       (y'P y - k) / sum(w),                  w = 1/v
* SJ   Sidik-Jonkman:        tau0 y'P y / (k - p),  w = 1/(v + tau0), tau0 = mean((y - ybar)^2)
* PM   Paule-Mandel:         root of y'P(tau^2) y = k - p
* ML, REML, EB: Fisher scoring from the HE estimate, metafor's update steps. Where Fisher
  scoring cycles without converging (metafor then stops with "did not converge"), ML and
  REML fall back to a bracketed root search of the score (see ``_score_root``).

One deliberate difference from metafor 3.8: metafor centres y before these quadratic forms.
With an intercept (or any X that spans the constant) that changes nothing, because P 1 = 0;
without one it changes the model, so here y is used as given.

Convergence: metafor stops Fisher scoring when tau^2 moves by less than 1e-5 and solves PM
with uniroot(tol ~ 1.2e-4). On dat.molloy2014 that leaves REML tau^2 1.2e-4 (relative) from the
optimum, too far for 1e-6 agreement. Here iterations run until the step is below
``tol * (tau^2 + typical v)`` (default tol = 1e-10; scaling by the data's own variance keeps
the rule invariant to rescaling y), and the reference values were made with matching tight
controls in R.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from yim.stats.meta._validate import FloatArray
from yim.stats.meta.errors import ConvergenceError, MetaAnalysisError

ESTIMATORS = ("EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")


@dataclass(frozen=True)
class Tau2Estimate:
    """tau^2, its (model-based) standard error and the iterations it took (0 if closed form)."""

    tau2: float
    se: float
    iterations: int


class Projection:
    """P = W - W X (X'WX)^-1 X'W for diagonal weights w, without forming the k x k matrix.

    With A = W X and H = X'W X, P = W - A H^-1 A'. For diagonal D1, D2 (as vectors)
    tr(P D1 P D2) = sum(w² d1 d2) - 2 sum(w d1 d2 b) + tr(H^-1 A'D1A H^-1 A'D2A), where
    b = diag(A H^-1 A').
    """

    def __init__(self, X: FloatArray, w: FloatArray) -> None:
        self.w = w
        self.A = X * w[:, None]
        try:
            self.h_inv = np.linalg.inv(X.T @ self.A)
        except np.linalg.LinAlgError as exc:
            raise MetaAnalysisError("X'WX is singular: the moderators are collinear") from exc
        self._b: FloatArray | None = None

    @property
    def b(self) -> FloatArray:
        """diag(A H^-1 A')."""
        if self._b is None:
            self._b = np.einsum("ij,jk,ik->i", self.A, self.h_inv, self.A)
        return self._b

    def apply(self, y: FloatArray) -> FloatArray:
        """P y."""
        out: FloatArray = self.w * y - self.A @ (self.h_inv @ (self.A.T @ y))
        return out

    def quad(self, y: FloatArray) -> float:
        """y' P y."""
        return float(y @ self.apply(y))

    def diag(self) -> FloatArray:
        out: FloatArray = self.w - self.b
        return out

    def trace(self) -> float:
        return float(np.sum(self.w) - np.trace(self.h_inv @ (self.A.T @ self.A)))

    def trace_pdpd(self, d1: FloatArray | None = None, d2: FloatArray | None = None) -> float:
        """tr(P D1 P D2) for diagonal D1, D2 (None: the identity)."""
        k = self.w.shape[0]
        e1 = np.ones(k) if d1 is None else d1
        e2 = np.ones(k) if d2 is None else d2
        g1 = self.A.T @ (self.A * e1[:, None])
        g2 = self.A.T @ (self.A * e2[:, None])
        cross = float(np.trace(self.h_inv @ g1 @ self.h_inv @ g2))
        we = self.w * e1 * e2
        return float(np.sum(self.w * we) - 2.0 * np.sum(we * self.b) + cross)


def weighted_projection(X: FloatArray, w: FloatArray) -> FloatArray:
    """P = W - W X (X'WX)^-1 X'W as a dense k x k matrix (for small k and for tests)."""
    WX = X * w[:, None]
    XtWX = X.T @ WX
    try:
        inv = np.linalg.inv(XtWX)
    except np.linalg.LinAlgError as exc:
        raise MetaAnalysisError("X'WX is singular: the moderators are collinear") from exc
    P: FloatArray = np.diag(w) - WX @ inv @ WX.T
    return P


def q_statistic(y: FloatArray, v: FloatArray, X: FloatArray, tau2: float) -> float:
    """Generalised Q: y' P(tau^2) y with weights 1/(v + tau^2)."""
    return Projection(X, 1.0 / (v + tau2)).quad(y)


def log_likelihood(
    y: FloatArray, v: FloatArray, X: FloatArray, tau2: float, *, reml: bool
) -> float:
    """ML or REML log-likelihood at tau^2, with beta at its GLS estimate (metafor's ll).

    The REML version includes +1/2 log|X'X| (metafor's default ``REMLf=TRUE``), which makes it
    invariant to reparametrising X.
    """
    k, p = X.shape
    w = 1.0 / (v + tau2)
    WX = X * w[:, None]
    XtWX = X.T @ WX
    beta = np.linalg.solve(XtWX, WX.T @ y)
    rss = float(np.sum(w * (y - X @ beta) ** 2))
    if not reml:
        return float(-0.5 * k * np.log(2 * np.pi) - 0.5 * np.sum(np.log(v + tau2)) - 0.5 * rss)
    logdet_xx = np.linalg.slogdet(X.T @ X)[1]
    logdet_xwx = np.linalg.slogdet(XtWX)[1]
    return float(
        -0.5 * (k - p) * np.log(2 * np.pi)
        + 0.5 * logdet_xx
        - 0.5 * np.sum(np.log(v + tau2))
        - 0.5 * logdet_xwx
        - 0.5 * rss
    )


def _he(y: FloatArray, v: FloatArray, X: FloatArray) -> tuple[float, Projection, float]:
    k, p = X.shape
    P = Projection(X, np.ones(k))
    tr_pv = float(np.sum(P.diag() * v))
    return (P.quad(y) - tr_pv) / (k - p), P, tr_pv


def _se_from_quadratic(
    scale: float, P: Projection, v: FloatArray, tau2: float, df_term: float | None
) -> float:
    """SE of a moment estimator (y'Ay - c)/scale; metafor's expressions, with
    sum(PV * PV') = tr(PVPV), sum(PV * P) = tr(PVP) and sum(P * P) = tr(PP)."""
    t = max(tau2, 0.0)
    first = P.trace_pdpd(v, v) if df_term is None else df_term
    return float(
        np.sqrt(2.0 * first + 4.0 * t * P.trace_pdpd(v) + 2.0 * t**2 * P.trace_pdpd()) / scale
    )


def estimate_tau2(
    method: str,
    y: FloatArray,
    v: FloatArray,
    X: FloatArray,
    *,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> Tau2Estimate:
    """Estimate tau^2 with ``method`` (one of :data:`ESTIMATORS`)."""
    k, p = X.shape
    if method == "EE":
        return Tau2Estimate(0.0, 0.0, 0)
    if k - p < 1:
        raise MetaAnalysisError(
            f"{method}: tau^2 needs more studies than coefficients (k={k}, p={p})"
        )
    if method in ("DL", "HS", "PM") and np.any(v <= 0):
        raise MetaAnalysisError(f"{method}: sampling variances must be positive")
    scale_v = float(np.mean(v))

    if method == "DL":
        P = Projection(X, 1.0 / v)
        tr_p = P.trace()
        tau2 = max(0.0, (P.quad(y) - (k - p)) / tr_p)
        # P V is idempotent-like here: tr(PVPV) = k - p for w = 1/v
        return Tau2Estimate(tau2, _se_from_quadratic(tr_p, P, v, tau2, float(k - p)), 0)

    if method == "HS":
        w = 1.0 / v
        P = Projection(X, w)
        tau2 = max(0.0, (P.quad(y) - k) / float(np.sum(w)))
        se = _se_from_quadratic(float(np.sum(w)), P, v, tau2, float(k - p))
        return Tau2Estimate(tau2, se, 0)

    if method == "HE":
        raw, P, _ = _he(y, v, X)
        tau2 = max(0.0, raw)
        return Tau2Estimate(tau2, _se_from_quadratic(float(k - p), P, v, tau2, None), 0)

    if method == "SJ":
        tau0 = float(np.mean((y - np.mean(y)) ** 2))
        if tau0 <= 0:
            return Tau2Estimate(0.0, 0.0, 0)
        P = Projection(X, 1.0 / (v + tau0))
        tau2 = max(0.0, tau0 * P.quad(y) / (k - p))
        se = tau0 * _se_from_quadratic(float(k - p), P, v, tau2, None)
        return Tau2Estimate(tau2, se, 0)

    if method == "PM":
        return _paule_mandel(y, v, X, tol=tol, max_iter=max_iter)

    if method in ("ML", "REML", "EB"):
        return _fisher_scoring(method, y, v, X, tol=tol, max_iter=max_iter, scale_v=scale_v)

    raise MetaAnalysisError(f"unknown tau^2 estimator {method!r}; use one of {ESTIMATORS}")


def _se_pm_eb(v: FloatArray, tau2: float, k: int, p: int) -> float:
    w = 1.0 / (v + tau2)
    return float(np.sqrt(2.0 * k**2 / (k - p) / np.sum(w) ** 2))


def _paule_mandel(
    y: FloatArray, v: FloatArray, X: FloatArray, *, tol: float, max_iter: int
) -> Tau2Estimate:
    k, p = X.shape
    target = float(k - p)
    if q_statistic(y, v, X, 0.0) < target:
        return Tau2Estimate(0.0, _se_pm_eb(v, 0.0, k, p), 0)
    # metafor's search interval: [0, max(100, 10 * mad(y)^2)]; Q(tau^2) decreases in tau^2
    mad = 1.4826 * float(np.median(np.abs(y - np.median(y))))
    upper = max(100.0, 10.0 * mad**2)
    while q_statistic(y, v, X, upper) > target:
        upper *= 10.0
        if upper > 1e12:
            raise ConvergenceError(
                "PM: Q(tau^2) stays above k - p up to tau^2 = 1e12", iterations=0, last_step=upper
            )
    tau2, iterations = brent_root(
        lambda t: q_statistic(y, v, X, t) - target,
        0.0,
        upper,
        xtol=tol * float(np.mean(v)) * 1e-2,
        maxiter=max_iter,
        what="PM",
    )
    return Tau2Estimate(tau2, _se_pm_eb(v, tau2, k, p), iterations)


def brent_root(
    f: Callable[[float], float], lo: float, hi: float, *, xtol: float, maxiter: int, what: str
) -> tuple[float, int]:
    """The root of ``f`` in [lo, hi] by Brent's method (relative tolerance 4 eps) and the
    iterations it took; a :class:`ConvergenceError` naming ``what`` if it stops short."""
    root, info = brentq(
        f,
        lo,
        hi,
        xtol=xtol,
        rtol=4 * np.finfo(float).eps,
        maxiter=maxiter,
        full_output=True,
        disp=False,
    )
    if not info.converged:
        raise ConvergenceError(
            f"{what}: root search did not converge in {info.iterations} iterations",
            iterations=info.iterations,
            last_step=float("nan"),
        )
    return float(root), int(info.iterations)


def _fisher_scoring(
    method: str,
    y: FloatArray,
    v: FloatArray,
    X: FloatArray,
    *,
    tol: float,
    max_iter: int,
    scale_v: float,
) -> Tau2Estimate:
    k, p = X.shape
    tau2 = max(0.0, _he(y, v, X)[0])  # metafor's starting value
    step = float("inf")
    iterations = 0
    while True:
        if iterations >= max_iter:
            if method in ("ML", "REML", "EB"):
                tau2 = _score_root(method, y, v, X, tau2, step, iterations, max_iter)
                break
            raise ConvergenceError(
                f"{method}: Fisher scoring did not converge in {iterations} iterations "
                f"(last step {step:.3g}, tau^2 = {tau2:.6g})",
                iterations=iterations,
                last_step=step,
            )
        iterations += 1
        w = 1.0 / (v + tau2)
        P = Projection(X, w)
        Py = P.apply(y)
        if method == "ML":
            adj = (float(Py @ Py) - float(np.sum(w))) / float(np.sum(w**2))
        elif method == "REML":
            adj = (float(Py @ Py) - P.trace()) / P.trace_pdpd()
        else:  # EB
            adj = (float(y @ Py) * k / (k - p) - k) / float(np.sum(w))
        if not np.isfinite(adj):
            raise ConvergenceError(
                f"{method}: Fisher scoring step is not finite at iteration {iterations}",
                iterations=iterations,
                last_step=adj,
            )
        if tau2 == 0.0 and adj <= 0.0:
            step = 0.0  # the score points below the boundary: the estimate is 0
        else:
            while tau2 + adj < 0.0:  # metafor halves steps that would leave [0, inf)
                adj /= 2.0
            tau2 += adj
            step = abs(adj)
        if step <= tol * (tau2 + scale_v):
            break

    if method in ("ML", "REML") and tau2 > 0.0:
        # metafor's ll0check: fall back to 0 when tau^2 = 0 has the higher likelihood
        reml = method == "REML"
        ll0 = log_likelihood(y, v, X, 0.0, reml=reml)
        ll = log_likelihood(y, v, X, tau2, reml=reml)
        if ll0 - ll > 1e-8 * max(1.0, abs(ll)):
            tau2 = 0.0

    w = 1.0 / (v + tau2)
    if method == "ML":
        se = float(np.sqrt(2.0 / np.sum(w**2)))
    elif method == "REML":
        se = float(np.sqrt(2.0 / Projection(X, w).trace_pdpd()))
    else:
        se = _se_pm_eb(v, tau2, k, p)
    return Tau2Estimate(float(tau2), se, iterations)


def _score(method: str, y: FloatArray, v: FloatArray, X: FloatArray, tau2: float) -> float:
    """The estimating equation whose root is tau^2 (the numerator of the scoring step).

    ML and REML: twice the score. EB: y'Py * k/(k-p) - k, which falls monotonically in
    tau^2 because every eigenvalue of P does, so bracketing finds its root as well.
    """
    w = 1.0 / (v + tau2)
    P = Projection(X, w)
    Py = P.apply(y)
    if method == "ML":
        return float(Py @ Py) - float(np.sum(w))
    if method == "EB":
        k, p = int(X.shape[0]), int(X.shape[1])
        return float(y @ Py) * k / (k - p) - float(k)
    return float(Py @ Py) - P.trace()


def _score_root(
    method: str,
    y: FloatArray,
    v: FloatArray,
    X: FloatArray,
    tau2: float,
    step: float,
    iterations: int,
    max_iter: int,
) -> float:
    """Fallback when Fisher scoring cycles: solve score(tau^2) = 0 by bracketing.

    Plain Fisher scoring can oscillate around the optimum for ever (e.g. ML on ten equal
    effects and one outlier with a smaller variance; metafor fails there too). The score is
    positive below the maximum and negative above it, so Brent's method on a bracket is safe.
    """

    def fail(why: str) -> ConvergenceError:
        return ConvergenceError(
            f"{method}: Fisher scoring did not converge in {iterations} iterations "
            f"(last step {step:.3g}, tau^2 = {tau2:.6g}) and {why}",
            iterations=iterations,
            last_step=step,
        )

    if _score(method, y, v, X, 0.0) <= 0.0:
        return 0.0
    upper = max(tau2, float(np.mean(v)))
    for _ in range(60):
        if _score(method, y, v, X, upper) < 0.0:
            break
        upper *= 2.0
    else:
        raise fail("the score stays positive for every tau^2 tried")
    try:
        root, _steps = brent_root(
            lambda t: _score(method, y, v, X, t),
            0.0,
            upper,
            xtol=1e-14 * float(np.mean(v)),
            maxiter=max_iter,
            what=method,
        )
    except ConvergenceError as exc:
        raise fail(f"the score root search stopped after {exc.iterations} iterations") from exc
    return root
