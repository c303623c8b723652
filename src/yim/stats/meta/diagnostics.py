"""Outlier and influence diagnostics for fitted meta-analyses (metafor 3.8 counterparts).

* :func:`leave_one_out` — metafor ``leave1out()`` for intercept-only two-level fits: the pooled
  estimate, its test and CI, Q, tau^2, I^2 and H^2 with each effect size left out in turn.
* :func:`influence` — metafor ``influence()`` for two-level fits (with or without moderators):
  externally studentised residuals, DFFITS, Cook's distance, covariance ratio, the leave-one-out
  tau^2 and Q_E, hat values, weights, DFBETAS and metafor's "influential" flag (Viechtbauer &
  Cheung 2010, Research Synthesis Methods 1:112-125).
* :func:`cooks_distance` — metafor ``cooks.distance()`` for multilevel (``rma.mv``) fits, per
  effect size or per cluster (e.g. per study) with ``cluster=``; two-level fits are accepted too.
  For multilevel fits it is the Cook's distance column of
  :func:`yim.stats.meta.ml_influence.multilevel_influence` (which adds DFBETAS and hat values).

Every deletion statistic refits the model without the row(s) concerned, with the same
estimator, test, level and (if it was fixed) tau^2, as metafor does. A refit that fails (e.g.
the remaining moderator columns are collinear) gives NaN in that row, where metafor gives NA.

The refit helpers :func:`refit_twolevel` and :func:`refit_multilevel` are shared with
:mod:`yim.stats.meta.bias` (the regression tests refit the model with an added predictor).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from yim.stats.meta._validate import FloatArray, cluster_codes
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.ml_influence import multilevel_influence
from yim.stats.meta.multilevel import MultilevelModel
from yim.stats.meta.multilevel_result import MultilevelResult
from yim.stats.meta.twolevel import RandomEffectsModel
from yim.stats.meta.twolevel_result import TwoLevelResult

BoolArray = NDArray[np.bool_]

__all__ = [
    "cooks_distance",
    "influence",
    "leave_one_out",
    "refit_multilevel",
    "refit_twolevel",
]

_FIXED_TAU2 = "tau² fixed at"


# --- refitting ----------------------------------------------------------------------------
def twolevel_model_like(
    result: TwoLevelResult, *, test: str | None = None, level: float | None = None
) -> RandomEffectsModel:
    """A model with the options of ``result`` (estimator, test, level, fixed tau^2), without the
    tau^2 CI (refits never report it). ``test``/``level`` override the fit's own."""
    fixed = result.tau2 if _FIXED_TAU2 in dict(result.method.extra) else None
    return RandomEffectsModel(
        result.estimator,
        result.method.test if test is None else test,
        level=result.level if level is None else level,
        tau2=fixed,
        tau2_ci=None,
    )


def refit_twolevel(
    result: TwoLevelResult,
    *,
    keep: BoolArray | None = None,
    X: FloatArray | None = None,
    names: Sequence[str] | None = None,
    test: str | None = None,
) -> TwoLevelResult:
    """Refit ``result``'s model on the rows in ``keep`` and/or with another design ``X``."""
    Xm = result.X if X is None else X
    nm = list(result.names if names is None else names)
    y, v = result.yi, result.vi
    if keep is not None:
        y, v, Xm = y[keep], v[keep], Xm[keep]
    return twolevel_model_like(result, test=test).fit(y, v, Xm, nm)


def multilevel_groups(result: MultilevelResult) -> dict[str, NDArray[np.intp]]:
    """The random-effects grouping of a multilevel fit, in reporting order, as integer codes per
    row. Codes are the fit's own node ids (unique across the whole tree), so the grouping can be
    refitted with ``nesting="declared"`` whatever nesting form the original fit used."""
    st = result._state
    tree = st.engine.tree
    groups: dict[str, NDArray[np.intp]] = {}
    for rep, vc in enumerate(result.variance_components):
        t = st.tree_order.index(rep)
        codes = np.empty(result.k, dtype=np.intp)
        codes[tree.order] = tree.node_of_row[t]
        groups[vc.name] = codes
    return groups


def refit_multilevel(
    result: MultilevelResult,
    *,
    keep: BoolArray | None = None,
    X: FloatArray | None = None,
    names: Sequence[str] | None = None,
) -> MultilevelResult:
    """Refit a multilevel model (same grouping, estimator, test, df method and level) on the rows
    in ``keep`` and/or with another design ``X``, starting from its σ². Profile CIs and LRTs
    are skipped. Fixed variance components of the original fit are not carried over (the
    result does not record them)."""
    st = result._state
    Xm = st.x if X is None else X
    nm = list(result.coef_names if names is None else names)
    y, v = st.yi, st.vi
    groups: dict[str, ArrayLike] = dict(multilevel_groups(result))
    if keep is not None:
        y, v, Xm = y[keep], v[keep], Xm[keep]
        groups = {name: np.asarray(codes)[keep] for name, codes in groups.items()}
    m = result.method
    model = MultilevelModel(
        "ML" if m.estimator == "ML" else "REML",
        test="t" if m.test == "t" else "z",
        dfs="contain" if m.df_method == "contain" else "residual",
        level=result.level,
        profile_cis=False,
        lrt=False,
    )
    return model.fit(y, v, groups, Xm, nm, nesting="declared", start=result.sigma2.tolist())


# --- leave-one-out -------------------------------------------------------------------------
def leave_one_out(result: TwoLevelResult, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """metafor ``leave1out()``: one row per omitted effect size.

    Columns: estimate, se, zval (or tval for t-type tests), pval, ci.lb, ci.ub, Q, Qp, tau2
    (absent for equal-effects fits, as in metafor), I2, H2. The index is ``labels`` or the
    1-based row number. Only for models without moderators (as metafor): with moderators the
    "pooled estimate" has no single meaning; use :func:`influence` instead.
    """
    if not isinstance(result, TwoLevelResult):
        raise MetaAnalysisError(
            "leave_one_out() needs a two-level fit (RandomEffectsModel / EqualEffectsModel); "
            "for multilevel fits use cooks_distance(result, cluster=...)"
        )
    if not result.intercept_only:
        raise MetaAnalysisError(
            "leave_one_out() applies to models without moderators (as metafor's leave1out); "
            "use influence() for a meta-regression"
        )
    k = result.k
    if k < 3:
        raise MetaAnalysisError(f"leave_one_out() needs at least 3 effect sizes (k={k})")
    index = _index(labels, k)
    cols = ["estimate", "se", "stat", "pval", "ci.lb", "ci.ub", "Q", "Qp", "tau2", "I2", "H2"]
    out = np.full((k, len(cols)), np.nan)
    for i in range(k):
        keep = np.arange(k) != i
        try:
            fit = refit_twolevel(result, keep=keep)
        except MetaAnalysisError:
            continue  # metafor leaves NA in this row
        c = fit.coefficients[0]
        h = fit.heterogeneity
        out[i] = [
            c.estimate,
            c.se,
            c.statistic,
            c.pval,
            c.ci_lb,
            c.ci_ub,
            h.QE,
            h.QE_pval,
            fit.tau2,
            h.I2,
            h.H2,
        ]
    frame = pd.DataFrame(out, columns=cols, index=index)
    frame = frame.rename(columns={"stat": "zval" if result.df is None else "tval"})
    if result.equal_effects:
        frame = frame.drop(columns="tau2")
    return frame


# --- influence -------------------------------------------------------------------------------
def influence(result: TwoLevelResult, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """metafor ``influence()`` for a two-level fit (case-deletion diagnostics).

    Columns (metafor's names): rstudent, dffits, cook.d, cov.r, tau2.del, QE.del, hat, weight,
    then DFBETAS per coefficient (``dfbs.<name>``) and ``inf`` (True where metafor prints "*").
    For deletion i (refit without row i, same options):

    * rstudent = (y_i − x_i b₍₋ᵢ₎) / sqrt(s²₍₋ᵢ₎ (v_i + tau²₍₋ᵢ₎) + x_i V(b₍₋ᵢ₎) x_iᵀ)
    * dffits   = (x_i b − x_i b₍₋ᵢ₎) / sqrt(s²₍₋ᵢ₎ h_i (tau²₍₋ᵢ₎ + v_i))
    * cook.d   = (b − b₍₋ᵢ₎)ᵀ V(b)⁻¹ (b − b₍₋ᵢ₎)
    * cov.r    = det V(b₍₋ᵢ₎) / det V(b)
    * dfbs     = (b − b₍₋ᵢ₎) / sqrt(s²₍₋ᵢ₎ diag[(Xᵀ W₍₋ᵢ₎ X)⁻¹]), W₍₋ᵢ₎ = 1/(v + tau²₍₋ᵢ₎)

    s² is the Knapp–Hartung factor (1 without it), h_i the hat value with weights 1/(v + tau²)
    and weight = 100 w_i / Σw. A row is flagged influential when |dffits| > 3 sqrt(p/(k−p)),
    or P(χ²_p ≤ cook.d) > .5, or hat > 3p/k, or any |dfbs| > 1 (metafor's rule).
    """
    if not isinstance(result, TwoLevelResult):
        raise MetaAnalysisError(
            "influence() needs a two-level fit; for multilevel fits use cooks_distance()"
        )
    k, p = result.k, result.p
    if k - 1 < p or k < 3:
        raise MetaAnalysisError(
            f"influence() needs at least 3 effect sizes and more than p = {p} (k={k})"
        )
    index = _index(labels, k)
    X, y, v = result.X, result.yi, result.vi
    beta, vb = result.beta, result.vcov
    w = 1.0 / (v + result.tau2)
    hat = _hat_values(X, w)
    weight = 100.0 * w / np.sum(w)
    svb = np.linalg.inv(vb)
    det_full = float(np.linalg.det(vb))
    pred_full = X @ beta

    tau2_del = np.full(k, np.nan)
    qe_del = np.full(k, np.nan)
    delpred = np.full(k, np.nan)
    vdelpred = np.full(k, np.nan)
    s2w_del = np.full(k, np.nan)
    dffits = np.full(k, np.nan)
    cook = np.full(k, np.nan)
    cov_r = np.full(k, np.nan)
    dfbs = np.full((k, p), np.nan)
    for i in range(k):
        keep = np.arange(k) != i
        try:
            fit = refit_twolevel(result, keep=keep)
        except MetaAnalysisError:
            continue
        xi = X[i]
        tau2_del[i] = fit.tau2
        qe_del[i] = fit.heterogeneity.QE
        delpred[i] = float(xi @ fit.beta)
        vdelpred[i] = float(xi @ fit.vcov @ xi)
        s2w_del[i] = fit.s2w
        dffits[i] = (pred_full[i] - delpred[i]) / np.sqrt(fit.s2w * hat[i] * (fit.tau2 + v[i]))
        w_del = 1.0 / (v + fit.tau2)
        vb_del = np.linalg.inv(X.T @ (X * w_del[:, None]))
        dfb = beta - fit.beta
        dfbs[i] = dfb / np.sqrt(fit.s2w * np.diag(vb_del))
        cook[i] = float(dfb @ svb @ dfb)
        cov_r[i] = float(np.linalg.det(fit.vcov)) / det_full

    resid = y - delpred
    resid[np.abs(resid) < 100 * np.finfo(float).eps] = 0.0
    seresid = np.sqrt(v * s2w_del + vdelpred + tau2_del * s2w_del)
    rstudent = resid / seresid

    with np.errstate(invalid="ignore"):
        flagged = (
            (np.abs(dffits) > 3.0 * np.sqrt(p / (k - p)))
            | (stats.chi2.cdf(cook, p) > 0.5)
            | (hat > 3.0 * p / k)
            | np.any(np.abs(dfbs) > 1.0, axis=1)
        )
    data: dict[str, ArrayLike] = {
        "rstudent": rstudent,
        "dffits": dffits,
        "cook.d": cook,
        "cov.r": cov_r,
        "tau2.del": tau2_del,
        "QE.del": qe_del,
        "hat": hat,
        "weight": weight,
    }
    for j, name in enumerate(result.names):
        data[f"dfbs.{name}"] = dfbs[:, j]
    data["inf"] = flagged
    return pd.DataFrame(data, index=index)


def _hat_values(X: FloatArray, w: FloatArray) -> FloatArray:
    """diag of X (XᵀWX)⁻¹ XᵀW; values within 10 eps of 1 are set to 1 (as metafor)."""
    inv = np.linalg.inv(X.T @ (X * w[:, None]))
    hat: FloatArray = np.einsum("ij,jk,ik->i", X, inv, X) * w
    hat[hat > 1 - 10 * np.finfo(float).eps] = 1.0
    return hat


# --- Cook's distance -------------------------------------------------------------------------
def cooks_distance(
    result: MultilevelResult | TwoLevelResult,
    *,
    cluster: ArrayLike | None = None,
    labels: Sequence[str] | None = None,
) -> pd.Series:
    """Cook's distance (b − b₍₋ⱼ₎)ᵀ V(b)⁻¹ (b − b₍₋ⱼ₎) over all coefficients, as metafor's
    ``cooks.distance()``.

    Without ``cluster`` one value per effect size (index: ``labels`` or the 1-based row);
    with ``cluster`` (one label per effect size, e.g. the study id) the whole cluster is left
    out at once and the index holds the sorted cluster labels (metafor's order). For a
    multilevel fit every deletion re-estimates the variance components (metafor's default
    ``reestimate=TRUE``).
    """
    if isinstance(result, TwoLevelResult) and cluster is None:
        frame = influence(result, labels)
        return frame["cook.d"].rename("cook.d")
    if isinstance(result, MultilevelResult):
        # block-wise deletion refits with warm starts (see ml_influence)
        diag = multilevel_influence(result, cluster=cluster, labels=labels)
        frame = diag.to_frame()
        if cluster is None and labels is not None:
            frame.index.name = "study"
        return frame["cook.d"].rename("cook.d")
    k = result.k
    if cluster is None:
        codes = np.arange(k)
        index: pd.Index = _index(labels, k)
    else:
        codes, clusters = cluster_codes(cluster, k)
        index = pd.Index(clusters, name="cluster")
    beta = result.beta
    svb = np.linalg.inv(result.vcov)
    out = np.full(len(index), np.nan)
    for j in range(len(index)):
        keep = codes != j
        try:
            if isinstance(result, TwoLevelResult):
                fit_beta = refit_twolevel(result, keep=keep).beta
            else:
                fit_beta = refit_multilevel(result, keep=keep).beta
        except MetaAnalysisError:
            continue  # metafor: NA
        dfb = beta - fit_beta
        out[j] = float(dfb @ svb @ dfb)
    return pd.Series(out, index=index, name="cook.d")


def _index(labels: Sequence[str] | None, k: int) -> pd.Index:
    if labels is None:
        return pd.RangeIndex(1, k + 1, name="row")
    if len(labels) != k:
        raise MetaAnalysisError(f"labels has {len(labels)} entries for {k} effect sizes")
    return pd.Index(list(labels), name="study")
