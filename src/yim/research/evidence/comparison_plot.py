"""The "love plot" of a comparison study: per covariate (per level) the absolute
standardised mean difference before and after the ATT weighting, with the 0.1 line of
balance (SVG text; matplotlib, Agg, no pyplot state; the same input draws the same bytes)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from yim.stats.balance import BALANCED_BELOW


def love_plot_svg(baseline: list[dict[str, Any]], labels: Mapping[str, str] | None = None) -> str:
    """``baseline``: the rows of ``ComparisonResult.to_json_dict()["baseline"]``. A row whose
    SMD is undefined (no overlap at all) is drawn at the right edge; withheld rows (small
    cells) are left out."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    labels = labels or {}
    baseline = [r for r in baseline if not r.get("suppressed")]
    names = [
        labels.get(r["covariate"], r["covariate"]) + (f": {r['level']}" if r["level"] else "")
        for r in baseline
    ]
    before = [abs(r["smd"]) if r["smd"] is not None else None for r in baseline]
    after = [abs(r["weighted_smd"]) if r["weighted_smd"] is not None else None for r in baseline]
    known = [v for v in before + after if v is not None]
    edge = max([*known, 2 * BALANCED_BELOW]) * 1.05
    figure = Figure(figsize=(6.0, 0.3 * max(len(baseline), 4) + 1.0))
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
    axes.set_yticklabels(names, fontsize=7)
    axes.set_xlim(0, edge * 1.05)
    axes.set_xlabel(_("absolute standardised mean difference"), fontsize=8)
    axes.tick_params(axis="x", labelsize=7)
    axes.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    out = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "yim", "svg.fonttype": "none"}):
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
