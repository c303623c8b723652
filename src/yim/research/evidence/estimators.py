"""Thin wrappers around statsmodels' estimators, with small-cell suppression (no Django here).

* :func:`km_median` — Kaplan–Meier median (``SurvfuncRight``) with its confidence interval
  (statsmodels' inverted cloglog test, the method of SAS and of R's ``conf.type="log-log"``).
  Every status other than the event is *censored* here: the caller says what that means.
* :func:`cumulative_incidence` — Aalen–Johansen cumulative incidence of one cause with the
  other causes competing (``CumIncidenceRight``), read off at the given days.
* :func:`share` — a proportion with its Wilson interval (``proportion_confint``).

Small cells: a count from 1 up to ``threshold - 1`` is withheld (``None``), never shown as 0;
a share is withheld whole (its count and interval too) when its denominator is below the
threshold or when either of its cells (yes / no) is a small cell. A withheld figure says
``suppressed: true``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight
from statsmodels.stats.proportion import proportion_confint

from yim.research.evidence import DEFAULT_THRESHOLD

ALPHA = 0.05


def is_small(count: int, threshold: int) -> bool:
    """A cell that could point at a few youth: more than none and fewer than the threshold."""
    return 0 < count < threshold


def cell(count: int, threshold: int) -> int | None:
    """A count as it may be shown: None when it is a small cell."""
    return None if is_small(count, threshold) else count


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Share:
    """``count`` of ``n`` with its Wilson interval; all None when suppressed."""

    count: int | None
    n: int | None
    share: float | None
    ci: tuple[float, float] | None
    suppressed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "n": self.n,
            "share": self.share,
            "ci": list(self.ci) if self.ci is not None else None,
            "suppressed": self.suppressed,
        }


def share(count: int, n: int, threshold: int = DEFAULT_THRESHOLD) -> Share:
    """``count`` out of ``n`` with a 95% Wilson interval, or withheld whole (see module doc).

    ``n == 0`` is not a share at all: it is returned empty, not suppressed and not 0%.
    """
    if not 0 <= count <= n:
        raise ValueError(f"a share needs 0 <= count <= n, got {count} of {n}")
    if n == 0:
        return Share(count=0, n=0, share=None, ci=None, suppressed=False)
    if n < threshold or is_small(count, threshold) or is_small(n - count, threshold):
        # The count goes too: with n shown, it would give the small cell away.
        return Share(count=None, n=cell(n, threshold), share=None, ci=None, suppressed=True)
    low, high = proportion_confint(count, n, alpha=ALPHA, method="wilson")
    return Share(count=count, n=n, share=count / n, ci=(float(low), float(high)), suppressed=False)


@dataclass(frozen=True)
class KaplanMeierMedian:
    """Median time and its CI; None where not reached (the curve never falls to 0.5, or the
    upper limit lies beyond the last observed time)."""

    median: float | None
    ci: tuple[float | None, float | None]


def km_median(time: Sequence[float], event: Sequence[int]) -> KaplanMeierMedian:
    """Kaplan–Meier median of ``time`` where ``event`` is 1 and every other value is censored.

    statsmodels takes the first time at which the survival falls *below* 0.5 (the SAS rule);
    R's ``survfit`` takes the midpoint when the curve sits exactly on 0.5.
    """
    t = np.asarray(time, dtype=float)
    e = (np.asarray(event) == 1).astype(int)
    if len(t) == 0 or not e.any():
        return KaplanMeierMedian(None, (None, None))
    # statsmodels divides by zero in the variance when the last youth at risk all have the
    # event (the curve reaches 0); those terms are infinite and the limits stay defined.
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = SurvfuncRight(t, e)
        median = _finite(fit.quantile(0.5))
        low, high = fit.quantile_ci(0.5, alpha=ALPHA, method="cloglog")
    return KaplanMeierMedian(median, (_finite(low), _finite(high)))


@dataclass(frozen=True)
class IncidencePoint:
    """The cumulative incidence of one cause by ``day``, with its standard error and a Wald
    interval clipped to [0, 1] (None where statsmodels' variance is not finite)."""

    day: int
    estimate: float
    se: float | None
    ci: tuple[float, float] | None


def cumulative_incidence(
    time: Sequence[float], status: Sequence[int], days: Iterable[int], cause: int = 1
) -> list[IncidencePoint]:
    """Aalen–Johansen cumulative incidence of ``cause`` at each of ``days``.

    ``status`` is 0 for censored and 1, 2, … for the causes; every cause other than
    ``cause`` competes (it ends the follow-up without the event).
    """
    t = np.asarray(time, dtype=float)
    s = np.asarray(status, dtype=int)
    wanted = list(days)
    if len(t) == 0:
        raise ValueError("the cumulative incidence needs at least one observation")
    if not (s == cause).any():
        return [IncidencePoint(day, 0.0, 0.0, (0.0, 0.0)) for day in wanted]
    # statsmodels divides by zero in the variance term of a time at which everyone still at
    # risk has an event (typically the last one); the estimate itself is unaffected.
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = CumIncidenceRight(t, s)
    times = np.asarray(fit.times, dtype=float)
    curve = np.asarray(fit.cinc[cause - 1], dtype=float)
    se = np.asarray(fit.cinc_se[cause - 1], dtype=float)
    z = 1.959963984540054
    points = []
    for day in wanted:
        reached = np.flatnonzero(times <= day)
        if len(reached) == 0:
            points.append(IncidencePoint(day, 0.0, 0.0, (0.0, 0.0)))
            continue
        i = reached[-1]
        value, error = float(curve[i]), _finite(se[i])
        if error is None:
            points.append(IncidencePoint(day, value, None, None))
            continue
        low, high = max(0.0, value - z * error), min(1.0, value + z * error)
        points.append(IncidencePoint(day, value, error, (low, high)))
    return points


@dataclass(frozen=True)
class Curves:
    """Step curves for a chart: at each time, 1 − Kaplan–Meier (other causes censored) and
    the cumulative incidence (other causes competing) of the event."""

    times: list[float]
    one_minus_km: list[float]
    incidence: list[float]


def curves(time: Sequence[float], status: Sequence[int], cause: int = 1) -> Curves:
    """Both curves on the union of their time points (steps hold until the next time)."""
    t = np.asarray(time, dtype=float)
    s = np.asarray(status, dtype=int)
    if len(t) == 0 or not (s == cause).any():
        return Curves([0.0], [0.0], [0.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        km = SurvfuncRight(t, (s == cause).astype(int))
        cif = CumIncidenceRight(t, s)
    km_times = np.asarray(km.surv_times, dtype=float)
    km_values = 1 - np.asarray(km.surv_prob, dtype=float)
    cif_times = np.asarray(cif.times, dtype=float)
    cif_values = np.asarray(cif.cinc[cause - 1], dtype=float)

    def at(times: Any, values: Any, day: float) -> float:
        reached = np.flatnonzero(times <= day)
        return float(values[reached[-1]]) if len(reached) else 0.0

    grid = sorted({0.0, *km_times.tolist(), *cif_times.tolist()})
    return Curves(
        times=grid,
        one_minus_km=[at(km_times, km_values, day) for day in grid],
        incidence=[at(cif_times, cif_values, day) for day in grid],
    )
