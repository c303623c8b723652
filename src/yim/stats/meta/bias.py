"""Small-study effects and publication bias: regression and rank tests, trim-and-fill,
PET-PEESE and fail-safe N (metafor 3.8 counterparts).

* :func:`egger_test` — the regression test for funnel-plot asymmetry (Egger et al. 1997).
  ``variant="metafor"`` is metafor's ``regtest(res)`` default: the fitted model refitted with
  the standard error sqrt(v_i) (or another predictor) as an extra moderator, the predictor's
  coefficient tested with the fit's own test (z, t, Knapp–Hartung). ``variant="classical"`` is
  Egger's weighted least-squares version, metafor's ``regtest(res, model="lm")``: WLS with
  weights 1/v_i, a multiplicative residual variance and t(k − p − 1). ``variant="multilevel"``
  (automatic for multilevel fits) refits the multilevel model with sqrt(v_i) as a moderator and
  tests it (the "multilevel Egger test", as studied by Fernández-Castilla et al. 2021); unlike
  a two-level test run on dependent effect sizes it keeps the model's dependence structure.
  metafor has no ``regtest`` for ``rma.mv``; the reference is ``rma.mv(yi, vi, mods = ~
  sqrt(vi), random = ...)`` with the fit's own options.
* :func:`rank_correlation_test` — Begg & Mazumdar (1994), metafor's ``ranktest()``: Kendall's
  tau between the standardised deviates from the equal-effects mean and the variances.
* :func:`trim_and_fill` — Duval & Tweedie (2000), metafor's ``trimfill()`` (L0 or R0).
* :func:`pet_peese` — PET and PEESE meta-regressions with Stanley & Doucouliagos' (2014)
  conditional rule.
* :func:`fail_safe_n` — Rosenthal (1979), Orwin (1983) and Rosenberg (2005), metafor ``fsn()``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from yim.stats.meta._ml_result import MultilevelResult
from yim.stats.meta._validate import FloatArray, as_vector, first_row
from yim.stats.meta.diagnostics import refit_multilevel, refit_twolevel
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.results import Coefficient
from yim.stats.meta.twolevel import RandomEffectsModel
from yim.stats.meta.twolevel_result import TwoLevelResult, readonly

__all__ = [
    "BiasTest",
    "FailSafeN",
    "PetPeeseResult",
    "TrimAndFillResult",
    "egger_test",
    "fail_safe_n",
    "kendall_exact_pvalue",
    "pet_peese",
    "rank_correlation_test",
    "trim_and_fill",
]

Fit = TwoLevelResult | MultilevelResult
PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv")
_LIMIT_PREDICTORS = ("sei", "vi", "ninv", "sqrtninv")  # predictor 0 <=> infinitely precise


@dataclass(frozen=True)
class BiasTest:
    """Result of a test for funnel-plot asymmetry.

    ``statistic`` is z or t (``statistic_label``) for regression tests and Kendall's tau for the
    rank test; ``df`` is None for z and rank tests. ``estimate`` (with ``ci_lb``/``ci_ub``) is
    the "limit estimate" — the model intercept, i.e. the expected effect at predictor 0 (an
    infinitely precise study) — when the fitted model had no moderators, else None.
    ``coefficient`` is the tested predictor's full coefficient row; ``fit`` the refitted model.
    """

    name: str
    statistic: float
    df: float | None
    pval: float
    estimate: float | None
    ci_lb: float | None
    ci_ub: float | None
    method: str
    statistic_label: str = "z"
    predictor: str | None = None
    coefficient: Coefficient | None = None
    k: int | None = None
    notes: tuple[str, ...] = ()
    fit: TwoLevelResult | MultilevelResult | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the refitted model is left out)."""
        d = {
            key: getattr(self, key)
            for key in (
                "name",
                "statistic",
                "df",
                "pval",
                "estimate",
                "ci_lb",
                "ci_ub",
                "method",
                "statistic_label",
                "predictor",
                "k",
            )
        }
        d["coefficient"] = None if self.coefficient is None else self.coefficient.to_dict()
        d["notes"] = list(self.notes)
        return d


# --- shared helpers -------------------------------------------------------------------------
def _data(result: Fit) -> tuple[FloatArray, FloatArray, FloatArray, list[str], bool]:
    """yi, vi, X, coefficient names and "intercept only" of either kind of fit."""
    if isinstance(result, TwoLevelResult):
        return result.yi, result.vi, result.X, list(result.names), result.intercept_only
    if isinstance(result, MultilevelResult):
        st = result._state
        icpt_only = result.p == 1 and st.intercept_index is not None
        return st.yi, st.vi, st.x, list(result.coef_names), icpt_only
    raise MetaAnalysisError(
        f"expected a fitted two-level or multilevel model, got {type(result).__name__}"
    )


def _predictor(name: str, vi: FloatArray, ni: ArrayLike | None, k: int) -> tuple[FloatArray, str]:
    if name not in PREDICTORS:
        raise MetaAnalysisError(f"predictor={name!r}; use one of {', '.join(PREDICTORS)}")
    if name == "sei":
        return np.sqrt(vi), "sei"
    if name == "vi":
        return vi.copy(), "vi"
    if ni is None:
        raise MetaAnalysisError(f"predictor={name!r} needs the sample sizes: pass ni=")
    n = as_vector("ni", ni, length=k)
    row = first_row(n <= 0)
    if row is not None:
        raise MetaAnalysisError(f"ni: row {row} is {n[row - 1]:g}; sample sizes must be > 0")
    col = {"ni": n, "ninv": 1.0 / n, "sqrtni": np.sqrt(n), "sqrtninv": 1.0 / np.sqrt(n)}[name]
    return col, name


def _augment(
    X: FloatArray, names: list[str], column: FloatArray, label: str, what: str
) -> tuple[FloatArray, list[str]]:
    """Append ``column`` to X; a clear error when it is collinear with the model's columns."""
    k, p = X.shape
    if k < p + 2:
        raise MetaAnalysisError(
            f"{what} needs at least {p + 2} effect sizes for a model with {p} coefficient(s) "
            f"plus the {label} predictor (k={k})"
        )
    Xa = np.column_stack([X, column])
    if int(np.linalg.matrix_rank(Xa)) < p + 1:
        hint = (
            "all sampling variances are equal, so the predictor is constant"
            if np.ptp(column) == 0
            else "the predictor is a linear combination of the moderators"
        )
        raise MetaAnalysisError(f"{what}: cannot add {label} as a predictor ({hint})")
    name = label if label not in names else f"{label}_bias"
    return Xa, [*names, name]


# --- Egger-type regression tests ----------------------------------------------------------
def egger_test(
    result: Fit,
    *,
    variant: Literal["metafor", "classical", "multilevel"] | None = None,
    predictor: str = "sei",
    ni: ArrayLike | None = None,
) -> BiasTest:
    """Regression test for funnel-plot asymmetry (see the module docstring for the variants).

    ``variant`` defaults to "metafor" for two-level fits and "multilevel" for multilevel fits.
    ``predictor``: "sei" (standard error, Egger's test; default), "vi" (variance), or with
    ``ni`` the sample-size predictors "ni", "ninv", "sqrtni", "sqrtninv" (as metafor).
    """
    yi, vi, X, names, intercept_only = _data(result)
    k = yi.shape[0]
    is_ml = isinstance(result, MultilevelResult)
    if variant is None:
        variant = "multilevel" if is_ml else "metafor"
    if variant not in ("metafor", "classical", "multilevel"):
        raise MetaAnalysisError(f"variant={variant!r}; use 'metafor', 'classical' or 'multilevel'")
    if is_ml != (variant == "multilevel"):
        raise MetaAnalysisError(
            "variant='multilevel' needs a multilevel fit"
            if not is_ml
            else f"variant={variant!r} needs a two-level fit; a multilevel fit uses "
            "variant='multilevel' (the model refitted with the predictor as a moderator)"
        )
    column, label = _predictor(predictor, vi, ni, k)
    Xa, names_a = _augment(X, names, column, label, "the regression test")
    j = Xa.shape[1] - 1
    with_limit = intercept_only and label in _LIMIT_PREDICTORS
    mods = "" if intercept_only else " (with the model's moderators)"

    if variant == "classical":
        return _classical_egger(yi, vi, Xa, names_a, label, with_limit, result.level, mods)

    fit: TwoLevelResult | MultilevelResult
    if isinstance(result, MultilevelResult):
        fit = refit_multilevel(result, X=Xa, names=names_a)
        model = f"multilevel model ({result.method.model}, {result.method.estimator})"
        name = "Multilevel Egger test"
    else:
        fit = refit_twolevel(result, X=Xa, names=names_a)
        model = (
            "equal-effects model"
            if result.equal_effects
            else f"random-effects model ({result.estimator})"
        )
        name = "Egger regression test"
    coef = fit.coefficients[j]
    test = fit.method.test
    icpt = fit.coefficients[0]
    return BiasTest(
        name=name,
        statistic=coef.statistic,
        df=coef.df,
        pval=coef.pval,
        estimate=icpt.estimate if with_limit else None,
        ci_lb=icpt.ci_lb if with_limit else None,
        ci_ub=icpt.ci_ub if with_limit else None,
        method=f"{model} with {label} as moderator{mods}, {test}-test of its coefficient",
        statistic_label="z" if coef.df is None else "t",
        predictor=label,
        coefficient=coef,
        k=k,
        fit=fit,
    )


def _classical_egger(
    yi: FloatArray,
    vi: FloatArray,
    Xa: FloatArray,
    names: list[str],
    label: str,
    with_limit: bool,
    level: float,
    mods: str,
) -> BiasTest:
    """Weighted least squares (weights 1/v) with an estimated multiplicative dispersion:
    metafor's ``regtest(model="lm")``, i.e. R's ``lm(yi ~ X - 1, weights = 1/vi)``."""
    k, p = Xa.shape
    w = 1.0 / vi
    xtwx_inv = np.linalg.inv(Xa.T @ (Xa * w[:, None]))
    beta = xtwx_inv @ (Xa.T @ (w * yi))
    df = float(k - p)
    sigma2 = float(np.sum(w * (yi - Xa @ beta) ** 2)) / df
    se = np.sqrt(sigma2 * np.diag(xtwx_inv))
    tval = beta / se
    pval = 2.0 * stats.t.sf(np.abs(tval), df)
    crit = float(stats.t.isf((1 - level) / 2, df))
    j = p - 1
    coef = Coefficient(
        name=names[j],
        estimate=float(beta[j]),
        se=float(se[j]),
        statistic=float(tval[j]),
        df=df,
        pval=float(pval[j]),
        ci_lb=float(beta[j] - crit * se[j]),
        ci_ub=float(beta[j] + crit * se[j]),
    )
    return BiasTest(
        name="Egger regression test (classical)",
        statistic=coef.statistic,
        df=df,
        pval=coef.pval,
        estimate=float(beta[0]) if with_limit else None,
        ci_lb=float(beta[0] - crit * se[0]) if with_limit else None,
        ci_ub=float(beta[0] + crit * se[0]) if with_limit else None,
        method=(
            f"weighted least squares (weights 1/vi, multiplicative dispersion) with {label} "
            f"as predictor{mods}, t-test of its coefficient"
        ),
        statistic_label="t",
        predictor=label,
        coefficient=coef,
        k=k,
    )


# --- rank correlation test ------------------------------------------------------------------
def rank_correlation_test(result: Fit) -> BiasTest:
    """Begg & Mazumdar's rank correlation test, as metafor's ``ranktest()``.

    Deviates y*_i = (y_i − θ̂) / sqrt(v_i − 1/Σw) from the equal-effects mean θ̂ (weights
    w = 1/v, whatever the fitted model) are correlated with v_i by Kendall's tau (tau-b).
    Without ties the two-sided p-value is exact (as R's ``cor.test(exact=TRUE)``, for any k);
    with ties R cannot give an exact p-value and uses the normal approximation with the
    tie-corrected variance of Kendall's S (no continuity correction), and so does this function
    (``notes`` says which was used). Moderators of the fitted model are ignored (as metafor).
    """
    yi, vi, _, _, _ = _data(result)
    k = yi.shape[0]
    if k < 3:
        raise MetaAnalysisError(f"the rank correlation test needs at least 3 effect sizes (k={k})")
    if np.ptp(vi) == 0:
        raise MetaAnalysisError(
            "the rank correlation test needs sampling variances that differ: all vi are equal, "
            "so Kendall's tau with the variances is undefined"
        )
    w = 1.0 / vi
    theta = float(np.sum(w * yi) / np.sum(w))
    ystar = (yi - theta) / np.sqrt(vi - 1.0 / np.sum(w))
    if np.ptp(ystar) == 0:
        raise MetaAnalysisError(
            "the rank correlation test is undefined: all standardised deviates are equal"
        )
    tau = float(stats.kendalltau(ystar, vi).statistic)  # tau-b, as R's cor(method="kendall")
    ties = len(np.unique(ystar)) < k or len(np.unique(vi)) < k
    if not ties:
        pval = kendall_exact_pvalue(tau, k)
        note = "exact p-value (no ties)"
    else:
        pval = _kendall_normal_pvalue(tau, ystar, vi)
        note = "ties present: normal approximation (exact p-value not available, as in R)"
    notes = [note]
    if isinstance(result, MultilevelResult):
        notes.append("treats the effect sizes as independent (the multilevel structure is ignored)")
    return BiasTest(
        name="Rank correlation test",
        statistic=tau,
        df=None,
        pval=pval,
        estimate=None,
        ci_lb=None,
        ci_ub=None,
        method="Begg & Mazumdar: Kendall's tau between standardised deviates and variances",
        statistic_label="tau",
        predictor="vi",
        k=k,
        notes=tuple(notes),
    )


def kendall_exact_pvalue(tau: float, n: int) -> float:
    """Two-sided exact p-value of Kendall's tau without ties (R's ``cor.test`` rule).

    Under independence the number of concordant pairs T is distributed as the number of
    inversions of a random permutation; its distribution is built by the recursion
    P_m(t) = (1/m) Σ_{i=0}^{m−1} P_{m−1}(t − i), kept as probabilities (no overflow for any n).
    p = 2 min(P(T ≤ q), P(T ≥ q)) capped at 1, with q = round((tau + 1) n (n − 1) / 4); by
    symmetry only lower-tail sums are taken, which keeps small p-values accurate.
    """
    total = n * (n - 1) // 2
    q = round((tau + 1.0) * n * (n - 1) / 4.0)
    tail = total - q if q > n * (n - 1) / 4.0 else q
    dist = np.ones(1)
    for m in range(2, n + 1):
        c = np.concatenate(([0.0], np.cumsum(dist)))
        size = dist.size + m - 1
        upper = np.minimum(np.arange(size) + 1, dist.size)
        lower = np.maximum(np.arange(size) - m + 1, 0)
        dist = (c[upper] - c[lower]) / m
        if dist.size > tail + 1:
            dist = dist[
                : tail + 1
            ]  # only the lower tail is needed, and it depends on nothing above
    return float(min(1.0, 2.0 * float(np.sum(dist[: tail + 1]))))


def _kendall_normal_pvalue(tau: float, x: FloatArray, y: FloatArray) -> float:
    """R's cor.test(method="kendall") normal approximation with tie corrections."""
    n = x.shape[0]

    def tie_sizes(a: FloatArray) -> FloatArray:
        _, counts = np.unique(a, return_counts=True)
        return counts[counts > 1].astype(np.float64)

    tx, ty = tie_sizes(x), tie_sizes(y)
    t0 = n * (n - 1) / 2.0
    t1 = float(np.sum(tx * (tx - 1))) / 2.0
    t2 = float(np.sum(ty * (ty - 1))) / 2.0
    s = tau * np.sqrt((t0 - t1) * (t0 - t2))
    v0 = n * (n - 1) * (2 * n + 5)
    vt = float(np.sum(tx * (tx - 1) * (2 * tx + 5)))
    vu = float(np.sum(ty * (ty - 1) * (2 * ty + 5)))
    v1 = float(np.sum(tx * (tx - 1))) * float(np.sum(ty * (ty - 1)))
    v2 = float(np.sum(tx * (tx - 1) * (tx - 2))) * float(np.sum(ty * (ty - 1) * (ty - 2)))
    var_s = (v0 - vt - vu) / 18.0 + v1 / (2.0 * n * (n - 1)) + v2 / (9.0 * n * (n - 1) * (n - 2))
    z = s / np.sqrt(var_s)
    return float(2.0 * stats.norm.sf(abs(z)))


# --- trim and fill ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TrimAndFillResult:
    """Duval & Tweedie's trim-and-fill: the estimated number of missing studies and the model
    refitted on the observed plus the filled (mirrored) effect sizes.

    ``yi``/``vi`` hold the observed effect sizes (original order) followed by the filled ones;
    ``filled`` marks the latter. ``result`` is the refitted model (the original fit when
    k0 = 0, as metafor). ``se_k0`` is metafor's standard error of k0; ``p_k0`` the R0 test of
    k0 = 0 (None for L0).
    """

    k0: int
    side: str
    estimator: str
    se_k0: float
    p_k0: float | None
    yi: FloatArray
    vi: FloatArray
    filled: np.ndarray[Any, np.dtype[np.bool_]]
    result: TwoLevelResult
    original: TwoLevelResult = field(repr=False)
    side_chosen: bool = True  # True when the side was chosen from the data (metafor's rule)
    iterations: int = 0

    @property
    def estimate(self) -> Coefficient:
        """The adjusted pooled estimate (intercept of the refitted model)."""
        return self.result.coefficients[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "k0": self.k0,
            "side": self.side,
            "side_chosen": self.side_chosen,
            "estimator": self.estimator,
            "se_k0": self.se_k0,
            "p_k0": self.p_k0,
            "k_observed": self.original.k,
            "yi": self.yi.tolist(),
            "vi": self.vi.tolist(),
            "filled": self.filled.tolist(),
            "estimate": self.estimate.to_dict(),
            "original_estimate": self.original.coefficients[0].to_dict(),
            "tau2": self.result.tau2,
            "heterogeneity": self.result.heterogeneity.to_dict(),
            "method": self.result.method.to_dict(),
        }


def trim_and_fill(
    result: TwoLevelResult,
    *,
    estimator: Literal["L0", "R0"] = "L0",
    side: Literal["left", "right"] | None = None,
    test: str = "z",
    max_iter: int = 100,
) -> TrimAndFillResult:
    """metafor's ``trimfill()`` for an intercept-only two-level fit.

    side: where studies are missing. None (default) chooses as metafor: fit the model with
        sqrt(vi) as a moderator (same estimator) and impute on the left when its slope is
        ≥ 0 (small studies show larger effects), on the right when it is negative.
    estimator: "L0" (default) or "R0" for the number of missing studies k0.
    test: test of the refitted model. metafor refits the filled data with its default z-test
        whatever the original fit used, so "z" reproduces metafor; pass
        ``result.method.test`` to keep the original test (e.g. "knha").
    """
    if isinstance(result, MultilevelResult):
        raise MetaAnalysisError(
            "trim-and-fill is defined for two-level models only (metafor has no trimfill for "
            "rma.mv): it assumes independent effect sizes. Use egger_test() on the multilevel "
            "fit (multilevel Egger test), or trim-and-fill on study-level aggregates"
        )
    if not isinstance(result, TwoLevelResult):
        raise MetaAnalysisError(f"expected a TwoLevelResult, got {type(result).__name__}")
    if not result.intercept_only:
        raise MetaAnalysisError(
            "trim-and-fill applies to models without moderators (as metafor's trimfill)"
        )
    if estimator not in ("L0", "R0"):
        raise MetaAnalysisError(f"estimator={estimator!r}; use 'L0' or 'R0'")
    if side not in (None, "left", "right"):
        raise MetaAnalysisError(f"side={side!r}; use 'left', 'right' or None (choose from data)")
    k = result.k
    if k < 3:
        raise MetaAnalysisError(f"trim-and-fill needs at least 3 effect sizes (k={k})")
    yi, vi = result.yi, result.vi
    base = RandomEffectsModel(result.estimator, "z", tau2_ci=None)

    chosen = side is None
    if side is None:
        if np.ptp(vi) == 0:
            raise MetaAnalysisError(
                "trim-and-fill cannot choose the side: all sampling variances are equal, so "
                "the funnel has no slope; pass side='left' or side='right'"
            )
        slope = base.fit(yi, vi, np.column_stack([np.ones(k), np.sqrt(vi)])).beta[1]
        side = "right" if slope < 0 else "left"

    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * yi, kind="stable")
    y = sign * yi[order]
    v = vi[order]
    k0, k0_prev, iterations = 0, -1, 0
    se_k0 = float("nan")
    beta = float("nan")
    centred = y
    while k0 != k0_prev:
        k0_prev = k0
        iterations += 1
        if iterations > max_iter:
            raise MetaAnalysisError(f"trim-and-fill did not converge in {max_iter} iterations")
        if k - k0 < 2:
            raise MetaAnalysisError(
                f"trim-and-fill would trim {k0} of {k} effect sizes, leaving fewer than 2"
            )
        beta = float(base.fit(y[: k - k0], v[: k - k0]).beta[0])
        centred = y - beta
        # signed ranks of |y - beta|, ties ranked in order of appearance (R ties="first")
        ranks = np.empty(k)
        ranks[np.argsort(np.abs(centred), kind="stable")] = np.arange(1, k + 1)
        signed = np.sign(centred) * ranks
        if estimator == "R0":
            neg = -signed[signed < 0]
            k0_raw = float(k - (neg.max() if neg.size else 0.0) - 1)
            se_k0 = float(np.sqrt(2.0 * max(0.0, k0_raw) + 2.0))
        else:
            sr = float(np.sum(signed[signed > 0]))
            k0_raw = (4.0 * sr - k * (k + 1)) / (2.0 * k - 1)
            var_sr = (
                k * (k + 1) * (2 * k + 1)
                + 10 * k0_raw**3
                + 27 * k0_raw**2
                + 17 * k0_raw
                - 18 * k * k0_raw**2
                - 18 * k * k0_raw
                + 6 * k**2 * k0_raw
            ) / 24.0
            se_k0 = float(4.0 * np.sqrt(var_sr) / (2 * k - 1)) if var_sr > 0 else 0.0
        k0 = max(0, int(np.round(k0_raw)))  # numpy rounds half to even, as R's round()
        se_k0 = max(0.0, se_k0)

    p_k0 = None
    if estimator == "R0":
        m = np.arange(-1, k0)
        # metafor: 1 - sum(choose(m + 1, m + 1) * 0.5^(m + 2)) = 0.5^(k0 + 1)
        p_k0 = float(1.0 - np.sum(0.5 ** (m + 2)))

    if k0 > 0:
        # mirror the k0 most extreme effects about the last beta (on the original scale)
        fill = sign * (2.0 * beta - y[k - k0 :])
        yi_all = np.concatenate([yi, fill])
        vi_all = np.concatenate([vi, v[k - k0 :]])
        filled = np.concatenate([np.zeros(k, bool), np.ones(k0, bool)])
        # metafor refits with the estimator only (a fixed tau^2 is not carried over)
        refit = RandomEffectsModel(result.estimator, test, level=result.level).fit(yi_all, vi_all)
    else:
        yi_all, vi_all, filled = yi, vi, np.zeros(k, bool)
        refit = result
    filled.setflags(write=False)
    return TrimAndFillResult(
        k0=k0,
        side=side,
        estimator=estimator,
        se_k0=se_k0,
        p_k0=p_k0,
        yi=readonly(yi_all),
        vi=readonly(vi_all),
        filled=filled,
        result=refit,
        original=result,
        side_chosen=chosen,
        iterations=iterations,
    )


# --- PET-PEESE ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PetPeeseResult:
    """PET (sei as moderator) and PEESE (vi as moderator) meta-regressions and the conditional
    choice between their intercepts (Stanley & Doucouliagos 2014).

    Rule implemented: PET's intercept is tested one-sided at ``alpha`` (default .05) in the
    expected direction of the effect (``direction``: by default the sign of the unadjusted
    pooled estimate). If that test rejects (there is a genuine effect beyond selection), the
    PEESE intercept is the bias-corrected estimate, otherwise the PET intercept. Reference:
    Stanley, T. D., & Doucouliagos, H. (2014). Meta-regression approximations to reduce
    publication selection bias. Research Synthesis Methods, 5(1), 60–78. doi:10.1002/jrsm.1095
    """

    pet: BiasTest
    peese: BiasTest
    pet_intercept: Coefficient
    peese_intercept: Coefficient
    pet_one_sided_p: float
    direction: str
    alpha: float
    chosen: str  # "PET" or "PEESE"
    rule: str

    @property
    def estimate(self) -> Coefficient:
        """The intercept of the chosen model (the bias-corrected effect)."""
        return self.peese_intercept if self.chosen == "PEESE" else self.pet_intercept

    def to_dict(self) -> dict[str, Any]:
        return {
            "pet": self.pet.to_dict(),
            "peese": self.peese.to_dict(),
            "pet_intercept": self.pet_intercept.to_dict(),
            "peese_intercept": self.peese_intercept.to_dict(),
            "pet_one_sided_p": self.pet_one_sided_p,
            "direction": self.direction,
            "alpha": self.alpha,
            "chosen": self.chosen,
            "estimate": self.estimate.to_dict(),
            "rule": self.rule,
        }


def pet_peese(
    result: Fit,
    *,
    alpha: float = 0.05,
    direction: Literal["positive", "negative"] | None = None,
) -> PetPeeseResult:
    """PET-PEESE for an intercept-only fit, refitted with the fit's own model type (two-level:
    same estimator and test; multilevel: same random effects, estimator and test)."""
    _, _, _, _, intercept_only = _data(result)
    if not intercept_only:
        raise MetaAnalysisError(
            "PET-PEESE needs a model without moderators (its intercept is the corrected effect)"
        )
    if not 0 < alpha < 1:
        raise MetaAnalysisError(f"alpha={alpha!r}; use a fraction such as 0.05")
    if direction not in (None, "positive", "negative"):
        raise MetaAnalysisError(f"direction={direction!r}; use 'positive', 'negative' or None")
    variant: Literal["metafor", "multilevel"] = (
        "multilevel" if isinstance(result, MultilevelResult) else "metafor"
    )
    pet = egger_test(result, variant=variant, predictor="sei")
    peese = egger_test(result, variant=variant, predictor="vi")
    assert pet.fit is not None and peese.fit is not None
    pet_b0 = pet.fit.coefficients[0]
    peese_b0 = peese.fit.coefficients[0]
    if direction is None:
        direction = "positive" if result.coefficients[0].estimate >= 0 else "negative"
    sign = 1.0 if direction == "positive" else -1.0
    stat = sign * pet_b0.statistic
    dist = stats.norm() if pet_b0.df is None else stats.t(pet_b0.df)
    p_one = float(dist.sf(stat))
    chosen = "PEESE" if p_one < alpha else "PET"
    rule = (
        f"PET intercept tested one-sided (H1: effect {'>' if sign > 0 else '<'} 0) at "
        f"alpha = {alpha:g}: p = {p_one:.4g}; {'rejected' if chosen == 'PEESE' else 'not rejected'}"
        f", so the {chosen} intercept is used (Stanley & Doucouliagos 2014)"
    )
    return PetPeeseResult(
        pet=pet,
        peese=peese,
        pet_intercept=pet_b0,
        peese_intercept=peese_b0,
        pet_one_sided_p=p_one,
        direction=direction,
        alpha=alpha,
        chosen=chosen,
        rule=rule,
    )


# --- fail-safe N -----------------------------------------------------------------------------
@dataclass(frozen=True)
class FailSafeN:
    """Fail-safe N: how many unpublished null studies would overturn the conclusion.

    ``fsnum`` is an int, or ``inf`` (Orwin with target 0). ``pval`` is the combined p-value of
    the observed studies (Rosenthal: one-sided Stouffer; Rosenberg: two-sided z of the
    equal-effects mean), None for Orwin. ``mean_effect`` is the (weighted) mean for Orwin and
    Rosenberg; ``target`` Orwin's target effect.
    """

    type: str
    fsnum: float
    alpha: float
    pval: float | None
    mean_effect: float | None
    target: float | None
    k: int
    method: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fail_safe_n(
    yi: ArrayLike,
    vi: ArrayLike | None,
    *,
    type: Literal["Rosenthal", "Orwin", "Rosenberg"] = "Rosenthal",
    target: float | None = None,
    alpha: float = 0.05,
    weighted: bool = False,
) -> FailSafeN:
    """metafor ``fsn()`` (Rosenthal with Stouffer's method, Orwin, Rosenberg).

    * Rosenthal: z_i = y_i/sqrt(v_i), Z = |Σz_i|/sqrt(k), N = max(0, k (Z/z_α)² − k), z_α the
      one-sided normal quantile.
    * Orwin: N = max(0, k (ȳ − target)/target), ȳ the plain (or with ``weighted`` the 1/v
      weighted) mean, target ȳ/2 by default, taken with the sign of ȳ; ``vi`` may be None
      when unweighted.
    * Rosenberg: N = max(0, k [(Σw y / z_{α/2})² − Σw] / Σw), w = 1/v.

    Non-integer N is rounded up (as metafor).
    """
    if type not in ("Rosenthal", "Orwin", "Rosenberg"):
        raise MetaAnalysisError(f"type={type!r}; use 'Rosenthal', 'Orwin' or 'Rosenberg'")
    if not 0 < alpha < 1:
        raise MetaAnalysisError(f"alpha={alpha!r}; use a fraction such as 0.05")
    y = as_vector("yi", yi)
    k = y.shape[0]
    if k < 1:
        raise MetaAnalysisError("fail-safe N needs at least one effect size")
    needs_v = type != "Orwin" or weighted
    v = np.zeros(k)
    if needs_v:
        if vi is None:
            raise MetaAnalysisError(f"fail-safe N ({type}) needs the sampling variances vi")
        v = as_vector("vi", vi, length=k)
        row = first_row(v <= 0)
        if row is not None:
            raise MetaAnalysisError(f"vi: row {row} is {v[row - 1]:g}; variances must be > 0")
    pval: float | None = None
    mean: float | None = None
    tgt: float | None = None
    if type == "Rosenthal":
        z_avg = abs(float(np.sum(y / np.sqrt(v))) / np.sqrt(k))
        pval = float(stats.norm.sf(z_avg))
        fsnum = max(0.0, k * (z_avg / float(stats.norm.isf(alpha))) ** 2 - k)
        method = "Rosenthal (Stouffer's combined z, one-sided alpha)"
    elif type == "Orwin":
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
    if np.isfinite(fsnum) and abs(fsnum - round(fsnum)) >= np.sqrt(np.finfo(float).eps):
        fsnum = float(np.ceil(fsnum))
    elif np.isfinite(fsnum):
        fsnum = float(round(fsnum))
    return FailSafeN(
        type=type,
        fsnum=fsnum,
        alpha=alpha,
        pval=pval,
        mean_effect=mean,
        target=tgt,
        k=k,
        method=method,
    )
