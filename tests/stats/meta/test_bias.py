"""Publication-bias tests against metafor 3.8-1 (reference JSON from
reference/make_reference_bias.R): regtest, ranktest, trimfill, fsn, PET-PEESE and the
multilevel Egger test (rma.mv with sqrt(vi) as moderator)."""

from __future__ import annotations

import itertools
import json
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from yim.stats.meta.bias import (
    BiasTest,
    egger_test,
    fail_safe_n,
    kendall_exact_pvalue,
    pet_peese,
    rank_correlation_test,
    trim_and_fill,
)
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.multilevel import MultilevelModel, MultilevelResult
from yim.stats.meta.twolevel import RandomEffectsModel, TwoLevelResult

from ._reference import ATOL, REFERENCE, RTOL, dataset


@cache
def reference() -> dict[str, Any]:
    with (REFERENCE / "bias_reference.json").open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def data(name: str) -> pd.DataFrame:
    if name == "hackshaw1998":
        return pd.DataFrame(reference()["hackshaw1998"])
    if name == "molloy2014_neg":
        d = dataset("molloy2014")
        return pd.DataFrame({"yi": -d.yi, "vi": d.vi})
    return dataset(name)


def na(value: Any) -> Any:
    """jsonlite writes R's NA as the string "NA"."""
    return None if value == "NA" else value


def close(actual: Any, expected: Any, rtol: float = RTOL) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=ATOL
    )


def two_level(name: str, method: str = "REML", test: str = "z", mods: str | None = None):
    return RandomEffectsModel(method, test).fit_frame(data(name), mods=mods)


KON = pd.read_csv(REFERENCE / "konstantopoulos2011.csv")
ASS = pd.read_csv(REFERENCE / "assink2016.csv")


def kon_fit(test: str = "z", year: bool = False) -> MultilevelResult:
    x = np.column_stack([np.ones(len(KON)), KON.year]) if year else None
    names = ["intrcpt", "year"] if year else None
    groups = {"district": KON.district, "school": KON.school}
    return MultilevelModel("REML", test=test).fit(KON.yi, KON.vi, groups, x, names)  # type: ignore[arg-type]


def ass_fit() -> MultilevelResult:
    groups = {"id": ASS.id, "study": ASS.study}
    return MultilevelModel("REML", test="t").fit(ASS.yi, ASS.vi, groups, nesting="declared")


# --- Egger ---------------------------------------------------------------------------------
REGTESTS = reference()["regtest"]


@pytest.mark.parametrize("case", REGTESTS, ids=[c["id"] for c in REGTESTS])
def test_egger_test_matches_metafor_regtest(case: dict[str, Any]) -> None:
    mods = None if case["mods"] is None else "ablat"
    res = two_level(case["data"], case["method"], case["test"], mods)
    variant = "classical" if case["model"] == "lm" else "metafor"
    out = egger_test(res, variant=variant, predictor=case["predictor"])
    close(out.statistic, case["stat"])
    close(out.pval, case["pval"])
    assert out.df == case["ddf"]
    assert out.statistic_label == ("z" if case["ddf"] is None else "t")
    if case["est"] is None:
        assert out.estimate is None and out.ci_lb is None and out.ci_ub is None
    else:
        close([out.estimate, out.ci_lb, out.ci_ub], [case["est"], case["ci_lb"], case["ci_ub"]])


def test_egger_test_defaults_to_metafor_variant_with_the_standard_error() -> None:
    res = two_level("molloy2014")
    default = egger_test(res)
    explicit = egger_test(res, variant="metafor", predictor="sei")
    assert default.to_dict() == explicit.to_dict()
    assert default.predictor == "sei"
    assert isinstance(default.fit, TwoLevelResult)
    assert default.fit.names == ("intrcpt", "sei")


def test_egger_test_to_dict_is_json_ready() -> None:
    out = egger_test(two_level("bcg"), variant="classical")
    text = json.dumps(out.to_dict())
    back = json.loads(text)
    assert back["name"] == out.name
    assert back["coefficient"]["name"] == "sei"
    assert "fit" not in back


def test_egger_test_with_sample_size_predictor_needs_ni() -> None:
    res = two_level("molloy2014")
    with pytest.raises(MetaAnalysisError, match="ni="):
        egger_test(res, predictor="ninv")
    ni = pd.read_csv(REFERENCE / "molloy2014.csv").ni
    out = egger_test(res, predictor="ninv", ni=ni)
    assert out.predictor == "ninv" and out.estimate is not None


def test_egger_test_rejects_fewer_than_three_studies() -> None:
    res = RandomEffectsModel("DL").fit([0.1, 0.3], [0.01, 0.02])
    with pytest.raises(MetaAnalysisError, match="at least 3 effect sizes"):
        egger_test(res)


def test_egger_test_rejects_equal_variances_with_a_clear_message() -> None:
    res = RandomEffectsModel("DL").fit([0.1, 0.3, 0.2, 0.5], [0.02] * 4)
    with pytest.raises(MetaAnalysisError, match="all sampling variances are equal"):
        egger_test(res)


def test_egger_test_rejects_unknown_variant_and_predictor() -> None:
    res = two_level("bcg")
    with pytest.raises(MetaAnalysisError, match="variant="):
        egger_test(res, variant="bogus")  # type: ignore[arg-type]
    with pytest.raises(MetaAnalysisError, match="predictor="):
        egger_test(res, predictor="se")
    with pytest.raises(MetaAnalysisError, match="needs a multilevel fit"):
        egger_test(res, variant="multilevel")


# --- multilevel Egger -------------------------------------------------------------------------
ML_CASES = {
    "kon_z": lambda: kon_fit("z"),
    "kon_t": lambda: kon_fit("t"),
    "kon_year_z": lambda: kon_fit("z", year=True),
    "ass_t": ass_fit,
}


@pytest.mark.parametrize("name", list(ML_CASES))
def test_multilevel_egger_test_matches_rma_mv_with_sqrt_vi_moderator(name: str) -> None:
    case = reference()["ml_egger"][name]
    res = ML_CASES[name]()
    out = egger_test(res)  # variant chosen automatically
    assert out.name == "Multilevel Egger test"
    assert out.coefficient is not None
    close(out.coefficient.estimate, case["beta"])
    close(out.coefficient.se, case["se"])
    close(out.statistic, case["stat"])
    close(out.pval, case["pval"])
    close([out.coefficient.ci_lb, out.coefficient.ci_ub], [case["ci_lb"], case["ci_ub"]])
    assert out.df == case["ddf"]
    assert isinstance(out.fit, MultilevelResult)
    close(out.fit.sigma2, case["sigma2"])
    if name == "kon_year_z":
        assert out.estimate is None
    else:
        close(
            [out.estimate, out.ci_lb, out.ci_ub],
            [case["intercept"], case["intercept_ci_lb"], case["intercept_ci_ub"]],
        )


def test_multilevel_fit_refuses_the_two_level_variants() -> None:
    with pytest.raises(MetaAnalysisError, match="needs a two-level fit"):
        egger_test(kon_fit(), variant="classical")


# --- rank correlation test ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["molloy2014", "bcg", "hackshaw1998"])
def test_rank_correlation_test_matches_metafor_ranktest(name: str) -> None:
    case = reference()["ranktest"][name]
    out = rank_correlation_test(two_level(name))
    close(out.statistic, case["tau"])
    close(out.pval, case["pval"])
    assert out.statistic_label == "tau" and out.df is None


def test_rank_correlation_test_uses_normal_approximation_with_ties_as_r_does() -> None:
    # molloy2014 has tied sample sizes, hence tied variances: R warns and uses the normal
    # approximation; the exact p-value would differ
    out = rank_correlation_test(two_level("molloy2014"))
    assert "normal approximation" in out.notes[0]
    exact = kendall_exact_pvalue(out.statistic, 16)
    assert abs(exact - out.pval) > 1e-3


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7])
def test_exact_kendall_pvalue_equals_full_enumeration_of_permutations(n: int) -> None:
    perms = list(itertools.permutations(range(n)))
    taus = np.array([stats.kendalltau(range(n), p).statistic for p in perms])
    for tau in np.unique(np.round(taus, 12)):
        extreme = np.sum(np.abs(taus) >= abs(tau) - 1e-12) / len(perms)
        assert kendall_exact_pvalue(float(tau), n) == pytest.approx(min(1.0, extreme), rel=1e-12)


def test_exact_kendall_pvalue_agrees_with_scipy_for_moderate_n() -> None:
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=40), rng.normal(size=40)
    res = stats.kendalltau(x, y, method="exact")
    assert kendall_exact_pvalue(float(res.statistic), 40) == pytest.approx(res.pvalue, rel=1e-9)


def test_rank_correlation_test_rejects_equal_variances_and_tiny_k() -> None:
    with pytest.raises(MetaAnalysisError, match="all vi are equal"):
        rank_correlation_test(RandomEffectsModel("DL").fit([0.1, 0.3, 0.2], [0.02] * 3))
    with pytest.raises(MetaAnalysisError, match="at least 3"):
        rank_correlation_test(RandomEffectsModel("DL").fit([0.1, 0.3], [0.02, 0.03]))


# --- trim and fill -------------------------------------------------------------------------------
TRIMFILLS = reference()["trimfill"]


@pytest.mark.parametrize("case", TRIMFILLS, ids=[c["id"] for c in TRIMFILLS])
def test_trim_and_fill_matches_metafor_trimfill(case: dict[str, Any]) -> None:
    res = two_level(case["data"], case["method"], case["test_in"])
    out = trim_and_fill(res, estimator=case["estimator"], side=case["side_in"])
    assert out.k0 == case["k0"]
    assert out.side == case["side"]
    assert out.side_chosen == (case["side_in"] is None)
    close(out.se_k0, case["se_k0"])
    if na(case["p_k0"]) is None:
        assert out.p_k0 is None
    else:
        close(out.p_k0, case["p_k0"])
    close(out.yi, case["yi"])
    close(out.vi, case["vi"])
    assert out.filled.tolist() == case["fill"]
    fit = out.result
    assert fit.method.test == case["test"]
    close(fit.beta, case["beta"])
    coef = fit.coefficients[0]
    close([coef.se, coef.statistic, coef.pval], [case["se"], case["zval"], case["pval"]])
    close([coef.ci_lb, coef.ci_ub], [case["ci_lb"], case["ci_ub"]])
    close(fit.tau2, case["tau2"])
    close([fit.heterogeneity.QE, fit.heterogeneity.I2], [case["QE"], case["I2"]])


def test_trim_and_fill_without_missing_studies_returns_the_original_fit() -> None:
    res = two_level("bcg")
    out = trim_and_fill(res, estimator="R0")
    assert out.k0 == 0 and out.result is res
    assert not out.filled.any()


def test_trim_and_fill_can_keep_the_original_test() -> None:
    res = two_level("hackshaw1998", test="knha")
    out = trim_and_fill(res, test=res.method.test)
    assert out.k0 == 7 and out.result.method.test == "knha" and out.result.df is not None


def test_trim_and_fill_to_dict_reports_adjusted_and_original_estimates() -> None:
    out = trim_and_fill(two_level("hackshaw1998"))
    d = json.loads(json.dumps(out.to_dict()))
    assert d["k0"] == 7 and d["k_observed"] == 37 and len(d["yi"]) == 44
    assert d["estimate"]["estimate"] < d["original_estimate"]["estimate"]


def test_trim_and_fill_refuses_multilevel_fits_and_meta_regressions() -> None:
    with pytest.raises(MetaAnalysisError, match="two-level models only"):
        trim_and_fill(kon_fit())  # type: ignore[arg-type]
    with pytest.raises(MetaAnalysisError, match="without moderators"):
        trim_and_fill(two_level("bcg", mods="ablat"))


def test_trim_and_fill_asks_for_a_side_when_variances_are_equal() -> None:
    res = RandomEffectsModel("DL").fit([0.1, 0.3, 0.2, 0.6], [0.02] * 4)
    with pytest.raises(MetaAnalysisError, match="pass side="):
        trim_and_fill(res)
    assert trim_and_fill(res, side="left").side == "left"


def test_trim_and_fill_rejects_bad_options() -> None:
    res = two_level("bcg")
    with pytest.raises(MetaAnalysisError, match="estimator="):
        trim_and_fill(res, estimator="Z0")  # type: ignore[arg-type]
    with pytest.raises(MetaAnalysisError, match="side="):
        trim_and_fill(res, side="top")  # type: ignore[arg-type]


# --- fail-safe N ------------------------------------------------------------------------------
FSNS = reference()["fsn"]


@pytest.mark.parametrize(
    "case", FSNS, ids=[f"{c['data']}-{c['type']}-{c['target_in']}-{c['alpha']}" for c in FSNS]
)
def test_fail_safe_n_matches_metafor_fsn(case: dict[str, Any]) -> None:
    d = data(case["data"])
    out = fail_safe_n(
        d.yi,
        d.vi,
        type=case["type"],
        target=case["target_in"],
        alpha=case["alpha"],
        weighted=case["weighted"],
    )
    assert out.fsnum == case["fsnum"]
    for mine, theirs in ((out.pval, case["pval"]), (out.mean_effect, case["meanes"])):
        if na(theirs) is None:
            assert mine is None
        else:
            close(mine, theirs)
    if na(case["target"]) is None:
        assert out.target is None
    else:
        close(out.target, case["target"])


def test_orwin_fail_safe_n_needs_no_variances_and_is_infinite_for_target_zero() -> None:
    assert fail_safe_n([0.2, 0.4, 0.3], None, type="Orwin").fsnum == 3
    assert fail_safe_n([0.2, 0.4, 0.3], None, type="Orwin", target=0).fsnum == float("inf")


def test_fail_safe_n_rejects_missing_or_bad_variances() -> None:
    with pytest.raises(MetaAnalysisError, match="needs the sampling variances"):
        fail_safe_n([0.2, 0.4], None)
    with pytest.raises(MetaAnalysisError, match="row 2"):
        fail_safe_n([0.2, 0.4], [0.1, 0.0], type="Rosenberg")
    with pytest.raises(MetaAnalysisError, match="type="):
        fail_safe_n([0.2, 0.4], [0.1, 0.1], type="REM")  # type: ignore[arg-type]


# --- PET-PEESE --------------------------------------------------------------------------------
PETS = reference()["pet_peese"]


@pytest.mark.parametrize("case", PETS, ids=[f"{c['data']}-{c['test']}" for c in PETS])
def test_pet_and_peese_match_metafor_meta_regressions(case: dict[str, Any]) -> None:
    res = two_level(case["data"], "REML", case["test"])
    out = pet_peese(res)
    for fit, ref in ((out.pet.fit, case["pet"]), (out.peese.fit, case["peese"])):
        assert isinstance(fit, TwoLevelResult)
        close(fit.beta, ref["beta"])
        close([c.se for c in fit.coefficients], ref["se"])
        close([c.pval for c in fit.coefficients], ref["pval"])
        close(fit.tau2, ref["tau2"])
    # the conditional rule: one-sided test of PET's intercept in the direction of the effect
    b0 = case["pet"]
    sign = 1.0 if res.coefficients[0].estimate >= 0 else -1.0
    stat = sign * b0["stat"][0]
    p_one = stats.norm.sf(stat) if case["test"] == "z" else stats.t.sf(stat, res.k - 2)
    close(out.pet_one_sided_p, p_one)
    assert out.chosen == ("PEESE" if p_one < 0.05 else "PET")
    chosen = case["peese"] if out.chosen == "PEESE" else case["pet"]
    close(out.estimate.estimate, chosen["beta"][0])


def test_pet_peese_picks_peese_when_pet_intercept_is_significant() -> None:
    # bcg, z-test: PET intercept one-sided p = .0499 < .05 (effect negative)
    out = pet_peese(two_level("bcg"))
    assert out.direction == "negative" and out.chosen == "PEESE"
    assert "Stanley & Doucouliagos 2014" in out.rule
    assert pet_peese(two_level("bcg"), alpha=0.01).chosen == "PET"
    assert json.loads(json.dumps(out.to_dict()))["chosen"] == "PEESE"


def test_pet_peese_works_on_multilevel_fits_with_the_multilevel_model() -> None:
    out = pet_peese(kon_fit())
    assert isinstance(out.pet.fit, MultilevelResult)
    assert out.pet.fit.coef_names == ("intrcpt", "sei")
    assert out.peese.fit is not None and out.peese.fit.coef_names == ("intrcpt", "vi")


def test_pet_peese_refuses_meta_regressions() -> None:
    with pytest.raises(MetaAnalysisError, match="without moderators"):
        pet_peese(two_level("bcg", mods="ablat"))


def test_bias_test_is_frozen() -> None:
    out: BiasTest = rank_correlation_test(two_level("bcg"))
    with pytest.raises(AttributeError):
        out.pval = 0.0  # type: ignore[misc]


def test_rank_correlation_test_of_many_effect_sizes_uses_the_normal_approximation() -> None:
    rng = np.random.default_rng(3)
    k = 2_000  # the exact p-value would take minutes here
    vi = rng.uniform(0.01, 0.1, size=k)
    yi = rng.normal(scale=np.sqrt(vi + 0.02))
    out = rank_correlation_test(RandomEffectsModel("DL").fit(yi, vi))
    assert "normal approximation" in out.notes[0] and "k > 500" in out.notes[0]
    # without ties R's normal approximation is the z-test of Kendall's S
    z = out.statistic / np.sqrt(2 * (2 * k + 5) / (9 * k * (k - 1)))
    assert out.pval == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
