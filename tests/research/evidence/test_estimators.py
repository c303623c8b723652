"""The estimator wrappers against R (survival, cmprsk) and against a small hand-written
Kaplan–Meier and Aalen–Johansen estimator; Wilson intervals; the small-cell rule."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from yim.research.evidence.estimators import (
    cell,
    cumulative_incidence,
    curves,
    km_median,
    share,
)
from yim.research.evidence_charts import time_to_jim_svg

REFERENCE = Path(__file__).parent / "reference" / "cuminc_reference.json"


def hand_kaplan_meier_median(time: list[float], event: list[int]) -> float | None:
    """Product-limit survival; the median is the first event time where S falls below 0.5
    (the rule statsmodels and SAS use)."""
    survival = 1.0
    for t in sorted(set(time)):
        at_risk = sum(1 for x in time if x >= t)
        events = sum(1 for x, e in zip(time, event, strict=True) if x == t and e == 1)
        if events:
            survival *= 1 - events / at_risk
            if survival < 0.5:
                return t
    return None


def hand_cumulative_incidence(time: list[float], status: list[int], day: float) -> float:
    """Aalen–Johansen: the sum over event times up to ``day`` of S(t−) · d₁(t) / n(t), with S
    the survival free of any event (JIM or no JIM)."""
    free, incidence = 1.0, 0.0
    for t in sorted(set(time)):
        if t > day:
            break
        at_risk = sum(1 for x in time if x >= t)
        jim = sum(1 for x, s in zip(time, status, strict=True) if x == t and s == 1)
        other = sum(1 for x, s in zip(time, status, strict=True) if x == t and s == 2)
        incidence += free * jim / at_risk
        free *= 1 - (jim + other) / at_risk
    return incidence


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_statsmodels_and_a_hand_written_estimator_agree_on_tied_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(15, 80))
    time = [float(t) for t in rng.integers(1, 60, size=n)]  # many ties
    status = [int(s) for s in rng.choice([0, 1, 1, 1, 2], size=n)]
    median = km_median(time, status)
    assert median.median == hand_kaplan_meier_median(time, status)
    for point in cumulative_incidence(time, status, [10, 30, 45]):
        assert point.estimate == pytest.approx(
            hand_cumulative_incidence(time, status, point.day), abs=1e-12
        )


def test_the_cumulative_incidence_equals_r_cmprsk_and_the_median_r_survival() -> None:
    reference = json.loads(REFERENCE.read_text())
    time, status = reference["time"], reference["status"]
    points = cumulative_incidence(time, status, reference["days"], cause=1)
    assert [p.estimate for p in points] == pytest.approx(reference["cif_jim"], abs=1e-12)
    competing = cumulative_incidence(time, status, reference["days"], cause=2)
    assert [p.estimate for p in competing] == pytest.approx(reference["cif_no_jim"], abs=1e-12)
    # R's log-log interval and statsmodels' inverted cloglog test give the same limits here.
    median = km_median(time, status)
    assert median.median == reference["km_median"]
    assert list(median.ci) == reference["km_median_ci"]
    # The variance is not cmprsk's (statsmodels uses another estimator): only its order of
    # magnitude is checked, and the CI is documented as statsmodels' Wald interval.
    for point, r_var in zip(points, reference["cif_jim_var"], strict=True):
        assert point.se is not None
        assert point.se**2 == pytest.approx(r_var, rel=0.2)


def test_a_median_that_is_not_reached_is_none_not_a_number() -> None:
    median = km_median([5, 10, 20, 30], [1, 0, 0, 0])
    assert median.median is None
    assert median.ci[1] is None  # the upper limit lies beyond the last time
    assert km_median([5, 10], [0, 2]) == km_median([], [])


def test_everyone_at_risk_having_the_event_at_the_last_time_raises_no_warning() -> None:
    # statsmodels divides by zero there; warnings are errors in this suite.
    points = cumulative_incidence([3, 5, 8], [1, 2, 1], [10])
    assert points[0].estimate == pytest.approx(1 / 3 + (1 / 3) * 1)
    assert km_median([3, 5, 8], [1, 1, 1]).median == 5


def test_without_any_jim_the_cumulative_incidence_is_zero() -> None:
    assert [p.estimate for p in cumulative_incidence([3, 5], [2, 0], [30])] == [0.0]


def test_a_share_carries_its_wilson_interval() -> None:
    result = share(83, 100, threshold=5)
    p, n, z = 0.83, 100, 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert result.share == 0.83
    assert result.ci == pytest.approx((centre - half, centre + half))
    assert not result.suppressed


@pytest.mark.parametrize(
    ("count", "n"),
    [(3, 20), (17, 20), (2, 4), (4, 4)],
    ids=["few-yes", "few-no", "small-group", "whole-small-group"],
)
def test_a_share_resting_on_a_small_cell_is_withheld_whole(count: int, n: int) -> None:
    result = share(count, n, threshold=5)
    assert result.suppressed
    assert result.share is None and result.ci is None
    assert result.count is None  # withheld whole: never a misleading zero, nor the count
    assert result.n == (n if n >= 5 else None)


def test_an_empty_group_is_no_share_and_a_zero_count_is_shown() -> None:
    empty = share(0, 0)
    assert empty.share is None and not empty.suppressed and empty.n == 0
    assert share(0, 30).share == 0.0
    assert cell(0, 5) == 0 and cell(3, 5) is None and cell(5, 5) == 5
    with pytest.raises(ValueError):
        share(4, 3)


def test_the_chart_curves_agree_with_the_estimates_read_off_at_a_day() -> None:
    reference = json.loads(REFERENCE.read_text())
    time, status = reference["time"], reference["status"]
    drawn = curves(time, status)
    for point in cumulative_incidence(time, status, [30, 60, 90]):
        last = max(i for i, t in enumerate(drawn.times) if t <= point.day)
        assert drawn.incidence[last] == pytest.approx(point.estimate, abs=1e-12)
    # 1 − KM with "no JIM" censored lies above the cumulative incidence: it overstates.
    assert all(km >= ci - 1e-12 for km, ci in zip(drawn.one_minus_km, drawn.incidence, strict=True))
    assert drawn.one_minus_km[-1] > drawn.incidence[-1]


def test_the_chart_escapes_every_text() -> None:
    svg = time_to_jim_svg(
        curves([3, 5, 8], [1, 2, 1]),
        title="<script>alert(1)</script>",
        description="a & b",
        cif_label="<b>",
        km_label='"x"',
        days="days",
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "a &amp; b" in svg and "&lt;b&gt;" in svg
    assert svg.startswith("<svg") and svg.endswith("</svg>")
