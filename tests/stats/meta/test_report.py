"""Report: model choice, JSON with the fit's numbers, a self-contained and escaped HTML."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from yim.stats.meta import tables
from yim.stats.meta.dataset import DataError, PreparedData, load_table, prepare
from yim.stats.meta.errors import ConvergenceError, MetaAnalysisError
from yim.stats.meta.forest_summary import forest_rows
from yim.stats.meta.multilevel import MultilevelModel
from yim.stats.meta.report import (
    fit_from_options,
    render_html,
    run_bias_tests,
    to_json_dict,
)
from yim.stats.meta.twolevel import RandomEffectsModel
from yim.stats.meta.twolevel_result import TwoLevelResult

from ._reference import REFERENCE


def _molloy(**kw: str) -> PreparedData:
    return prepare(load_table(REFERENCE / "molloy2014.csv"), r="ri", n="ni", study="authors", **kw)


def _konstantopoulos() -> PreparedData:
    return prepare(
        load_table(REFERENCE / "konstantopoulos2011.csv"),
        yi="yi",
        vi="vi",
        random="district/school",
    )


def test_without_nesting_the_fit_is_the_two_level_model() -> None:
    prepared = _molloy()
    fit = fit_from_options(prepared, method="DL", test="knha")
    direct = RandomEffectsModel("DL", "knha").fit(prepared.yi, prepared.vi)
    assert fit.kind == "two-level"
    assert isinstance(fit.result, TwoLevelResult)
    assert fit.result.tau2 == pytest.approx(direct.tau2, rel=1e-12)
    assert fit.result.coefficients[0].se == pytest.approx(direct.coefficients[0].se, rel=1e-12)
    assert fit.overall is fit.result


def test_with_nesting_the_fit_is_the_multilevel_model() -> None:
    prepared = _konstantopoulos()
    fit = fit_from_options(prepared, test="t", dfs="contain")
    direct = MultilevelModel("REML", test="t", dfs="contain").fit(
        prepared.yi, prepared.vi, prepared.groups
    )
    assert fit.kind == "multilevel"
    np.testing.assert_allclose(fit.result.sigma2, direct.sigma2, rtol=1e-10)
    assert fit.result.coefficients[0].df == direct.coefficients[0].df


def test_options_the_model_lacks_are_refused() -> None:
    with pytest.raises(MetaAnalysisError, match="only z and t"):
        fit_from_options(_konstantopoulos(), test="knha")
    with pytest.raises(MetaAnalysisError, match="REML or ML"):
        fit_from_options(_konstantopoulos(), method="DL")
    with pytest.raises(MetaAnalysisError, match="multilevel models only"):
        fit_from_options(_molloy(), dfs="contain")


def test_a_random_spec_with_unknown_columns_is_a_data_error() -> None:
    with pytest.raises(DataError) as excinfo:
        fit_from_options(_molloy(), random="authors/nope")
    assert [(p.row, p.column) for p in excinfo.value.problems] == [(None, "nope")]


def test_non_convergence_raises_with_iterations_and_gradient() -> None:
    with pytest.raises(ConvergenceError) as excinfo:
        fit_from_options(_konstantopoulos(), max_iter=1)
    assert excinfo.value.iterations == 1
    assert "gradient" in str(excinfo.value)


def test_meta_regression_keeps_an_intercept_only_companion() -> None:
    fit = fit_from_options(_molloy(mods="factor(design)"), test="knha")
    assert fit.has_moderators
    assert fit.result.p == 2 and fit.overall.p == 1


def test_json_has_the_issue_keys_and_the_fit_numbers() -> None:
    fit = fit_from_options(_molloy(mods="factor(design)"), test="knha")
    data = to_json_dict(fit)
    text = json.dumps(data, allow_nan=False)  # NaN/inf must already be null
    assert json.loads(text) == data
    for key in ("coefficients", "variance_components", "heterogeneity", "moderator_test", "method"):
        assert key in data
    res = fit.result
    for got, coef in zip(data["coefficients"], res.coefficients, strict=True):
        assert set(got) >= {"name", "estimate", "se", "statistic", "df", "pval", "ci_lb", "ci_ub"}
        assert got["estimate"] == coef.estimate and got["pval"] == coef.pval
    vc = data["variance_components"][0]
    assert set(vc) >= {"name", "value", "ci_lb", "ci_ub"}
    assert vc["value"] == res.variance_components[0].value
    het = data["heterogeneity"]
    assert het["QE"] == res.heterogeneity.QE and het["QE_df"] == res.heterogeneity.QE_df
    assert het["I2"] == res.heterogeneity.I2
    assert res.moderator_test is not None
    assert data["moderator_test"]["df2"] == res.moderator_test.df2
    assert set(data["moderator_test"]) >= {"statistic", "df1", "df2", "pval"}
    method = data["method"]
    assert method["estimator"] == "REML" and method["test"] == "knha"
    assert method["tau2_ci"] == "QP" and method["level"] == 0.95 and method["measure"] == "ZCOR"


def test_json_turns_missing_numbers_into_null() -> None:
    fit = fit_from_options(_molloy(), method="EE")
    data = to_json_dict(fit)
    assert data["coefficients"][0]["df"] is None  # z-test
    assert data["pooled"]["pi_lb"] is None  # no prediction interval without tau^2
    assert data["moderator_test"] is None


def test_multilevel_json_reports_i2_per_level_and_the_nesting() -> None:
    fit = fit_from_options(_konstantopoulos(), test="t")
    data = to_json_dict(fit)
    h = fit.result.heterogeneity
    levels = data["heterogeneity"]["I2_per_level"]
    assert [lv["level"] for lv in levels] == ["district", "district/school"]
    assert [lv["I2_aw"] for lv in levels] == list(h.i2_aw)
    assert [lv["I2_pmatrix"] for lv in levels] == list(h.i2_pmatrix)
    assert data["heterogeneity"]["I2"] == h.i2_pmatrix_total
    assert data["method"]["random"] == "district/school" and data["method"]["dfs"] == "residual"
    assert [c["n_groups"] for c in data["variance_components"]] == [11, 56]
    assert [t["pval_half"] for t in data["lrt"]] == [t.pval_half for t in fit.result.lrt]


def test_zcor_pooled_estimate_is_back_transformed_to_r() -> None:
    data = to_json_dict(fit_from_options(_molloy()))
    assert data["pooled"]["r"]["estimate"] == pytest.approx(np.tanh(data["pooled"]["estimate"]))


def test_html_report_shows_the_fitted_numbers_and_both_plots() -> None:
    fit = fit_from_options(_konstantopoulos(), test="t")
    page = render_html(fit, title="Konstantopoulos")
    for coef in fit.result.coefficients:
        assert tables.format_number(coef.estimate, 4) in page
        assert tables.format_number(coef.se, 4) in page
    for vc in fit.result.variance_components:
        assert tables.format_number(vc.value, 4) in page
    for i2 in fit.result.heterogeneity.i2_aw:
        assert tables.format_number(i2, 1) in page
    assert page.count("<svg") == 2
    for heading in (
        "Data",
        "Model and method choices",
        "Coefficients",
        "Heterogeneity",
        "Moderator test",
        "Plots",
        "Publication bias",
    ):
        assert heading in page


def test_html_report_is_self_contained() -> None:
    page = render_html(fit_from_options(_molloy(mods="factor(design)")))
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "inline SVGs must not share ids"


def test_hostile_text_from_the_data_is_escaped(tmp_path: Path) -> None:
    csv = tmp_path / "evil.csv"
    csv.write_text(
        "study,r,n,kind\n"
        '"<script>alert(1)</script>",0.1,50,"<img src=x onerror=alert(2)>"\n'
        "B,0.2,60,plain\nC,0.3,70,plain\n"
    )
    prepared = prepare(load_table(csv), r="r", n="n", study="study", mods="kind")
    page = render_html(fit_from_options(prepared), title="<b>t</b>")
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "&lt;b&gt;t&lt;/b&gt;" in page


def test_bias_section_says_not_available_without_the_bias_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "yim.stats.meta.bias", None)  # import raises ImportError
    fit = fit_from_options(_molloy())
    outcomes = run_bias_tests(fit)
    assert [o.status for o in outcomes] == ["not available"]
    assert "not available" in render_html(fit)


def test_bias_tests_refused_by_a_multilevel_model_are_marked_not_applicable() -> None:
    outcomes = run_bias_tests(fit_from_options(_konstantopoulos()))
    statuses = {o.name: o.status for o in outcomes}
    if statuses == {"Publication-bias tests": "not available"}:
        pytest.skip("the bias module is not installed")
    assert statuses["Trim-and-fill (L0)"] == "not applicable"
    assert statuses["Egger regression test (sei as moderator)"] == "ok"
    assert all(o.message for o in outcomes if o.status == "not applicable")


# --- large meta-analyses: the report stays small and the forest plot says what it shows ------


def _simulated(n_studies: int, per: int, seed: int = 14) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    study = np.repeat(np.arange(1, n_studies + 1), per)
    vi = 4.0 / rng.integers(20, 200, size=study.size)
    yi = (
        0.2
        + rng.normal(scale=0.2, size=n_studies)[study - 1]
        + rng.normal(scale=0.15, size=study.size)
        + rng.normal(scale=np.sqrt(vi))
    )
    return pd.DataFrame(
        {
            "study": [f"Study {s}" for s in study],
            "es": np.tile(np.arange(1, per + 1), n_studies),
            "yi": yi,
            "vi": vi,
        }
    )


def _forest_caption(page: str) -> str:
    match = re.search(r'id="forest">.*?<figcaption>(.*?)</figcaption>', page, re.DOTALL)
    assert match is not None, "the report has no forest plot"
    return match.group(1)


def test_the_report_of_50000_effect_sizes_stays_under_2_mb_with_an_aggregated_forest_plot() -> None:
    prepared = prepare(_simulated(5_000, 10), yi="yi", vi="vi", study="study", es_id="es")
    page = render_html(fit_from_options(prepared, test="t"))
    assert len(page.encode("utf-8")) < 2 * 1024 * 1024
    caption = _forest_caption(page)
    assert "aggregated" in caption and "most influential of 5,000 studies" in caption
    assert "50,000 in all" in caption
    forest = page[page.index('id="forest"') : page.index('id="funnel"')]
    assert (
        sum(i.startswith("forest-forest-study-") for i in re.findall(r'id="([^"]+)"', forest)) == 40
    )
    assert "<script" not in page.lower()


def test_up_to_400_studies_the_forest_plot_shows_every_study_aggregated() -> None:
    prepared = prepare(_simulated(150, 3), yi="yi", vi="vi", study="study", es_id="es")
    fit = fit_from_options(prepared, test="t")
    page = render_html(fit)
    caption = _forest_caption(page)
    assert caption.startswith("Forest plot of the 150 studies, each aggregated")
    rows = forest_rows(fit)
    assert not rows.selected and rows.aggregated and len(rows.labels) == 150
    assert float(np.sum(rows.weights)) == pytest.approx(100.0)
    # a row is the study's inverse-variance mean, the within-study sigma² added to each vi
    within = float(fit.result.sigma2[1])
    first = prepared.frame.iloc[:3]
    w = 1.0 / (first["vi"].to_numpy() + within)
    assert rows.labels[0] == "Study 1"
    assert rows.yi[0] == pytest.approx(float(np.sum(w * first["yi"]) / np.sum(w)), rel=1e-12)
    assert rows.vi[0] == pytest.approx(1.0 / float(np.sum(w)), rel=1e-12)


def test_without_studies_the_most_influential_effect_sizes_are_shown() -> None:
    frame = _simulated(500, 1)
    prepared = prepare(frame, yi="yi", vi="vi")
    fit = fit_from_options(prepared, method="DL")
    rows = forest_rows(fit, top=10)
    assert rows.selected and not rows.aggregated and rows.n_units == 500
    # the leave-one-out shift of the pooled estimate with tau² held fixed ranks them
    w = 1.0 / (prepared.vi + fit.result.tau2)  # type: ignore[union-attr]
    mu = float(np.sum(w * prepared.yi) / np.sum(w))
    shift = np.abs(w * (mu - prepared.yi) / (np.sum(w) - w))
    expected = [prepared.labels[i] for i in np.argsort(-shift)[:10]]
    assert list(rows.labels) == expected
    assert "most influential of 500 effect sizes" in _forest_caption(render_html(fit))
