"""Behaviour of the two-level model API: options, errors, summaries, predictions."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from yim.stats.meta.design import design_matrix
from yim.stats.meta.errors import ConvergenceError, MetaAnalysisError
from yim.stats.meta.twolevel import EqualEffectsModel, RandomEffectsModel, fit_frame

from ._reference import dataset

MOLLOY = dataset("molloy2014")
BCG = dataset("bcg")


def test_arrays_and_frame_give_the_same_fit() -> None:
    X, names = design_matrix(BCG, "ablat + year")
    model = RandomEffectsModel("REML", "knha")
    a = model.fit(BCG["yi"], BCG["vi"], X, names)
    b = model.fit_frame(BCG, mods="ablat + year")
    np.testing.assert_array_equal(a.beta, b.beta)
    assert a.names == b.names == ("intrcpt", "ablat", "year")


def test_unnamed_design_recognises_a_column_of_ones_as_intercept() -> None:
    X, _ = design_matrix(BCG, "ablat")
    res = RandomEffectsModel().fit(BCG["yi"], BCG["vi"], X[:, ::-1])
    assert res.names == ("intrcpt", "X1")
    assert res.pseudo_r2 is not None and res.moderator_test is not None


def test_convergence_error_names_iterations_and_last_step() -> None:
    with pytest.raises(
        ConvergenceError,
        match=r"EB: Fisher scoring did not converge in 1 "
        r"iterations \(last step",
    ) as info:
        RandomEffectsModel("EB", max_iter=1).fit(MOLLOY["yi"], MOLLOY["vi"])
    assert info.value.iterations == 1
    assert info.value.last_step > 0


def test_cycling_fisher_scoring_falls_back_to_the_score_root() -> None:
    # metafor 3.8 stops with "Fisher scoring algorithm did not converge" on these data; the
    # ML optimum found by R's optimize() on the profile log-likelihood is 0.03055456.
    yi = np.r_[np.zeros(10), 1.0]
    vi = np.r_[np.full(10, 0.5), 0.125]
    res = RandomEffectsModel("ML").fit(yi, vi)
    assert res.tau2 == pytest.approx(0.03055456, rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "XX"}, r"method='XX'"),
        ({"test": "wald"}, r"test='wald'"),
        ({"level": 95}, r"level=95"),
        ({"tau2": -1.0}, r"tau2=-1.0"),
        ({"tau2_ci": "Wald"}, r"tau2_ci='Wald'"),
        ({"method": "EE", "tau2": 0.1}, r"equal-effects"),
    ],
)
def test_invalid_options_are_rejected_in_the_constructor(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(MetaAnalysisError, match=message):
        RandomEffectsModel(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("yi", "vi", "message"),
    [
        ([0.1, 0.2, 0.3], [0.01, 0.0, 0.02], r"vi: row 2 is 0"),
        ([0.1, np.nan, 0.3], [0.01, 0.01, 0.02], r"yi: row 2 is nan"),
        ([0.1], [0.01], r"at least 2"),
        ([0.1, 0.2], [0.01, 0.02, 0.03], r"vi: has 3 values but 2"),
    ],
)
def test_invalid_data_are_rejected_naming_the_row(
    yi: list[float], vi: list[float], message: str
) -> None:
    with pytest.raises(MetaAnalysisError, match=message):
        RandomEffectsModel().fit(yi, vi)


def test_missing_effect_size_in_a_frame_names_the_row() -> None:
    df = MOLLOY.assign(yi=MOLLOY["yi"].where(MOLLOY.index != 6))
    with pytest.raises(MetaAnalysisError, match=r"yi: column 'yi' is missing a value in row 7"):
        RandomEffectsModel().fit_frame(df)


def test_knapp_hartung_refuses_an_exact_fit() -> None:
    with pytest.raises(MetaAnalysisError, match=r"s² = 0"):
        RandomEffectsModel("DL", "knha").fit([0.2, 0.2, 0.2], [0.01, 0.02, 0.03])
    res = RandomEffectsModel("DL", "knha-truncated").fit([0.2, 0.2, 0.2], [0.01, 0.02, 0.03])
    assert res.s2w == 1.0


def test_adhoc_is_an_alias_of_truncated_knapp_hartung() -> None:
    assert RandomEffectsModel(test="adhoc").test == "knha-truncated"


def test_summary_prints_the_method_choices_and_the_tests() -> None:
    res = RandomEffectsModel("REML", "knha").fit_frame(BCG, mods="factor(alloc)")
    text = res.summary()
    for line in res.method.lines():
        assert line in text
    assert "estimator: REML" in text and "test: knha" in text
    assert "Test of moderators: F(2, 10)" in text
    assert "factor(alloc)random" in text
    assert "Q-profile" in text


def test_to_frame_and_to_dict_carry_the_report_fields() -> None:
    res = fit_frame(BCG, mods="ablat", method="DL", test="t")
    frame = res.to_frame()
    assert list(frame.index) == ["intrcpt", "ablat"]
    assert {"estimate", "se", "statistic", "df", "pval", "ci_lb", "ci_ub"} <= set(frame.columns)
    d = json.loads(json.dumps(res.to_dict()))
    assert set(d["heterogeneity"]) == {"QE", "QE_df", "QE_pval", "I2", "H2"}
    assert d["method"]["estimator"] == "DL"
    assert d["variance_components"][0]["ci_method"] == "Q-profile"
    assert d["moderator_test"]["test"] == "F"


def test_results_are_immutable() -> None:
    res = RandomEffectsModel().fit(MOLLOY["yi"], MOLLOY["vi"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.tau2 = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        res.beta[0] = 1.0


def test_predict_with_new_moderator_values_uses_the_coefficients_and_vcov() -> None:
    res = RandomEffectsModel("REML").fit_frame(BCG, mods="ablat")
    pr = res.predict([10.0, 50.0])
    x = np.array([[1.0, 10.0], [1.0, 50.0]])
    np.testing.assert_allclose(pr.pred, x @ res.beta, rtol=1e-12)
    se = np.sqrt(np.einsum("ij,jk,ik->i", x, res.vcov, x))
    np.testing.assert_allclose(pr.se, se, rtol=1e-12)
    np.testing.assert_allclose(pr.pi_ub - pr.pred, 1.959963984540054 * np.sqrt(se**2 + res.tau2))
    fitted = res.predict()
    assert len(fitted.pred) == res.k
    with pytest.raises(MetaAnalysisError, match="newmods has 2 columns"):
        res.predict([[1.0, 2.0]])


def test_fixed_tau2_reuses_the_value_and_skips_ci_and_r2() -> None:
    est = RandomEffectsModel("REML").fit_frame(BCG, mods="ablat")
    fixed = RandomEffectsModel(tau2=est.tau2).fit_frame(BCG, mods="ablat")
    np.testing.assert_allclose(fixed.beta, est.beta, rtol=1e-12)
    assert fixed.variance_components[0].ci_lb is None
    assert fixed.pseudo_r2 is None
    assert ("tau² fixed at", f"{est.tau2:g}") in fixed.method.extra


def test_equal_effects_model_is_the_ee_method() -> None:
    a = EqualEffectsModel().fit(MOLLOY["yi"], MOLLOY["vi"])
    b = RandomEffectsModel("EE").fit(MOLLOY["yi"], MOLLOY["vi"])
    np.testing.assert_array_equal(a.beta, b.beta)
    assert a.tau2 == 0.0 and a.variance_components == ()
    assert a.method.model == "EE" and a.method.estimator is None
    assert np.isnan(a.predict().pi_lb[0])
    with pytest.raises(MetaAnalysisError, match="no tau"):
        a.tau2_ci()


def test_tau2_ci_can_be_asked_with_another_level() -> None:
    res = RandomEffectsModel().fit(MOLLOY["yi"], MOLLOY["vi"])
    wide, narrow = res.tau2_ci("QP", level=0.99), res.tau2_ci("QP", level=0.80)
    assert wide.ci_lb is not None and narrow.ci_lb is not None
    assert wide.ci_ub is not None and narrow.ci_ub is not None
    assert wide.ci_lb <= narrow.ci_lb < res.tau2 < narrow.ci_ub < wide.ci_ub


def test_pseudo_r2_is_none_for_models_without_an_intercept() -> None:
    res = RandomEffectsModel().fit_frame(BCG, mods="factor(alloc) - 1")
    assert res.pseudo_r2 is None
    assert res.moderator_test is not None and res.moderator_test.df1 == 3


def test_frame_without_effect_size_columns_is_an_error() -> None:
    with pytest.raises(MetaAnalysisError, match="column 'g' is not in the data"):
        RandomEffectsModel().fit_frame(pd.DataFrame({"y": [1.0]}), yi="g")
