"""A fitted meta-analysis as one self-contained HTML report.

:func:`render_html` writes inline CSS and inline SVG plots, no JavaScript and no external
URLs, with every text taken from the data HTML-escaped. The report stays readable and small
at any k: beyond :data:`~yim.stats.meta.fitted.MAX_FOREST_ROWS` effect sizes the forest plot
shows studies aggregated from their effect sizes, or the most influential ones, with a note
(:mod:`yim.stats.meta.forest_summary`); a funnel plot of many points embeds them as one image;
lists of left-out rows are cut short (the JSON output has them all).

The report is in English on purpose: it is meant for the research community and for
manuscripts, unlike the platform's Dutch user interface.
"""

from __future__ import annotations

import html
import re
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from yim.stats.meta import tables
from yim.stats.meta.conversions import z_to_r
from yim.stats.meta.dataset import PreparedData, moderator_columns
from yim.stats.meta.fitted import MAX_FOREST_ROWS, intercept_only
from yim.stats.meta.fitting import BiasOutcome, MetaFit, run_bias_tests
from yim.stats.meta.forest_summary import forest_rows
from yim.stats.meta.multilevel_result import MultilevelResult
from yim.stats.meta.report_json import clean, pooled

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MEASURE_NAMES = {
    "ZCOR": "Fisher's z-transformed correlation (ZCOR), v = 1/(n − 3)",
    "COR": "raw correlation (COR), v = (1 − r²)²/(n − 1)",
    "GEN": "effect sizes and sampling variances as given (yi, vi)",
}
MAX_LISTED_PROBLEMS = 100
"""Left-out rows listed in the report; the JSON output lists every one."""

_CSS = """
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1a1a1a;
       max-width: 64rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
table.apa { border-collapse: collapse; margin: 1rem 0 .3rem; font-size: .92rem; }
table.apa caption { text-align: left; padding-bottom: .4rem; }
table.apa thead th { border-top: 2px solid #000; border-bottom: 1px solid #000;
                     padding: .25rem .6rem; text-align: left; font-weight: normal; }
table.apa td { padding: .2rem .6rem; }
table.apa td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.apa tbody tr:last-child td { border-bottom: 2px solid #000; }
.table-note { font-size: .85rem; margin-top: 0; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
.figure svg { max-width: 100%; height: auto; }
.notice { background: #fff6db; border-left: 4px solid #d9a400; padding: .4rem .8rem; }
footer { margin-top: 3rem; font-size: .8rem; color: #555; }
"""

_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


def _svg_inline(fig: Figure, prefix: str) -> str:
    from yim.stats.meta import plots  # matplotlib only when a report is drawn

    svg = plots.figure_to_svg(fig, id_prefix=prefix, standalone=False)
    return _METADATA.sub("", svg)


def _facts(items: list[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in items)
    return f'<dl class="facts">{rows}</dl>'


def _num(x: float | None, digits: int = 4) -> str:
    return tables.format_number(x, digits)


def _subgroups(prep: PreparedData) -> tuple[str, list[str]] | None:
    """A single categorical moderator gives the forest plot's subgroups."""
    if prep.mods is None:
        return None
    cols = moderator_columns(prep.mods)
    if len(cols) != 1:
        return None
    col = cols[0]
    series = prep.frame[col]
    forced = re.search(rf"(factor|C)\(\s*{re.escape(col)}\s*\)", prep.mods) is not None
    if (
        not forced
        and pd.api.types.is_numeric_dtype(series)
        and not pd.api.types.is_bool_dtype(series)
    ):
        return None
    return col, [str(v) for v in series]


def _data_section(prep: PreparedData) -> str:
    items = [
        ("Effect sizes (k)", str(prep.k)),
        ("Studies", "—" if prep.n_studies is None else str(prep.n_studies)),
        ("Effect-size measure", MEASURE_NAMES.get(prep.measure, prep.measure)),
        ("Spreadsheet rows", f"{min(prep.rows)}–{max(prep.rows)}"),
    ]
    if prep.dropped:
        items.append(("Rows left out (problems in their cells)", str(len(prep.dropped_rows))))
    items += [(f"Column for {role}", col) for role, col in prep.columns.items()]
    if prep.random:
        items.append(("Nesting (random effects)", prep.random))
    if prep.mods:
        items.append(("Moderators", prep.mods))
    yi, vi = np.asarray(prep.yi), np.asarray(prep.vi)
    summary = pd.DataFrame(
        [
            {
                "Quantity": "Effect size (yi)",
                "Min": yi.min(),
                "Median": float(np.median(yi)),
                "Max": yi.max(),
            },
            {
                "Quantity": "Sampling variance (vi)",
                "Min": vi.min(),
                "Median": float(np.median(vi)),
                "Max": vi.max(),
            },
        ]
    )
    notes = "".join(f'<p class="notice">{html.escape(n)}</p>' for n in prep.notes)
    return (
        _facts(items)
        + tables.table_to_html(summary, number=1, title="Distribution of the input", digits=4)
        + notes
        + _dropped_list(prep)
    )


def _dropped_list(prep: PreparedData) -> str:
    if not prep.dropped:
        return ""
    shown = prep.dropped[:MAX_LISTED_PROBLEMS]
    items = "".join(f"<li>{html.escape(str(p))}</li>" for p in shown)
    more = len(prep.dropped) - len(shown)
    tail = (
        f"<p>… and {more} more problems (the JSON output lists every one).</p>" if more > 0 else ""
    )
    return f'<p>Rows left out:</p><ul class="dropped">{items}</ul>{tail}'


def _bias_value(key: str, value: Any) -> str | None:
    if isinstance(value, dict) and "estimate" in value and "ci_lb" in value:
        return f"{_num(value['estimate'])} [{_num(value['ci_lb'])}, {_num(value['ci_ub'])}]" + (
            "" if value.get("pval") is None else f", p = {tables.format_p(value['pval'])}"
        )
    if isinstance(value, (dict, list)):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "pval" in key or key.startswith("p_"):
            return tables.format_p(float(value))
        if key in ("df", "k", "k0", "fsnum", "k_observed"):
            return tables.format_df(float(value))
        return _num(float(value))
    return str(value)


_BIAS_HIDDEN = ("name", "statistic_label", "coefficient", "heterogeneity", "notes")


def _bias_section(outcomes: list[BiasOutcome]) -> str:
    parts = []
    for outcome in outcomes:
        name = html.escape(outcome.name)
        if outcome.status != "ok":
            parts.append(
                f"<li><strong>{name}</strong>: {html.escape(outcome.status)}"
                + (f" — {html.escape(outcome.message)}" if outcome.message else "")
                + "</li>"
            )
            continue
        result = clean(outcome.value.to_dict())
        shown = []
        for key, value in result.items():
            if value is None or key in _BIAS_HIDDEN:
                continue
            if key == "statistic" and "statistic_label" in result:
                key = str(result["statistic_label"])
            text = _bias_value(str(key), value)
            if text is not None:
                shown.append(f"{html.escape(str(key))} = {html.escape(text)}")
        parts.append(f"<li><strong>{name}</strong>: {'; '.join(shown)}</li>")
    return '<ul class="bias">' + "".join(parts) + "</ul>"


def _imputed(outcomes: list[BiasOutcome]) -> tuple[list[float], list[float]] | None:
    """The studies filled in by trim-and-fill, for the funnel plot."""
    for outcome in outcomes:
        value = outcome.value
        if outcome.status == "ok" and hasattr(value, "filled") and int(value.k0) > 0:
            mask = np.asarray(value.filled, dtype=bool)
            return (
                np.asarray(value.yi)[mask].tolist(),
                np.asarray(value.vi)[mask].tolist(),
            )
    return None


def render_html(fit: MetaFit, *, title: str = "Meta-analysis report") -> str:
    """The full report as one self-contained HTML document (English; see module docstring)."""
    from yim.stats.meta import plots  # matplotlib only when a report is drawn

    res = fit.result
    prep = fit.prepared
    esc = html.escape
    table_no = 2
    sections: list[str] = []

    sections.append("<h2>1. Data</h2>" + _data_section(prep))

    # model and method choices
    choices = [(line.split(": ", 1)[0], line.split(": ", 1)[-1]) for line in res.method.lines()]
    choices.insert(0, ("Model family", fit.kind))
    choices.append(("Confidence level", f"{res.level:g}"))
    if isinstance(res, MultilevelResult):
        choices.append(("Optimiser iterations", str(res.iterations)))
    sections.append("<h2>2. Model and method choices</h2>" + _facts(choices))

    # coefficients
    coef = tables.coefficient_table(res)
    note = (
        "Estimates on the analysis scale"
        + (" (Fisher's z)." if prep.measure == "ZCOR" else ".")
        + (
            " Tests use the t distribution."
            if res.coefficients[0].df is not None
            else " Tests use the normal distribution."
        )
    )
    coef_html = tables.table_to_html(
        coef, number=table_no, title="Model coefficients", note=note, digits=4
    )
    table_no += 1
    pool = pooled(fit)
    pooled_html = ""
    if pool is not None:
        lvl = f"{100 * res.level:g}%"
        text = (
            f"Pooled estimate{' (intercept-only model)' if fit.has_moderators else ''}: "
            f"{_num(pool['estimate'])}, {lvl} CI [{_num(pool['ci_lb'])}, "
            f"{_num(pool['ci_ub'])}], {lvl} prediction interval [{_num(pool['pi_lb'])}, "
            f"{_num(pool['pi_ub'])}]."
        )
        if "r" in pool:
            r = pool["r"]
            text += (
                f" Back-transformed to r: {_num(r['estimate'])}, CI [{_num(r['ci_lb'])}, "
                f"{_num(r['ci_ub'])}], prediction interval [{_num(r['pi_lb'])}, "
                f"{_num(r['pi_ub'])}]."
            )
        pooled_html = f'<p class="pooled">{esc(text)}</p>'
    sections.append("<h2>3. Coefficients</h2>" + coef_html + pooled_html)

    # heterogeneity and variance per level
    het_html = tables.table_to_html(
        tables.heterogeneity_table(res),
        number=table_no,
        title="Residual heterogeneity",
        digits=4,
    )
    table_no += 1
    var_note = (
        "AW: share of the total variance by the Assink & Wibbelink (2016) / Cheung (2014) "
        "formula with the typical within-study variance; P-matrix: metafor's I² per level, "
        "σ²/(Σσ² + (k − p)/tr(P)). The two agree for intercept-only models. LRT: likelihood-"
        "ratio test of σ² = 0; the χ²(1) p-value and the halved (one-sided) p-value."
        if isinstance(res, MultilevelResult)
        else "I² = τ²/(τ² + s²) with the typical sampling variance s² = (k − p)/tr(P), as "
        "metafor; it depends on the τ² estimator."
    )
    var_html = tables.table_to_html(
        tables.variance_table(res),
        number=table_no,
        title="Variance per level",
        note=var_note,
        digits=4,
    )
    table_no += 1
    sections.append("<h2>4. Heterogeneity and variance per level</h2>" + het_html + var_html)

    # moderators
    if res.moderator_test is None:
        mod_html = "<p>No moderators: the model is intercept-only.</p>"
    else:
        mod_html = tables.table_to_html(
            tables.moderator_table(res),
            number=table_no,
            title="Omnibus test of moderators",
            note=f"Moderators: {prep.mods}.",
            digits=4,
        )
        table_no += 1
    sections.append("<h2>5. Moderator test</h2>" + mod_html)

    # plots
    transform = z_to_r if prep.measure == "ZCOR" else None
    xlabel = "Correlation (r)" if prep.measure in ("ZCOR", "COR") else "Effect size"
    figures = []
    if prep.k <= MAX_FOREST_ROWS:
        sub = _subgroups(prep)
        forest = plots.forest_plot(
            fit.overall,
            labels=prep.labels,
            subgroups=None if sub is None else sub[1],
            transform=transform,
            xlabel=xlabel,
        )
        caption = "Forest plot"
        if fit.has_moderators:
            caption += " of the intercept-only model"
        if sub is not None:
            caption += f", grouped by {sub[0]}"
    else:
        rows = forest_rows(fit)
        forest = plots.forest_plot_rows(
            fit.overall,
            yi=rows.yi,
            vi=rows.vi,
            weights=rows.weights,
            labels=rows.labels,
            note=rows.note,
            transform=transform,
            xlabel=xlabel,
        )
        caption = rows.caption
        if fit.has_moderators:
            caption += ", from the intercept-only model"
    if transform is not None:
        caption += " (estimates back-transformed from Fisher's z to r)"
    figures.append(
        f'<figure class="figure" id="forest">{_svg_inline(forest, "forest-")}'
        f"<figcaption>{esc(caption)}.</figcaption></figure>"
    )
    outcomes = run_bias_tests(fit)
    imputed = _imputed(outcomes) if intercept_only(res) else None
    funnel = plots.funnel_plot(res, imputed=imputed)
    funnel_caption = (
        "Contour-enhanced funnel plot (analysis scale"
        + ("; residuals of the meta-regression" if not intercept_only(res) else "")
        + "). Shaded bands: two-sided p-value regions against 0; dashed lines: pseudo 95% "
        "confidence region around the model estimate"
        + ("; open circles: studies filled in by trim-and-fill" if imputed else "")
        + "."
    )
    figures.append(
        f'<figure class="figure" id="funnel">{_svg_inline(funnel, "funnel-")}'
        f"<figcaption>{esc(funnel_caption)}</figcaption></figure>"
    )
    sections.append("<h2>6. Plots</h2>" + "".join(figures))

    sections.append("<h2>7. Publication bias</h2>" + _bias_section(outcomes))

    body = "\n".join(f"<section>{s}</section>" for s in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n"
        f"<p>{esc(fit.kind.capitalize())} meta-analysis of {prep.k} effect sizes"
        + ("" if prep.n_studies is None else f" from {prep.n_studies} studies")
        + ".</p>\n"
        + body
        + f"\n<footer>Generated by yim {esc(_version())} (yim.stats.meta). Method choices "
        "are listed in section 2 so the analysis can be reproduced, e.g. with R metafor."
        "</footer>\n</body>\n</html>\n"
    )


def _version() -> str:
    try:
        return metadata.version("yim")
    except metadata.PackageNotFoundError:
        return "(version unknown)"


__all__ = ["MEASURE_NAMES", "render_html"]
