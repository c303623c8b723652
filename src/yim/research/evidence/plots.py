"""The plots of the risk trajectories and the moderator analyses, as SVG text (matplotlib,
Agg, no pyplot state; the same input draws the same bytes)."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from yim.research.evidence.moderators import OutcomeModerators
from yim.research.evidence.risk import RiskResult


def risk_plot_svg(result: RiskResult, labels: Mapping[str, str] | None = None) -> str:
    """The model-based trajectories (lines) with the observed means (dots), one panel per
    domain that has a model, as SVG text (matplotlib, Agg; no pyplot state)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    fitted = [d for d in result.domains if d.trajectories]
    labels = labels or {}
    columns = 2 if len(fitted) > 1 else 1
    rows = max(1, math.ceil(len(fitted) / columns))
    figure = Figure(figsize=(4.2 * columns, 2.8 * rows))
    FigureCanvasSVG(figure)
    colours = {"jim": "#1b6e3c", "no_jim": "#8a4b08"}
    names = {"jim": _("with JIM"), "no_jim": _("without JIM")}
    if not fitted:
        figure.text(0.5, 0.5, _("No risk domain could be modelled."), ha="center")
    for index, fit in enumerate(fitted, start=1):
        axes = figure.add_subplot(rows, columns, index)
        for group in ("no_jim", "jim"):
            line = [p for p in fit.trajectories if p.group == group]
            axes.plot(
                [p.time for p in line],
                [p.mean for p in line],
                color=colours[group],
                label=names[group],
            )
            times, means = [], []
            for point in fit.observed:
                if point.group == group and point.mean is not None:
                    times.append(point.time)
                    means.append(point.mean)
            axes.scatter(times, means, color=colours[group], s=12)
        axes.set_title(labels.get(fit.domain, fit.domain), fontsize=9)
        axes.set_xlabel(_("years since referral"), fontsize=8)
        axes.set_ylabel(_("mean score"), fontsize=8)
        axes.tick_params(labelsize=7)
        if index == 1:
            axes.legend(fontsize=7)
    figure.tight_layout()
    out = io.StringIO()
    with _svg_settings():
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def _svg_settings() -> Any:
    import matplotlib

    # Fixed ids and no date: the same result gives the same bytes.
    return matplotlib.rc_context({"svg.hashsalt": "yim", "svg.fonttype": "none"})


def forest_plot_svg(outcome: OutcomeModerators, labels: Mapping[str, str] | None = None) -> str:
    """A forest-style plot of one outcome: per moderator its subgroups' ratios with 95% CI
    on a log axis, the test's Holm-corrected p beside the moderator's name (SVG text)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    labels = labels or {}
    rows: list[tuple[str, float | None, tuple[float, float] | None, bool]] = []
    for test in outcome.moderators:
        name = labels.get(test.moderator, test.moderator)
        if test.p_holm is not None:
            name += f"  (p Holm {test.p_holm:.3g})"
        rows.append((name, None, None, True))
        for sub in test.subgroups:
            rows.append((f"  {labels.get(sub.level, sub.level)}", sub.estimate, sub.ci, False))
    figure = Figure(figsize=(6.5, 0.28 * max(len(rows), 4) + 0.8))
    FigureCanvasSVG(figure)
    axes = figure.add_subplot(1, 1, 1)
    y = np.arange(len(rows))[::-1]
    for (_label, estimate, ci, header), position in zip(rows, y, strict=True):
        if header or estimate is None:
            continue
        if ci is not None:
            axes.plot(ci, [position, position], color="#333333", linewidth=1)
        axes.plot([estimate], [position], marker="s", color="#1b6e3c", markersize=5)
    axes.axvline(outcome.null, color="#888888", linewidth=0.8, linestyle="--")
    if outcome.null == 1.0:
        axes.set_xscale("log")
    axes.set_yticks(y)
    axes.set_yticklabels([r[0] for r in rows], fontsize=7)
    for tick, row in zip(axes.get_yticklabels(), rows, strict=True):
        if row[3]:
            tick.set_fontweight("bold")
    axes.set_xlabel(outcome.effect, fontsize=8)
    axes.set_title(outcome.title, fontsize=9)
    axes.tick_params(axis="x", labelsize=7)
    figure.tight_layout()
    out = io.StringIO()
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "yim", "svg.fonttype": "none"}):
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
