"""The exchangeable Gaussian GEE (yim.stats.gee) against statsmodels' ``GEE`` and R's geepack,
on balanced, unbalanced and awkward data, and data no GEE can use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from yim.stats.gee import ExchangeableGEE, GEEError, GEEResult

HERE = Path(__file__).parent
FIXTURES = HERE.parent / "research" / "fixtures"
TERMS = ("Intercept", "time", "jim", "time:jim")

# Tolerances against statsmodels. Both run the same iterations from the same start (OLS,
# rho = 0) with the same stopping rule, so they take the same number of steps and differ only
# by rounding: sums per cluster by bincount here, loops over clusters there. Measured: the
# estimates agree to about 1e-15 and the SEs to about 1e-15 relative. PARAMS_ABS = 1e-8
# leaves room for other BLAS builds and summation orders; it is far below the ctol of 1e-6
# on the score at which both stop, so it would catch a different estimator, a different
# degree-of-freedom convention for rho (which moves the estimates by about 1e-4) or one step
# more or less. SE_REL = 1e-6 for the covariances: they are quadratic in the residuals and
# go through an inverse, so rounding is amplified a little more than in the estimates, yet a
# different scale divisor (N vs N - p) would move them by about 1e-2.
PARAMS_ABS = 1e-8
SE_REL = 1e-6


def simulate(
    n_clusters: int,
    sizes: Any,
    *,
    seed: int = 1,
    time_varying: bool = True,
) -> pd.DataFrame:
    """``score ~ time * jim`` with a random intercept per cluster (true exchangeable
    correlation about 0.6); ``sizes``: one size for all clusters or a draw per cluster;
    ``jim`` switches on inside a cluster when ``time_varying``, else it is fixed per cluster."""
    rng = np.random.default_rng(seed)
    n_i = (
        np.full(n_clusters, sizes)
        if isinstance(sizes, int)
        else rng.choice(np.asarray(sizes), n_clusters)
    )
    unit = np.repeat(np.arange(1, n_clusters + 1), n_i)
    position = np.concatenate([np.arange(k) for k in n_i])
    time = position * 0.4 + rng.uniform(0, 0.05, unit.size)
    if time_varying:
        switch = np.where(rng.random(n_clusters) < 0.6, rng.uniform(0.2, 1.5, n_clusters), np.inf)
        jim = (time >= switch[unit - 1]).astype(float)
    else:
        jim = (rng.random(n_clusters) < 0.5).astype(float)[unit - 1]
    u = rng.normal(0, 0.6, n_clusters)[unit - 1]
    score = 2.0 - 0.3 * time - 0.1 * jim - 0.5 * time * jim + u + rng.normal(0, 0.45, unit.size)
    return pd.DataFrame({"unit": unit, "time": time, "jim": jim, "score": score})


def design(frame: pd.DataFrame) -> tuple[Any, Any, Any]:
    time, jim = frame["time"].to_numpy(float), frame["jim"].to_numpy(float)
    x = np.column_stack([np.ones_like(time), time, jim, time * jim])
    return frame["score"].to_numpy(float), x, frame["unit"].to_numpy()


def ours(frame: pd.DataFrame) -> GEEResult:
    y, x, groups = design(frame)
    return ExchangeableGEE().fit(y, x, groups, exog_names=TERMS)


def statsmodels_fit(frame: pd.DataFrame) -> Any:
    import statsmodels.api as sm

    y, x, groups = design(frame)
    model = sm.GEE(
        y, x, groups, cov_struct=sm.cov_struct.Exchangeable(), family=sm.families.Gaussian()
    )
    return model.fit(cov_type="bias_reduced")


def missing_waves(frame: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """A quarter of the rows after each cluster's first left out."""
    rng = np.random.default_rng(seed)
    first = ~frame["unit"].duplicated()
    return frame.loc[first | (rng.random(len(frame)) >= 0.25)].reset_index(drop=True)


DATASETS = {
    "balanced": lambda: simulate(150, 5, time_varying=False),
    "unbalanced": lambda: simulate(200, [2, 3, 4, 6, 9], seed=2),
    "singletons": lambda: simulate(180, [1, 1, 2, 4, 5], seed=4),
    "missing waves": lambda: missing_waves(simulate(160, 5, seed=5)),
    "time-varying covariate": lambda: simulate(120, 5, seed=6),
}


@pytest.mark.parametrize("name", list(DATASETS))
def test_the_estimates_and_all_three_covariances_equal_statsmodels(name: str) -> None:
    frame = DATASETS[name]()
    expected = statsmodels_fit(frame)
    result = ours(frame)
    assert result.converged == bool(expected.converged) is True
    assert result.iterations == len(expected.fit_history["params"])
    np.testing.assert_allclose(result.coef, expected.params, rtol=0, atol=PARAMS_ABS)
    assert result.rho == pytest.approx(expected.cov_struct.dep_params, abs=PARAMS_ABS)
    assert result.scale == pytest.approx(expected.scale, rel=SE_REL)
    for ours_cov, theirs in (
        (result.cov_naive, expected.cov_naive),
        (result.cov_robust, expected.cov_robust),
        (result.cov_bias_reduced, expected.cov_robust_bc),
    ):
        np.testing.assert_allclose(
            np.sqrt(np.diag(ours_cov)), np.sqrt(np.diag(theirs)), rtol=SE_REL, atol=0
        )
        np.testing.assert_allclose(ours_cov, theirs, rtol=SE_REL, atol=1e-12)
    assert result.n_obs == len(frame) and result.n_clusters == frame["unit"].nunique()


def test_the_datasets_really_have_the_shapes_their_names_promise() -> None:
    sizes = {name: make().groupby("unit").size() for name, make in DATASETS.items()}
    assert sizes["balanced"].nunique() == 1
    assert sizes["unbalanced"].nunique() == 5
    assert (sizes["singletons"] == 1).sum() > 30
    assert sizes["missing waves"].nunique() > 2 and sizes["missing waves"].max() == 5
    varying = DATASETS["time-varying covariate"]()
    assert (varying.groupby("unit")["jim"].nunique() == 2).sum() > 10


def test_the_risk_fixture_gives_geepacks_estimates_and_bias_reduced_standard_errors() -> None:
    frame = pd.read_csv(FIXTURES / "risk_sim.csv")
    gee = json.loads((FIXTURES / "risk_reference.json").read_text())["geeglm"]
    result = ours(frame)
    # geepack divides the scale and the exchangeable correlation by N - p and uses slightly
    # different moment sums than statsmodels (alpha 0.681 vs 0.678), so the estimates differ
    # by about 1e-4 and the SEs by about 1e-4 relative: the tolerances of
    # tests/research/test_risk_models.py, ten times that.
    assert result.rho == pytest.approx(gee["alpha"], abs=1e-2)
    for term in TERMS:
        assert result.params[term] == pytest.approx(gee["estimate"][term], abs=1e-3)
        assert result.se_robust[term] == pytest.approx(gee["se_sandwich"][term], rel=2e-3)
        assert result.se_bias_reduced[term] == pytest.approx(gee["se_bias_reduced"][term], rel=2e-3)
        assert result.se_bias_reduced[term] > result.se_robust[term]


def test_row_order_and_cluster_labels_do_not_change_the_fit() -> None:
    frame = DATASETS["unbalanced"]()
    result = ours(frame)
    shuffled = frame.sample(frac=1.0, random_state=11).reset_index(drop=True)
    relabelled = shuffled.assign(unit="youth-" + shuffled["unit"].astype(str))
    other = ours(relabelled)
    np.testing.assert_allclose(other.coef, result.coef, rtol=0, atol=1e-12)
    np.testing.assert_allclose(other.cov_bias_reduced, result.cov_bias_reduced, rtol=1e-10)
    assert other.iterations == result.iterations


def test_the_result_is_immutable_and_named() -> None:
    result = ours(DATASETS["balanced"]())
    with pytest.raises(AttributeError):
        result.rho = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        result.coef[0] = 0.0
    assert list(result.params) == list(TERMS)
    assert result.se_naive["time"] == pytest.approx(float(np.sqrt(result.cov_naive[1, 1])))
    assert result.messages == ()


def test_an_iteration_limit_is_reported_as_not_converged_as_statsmodels_does() -> None:
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import IterationLimitWarning

    frame = DATASETS["balanced"]()
    # Two steps: the first starts at OLS, where the score at rho = 0 is zero; the second is
    # the first at an estimated rho.
    result = ExchangeableGEE(maxiter=2).fit(*design(frame), exog_names=TERMS)
    model = sm.GEE(
        *design(frame), cov_struct=sm.cov_struct.Exchangeable(), family=sm.families.Gaussian()
    )
    with pytest.warns(IterationLimitWarning):
        expected = model.fit(maxiter=2, cov_type="bias_reduced")
    assert not result.converged and not expected.converged and result.iterations == 2
    assert result.score_norm == pytest.approx(expected.score_norm, rel=SE_REL)
    np.testing.assert_allclose(result.coef, expected.params, rtol=0, atol=PARAMS_ABS)
    assert result.messages == ("Iteration limit reached prior to convergence",)


def bad_input() -> dict[str, tuple[tuple[Any, Any, Any], str]]:
    y, x, groups = design(DATASETS["balanced"]())
    nan_y = y.copy()
    nan_y[3] = np.nan
    collinear = np.column_stack([x, 2 * x[:, 1] - x[:, 0]])
    opposite = np.tile([1.0, -1.0], 20)
    return {
        "empty": ((np.empty(0), np.empty((0, 4)), np.empty(0)), "no data"),
        "one cluster": ((y, x, np.zeros(len(y))), "at least two clusters"),
        "missing value": ((nan_y, x, groups), "missing or infinite"),
        "missing cluster label": (
            (y, x, np.where(np.arange(len(y)) == 5, np.nan, groups.astype(float))),
            "missing cluster labels",
        ),
        "collinear design": ((y, collinear, groups), "rank deficient"),
        "rows do not match": ((y[:-1], x, groups), "same number of rows"),
        "no residual variance": ((x @ np.array([1.0, 2.0, 0.5, -1.0]), x, groups), "zero"),
        "only singletons": ((y, x, np.arange(len(y))), "too few pairs"),
        "correlation of -1 within pairs": (
            (opposite, np.ones((40, 1)), np.repeat(np.arange(20), 2)),
            "not positive definite",
        ),
    }


@pytest.mark.parametrize("case", list(bad_input()))
def test_data_a_gee_cannot_use_gives_a_clear_error(case: str) -> None:
    (y, x, groups), message = bad_input()[case]
    with pytest.raises(GEEError, match=message):
        ExchangeableGEE().fit(y, x, groups)


def test_a_cluster_holding_all_information_on_a_coefficient_is_refused() -> None:
    # Only cluster 1 has jim = 1: its leverage is 1 and (I - H_1) is singular, so the
    # Mancl-DeRouen correction does not exist (statsmodels raises LinAlgError here too).
    frame = simulate(40, 4, time_varying=False).assign(jim=0.0)
    frame.loc[frame["unit"] == 1, "jim"] = 1.0
    y = frame["score"].to_numpy(float)
    x = np.column_stack([np.ones(len(frame)), frame["time"], frame["jim"]])
    with pytest.raises(GEEError, match="leverage 1"):
        ExchangeableGEE().fit(y, x, frame["unit"].to_numpy())
