"""APA-style result tables of a meta-analysis, as pandas DataFrames and as HTML.

The DataFrames hold plain numbers (for further processing or export); :func:`table_to_html`
formats them the APA way (7th edition): numbered, italic title, p-values without a leading
zero and "< .001" below .001, two or three decimals, a dash for values that do not exist,
and a general note under the table. All text, including names taken from the data
(moderator levels, level names), is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from yim.stats.meta._profile import typical_variance_aw
from yim.stats.meta.multilevel_result import MultilevelResult
from yim.stats.meta.twolevel_result import TwoLevelResult

Result = TwoLevelResult | MultilevelResult
Transform = Callable[[NDArray[np.float64]], NDArray[np.float64]]

DASH = "—"


def format_p(p: float | None) -> str:
    """APA p-value: ".034", "< .001"; no leading zero, three decimals."""
    if p is None or not math.isfinite(p):
        return DASH
    if p < 0.001:
        return "< .001"
    text = f"{p:.3f}"
    return text[1:] if text.startswith("0") else text


def format_number(value: float | None, digits: int = 2) -> str:
    """A number with ``digits`` decimals; a dash for missing or non-finite values."""
    if value is None or not math.isfinite(value):
        return DASH
    text = f"{value:.{digits}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]
    return text


def format_df(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return DASH
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


# --- tables -------------------------------------------------------------------------------------


def coefficient_table(result: Result) -> pd.DataFrame:
    """Coefficients: estimate, SE, test statistic (z or t), df, p and the CI bounds."""
    rows = []
    for c in result.coefficients:
        rows.append(
            {
                "Term": c.name,
                "Estimate": c.estimate,
                "SE": c.se,
                "z" if c.df is None else "t": c.statistic,
                "df": np.nan if c.df is None else c.df,
                "p": c.pval,
                "CI lower": c.ci_lb,
                "CI upper": c.ci_ub,
            }
        )
    return pd.DataFrame(rows)


def heterogeneity_table(result: Result) -> pd.DataFrame:
    """Residual heterogeneity (Q_E test) and, for two-level fits, tau², tau, I² and H²."""
    h = result.heterogeneity
    rows: list[dict[str, object]] = [
        {"Statistic": "Q_E", "Value": h.QE, "df": float(h.QE_df), "p": h.QE_pval},
    ]
    if isinstance(result, TwoLevelResult):
        if not result.equal_effects:
            vc = result.variance_components[0] if result.variance_components else None
            rows.append(
                {
                    "Statistic": "τ²",
                    "Value": result.tau2,
                    "CI lower": None if vc is None else vc.ci_lb,
                    "CI upper": None if vc is None else vc.ci_ub,
                }
            )
            rows.append({"Statistic": "τ", "Value": math.sqrt(result.tau2)})
        rows.append({"Statistic": "I² (%)", "Value": result.heterogeneity.I2})
        rows.append({"Statistic": "H²", "Value": result.heterogeneity.H2})
        if result.pseudo_r2 is not None:
            rows.append({"Statistic": "R² (%)", "Value": result.pseudo_r2})
    else:
        mh = result.heterogeneity
        rows.append({"Statistic": "I² total, P-matrix (%)", "Value": mh.i2_pmatrix_total})
        rows.append({"Statistic": "Sampling variance, AW (%)", "Value": mh.i2_aw_sampling})
    frame = pd.DataFrame(rows)
    for col in ("Value", "df", "p", "CI lower", "CI upper"):
        if col not in frame.columns:
            frame[col] = np.nan
    return frame[["Statistic", "Value", "CI lower", "CI upper", "df", "p"]].astype(
        {"Value": float, "CI lower": float, "CI upper": float, "df": float, "p": float}
    )


def variance_table(result: Result) -> pd.DataFrame:
    """Variance per level.

    Multilevel: one row per σ² with its profile-likelihood CI, the number of groups, the
    share of total variance by the Assink–Wibbelink formula and by metafor's P-matrix
    formula, and the likelihood-ratio test of σ² = 0 (χ²(1) p and the halved, one-sided p).
    The first row is level 1 (sampling variance; AW share only). Two-level: the sampling
    variance and τ² rows with I².
    """
    if isinstance(result, TwoLevelResult):
        tau2 = 0.0 if result.equal_effects else result.tau2
        s2_aw = typical_variance_aw(np.asarray(result.vi))
        rows: list[dict[str, object]] = [
            {
                "Level": "Sampling variance (level 1)",
                "Variance": s2_aw,
                "% of total (AW)": 100.0 * s2_aw / (s2_aw + tau2),
            },
        ]
        if not result.equal_effects:
            rows.append(
                {
                    "Level": "Between studies (τ²)",
                    "Variance": tau2,
                    "I² P-matrix (%)": result.heterogeneity.I2,
                    "% of total (AW)": 100.0 * tau2 / (s2_aw + tau2),
                }
            )
        frame = pd.DataFrame(rows)
    else:
        h = result.heterogeneity
        lrt = {t.level: t for t in result.lrt}
        rows = [
            {
                "Level": "Sampling variance (level 1)",
                "Variance": h.typical_v_aw,
                "% of total (AW)": h.i2_aw_sampling,
            }
        ]
        for i, vc in enumerate(result.variance_components):
            test = lrt.get(vc.name)
            rows.append(
                {
                    "Level": vc.name,
                    "Variance": vc.value,
                    "CI lower": vc.ci_lb,
                    "CI upper": vc.ci_ub,
                    "Groups": float(result.n_groups[i]),
                    "% of total (AW)": h.i2_aw[i],
                    "I² P-matrix (%)": h.i2_pmatrix[i],
                    "LRT χ²(1)": None if test is None else test.statistic,
                    "p": None if test is None else test.pval,
                    "p one-sided": None if test is None else test.pval_half,
                }
            )
        frame = pd.DataFrame(rows)
    columns = [
        "Level",
        "Variance",
        "CI lower",
        "CI upper",
        "Groups",
        "% of total (AW)",
        "I² P-matrix (%)",
        "LRT χ²(1)",
        "p",
        "p one-sided",
    ]
    for col in columns:
        if col not in frame.columns:
            frame[col] = np.nan
    frame = frame[columns]
    numeric = {c: float for c in columns if c != "Level"}
    return frame.astype(numeric)


def moderator_table(result: Result) -> pd.DataFrame:
    """The omnibus moderator test (QM as χ² or F); empty for intercept-only models."""
    mt = result.moderator_test
    if mt is None:
        return pd.DataFrame(columns=["Test", "Statistic", "df1", "df2", "p"])
    name = "F" if mt.test == "F" else "QM (χ²)"
    return pd.DataFrame(
        [
            {
                "Test": name,
                "Statistic": mt.statistic,
                "df1": mt.df1,
                "df2": np.nan if mt.df2 is None else mt.df2,
                "p": mt.pval,
            }
        ]
    )


# --- HTML ---------------------------------------------------------------------------------------


def _cell(column: str, value: object, digits: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        x = float(value)
        if column == "p" or column.startswith("p "):
            return format_p(x)
        if column in ("df", "df1", "df2", "Groups", "k"):
            return format_df(x)
        if "%" in column:
            return format_number(x, 1)
        return format_number(x, digits)
    return str(value)


def table_to_html(
    frame: pd.DataFrame,
    *,
    number: int,
    title: str,
    note: str | None = None,
    digits: int = 3,
    formats: Mapping[str, Callable[[object], str]] | None = None,
) -> str:
    """An APA-style HTML table: "Table n" in bold, the title in italics, horizontal rules
    only (styled by the ``apa`` class), and an optional note. Every cell (also the output
    of ``formats``, which return plain text) is escaped."""
    formats = formats or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for col in frame.columns:
            value = row[col]
            raw = formats[col](value) if col in formats else _cell(str(col), value, digits)
            text = html.escape(raw)
            cls = "" if isinstance(value, str) else ' class="num"'
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    parts = [
        '<table class="apa">',
        f"<caption><strong>Table {number}</strong><br><em>{html.escape(title)}</em></caption>",
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>" + "".join(body) + "</tbody>",
        "</table>",
    ]
    if note:
        parts.append(f'<p class="table-note"><em>Note.</em> {html.escape(note)}</p>')
    return "\n".join(parts)


__all__ = [
    "coefficient_table",
    "format_number",
    "format_p",
    "heterogeneity_table",
    "moderator_table",
    "table_to_html",
    "variance_table",
]
