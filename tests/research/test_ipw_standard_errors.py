"""The weighted (ATT) contrasts of a comparison study get standard errors that account for the
estimated propensity score (:mod:`yim.stats.ipw`, docs/evidence.md "Comparison studies"):
worked by hand on the 20-row example, equal to the same stacked estimating equations written
in R with a numerically differentiated bread, and within Monte Carlo error of R's bootstrap of
the whole procedure (make_ipw_reference.R; the tests never need R)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from tests.jobs.conftest import run_waiting_tasks
from tests.research.test_comparison_study import hand_example
from yim.cli import main
from yim.research.evidence.comparison_sources import read_comparison_file
from yim.research.evidence.comparison_study import Z_95, compare_frame
from yim.stats import ipw

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "ipw_reference.json").read_text())
SIM_COVARIATES = ["age", "gender", "risk"]


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def rd_se(ci: tuple[float, float]) -> float:
    return (ci[1] - ci[0]) / (2 * Z_95)


def log_or_se(ci: tuple[float, float]) -> float:
    return (math.log(ci[1]) - math.log(ci[0])) / (2 * Z_95)


# --- the hand-worked example ------------------------------------------------------------


def test_the_hand_example_accounts_for_the_estimated_propensity_as_worked_by_hand():
    # Risk is the only covariate, so the propensity model is saturated and the ATT estimate
    # is the stratified one: μ₀ = Σ_s (n_JIM,s / n_JIM) ȳ_comparison,s = 0.75·0.5 + 0.25·0.3
    # = 0.45, μ₁ = 5/8 = 0.625 (the rows are in test_comparison_study.hand_example).
    # The influence of a JIM unit i in stratum s on the risk difference is
    # (y_i − ȳ_comparison,s − RD) / n_JIM: it moves μ₁ and, through the propensity, the
    # weight of its stratum; of a comparison unit j: −(n_JIM,s / n_JIM)(y_j − ȳ_s) / n_s.
    #   JIM, high (ȳ_c = 0.5): y = 1: 0.325 (×4), y = 0: −0.675 (×2)
    #   JIM, low (ȳ_c = 0.3):  y = 1: 0.525, y = 0: −0.475
    #   Σ² = 4·0.105625 + 2·0.455625 + 0.275625 + 0.225625 = 1.835 → / 64 = 0.028671875
    #   comparison, high: 0.75² · (2 · 0.25) / 2² = 0.0703125
    #   comparison, low:  0.25² · (3·0.49 + 7·0.09) / 10² = 0.0013125
    #   var(RD) = 0.028671875 + 0.0703125 + 0.0013125 = 0.100296875 → SE 0.3166968
    # Treating the weights as known gives 0.101765625 (SE 0.319007; test_comparison_study).
    result = compare_frame(hand_example(), covariates=["risk"], outcomes=["y"], min_group=5)
    (y,) = result.outcomes
    assert rd_se(y.ipw_rd_ci) == pytest.approx(math.sqrt(0.100296875), rel=1e-7)
    assert rd_se(y.ipw_rd_ci_known_weights) == pytest.approx(0.319007, abs=1e-6)
    # The log odds ratio by the delta method: gradient (1/(μ₁(1 − μ₁)), −1/(μ₀(1 − μ₀))) =
    # (4.266667, −4.040404) on var μ₁ = 1.875/64 = 0.029296875, var μ₀ = (6·0.05² + 2·0.15²)/64
    # + 0.0703125 + 0.0013125 = 0.0725625, cov = (0.05·0.25 + 0.15·0.25)/64 = 0.00078125:
    # 18.204444·0.029296875 + 16.324865·0.0725625 − 2·4.266667·4.040404·0.00078125 = 1.690970
    assert log_or_se(y.ipw_or_ci) == pytest.approx(math.sqrt(1.690970), rel=1e-6)
    assert y.ipw_odds_ratio == pytest.approx(2.037037, abs=1e-6)  # the estimate is unchanged


def test_the_stacked_equations_of_the_hand_example_are_rs_with_a_numerical_bread():
    ref = REFERENCE["hand"]["stacked"]
    frame = hand_example()
    treated = frame["treated"].to_numpy() == 1
    x = np.column_stack([np.ones(20), (frame["risk"] == "low").to_numpy(float)])
    # The saturated propensity model's estimate: logit(6/8) for high, logit(2/12) for low.
    beta = np.array([math.log(3.0), math.log(0.2) - math.log(3.0)])
    result = ipw.att_contrast(frame["y"].to_numpy(float), treated, x, beta)
    # numDeriv's Richardson derivative is good to about 1e-9 here; the figures to 1e-8.
    assert result.risk_comparison == pytest.approx(ref["risk_comparison"], rel=1e-9)
    assert result.rd_se == pytest.approx(ref["rd_se"], rel=1e-8)
    assert result.log_or_se == pytest.approx(ref["log_or_se"], rel=1e-8)
    (v11, v10), (_v01, v00) = result.covariance
    assert (v11, v10, v00) == pytest.approx((ref["cov_11"], ref["cov_10"], ref["cov_00"]), rel=1e-8)


# --- against R on simulated case files -----------------------------------------------------


def sim(name: str, covariates: list[str], trim: float | None = None):  # type: ignore[no-untyped-def]
    frame = read_comparison_file(
        FIXTURES / name, group="group", treated="jim", outcomes=["ambulatory"],
        covariates=covariates,
    )  # fmt: skip
    result = compare_frame(
        frame, covariates=covariates, outcomes=["ambulatory"], trim_percentile=trim
    )
    return result.outcomes[0]


@pytest.mark.parametrize(("trim", "key"), [(None, "sim"), (95, "sim_trim95")])
def test_the_stacked_standard_errors_are_rs_and_within_the_bootstraps_monte_carlo_error(trim, key):
    o = sim("ipw_sim.csv", SIM_COVARIATES, trim)
    ref = REFERENCE[key]
    # 36 rows without the outcome are left out of it and stay in the propensity model.
    assert (o.n, o.n_treated + o.n_comparison) == (364, 364)
    stacked = ref["stacked"]
    assert o.ipw_risk_difference == pytest.approx(stacked["rd"], rel=1e-9)
    assert math.log(o.ipw_odds_ratio) == pytest.approx(stacked["log_or"], rel=1e-7)
    # Closed-form against numerical derivatives (Richardson; about 1e-9 relative).
    assert rd_se(o.ipw_rd_ci) == pytest.approx(stacked["rd_se"], rel=1e-7)
    assert log_or_se(o.ipw_or_ci) == pytest.approx(stacked["log_or_se"], rel=1e-7)
    # The bootstrap of the whole procedure (refit, reweight, re-trim; R = 10000) estimates the
    # same variance with Monte Carlo error (its SE's own SE is `*_mc`, about 0.7%) and a
    # finite-sample difference from the linearisation (the sandwich has no small-sample
    # factor and the log odds ratio is nonlinear): here 1.2–2.3%, the bootstrap always the
    # larger. Tolerance: 4%, about three Monte Carlo SEs plus that difference.
    boot = ref["bootstrap"]
    assert rd_se(o.ipw_rd_ci) == pytest.approx(boot["rd_se"], rel=0.04)
    assert log_or_se(o.ipw_or_ci) == pytest.approx(boot["log_or_se"], rel=0.04)


def test_with_a_strongly_prognostic_covariate_only_the_stacked_error_matches_the_bootstrap():
    # ipw_prognostic.csv: the covariate that drives the group also drives the outcome. The
    # estimated propensity then removes much of the outcome's variation: the interval that
    # treats the weights as known is too wide by about a fifth.
    o = sim("ipw_prognostic.csv", ["score", "school"])
    ref = REFERENCE["prognostic"]
    stacked, known, boot = rd_se(o.ipw_rd_ci), rd_se(o.ipw_rd_ci_known_weights), ref["bootstrap"]
    assert stacked == pytest.approx(ref["stacked"]["rd_se"], rel=1e-7)
    assert known == pytest.approx(ref["known"]["rd_se"], rel=1e-7)  # lm + vcovHC(HC0)
    # Tolerance as above (4%); the known-weights SE is more than 15% off.
    assert stacked == pytest.approx(boot["rd_se"], rel=0.04)
    assert abs(known / boot["rd_se"] - 1) > 0.15


# --- which standard error: the JSON, the page's words, the command -------------------------


def test_the_json_and_the_command_say_which_standard_error_the_intervals_use(capsys):
    result = compare_frame(hand_example(), covariates=["risk"], outcomes=["y"], min_group=5)
    data = result.to_json_dict()
    assert data["ipw_interval"] == "m_estimation"
    assert "accounts for the estimated propensity score" in data["conventions"]["ipw_se"]
    assert "weights treated as known" in data["conventions"]["ipw_se_known_weights"]
    assert data["outcomes"][0]["ipw_rd_ci_known_weights"] is not None
    code = main([
        "evidence", "compare", "--file", str(FIXTURES / "ipw_sim.csv"), "--group", "group",
        "--treated", "jim", "--outcome", "ambulatory", "--covariates", "age,gender,risk",
        "--format", "text",
    ])  # fmt: skip
    assert code == 0
    assert "IPW: CI from the stacked propensity and outcome equations" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_comparison_page_says_the_intervals_account_for_the_estimated_propensity(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    upload = SimpleUploadedFile("cases.csv", (FIXTURES / "ipw_sim.csv").read_bytes())
    data = {"source": "file", "data_file": upload, "group": "group", "treated": "jim",
            "outcomes": "ambulatory", "covariates": "age, gender, risk"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evidence:comparison"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert run_waiting_tasks() == 1
    html = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "an M-estimation sandwich that solves the propensity model and the weighted " in html
    assert "treat the weights as known (they ignore" not in html
