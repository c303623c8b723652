"""Linear mixed models with one grouping factor, fitted fast: ``y = X beta + Z b + e``.

Per group ``i``: ``b_i ~ N(0, G)`` with ``q <= 2`` random effects (a random intercept, or a
random intercept and slope with an unstructured 2x2 ``G``) and ``e_i ~ N(0, sigma^2 I)``.
REML (default) or ML, the criterion and parametrisation of lme4 (Bates et al. 2015,
"Fitting linear mixed-effects models using lme4", section 3): ``G = sigma^2 L L'`` with ``L``
lower triangular (``theta``: its entries, diagonal >= 0), ``sigma^2`` and ``beta`` profiled
out, so the optimiser searches only ``theta`` (one or three numbers).

Estimator, then fit, then an immutable result::

    from yim.stats.lmm import LinearMixedModel
    result = LinearMixedModel("REML").fit(y, X, Z, groups, exog_names=["Intercept", "time"])
    result.params["time"], result.se["time"], result.sd_re, result.corr_re, result.boundary

Why the numerical core is written here: statsmodels ``MixedLM`` loops over the groups in
Python at every likelihood evaluation (22 s for 2,000 youth x 5 waves, hours for 100,000), and
no installed library fits a random intercept and slope vectorised over groups. With one
grouping factor the profiled likelihood needs only per-group sufficient statistics
(``Z_i'Z_i``, ``Z_i'X_i``, ``Z_i'y_i``, ``n_i``) plus the totals ``X'X``, ``X'y``, ``y'y``
(the per-group ``X_i'X_i`` and ``X_i'y_i`` enter only through their sums), computed once.
Each evaluation is then vector arithmetic over the groups (see :class:`_Criterion`): by the
Woodbury identity ``V_i^-1 = (I - Z_i L M_i^-1 L' Z_i') / sigma^2`` with
``M_i = I + L' Z_i'Z_i L`` (q x q, inverted in closed form), and ``log|V_i| =
n_i log sigma^2 + log|M_i|``. A group with one observation (``Z_i'Z_i`` of rank 1) needs no
special case: ``M_i`` stays positive definite.

The fixed-effects covariance is lme4's ``vcov``: ``sigma^2 (X'V^-1 X)^-1`` at the estimates
(with ``V`` scaled by ``sigma^2``). A fit is *at the boundary* when a diagonal entry of ``L``
is (nearly) zero, lme4's ``isSingular``: a random-effect variance of zero or a correlation
of +-1. It is reported, not refused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize

from yim.stats._arrays import readonly

__all__ = ["LMMError", "LMMResult", "LinearMixedModel", "SufficientStatistics"]

Array = npt.NDArray[np.float64]
Method = Literal["REML", "ML"]

#: lme4's ``isSingular`` tolerance on the diagonal of the relative Cholesky factor.
BOUNDARY_TOL = 1e-4
_LOG_2PI = math.log(2 * math.pi)


class LMMError(ValueError):
    """Data a linear mixed model cannot be fitted to (no residual variance, a rank-deficient
    design, too few observations): a message, never a traceback from the numerics."""


@dataclass(frozen=True)
class SufficientStatistics:
    """What the likelihood needs, computed once per data set: per group ``Z_i'Z_i``
    ``(G, q, q)``, ``Z_i'X_i`` ``(G, q, p)``, ``Z_i'y_i`` ``(G, q)`` and ``n_i``; and the
    totals ``X'X``, ``X'y``, ``y'y``, ``n``."""

    ztz: Array
    ztx: Array
    zty: Array
    n_i: npt.NDArray[np.int64]
    xtx: Array
    xty: Array
    yty: float
    n: int

    @classmethod
    def of(cls, y: Array, x: Array, z: Array, codes: npt.NDArray[np.intp]) -> SufficientStatistics:
        """``codes``: the group of each row as 0 .. G-1 (every code present)."""
        n_groups = int(codes.max()) + 1 if len(codes) else 0
        q, p = z.shape[1], x.shape[1]
        # One row of products per observation, summed per group by bincount (O(n) each).
        products = np.concatenate(
            [
                (z[:, :, None] * z[:, None, :]).reshape(len(y), q * q),
                (z[:, :, None] * x[:, None, :]).reshape(len(y), q * p),
                z * y[:, None],
            ],
            axis=1,
        )
        columns = [
            np.bincount(codes, weights=products[:, k], minlength=n_groups)
            for k in range(products.shape[1])
        ]
        sums: Array = np.stack(columns, axis=1).astype(float)
        return cls(
            ztz=sums[:, : q * q].reshape(n_groups, q, q),
            ztx=sums[:, q * q : q * q + q * p].reshape(n_groups, q, p),
            zty=sums[:, q * q + q * p :],
            n_i=np.bincount(codes, minlength=n_groups),
            xtx=x.T @ x,
            xty=x.T @ y,
            yty=float(y @ y),
            n=len(y),
        )


def _lower(theta: Array, q: int) -> Array:
    """The relative Cholesky factor ``L`` (G = sigma^2 L L') from ``theta``: for q = 2
    ``(L11, L21, L22)``, lme4's order."""
    if q == 1:
        return np.array([[theta[0]]])
    return np.array([[theta[0], 0.0], [theta[1], theta[2]]])


@dataclass(frozen=True)
class _Profile:
    deviance: float
    beta: Array
    xtvx: Array  # X' V^-1 X with V scaled by sigma^2
    sigma2: float


class _Criterion:
    """The profiled deviance as a function of ``theta``, for one data set.

    With ``u_ki`` row ``k`` of ``[Z_i'X_i | Z_i'y_i]``, the Woodbury correction of
    ``[X y]' V^-1 [X y]`` (V scaled by sigma^2) is ``sum_i sum_jk C_i[j, k] u_ji u_ki'``
    with ``C_i = L M_i^-1 L'`` (q x q, symmetric). So the outer products ``u_ji u_ki'`` are
    formed once per pair ``j <= k`` (their upper triangles, ``(G, (p+1)(p+2)/2)``), and each
    evaluation is the closed-form ``C_i`` (vector arithmetic over the groups) and one
    matrix-vector product per pair: no Python loop over the groups and no small-matrix
    ``einsum`` (ten times slower here)."""

    def __init__(self, stats: SufficientStatistics, reml: bool) -> None:
        self.stats = stats
        self.reml = reml
        self.q = stats.ztz.shape[1]
        self.p = stats.xtx.shape[0]
        u = np.concatenate([stats.ztx, stats.zty[:, :, None]], axis=2)  # (G, q, p+1)
        self.pairs = [(j, k) for j in range(self.q) for k in range(j, self.q)]
        # Only the upper triangle of each symmetric (p+1) x (p+1) product: the evaluation is
        # bound by memory bandwidth, so fewer columns are faster.
        self.upper = np.triu_indices(self.p + 1)
        rows, cols = self.upper
        outer = []
        for j, k in self.pairs:
            product = u[:, j, rows] * u[:, k, cols]
            if j != k:
                product = product + u[:, k, rows] * u[:, j, cols]
            outer.append(np.ascontiguousarray(product))
        self.outer = outer
        self.ztz = [np.ascontiguousarray(stats.ztz[:, j, k]) for j, k in self.pairs]
        top = np.concatenate([stats.xtx, stats.xty[:, None]], axis=1)
        bottom = np.concatenate([stats.xty, [stats.yty]])[None, :]
        self.total = np.concatenate([top, bottom], axis=0)  # [X y]'[X y]

    def weights(self, theta: Array) -> tuple[list[Array], float]:
        """``C_i = L M_i^-1 L'`` per pair ``j <= k`` and ``sum_i log|M_i|``."""
        if self.q == 1:
            l0 = float(theta[0])
            m = 1 + l0 * l0 * self.ztz[0]
            return [l0 * l0 / m], float(np.log(m).sum())
        l0, l1, l2 = (float(v) for v in theta)
        a, b, c = self.ztz
        # M = I + L' Z'Z L with L = [[l0, 0], [l1, l2]] and Z'Z = [[a, b], [b, c]].
        m00 = 1 + a * l0 * l0 + 2 * b * l0 * l1 + c * l1 * l1
        m01 = l2 * (b * l0 + c * l1)
        m11 = 1 + c * l2 * l2
        det = m00 * m11 - m01 * m01
        i00, i01, i11 = m11 / det, -m01 / det, m00 / det  # M^-1
        # C = L M^-1 L'.
        c00 = l0 * l0 * i00
        c01 = l0 * (l1 * i00 + l2 * i01)
        c11 = l1 * l1 * i00 + 2 * l1 * l2 * i01 + l2 * l2 * i11
        return [c00, c01, c11], float(np.log(det).sum())

    def profile(self, theta: Array) -> _Profile:
        """The profiled deviance (-2 log-likelihood, REML or ML) at ``theta``, with the GLS
        ``beta`` and ``sigma^2`` that maximise it for that ``theta``."""
        p = self.p
        weights, logdet = self.weights(theta)
        corrected = self.total[self.upper]
        for w, outer in zip(weights, self.outer, strict=True):
            corrected -= w @ outer
        full = np.zeros((p + 1, p + 1))
        full[self.upper] = corrected
        full = full + np.triu(full, 1).T
        xtvx = full[:p, :p]
        xtvy, ytvy = full[:p, p], float(full[p, p])
        chol = np.linalg.cholesky(xtvx)
        beta = np.linalg.solve(xtvx, xtvy)
        rss = ytvy - float(beta @ xtvy)  # the penalised weighted residual sum of squares
        dof = self.stats.n - p if self.reml else self.stats.n
        if not rss > 0:
            return _Profile(math.inf, beta, xtvx, math.nan)
        sigma2 = rss / dof
        deviance = logdet + dof * (1 + _LOG_2PI + math.log(sigma2))
        if self.reml:
            deviance += 2 * float(np.log(np.diag(chol)).sum())
        return _Profile(deviance, beta, xtvx, sigma2)


@dataclass(frozen=True)
class LMMResult:
    """A fitted linear mixed model. Arrays are read-only; ``params`` and ``se`` are dicts by
    fixed-effect name, ``cov_re`` is G (q x q), ``sd_re`` its standard deviations by random-
    effect name, ``corr_re`` the correlation of the two random effects (None for q = 1)."""

    method: Method
    exog_names: tuple[str, ...]
    re_names: tuple[str, ...]
    fe_params: Array
    cov_fe: Array
    sigma2: float
    cov_re: Array
    theta: Array
    loglik: float
    converged: bool
    #: At the boundary of the parameter space (lme4's ``isSingular``).
    boundary: bool
    #: Why it is at the boundary, or why it did not converge: readable sentences.
    messages: tuple[str, ...]
    n_obs: int
    n_groups: int
    iterations: int
    evaluations: int = field(default=0)

    @property
    def params(self) -> dict[str, float]:
        return {name: float(v) for name, v in zip(self.exog_names, self.fe_params, strict=True)}

    @property
    def se(self) -> dict[str, float]:
        values = np.sqrt(np.diag(self.cov_fe))
        return {name: float(v) for name, v in zip(self.exog_names, values, strict=True)}

    @property
    def sigma(self) -> float:
        return math.sqrt(self.sigma2)

    @property
    def sd_re(self) -> dict[str, float]:
        values = np.sqrt(np.diag(self.cov_re))
        return {name: float(v) for name, v in zip(self.re_names, values, strict=True)}

    @property
    def corr_re(self) -> float | None:
        if len(self.re_names) < 2:
            return None
        sd = np.sqrt(np.diag(self.cov_re))
        if sd[0] == 0 or sd[1] == 0:
            return math.nan
        return float(self.cov_re[0, 1] / (sd[0] * sd[1]))

    @property
    def deviance(self) -> float:
        return -2 * self.loglik


class LinearMixedModel:
    """The estimator: ``LinearMixedModel("REML").fit(y, X, Z, groups)``.

    ``start``: ``theta`` to start from (default lme4's: identity ``L``). ``tol``: the
    optimiser's tolerance on the deviance."""

    def __init__(
        self,
        method: Method = "REML",
        *,
        start: Sequence[float] | None = None,
        tol: float = 1e-10,
        max_iter: int = 1000,
    ) -> None:
        if method not in ("REML", "ML"):
            raise ValueError(f"method must be 'REML' or 'ML', not {method!r}")
        self.method: Method = method
        self.start = None if start is None else tuple(float(v) for v in start)
        self.tol = tol
        self.max_iter = max_iter

    def fit(
        self,
        y: npt.ArrayLike,
        exog: npt.ArrayLike,
        exog_re: npt.ArrayLike,
        groups: npt.ArrayLike,
        *,
        exog_names: Sequence[str] | None = None,
        re_names: Sequence[str] | None = None,
    ) -> LMMResult:
        """Fit to ``y`` (n), fixed-effects design ``exog`` (n x p), random-effects design
        ``exog_re`` (n x q, q <= 2) and a group label per row (any hashable values; rows of a
        group need not be adjacent). Raises :class:`LMMError` for unusable data."""
        y_arr = np.asarray(y, dtype=float).ravel()
        x = np.asarray(exog, dtype=float)
        z = np.asarray(exog_re, dtype=float)
        x = x[:, None] if x.ndim == 1 else x
        z = z[:, None] if z.ndim == 1 else z
        n, p = x.shape
        q = z.shape[1]
        if len(y_arr) != n or z.shape[0] != n or len(np.asarray(groups)) != n:
            raise LMMError("y, exog, exog_re and groups must have the same number of rows")
        if q not in (1, 2):
            raise LMMError("only one or two random effects per group are supported")
        if not (np.isfinite(y_arr).all() and np.isfinite(x).all() and np.isfinite(z).all()):
            raise LMMError("the data contain missing or infinite values")
        if n <= p:
            raise LMMError("fewer observations than fixed effects")
        if np.linalg.matrix_rank(x) < p:
            raise LMMError("the fixed-effects design is rank deficient")
        ols_rss = float(np.sum((y_arr - x @ np.linalg.lstsq(x, y_arr, rcond=None)[0]) ** 2))
        if not ols_rss > 1e-12 * max(float(y_arr @ y_arr), 1e-300):
            raise LMMError("the residual variance is zero: the outcome is fully explained")
        _labels, codes = np.unique(np.asarray(groups), return_inverse=True)
        stats = SufficientStatistics.of(y_arr, x, z, codes.ravel())
        xnames = tuple(exog_names) if exog_names is not None else tuple(f"x{i}" for i in range(p))
        znames = tuple(re_names) if re_names is not None else tuple(f"z{i}" for i in range(q))
        if len(xnames) != p or len(znames) != q:
            raise LMMError("the names do not match the columns")
        return self._fit(stats, xnames, znames)

    def _fit(
        self, stats: SufficientStatistics, xnames: tuple[str, ...], znames: tuple[str, ...]
    ) -> LMMResult:
        q = stats.ztz.shape[1]
        reml = self.method == "REML"
        diagonal = [0] if q == 1 else [0, 2]
        bounds = [(0.0, None) if k in diagonal else (None, None) for k in range(len(_start(q)))]
        evaluations = 0
        criterion = _Criterion(stats, reml)

        def deviance(theta: Array) -> float:
            nonlocal evaluations
            evaluations += 1
            try:
                value = criterion.profile(np.asarray(theta, dtype=float)).deviance
            except np.linalg.LinAlgError:
                return math.inf
            return value if math.isfinite(value) else 1e300

        start = np.array(self.start if self.start is not None else _start(q), dtype=float)
        # L-BFGS-B (finite-difference gradient, bounds keep the diagonal of L >= 0) finds the
        # optimum in a few dozen evaluations.
        first = optimize.minimize(
            deviance,
            start,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": self.tol, "gtol": 1e-8, "maxiter": self.max_iter},
        )
        best, results = first, [first]
        near_boundary = any(first.x[k] < 1e-2 for k in diagonal)
        if not first.success or near_boundary:
            # Nelder-Mead from there polishes the optimum where L-BFGS-B stops early on a
            # flat ridge or cannot meet its gradient tolerance (finite differences of a large
            # deviance are noisy); the better of the two is kept.
            polish = optimize.minimize(
                deviance,
                first.x,
                method="Nelder-Mead",
                bounds=bounds,
                options={
                    "xatol": 1e-7,
                    "fatol": self.tol * max(1.0, abs(float(first.fun))),
                    "maxiter": self.max_iter,
                    "initial_simplex": _simplex(first.x, bounds),
                },
            )
            results.append(polish)
            if polish.fun < first.fun:
                best = polish
        theta = np.asarray(best.x, dtype=float)
        for k in diagonal:
            theta[k] = max(theta[k], 0.0)
        try:
            profile = criterion.profile(theta)
        except np.linalg.LinAlgError as exc:
            raise LMMError("the fixed-effects design is numerically singular") from exc
        messages: list[str] = []
        converged = any(r.success for r in results) and math.isfinite(profile.deviance)
        if not converged:
            messages.append(f"the optimiser did not converge: {results[-1].message}")
        lam = _lower(theta, q)
        sigma2 = profile.sigma2
        cov_re = sigma2 * lam @ lam.T
        try:
            cov_fe = sigma2 * np.linalg.inv(profile.xtvx)
        except np.linalg.LinAlgError:
            cov_fe = np.full_like(profile.xtvx, math.nan)
            converged = False
            messages.append("the fixed-effects covariance is singular")
        boundary = False
        if theta[0] < BOUNDARY_TOL:
            boundary = True
            messages.append(f"the variance of the random {znames[0]} is zero (boundary)")
        if q == 2 and theta[2] < BOUNDARY_TOL:
            boundary = True
            if abs(theta[1]) < BOUNDARY_TOL:
                messages.append(f"the variance of the random {znames[1]} is zero (boundary)")
            else:
                messages.append(
                    f"the random {znames[0]} and {znames[1]} are perfectly correlated (boundary)"
                )
        return LMMResult(
            method=self.method,
            exog_names=xnames,
            re_names=znames,
            fe_params=readonly(profile.beta),
            cov_fe=readonly(cov_fe),
            sigma2=float(sigma2),
            cov_re=readonly(cov_re),
            theta=readonly(theta),
            loglik=-profile.deviance / 2,
            converged=converged,
            boundary=boundary,
            messages=tuple(messages),
            n_obs=stats.n,
            n_groups=len(stats.n_i),
            iterations=sum(int(r.nit) for r in results),
            evaluations=evaluations,
        )


def _start(q: int) -> tuple[float, ...]:
    return (1.0,) if q == 1 else (1.0, 0.0, 1.0)


def _simplex(x: Array, bounds: Sequence[tuple[float | None, float | None]]) -> Array:
    """A small simplex around ``x`` (steps of 5% or 0.01), inside the bounds."""
    points = [np.array(x, dtype=float)]
    for k in range(len(x)):
        point = np.array(x, dtype=float)
        step = max(0.05 * abs(point[k]), 0.01)
        low = bounds[k][0]
        point[k] = point[k] + step if low is None or point[k] - step < low else point[k] - step
        points.append(point)
    return np.array(points)
