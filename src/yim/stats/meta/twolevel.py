"""Two-level meta-analysis: equal-effects and random-effects models and meta-regression.

Reproduces metafor 3.8's ``rma.uni`` for the options that matter in published work:

* ``method``: "EE" (equal effects, tau^2 = 0) or a tau^2 estimator: DL, HE, HS, SJ, ML,
  REML (default), EB, PM (see :mod:`yim.stats.meta._tau2`);
* ``test``: "z" (normal), "t" (t with k - p df, no rescaling), "knha" (Knapp-Hartung: vcov
  scaled by s^2 = sum w e^2 / (k - p), t(k - p) and QM as F) and "knha-truncated" (metafor's
  ``test="adhoc"``: the same with s^2 truncated below at 1; "adhoc" is accepted as an alias);
* Q_E, I^2, H^2 as in :mod:`yim.stats.meta.heterogeneity`; tau^2 CI by Q-profile (default)
  or profile likelihood; the omnibus moderator test QM (chi^2, or F for t-type tests);
  pseudo-R^2 = max(0, (tau^2_0 - tau^2) / tau^2_0) against the intercept-only model fitted
  with the same estimator (for EE fits: the adjusted R^2 of the weighted regression).

Typical use::

    model = RandomEffectsModel(method="REML", test="knha")
    res = model.fit_frame(df, yi="yi", vi="vi", mods="ablat + year")
    print(res.summary())
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from yim.stats._arrays import readonly
from yim.stats.meta._tau2 import ESTIMATORS, Tau2Estimate, estimate_tau2, log_likelihood
from yim.stats.meta._validate import FloatArray, as_vector, first_row, positive_vector
from yim.stats.meta.design import design_matrix
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.heterogeneity import I2_FORMULA_EE, I2_FORMULA_RE, heterogeneity
from yim.stats.meta.results import (
    MethodChoices,
    ModeratorTest,
    VarianceComponent,
    coefficient_table,
)
from yim.stats.meta.twolevel_result import CI_TYPES, TwoLevelResult

TestType = Literal["z", "t", "knha", "knha-truncated", "adhoc"]
TESTS = ("z", "t", "knha", "knha-truncated")
_TEST_ALIASES = {"adhoc": "knha-truncated"}


class RandomEffectsModel:
    """Two-level random-effects (or, with ``method="EE"``, equal-effects) model.

    Parameters
    ----------
    method:
        tau^2 estimator, or "EE" for the equal-effects model.
    test:
        "z", "t", "knha" or "knha-truncated" (alias "adhoc").
    level:
        Confidence level for every interval, as a fraction (0.95).
    tau2:
        Fix tau^2 at this value instead of estimating it (e.g. 0, or for profiling).
    tau2_ci:
        "QP" (Q-profile, metafor's default), "PL" (profile likelihood) or None (no CI).
    tol, max_iter:
        Convergence control of the iterative estimators (ML, REML, EB, PM); see ``_tau2``.
    """

    def __init__(
        self,
        method: str = "REML",
        test: TestType | str = "z",
        *,
        level: float = 0.95,
        tau2: float | None = None,
        tau2_ci: str | None = "QP",
        tol: float = 1e-10,
        max_iter: int = 1000,
    ) -> None:
        method_u = method.upper()
        if method_u not in ESTIMATORS:
            raise MetaAnalysisError(f"method={method!r}; use one of {', '.join(ESTIMATORS)}")
        test_n = _TEST_ALIASES.get(test, test)
        if test_n not in TESTS:
            raise MetaAnalysisError(f"test={test!r}; use one of {', '.join(TESTS)} (or 'adhoc')")
        if not 0 < level < 1:
            raise MetaAnalysisError(f"level={level!r}; use a fraction such as 0.95")
        if tau2 is not None and (not np.isfinite(tau2) or tau2 < 0):
            raise MetaAnalysisError(f"tau2={tau2!r}; a fixed tau^2 must be a finite number >= 0")
        if tau2 is not None and method_u == "EE":
            raise MetaAnalysisError("tau2 cannot be fixed in an equal-effects model (it is 0)")
        if tau2_ci is not None and tau2_ci not in CI_TYPES:
            raise MetaAnalysisError(f"tau2_ci={tau2_ci!r}; use 'QP', 'PL' or None")
        if not (tol > 0 and max_iter >= 1):
            raise MetaAnalysisError("tol must be > 0 and max_iter >= 1")
        self.method = method_u
        self.test = test_n
        self.level = float(level)
        self.tau2 = None if tau2 is None else float(tau2)
        self.tau2_ci = tau2_ci
        self.tol = float(tol)
        self.max_iter = int(max_iter)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(method={self.method!r}, test={self.test!r}, "
            f"level={self.level!r}, tau2={self.tau2!r}, tau2_ci={self.tau2_ci!r})"
        )

    # --- entry points --------------------------------------------------------------------
    def fit_frame(
        self,
        data: pd.DataFrame,
        yi: str = "yi",
        vi: str = "vi",
        mods: str | None = None,
        *,
        intercept: bool = True,
    ) -> TwoLevelResult:
        """Fit on a data frame; ``mods`` is an R-like right-hand side ("ablat + year")."""
        for role, col in (("yi", yi), ("vi", vi)):
            if col not in data.columns:
                raise MetaAnalysisError(f"{role}: column {col!r} is not in the data")
            row = first_row(data[col].isna().to_numpy())
            if row is not None:
                raise MetaAnalysisError(f"{role}: column {col!r} is missing a value in row {row}")
        X, names = design_matrix(data, mods, intercept=intercept)
        return self.fit(
            data[yi].to_numpy(dtype=np.float64), data[vi].to_numpy(dtype=np.float64), X, names
        )

    def fit(
        self,
        yi: ArrayLike,
        vi: ArrayLike,
        X: ArrayLike | None = None,
        names: list[str] | tuple[str, ...] | None = None,
    ) -> TwoLevelResult:
        """Fit on arrays. ``X`` is the full design matrix (intercept column included, as
        ``design_matrix`` returns it); None means intercept only. A column named "intrcpt",
        or with no names a column of ones, is taken as the intercept.
        """
        y = as_vector("yi", yi)
        v = positive_vector("vi", vi, length=y.shape[0], what="variances")
        k = y.shape[0]
        Xm, name_list, has_intercept = _prepare_design(X, names, k)
        p = Xm.shape[1]
        if k < 2:
            raise MetaAnalysisError(f"a meta-analysis needs at least 2 effect sizes (k={k})")
        if k < p:
            raise MetaAnalysisError(f"more coefficients (p={p}) than effect sizes (k={k})")
        if self.test != "z" and k == p:
            raise MetaAnalysisError(f"test={self.test!r} needs k > p (k={k}, p={p})")

        if self.tau2 is not None:
            est = Tau2Estimate(self.tau2, float("nan"), 0)
        else:
            est = estimate_tau2(self.method, y, v, Xm, tol=self.tol, max_iter=self.max_iter)
        return self._assemble(y, v, Xm, name_list, has_intercept, est)

    # --- assembly -------------------------------------------------------------------------
    def _assemble(
        self,
        y: FloatArray,
        v: FloatArray,
        X: FloatArray,
        names: list[str],
        has_intercept: bool,
        est: Tau2Estimate,
    ) -> TwoLevelResult:
        k, p = X.shape
        tau2 = est.tau2
        w = 1.0 / (v + tau2)
        WX = X * w[:, None]
        try:
            vb = np.linalg.inv(X.T @ WX)
        except np.linalg.LinAlgError as exc:
            raise MetaAnalysisError("X'WX is singular: the moderators are collinear") from exc
        beta = vb @ (WX.T @ y)

        s2w = 1.0
        if self.test in ("knha", "knha-truncated"):
            rss = float(np.sum(w * (y - X @ beta) ** 2))
            s2w = rss / (k - p) if rss > np.finfo(float).eps else 0.0
            if self.test == "knha-truncated":
                s2w = max(s2w, 1.0)
            elif s2w == 0.0:
                # metafor returns SE = 0 and NaN tests here; a clear error is more useful
                raise MetaAnalysisError(
                    "test='knha': the model fits every effect size exactly (s² = 0), so the "
                    "Knapp-Hartung standard errors would be 0; use 'knha-truncated' or 't'"
                )
        vb = s2w * vb
        vb = (vb + vb.T) / 2.0
        se = np.sqrt(np.diag(vb))
        df: float | None = None if self.test == "z" else float(k - p)
        stat = beta / se
        if df is None:
            pval = 2.0 * stats.norm.sf(np.abs(stat))
            crit = float(stats.norm.isf((1 - self.level) / 2))
        else:
            pval = 2.0 * stats.t.sf(np.abs(stat), df)
            crit = float(stats.t.isf((1 - self.level) / 2, df))
        coefficients = coefficient_table(names, beta, se, stat, pval, crit, df)

        intercept_only = has_intercept and p == 1
        moderator_test = None
        if not intercept_only:
            btt = list(range(1, p)) if has_intercept else list(range(p))
            moderator_test = _omnibus(beta, vb, btt, df)

        equal_effects = self.method == "EE"
        het = heterogeneity(y, v, X, tau2, equal_effects=equal_effects)
        components: tuple[VarianceComponent, ...] = ()
        result = TwoLevelResult(
            coefficients=coefficients,
            variance_components=components,
            heterogeneity=het,
            moderator_test=moderator_test,
            method=self._choices(),
            k=k,
            p=p,
            tau2=float(tau2),
            se_tau2=float(est.se),
            beta=readonly(beta),
            vcov=readonly(vb),
            s2w=float(s2w),
            df=df,
            level=self.level,
            ll_ml=log_likelihood(y, v, X, tau2, reml=False),
            ll_reml=log_likelihood(y, v, X, tau2, reml=True),
            pseudo_r2=None,
            iterations=est.iterations,
            yi=readonly(y),
            vi=readonly(v),
            X=readonly(X),
            names=tuple(names),
            intercept=has_intercept,
            estimator=self.method,
        )
        if not equal_effects:
            if self.tau2_ci is not None and self.tau2 is None:
                components = (result.tau2_ci(self.tau2_ci),)
            else:
                components = (VarianceComponent("tau2", float(tau2)),)
        pseudo_r2 = None
        if has_intercept and not intercept_only and self.tau2 is None:
            pseudo_r2 = self._pseudo_r2(y, v, X, beta, tau2, w)
        return replace(result, variance_components=components, pseudo_r2=pseudo_r2)

    def _pseudo_r2(
        self,
        y: FloatArray,
        v: FloatArray,
        X: FloatArray,
        beta: FloatArray,
        tau2: float,
        w: FloatArray,
    ) -> float:
        k, p = X.shape
        if self.method == "EE":
            # metafor: adjusted R^2 of lm(yi ~ X, weights = 1/vi)
            ybar = float(np.sum(w * y) / np.sum(w))
            rss = float(np.sum(w * (y - X @ beta) ** 2))
            tss = float(np.sum(w * (y - ybar) ** 2))
            # Constant effects: the total sum of squares is 0 up to rounding (np.var of equal
            # floats need not be exactly 0), and there is nothing to explain.
            if tss <= 1e-12 * float(np.sum(w * y**2)) or tss == 0.0:
                return 0.0
            adj = 1.0 - (rss / tss) * (k - 1) / (k - p)
            return float(max(0.0, 100.0 * adj))
        ones = np.ones((k, 1))
        tau2_0 = estimate_tau2(self.method, y, v, ones, tol=self.tol, max_iter=self.max_iter).tau2
        if tau2_0 == 0.0:
            return 0.0
        return max(0.0, 100.0 * (tau2_0 - tau2) / tau2_0)

    def _choices(self) -> MethodChoices:
        equal = self.method == "EE"
        extra: list[tuple[str, str]] = []
        if not equal:
            if self.tau2 is not None:
                extra.append(("tau² fixed at", f"{self.tau2:g}"))
            elif self.tau2_ci is not None:
                extra.append(("tau² CI", CI_TYPES[self.tau2_ci]))
        if self.test in ("knha", "knha-truncated"):
            extra.append(
                (
                    "Knapp–Hartung",
                    "s² rescaling" + (", truncated at 1" if self.test == "knha-truncated" else ""),
                )
            )
        extra.append(("level", f"{self.level:g}"))
        return MethodChoices(
            model="EE" if equal else "RE",
            estimator=None if equal else self.method,
            test=self.test,
            df_method=None if self.test == "z" else "residual",
            ci_type="wald" if self.test == "z" else "t",
            i2_formula=I2_FORMULA_EE if equal else I2_FORMULA_RE,
            extra=tuple(extra),
        )


class EqualEffectsModel(RandomEffectsModel):
    """Equal-effects ("fixed-effect") model: ``RandomEffectsModel(method="EE")``."""

    def __init__(self, test: TestType | str = "z", *, level: float = 0.95) -> None:
        super().__init__("EE", test, level=level, tau2_ci=None)


def _omnibus(beta: FloatArray, vb: FloatArray, btt: list[int], df: float | None) -> ModeratorTest:
    b = beta[btt]
    V = vb[np.ix_(btt, btt)]
    qm = float(b @ np.linalg.solve(V, b))
    m = len(btt)
    if df is None:
        return ModeratorTest(qm, float(m), None, float(stats.chi2.sf(qm, m)), "chisq")
    f = qm / m
    return ModeratorTest(f, float(m), df, float(stats.f.sf(f, m, df)), "F")


def _prepare_design(
    X: ArrayLike | None, names: list[str] | tuple[str, ...] | None, k: int
) -> tuple[FloatArray, list[str], bool]:
    if X is None:
        if names is not None and list(names) != ["intrcpt"]:
            raise MetaAnalysisError("names were given without a design matrix X")
        return np.ones((k, 1)), ["intrcpt"], True
    Xm = np.asarray(X, dtype=np.float64)
    if Xm.ndim == 1:
        Xm = Xm.reshape(-1, 1)
    if Xm.ndim != 2 or Xm.shape[0] != k:
        raise MetaAnalysisError(f"X has shape {Xm.shape}; expected {k} rows (one per effect size)")
    bad = np.argwhere(~np.isfinite(Xm))
    if bad.size:
        r, c = bad[0]
        raise MetaAnalysisError(f"X: row {r + 1}, column {c + 1} is not a finite number")
    if names is None:
        ones = [j for j in range(Xm.shape[1]) if np.all(Xm[:, j] == 1.0)]
        name_list = [f"X{j + 1}" for j in range(Xm.shape[1])]
        if ones:
            name_list[ones[0]] = "intrcpt"
    else:
        name_list = list(names)
        if len(name_list) != Xm.shape[1]:
            raise MetaAnalysisError(f"{len(name_list)} names for {Xm.shape[1]} columns of X")
    has_intercept = "intrcpt" in name_list
    if has_intercept and name_list.index("intrcpt") != 0:
        j = name_list.index("intrcpt")
        order = [j, *(i for i in range(Xm.shape[1]) if i != j)]
        Xm = Xm[:, order]
        name_list = [name_list[i] for i in order]
    if int(np.linalg.matrix_rank(Xm)) < Xm.shape[1]:
        raise MetaAnalysisError("X is rank deficient: some moderator columns are collinear")
    return Xm, name_list, has_intercept


def fit_frame(
    data: pd.DataFrame,
    yi: str = "yi",
    vi: str = "vi",
    mods: str | None = None,
    *,
    method: str = "REML",
    test: str = "z",
    intercept: bool = True,
    level: float = 0.95,
) -> TwoLevelResult:
    """One-call convenience: ``RandomEffectsModel(method, test, level=level).fit_frame(...)``."""
    model = RandomEffectsModel(method, test, level=level)
    return model.fit_frame(data, yi, vi, mods, intercept=intercept)


__all__ = [
    "TESTS",
    "EqualEffectsModel",
    "RandomEffectsModel",
    "TwoLevelResult",
    "fit_frame",
]
