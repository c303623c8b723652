"""Risk trajectories on data frames: against R (lme4, geepack), recovery of a planted slope
difference, and the clear messages for data a model cannot use (docs/evidence.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from django.utils import translation

from tests.research.fixtures.risk_simulation import PLANTED, simulate
from yim.research.evidence.plots import risk_plot_svg
from yim.research.evidence.risk import (
    MIN_YOUTH,
    RiskModelError,
    domain_error,
    fit_domain,
    fit_risk_frame,
)

FIXTURES = Path(__file__).parent / "fixtures"
TERMS = ("Intercept", "time", "jim", "time:jim")


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    """The messages are checked in English (the interface's default language is Dutch)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads((FIXTURES / "risk_reference.json").read_text())


@pytest.fixture(scope="module")
def simulated_fit():
    frame = pd.read_csv(FIXTURES / "risk_sim.csv")
    return fit_risk_frame(frame).domain("sim")


def test_the_mixed_model_gives_lme4s_estimates_and_standard_errors(simulated_fit, reference):
    lmer = reference["lmer"]
    assert simulated_fit.converged and simulated_fit.error is None
    assert simulated_fit.n_youth == reference["n_youth"] == 60
    assert simulated_fit.n_assessments == reference["n_assessments"]
    for term in TERMS:
        fit = simulated_fit.coefficients[term]
        # Both maximise the same REML criterion (yim.stats.lmm, lme4's parametrisation); the
        # optimisers stop about 1e-6 apart. tests/stats/test_lmm.py checks it more tightly.
        assert fit.estimate == pytest.approx(lmer["estimate"][term], abs=1e-4)
        # The SEs are the GLS covariance at the REML variance components, as lme4's vcov;
        # they agree to about 1e-5 relative (statsmodels' Hessian-based bse is 0.4% off).
        assert fit.se == pytest.approx(lmer["se"][term], rel=1e-3)
    diff = simulated_fit.slope_difference
    assert diff is simulated_fit.coefficients["time:jim"]
    assert diff.ci[0] == pytest.approx(diff.estimate - 1.959964 * diff.se)
    assert diff.ci[1] == pytest.approx(diff.estimate + 1.959964 * diff.se)
    assert 0 < diff.p < 0.001


def test_the_gee_gives_geepacks_estimate_and_the_bias_reduced_standard_error(
    simulated_fit, reference
):
    gee = reference["geeglm"]
    # geepack divides the scale and the exchangeable correlation by N - p, statsmodels by
    # N (alpha 0.681 vs 0.678), so the estimates differ by about 1e-4 and the SEs by about
    # 1e-4 relative; the tolerances leave ten times that.
    assert simulated_fit.gee is not None and simulated_fit.gee_converged
    assert simulated_fit.gee.estimate == pytest.approx(gee["estimate"]["time:jim"], abs=1e-3)
    assert simulated_fit.gee_robust_se == pytest.approx(gee["se_sandwich"]["time:jim"], rel=2e-3)
    # Mancl–DeRouen, computed by hand in the R script from geepack's fit.
    assert simulated_fit.gee.se == pytest.approx(gee["se_bias_reduced"]["time:jim"], rel=2e-3)
    assert simulated_fit.gee.se > simulated_fit.gee_robust_se


def test_the_planted_slope_difference_is_recovered_within_two_standard_errors():
    frame = simulate(400, seed=7)
    fit = fit_risk_frame(frame).domain("sim")
    planted = PLANTED["time:jim"]
    assert fit.slope_difference is not None and fit.gee is not None
    assert abs(fit.slope_difference.estimate - planted) < 2 * fit.slope_difference.se
    assert abs(fit.gee.estimate - planted) < 2 * fit.gee.se
    assert fit.slope_difference.ci[1] < 0  # 400 youth see a slope difference of -0.6
    for term in ("Intercept", "time"):
        estimate = fit.coefficients[term]
        assert abs(estimate.estimate - PLANTED[term]) < 2 * estimate.se


def test_youth_with_missing_waves_stay_in_the_model():
    frame = simulate(60)
    per_youth = frame.groupby("unit").size()
    assert (per_youth < 4).sum() > 5  # the simulation leaves waves out
    fit = fit_risk_frame(frame).domain("sim")
    assert fit.n_youth == 60
    assert fit.n_assessments == len(frame)


def test_the_trajectories_give_model_means_per_group_and_observed_means_with_small_cells_withheld(
    simulated_fit,
):
    groups = {p.group for p in simulated_fit.trajectories}
    assert groups == {"jim", "no_jim"}
    waves = [p.wave for p in simulated_fit.trajectories if p.group == "jim"]
    assert waves == ["intake:0", "evaluation:1", "evaluation:2", "closure:0"]
    b = {t: e.estimate for t, e in simulated_fit.coefficients.items()}
    for point in simulated_fit.trajectories:
        expected = b["Intercept"] + b["time"] * point.time
        if point.group == "jim":
            expected += b["jim"] + b["time:jim"] * point.time
        assert point.mean == pytest.approx(expected)
    intake = [p for p in simulated_fit.observed if p.wave == "intake:0"]
    assert [(p.group, p.n) for p in intake] == [("no_jim", 60)]
    frame = pd.read_csv(FIXTURES / "risk_sim.csv")
    assert intake[0].mean == pytest.approx(frame.loc[frame["wave"] == "intake:0", "score"].mean())
    withheld = fit_domain(frame, "sim", threshold=20).observed
    assert any(p.mean is None and p.n is None for p in withheld)
    assert all(p.n is None or p.n >= 20 for p in withheld)


def test_too_few_youth_is_refused_with_the_minimum_named():
    frame = simulate(MIN_YOUTH - 1)
    with pytest.raises(RiskModelError, match=f"at least {MIN_YOUTH} are needed"):
        fit_risk_frame(frame)
    one_wave = simulate(40)
    one_wave = one_wave[one_wave["wave"] == "intake:0"]
    with pytest.raises(RiskModelError, match="at least 2 risk assessments"):
        fit_risk_frame(one_wave)


def test_a_domain_that_cannot_be_fitted_says_why_and_the_others_stand():
    base = simulate(60)
    thin = base[base["unit"] <= 5].assign(domain="thin")
    no_jim = base.assign(domain="no_jim", jim=0)
    flat = base.assign(domain="flat", score=1.0)
    result = fit_risk_frame(pd.concat([base, thin, no_jim, flat]))
    assert [d.domain for d in result.domains] == ["sim", "thin", "no_jim", "flat"]
    assert result.domain("sim").converged and result.domain("sim").error is None
    thin_fit = result.domain("thin")
    assert "at least 10 needed" in thin_fit.error and thin_fit.reason == "too_few_youth"
    # Five youth: shown; the message would say "fewer than 5" for fewer.
    assert thin_fit.n_youth == 5 and "Too few youth for a model of this domain: 5 with" in (
        thin_fit.error
    )
    tiny = fit_domain(base[base["unit"] <= 3], "sim")
    # Three youth are a small cell (withheld); their ten-odd assessments are not.
    assert tiny.n_youth is None and tiny.n_assessments == int((base["unit"] <= 3).sum())
    assert "Too few youth for a model of this domain: fewer than 5 with" in tiny.error
    assert "both with and without a JIM" in result.domain("no_jim").error
    flat_fit = result.domain("flat")
    assert not flat_fit.converged and flat_fit.slope_difference is None
    assert "converge" in flat_fit.error
    payload = result.to_json_dict()
    assert [d["slope_difference"] is None for d in payload["domains"]] == [
        False, True, True, True,
    ]  # fmt: skip
    json.dumps(payload, allow_nan=False)
    # What a message rests on is kept, so a reader in another language gets it in theirs;
    # the withheld count stays withheld there too.
    assert payload["domains"][1]["said"] == {"n": 5, "threshold": 5, "waves": 2, "min": 10}
    assert tiny.said["n"] is None
    with translation.override("nl"):
        dutch = [domain_error(d.reason, d.said) for d in (thin_fit, tiny, flat_fit)]
        said_nl = translation.gettext("fewer than %(threshold)s") % {"threshold": 5}
    assert dutch[0] != thin_fit.error and dutch[0].startswith("Te weinig")
    assert said_nl in dutch[1] and "fewer than" not in dutch[1]
    assert dutch[2] != flat_fit.error
    assert [domain_error(d.reason, d.said) for d in (thin_fit, tiny, flat_fit)] == [
        thin_fit.error, tiny.error, flat_fit.error,
    ]  # fmt: skip


def test_the_result_is_immutable_and_its_json_has_the_figures_per_domain(simulated_fit):
    with pytest.raises(AttributeError):
        simulated_fit.converged = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        simulated_fit.coefficients["time"] = None  # type: ignore[index]
    data = simulated_fit.to_json_dict()
    for key in ("slope_difference", "se", "ci", "p", "n_youth", "n_assessments", "converged"):
        assert key in data
    assert data["gee"]["cov_type"] == "bias_reduced"


def test_the_plot_is_svg_with_a_panel_per_fitted_domain_and_the_same_bytes_each_time():
    base = simulate(60)
    result = fit_risk_frame(pd.concat([base, base.assign(domain="other", score=base["score"] + 1)]))
    svg = risk_plot_svg(result, labels={"sim": "Rule-breaking", "other": "Peers"})
    # one small SVG per domain, so a phone shows the panels one under the other
    assert svg.startswith('<div class="chart-panels">') and svg.endswith("</svg></div>")
    assert svg.count("<svg") == 2
    assert "Rule-breaking" in svg and "Peers" in svg
    ids = re.findall(r'\sid="([^"]+)"', svg)
    assert len(ids) == len(set(ids))  # the panels' ids do not clash on one page
    assert svg == risk_plot_svg(result, labels={"sim": "Rule-breaking", "other": "Peers"})


def test_a_domain_at_the_boundary_is_fitted_and_its_notes_say_so():
    # No slope variance in the data (seed 1 of 200 youth): the REML optimum has the random
    # intercept and slope perfectly correlated (lme4: a singular fit). Reported, not refused.
    fit = fit_risk_frame(simulate(200, seed=1, sd_slope=0.0)).domain("sim")
    assert fit.converged and fit.error is None and fit.slope_difference is not None
    assert any("boundary" in note for note in fit.notes)
    assert "boundary" in " ".join(fit.to_json_dict()["notes"])
