"""The linear mixed model engine (yim.stats.lmm) against lme4 and statsmodels, recovery of
planted parameters, and data at the edges: groups with one observation, unbalanced waves,
a random-effect covariance at the boundary, data no model can use."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from yim.stats.lmm import LinearMixedModel, LMMError, LMMResult

HERE = Path(__file__).parent
REFERENCE = HERE / "lmm_reference"
RISK_CSV = HERE.parent / "research" / "fixtures" / "risk_sim.csv"
TERMS = ("Intercept", "time", "jim", "time:jim")

# Tolerances against lme4. Both programs maximise the same profiled criterion (lme4 with
# BOBYQA, we with L-BFGS-B); they stop where it is flat to about 1e-9, which leaves the
# variance parameters (theta) about 1e-5 apart and, through them, the fixed effects about
# 1e-6 apart and their SEs about 1e-5 relative. The tolerances are ten to a hundred times
# that and still far below any digit a report prints. The log-likelihood at the optimum is
# first-order insensitive to theta: it agrees to about 1e-8 absolute.
FE_ABS = 1e-5
SE_REL = 1e-4
VC_REL = 1e-3
LOGLIK_ABS = 1e-6


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REFERENCE / "lmm_reference.json").read_text())
    return data


def risk_design(frame: pd.DataFrame) -> tuple[Any, ...]:
    time, jim = frame["time"].to_numpy(float), frame["jim"].to_numpy(float)
    x = np.column_stack([np.ones_like(time), time, jim, time * jim])
    z = np.column_stack([np.ones_like(time), time])
    return frame["score"].to_numpy(float), x, z, frame["unit"].to_numpy()


def fit_risk(method: str = "REML") -> LMMResult:
    y, x, z, groups = risk_design(pd.read_csv(RISK_CSV))
    return LinearMixedModel(method).fit(  # type: ignore[arg-type]
        y, x, z, groups, exog_names=TERMS, re_names=("Intercept", "time")
    )


def lme4_terms(values: dict[str, float]) -> dict[str, float]:
    return {("Intercept" if k == "(Intercept)" else k): v for k, v in values.items()}


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_the_fit_gives_lme4s_estimates_standard_errors_variance_components_and_loglik(
    reference: dict[str, Any], method: str
) -> None:
    lmer = reference[f"risk_{method.lower()}"]
    result = fit_risk(method)
    assert result.converged and not result.boundary and result.messages == ()
    assert result.n_obs == 224 and result.n_groups == 60
    estimates, ses = lme4_terms(lmer["estimate"]), lme4_terms(lmer["se"])
    for term in TERMS:
        assert result.params[term] == pytest.approx(estimates[term], abs=FE_ABS)
        assert result.se[term] == pytest.approx(ses[term], rel=SE_REL)
    assert result.sd_re["Intercept"] == pytest.approx(lmer["sd"]["Intercept"], rel=VC_REL)
    assert result.sd_re["time"] == pytest.approx(lmer["sd"]["time"], rel=VC_REL)
    # The correlation is small (0.11 REML): compared absolutely.
    assert result.corr_re == pytest.approx(lmer["corr"], abs=VC_REL)
    assert result.sigma == pytest.approx(lmer["sigma"], rel=VC_REL)
    assert result.loglik == pytest.approx(lmer["loglik"], abs=LOGLIK_ABS)
    assert result.deviance == pytest.approx(-2 * lmer["loglik"], abs=2 * LOGLIK_ABS)
    np.testing.assert_allclose(result.theta, lmer["theta"], rtol=VC_REL, atol=1e-4)


def test_reml_and_ml_differ_as_they_should() -> None:
    reml, ml = fit_risk("REML"), fit_risk("ML")
    # ML does not correct for the fixed effects: smaller variances, smaller SEs.
    assert ml.sigma2 < reml.sigma2
    assert ml.sd_re["time"] < reml.sd_re["time"]
    assert all(ml.se[t] < reml.se[t] for t in TERMS)
    assert ml.method == "ML" and reml.method == "REML"


def test_a_singular_fit_is_flagged_at_the_boundary_like_lme4(reference: dict[str, Any]) -> None:
    lmer = reference["boundary_reml"]
    assert lmer["singular"] is True
    frame = pd.read_csv(REFERENCE / "boundary.csv")
    per_group = frame.groupby("unit").size()
    assert (per_group == 1).sum() > 5 and per_group.max() == 5  # one to five waves
    time = frame["time"].to_numpy(float)
    x = np.column_stack([np.ones_like(time), time, frame["x"].to_numpy(float)])
    z = np.column_stack([np.ones_like(time), time])
    result = LinearMixedModel().fit(
        frame["y"], x, z, frame["unit"], exog_names=("Intercept", "time", "x"),
        re_names=("Intercept", "time"),
    )  # fmt: skip
    assert result.converged and result.boundary
    assert result.messages == ("the random Intercept and time are perfectly correlated (boundary)",)
    assert result.theta[2] < 1e-4
    assert result.corr_re == pytest.approx(1.0, abs=1e-6)
    estimates, ses = lme4_terms(lmer["estimate"]), lme4_terms(lmer["se"])
    for term in ("Intercept", "time", "x"):
        assert result.params[term] == pytest.approx(estimates[term], abs=FE_ABS)
        assert result.se[term] == pytest.approx(ses[term], rel=SE_REL)
    assert result.loglik == pytest.approx(lmer["loglik"], abs=LOGLIK_ABS)
    assert result.sd_re["Intercept"] == pytest.approx(lmer["sd"]["Intercept"], rel=VC_REL)


def simulate(
    n_groups: int,
    *,
    seed: int,
    sd: tuple[float, float] = (0.5, 0.3),
    corr: float = -0.3,
    sigma: float = 0.4,
    beta: tuple[float, ...] = (2.0, -0.4, 0.3),
    unbalanced: bool = True,
) -> tuple[Any, ...]:
    """Groups with one to five waves (unbalanced) at jittered times, a binary covariate."""
    rng = np.random.default_rng(seed)
    cov = np.array([[sd[0] ** 2, corr * sd[0] * sd[1]], [corr * sd[0] * sd[1], sd[1] ** 2]])
    effects = rng.multivariate_normal([0, 0], cov, size=n_groups)
    waves = rng.integers(1, 6, n_groups) if unbalanced else np.full(n_groups, 5)
    groups = np.repeat(np.arange(n_groups), waves)
    time = np.concatenate([np.sort(rng.uniform(0, 2, k)) for k in waves])
    covariate = (rng.random(len(groups)) < 0.4).astype(float)
    x = np.column_stack([np.ones_like(time), time, covariate])
    z = np.column_stack([np.ones_like(time), time])
    b = effects[groups]
    y = x @ np.array(beta) + b[:, 0] + b[:, 1] * time + rng.normal(0, sigma, len(groups))
    # Shuffle the rows: the engine must not need a group's rows to be adjacent.
    order = rng.permutation(len(groups))
    return y[order], x[order], z[order], groups[order]


def test_the_fit_agrees_with_statsmodels_mixedlm_on_unbalanced_simulated_data() -> None:
    import statsmodels.api as sm

    y, x, z, groups = simulate(150, seed=5)
    ours = LinearMixedModel().fit(y, x, z, groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' own convergence chatter
        theirs = sm.MixedLM(y, x, groups=groups, exog_re=z).fit(reml=True, method="lbfgs")
    # The same REML criterion: statsmodels' llf is lme4's REML log-likelihood too.
    assert ours.loglik == pytest.approx(float(theirs.llf), abs=1e-5)
    np.testing.assert_allclose(ours.fe_params, theirs.fe_params, atol=1e-5)
    np.testing.assert_allclose(ours.cov_re, theirs.cov_re, rtol=1e-3, atol=1e-5)
    assert ours.sigma2 == pytest.approx(float(theirs.scale), rel=1e-4)
    # statsmodels' bse_fe comes from the joint Hessian, ours is the GLS covariance (as lme4):
    # they differ by a fraction of a percent.
    np.testing.assert_allclose(np.sqrt(np.diag(ours.cov_fe)), theirs.bse_fe, rtol=1e-2)


def test_planted_parameters_are_recovered_within_two_standard_errors() -> None:
    beta = (2.0, -0.4, 0.3)
    y, x, z, groups = simulate(600, seed=11, beta=beta)
    result = LinearMixedModel().fit(y, x, z, groups)
    assert result.converged and not result.boundary
    for estimate, se, planted in zip(
        result.fe_params, np.sqrt(np.diag(result.cov_fe)), beta, strict=True
    ):
        assert abs(estimate - planted) < 2 * se
    sd = np.sqrt(np.diag(result.cov_re))
    # No SEs for variance components; 600 groups pin them to within about 10%.
    assert sd[0] == pytest.approx(0.5, rel=0.15) and sd[1] == pytest.approx(0.3, rel=0.2)
    assert result.sigma == pytest.approx(0.4, rel=0.05)
    assert result.corr_re == pytest.approx(-0.3, abs=0.2)


def test_groups_with_one_observation_and_unbalanced_waves_fit_without_special_cases() -> None:
    y, x, z, groups = simulate(80, seed=2)
    sizes = np.bincount(groups)
    assert (sizes == 1).sum() >= 10 and set(sizes) == {1, 2, 3, 4, 5}
    result = LinearMixedModel().fit(y, x, z, groups)
    assert result.converged and result.n_groups == 80
    # Dropping the singletons changes the fit (they inform the intercept), so they count.
    keep = sizes[groups] > 1
    without = LinearMixedModel().fit(y[keep], x[keep], z[keep], groups[keep])
    assert without.n_groups < 80 and not np.allclose(without.fe_params, result.fe_params)
    # Every group a singleton: a random slope is not identified, but the fit stands.
    single = simulate(200, seed=3, unbalanced=False)
    first = np.unique(single[3], return_index=True)[1]
    lone = LinearMixedModel().fit(*(a[first] for a in single))
    assert math.isfinite(lone.loglik) and lone.n_groups == lone.n_obs == 200


def test_a_true_slope_variance_of_zero_is_flagged_at_the_boundary() -> None:
    y, x, z, groups = simulate(300, seed=17, sd=(0.6, 0.0), corr=0.0, sigma=0.5)
    result = LinearMixedModel().fit(y, x, z, groups, re_names=("Intercept", "time"))
    assert result.converged and result.boundary
    assert result.theta[2] < 1e-4
    assert any("boundary" in m for m in result.messages)
    assert result.sd_re["Intercept"] == pytest.approx(0.6, rel=0.2)
    assert np.isfinite(result.cov_fe).all()


def test_a_random_intercept_alone_gives_lme4s_one_parameter_model() -> None:
    y, x, z, groups = simulate(120, seed=23)
    intercept = LinearMixedModel().fit(y, x, z[:, 0], groups)
    full = LinearMixedModel().fit(y, x, z, groups)
    assert intercept.converged and intercept.theta.shape == (1,)
    assert intercept.corr_re is None
    # Nested models: the slope can only raise the restricted likelihood.
    assert full.loglik >= intercept.loglik - 1e-8


def test_the_result_is_immutable() -> None:
    result = fit_risk()
    with pytest.raises(AttributeError):
        result.converged = False  # type: ignore[misc]
    with pytest.raises(ValueError):
        result.fe_params[0] = 0.0


def test_data_no_model_can_use_are_refused_with_a_message() -> None:
    y, x, z, groups = simulate(40, seed=1)
    with pytest.raises(LMMError, match="residual variance is zero"):
        LinearMixedModel().fit(x @ np.array([1.0, 2.0, 3.0]), x, z, groups)
    with pytest.raises(LMMError, match="rank deficient"):
        LinearMixedModel().fit(y, np.column_stack([x, x[:, 1]]), z, groups)
    with pytest.raises(LMMError, match="missing or infinite"):
        LinearMixedModel().fit(np.where(np.arange(len(y)) == 0, np.nan, y), x, z, groups)
    with pytest.raises(LMMError, match="same number of rows"):
        LinearMixedModel().fit(y[1:], x, z, groups)
    with pytest.raises(LMMError, match="one or two random effects"):
        LinearMixedModel().fit(y, x, np.column_stack([z, z[:, 1] ** 2]), groups)
    with pytest.raises(ValueError, match="REML"):
        LinearMixedModel("OLS")  # type: ignore[arg-type]
