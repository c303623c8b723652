"""Numbers taken from a fitted model for plots and reports: the data it was fitted to, the
weights of the effect sizes, and the pooled estimate of an intercept-only model.

Kept apart from :mod:`yim.stats.meta.plots` so that the JSON output needs no plotting library.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.multilevel_result import MultilevelResult
from yim.stats.meta.twolevel_result import TwoLevelResult

FloatArray = NDArray[np.float64]
Result = TwoLevelResult | MultilevelResult

MAX_FOREST_ROWS = 400
"""Forest plots with more rows than this are unreadable: beyond it the report's forest plot
shows studies or a selection (:mod:`yim.stats.meta.forest_summary`)."""
MAX_DENSE_WEIGHTS = 3000
"""Multilevel weights need the inverse of the k x k marginal covariance; above this k the
marker sizes fall back to the inverse sampling variances."""


def observed(result: Result) -> tuple[FloatArray, FloatArray]:
    """The effect sizes and sampling variances the model was fitted to."""
    if isinstance(result, TwoLevelResult):
        return np.asarray(result.yi), np.asarray(result.vi)
    state = result._state  # the multilevel result keeps its inputs in its fit state
    return np.asarray(state.yi), np.asarray(state.vi)


def study_weights(result: Result) -> tuple[FloatArray, str]:
    """Percentage weight of each effect size and a description of how it was computed.

    Two-level: w_i = 1/(v_i + tau^2) (metafor's ``weights.rma.uni``). Multilevel: the
    diagonal of the inverse marginal covariance V^-1, as metafor's ``weights.rma.mv``; for
    very large k the inverse sampling variances are used instead (and the text says so).
    """
    _, vi = observed(result)
    if isinstance(result, TwoLevelResult):
        w = 1.0 / (vi + result.tau2)
        how = "inverse of v + tau²"
    elif result.k <= MAX_DENSE_WEIGHTS:
        inputs = result.robust_inputs(np.zeros(result.k))  # one cluster: the full V
        V = inputs.cov_block(np.arange(result.k, dtype=np.intp))
        w = np.diag(np.linalg.inv(V))
        how = "diagonal of the inverse marginal covariance"
    else:
        w = 1.0 / vi
        how = "inverse sampling variance (k too large for the model weights)"
    return 100.0 * w / float(np.sum(w)), how


def intercept_only(result: Result) -> bool:
    if isinstance(result, TwoLevelResult):
        return result.intercept_only
    return result.p == 1 and result.coefficients[0].name == "intrcpt"


def pooled(result: Result) -> dict[str, float]:
    """Pooled estimate with CI and prediction interval of an intercept-only model."""
    if not intercept_only(result):
        raise MetaAnalysisError("a pooled estimate needs an intercept-only model")
    if isinstance(result, TwoLevelResult):
        pr = result.predict()
        values = {
            "pred": pr.pred[0],
            "ci_lb": pr.ci_lb[0],
            "ci_ub": pr.ci_ub[0],
            "pi_lb": pr.pi_lb[0],
            "pi_ub": pr.pi_ub[0],
        }
    else:
        frame = result.predict()
        values = {key: frame[key].iloc[0] for key in ("pred", "ci_lb", "ci_ub", "pi_lb", "pi_ub")}
    return {key: float(value) for key, value in values.items()}


__all__ = [
    "MAX_DENSE_WEIGHTS",
    "MAX_FOREST_ROWS",
    "intercept_only",
    "observed",
    "pooled",
    "study_weights",
]
