"""Multilevel (three-level) models against metafor 3.8-1 rma.mv (reference JSON from
reference/make_reference_multilevel.R)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from yim.stats.meta.multilevel import (
    MultilevelConvergenceError,
    MultilevelInputError,
    MultilevelModel,
    MultilevelResult,
    fit_frame,
)

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "multilevel_reference.json").read_text())
KON = pd.read_csv(REF_DIR / "konstantopoulos2011.csv")
ASS = pd.read_csv(REF_DIR / "assink2016.csv")
RTOL = 1e-6


def close(actual: Any, expected: Any, rtol: float = RTOL, atol: float = 0.0) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol
    )


def kon_fit(method: str, mods: str, **kw: Any) -> MultilevelResult:
    x = None if mods == "intercept" else np.column_stack([np.ones(len(KON)), KON.year])
    names = None if x is None else ["intrcpt", "year"]
    groups = {"district": KON.district, "school": KON.school}
    return MultilevelModel(method, **kw).fit(KON.yi, KON.vi, groups, x, names)  # type: ignore[arg-type]


def deltype_design(with_intercept: bool = True) -> tuple[np.ndarray, list[str]]:
    levels = ["covert", "general", "overt"]
    dummies = np.column_stack([(ASS.deltype == lv).to_numpy(float) for lv in levels])
    if with_intercept:
        return np.column_stack([np.ones(len(ASS)), dummies[:, 1:]]), [
            "intrcpt",
            "factor(deltype)general",
            "factor(deltype)overt",
        ]
    return dummies, [f"factor(deltype){lv}" for lv in levels]


def ass_fit(
    x: np.ndarray | None = None, names: list[str] | None = None, **kw: Any
) -> MultilevelResult:
    kw.setdefault("test", "t")
    return MultilevelModel("REML", **kw).fit(
        ASS.yi, ASS.vi, {"id": ASS.id, "study": ASS.study}, x, names, nesting="declared"
    )


def check_against(res: MultilevelResult, ref: dict[str, Any]) -> None:
    close(res.beta, ref["beta"])
    close([c.se for c in res.coefficients], ref["se"])
    close([c.statistic for c in res.coefficients], ref["zval"])
    close([c.pval for c in res.coefficients], ref["pval"])
    close([c.ci_lb for c in res.coefficients], ref["ci_lb"])
    close([c.ci_ub for c in res.coefficients], ref["ci_ub"])
    # σ² agree to ~5e-7 relative: the remaining gap is metafor's nlminb stopping rule
    # (rel.tol 1e-10 on the objective), our optimum has the higher log-likelihood
    close(res.sigma2, ref["sigma2"])
    close(res.log_likelihood, ref["ll"], rtol=1e-9)
    close([res.aic, res.bic, res.aicc], [ref["AIC"], ref["BIC"], ref["AICc"]], rtol=1e-9)
    close(res.heterogeneity.QE, ref["QE"], rtol=1e-10)
    close(res.heterogeneity.QE_pval, ref["QEp"], rtol=1e-6, atol=1e-300)
    close(res.heterogeneity.i2_pmatrix, ref["I2_pmatrix"])
    close(res.heterogeneity.i2_aw, ref["I2_aw"]["levels"])
    close(res.heterogeneity.i2_aw_sampling, ref["I2_aw"]["level1"])
    close(res.heterogeneity.typical_v_aw, ref["I2_aw"]["typical_v"], rtol=1e-12)
    if ref["ddf"] is not None:
        close(res.ddf, ref["ddf"], rtol=0)
    if res.moderator_test is not None:
        close(res.moderator_test.statistic, ref["QM"])
        close(res.moderator_test.pval, ref["QMp"])
        close(res.moderator_test.df1, ref["QMdf"][0], rtol=0)
        if res.moderator_test.df2 is not None:
            close(res.moderator_test.df2, ref["QMdf"][1], rtol=0)


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize("mods", ["intercept", "year"])
@pytest.mark.parametrize(
    ("tkey", "options"),
    [("z", {"test": "z"}), ("t", {"test": "t"}), ("contain", {"test": "t", "dfs": "contain"})],
)
def test_three_level_model_matches_metafor_on_konstantopoulos2011(
    method: str, mods: str, tkey: str, options: dict[str, str]
) -> None:
    res = kon_fit(method, mods, profile_cis=False, lrt=False, **options)
    check_against(res, REF["konstantopoulos2011"][f"{method}_{mods}"][tkey])


@pytest.mark.parametrize("key", ["REML_intercept", "REML_year", "ML_intercept", "ML_year"])
def test_lrt_and_profile_cis_match_metafor_on_konstantopoulos2011(key: str) -> None:
    method, mods = key.split("_")
    res = kon_fit(method, mods)
    ref = REF["konstantopoulos2011"][key]["z"]
    close([t.statistic for t in res.lrt], [x["LRT"] for x in ref["lrt"]], rtol=1e-8)
    close([t.pval for t in res.lrt], [x["pval"] for x in ref["lrt"]], rtol=1e-6)
    close([t.pval_half for t in res.lrt], [x["pval_half"] for x in ref["lrt"]], rtol=1e-6)
    close([t.loglik_reduced for t in res.lrt], [x["ll_reduced"] for x in ref["lrt"]], rtol=1e-9)
    # profile CIs: metafor's uniroot ran with tol = 1e-10 (absolute, in σ² units) on top of the
    # inner nlminb fits, so 1e-6 relative is what both sides can promise
    got = [[vc.ci_lb, vc.ci_ub] for vc in res.variance_components]
    want = [[v["lb"], v["ub"]] for v in ref["sigma2_ci"].values()]
    close(got, want, rtol=1e-6)
    assert all(vc.ci_method == "profile likelihood" for vc in res.variance_components)


def test_contain_df_uses_the_number_of_districts_for_the_intercept() -> None:
    res = kon_fit("REML", "year", test="t", dfs="contain", profile_cis=False, lrt=False)
    # the intercept is constant within districts: #districts − p = 11 − 2; year differs between
    # schools of some districts, so no level contains it and it keeps k − p = 54
    years_per_district = KON.groupby("district")["year"].nunique()
    assert (years_per_district > 1).any()
    assert res.ddf.tolist() == [9.0, 54.0]
    res_r = kon_fit("REML", "year", test="t", profile_cis=False, lrt=False)
    assert res_r.ddf.tolist() == [54.0, 54.0]
    assert res.coefficients[0].pval > res_r.coefficients[0].pval


@pytest.mark.parametrize("mods", ["intercept", "year"])
def test_predict_matches_metafor_with_z_and_t(mods: str) -> None:
    newmods = None if mods == "intercept" else np.array([1985.0, 1995.0])
    for tkey in ("z", "t"):
        res = kon_fit("REML", mods, test=tkey, profile_cis=False, lrt=False)
        pred = res.predict(newmods)
        ref = REF["konstantopoulos2011"][f"REML_{mods}"][f"predict_{tkey}"]
        for col in ("pred", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
            close(pred[col], np.atleast_1d(ref[col]))


def test_assink_tutorial_intercept_model_matches_metafor_list_form() -> None:
    res = ass_fit()
    ref = REF["assink2016"]["intercept"]
    check_against(res, ref)
    assert [vc.name for vc in res.variance_components] == ["id", "study"]
    close([t.pval_half for t in res.lrt], [x["pval_half"] for x in ref["lrt"]])
    got = [[vc.ci_lb, vc.ci_ub] for vc in res.variance_components]
    close(got, [[v["lb"], v["ub"]] for v in ref["sigma2_ci"].values()], rtol=1e-6)
    # intercept-only: both share-of-variance formulas coincide
    close(res.heterogeneity.i2_aw, res.heterogeneity.i2_pmatrix, rtol=1e-12)


def test_nested_and_list_forms_give_the_same_model_in_reversed_order() -> None:
    nested = MultilevelModel("REML", test="t", profile_cis=False, lrt=False).fit(
        ASS.yi, ASS.vi, {"study": ASS.study, "esid": ASS.esid}
    )
    ref = REF["assink2016"]["intercept_nested"]
    check_against(nested, ref)
    assert [vc.name for vc in nested.variance_components] == ["study", "study/esid"]
    listed = ass_fit(profile_cis=False, lrt=False)
    close(nested.sigma2[::-1], listed.sigma2, rtol=1e-9)


def test_assink_deltype_moderator_matches_metafor_and_i2_formulas_differ() -> None:
    x, names = deltype_design()
    res = ass_fit(x, names)
    ref = REF["assink2016"]["deltype"]
    check_against(res, ref)
    assert res.moderator_test is not None and res.moderator_test.test == "F"
    close([t.pval for t in res.lrt], [x["pval"] for x in ref["lrt"]])
    h = res.heterogeneity
    assert abs(h.i2_aw[0] - h.i2_pmatrix[0]) > 1e-3


@pytest.mark.parametrize(
    ("key", "kind"),
    [("deltype_means", "means"), ("pubstatus", "pub"), ("year", "year"), ("deltype_z", "z")],
)
def test_assink_moderator_models_match_metafor(key: str, kind: str) -> None:
    opts: dict[str, Any] = {"profile_cis": False, "lrt": False}
    if kind == "means":
        x, names = deltype_design(with_intercept=False)
    elif kind == "z":
        x, names = deltype_design()
        opts["test"] = "z"
    else:
        col = "pubstatus" if kind == "pub" else "year"
        x, names = np.column_stack([np.ones(len(ASS)), ASS[col]]), ["intrcpt", col]
    check_against(ass_fit(x, names, **opts), REF["assink2016"][key])


def test_fit_frame_reads_random_terms_and_moderator_formula() -> None:
    res = fit_frame(
        ASS, random=["id", "study"], mods="factor(deltype)", test="t", profile_cis=False, lrt=False
    )
    check_against(res, REF["assink2016"]["deltype"])
    assert res.coef_names == ("intrcpt", "factor(deltype)general", "factor(deltype)overt")
    res2 = fit_frame(KON, random="~ 1 | district/school", profile_cis=False, lrt=False)
    check_against(res2, REF["konstantopoulos2011"]["REML_intercept"]["z"])


def test_summary_and_frames_report_method_choices_and_levels() -> None:
    res = kon_fit("REML", "year", test="t", dfs="contain")
    text = res.summary()
    assert "estimator: REML" in text and "df method: contain" in text
    assert "district/school" in text and "halved" in text
    frame = res.to_frame()
    assert list(frame.index) == ["intrcpt", "year"]
    assert frame.loc["intrcpt", "df"] == 9.0
    vf = res.variance_frame()
    assert vf.loc["district", "n_groups"] == 11 and vf.loc["district/school", "n_groups"] == 56


def test_fixed_sigma2_is_respected_and_counts_fewer_parameters() -> None:
    full = kon_fit("REML", "intercept", profile_cis=False, lrt=False)
    red = MultilevelModel("REML", profile_cis=False, lrt=False).fit(
        KON.yi, KON.vi, {"district": KON.district, "school": KON.school}, sigma2=[None, 0.0]
    )
    assert red.sigma2[1] == 0.0
    close(
        red.log_likelihood,
        REF["konstantopoulos2011"]["REML_intercept"]["z"]["lrt"][1]["ll_reduced"],
        rtol=1e-9,
    )
    close(full.aic - red.aic, -2 * (full.log_likelihood - red.log_likelihood) + 2, rtol=1e-12)


def test_crossed_list_levels_are_rejected_with_the_level_names() -> None:
    with pytest.raises(MultilevelInputError, match="'esid' is not nested in 'study'"):
        MultilevelModel().fit(
            ASS.yi, ASS.vi, {"esid": ASS.esid, "study": ASS.study}, nesting="declared"
        )


def test_bad_input_names_the_row() -> None:
    vi = ASS.vi.to_numpy().copy()
    vi[4] = -1.0
    with pytest.raises(MultilevelInputError, match="row 5"):
        MultilevelModel().fit(ASS.yi, vi, {"study": ASS.study, "id": ASS.id})
    with pytest.raises(ValueError, match="knha"):
        MultilevelModel(test="knha")  # type: ignore[arg-type]


def test_non_convergence_raises_with_iterations_and_gradient() -> None:
    with pytest.raises(MultilevelConvergenceError) as info:
        MultilevelModel(max_iter=1, profile_cis=False, lrt=False).fit(
            KON.yi, KON.vi, {"district": KON.district, "school": KON.school}
        )
    assert info.value.iterations == 1
    assert len(info.value.gradient) == 2


def test_levels_that_cannot_be_told_apart_are_rejected() -> None:
    one_per_study = KON.drop_duplicates("district")
    with pytest.raises(MultilevelInputError, match="cannot be told apart"):
        MultilevelModel().fit(
            one_per_study.yi,
            one_per_study.vi,
            {"district": one_per_study.district, "school": one_per_study.school},
        )


def test_deeper_nesting_matches_metafor_region_centre_study() -> None:
    deep = pd.read_csv(REF_DIR / "nested4.csv")
    x = np.column_stack([np.ones(len(deep)), deep.x])
    res = MultilevelModel("REML", test="t", dfs="contain", profile_cis=False, lrt=False).fit(
        deep.yi,
        deep.vi,
        {"region": deep.region, "centre": deep.centre, "study": deep.study},
        x,
        ["intrcpt", "x"],
    )
    check_against(res, REF["nested4"])
    assert [vc.name for vc in res.variance_components] == [
        "region",
        "region/centre",
        "region/centre/study",
    ]
