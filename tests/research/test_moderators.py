"""What works for whom, on data frames: against R (glm, coxph, p.adjust), and the clear
messages and withheld cells of data a test cannot use (docs/evidence.md)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from tests.research.fixtures.moderator_simulation import read, simulate
from tests.research.fixtures.risk_simulation import PLANTED
from tests.research.fixtures.risk_simulation import simulate as simulate_risk
from yim.research.evidence.moderators import (
    AMBULATORY,
    RISK_CHANGE,
    TIME_TO_JIM,
    ModeratorError,
    fit_moderator_frame,
)
from yim.research.evidence.plots import forest_plot_svg
from yim.research.evidence.risk import fit_risk_frame

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module", autouse=True)
def english():  # type: ignore[no-untyped-def]
    """Labels and notes are checked in English (the interface's default language is Dutch);
    module-wide, because the fitted result is a module fixture."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads((FIXTURES / "moderator_reference.json").read_text())


@pytest.fixture(scope="module")
def result():
    return fit_moderator_frame(read(str(FIXTURES / "moderator_sim.csv")), threshold=1)


@pytest.mark.parametrize("outcome", [AMBULATORY, TIME_TO_JIM])
def test_tests_and_subgroup_estimates_equal_rs(result, reference, outcome):
    expected = reference[outcome]
    fitted = result.outcome(outcome)
    assert [m.moderator for m in fitted.moderators] == list(expected)
    for test in fitted.moderators:
        r = expected[test.moderator]
        assert test.error is None
        assert list(test.levels) == r["levels"]
        assert test.df == r["df"]
        # The same likelihoods, maximised by Newton's method (statsmodels) and IRLS (R's
        # glm, which stops when the deviance changes by less than 1e-8 relative): estimates
        # agree to about 1e-7, Wald limits to about 1.5e-5 (R's SE at its last iteration).
        assert test.statistic == pytest.approx(r["statistic"], rel=1e-5)
        assert test.p == pytest.approx(r["p"], rel=1e-5)
        assert test.p_holm == pytest.approx(r["p_holm"], rel=1e-5)
        assert test.p_bh == pytest.approx(r["p_bh"], rel=1e-5)
        for sub, estimate, low, high in zip(
            test.subgroups, r["estimate"], r["low"], r["high"], strict=True
        ):
            assert sub.estimate == pytest.approx(estimate, rel=1e-5)
            if low is None:
                assert sub.ci is None and sub.note == "reference"
            else:
                assert sub.ci == pytest.approx((low, high), rel=1e-4)


def test_a_subgroup_odds_ratio_is_the_cross_product_of_its_two_by_two_table(result):
    frame = read(str(FIXTURES / "moderator_sim.csv"))
    girls = frame[frame["gender"] == "girl"]
    table = pd.crosstab(girls["jim"], girls["ambulatory"])
    a, b = table.loc[1, 1], table.loc[1, 0]  # with a JIM: ambulatory, placed
    c, d = table.loc[0, 1], table.loc[0, 0]  # without
    odds_ratio = (a * d) / (b * c)
    woolf = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)  # the Wald SE of log OR, by hand
    sub = result.outcome(AMBULATORY).moderator("gender").subgroups[1]
    assert sub.level == "girl" and sub.n == len(girls)
    assert sub.estimate == pytest.approx(odds_ratio, rel=1e-8)
    assert sub.ci == pytest.approx(
        (odds_ratio * math.exp(-1.959964 * woolf), odds_ratio * math.exp(1.959964 * woolf)),
        rel=1e-6,
    )


def test_the_relation_of_the_jim_is_no_moderator_of_finding_one(result):
    assert "jim_relation" not in [m.moderator for m in result.outcome(TIME_TO_JIM).moderators]
    relation = result.outcome(AMBULATORY).moderator("jim_relation")
    assert relation.test.startswith("likelihood ratio, levels among youth with a JIM")


def test_a_moderator_with_one_level_says_so_and_is_left_out_of_the_corrections():
    frame = simulate(300).assign(programme="indicated")
    outcome = fit_moderator_frame(frame).outcome(AMBULATORY)
    programme = outcome.moderator("programme")
    assert programme.p is None and programme.p_holm is None and programme.subgroups == ()
    assert "Only one level (indicated)" in programme.error
    assert "at least two levels" in programme.error
    tested = [m for m in outcome.moderators if m.p is not None]
    assert len(tested) == 4
    # Holm over the four tested moderators: the smallest p times four (capped at 1).
    smallest = min(tested, key=lambda m: m.p)
    assert smallest.p_holm == pytest.approx(min(1.0, 4 * smallest.p))
    unrecorded = fit_moderator_frame(frame.assign(gender=None)).outcome(TIME_TO_JIM)
    assert "Not recorded for anyone" in unrecorded.moderator("gender").error


def test_subgroup_estimates_resting_on_a_small_cell_are_withheld_whole():
    frame = simulate(400)
    # Only three 18–23-year-olds without a JIM: a cell below the threshold of 5.
    young = frame["age_band"] == "18_23"
    keep = (
        ~young
        | (frame["jim"] == 1)
        | (frame.index.isin(frame[young & (frame["jim"] == 0)].index[:3]))
    )
    outcome = fit_moderator_frame(frame[keep], threshold=5).outcome(AMBULATORY)
    oldest = outcome.moderator("age_band").subgroups[2]
    assert oldest.level == "18_23"
    assert oldest.estimate is None and oldest.ci is None and "withheld" in oldest.note
    assert all(s.estimate is not None for s in outcome.moderator("age_band").subgroups[:2])


def test_a_subgroup_where_everyone_stayed_ambulatory_is_a_message_not_a_traceback():
    frame = simulate(300)
    frame.loc[frame["gender"] == "girl", "ambulatory"] = 1
    gender = fit_moderator_frame(frame, threshold=1).outcome(AMBULATORY).moderator("gender")
    assert gender.p is None and "cannot be estimated" in gender.error


def test_no_trajectories_at_all_is_refused():
    with pytest.raises(ModeratorError, match="nothing to analyse"):
        fit_moderator_frame(simulate(10).iloc[0:0])


def test_the_result_is_immutable_with_json_and_a_forest_plot(result):
    with pytest.raises(AttributeError):
        result.threshold = 3  # type: ignore[misc]
    data = result.to_json_dict()
    json.dumps(data, allow_nan=False)
    assert [o["outcome"] for o in data["outcomes"]] == [AMBULATORY, TIME_TO_JIM]
    svg = forest_plot_svg(result.outcome(AMBULATORY), labels={"gender": "Gender"})
    assert svg.lstrip().startswith("<?xml") and "Gender" in svg and "p Holm" in svg
    assert svg == forest_plot_svg(result.outcome(AMBULATORY), labels={"gender": "Gender"})


def _risk_by_gender(frame: pd.DataFrame, girls: float, boys: float) -> pd.DataFrame:
    """Risk waves for the trajectories of ``frame``: a planted slope difference per gender."""
    parts = []
    for gender, slope, seed in (("girl", girls, 11), ("boy", boys, 12)):
        units = frame.loc[frame["gender"] == gender, "unit"].to_numpy()
        waves = simulate_risk(len(units), seed=seed, planted={**PLANTED, "time:jim": slope})
        parts.append(waves.assign(unit=units[waves["unit"].to_numpy() - 1]))
    return pd.concat(parts, ignore_index=True)


def test_risk_change_per_subgroup_is_the_risk_model_within_it_and_q_tests_their_equality():
    frame = simulate(240, seed=3)
    risk = _risk_by_gender(frame, girls=-1.2, boys=0.0)
    outcome = fit_moderator_frame(frame, moderators=("gender",), risk=risk).outcome(RISK_CHANGE)
    assert outcome.null == 0.0 and outcome.n == 240
    gender = outcome.moderator("gender")
    boys, girls = gender.subgroups
    # Each subgroup's estimate is the risk model fitted on its youth alone.
    for sub in (boys, girls):
        units = frame.loc[frame["gender"] == sub.level, "unit"]
        alone = fit_risk_frame(risk[risk["unit"].isin(units)]).domain("sim").slope_difference
        # One score per assessment: the overall risk is the one simulated domain.
        assert sub.estimate == pytest.approx(alone.estimate, rel=1e-6)
        assert sub.ci == pytest.approx(alone.ci, rel=1e-6)
    # Q by hand from the two estimates and their SEs (the CI half-widths / 1.96).
    se = [(s.ci[1] - s.ci[0]) / (2 * 1.959963984540054) for s in (boys, girls)]
    w = [1 / e**2 for e in se]
    pooled = (w[0] * boys.estimate + w[1] * girls.estimate) / sum(w)
    q = w[0] * (boys.estimate - pooled) ** 2 + w[1] * (girls.estimate - pooled) ** 2
    assert gender.statistic == pytest.approx(q, rel=1e-6) and gender.df == 1
    assert gender.p < 0.01  # the planted difference of 1.2 points a year is found
    assert girls.ci[1] < 0 < boys.ci[1] and boys.ci[0] < 0


def test_risk_change_in_too_small_subgroups_says_why_per_subgroup():
    frame = simulate(60, seed=4)
    risk = _risk_by_gender(frame, girls=-0.6, boys=-0.6)
    few_girls = frame[(frame["gender"] == "boy") | (frame["unit"].isin(frame["unit"][:12]))]
    outcome = fit_moderator_frame(
        few_girls, moderators=("gender",), risk=risk[risk["unit"].isin(few_girls["unit"])]
    ).outcome(RISK_CHANGE)
    gender = outcome.moderator("gender")
    girls = gender.subgroups[1]
    assert girls.level == "girl" and girls.estimate is None
    assert girls.note == "too few youth with two or more risk assessments for the model"
    assert gender.p is None and "Fewer than two subgroups" in gender.error


def test_a_level_with_fewer_trajectories_than_the_threshold_is_left_out_of_the_test():
    frame = simulate(300, seed=5)
    frame.loc[frame.index[:2], "gender"] = "non_binary"  # two youth: a small cell
    result = fit_moderator_frame(frame, moderators=("gender",))
    for code in (AMBULATORY, TIME_TO_JIM):
        gender = result.outcome(code).moderator("gender")
        assert gender.error is None and gender.df == 1 and list(gender.levels) == ["boy", "girl"]
        left_out = [s for s in gender.subgroups if s.level == "non_binary"]
        assert left_out == [
            left_out[0].__class__(
                "non_binary", None, None, None,
                "left out of the test: fewer than 5 trajectories",
            )
        ]  # fmt: skip
