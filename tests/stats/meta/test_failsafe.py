"""Fail-safe N with Fisher's method and metafor's General approach, against metafor 5.1-12
(reference JSON from reference/make_reference_failsafe.R; metafor 3.8 has neither)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from yim.stats.meta import fail_safe_n
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.twolevel import RandomEffectsModel

from ._reference import ATOL, REFERENCE, RTOL, dataset


@cache
def reference() -> dict[str, Any]:
    with (REFERENCE / "failsafe_reference.json").open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def data(name: str) -> pd.DataFrame:
    if name == "hackshaw1998":
        with (REFERENCE / "bias_reference.json").open() as fh:
            return pd.DataFrame(json.load(fh)["hackshaw1998"])
    return dataset(name)


def close(actual: Any, expected: Any, rtol: float = RTOL) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=ATOL
    )


def test_reference_was_made_with_a_metafor_that_has_the_general_approach() -> None:
    major = int(reference()["metafor_version"].split(".")[0])
    assert major >= 4


# --- Fisher ------------------------------------------------------------------------------------
FISHER = reference()["fisher"]


@pytest.mark.parametrize("case", FISHER, ids=[f"{c['data']}-{c['alpha']}" for c in FISHER])
def test_fisher_fail_safe_n_matches_metafor_pool_fisher(case: dict[str, Any]) -> None:
    d = data(case["data"])
    out = fail_safe_n(d.yi, d.vi, type="Fisher", alpha=case["alpha"])
    assert out.fsnum == case["fsnum"]
    close(out.pval, case["pval"])
    assert out.type == "Fisher" and out.target is None


@pytest.mark.parametrize("case", FISHER, ids=[f"{c['data']}-{c['alpha']}" for c in FISHER])
def test_fisher_fail_safe_n_with_metafor_3_8_search_interval(case: dict[str, Any]) -> None:
    d = data(case["data"])
    out = fail_safe_n(d.yi, d.vi, type="Fisher", alpha=case["alpha"], interval=(0, 1000))
    assert out.fsnum == case["fsnum_interval_1000"]


def test_fisher_fail_safe_n_is_the_first_count_that_removes_significance() -> None:
    # with whole numbers of added p = 0.5 the combined test crosses alpha between N-1 and N
    # (metafor's search may stop one further, on the far side of a jump, so allow N or N+1)
    from scipy import stats

    d = data("molloy2014")
    out = fail_safe_n(d.yi, d.vi, type="Fisher")
    logp = stats.norm.logsf(np.abs(d.yi / np.sqrt(d.vi)))
    k = len(d)

    def p_with(n: int) -> float:
        return float(stats.chi2.sf(-2 * (logp.sum() + n * np.log(0.5)), 2 * (k + n)))

    n = int(out.fsnum)
    assert p_with(n) >= 0.05 or p_with(n - 1) >= 0.05
    assert p_with(n - 2) < 0.05


def test_fisher_fail_safe_n_is_zero_when_not_significant() -> None:
    out = fail_safe_n([0.1, -0.1, 0.05], [0.04, 0.04, 0.04], type="Fisher")
    assert out.fsnum == 0 and out.pval is not None and out.pval >= 0.05


def test_fisher_fail_safe_n_survives_p_values_below_the_smallest_double() -> None:
    out = fail_safe_n([5.0, 6.0], [0.01, 0.01], type="Fisher")  # z = 50, 60: p < 1e-300
    assert np.isfinite(out.fsnum) and out.fsnum > 1000


# --- General -----------------------------------------------------------------------------------
GENERAL = reference()["general"]


def general_fit(case: dict[str, Any]) -> Any:
    d = data(case["data"])
    return RandomEffectsModel(case["method"], case["test"], tau2=case["tau2_in"]).fit(d.yi, d.vi)


@pytest.mark.parametrize("case", GENERAL, ids=[c["id"] for c in GENERAL])
def test_general_fail_safe_n_matches_metafor_fsn_of_a_model(case: dict[str, Any]) -> None:
    fit = general_fit(case)
    kwargs = {"target": case["target_in"], "alpha": case["alpha"], "exact": case["exact"]}
    if "error" in case:
        with pytest.raises(MetaAnalysisError, match="could not be found"):
            fail_safe_n(fit, mumiss=case["mumiss"], **kwargs)
        return
    out = fail_safe_n(fit, mumiss=case["mumiss"], **kwargs)
    assert out.type == "General"
    assert out.fsnum == float(case["fsnum"])  # jsonlite writes Inf as "Inf"
    # metafor also marks N = Inf (target 0) with ">"; here at_limit means N stopped at maxint
    assert out.at_limit == (case["ub_sign"] == ">" and np.isfinite(out.fsnum))
    close([out.mean_effect, out.tau2, out.pval], [case["est"], case["tau2"], case["pval"]])
    if np.isfinite(out.fsnum):
        close(
            [out.est_fsn, out.tau2_fsn, out.pval_fsn],
            [case["est_fsn"], case["tau2_fsn"], case["pval_fsn"]],
        )
    if case["target"] == "NA":
        assert out.target is None
    else:
        close(out.target, case["target"])


@pytest.mark.parametrize("case", GENERAL[:6], ids=[c["id"] for c in GENERAL[:6]])
def test_general_fail_safe_n_from_data_equals_the_model_form(case: dict[str, Any]) -> None:
    d = data(case["data"])
    fit = general_fit(case)
    a = fail_safe_n(fit, alpha=case["alpha"], exact=case["exact"])
    b = fail_safe_n(
        d.yi,
        d.vi,
        type="General",
        estimator=case["method"],
        test=case["test"],
        alpha=case["alpha"],
        exact=case["exact"],
    )
    assert a == b


def test_general_fail_safe_n_is_zero_when_the_model_is_not_significant() -> None:
    fit = RandomEffectsModel().fit([0.1, -0.1, 0.05], [0.04, 0.04, 0.04])
    out = fail_safe_n(fit)
    assert out.fsnum == 0 and out.est_fsn == out.mean_effect and out.pval_fsn == out.pval


def test_general_fail_safe_n_summary_and_dict_name_the_added_studies() -> None:
    out = fail_safe_n(general_fit(GENERAL[0]))
    text = out.summary()
    assert "Fail-safe N (General): " in text and "with the added studies" in text
    d = json.loads(json.dumps(out.to_dict()))
    assert d["type"] == "General" and d["fsnum"] == out.fsnum


def test_fail_safe_n_of_a_model_refuses_moderators_and_other_types() -> None:
    d = dataset("bcg")
    with pytest.raises(MetaAnalysisError, match="without moderators"):
        fail_safe_n(RandomEffectsModel().fit_frame(d, mods="ablat"))
    with pytest.raises(MetaAnalysisError, match="General approach"):
        fail_safe_n(RandomEffectsModel().fit(d.yi, d.vi), type="Rosenthal")


def test_fail_safe_n_rejects_a_bad_search_interval() -> None:
    with pytest.raises(MetaAnalysisError, match="interval="):
        fail_safe_n([0.3, 0.4], [0.01, 0.01], type="Fisher", interval=(5, 1))


# --- Fisher as the installed metafor 3.8 computes it ----------------------------------------------
@cache
def reference_38() -> dict[str, Any]:
    with (REFERENCE / "bias_extra_reference.json").open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


FISHER_38 = reference_38()["fsn_fisher"]


@pytest.mark.parametrize("case", FISHER_38, ids=[f"{c['data']}-{c['alpha']}" for c in FISHER_38])
def test_fisher_fail_safe_n_matches_metafor_3_8_fsn_test_fisher(case: dict[str, Any]) -> None:
    d = data(case["data"])
    out = fail_safe_n(d.yi, d.vi, type="Fisher", alpha=case["alpha"], interval=(0, 1000))
    assert out.fsnum == case["fsnum"]
    close(out.pval, case["pval"])


def test_fail_safe_n_refuses_multilevel_fits() -> None:
    from yim.stats.meta.multilevel import MultilevelModel

    kon = pd.read_csv(REFERENCE / "konstantopoulos2011.csv")
    fit = MultilevelModel(profile_cis=False, lrt=False).fit(
        kon.yi, kon.vi, {"district": kon.district, "school": kon.school}
    )
    with pytest.raises(MetaAnalysisError, match="two-level models only"):
        fail_safe_n(fit)
