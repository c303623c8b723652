"""The "love plot" of a comparison study: per covariate (per level) the absolute
standardised mean difference before and after the ATT weighting, with the 0.1 line of
balance (SVG text; matplotlib, Agg, no pyplot state; the same input draws the same bytes).
Sized for a phone: text about 11 px in a 390 px screen's box, long covariate names wrapped."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from yim.stats.balance import BALANCED_BELOW

#: The text size in points: about 11 px where a 390 px phone shows the plot.
FONT = 10


def love_plot_svg(
    baseline: list[dict[str, Any]],
    labels: Mapping[str, str] | None = None,
    levels: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """``baseline``: the rows of ``ComparisonResult.to_json_dict()["baseline"]``; ``labels``
    name the covariates, ``levels`` each covariate's levels (codes otherwise). A row whose
    SMD is undefined (no overlap at all) is drawn at the right edge; withheld rows (small
    cells) are left out."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    labels, levels = labels or {}, levels or {}
    baseline = [r for r in baseline if not r.get("suppressed")]
    names = [
        labels.get(r["covariate"], r["covariate"])
        + (f": {levels.get(r['covariate'], {}).get(r['level'], r['level'])}" if r["level"] else "")
        for r in baseline
    ]
    before = [abs(r["smd"]) if r["smd"] is not None else None for r in baseline]
    after = [abs(r["weighted_smd"]) if r["weighted_smd"] is not None else None for r in baseline]
    known = [v for v in before + after if v is not None]
    edge = max([*known, 2 * BALANCED_BELOW]) * 1.05
    names = [textwrap.fill(name, 24) for name in names]
    lines = sum(name.count("\n") + 1 for name in names)
    figure = Figure(figsize=(4.4, 0.2 * max(lines, 4) + 0.16 * len(names) + 1.5))
    FigureCanvasSVG(figure)
    axes = figure.add_subplot(1, 1, 1)
    y = np.arange(len(baseline))[::-1]
    for values, marker, colour, label in (
        (before, "o", "#8a4b08", _("before weighting")),
        (after, "s", "#1b6e3c", _("after weighting (ATT)")),
    ):
        shown = [(v if v is not None else edge, p) for v, p in zip(values, y, strict=True)]
        axes.scatter([s[0] for s in shown], [s[1] for s in shown], marker=marker,
                     color=colour, s=22, label=label)  # fmt: skip
    axes.axvline(BALANCED_BELOW, color="#888888", linewidth=0.8, linestyle="--")
    axes.set_yticks(y)
    axes.set_yticklabels(names, fontsize=FONT)
    axes.set_xlim(0, edge * 1.05)
    axes.set_xlabel(textwrap.fill(_("absolute standardised mean difference"), 28), fontsize=FONT)
    axes.tick_params(axis="x", labelsize=FONT)
    axes.locator_params(axis="x", nbins=4)
    # above the plot, so it never covers a point
    axes.legend(fontsize=FONT, loc="lower left", bbox_to_anchor=(0.0, 1.0), frameon=False)
    figure.tight_layout(pad=0.3)
    out = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "yim", "svg.fonttype": "none"}):
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
