"""What the forest plot of a large meta-analysis shows: studies, or the most influential ones.

Up to :data:`~yim.stats.meta.fitted.MAX_FOREST_ROWS` effect sizes the forest plot has a row
per effect size. Beyond that :func:`forest_rows` aggregates the effect sizes per study (the
outermost level of a multilevel model, else the study column): each row is the study's
inverse-variance weighted mean, the variance of an effect size being its sampling variance
plus the model's variance of the levels inside the study, and the row's weight is the
study's share of the model's weight (1ᵀV_j⁻¹1 of its block, exact for a three-level model).
When there are still more studies than rows, the plot shows the :data:`TOP` studies (or
effect sizes) whose omission would move the pooled estimate most, the variance components
held fixed: Δ_j = W_j (μ̂ − m_j) / (ΣW − W_j), where W_j is the unit's weight and m_j the mean
that enters the pooled estimate. The note under the plot and the caption say which it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from yim.stats.meta.fitted import MAX_FOREST_ROWS, observed
from yim.stats.meta.fitting import MetaFit
from yim.stats.meta.multilevel_result import MultilevelResult
from yim.stats.meta.twolevel_result import TwoLevelResult

FloatArray = NDArray[np.float64]

TOP = 40
"""Rows of the forest plot when even the studies are too many."""


@dataclass(frozen=True)
class ForestRows:
    """The rows of a forest plot of many effect sizes (see the module docstring)."""

    yi: FloatArray  # each row's estimate (analysis scale)
    vi: FloatArray  # and its variance
    weights: FloatArray  # the rows' share of the model's weight, in %
    labels: tuple[str, ...]
    unit: str  # "study", a level's name, or "effect size"
    n_units: int  # how many units there are in all
    aggregated: bool  # each row aggregates a unit's effect sizes
    selected: bool  # only the most influential units are shown
    note: str  # for under the plot
    caption: str  # what the plot shows, for the figure caption


def _sums(codes: NDArray[np.intp], values: FloatArray, n: int) -> FloatArray:
    return np.asarray(np.bincount(codes, weights=values, minlength=n), dtype=np.float64)


def forest_rows(fit: MetaFit, *, max_rows: int = MAX_FOREST_ROWS, top: int = TOP) -> ForestRows:
    """The rows to draw for ``fit`` when it has more than ``max_rows`` effect sizes."""
    res = fit.overall
    prep = fit.prepared
    yi, vi = observed(res)
    k = int(yi.shape[0])
    if isinstance(res, MultilevelResult) and fit.groups:
        column = next(iter(fit.groups))
        unit = res.variance_components[0].name
        labels = fit.groups[column]
        sigma2 = np.asarray(res.sigma2)
        within, between = float(np.sum(sigma2[1:])), float(sigma2[0])
        within_text = (
            f"each effect size's variance being its sampling variance plus the model's σ² of "
            f"the levels inside the {unit}, {within:.4g}"
            if sigma2.size > 1
            else "weights 1/v"
        )
    else:
        unit, labels = (
            ("study", prep.study) if prep.study is not None else ("effect size", prep.labels)
        )
        within = 0.0
        between = (
            float(res.tau2) if isinstance(res, TwoLevelResult) and not res.equal_effects else 0.0
        )
        within_text = "weights 1/v"
    codes_raw, uniques = pd.factorize(pd.Series(labels, dtype=object), sort=False)
    codes = np.asarray(codes_raw, dtype=np.intp)
    n_units = len(uniques)
    w = 1.0 / (vi + within)
    sw = _sums(codes, w, n_units)
    row_y = _sums(codes, w * yi, n_units) / sw
    row_v = 1.0 / sw
    if isinstance(res, MultilevelResult):
        weight = 1.0 / (row_v + between)
        mean = row_y
    else:  # independent effect sizes: the unit's weight is the sum of its effect sizes'
        w_model = 1.0 / (vi + between)
        weight = _sums(codes, w_model, n_units)
        mean = _sums(codes, w_model * yi, n_units) / weight
    share = 100.0 * weight / float(np.sum(weight))
    aggregated = n_units < k
    names = [str(u) for u in uniques]
    plural = {"study": "studies", "effect size": "effect sizes"}.get(unit, f"groups of {unit}")
    how = (
        f"Each row pools a {unit}'s effect sizes by inverse-variance weights, {within_text}. "
        if aggregated
        else ""
    )
    if n_units <= max_rows:
        chosen = np.arange(n_units)
        note = how + f"Weights: the {unit}'s share of the model's weight."
        caption = f"Forest plot of the {n_units} {plural}" + (
            f", each aggregated from its effect sizes ({k} in all)" if aggregated else ""
        )
        selected = False
    else:
        total = float(np.sum(weight))
        mu = float(np.sum(weight * mean) / total)
        with np.errstate(divide="ignore", invalid="ignore"):
            shift = np.abs(weight * (mu - mean) / (total - weight))
        shift = np.where(np.isfinite(shift), shift, np.inf)
        chosen = np.argsort(-shift, kind="stable")[:top]
        shown = float(np.sum(share[chosen]))
        note = (
            how + f"Shown: the {len(chosen)} of {n_units:,} {plural} whose omission would move "
            f"the pooled estimate most (variance components held fixed), largest first; "
            f"together {shown:.1f}% of the weight."
        )
        caption = f"Forest plot of the {len(chosen)} most influential of {n_units:,} {plural}" + (
            f", each aggregated from its effect sizes ({k:,} in all)" if aggregated else ""
        )
        selected = True
    return ForestRows(
        yi=row_y[chosen],
        vi=row_v[chosen],
        weights=share[chosen],
        labels=tuple(names[i] for i in chosen),
        unit=unit,
        n_units=n_units,
        aggregated=aggregated,
        selected=selected,
        note=note,
        caption=caption,
    )


__all__ = ["TOP", "ForestRows", "forest_rows"]
