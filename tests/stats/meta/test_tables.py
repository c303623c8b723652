"""APA-style tables: numbers taken from the fit, APA formatting, escaping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yim.stats.meta import tables
from yim.stats.meta.dataset import load_table, prepare
from yim.stats.meta.multilevel import MultilevelModel
from yim.stats.meta.twolevel import RandomEffectsModel

from ._reference import REFERENCE


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0004, "< .001"),
        (0.001, ".001"),
        (0.0341, ".034"),
        (0.5, ".500"),
        (1.0, "1.000"),
        (float("nan"), "—"),
        (None, "—"),
    ],
)
def test_p_values_follow_apa_style(p: float | None, text: str) -> None:
    assert tables.format_p(p) == text


def test_negative_zero_is_printed_without_a_sign() -> None:
    assert tables.format_number(-0.00001, 2) == "0.00"
    assert tables.format_number(-0.256, 2) == "-0.26"


def test_coefficient_table_holds_the_fitted_numbers() -> None:
    frame = load_table(REFERENCE / "molloy2014.csv")
    prepared = prepare(frame, r="ri", n="ni", study="authors", mods="factor(design)")
    result = RandomEffectsModel("REML", "knha").fit(
        prepared.yi, prepared.vi, prepared.X, prepared.coef_names
    )
    table = tables.coefficient_table(result)
    assert list(table["Term"]) == [c.name for c in result.coefficients]
    np.testing.assert_allclose(table["Estimate"], [c.estimate for c in result.coefficients])
    np.testing.assert_allclose(table["t"], [c.statistic for c in result.coefficients])
    np.testing.assert_allclose(table["CI upper"], [c.ci_ub for c in result.coefficients])
    moderators = tables.moderator_table(result)
    assert result.moderator_test is not None
    assert moderators.loc[0, "p"] == pytest.approx(result.moderator_test.pval)


def test_multilevel_variance_table_has_both_i2_formulas_and_the_lrt() -> None:
    frame = load_table(REFERENCE / "konstantopoulos2011.csv")
    prepared = prepare(frame, yi="yi", vi="vi", random="district/school")
    result = MultilevelModel("REML").fit(prepared.yi, prepared.vi, prepared.groups)
    table = tables.variance_table(result)
    assert list(table["Level"]) == ["Sampling variance (level 1)", "district", "district/school"]
    assert table["% of total (AW)"].sum() == pytest.approx(100.0)
    h = result.heterogeneity
    np.testing.assert_allclose(table["I² P-matrix (%)"].iloc[1:], h.i2_pmatrix)
    np.testing.assert_allclose(table["p one-sided"].iloc[1:], [t.pval_half for t in result.lrt])
    np.testing.assert_allclose(table["Variance"].iloc[1:], result.sigma2)


def test_two_level_variance_shares_add_up() -> None:
    frame = load_table(REFERENCE / "molloy2014.csv")
    prepared = prepare(frame, r="ri", n="ni", study="authors")
    result = RandomEffectsModel("REML").fit(prepared.yi, prepared.vi)
    table = tables.variance_table(result)
    assert table["% of total (AW)"].sum() == pytest.approx(100.0)
    # intercept-only: the AW share of tau^2 equals metafor's I^2
    assert table["% of total (AW)"].iloc[1] == pytest.approx(result.heterogeneity.I2)


def test_html_tables_escape_text_and_format_numbers() -> None:
    frame = pd.DataFrame({"Term": ["<b>x</b> & y"], "Estimate": [0.12345], "p": [0.0002]})
    out = tables.table_to_html(frame, number=3, title="A <title>", note="n < 5", digits=3)
    assert "<b>x</b>" not in out
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in out
    assert "A &lt;title&gt;" in out and "n &lt; 5" in out
    assert '<td class="num">0.123</td>' in out
    assert "&lt; .001" in out
    assert "<strong>Table 3</strong>" in out
