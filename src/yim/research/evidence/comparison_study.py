"""Comparison studies: a JIM group against a comparison group (docs/evidence.md,
"Comparison studies") — the design of the 200-file study.

Input: a frame with one row per unit, a ``treated`` column (1: the JIM group, 0: the
comparison group), covariates (numeric, or categorical: one dummy per level after the first
in alphabetical order, R's default) and binary outcomes (1/0, missing: left out of that
outcome). Output: an immutable :class:`ComparisonResult` with

* the **baseline table**: per covariate (per level of a categorical one) the mean or share
  per group and the standardised mean difference (pooled SD as in Austin 2009, see
  :mod:`yim.stats.balance`); balanced when ``|SMD| < 0.1``. No significance tests: a
  baseline difference is a property of the sample, not a hypothesis;
* per outcome the **crude risk** per group and the **adjusted odds ratio** of the JIM group
  from a logistic regression on the group and every covariate (statsmodels ``GLM``,
  binomial; Wald 95% CI, as R's ``confint.default``);
* **inverse-probability weighting for the effect on the treated** (a sensitivity analysis):
  the propensity ``e`` from a logistic regression of the group on the covariates, weights 1
  for the JIM group and ``e / (1 − e)`` for the comparison group, optionally truncated at a
  percentile (how many were truncated is reported); the balance after weighting, Kish's
  effective sample size per group, and per outcome the weighted risk difference and odds
  ratio with 95% CIs from a sandwich that stacks the propensity model's score equations with
  the weighted outcome equations (M-estimation, :mod:`yim.stats.ipw`), so they account for
  the estimated propensity score; the HC0 intervals that treat the weights as known are kept
  beside them (``*_known_weights``) for comparison.

:func:`compare_frame` is pure; the frames come from
:mod:`yim.research.evidence.comparison_sources` (the registry, or an uploaded file).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yim.research.evidence.estimators import is_small
from yim.research.evidence.summary import EvidenceError
from yim.stats import balance, ipw

#: The smallest group (after rows with missing covariates are left out).
MIN_GROUP = 10
Z_95 = 1.959963984540054

_MAX_LISTED = 20


class ComparisonError(EvidenceError):
    """Data a comparison study cannot use: a message that says what to do."""


# --- the result -------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineRow:
    """One covariate (or one level of a categorical covariate) in the baseline table.

    ``kind``: ``numeric`` (means and SDs), ``binary`` (shares of a 0/1 covariate) or
    ``level`` (shares of one level). ``weighted_*``: after the ATT weighting. ``suppressed``:
    a share resting on fewer units than the threshold in a group, withheld whole (the
    covariate is still in the models)."""

    covariate: str
    level: str | None
    kind: str
    mean_treated: float | None
    mean_comparison: float | None
    sd_treated: float | None
    sd_comparison: float | None
    smd: float | None
    balanced: bool | None
    weighted_mean_comparison: float | None = None
    weighted_smd: float | None = None
    balanced_after: bool | None = None
    suppressed: bool = False


@dataclass(frozen=True)
class Weighting:
    """The ATT weights: trimming, effective sample sizes and the largest weight."""

    trim_percentile: float | None
    n_trimmed: int
    cap: float | None
    ess_treated: float
    ess_comparison: float
    max_weight: float
    sum_weights_comparison: float


@dataclass(frozen=True)
class OutcomeComparison:
    """One binary outcome: crude risks, the adjusted odds ratio and the weighted contrast.
    ``suppressed``: a cell of its group × outcome table is below the threshold; every
    figure is withheld (an odds ratio and the group sizes give the cells back)."""

    outcome: str
    n: int | None
    n_treated: int | None
    n_comparison: int | None
    events_treated: int | None
    events_comparison: int | None
    risk_treated: float | None
    risk_comparison: float | None
    odds_ratio: float | None = None
    ci: tuple[float, float] | None = None
    p: float | None = None
    error: str | None = None
    ipw_risk_treated: float | None = None
    ipw_risk_comparison: float | None = None
    ipw_risk_difference: float | None = None
    ipw_rd_ci: tuple[float, float] | None = None
    ipw_odds_ratio: float | None = None
    ipw_or_ci: tuple[float, float] | None = None
    ipw_error: str | None = None
    suppressed: bool = False
    ipw_rd_ci_known_weights: tuple[float, float] | None = None
    ipw_or_ci_known_weights: tuple[float, float] | None = None


@dataclass(frozen=True)
class ComparisonResult:
    source: str
    as_of: dt.date | None
    n_treated: int
    n_comparison: int
    covariates: tuple[str, ...]
    rows_dropped: int
    dropped_rows: tuple[str, ...]
    notes: tuple[str, ...]
    baseline: tuple[BaselineRow, ...]
    weighting: Weighting
    outcomes: tuple[OutcomeComparison, ...]
    #: Which standard error the weighted intervals (``ipw_rd_ci``, ``ipw_or_ci``) use.
    ipw_interval: str = "m_estimation"

    @property
    def all_balanced(self) -> bool:
        return all(r.balanced for r in self.baseline)

    def to_json_dict(self) -> dict[str, Any]:
        data = _finite(asdict(self))
        data["as_of"] = self.as_of.isoformat() if self.as_of else None
        data["conventions"] = {
            "smd": "pooled SD sqrt((s_t^2 + s_c^2)/2) (Austin 2009); binary p(1-p); "
            "after weighting weighted means and variances (Austin & Stuart 2015)",
            "balanced_below": balance.BALANCED_BELOW,
            "adjusted": "GLM binomial, logit link: outcome ~ group + covariates; Wald 95% CI",
            "ipw": "ATT weights (treated 1, comparison e/(1-e)); weighted risk difference "
            "and odds ratio with 95% CI",
            "ipw_se": ipw.METHOD,
            "ipw_se_known_weights": "HC0 sandwich, weights treated as known "
            "(ipw_rd_ci_known_weights, ipw_or_ci_known_weights; for comparison only)",
        }
        return data


def _finite(value: Any) -> Any:
    """NaN and infinities as None (the JSON of a result has none)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


# --- the analysis -----------------------------------------------------------------------


class _NoFit(Exception):
    """A logistic model that cannot be fitted (separation, no convergence)."""


def _glm(y: np.ndarray, x: np.ndarray, weights: np.ndarray | None = None) -> Any:
    """A binomial GLM (logit link) fitted by IRLS, its warnings a refusal: perfect or
    quasi-perfect separation (a fitted probability of 0 or 1) and non-convergence raise
    :class:`_NoFit`."""
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(divide="raise", over="raise", invalid="raise", under="ignore"):
                result = GLM(y, x, family=Binomial(), var_weights=weights).fit(maxiter=100)
    except (Warning, ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
        raise _NoFit(str(exc)) from None
    eta = x @ np.asarray(result.params)
    if not result.converged or not np.all(np.isfinite(eta)) or np.max(np.abs(eta)) > 15:
        raise _NoFit("separation")
    return result


def _levels(values: pd.Series) -> list[str]:
    return sorted({str(v) for v in values.dropna().unique()})


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _is_binary(values: pd.Series) -> bool:
    return _is_numeric(values) and set(values.dropna().unique()) <= {0, 1}


def problem_rows(index: Sequence[Any]) -> str:
    shown = ", ".join(str(i) for i in list(index)[:_MAX_LISTED])
    return shown + (" …" if len(index) > _MAX_LISTED else "")


def compare_frame(
    frame: pd.DataFrame,
    *,
    covariates: Sequence[str],
    outcomes: Sequence[str],
    min_group: int = MIN_GROUP,
    trim_percentile: float | None = None,
    drop_constant: bool = False,
    threshold: int | None = None,
    source: str = "file",
    as_of: dt.date | None = None,
) -> ComparisonResult:
    """Baseline balance, adjusted outcomes and ATT weighting of one frame (see the module).

    ``frame``: a ``treated`` column (1/0), the ``covariates`` and the ``outcomes`` (1/0 or
    missing); its index names the rows in messages (a file's row numbers). A covariate with
    one level is an error, or with ``drop_constant`` left out with a note. Rows with a
    missing covariate are left out (complete cases) and counted. With a ``threshold`` (the
    registry), a share or an outcome resting on a cell below it is withheld whole."""
    covariates = list(dict.fromkeys(covariates))
    unknown = [c for c in [*covariates, *outcomes] if c not in frame.columns]
    if unknown:
        raise ComparisonError(_("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)})
    if not outcomes:
        raise ComparisonError(_("Choose at least one outcome."))
    if trim_percentile is not None and not 50 <= trim_percentile < 100:
        raise ComparisonError(_("Trim the weights at a percentile from 50 up to (not) 100."))
    notes: list[str] = []
    if drop_constant:  # the default set: what this selection does not vary in is left out
        for covariate in list(covariates):
            if frame[covariate].nunique(dropna=True) < 2:
                covariates.remove(covariate)
                notes.append(
                    _(
                        "“%(covariate)s” is not recorded, or has one value, in this "
                        "selection and was left out."
                    )
                    % {"covariate": covariate}
                )
    missing = frame[covariates].isna().any(axis=1) if covariates else frame["treated"].isna()
    dropped = frame.index[missing]
    data = frame.loc[~missing].copy()
    if len(dropped) and source == "registry":
        notes.append(
            ngettext(
                "%(n)d trajectory with a missing covariate value was left out. Record the "
                "value, or leave the covariate out.",
                "%(n)d trajectories with a missing covariate value were left out. Record the "
                "values, or leave the covariates out.",
                len(dropped),
            )
            % {"n": len(dropped)}
        )
    elif len(dropped):
        notes.append(
            ngettext(
                "%(n)d row with a missing covariate value was left out (rows: %(rows)s). "
                "Fill in the value, or leave the covariate out.",
                "%(n)d rows with a missing covariate value were left out (rows: %(rows)s). "
                "Fill in the values, or leave the covariate out.",
                len(dropped),
            )
            % {"n": len(dropped), "rows": problem_rows(dropped)}
        )
    treated = data["treated"].to_numpy(dtype=float) == 1
    n_t, n_c = int(treated.sum()), int((~treated).sum())
    for label, n in ((_("The JIM group"), n_t), (_("The comparison group"), n_c)):
        if n < min_group:
            raise ComparisonError(
                _(
                    "%(group)s has %(n)d units with every covariate recorded; at least "
                    "%(min)d are needed. Widen the selection, fill in missing values or "
                    "use fewer covariates."
                )
                % {"group": label, "n": n, "min": min_group}
            )
    kept: list[str] = []
    for covariate in covariates:
        values = data[covariate]
        if values.nunique(dropna=True) < 2:
            if not drop_constant:
                raise ComparisonError(
                    _(
                        "The covariate “%(covariate)s” has one value in the data: it cannot "
                        "differ between the groups. Leave it out."
                    )
                    % {"covariate": covariate}
                )
            notes.append(
                _(
                    "“%(covariate)s” has one value among the units with every covariate "
                    "recorded and was left out."
                )
                % {"covariate": covariate}
            )
            continue
        kept.append(covariate)
    columns, rows = _design(data, kept, treated)
    x = np.column_stack([np.ones(len(data)), *columns]) if columns else np.ones((len(data), 1))
    try:
        propensity = _glm(treated.astype(float), x)
    except _NoFit:
        raise ComparisonError(
            _(
                "The propensity model (group on the covariates) cannot be fitted: some "
                "covariate (or a level of one) predicts the group perfectly, or the model did "
                "not converge. Leave that covariate out or merge its rare levels; then the "
                "groups can be compared."
            )
        ) from None
    e = np.asarray(propensity.fittedvalues, dtype=float)
    weights = balance.att_weights(treated, e)
    n_trimmed, cap = 0, None
    if trim_percentile is not None:
        weights, n_trimmed, cap = balance.trim_weights(weights, treated, trim_percentile)
    weighting = Weighting(
        trim_percentile=trim_percentile,
        n_trimmed=n_trimmed,
        cap=cap,
        ess_treated=balance.kish_ess(weights[treated]),
        ess_comparison=balance.kish_ess(weights[~treated]),
        max_weight=float(weights[~treated].max()),
        sum_weights_comparison=float(weights[~treated].sum()),
    )
    baseline = tuple(_baseline_row(r, treated, weights, threshold) for r in rows)
    beta = np.asarray(propensity.params, dtype=float)
    results = tuple(
        _withheld(_outcome(data, outcome, treated, x, weights, beta, cap), threshold)
        for outcome in dict.fromkeys(outcomes)
    )
    return ComparisonResult(
        source=source,
        as_of=as_of,
        n_treated=n_t,
        n_comparison=n_c,
        covariates=tuple(kept),
        rows_dropped=len(dropped),
        dropped_rows=() if source == "registry" else tuple(str(i) for i in dropped[:_MAX_LISTED]),
        notes=tuple(notes),
        baseline=baseline,
        weighting=weighting,
        outcomes=results,
    )


@dataclass(frozen=True)
class _Column:
    covariate: str
    level: str | None
    kind: str
    values: np.ndarray


def _design(
    data: pd.DataFrame, covariates: list[str], treated: np.ndarray
) -> tuple[list[np.ndarray], list[_Column]]:
    """The model's columns (numeric as they are, a dummy per level after the first) and
    the baseline table's rows (every level)."""
    columns: list[np.ndarray] = []
    rows: list[_Column] = []
    for covariate in covariates:
        values = data[covariate]
        if _is_numeric(values):
            array = values.to_numpy(dtype=float)
            columns.append(array)
            kind = "binary" if _is_binary(values) else "numeric"
            rows.append(_Column(covariate, None, kind, array))
            continue
        text = values.astype(str)
        for index, level in enumerate(_levels(values)):
            dummy = (text == level).to_numpy(dtype=float)
            if index:
                columns.append(dummy)
            rows.append(_Column(covariate, level, "level", dummy))
    return columns, rows


def _sd(x: np.ndarray) -> float | None:
    value = balance.weighted_variance(x)
    return math.sqrt(value) if math.isfinite(value) else None


def _baseline_row(
    column: _Column, treated: np.ndarray, weights: np.ndarray, threshold: int | None
) -> BaselineRow:
    x_t, x_c = column.values[treated], column.values[~treated]
    binary = column.kind != "numeric"
    if binary and threshold is not None:
        counts = (
            int(x_t.sum()),
            int(x_c.sum()),
            int(len(x_t) - x_t.sum()),
            int(len(x_c) - x_c.sum()),
        )
        if any(is_small(c, threshold) for c in counts):
            return BaselineRow(
                column.covariate, column.level, column.kind, None, None, None, None, None,
                None, suppressed=True,
            )  # fmt: skip
    before = balance.smd(x_t, x_c, binary=binary)
    after = balance.smd(
        x_t, x_c, binary=binary, w_treated=weights[treated], w_comparison=weights[~treated]
    )
    return BaselineRow(
        covariate=column.covariate,
        level=column.level,
        kind=column.kind,
        mean_treated=float(x_t.mean()),
        mean_comparison=float(x_c.mean()),
        sd_treated=None if binary else _sd(x_t),
        sd_comparison=None if binary else _sd(x_c),
        smd=before,
        balanced=balance.is_balanced(before),
        weighted_mean_comparison=balance.weighted_mean(x_c, weights[~treated]),
        weighted_smd=after,
        balanced_after=balance.is_balanced(after),
    )


def _withheld(outcome: OutcomeComparison, threshold: int | None) -> OutcomeComparison:
    if threshold is None or None in (outcome.n_treated, outcome.n_comparison):
        return outcome
    n_t, n_c = outcome.n_treated or 0, outcome.n_comparison or 0
    e_t, e_c = outcome.events_treated or 0, outcome.events_comparison or 0
    if not any(is_small(c, threshold) for c in (e_t, n_t - e_t, e_c, n_c - e_c)):
        return outcome
    return OutcomeComparison(
        outcome.outcome, None, None, None, None, None, None, None, suppressed=True,
        error=_("Withheld: a cell of this outcome rests on fewer youth than %(threshold)d.")
        % {"threshold": threshold},
    )  # fmt: skip


def _wald(beta: float, se: float) -> tuple[float, tuple[float, float]]:
    return math.exp(beta), (math.exp(beta - Z_95 * se), math.exp(beta + Z_95 * se))


def _outcome(
    data: pd.DataFrame,
    outcome: str,
    treated: np.ndarray,
    x: np.ndarray,
    weights: np.ndarray,
    beta: np.ndarray,
    cap: float | None,
) -> OutcomeComparison:
    known = data[outcome].notna().to_numpy()
    every_y = data[outcome].to_numpy(dtype=float)
    y = every_y[known]
    t, xx, w = treated[known], x[known], weights[known]
    n_t, n_c = int(t.sum()), int((~t).sum())
    e_t, e_c = int(y[t].sum()), int(y[~t].sum())
    base: dict[str, Any] = {
        "outcome": outcome,
        "n": int(known.sum()),
        "n_treated": n_t,
        "n_comparison": n_c,
        "events_treated": e_t,
        "events_comparison": e_c,
        "risk_treated": e_t / n_t if n_t else None,
        "risk_comparison": e_c / n_c if n_c else None,
    }
    if min(n_t, n_c) == 0 or y.min() == y.max():
        message = _(
            "Not estimated: every unit with this outcome recorded has the same value, or one "
            "group has none. An odds ratio needs events and non-events in both groups."
        )
        return OutcomeComparison(**base, error=message, ipw_error=message)
    design = np.column_stack([xx[:, :1], t.astype(float), xx[:, 1:]])
    try:
        fit = _glm(y, design)
        odds_ratio, ci = _wald(float(fit.params[1]), float(fit.bse[1]))
        base.update(odds_ratio=odds_ratio, ci=ci, p=float(fit.pvalues[1]))
    except _NoFit:
        base["error"] = _(
            "The adjusted model cannot be fitted: a covariate (or the group) predicts the "
            "outcome perfectly, or the model did not converge. Use fewer covariates or merge "
            "rare levels."
        )
    rd, known_se = balance.weighted_risk_difference(y, t, w)
    # The interval shown: the propensity model's equations stacked with the outcome's (every
    # unit the propensity was fitted on; a unit without the outcome in the first only).
    stacked = ipw.att_contrast(every_y, treated, x, beta, cap=cap)
    base.update(
        ipw_risk_treated=balance.weighted_mean(y[t], w[t]),
        ipw_risk_comparison=balance.weighted_mean(y[~t], w[~t]),
        ipw_risk_difference=rd,
        ipw_rd_ci=(rd - Z_95 * stacked.rd_se, rd + Z_95 * stacked.rd_se),
        ipw_rd_ci_known_weights=(rd - Z_95 * known_se, rd + Z_95 * known_se),
    )
    simple = np.column_stack([np.ones(len(y)), t.astype(float)])
    try:
        weighted = _glm(y, simple, w)
        gamma = np.asarray(weighted.params, dtype=float)
        known_log_se = math.sqrt(balance.logistic_hc0(y, simple, w, gamma)[1, 1])
        ipw_or, ipw_ci = _wald(float(gamma[1]), stacked.log_or_se)
        base.update(
            ipw_odds_ratio=ipw_or,
            ipw_or_ci=ipw_ci,
            ipw_or_ci_known_weights=_wald(float(gamma[1]), known_log_se)[1],
        )
    except _NoFit:
        base["ipw_error"] = _("The weighted odds ratio cannot be estimated (no convergence).")
    return OutcomeComparison(**base)
