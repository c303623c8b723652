"""The plots of the risk trajectories and the moderator analyses, as SVG text (matplotlib,
Agg, no pyplot state; the same input draws the same bytes)."""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Mapping
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from yim.research.evidence.moderators import OutcomeModerators
from yim.research.evidence.risk import RiskResult

#: The text size of the plots in points: about 11 px where a 390 px phone shows them.
FONT = 10


def risk_plot_svg(result: RiskResult, labels: Mapping[str, str] | None = None) -> str:
    """The model-based trajectories (lines) with the observed means (dots) of each domain that
    has a model, as SVG text (matplotlib, Agg; no pyplot state): one small SVG per domain in
    a ``<div class="chart-panels">``, so the panels stand side by side on a wide screen and one
    under the other on a phone, with text that stays readable there (about 11 px at 390 px)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    fitted = [d for d in result.domains if d.trajectories]
    labels = labels or {}
    if not fitted:
        figure = Figure(figsize=(3.6, 0.6))
        FigureCanvasSVG(figure)
        figure.text(0.5, 0.5, _("No risk domain could be modelled."), ha="center", fontsize=FONT)
        return _svg_text(figure)
    colours = {"jim": "#1b6e3c", "no_jim": "#8a4b08"}
    names = {"jim": _("with JIM"), "no_jim": _("without JIM")}
    panels = []
    for index, fit in enumerate(fitted):
        figure = Figure(figsize=(3.6, 2.6))
        FigureCanvasSVG(figure)
        axes = figure.add_subplot(1, 1, 1)
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
        axes.set_title(labels.get(fit.domain, fit.domain), fontsize=FONT + 1)
        axes.set_xlabel(_("years since referral"), fontsize=FONT)
        axes.set_ylabel(_("mean score"), fontsize=FONT)
        axes.tick_params(labelsize=FONT)
        axes.locator_params(axis="both", nbins=5)
        if index == 0:
            axes.legend(fontsize=FONT)
        figure.tight_layout(pad=0.3)
        svg = _svg_text(figure, id_prefix=f"risk{index}-")
        panels.append(svg[svg.index("<svg") :].strip())  # inline: no XML prologue
    return '<div class="chart-panels">' + "".join(panels) + "</div>"


def _svg_text(figure: Any, *, id_prefix: str = "") -> str:
    """The figure as SVG text; ``id_prefix`` keeps the ids of several figures on one page
    apart (the fixed hash salt gives panels of the same size the same clip-path ids)."""
    out = io.StringIO()
    with _svg_settings():
        figure.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    if id_prefix:
        for old in sorted(set(re.findall(r'\sid="([^"]+)"', svg)), key=len, reverse=True):
            svg = svg.replace(f'id="{old}"', f'id="{id_prefix}{old}"')
            svg = svg.replace(f'"#{old}"', f'"#{id_prefix}{old}"')
            svg = svg.replace(f"url(#{old})", f"url(#{id_prefix}{old})")
    return svg


def _svg_settings() -> Any:
    import matplotlib

    # Fixed ids and no date: the same result gives the same bytes.
    return matplotlib.rc_context({"svg.hashsalt": "yim", "svg.fonttype": "none"})


def forest_plot_svg(
    outcome: OutcomeModerators,
    labels: Mapping[str, str] | None = None,
    levels: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """A forest-style plot of one outcome: per moderator its subgroups' ratios with 95% CI
    on a log axis, the test's Holm-corrected p beside the moderator's name (SVG text).
    ``labels`` name the moderators, ``levels`` each moderator's levels (codes otherwise).

    Sized for a phone (text about 11 px in a 390 px screen's box): the moderators' names head
    their rows inside the plot, so the left margin holds only the short subgroup names; the
    ratio axis is labelled in plain numbers and its title wraps."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    labels, levels = labels or {}, levels or {}
    rows: list[tuple[str, float | None, tuple[float, float] | None, bool]] = []
    for test in outcome.moderators:
        name = labels.get(test.moderator, test.moderator)
        if test.p_holm is not None:
            name += f" (p Holm {test.p_holm:.3g})"
        rows.append((name, None, None, True))
        named = levels.get(test.moderator, {})
        for sub in test.subgroups:
            rows.append((named.get(sub.level, sub.level), sub.estimate, sub.ci, False))
    figure = Figure(figsize=(4.4, 0.36 * max(len(rows), 4) + 1.3))
    FigureCanvasSVG(figure)
    axes = figure.add_subplot(1, 1, 1)
    y = np.arange(len(rows))[::-1]
    for (label, estimate, ci, header), position in zip(rows, y, strict=True):
        if header:
            axes.text(
                0.01,
                position,
                label,
                transform=axes.get_yaxis_transform(),
                fontsize=FONT,
                fontweight="bold",
                va="center",
            )
            continue
        if estimate is None:
            continue
        if ci is not None:
            axes.plot(ci, [position, position], color="#333333", linewidth=1)
        axes.plot([estimate], [position], marker="s", color="#1b6e3c", markersize=5)
    axes.axvline(outcome.null, color="#888888", linewidth=0.8, linestyle="--")
    if outcome.null == 1.0:
        axes.set_xscale("log")
        axes.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
        axes.xaxis.set_minor_formatter(NullFormatter())
    ticks = [(position, row[0]) for row, position in zip(rows, y, strict=True) if not row[3]]
    axes.set_yticks([t[0] for t in ticks])
    axes.set_yticklabels([t[1] for t in ticks], fontsize=FONT)
    axes.set_ylim(-0.7, len(rows) - 0.3)
    axes.set_xlabel(textwrap.fill(outcome.effect, 44), fontsize=FONT)
    axes.set_title(textwrap.fill(outcome.title, 40), fontsize=FONT + 1)
    axes.tick_params(axis="x", labelsize=FONT)
    figure.tight_layout(pad=0.3)
    return _svg_text(figure)
