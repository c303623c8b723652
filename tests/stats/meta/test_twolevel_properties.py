"""Property-based checks of the two-level models (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from yim.stats.meta.twolevel import RandomEffectsModel

ESTIMATORS = ["DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"]


@st.composite
def meta_data(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = draw(st.integers(min_value=4, max_value=14))
    yi = np.array(draw(st.lists(st.floats(-2, 2), min_size=k, max_size=k)))
    vi = np.array(draw(st.lists(st.floats(0.005, 0.5), min_size=k, max_size=k)))
    x = np.array(draw(st.lists(st.floats(-3, 3), min_size=k, max_size=k)))
    return yi, vi, x


def _design(x: np.ndarray, with_moderator: bool) -> np.ndarray:
    ones = np.ones_like(x)
    return np.column_stack([ones, x]) if with_moderator else ones[:, None]


def _usable(x: np.ndarray) -> bool:
    return float(np.ptp(x)) > 0.1  # a moderator needs spread to be estimable


def _not_exact(yi: np.ndarray, X: np.ndarray) -> bool:
    """Knapp-Hartung is undefined (s^2 = 0) when the model reproduces every yi exactly."""
    resid = yi - X @ np.linalg.lstsq(X, yi, rcond=None)[0]
    return float(np.max(np.abs(resid))) > 1e-6


@settings(max_examples=60, deadline=None)
@given(
    data=meta_data(),
    method=st.sampled_from(ESTIMATORS),
    with_moderator=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_results_do_not_depend_on_row_order(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], method: str, with_moderator: bool, seed: int
) -> None:
    yi, vi, x = data
    assume(not with_moderator or _usable(x))
    X = _design(x, with_moderator)
    assume(_not_exact(yi, X))
    perm = np.random.default_rng(seed).permutation(len(yi))
    model = RandomEffectsModel(method, "knha", tau2_ci=None)
    a = model.fit(yi, vi, X)
    b = model.fit(yi[perm], vi[perm], X[perm])
    scale = float(np.mean(vi))
    np.testing.assert_allclose(b.tau2, a.tau2, rtol=1e-7, atol=1e-8 * scale)
    np.testing.assert_allclose(b.beta, a.beta, rtol=1e-7, atol=1e-7 * np.sqrt(scale))
    np.testing.assert_allclose(b.heterogeneity.QE, a.heterogeneity.QE, rtol=1e-8, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(
    data=meta_data(),
    method=st.sampled_from(ESTIMATORS),
    c=st.sampled_from([-3.0, 0.1, 0.5, 2.0, 10.0]),
    with_moderator=st.booleans(),
)
def test_rescaling_effects_rescales_coefficients_and_tau2(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], method: str, c: float, with_moderator: bool
) -> None:
    yi, vi, x = data
    assume(not with_moderator or _usable(x))
    X = _design(x, with_moderator)
    model = RandomEffectsModel(method, "z", tau2_ci=None)
    a = model.fit(yi, vi, X)
    b = model.fit(c * yi, c**2 * vi, X)
    scale = float(np.mean(vi))
    np.testing.assert_allclose(b.tau2, c**2 * a.tau2, rtol=1e-6, atol=1e-7 * c**2 * scale)
    np.testing.assert_allclose(b.beta, c * a.beta, rtol=1e-6, atol=1e-6 * abs(c) * np.sqrt(scale))
    se_a = np.array([co.se for co in a.coefficients])
    se_b = np.array([co.se for co in b.coefficients])
    np.testing.assert_allclose(se_b, abs(c) * se_a, rtol=1e-6)
    np.testing.assert_allclose(b.heterogeneity.I2, a.heterogeneity.I2, rtol=1e-6, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(data=meta_data(), test=st.sampled_from(["z", "t", "knha"]), with_moderator=st.booleans())
def test_random_effects_with_tau2_fixed_at_zero_equals_equal_effects(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], test: str, with_moderator: bool
) -> None:
    yi, vi, x = data
    assume(not with_moderator or _usable(x))
    X = _design(x, with_moderator)
    assume(test != "knha" or _not_exact(yi, X))
    re0 = RandomEffectsModel("REML", test, tau2=0.0).fit(yi, vi, X)
    ee = RandomEffectsModel("EE", test).fit(yi, vi, X)
    np.testing.assert_allclose(re0.beta, ee.beta, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(re0.vcov, ee.vcov, rtol=1e-12, atol=1e-14)
    assert re0.heterogeneity.QE == ee.heterogeneity.QE
    if with_moderator:
        assert re0.moderator_test is not None and ee.moderator_test is not None
        np.testing.assert_allclose(re0.moderator_test.statistic, ee.moderator_test.statistic)
