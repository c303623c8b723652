"""Fail-safe N: how many unpublished studies averaging a null effect would overturn a
meta-analytic conclusion — metafor's ``fsn()``.

Five approaches:

* ``"Rosenthal"`` (1979) — Stouffer's combined z; closed form.
* ``"Fisher"`` — Rosenthal's question answered with Fisher's combination of one-sided
  p-values: the number N of added p-values of 0.5 (null studies) for which
  χ² = −2 Σ log p_i − 2 N log 0.5 on 2(k + N) df is no longer significant at ``alpha``.
  metafor ≥ 4: ``fsn(yi, vi, pool="fisher")``; metafor 3.8: ``fsn(yi, vi, test="Fisher")``.
* ``"Orwin"`` (1983) — added studies with effect 0 bring the (weighted) mean down to a target.
* ``"Rosenberg"`` (2005) — weighted (equal-effects) version of Rosenthal's question.
* ``"General"`` — metafor ≥ 4's general approach: the pooled estimate of the *fitted model*
  (its τ² estimator, fixed τ², test) is recomputed with N added studies that average
  ``mumiss`` (0) with the "typical" sampling variance v̄ = 1/mean(1/v_i), until its p-value
  reaches ``alpha`` (no ``target``) or the estimate falls to ``target``. By default
  (``exact=False``, z-test) τ² after adding the studies is the closed-form update of
  metafor's approximation; with ``exact=True`` or a t/Knapp–Hartung test the model is refitted
  (up to 5000 added studies, then the approximation, as metafor).

Fisher and General search N with R's ``uniroot()`` rules (see :mod:`._uniroot`) on metafor's
step function and round up, which reproduces metafor's N exactly, including the cases where
the root lies a hair beyond a jump and metafor reports N + 1.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from yim.stats.meta._uniroot import R_TOL, r_uniroot
from yim.stats.meta._validate import FloatArray, as_vector, positive_vector
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.multilevel_result import MultilevelResult
from yim.stats.meta.twolevel import RandomEffectsModel
from yim.stats.meta.twolevel_result import TwoLevelResult

__all__ = ["FAIL_SAFE_TYPES", "FailSafeN", "fail_safe_n"]

FailSafeType = Literal["Rosenthal", "Fisher", "Orwin", "Rosenberg", "General"]
FAIL_SAFE_TYPES = ("Rosenthal", "Fisher", "Orwin", "Rosenberg", "General")

_SQRT_EPS = math.sqrt(np.finfo(float).eps)
_EXACT_LIMIT = 5000  # metafor refits only up to this many added studies
_FIXED_TAU2 = "tau² fixed at"


@dataclass(frozen=True)
class FailSafeN:
    """Fail-safe N: how many unpublished null studies would overturn the conclusion.

    ``fsnum`` is an int, or ``inf`` (Orwin or General with target 0). ``pval`` is the
    p-value of the observed studies (Rosenthal: one-sided Stouffer; Fisher: Fisher's
    combined test; Rosenberg: two-sided z of the equal-effects mean; General: the fitted
    model's test), None for Orwin. ``mean_effect`` is the (weighted) mean for Orwin and
    Rosenberg and the model estimate for General; ``target`` the target effect (Orwin, and
    General when given).

    General only: ``estimator`` (τ² method), ``tau2`` of the observed studies, and
    ``est_fsn``/``tau2_fsn``/``pval_fsn`` after adding ``fsnum`` studies; ``at_limit`` is
    True when N reached ``maxint`` (metafor prints "> N").
    """

    type: str
    fsnum: float
    alpha: float
    pval: float | None
    mean_effect: float | None
    target: float | None
    k: int
    method: str
    estimator: str | None = None
    tau2: float | None = None
    est_fsn: float | None = None
    tau2_fsn: float | None = None
    pval_fsn: float | None = None
    at_limit: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """Plain-text account, as metafor's print method."""
        lines = [f"Fail-safe N ({self.type}): {'> ' if self.at_limit else ''}{self.fsnum:g}"]
        lines.append(f"  {self.method}")

        def after(value: float | None, fmt: str) -> str:
            return "" if value is None else f" (with the added studies: {value:{fmt}})"

        if self.mean_effect is not None:
            lines.append(
                f"  average effect size: {self.mean_effect:.4f}{after(self.est_fsn, '.4f')}"
            )
        if self.tau2 is not None:
            lines.append(f"  tau^2: {self.tau2:.4f}{after(self.tau2_fsn, '.4f')}")
        if self.pval is not None:
            lines.append(
                f"  observed significance level: {self.pval:.4g}{after(self.pval_fsn, '.4g')}"
            )
        if self.target is not None:
            lines.append(f"  target effect size: {self.target:.4f}")
        else:
            lines.append(f"  target significance level: {self.alpha:g}")
        lines.append(f"  k = {self.k}")
        return "\n".join(lines)


def _round_up(fsnum: float) -> float:
    """metafor's rounding: up, unless within sqrt(eps) of an integer."""
    if math.isfinite(fsnum) and abs(fsnum - round(fsnum)) >= _SQRT_EPS:
        return float(math.ceil(fsnum))
    return float(round(fsnum)) if math.isfinite(fsnum) else fsnum


def fail_safe_n(
    yi: ArrayLike | TwoLevelResult | MultilevelResult,
    vi: ArrayLike | None = None,
    *,
    type: FailSafeType | None = None,
    target: float | None = None,
    alpha: float = 0.05,
    weighted: bool = False,
    estimator: str = "REML",
    test: str = "z",
    tau2: float | None = None,
    exact: bool = False,
    mumiss: float = 0.0,
    interval: tuple[float, float] | None = None,
    tol: float = R_TOL,
    maxiter: int = 1000,
    maxint: int = 10**7,
) -> FailSafeN:
    """metafor ``fsn()``: see the module docstring for the approaches.

    yi: effect sizes, or a fitted intercept-only two-level model (then the General approach
        with the model's estimator, test and fixed τ², as ``fsn(model)`` in metafor ≥ 4).
    type: "Rosenthal" (default for data), "Fisher", "Orwin", "Rosenberg" or "General".
    target: Orwin's target effect (default: half the mean); for General an optional target
        estimate (default: none — the p-value criterion).
    weighted: Orwin with the 1/v weighted mean (metafor 3.8's ``weighted=TRUE``).
    estimator, test, tau2, exact, mumiss: General with data: τ² estimator (default REML),
        test ("z", "t", "knha"), a fixed τ², refit instead of the closed-form update, and
        the mean effect of the added studies.
    interval, tol, maxiter: root search for Fisher and General (metafor ≥ 4's defaults:
        (0, 50 k), ``.Machine$double.eps^0.25``, 1000; metafor 3.8 searched Fisher's N
        in (0, 1000)). maxint: General's cap on N.

    Non-integer N is rounded up (as metafor).
    """
    if isinstance(yi, MultilevelResult):
        raise MetaAnalysisError(
            "fail-safe N is defined for two-level models only (metafor's fsn() refuses rma.mv "
            "fits): it treats the effect sizes as independent studies"
        )
    if isinstance(yi, TwoLevelResult):
        return _general_from_fit(
            yi, type, target, alpha, exact, mumiss, interval, tol, maxiter, maxint
        )
    kind = "Rosenthal" if type is None else type
    if kind not in FAIL_SAFE_TYPES:
        raise MetaAnalysisError(f"type={type!r}; use one of {', '.join(FAIL_SAFE_TYPES)}")
    if not 0 < alpha < 1:
        raise MetaAnalysisError(f"alpha={alpha!r}; use a fraction such as 0.05")
    y = as_vector("yi", yi)
    k = y.shape[0]
    if k < 1:
        raise MetaAnalysisError("fail-safe N needs at least one effect size")
    needs_v = kind != "Orwin" or weighted
    v = np.zeros(k)
    if needs_v:
        if vi is None:
            raise MetaAnalysisError(f"fail-safe N ({kind}) needs the sampling variances vi")
        v = positive_vector("vi", vi, length=k, what="variances")
    search = _interval(interval, k)
    if kind == "General":
        return _general(
            y, v, estimator, test, tau2, target, alpha, exact, mumiss, search, tol, maxiter, maxint
        )
    if kind == "Fisher":
        return _fisher(y, v, alpha, search, tol, maxiter)
    pval: float | None = None
    mean: float | None = None
    tgt: float | None = None
    if kind == "Rosenthal":
        z_avg = abs(float(np.sum(y / np.sqrt(v))) / np.sqrt(k))
        pval = float(stats.norm.sf(z_avg))
        fsnum = max(0.0, k * (z_avg / float(stats.norm.isf(alpha))) ** 2 - k)
        method = "Rosenthal (Stouffer's combined z, one-sided alpha)"
    elif kind == "Orwin":
        if weighted:
            w = 1.0 / v
            mean = float(np.sum(w * y) / np.sum(w))
        else:
            mean = float(np.mean(y))
        tgt = mean / 2.0 if target is None else float(target)
        if tgt == 0:
            fsnum = float("inf")
        else:
            if np.sign(tgt) != np.sign(mean):
                tgt = -tgt
            fsnum = max(0.0, k * (mean - tgt) / tgt)
        method = f"Orwin ({'weighted' if weighted else 'unweighted'} mean, target {tgt:g})"
    else:
        w = 1.0 / v
        sw = float(np.sum(w))
        mean = float(np.sum(w * y) / sw)
        zval = mean / np.sqrt(1.0 / sw)
        wp = (float(np.sum(w * y)) / float(stats.norm.isf(alpha / 2))) ** 2 - sw
        pval = float(2.0 * stats.norm.sf(abs(zval)))
        fsnum = max(0.0, k * wp / sw)
        method = "Rosenberg (weighted, equal-effects model, two-sided alpha)"
    return FailSafeN(
        type=kind,
        fsnum=_round_up(fsnum),
        alpha=alpha,
        pval=pval,
        mean_effect=mean,
        target=tgt,
        k=k,
        method=method,
    )


def _interval(interval: tuple[float, float] | None, k: int) -> tuple[float, float]:
    if interval is None:
        return 0.0, 50.0 * k  # metafor >= 4
    lo, hi = (float(interval[0]), float(interval[1]))
    if not (0 <= lo < hi and math.isfinite(hi)):
        raise MetaAnalysisError(
            f"interval={interval!r}; use (lower, upper) with 0 <= lower < upper"
        )
    return lo, hi


# --- Fisher ------------------------------------------------------------------------------------
def _fisher(
    y: FloatArray,
    v: FloatArray,
    alpha: float,
    search: tuple[float, float],
    tol: float,
    maxiter: int,
) -> FailSafeN:
    k = y.shape[0]
    # log one-sided p-values straight from the normal tail, so that very large z (p below
    # the smallest double) still count instead of making the statistic infinite
    sum_log_p = float(np.sum(stats.norm.logsf(np.abs(y / np.sqrt(v)))))
    log_half = math.log(0.5)

    def excess(n: float) -> float:
        # metafor's .fsn.fisher: rep(0.5, n) keeps floor(n) p-values of 0.5, while the df
        # 2(k + n) use n itself — a saw-tooth in n, hence R's own root search below
        x2 = -2.0 * (sum_log_p + math.floor(n) * log_half)
        return float(stats.chi2.sf(x2, 2.0 * (k + n))) - alpha

    pval = excess(0.0) + alpha
    if pval >= alpha:
        fsnum = 0.0
    else:
        fsnum = r_uniroot(excess, *search, extend="upX", tol=tol, maxiter=maxiter)
    return FailSafeN(
        type="Fisher",
        fsnum=_round_up(fsnum),
        alpha=alpha,
        pval=pval,
        mean_effect=None,
        target=None,
        k=k,
        method="Rosenthal's question with Fisher's combined one-sided p-values",
    )


# --- General (metafor >= 4) ----------------------------------------------------------------------
def _general_from_fit(
    result: TwoLevelResult,
    type: str | None,
    target: float | None,
    alpha: float,
    exact: bool,
    mumiss: float,
    interval: tuple[float, float] | None,
    tol: float,
    maxiter: int,
    maxint: int,
) -> FailSafeN:
    if type not in (None, "General"):
        raise MetaAnalysisError(
            f"type={type!r} with a fitted model: a model gives the General approach (pass the "
            "effect sizes and variances for the other approaches)"
        )
    if not result.intercept_only:
        raise MetaAnalysisError("fail-safe N applies to models without moderators (as metafor)")
    if not 0 < alpha < 1:
        raise MetaAnalysisError(f"alpha={alpha!r}; use a fraction such as 0.05")
    fixed = result.tau2 if _FIXED_TAU2 in dict(result.method.extra) else None
    return _general(
        result.yi,
        result.vi,
        result.estimator,
        result.method.test,
        fixed,
        target,
        alpha,
        exact,
        mumiss,
        _interval(interval, result.k),
        tol,
        maxiter,
        maxint,
    )


@dataclass(frozen=True)
class _Added:
    est: float
    tau2: float
    pval: float


def _general(
    y: FloatArray,
    v: FloatArray,
    estimator: str,
    test: str,
    tau2_fixed: float | None,
    target: float | None,
    alpha: float,
    exact: bool,
    mumiss: float,
    search: tuple[float, float],
    tol: float,
    maxiter: int,
    maxint: int,
) -> FailSafeN:
    k = y.shape[0]
    if k < 2:
        raise MetaAnalysisError("fail-safe N (General) needs at least 2 effect sizes")
    model = RandomEffectsModel(estimator, test, tau2=tau2_fixed, tau2_ci=None)
    fit = model.fit(y, v)
    est = float(fit.beta[0])
    tau2 = float(fit.tau2)
    pval = float(fit.coefficients[0].pval)
    equal = fit.equal_effects
    exact = exact or fit.method.test != "z"
    vt = 1.0 / float(np.mean(1.0 / v))  # "typical" variance of the added studies

    def added(x: float) -> _Added:
        n = min(math.floor(x), maxint)
        if n < 0:
            # R's root search stepped below 0 studies: metafor stops with an error here
            raise MetaAnalysisError(
                "fail-safe N (General) could not be found: adding studies never moves the "
                "p-value up to alpha (e.g. mumiss has the sign of the estimate)"
            )
        if exact and n <= _EXACT_LIMIT:
            return _refit_with_added(model, y, v, n, vt, tau2, mumiss)
        return _approximate_with_added(y, v, n, vt, est, tau2, tau2_fixed, equal, mumiss)

    if target is None:
        if pval >= alpha:
            fsnum = 0.0
        else:

            def p_excess(x: float) -> float:
                if math.floor(x) >= maxint:
                    return 0.0
                return _p_added(added(x), mumiss) - alpha

            fsnum = r_uniroot(p_excess, *search, extend="upX", tol=tol, maxiter=maxiter)
            fsnum = _round_up(min(fsnum, float(maxint)))
        tgt: float | None = None
    else:
        tgt = float(target)
        if np.sign(tgt) != np.sign(est):
            tgt = -tgt
        if tgt == 0:
            tgt = 0.0  # not -0.0
            fsnum = float("inf")
        elif abs(tgt) >= abs(est):
            fsnum = 0.0
        else:
            goal = tgt

            def est_excess(x: float) -> float:
                return 0.0 if math.floor(x) >= maxint else added(x).est - goal

            fsnum = r_uniroot(
                est_excess,
                *search,
                extend="downX" if est > 0 else "upX",
                tol=tol,
                maxiter=maxiter,
            )
            fsnum = _round_up(min(fsnum, float(maxint)))
    after = _Added(est, tau2, pval) if fsnum == 0 or not math.isfinite(fsnum) else added(fsnum)
    if target is None:
        after = _Added(after.est, after.tau2, _p_added(after, mumiss) if fsnum else pval)
    how = "refitted" if exact else "closed-form tau^2 update"
    crit = f"target estimate {tgt:g}" if tgt is not None else f"p-value reaches {alpha:g}"
    return FailSafeN(
        type="General",
        fsnum=fsnum,
        alpha=alpha,
        pval=pval,
        mean_effect=est,
        target=tgt,
        k=k,
        method=(
            f"General ({'equal-effects' if equal else 'random-effects'} model, {fit.estimator}, "
            f"{fit.method.test}-test; added studies average {mumiss:g} with variance "
            f"{vt:.4g}, {how}; {crit})"
        ),
        estimator=fit.estimator,
        tau2=tau2,
        est_fsn=None if not math.isfinite(fsnum) else after.est,
        tau2_fsn=None if not math.isfinite(fsnum) else after.tau2,
        pval_fsn=None if not math.isfinite(fsnum) else after.pval,
        at_limit=math.isfinite(fsnum) and fsnum >= maxint,
    )


def _p_added(point: _Added, mumiss: float) -> float:
    """metafor counts the p-value as 1 once the estimate has the sign of a non-zero
    ``mumiss`` (the added studies then support the effect instead of cancelling it)."""
    if mumiss != 0 and np.sign(point.est) == np.sign(mumiss):
        return 1.0
    return point.pval


def _approximate_with_added(
    y: FloatArray,
    v: FloatArray,
    n: int,
    vt: float,
    est: float,
    tau2: float,
    tau2_fixed: float | None,
    equal: bool,
    mumiss: float,
) -> _Added:
    """metafor's closed-form update (``exact=FALSE``): τ² is the pooled within/between
    decomposition of the old and the added studies (the added studies spread with variance
    τ² around ``mumiss``), then the weighted mean and its z-test with all k + n studies."""
    k = y.shape[0]
    if equal:
        tau2_new = 0.0
    elif tau2_fixed is not None:
        tau2_new = tau2_fixed
    else:
        mean_all = (k * est + n * mumiss) / (k + n)
        tau2_new = max(
            0.0,
            (
                (k - 1) * tau2
                + max(0, n - 1) * tau2
                + k * (est - mean_all) ** 2
                + n * (mumiss - mean_all) ** 2
            )
            / (k + n - 1),
        )
    w = 1.0 / (v + tau2_new)
    wt = 1.0 / (vt + tau2_new)
    sum_w = float(np.sum(w)) + n * wt
    est_new = (float(np.sum(w * y)) + n * wt * mumiss) / sum_w
    zval = est_new / math.sqrt(1.0 / sum_w)
    return _Added(est_new, tau2_new, float(2.0 * stats.norm.sf(abs(zval))))


def _refit_with_added(
    model: RandomEffectsModel,
    y: FloatArray,
    v: FloatArray,
    n: int,
    vt: float,
    tau2: float,
    mumiss: float,
) -> _Added:
    """Refit the model with n added studies of variance vt whose effects have mean ``mumiss``
    and standard deviation sqrt(vt + τ²) exactly. metafor draws standardised normal values;
    every τ² estimator depends on equal-variance studies only through their sum and sum of
    squares, so evenly spaced standardised values give metafor's fit without its random
    numbers."""
    added: FloatArray = np.full(n, float(mumiss))
    if n >= 2:
        z = (np.arange(n, dtype=np.float64) - (n - 1) / 2.0) / math.sqrt(n * (n + 1) / 12.0)
        added = z * math.sqrt(vt + tau2) + mumiss  # z: mean 0, sd 1 (n − 1 denominator)
    try:
        fit = model.fit(np.concatenate([y, added]), np.concatenate([v, np.full(n, vt)]))
    except MetaAnalysisError as exc:
        raise MetaAnalysisError(
            f"fail-safe N (General): the model could not be refitted with {n} added studies ({exc})"
        ) from exc
    return _Added(float(fit.beta[0]), float(fit.tau2), float(fit.coefficients[0].pval))
