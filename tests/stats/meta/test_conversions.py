"""Conversions between effect-size metrics, checked against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from yim.stats.meta import conversions as cv
from yim.stats.meta.errors import EffectSizeError

RNG = np.random.default_rng(20240611)
X = RNG.normal(size=40)
Y = 0.4 * X + RNG.normal(size=40)
GROUP = np.repeat([1.0, 0.0], 20)
OUTCOME = 0.6 * GROUP + RNG.normal(size=40)


def test_t_to_r_recovers_pearson_r_from_the_regression_t_statistic() -> None:
    fit = stats.linregress(X, Y)
    t = fit.slope / fit.stderr
    np.testing.assert_allclose(cv.t_to_r(t, len(X) - 2), fit.rvalue, rtol=1e-12)


def test_f_to_r_recovers_the_point_biserial_correlation_with_its_sign() -> None:
    f = stats.f_oneway(OUTCOME[GROUP == 1], OUTCOME[GROUP == 0]).statistic
    r = stats.pointbiserialr(GROUP, OUTCOME).statistic
    np.testing.assert_allclose(cv.f_to_r(f, len(OUTCOME) - 2, sign=np.sign(r)), r, rtol=1e-12)


def test_chi2_to_r_equals_the_phi_coefficient_of_a_two_by_two_table() -> None:
    a, b, c, d = 30, 10, 15, 25
    chi2 = stats.chi2_contingency([[a, b], [c, d]], correction=False)[0]
    phi = (a * d - b * c) / math.sqrt((a + b) * (c + d) * (a + c) * (b + d))
    np.testing.assert_allclose(cv.chi2_to_r(chi2, a + b + c + d), phi, rtol=1e-12)


def test_d_to_r_uses_four_for_equal_groups_and_the_group_sizes_otherwise() -> None:
    np.testing.assert_allclose(cv.d_to_r(0.5), 0.5 / math.sqrt(0.25 + 4))
    a = (30 + 10) ** 2 / (30 * 10)
    np.testing.assert_allclose(cv.d_to_r(0.5, 30, 10), 0.5 / math.sqrt(0.25 + a))
    np.testing.assert_allclose(cv.d_to_r_variance(0.5, 0.04, 30, 10), a**2 * 0.04 / (0.25 + a) ** 3)


def test_log_odds_ratio_and_d_convert_with_the_logistic_constant() -> None:
    np.testing.assert_allclose(cv.log_odds_ratio_to_d(1.0), math.sqrt(3) / math.pi)
    np.testing.assert_allclose(cv.log_odds_ratio_to_d_variance(0.1), 0.1 * 3 / math.pi**2)
    np.testing.assert_allclose(cv.d_to_log_odds_ratio_variance(0.03), 0.03 * math.pi**2 / 3)


@given(st.floats(min_value=-0.99, max_value=0.99))
def test_r_to_d_and_back_is_the_identity_for_equal_groups(r: float) -> None:
    np.testing.assert_allclose(cv.d_to_r(cv.r_to_d(r)), r, rtol=1e-9, atol=1e-12)


@given(st.floats(min_value=-10, max_value=10))
def test_log_odds_ratio_to_d_and_back_is_the_identity(lor: float) -> None:
    np.testing.assert_allclose(
        cv.d_to_log_odds_ratio(cv.log_odds_ratio_to_d(lor)), lor, rtol=1e-12, atol=1e-12
    )


def test_variance_of_d_from_r_is_the_delta_method_variance() -> None:
    r, vr, h = 0.3, 0.01, 1e-6
    slope = (cv.r_to_d(r + h) - cv.r_to_d(r - h)) / (2 * h)
    np.testing.assert_allclose(cv.r_to_d_variance(r, vr), slope**2 * vr, rtol=1e-6)


def test_z_to_r_inverts_r_to_z() -> None:
    r = np.array([-0.5, 0.0, 0.2, 0.9])
    np.testing.assert_allclose(cv.z_to_r(cv.r_to_z(r)), r, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cv.t_to_r([2.0, 1.0], [10, 0]), r"df: row 2 is 0"),
        (lambda: cv.f_to_r(-1.0, 10), r"f: row 1 is -1"),
        (lambda: cv.f_to_r(4.0, 10, sign=0), r"sign: row 1 is 0"),
        (lambda: cv.chi2_to_r(50.0, 20), r"chi2: row 1 exceeds n"),
        (lambda: cv.r_to_d([0.2, 1.0]), r"r: row 2 is 1"),
        (lambda: cv.d_to_r(0.3, n1=10), r"both n1 and n2"),
    ],
)
def test_conversion_input_errors_name_row_and_argument(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(EffectSizeError, match=message):
        call()
