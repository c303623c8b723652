"""Forest and contour-enhanced funnel plots of a fitted meta-analysis, as SVG or PNG.

Drawn with matplotlib's object API (:class:`matplotlib.figure.Figure`, rendered by the Agg
and SVG backends); pyplot's global state is never touched, so the functions are safe in a
web server's threads. Fonts are DejaVu Sans, which ships with matplotlib (no network).

Study labels are drawn as plain text (``parse_math=False``: a ``$`` in a label is not LaTeX).
Every drawn element that tests or readers may want to find carries an SVG id (``gid``):
``forest-study-<i>`` (square of study i, 1-based in data order), ``forest-ci-<i>``,
``forest-diamond-overall``, ``forest-diamond-subgroup-<j>``, ``forest-pi``,
``funnel-points`` and ``funnel-contour-<level>``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from typing import Any, TypedDict, Unpack

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon
from numpy.typing import NDArray
from scipy import stats

from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.fitted import (
    MAX_DENSE_WEIGHTS,
    MAX_FOREST_ROWS,
    intercept_only,
    observed,
    pooled,
    study_weights,
)
from yim.stats.meta.multilevel_result import MultilevelResult
from yim.stats.meta.twolevel import RandomEffectsModel
from yim.stats.meta.twolevel_result import TwoLevelResult

FloatArray = NDArray[np.float64]
Result = TwoLevelResult | MultilevelResult
Transform = Callable[[FloatArray], FloatArray]

RASTER_POINTS = 2_000
"""Funnel plots with more points draw them as one embedded image instead of SVG markers."""

_FONT = {"family": "DejaVu Sans", "size": 9}


class ForestStyle(TypedDict, total=False):
    """How a forest plot is drawn; every key is optional (the defaults are
    :func:`_draw_forest`'s).

    ``transform`` (e.g. :func:`yim.stats.meta.conversions.z_to_r`) is applied to every
    estimate and bound, ``xlabel`` (default "Effect size") labels the axis, ``title`` heads
    the plot, ``refline`` (default 0; None for none) is the dotted reference line,
    ``digits`` (default 2) the decimals of the printed estimates, ``width`` (default 9) the
    figure's width in inches.
    """

    transform: Transform | None
    xlabel: str
    title: str | None
    refline: float | None
    digits: int
    width: float


def _apply(transform: Transform | None, values: FloatArray) -> FloatArray:
    if transform is None:
        return values
    return np.asarray(transform(np.asarray(values, dtype=np.float64)), dtype=np.float64)


def _fmt(value: float, digits: int) -> str:
    if not np.isfinite(value):
        return "NA"
    text = f"{value:.{digits}f}"
    return "0." + "0" * digits if text == "-0." + "0" * digits else text


def _percent(value: float) -> str:
    """A weight in percent: one decimal, or two significant digits below 0.1%."""
    if value != 0.0 and abs(value) < 0.05:
        return f"{value:.2g}%"
    return f"{value:.1f}%"


def _shorten(label: str, limit: int = 42) -> str:
    label = " ".join(str(label).split())
    return label if len(label) <= limit else label[: limit - 1] + "…"


# --- forest plot --------------------------------------------------------------------------------


def _subgroup_fit(yi: FloatArray, vi: FloatArray, method: str) -> tuple[float, float, float]:
    model = RandomEffectsModel(method if method != "EE" else "EE", "z", tau2_ci=None)
    pr = model.fit(yi, vi).predict()
    return float(pr.pred[0]), float(pr.ci_lb[0]), float(pr.ci_ub[0])


def forest_plot(
    result: Result,
    *,
    labels: Sequence[str],
    subgroups: Sequence[str] | None = None,
    **style: Unpack[ForestStyle],
) -> Figure:
    """Forest plot: one row per effect size (square sized by weight, CI line), the pooled
    diamond and the prediction interval.

    ``subgroups`` (one label per effect size) groups the rows under headers and adds a
    diamond per subgroup from a random-effects model fitted within the subgroup (the same
    tau² estimator as a two-level ``result``; REML for multilevel results, where the
    subgroup fit ignores the nesting, as the plot's note says). ``style``: see
    :class:`ForestStyle`; a ``transform`` is applied to every estimate and bound, while
    weights and fits stay on the analysis scale. A model with moderators has no single
    pooled effect, so its plot shows the studies only and says so. More than
    :data:`MAX_FOREST_ROWS` effect sizes are refused: see :func:`forest_plot_rows` for
    studies or a selection.
    """
    yi, vi = observed(result)
    k = yi.shape[0]
    if len(labels) != k:
        raise MetaAnalysisError(f"forest_plot: {len(labels)} labels for {k} effect sizes")
    if subgroups is not None and len(subgroups) != k:
        raise MetaAnalysisError(f"forest_plot: {len(subgroups)} subgroup labels for {k} rows")
    if k > MAX_FOREST_ROWS:
        raise MetaAnalysisError(
            f"forest_plot: {k} effect sizes are too many for a readable forest plot "
            f"(limit {MAX_FOREST_ROWS})"
        )
    weights, weight_note = study_weights(result)
    return _draw_forest(
        result,
        yi,
        vi,
        weights,
        f"Weights: {weight_note}.",
        labels,
        subgroups=subgroups,
        **style,
    )


def forest_plot_rows(
    result: Result,
    *,
    yi: Sequence[float] | FloatArray,
    vi: Sequence[float] | FloatArray,
    weights: Sequence[float] | FloatArray,
    labels: Sequence[str],
    note: str,
    **style: Unpack[ForestStyle],
) -> Figure:
    """Forest plot of given rows (say, studies aggregated from their effect sizes, or the most
    influential of many) with the pooled diamond and prediction interval of ``result``.

    ``yi``/``vi`` are each row's estimate and variance (its CI is drawn from them), ``weights``
    the rows' weights in percent, and ``note`` (printed under the plot) says what the rows
    are and how the weights were found; ``style`` as for :func:`forest_plot`.
    """
    y = np.asarray(yi, dtype=np.float64)
    v = np.asarray(vi, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    n = y.shape[0]
    if not (v.shape[0] == w.shape[0] == len(labels) == n):
        raise MetaAnalysisError("forest_plot_rows: yi, vi, weights and labels differ in length")
    if n > MAX_FOREST_ROWS:
        raise MetaAnalysisError(
            f"forest_plot_rows: {n} rows are too many for a readable forest plot "
            f"(limit {MAX_FOREST_ROWS})"
        )
    return _draw_forest(
        result,
        y,
        v,
        w,
        note,
        labels,
        subgroups=None,
        **style,
    )


def _draw_forest(
    result: Result,
    yi: FloatArray,
    vi: FloatArray,
    weights: FloatArray,
    weight_note: str,
    labels: Sequence[str],
    *,
    subgroups: Sequence[str] | None,
    transform: Transform | None = None,
    xlabel: str = "Effect size",
    title: str | None = None,
    refline: float | None = 0.0,
    digits: int = 2,
    width: float = 9.0,
) -> Figure:
    k = yi.shape[0]
    level = result.level
    crit = float(stats.norm.isf((1 - level) / 2))
    se = np.sqrt(vi)
    est_t = _apply(transform, yi)
    lb_t = _apply(transform, yi - crit * se)
    ub_t = _apply(transform, yi + crit * se)
    lb_t, ub_t = np.minimum(lb_t, ub_t), np.maximum(lb_t, ub_t)

    # rows from the top: ("header", text) | ("study", i) | ("diamond", (gid, label, est, lb, ub))
    rows: list[tuple[str, Any]] = []
    notes: list[str] = []
    if subgroups is None:
        rows += [("study", i) for i in range(k)]
    else:
        order: list[str] = []
        for g in subgroups:
            if g not in order:
                order.append(g)
        method = result.estimator if isinstance(result, TwoLevelResult) else "REML"
        for j, g in enumerate(order, start=1):
            members = [i for i in range(k) if subgroups[i] == g]
            rows.append(("header", str(g)))
            rows += [("study", i) for i in members]
            if len(members) >= 2:
                e, lo, hi = _subgroup_fit(yi[members], vi[members], method)
                vals = _apply(transform, np.array([e, lo, hi]))
                rows.append(
                    (
                        "diamond",
                        (
                            f"forest-diamond-subgroup-{j}",
                            f"Subgroup {_shorten(str(g), 24)} (k = {len(members)})",
                            vals[0],
                            min(vals[1], vals[2]),
                            max(vals[1], vals[2]),
                        ),
                    )
                )
            rows.append(("blank", None))
        notes.append(
            "Subgroup diamonds: random-effects model within each subgroup"
            + (" (ignoring the nesting)." if isinstance(result, MultilevelResult) else ".")
        )
    pi: tuple[float, float] | None = None
    if intercept_only(result):
        pool = pooled(result)
        vals = _apply(transform, np.array([pool["pred"], pool["ci_lb"], pool["ci_ub"]]))
        model_name = "Multilevel model" if isinstance(result, MultilevelResult) else "Model"
        rows.append(
            (
                "diamond",
                (
                    "forest-diamond-overall",
                    f"{model_name} (k = {result.k})",
                    vals[0],
                    min(vals[1], vals[2]),
                    max(vals[1], vals[2]),
                ),
            )
        )
        if np.isfinite(pool["pi_lb"]) and np.isfinite(pool["pi_ub"]):
            pis = _apply(transform, np.array([pool["pi_lb"], pool["pi_ub"]]))
            pi = (float(pis.min()), float(pis.max()))
            rows.append(("pi", pi))
    else:
        notes.append("Model with moderators: no single pooled effect (see the coefficient table).")
    notes.append(f"{weight_note} Study CIs: normal, {100 * level:g}%.")

    n_rows = len(rows)
    height = 1.3 + 0.24 * (n_rows + 2)
    fig = Figure(figsize=(width, height))
    top = 1.0 - 0.45 / height
    bottom = 0.9 / height
    ax = fig.add_axes((0.33, bottom, 0.42, top - bottom))
    ax.set_ylim(-n_rows + 0.4, 1.2)
    ax.yaxis.set_visible(False)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)

    xs = [lb_t, ub_t]
    for kind, item in rows:
        if kind == "diamond":
            xs.append(np.array([item[3], item[4]]))
        elif kind == "pi":
            xs.append(np.array(item))
    span = np.concatenate([np.asarray(x, dtype=np.float64) for x in xs])
    span = span[np.isfinite(span)]
    lo, hi = float(span.min()), float(span.max())
    if refline is not None:
        lo, hi = min(lo, refline), max(hi, refline)
    pad = 0.05 * (hi - lo if hi > lo else 1.0)
    ax.set_xlim(lo - pad, hi + pad)
    if refline is not None:
        ax.axvline(refline, color="#888888", linewidth=0.8, linestyle=":", zorder=0)

    def text(x: float, y: float, s: str, **kw: Any) -> None:
        ax.text(
            x,
            y,
            s,
            transform=ax.get_yaxis_transform(),
            fontdict=_FONT,
            va="center",
            clip_on=False,
            parse_math=False,
            **kw,
        )

    ci_label = f"Estimate [{100 * level:g}% CI]"
    text(-0.02, 1.0, "Study", ha="right", fontweight="bold")
    text(1.03, 1.0, ci_label, ha="left", fontweight="bold")
    text(1.55, 1.0, "Weight", ha="right", fontweight="bold")

    max_w = float(weights.max())
    for r, (kind, item) in enumerate(rows):
        y = -float(r)
        if kind == "header":
            text(-0.02, y, _shorten(item), ha="right", fontweight="bold", fontstyle="italic")
        elif kind == "study":
            i = int(item)
            line = Line2D([lb_t[i], ub_t[i]], [y, y], color="black", linewidth=0.9)
            line.set_gid(f"forest-ci-{i + 1}")
            ax.add_line(line)
            size = 3.0 + 7.0 * np.sqrt(weights[i] / max_w)
            (square,) = ax.plot(
                [est_t[i]], [y], marker="s", markersize=size, color="black", linestyle="none"
            )
            square.set_gid(f"forest-study-{i + 1}")
            text(-0.02, y, _shorten(labels[i]), ha="right")
            text(
                1.03,
                y,
                f"{_fmt(est_t[i], digits)} [{_fmt(lb_t[i], digits)}, {_fmt(ub_t[i], digits)}]",
                ha="left",
            )
            text(1.55, y, _percent(float(weights[i])), ha="right")
        elif kind == "diamond":
            gid, label, e, lo_d, hi_d = item
            poly = Polygon(
                [(lo_d, y), (e, y + 0.38), (hi_d, y), (e, y - 0.38)],
                closed=True,
                facecolor="#333333" if gid.endswith("overall") else "#999999",
                edgecolor="black",
                linewidth=0.8,
            )
            poly.set_gid(gid)
            ax.add_patch(poly)
            text(-0.02, y, label, ha="right", fontweight="bold")
            text(
                1.03,
                y,
                f"{_fmt(e, digits)} [{_fmt(lo_d, digits)}, {_fmt(hi_d, digits)}]",
                ha="left",
                fontweight="bold",
            )
        elif kind == "pi":
            pi_line = Line2D(
                [item[0], item[1]], [y, y], color="#333333", linewidth=1.6, marker="|", markersize=8
            )
            pi_line.set_gid("forest-pi")
            ax.add_line(pi_line)
            text(-0.02, y, f"{100 * level:g}% prediction interval", ha="right")
            text(1.03, y, f"[{_fmt(item[0], digits)}, {_fmt(item[1], digits)}]", ha="left")
    ax.set_xlabel(xlabel, fontdict=_FONT)
    ax.tick_params(labelsize=8)
    if title:
        fig.text(
            0.5,
            1.0 - 0.2 / height,
            title,
            ha="center",
            va="center",
            fontsize=11,
            fontweight="bold",
            parse_math=False,
        )
    fig.text(
        0.02,
        0.12 / height + 0.02 / height,
        "  ".join(notes),
        ha="left",
        va="bottom",
        fontsize=7,
        color="#444444",
        parse_math=False,
        wrap=True,
    )
    return fig


# --- funnel plot --------------------------------------------------------------------------------


def funnel_plot(
    result: Result,
    *,
    contours: Sequence[float] = (0.90, 0.95, 0.99),
    refline: float = 0.0,
    xlabel: str | None = None,
    title: str | None = None,
    imputed: tuple[Sequence[float], Sequence[float]] | None = None,
    width: float = 6.5,
    height: float = 5.0,
) -> Figure:
    """Contour-enhanced funnel plot (Peters et al. 2008): effect size (residuals for a model
    with moderators) against its standard error, the SE axis inverted as metafor draws it.

    Shaded bands mark where a study's two-sided p-value against ``refline`` (default 0) falls
    between the ``contours`` levels; the dashed lines are the pseudo-confidence funnel around
    the model estimate. ``imputed`` = (yi, vi) adds studies filled in by trim-and-fill as
    open circles. Beyond :data:`RASTER_POINTS` points they are drawn smaller and translucent,
    as one embedded image, so the SVG stays small at any k.
    """
    levels = sorted(float(c) for c in contours)
    if not levels or any(not 0 < c < 1 for c in levels):
        raise MetaAnalysisError(
            f"funnel_plot: contours must be fractions in (0, 1), not {contours}"
        )
    yi, vi = observed(result)
    only = intercept_only(result)
    if only:
        x = yi
        centre = result.coefficients[0].estimate
        label = xlabel or "Observed outcome"
    else:
        x = np.asarray(
            result.residuals
            if isinstance(result, MultilevelResult)
            else yi - result.X @ result.beta
        )
        centre = 0.0
        refline = 0.0
        label = xlabel or "Residual value"
    se = np.sqrt(vi)
    extra_se = np.sqrt(np.asarray(imputed[1], dtype=np.float64)) if imputed is not None else None
    se_max = float(max(se.max(), extra_se.max() if extra_se is not None else 0.0)) * 1.08

    fig = Figure(figsize=(width, height))
    ax: Axes = fig.add_axes((0.12, 0.12, 0.6, 0.78))
    grid = np.array([0.0, se_max])
    z_top = float(stats.norm.isf((1 - levels[-1]) / 2))
    x_lo = min(float(x.min()), refline - z_top * se_max, centre - 1.96 * se_max)
    x_hi = max(float(x.max()), refline + z_top * se_max, centre + 1.96 * se_max)
    if imputed is not None:
        x_lo = min(x_lo, float(np.min(imputed[0])))
        x_hi = max(x_hi, float(np.max(imputed[0])))
    pad = 0.04 * (x_hi - x_lo)
    ax.set_xlim(x_lo - pad, x_hi + pad)
    ax.set_ylim(se_max, 0.0)  # inverted: precise studies at the top

    # innermost region (not significant at the lowest level) white, then darker to lighter
    # bands towards the outside, as metafor's shade = c("white", "gray55", "gray75");
    # the region beyond the widest contour (smallest p) keeps a light background
    band_colours = ["#8c8c8c", "#bfbfbf", "#d9d9d9", "#e6e6e6"]
    outside = "#f4f4f4"
    ax.set_facecolor(outside)

    def colour(j: int) -> str:
        return "#ffffff" if j == 0 else band_colours[min(j - 1, len(band_colours) - 1)]

    for j in reversed(range(len(levels))):  # widest first, narrower drawn on top
        lev = levels[j]
        z = float(stats.norm.isf((1 - lev) / 2))
        poly = Polygon(
            [(refline, 0.0), (refline + z * se_max, se_max), (refline - z * se_max, se_max)],
            closed=True,
            facecolor=colour(j),
            edgecolor="none",
            zorder=1,
        )
        poly.set_gid(f"funnel-contour-{lev:g}")
        ax.add_patch(poly)
    handles: list[Patch] = []
    for j, lev in enumerate(levels):
        upper = f"p ≤ {1 - levels[j - 1]:.2f}" if j > 0 else ""
        label_j = f"p > {1 - lev:.2f}" if j == 0 else f"{1 - lev:.2f} < {upper}"
        handles.append(Patch(facecolor=colour(j), edgecolor="#666666", label=label_j))
    handles.append(Patch(facecolor=outside, edgecolor="#666666", label=f"p ≤ {1 - levels[-1]:.2f}"))
    ax.plot(centre + 1.96 * grid, grid, color="black", linestyle="--", linewidth=0.8, zorder=2)
    ax.plot(centre - 1.96 * grid, grid, color="black", linestyle="--", linewidth=0.8, zorder=2)
    ax.axvline(centre, color="black", linewidth=0.9, zorder=2)
    many = x.shape[0] > RASTER_POINTS
    # many points: small and translucent, so that the shading shows where they crowd
    alpha = min(0.3, max(0.02, RASTER_POINTS / x.shape[0])) if many else 1.0
    (points,) = ax.plot(
        x,
        se,
        marker="o",
        markersize=1.5 if many else 5,
        markeredgewidth=0.0 if many else 1.0,
        linestyle="none",
        color="black",
        alpha=alpha,
        zorder=3,
    )
    points.set_gid("funnel-points")
    points.set_rasterized(many)
    if imputed is not None and extra_se is not None:
        (filled,) = ax.plot(
            np.asarray(imputed[0], dtype=np.float64),
            extra_se,
            marker="o",
            markersize=1.5 if many else 5,
            linestyle="none",
            markerfacecolor="white",
            markeredgecolor="black",
            zorder=3,
        )
        filled.set_gid("funnel-imputed")
        filled.set_rasterized(many)
    ax.set_xlabel(label, fontdict=_FONT)
    ax.set_ylabel("Standard error", fontdict=_FONT)
    ax.tick_params(labelsize=8)
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=8,
        frameon=False,
        title="Two-sided p",
        title_fontsize=8,
    )
    if title:
        ax.set_title(title, fontsize=11, fontweight="bold")
    return fig


# --- output -------------------------------------------------------------------------------------

_ID = re.compile(r'\bid="([^"]+)"')


def figure_to_svg(fig: Figure, *, id_prefix: str | None = None, standalone: bool = True) -> str:
    """The figure as SVG text, byte-for-byte reproducible (fixed hash salt, no date).

    Glyphs are embedded as paths, so the SVG needs no fonts. ``id_prefix`` prefixes every id
    (and every reference to it), so several figures can sit inline in one HTML page without
    clashing ids; ``standalone=False`` drops the XML declaration and DOCTYPE for inlining.
    """
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "yim-meta", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    if id_prefix:
        ids = set(_ID.findall(svg))

        def rename(match: re.Match[str]) -> str:
            return f'id="{id_prefix}{match.group(1)}"'

        svg = _ID.sub(rename, svg)
        for old in sorted(ids, key=len, reverse=True):
            svg = svg.replace(f'"#{old}"', f'"#{id_prefix}{old}"')
            svg = svg.replace(f"url(#{old})", f"url(#{id_prefix}{old})")
    if not standalone:
        start = svg.find("<svg")
        svg = svg[start:]
    return svg


def figure_to_png(fig: Figure, *, dpi: int = 150) -> bytes:
    """The figure as PNG bytes (Agg renderer), without timestamps in the metadata."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


__all__ = [
    "MAX_DENSE_WEIGHTS",
    "MAX_FOREST_ROWS",
    "RASTER_POINTS",
    "ForestStyle",
    "figure_to_png",
    "figure_to_svg",
    "forest_plot",
    "forest_plot_rows",
    "funnel_plot",
    "intercept_only",
    "observed",
    "pooled",
    "study_weights",
]
