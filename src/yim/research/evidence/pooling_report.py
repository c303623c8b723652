"""The pooled evidence as JSON and as an HTML report with a forest plot per outcome (and, for
teams, caterpillar and funnel plots): :func:`report_json`, :func:`report_html`."""

from __future__ import annotations

import dataclasses
import html
from typing import Any

from django.utils.translation import gettext as _

from yim.research.evidence.file import (
    RISK_RATIO,
    SCALES,
)
from yim.research.evidence.pooling import PooledOutcome, PoolReport, back_transform

# --- output -------------------------------------------------------------------------------------


def report_json(report: PoolReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {
        "units_are": report.kind,
        "units": report.units,
        "min_units_for_heterogeneity": report.min_units,
        "keys_checked_against_list": report.keys_checked,
        "notes": report.notes,
        "outcomes": [
            {
                "key": o.key,
                "title": o.title,
                "kind": o.kind,
                "scale": SCALES[o.kind],
                "units": [
                    {"label": u.label, "estimate": u.estimate, "variance": u.variance, "n": u.n}
                    for u in o.used
                ],
                "withheld_units": o.withheld,
                "pooled": o.pooled or None,
                "note": o.note or None,
                "error": o.error,
            }
            for o in report.outcomes
        ],
    }


def _expit(values: Any) -> Any:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-np.asarray(values, dtype=np.float64)))


def _exp(values: Any) -> Any:
    import numpy as np

    return np.exp(np.asarray(values, dtype=np.float64))


def forest_svg(outcome: PooledOutcome, index: int, *, caterpillar: bool = False) -> str:
    """The outcome's forest plot as inline SVG (every unit with an estimate, and the pool);
    ``caterpillar`` orders the units by their estimate (for comparing teams)."""
    from yim.stats.meta.plots import figure_to_svg, forest_plot_rows, study_weights

    ratio = outcome.kind == RISK_RATIO
    result = outcome.result
    if not outcome.pooled.get("heterogeneity_shown"):
        # Below the minimum of units the prediction interval (it rests on τ²) is not shown:
        # the engine draws none for an equal-effects result; the estimate, its CI and the
        # weights stay those of the random-effects fit (they are read from beta, vcov, tau2).
        result = dataclasses.replace(result, estimator="EE")
    used = outcome.used
    weights, how = study_weights(outcome.result)
    order = list(range(len(used)))
    if caterpillar:
        order.sort(key=lambda i: float(used[i].estimate or 0.0))
    figure = forest_plot_rows(
        result,
        yi=[float(used[i].estimate or 0.0) for i in order],
        vi=[float(used[i].variance or 0.0) for i in order],
        weights=[float(weights[i]) for i in order],
        labels=[used[i].label for i in order],
        note=f"Weights: {how}." + (" Ordered by estimate." if caterpillar else ""),
        transform=_exp if ratio else _expit,
        xlabel=_("Risk ratio") if ratio else _("Proportion"),
        refline=1.0 if ratio else None,
        title=outcome.title,
    )
    return figure_to_svg(figure, id_prefix=f"o{index}-", standalone=False)


def funnel_svg(outcome: PooledOutcome, index: int) -> str:
    """The outcome's funnel plot (estimate against standard error, on the pooling scale)."""
    from yim.stats.meta.plots import figure_to_svg, funnel_plot

    scale = _("log risk ratio") if outcome.kind == RISK_RATIO else _("log odds")
    figure = funnel_plot(outcome.result, refline=outcome.pooled["estimate"], xlabel=scale)
    return figure_to_svg(figure, id_prefix=f"f{index}-", standalone=False)


def _interval(kind: str, bounds: list[float] | None) -> str:
    if not bounds:
        return "—"
    lo, hi = (back_transform(kind, b) for b in bounds)
    return f"{lo:.3f} – {hi:.3f}"


def pooled_rows(outcome: Any) -> list[tuple[str, str]]:
    """The pooled figures of one outcome as (label, value) rows: the estimate, its interval
    and k, and from the minimum number of units the prediction interval, τ², I² and Q."""
    p = outcome.pooled
    rows = [
        (_("Pooled estimate"), f"{p['back_transformed']['estimate']:.3f}"),
        (_("95% CI"), _interval(outcome.kind, p["ci"])),
        (_("Units (k)"), str(p["k"])),
    ]
    if p["heterogeneity_shown"]:
        rows += [
            (_("Prediction interval"), _interval(outcome.kind, p["prediction_interval"])),
            ("τ²", f"{p['tau2']:.4f}"),
            ("I²", f"{p['i2']:.1f}%"),
            ("Q", f"{p['q']:.2f} (df {p['q_df']}, p {p['q_p']:.3g})"),
        ]
    return rows


def report_html(report: PoolReport) -> str:
    """A self-contained HTML page: notes, the units, and per outcome the pooled figures and
    a forest plot."""
    esc = html.escape
    title = (
        _("Evidence pooled across organisations")
        if report.kind == "organisations"
        else _("Teams compared")
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;"
        "text-align:left}.note{background:#fff5d6;padding:.5rem}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    parts += [f'<p class="note">{esc(note)}</p>' for note in report.notes]
    parts.append("<h2>" + esc(_("Units")) + "</h2><table><tr>")
    columns = [
        c
        for c in ("label", "as_of", "fingerprint", "trusted_as")
        if report.units and c in report.units[0]
    ]
    headers = {
        "label": _("Organisation") if report.kind == "organisations" else _("Team"),
        "as_of": "as_of",
        "fingerprint": _("Key fingerprint"),
        "trusted_as": _("Trusted as"),
    }
    parts += [f"<th>{esc(headers[c])}</th>" for c in columns]
    parts.append("</tr>")
    for unit in report.units:
        cells = "".join(f"<td>{esc(str(unit.get(c) or '—'))}</td>" for c in columns)
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</table>")
    for index, o in enumerate(report.outcomes, start=1):
        parts.append(f'<section id="{esc(o.key)}"><h2>{esc(o.title)}</h2>')
        if o.withheld:
            parts.append(
                "<p>"
                + esc(
                    _("Withheld (small cells or no data): %(units)s.")
                    % {"units": ", ".join(o.withheld)}
                )
                + "</p>"
            )
        if o.error:
            parts.append(f"<p>{esc(o.error)}</p></section>")
            continue
        p = o.pooled
        rows = pooled_rows(o)
        parts.append("<table>")
        parts += [f"<tr><th>{esc(a)}</th><td>{esc(b)}</td></tr>" for a, b in rows]
        parts.append("</table>")
        if o.note:
            parts.append(f"<p>{esc(o.note)}</p>")
        teams = report.kind == "teams"
        parts.append(f"<figure>{forest_svg(o, index, caterpillar=teams)}</figure>")
        if teams and p["heterogeneity_shown"]:
            parts.append(f"<figure>{funnel_svg(o, index)}</figure>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
