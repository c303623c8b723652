"""Comparison studies (docs/evidence.md, "Comparison studies"): standardised mean differences
and ATT weights on a 20-row example worked by hand, the adjusted and weighted odds ratios
against R, the clear messages of data that cannot be used, the registry's two cohorts in the
scope the policy gives, the page through a background job, and ``yim evidence compare``."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import FROZEN_NOW
from tests.jobs.conftest import run_waiting_tasks
from tests.research.evidence.conftest import Registry, at
from yim.cli import main
from yim.jobs.models import Job, JobStatus
from yim.programmes.models import ProgrammeModel
from yim.research.evidence import definitions as d
from yim.research.evidence.comparison_plot import love_plot_svg
from yim.research.evidence.comparison_sources import (
    PLACED,
    compare_registry,
    comparison_frame,
    frame_from_params,
    frame_to_params,
    read_comparison_file,
)
from yim.research.evidence.comparison_study import ComparisonError, compare_frame
from yim.stats import balance
from yim.trajectories.models import Youth

FIXTURES = Path(__file__).parent / "fixtures"
SIM = FIXTURES / "comparison_sim.csv"
SIM_COVARIATES = ["age", "gender", "risk"]


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    """The messages are checked in English (the interface's default language is Dutch)."""
    from django.utils import translation

    with translation.override("en"):
        yield


# --- the hand-worked example ------------------------------------------------------------
#
# 20 units, rows 2–21 as in a spreadsheet. JIM group (treated): 8 units, comparison: 12.
#   risk "high": 6 JIM (outcome y: 1 1 1 1 0 0) and 2 comparison (y: 1 0)
#   risk "low":  2 JIM (y: 1 0)                and 10 comparison (y: 1 1 1 0 0 0 0 0 0 0)
#   age: JIM alternately 14 and 16 (mean 15), comparison alternately 15 and 17 (mean 16).


def hand_example() -> pd.DataFrame:
    jim = [("high", 1)] * 4 + [("high", 0)] * 2 + [("low", 1), ("low", 0)]
    comparison = [("high", 1), ("high", 0)] + [("low", 1)] * 3 + [("low", 0)] * 7
    rows = [
        {"treated": 1, "risk": risk, "age": 14.0 if i % 2 == 0 else 16.0, "y": float(y)}
        for i, (risk, y) in enumerate(jim)
    ] + [
        {"treated": 0, "risk": risk, "age": 15.0 if i % 2 == 0 else 17.0, "y": float(y)}
        for i, (risk, y) in enumerate(comparison)
    ]
    return pd.DataFrame(rows, index=pd.Index([str(r) for r in range(2, 22)], name="row"))


def test_the_baseline_smds_of_the_hand_example_use_the_pooled_sd_of_austin_2009():
    result = compare_frame(hand_example(), covariates=["risk", "age"], outcomes=["y"], min_group=5)
    rows = {(r.covariate, r.level): r for r in result.baseline}
    # risk = high: p_JIM = 6/8 = 0.75, p_comparison = 2/12 = 1/6.
    # Pooled SD = sqrt((0.75·0.25 + (1/6)(5/6)) / 2) = sqrt((0.1875 + 0.138889) / 2)
    #           = sqrt(0.1631944) = 0.4039733;  SMD = (0.75 − 0.1666667) / 0.4039733 = 1.4439897
    high = rows[("risk", "high")]
    assert (high.mean_treated, high.mean_comparison) == (0.75, pytest.approx(1 / 6))
    assert high.smd == pytest.approx(1.4439897, abs=1e-6)
    assert rows[("risk", "low")].smd == pytest.approx(-1.4439897, abs=1e-6)  # the mirror
    # age: deviations from the group mean are all ±1, so s²_JIM = 8/7 = 1.142857 and
    # s²_comparison = 12/11 = 1.090909 (n − 1). Pooled SD = sqrt((1.142857 + 1.090909) / 2)
    # = sqrt(1.116883) = 1.056827;  SMD = (15 − 16) / 1.056827 = −0.946229
    age = rows[("age", None)]
    assert age.kind == "numeric"
    assert age.sd_treated == pytest.approx(math.sqrt(8 / 7))
    assert age.smd == pytest.approx(-0.946229, abs=1e-6)
    assert not any(r.balanced for r in result.baseline)  # every |SMD| is above 0.1
    assert not result.all_balanced


def test_the_att_weights_of_the_hand_example_balance_risk_and_give_the_hand_estimates():
    # With risk as the only covariate the propensity model is saturated: e is the share of
    # the JIM group within the level. high: e = 6/8 = 0.75 → comparison weight 0.75/0.25 = 3;
    # low: e = 2/12 = 1/6 → weight (1/6)/(5/6) = 0.2. JIM units weigh 1.
    result = compare_frame(hand_example(), covariates=["risk"], outcomes=["y"], min_group=5)
    w = result.weighting
    # Comparison weights: 2 × 3 + 10 × 0.2 = 8 (= the JIM group's size, as it should);
    # Kish ESS = (Σw)² / Σw² = 64 / (2·9 + 10·0.04) = 64 / 18.4 = 3.478261; JIM: 8.
    assert w.sum_weights_comparison == pytest.approx(8.0, rel=1e-8)
    assert w.max_weight == pytest.approx(3.0, rel=1e-8)
    assert w.ess_comparison == pytest.approx(64 / 18.4, rel=1e-8)
    assert w.ess_treated == 8.0
    assert w.n_trimmed == 0 and w.cap is None
    # After weighting the comparison group is 6/8 = 75% high risk, as the JIM group: SMD 0.
    high = next(r for r in result.baseline if r.level == "high")
    assert high.weighted_mean_comparison == pytest.approx(0.75, rel=1e-8)
    assert high.weighted_smd == pytest.approx(0.0, abs=1e-8) and high.balanced_after
    (y,) = result.outcomes
    # Crude: JIM 5/8 = 0.625; comparison 4/12 = 0.3333.
    assert (y.events_treated, y.n_treated, y.events_comparison, y.n_comparison) == (5, 8, 4, 12)
    # Weighted comparison risk = (3·1 + 3·0 + 0.2·3 + 0.2·0·7) / 8 = 3.6 / 8 = 0.45;
    # risk difference = 0.625 − 0.45 = 0.175.
    assert y.ipw_risk_comparison == pytest.approx(0.45, rel=1e-8)
    assert y.ipw_risk_difference == pytest.approx(0.175, rel=1e-8)
    # HC0 with the weights treated as known (kept beside the interval shown, for comparison;
    # the shown one, which accounts for the estimated propensity, is worked by hand in
    # test_ipw_standard_errors.py): Σ w²(y − ȳ)² / (Σw)² per group.
    # JIM: (5·0.375² + 3·0.625²) / 64 = 1.875 / 64 = 0.029296875.
    # Comparison: (9·0.55² + 9·0.45² + 3·0.04·0.55² + 7·0.04·0.45²) / 64
    # = (2.7225 + 1.8225 + 0.0363 + 0.0567) / 64 = 0.07246875. SE = sqrt(0.101765625) = 0.319007
    se = math.sqrt(1.875 / 64 + 4.638 / 64)
    assert se == pytest.approx(0.319007, abs=1e-6)
    assert y.ipw_rd_ci_known_weights == pytest.approx(
        (0.175 - 1.959964 * se, 0.175 + 1.959964 * se), rel=1e-6
    )
    # Weighted OR = (0.625/0.375) / (0.45/0.55) = 1.666667 / 0.818182 = 2.037037. Its HC0
    # variance on the log scale (saturated: the delta method of the two weighted risks):
    # 0.029296875 / (0.625·0.375)² + 0.07246875 / (0.45·0.55)² = 0.533333 + 1.183042
    log_se = math.sqrt(0.029296875 / 0.234375**2 + 0.07246875 / 0.2475**2)
    assert y.ipw_odds_ratio == pytest.approx(2.037037, abs=1e-6)
    assert y.ipw_or_ci_known_weights == pytest.approx(
        (2.037037 * math.exp(-1.959964 * log_se), 2.037037 * math.exp(1.959964 * log_se)),
        rel=1e-5,
    )


def test_trimming_truncates_the_comparison_weights_above_the_percentile_and_counts_them():
    treated = np.array([True, True, False, False, False, False, False])
    weights = np.array([1.0, 1.0, 0.5, 1.0, 2.0, 4.0, 10.0])
    # Comparison weights 0.5 1 2 4 10: the 75th percentile (linear) lies at position
    # 0.75 · 4 = 3 → 4.0; only the 10 is above it.
    trimmed, n, cap = balance.trim_weights(weights, treated, 75)
    assert (n, cap) == (1, 4.0)
    assert trimmed.tolist() == [1.0, 1.0, 0.5, 1.0, 2.0, 4.0, 4.0]


def test_the_weighted_variance_is_the_sample_variance_with_unit_weights():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    assert balance.weighted_variance(x) == pytest.approx(np.var(x, ddof=1))
    assert balance.weighted_variance(x, np.full(4, 3.0)) == pytest.approx(np.var(x, ddof=1))
    assert balance.smd(np.array([1.0, 1.0]), np.array([0.0, 0.0]), binary=True) is None


# --- against R ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads((FIXTURES / "comparison_reference.json").read_text())


def sim(trim: float | None = None):  # type: ignore[no-untyped-def]
    frame = read_comparison_file(
        SIM, group="group", treated="jim", outcomes=["ambulatory"], covariates=SIM_COVARIATES
    )
    return compare_frame(
        frame, covariates=SIM_COVARIATES, outcomes=["ambulatory"], trim_percentile=trim
    )


def test_the_adjusted_odds_ratio_is_rs_glm(reference):
    # R: glm(ambulatory ~ jim + age + gender + risk, family = binomial); confint.default
    result = sim()
    (o,) = result.outcomes
    assert (result.n_treated, result.n_comparison) == (
        reference["n_treated"],
        reference["n_comparison"],
    )
    ref = reference["adjusted"]
    assert o.odds_ratio == pytest.approx(ref["or"], rel=1e-6)
    assert o.ci == pytest.approx((ref["low"], ref["high"]), rel=1e-6)
    assert o.p == pytest.approx(ref["p"], rel=1e-4)


@pytest.mark.parametrize(("trim", "key"), [(None, "ipw"), (95, "ipw_trim95")])
def test_the_weighted_contrast_is_rs_glm_with_sandwich_hc0(reference, trim, key):
    # R: ATT weights from glm(jim ~ age + gender + risk, binomial); glm(ambulatory ~ jim,
    # weights = w, quasibinomial) and lm(ambulatory ~ jim, weights = w), each with
    # sandwich::vcovHC(type = "HC0"); see make_comparison_reference.R. These are the
    # intervals that treat the weights as known, kept beside the shown ones for comparison.
    result = sim(trim)
    (o,) = result.outcomes
    ref = reference[key]
    assert o.ipw_odds_ratio == pytest.approx(ref["or"], rel=1e-6)
    assert o.ipw_or_ci_known_weights == pytest.approx((ref["or_low"], ref["or_high"]), rel=1e-6)
    assert o.ipw_risk_difference == pytest.approx(ref["rd"], rel=1e-6)
    assert o.ipw_rd_ci_known_weights == pytest.approx((ref["rd_low"], ref["rd_high"]), rel=1e-6)
    w = result.weighting
    assert w.ess_treated == pytest.approx(ref["ess_treated"])
    assert w.ess_comparison == pytest.approx(ref["ess_comparison"], rel=1e-6)
    assert w.max_weight == pytest.approx(ref["max_weight"], rel=1e-6)
    if trim:
        assert (w.n_trimmed, w.cap) == (reference["n_trimmed95"], pytest.approx(reference["cap95"]))


def test_weighting_improves_the_balance_of_the_confounders_and_the_plot_shows_both():
    result = sim()
    high = next(r for r in result.baseline if (r.covariate, r.level) == ("risk", "high"))
    assert not high.balanced and high.balanced_after  # -0.63 before, about 0 after
    fit = result.to_json_dict()
    json.dumps(fit, allow_nan=False)
    svg = love_plot_svg(fit["baseline"])
    assert svg.startswith("<?xml") and "risk: high" in svg
    assert svg == love_plot_svg(fit["baseline"])  # the same bytes for the same result


# --- bad input ----------------------------------------------------------------------------


def test_a_group_below_the_minimum_is_refused_with_what_to_do():
    with pytest.raises(ComparisonError, match=r"has 8 units .* at least 10 .* Widen"):
        compare_frame(hand_example(), covariates=["risk"], outcomes=["y"])


def test_a_covariate_with_one_level_is_refused():
    frame = hand_example().assign(site="Noord")
    with pytest.raises(ComparisonError, match=r"“site” has one value .* Leave it out"):
        compare_frame(frame, covariates=["risk", "site"], outcomes=["y"], min_group=5)


def test_a_covariate_that_predicts_the_group_perfectly_is_refused_as_separation():
    frame = hand_example()
    frame["unit_type"] = np.where(frame["treated"] == 1, "ambulant", "residential")
    with pytest.raises(ComparisonError, match=r"cannot be fitted.* perfectly"):
        compare_frame(frame, covariates=["unit_type"], outcomes=["y"], min_group=5)


def test_an_outcome_without_events_in_a_model_says_so_and_the_others_are_estimated():
    frame = hand_example().assign(never=0.0)
    result = compare_frame(frame, covariates=["risk"], outcomes=["y", "never"], min_group=5)
    never = result.outcomes[1]
    assert never.odds_ratio is None and "same value" in never.error
    assert result.outcomes[0].odds_ratio is not None


def test_rows_with_a_missing_covariate_are_left_out_and_named():
    frame = hand_example()
    frame.loc[["5", "20"], "age"] = None
    result = compare_frame(frame, covariates=["risk", "age"], outcomes=["y"], min_group=5)
    assert result.rows_dropped == 2 and result.dropped_rows == ("5", "20")
    assert (result.n_treated, result.n_comparison) == (7, 11)
    assert "2 rows with a missing covariate value were left out (rows: 5, 20)" in result.notes[0]
    assert "Fill in the values, or leave the covariate out" in result.notes[0]


CSV_HEAD = "group;age;gender;ambulatory\n"


def csv_bytes(lines: list[str]) -> bytes:
    return (CSV_HEAD + "\n".join(lines) + "\n").encode()


def good_lines() -> list[str]:
    return [
        f"{'jim' if i % 2 else 'residentieel'};{12 + i % 7};{'girl' if i % 3 else 'boy'};"
        f"{'ja' if i % 4 else 'nee'}"
        for i in range(24)
    ]


def test_a_file_with_bad_rows_is_refused_whole_with_every_row_number():
    lines = good_lines()
    lines[0] = ";14;girl;1"  # row 2: no group
    lines[3] = "jim;14;girl;maybe"  # row 5: not 1/0
    lines[5] = "jim;fourteen;girl;1"  # row 7: text among numbers
    with pytest.raises(ComparisonError) as caught:
        read_comparison_file(
            csv_bytes(lines), "cases.csv", group="group", treated="jim",
            outcomes=["ambulatory"], covariates=["age", "gender"],
        )  # fmt: skip
    message = str(caught.value)
    assert "Rows without a group: 2." in message
    assert "not 1/0 (yes/no) in rows 5." in message
    assert "“age” holds numbers, but not in rows 7." in message
    assert message.endswith("Correct these rows and upload the file again.")


def test_a_file_is_read_with_dutch_yes_no_and_the_group_value_inferred_from_its_name():
    frame = read_comparison_file(
        csv_bytes(good_lines()), "cases.csv", group="group",
        outcomes=["ambulatory"], covariates=["age", "gender"],
    )  # fmt: skip
    assert frame.index[0] == 2  # spreadsheet rows: the header is row 1
    assert frame["treated"].sum() == 12  # "jim" is the JIM group
    assert frame["ambulatory"].tolist()[:4] == [0.0, 1.0, 1.0, 1.0]
    assert frame["age"].dtype == float and frame["gender"].dtype == object
    again = frame_from_params(json.loads(json.dumps(frame_to_params(frame))))
    assert again["age"].tolist() == frame["age"].tolist()
    assert again["gender"].tolist() == frame["gender"].tolist()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"group": "groep"}, "no column “groep” in the file; its columns are: group, age"),
        ({"treated": "JIM"}, "no value “JIM”; its values are jim, residentieel"),
        ({"covariates": ["ambulatory"]}, "A column is used twice"),
    ],
)
def test_a_file_question_that_does_not_fit_the_file_says_what_is_there(kwargs, message):
    question = {"group": "group", "outcomes": ["ambulatory"], "covariates": ["age"], **kwargs}
    with pytest.raises(ComparisonError, match=message):
        read_comparison_file(csv_bytes(good_lines()), "cases.csv", **question)


def test_a_group_column_with_three_values_is_refused():
    lines = good_lines()
    lines[2] = "foster;14;girl;1"
    with pytest.raises(ComparisonError, match="exactly two values; it has foster, jim"):
        read_comparison_file(
            csv_bytes(lines), "cases.csv", group="group", outcomes=["ambulatory"], covariates=[]
        )


def test_a_file_above_the_row_limit_is_refused():
    with pytest.raises(ComparisonError, match="more than 10 data rows"):
        read_comparison_file(
            csv_bytes(good_lines()), "cases.csv", group="group", outcomes=["ambulatory"],
            covariates=[], max_rows=10,
        )  # fmt: skip


# --- from the registry --------------------------------------------------------------------

#: Per unit i: cohort (even: JIM, odd: comparison), born in 2008 + i % 5, a girl when
#: i % 4 is 0 or 1 (half of each group); team A (the professional's caseload) for i < 20,
#: team B after; a realised placement when i < 10 (5 per group), closed when i % 4 != 3
#: (every JIM unit; comparison units 1, 5, 9, …, of which 1, 5 and 9 were placed).
N_UNITS, N_TEAM_A = 30, 20
REFERRED = dt.date(2025, 1, 6)


@pytest.fixture
def two_cohorts(world) -> Registry:  # type: ignore[no-untyped-def]
    r = Registry(world=world, programme=ProgrammeModel.standard("indicated"))
    for i in range(N_UNITS):
        team = world.team_a if i < N_TEAM_A else world.team_b
        t = r.trajectory(
            f"C{i}", REFERRED, team=team, cohort="jim" if i % 2 == 0 else "comparison",
            born=dt.date(2008 + i % 5, 3, 1),
        )  # fmt: skip
        Youth.objects.filter(pk=t.youth_id).update(gender="girl" if i % 4 in (0, 1) else "boy")
        if i < 10:
            decided = REFERRED + dt.timedelta(30 + i)
            decision = r.decision(t, decided, no_jim_reason="No JIM could be found in time.")
            decision.finalise(by=world.professional, at=at(decided, 15))
            r.placed(decision, decided)
        if i % 4 != 3:
            r.close(t, REFERRED + dt.timedelta(200), "no_jim")
    return r


@pytest.mark.django_db
def test_the_registry_frame_has_both_cohorts_with_covariates_and_outcomes(two_cohorts):
    frame = comparison_frame(d.Scope(as_of=FROZEN_NOW.date()))
    assert len(frame) == N_UNITS and frame["treated"].sum() == N_UNITS // 2
    c0 = frame.loc[two_cohorts.trajectories["C0"].pk]
    assert (c0["treated"], c0["age"], c0["gender"], c0[PLACED]) == (1, 16.0, "girl", 1.0)
    assert c0["ambulatory_at_closure"] == 0.0  # closed, placed on day 30
    c3 = frame.loc[two_cohorts.trajectories["C3"].pk]
    assert (c3["treated"], c3["age"], c3[PLACED]) == (0, 13.0, 1.0)
    assert pd.isna(c3["ambulatory_at_closure"])  # still open
    c11 = frame.loc[two_cohorts.trajectories["C11"].pk]
    assert (c11["gender"], c11[PLACED]) == ("boy", 0.0)
    assert frame["intake_risk"].isna().all()  # no risk assessments recorded


@pytest.mark.django_db
def test_the_registry_comparison_leaves_out_what_the_selection_does_not_vary_in(two_cohorts):
    result = compare_registry(d.Scope(as_of=FROZEN_NOW.date()))
    assert result.covariates == ("age", "gender")
    assert any("intake_risk" in n for n in result.notes)
    assert any("programme" in n for n in result.notes)
    assert (result.n_treated, result.n_comparison) == (15, 15)
    placed = next(o for o in result.outcomes if o.outcome == PLACED)
    assert (placed.events_treated, placed.events_comparison) == (5, 5)
    assert placed.odds_ratio is not None and not placed.suppressed
    # Ambulatory at closure: 8 closed comparison units, 3 of them placed: a cell below 5.
    ambulatory = next(o for o in result.outcomes if o.outcome == "ambulatory_at_closure")
    assert ambulatory.suppressed and ambulatory.n_comparison is None
    assert ambulatory.odds_ratio is None and ambulatory.ipw_risk_difference is None
    assert "Withheld" in ambulatory.error


@pytest.mark.django_db
def test_a_trajectory_without_a_recorded_gender_is_left_out_and_counted(two_cohorts):
    Youth.objects.filter(pk=two_cohorts.trajectories["C29"].youth_id).update(gender="")
    result = compare_registry(d.Scope(as_of=FROZEN_NOW.date()), covariates=["age", "gender"])
    assert (result.n_treated, result.n_comparison, result.rows_dropped) == (15, 14, 1)
    assert result.dropped_rows == ()  # trajectories are not named, only counted
    assert result.notes == (
        "1 trajectory with a missing covariate value was left out. Record the value, or leave "
        "the covariate out.",
    )


@pytest.mark.django_db
def test_an_unknown_registry_covariate_is_refused(two_cohorts):
    with pytest.raises(ComparisonError, match="Unknown covariates: ses"):
        compare_registry(d.Scope(as_of=FROZEN_NOW.date()), covariates=["ses"])


# --- the page, through the background job ------------------------------------------------


def post(client, capture, data):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return client.post(reverse("evidence:comparison"), data, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.django_db
def test_the_evidence_page_links_the_comparison_page_which_offers_both_sources(
    two_cohorts, client_for
):
    client = client_for("researcher")
    assert (
        reverse("evidence:comparison") in client.get(reverse("evidence:summary")).content.decode()
    )
    page = client.get(reverse("evidence:comparison"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "From the registry" in html and "From a file of case files" in html


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "scope", "n"), [
    ("researcher", "organisation_id", 15),  # both teams of the organisation
    ("professional", "professional_id", 10),  # only their own caseload (team A)
])  # fmt: skip
def test_the_registry_comparison_runs_in_the_background_in_the_users_scope(
    two_cohorts, client_for, world, django_capture_on_commit_callbacks, persona, scope, n
):
    client = client_for(persona)
    response = post(client, django_capture_on_commit_callbacks, {"source": "registry"})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("jobs:job", args=[job.pk])
    assert job.params[scope] == getattr(world, persona if scope == "professional_id" else "org").pk
    assert run_waiting_tasks() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    fit = job.result["fit"]
    assert (fit["n_treated"], fit["n_comparison"]) == (n, n)
    html = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Baseline: standardised mean differences" in html
    assert "Age at referral" in html and "Out-of-home placement realised" in html
    assert "<svg" in html and "Effective sample size (Kish)" in html
    assert "Withheld: a cell of this outcome rests on fewer youth than 5" in html


@pytest.mark.django_db
def test_an_uploaded_file_runs_in_the_background_and_its_page_shows_the_columns(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    upload = SimpleUploadedFile("cases.csv", SIM.read_bytes(), content_type="text/csv")
    data = {"source": "file", "data_file": upload, "group": "group", "treated": "jim",
            "outcomes": "ambulatory", "covariates": "age, gender, risk", "trim": "95"}  # fmt: skip
    response = post(client, django_capture_on_commit_callbacks, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert run_waiting_tasks() == 1
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result["fit"]["weighting"]["n_trimmed"] == 5
    html = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "ambulatory" in html and "risk: high" in html.replace("</th>", "")
    assert "were trimmed to" in html


@pytest.mark.django_db
def test_a_file_with_bad_rows_is_refused_on_the_page_and_nothing_is_started(
    world, client_for, django_capture_on_commit_callbacks
):
    lines = good_lines()
    lines[3] = "jim;14;girl;maybe"
    upload = SimpleUploadedFile("cases.csv", csv_bytes(lines), content_type="text/csv")
    data = {"source": "file", "data_file": upload, "group": "group", "outcomes": "ambulatory"}
    page = post(client_for("professional"), django_capture_on_commit_callbacks, data)
    assert page.status_code == 200
    assert "not 1/0 (yes/no) in rows 5." in page.content.decode()
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_too_small_a_registry_fails_with_the_message_on_the_job_page(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    post(client, django_capture_on_commit_callbacks, {"source": "registry"})
    run_waiting_tasks()
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert "no trajectories" in job.error
    assert job.error in client.get(reverse("jobs:job", args=[job.pk])).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["youth_user", "jim", "parent"])
def test_portal_users_reach_no_comparison(world, client_for, persona):
    client = client_for(persona)
    assert client.get(reverse("evidence:comparison")).status_code == 404
    assert client.post(reverse("evidence:comparison"), {"source": "registry"}).status_code == 404
    assert not Job.objects.exists()


# --- yim evidence compare -----------------------------------------------------------------


def test_the_command_compares_a_file_as_json(capsys, reference):
    code = main([
        "evidence", "compare", "--file", str(SIM), "--group", "group", "--treated", "jim",
        "--outcome", "ambulatory", "--covariates", "age,gender,risk", "--format", "json",
    ])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["outcomes"][0]["odds_ratio"] == pytest.approx(reference["adjusted"]["or"])
    assert data["conventions"]["balanced_below"] == 0.1


def test_the_command_refuses_a_file_with_bad_rows_with_their_numbers(tmp_path, capsys):
    lines = good_lines()
    lines[3] = "jim;14;girl;maybe"
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes(lines))
    code = main(["evidence", "compare", "--file", str(path), "--group", "group",
                 "--outcome", "ambulatory", "--format", "text"])  # fmt: skip
    assert code == 2
    assert "not 1/0 (yes/no) in rows 5." in capsys.readouterr().err


@pytest.mark.django_db
def test_the_command_compares_the_registry_of_an_organisation(two_cohorts, world, capsys):
    code = main(["evidence", "compare", "--organisation", world.org.name, "--format", "text"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "JIM group 15, comparison group 15" in out
    assert "placement_realised (n 30): JIM 5/15, comparison 5/15" in out
    assert "ambulatory_at_closure: Withheld" in out
