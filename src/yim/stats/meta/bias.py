"""Small-study effects and publication bias: regression and rank tests and PET-PEESE
(metafor 3.8 counterparts). Trim-and-fill lives in :mod:`.trimfill` and fail-safe N in
:mod:`.failsafe`; both are re-exported here, so ``from yim.stats.meta.bias import
trim_and_fill, fail_safe_n`` keeps working.

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
* :func:`trim_and_fill` — Duval & Tweedie (2000), metafor's ``trimfill()`` (L0, R0, Q0).
* :func:`pet_peese` — PET and PEESE meta-regressions with Stanley & Doucouliagos' (2014)
  conditional rule.
* :func:`fail_safe_n` — Rosenthal (1979), Fisher, Orwin (1983), Rosenberg (2005) and
  metafor's General approach, metafor ``fsn()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from yim.stats.meta._validate import FloatArray, positive_vector
from yim.stats.meta.diagnostics import refit_multilevel, refit_twolevel
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.failsafe import FailSafeN, fail_safe_n
from yim.stats.meta.multilevel_result import MultilevelResult
from yim.stats.meta.results import Coefficient, coefficient_table
from yim.stats.meta.trimfill import TrimAndFillResult, trim_and_fill
from yim.stats.meta.twolevel_result import TwoLevelResult

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
    n = positive_vector("ni", ni, length=k, what="sample sizes")
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
    coef = coefficient_table(names, beta, se, tval, pval, crit, df)[p - 1]
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

KENDALL_EXACT_MAX_K = 500
"""Largest k for which the rank correlation test computes the exact p-value (no ties)."""


def rank_correlation_test(result: Fit) -> BiasTest:
    """Begg & Mazumdar's rank correlation test, as metafor's ``ranktest()``.

    Deviates y*_i = (y_i − θ̂) / sqrt(v_i − 1/Σw) from the equal-effects mean θ̂ (weights
    w = 1/v, whatever the fitted model) are correlated with v_i by Kendall's tau (tau-b).
    Without ties the two-sided p-value is exact (as R's ``cor.test(exact=TRUE)``) up to
    k = :data:`KENDALL_EXACT_MAX_K`, beyond which its cost is prohibitive (seconds at k = 1,000,
    minutes at 2,000) and the normal approximation, by then accurate, is used and noted;
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
    if not ties and k <= KENDALL_EXACT_MAX_K:
        pval = kendall_exact_pvalue(tau, k)
        note = "exact p-value (no ties)"
    elif not ties:
        pval = _kendall_normal_pvalue(tau, ystar, vi)
        note = (
            f"normal approximation: the exact p-value is not computed for k > "
            f"{KENDALL_EXACT_MAX_K} (its cost grows with k³; the two agree closely there)"
        )
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
