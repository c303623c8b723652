"""Risk trajectories: the change per risk domain over the waves, with and without a JIM.

Per domain (subscale) of the risk instrument (``risk_domains``), on every submitted risk
assessment of the JIM cohort:

* a linear mixed model (:mod:`yim.stats.lmm`, REML, lme4's criterion; statsmodels ``MixedLM``
  took minutes per domain at registry scale) with a random intercept and a random
  slope per trajectory: ``score ~ time * jim``, where ``time`` is years since the referral
  and ``jim`` is 1 from the day a JIM accepted (time-varying exposure: the date comes from
  :func:`~yim.research.evidence.definitions.searches`). The coefficient of ``time:jim`` is
  the *slope difference*: how much faster (negative: falls faster) the risk changes per
  year while a youth has a JIM than while they have none;
* GEE (:mod:`yim.stats.gee`, Gaussian, exchangeable working correlation; statsmodels ``GEE``'s
  estimator and conventions, which took half a minute per domain at registry scale) with
  bias-reduced (Mancl–DeRouen) robust standard errors as a sensitivity analysis.

Youth with missing waves are kept: every assessment counts, and a youth with one assessment
still informs the intercept. The unit is the trajectory (as in every definition); a youth
with two trajectories counts twice.

:func:`fit_risk_frame` is pure (a DataFrame in, an immutable :class:`RiskResult` out);
:func:`risk_frame` builds that DataFrame from the registry as of a day; and
:func:`fit_risk_trajectories` does both (the entry point of scripts and background tasks).
:func:`risk_plot_svg` draws the result. docs/evidence.md describes the method.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from yim.research.evidence import DEFAULT_THRESHOLD
from yim.research.evidence.estimators import cell, is_small
from yim.research.evidence.summary import EvidenceError

if TYPE_CHECKING:
    from yim.stats.gee import GEEResult
    from yim.stats.lmm import LMMResult

RISK_INSTRUMENT = "risk_domains"
#: Fewest trajectories with at least :data:`MIN_WAVES` assessments for a domain's model.
MIN_YOUTH = 10
#: Fewest assessments of one trajectory for it to inform a slope.
MIN_WAVES = 2
DAYS_PER_YEAR = 365.25
Z_95 = 1.959963984540054
FORMULA = "score ~ time * jim"
TERM = "time:jim"
#: The fixed effects of :data:`FORMULA`, in the order of the design's columns.
TERMS = ("Intercept", "time", "jim", TERM)
#: The columns :func:`fit_risk_frame` needs (``wave`` is optional: a label for the plot).
COLUMNS = ("unit", "domain", "time", "jim", "score")


class RiskModelError(EvidenceError):
    """A risk model that cannot be fitted (too few youth or waves, no JIM, no convergence):
    a message for the user, never a traceback."""


@dataclass(frozen=True)
class Estimate:
    """One coefficient: estimate, standard error, 95% Wald interval and two-sided p."""

    estimate: float
    se: float
    ci: tuple[float, float]
    p: float

    @classmethod
    def wald(cls, estimate: float, se: float) -> Estimate:
        from scipy.stats import norm

        p = float(2 * norm.sf(abs(estimate / se))) if se > 0 else math.nan
        return cls(float(estimate), float(se), (estimate - Z_95 * se, estimate + Z_95 * se), p)

    def as_dict(self) -> dict[str, Any]:
        return {"estimate": self.estimate, "se": self.se, "ci": list(self.ci), "p": self.p}


@dataclass(frozen=True)
class CurvePoint:
    """The model-based mean of a group (``"jim"`` or ``"no_jim"``) at a wave's time."""

    group: str
    wave: str
    time: float
    mean: float


@dataclass(frozen=True)
class ObservedMean:
    """The observed mean score of the assessments of a group at a wave (None when fewer
    than the threshold assessments: withheld like any small cell)."""

    group: str
    wave: str
    time: float
    mean: float | None
    n: int | None


@dataclass(frozen=True)
class DomainFit:
    """One risk domain. ``error`` says why a model is missing (the other domains stand);
    ``slope_difference`` is the mixed model's ``time:jim`` (None when it failed)."""

    domain: str
    n_youth: int | None
    n_assessments: int | None
    converged: bool
    slope_difference: Estimate | None
    gee: Estimate | None
    gee_robust_se: float | None
    gee_converged: bool
    coefficients: Mapping[str, Estimate]
    notes: tuple[str, ...]
    error: str | None
    trajectories: tuple[CurvePoint, ...]
    observed: tuple[ObservedMean, ...]
    #: Why there is no model, for code: ``too_few_youth``, ``no_contrast`` or ``not_converged``.
    reason: str | None = None
    #: What ``error`` rests on, so that it can be worded in any language (:func:`domain_error`).
    said: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def to_json_dict(self) -> dict[str, Any]:
        diff = self.slope_difference
        return {
            "domain": self.domain,
            "slope_difference": diff.estimate if diff else None,
            "se": diff.se if diff else None,
            "ci": list(diff.ci) if diff else None,
            "p": diff.p if diff else None,
            "n_youth": self.n_youth,
            "n_assessments": self.n_assessments,
            "converged": self.converged,
            "error": self.error,
            "reason": self.reason,
            "said": dict(self.said),
            "notes": list(self.notes),
            "coefficients": {k: v.as_dict() for k, v in self.coefficients.items()},
            "gee": (
                {
                    **self.gee.as_dict(),
                    "se_robust": self.gee_robust_se,
                    "converged": self.gee_converged,
                    "cov_type": "bias_reduced",
                    "correlation": "exchangeable",
                }
                if self.gee
                else None
            ),
            "trajectories": [vars(p) for p in self.trajectories],
            "observed": [vars(p) for p in self.observed],
        }


@dataclass(frozen=True)
class RiskResult:
    """Every domain's fit, as of a day (None for a frame that did not come from the
    registry)."""

    as_of: dt.date | None
    formula: str
    domains: tuple[DomainFit, ...]
    n_youth: int
    n_assessments: int
    threshold: int

    def domain(self, code: str) -> DomainFit:
        return next(d for d in self.domains if d.domain == code)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "model": {
                "formula": self.formula,
                "mixed": "linear mixed model, REML, random intercept and slope per trajectory",
                "gee": "GEE, exchangeable, bias-reduced robust SE",
                "time": "years since referral",
                "jim": "1 from the day a JIM accepted (time-varying)",
            },
            "n_youth": self.n_youth,
            "n_assessments": self.n_assessments,
            "threshold": self.threshold,
            "domains": [d.to_json_dict() for d in self.domains],
        }


# --- the pure part ------------------------------------------------------------------------


def _check_frame(frame: pd.DataFrame) -> None:
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"the risk frame lacks the columns {', '.join(missing)}")


def _wave_labels(data: pd.DataFrame) -> pd.Series:
    if "wave" in data.columns:
        return data["wave"].astype(str)
    # Without wave labels: the nearest quarter year.
    return (np.round(data["time"] * 4) / 4).map(lambda t: f"{t:g}y")


def _observed(data: pd.DataFrame, threshold: int) -> tuple[ObservedMean, ...]:
    frame = data.assign(wave=_wave_labels(data), group=np.where(data["jim"] == 1, "jim", "no_jim"))
    points = []
    order = frame.groupby("wave")["time"].mean().sort_values()
    for wave, time in order.items():
        for group in ("no_jim", "jim"):
            scores = frame.loc[(frame["wave"] == wave) & (frame["group"] == group), "score"]
            n = len(scores)
            if n == 0:
                continue
            shown = n >= threshold
            points.append(
                ObservedMean(
                    group=group,
                    wave=str(wave),
                    time=float(time),
                    mean=float(scores.mean()) if shown else None,
                    n=n if shown else None,
                )
            )
    return tuple(points)


def _curves(data: pd.DataFrame, params: Mapping[str, float]) -> tuple[CurvePoint, ...]:
    """Model-based means: a trajectory that never had a JIM, and one with a JIM from the
    referral on (the fixed effects only)."""
    frame = data.assign(wave=_wave_labels(data))
    order = frame.groupby("wave")["time"].mean().sort_values()
    b0, b_time = params["Intercept"], params["time"]
    b_jim, b_slope = params["jim"], params[TERM]
    points = []
    for wave, time in order.items():
        t = float(time)
        points.append(CurvePoint("no_jim", str(wave), t, b0 + b_time * t))
        points.append(CurvePoint("jim", str(wave), t, b0 + b_jim + (b_time + b_slope) * t))
    return tuple(points)


def _mixed(data: pd.DataFrame) -> tuple[LMMResult, tuple[str, ...]]:
    """The REML fit of :data:`FORMULA` with a random intercept and slope of ``time`` per
    unit; its notes say when the fit is at the boundary (a slope variance of zero or a
    correlation of +-1): reported, not refused. Raises :class:`_NotConverged`."""
    from yim.stats.lmm import LinearMixedModel, LMMError

    time = data["time"].to_numpy(dtype=float)
    jim = data["jim"].to_numpy(dtype=float)
    ones = np.ones_like(time)
    try:
        result = LinearMixedModel("REML").fit(
            data["score"].to_numpy(dtype=float),
            np.column_stack([ones, time, jim, time * jim]),
            np.column_stack([ones, time]),
            data["unit"].to_numpy(),
            exog_names=TERMS,
            re_names=("Intercept", "time"),
        )
    except LMMError as exc:
        raise _NotConverged((str(exc),)) from exc
    if not result.converged:
        raise _NotConverged(result.messages)
    return result, result.messages


class _NotConverged(Exception):
    def __init__(self, notes: tuple[str, ...]) -> None:
        self.notes = notes
        super().__init__("; ".join(notes))


def _gee(data: pd.DataFrame) -> tuple[GEEResult, tuple[str, ...]]:
    """The GEE of :data:`FORMULA` (exchangeable, Gaussian) with its plain and bias-reduced
    sandwich covariances from one fit; its notes say when it stopped at the iteration limit.
    Raises :class:`~yim.stats.gee.GEEError` (a ``ValueError``) for data it cannot use."""
    from yim.stats.gee import ExchangeableGEE

    time = data["time"].to_numpy(dtype=float)
    jim = data["jim"].to_numpy(dtype=float)
    result = ExchangeableGEE().fit(
        data["score"].to_numpy(dtype=float),
        np.column_stack([np.ones_like(time), time, jim, time * jim]),
        data["unit"].to_numpy(),
        exog_names=TERMS,
    )
    return result, result.messages


def _domain_data(frame: pd.DataFrame, domain: str) -> pd.DataFrame:
    data = frame.loc[(frame["domain"] == domain) & frame["score"].notna()].copy()
    data["jim"] = data["jim"].astype(int)
    data["time"] = data["time"].astype(float)
    data["score"] = data["score"].astype(float)
    return data.sort_values(["unit", "time"], kind="stable").reset_index(drop=True)


def _count(n: int, threshold: int) -> str:
    """A count for a message: a small cell is said as "fewer than" the threshold."""
    if is_small(n, threshold):
        return _("fewer than %(threshold)s") % {"threshold": threshold}
    return str(n)


def domain_error(reason: str, said: Mapping[str, Any]) -> str:
    """Why a domain has no model (:attr:`DomainFit.reason` and what it rests on,
    :attr:`DomainFit.said`), in the active language: a kept result is worded anew for each
    reader."""
    if reason == "too_few_youth":
        n = said["n"]
        return _(
            "Too few youth for a model of this domain: %(n)s with at least %(waves)s "
            "assessments, at least %(min)s needed. Wait for more waves or widen the "
            "selection."
        ) % {
            "n": _("fewer than %(threshold)s") % {"threshold": said["threshold"]}
            if n is None
            else n,
            "waves": said["waves"],
            "min": said["min"],
        }
    if reason == "no_contrast":
        return _(
            "The slope difference needs assessments both with and without a JIM; this "
            "domain has only assessments %(which)s."
        ) % {"which": _("with a JIM") if said["exposed"] else _("without a JIM")}
    if said.get("gee"):
        return _(
            "The mixed model of this domain did not converge; its estimates are withheld. "
            "The GEE estimate is shown as a sensitivity analysis."
        )
    return _(
        "Neither the mixed model nor the GEE of this domain converged; its estimates "
        "are withheld. Check whether its scores vary at all."
    )


def _informative(data: pd.DataFrame, min_waves: int) -> int:
    counts = data.groupby("unit").size()
    return int((counts >= min_waves).sum())


def fit_domain(
    frame: pd.DataFrame,
    domain: str,
    *,
    min_youth: int = MIN_YOUTH,
    min_waves: int = MIN_WAVES,
    threshold: int = DEFAULT_THRESHOLD,
) -> DomainFit:
    """Both models for one domain; too few youth, no JIM or no convergence give a
    :class:`DomainFit` with ``error`` set, never an exception."""
    _check_frame(frame)
    data = _domain_data(frame, domain)
    n_youth, n_assessments = int(data["unit"].nunique()), len(data)

    def failed(reason: str, said: dict[str, Any], notes: tuple[str, ...] = ()) -> DomainFit:
        # Counts of a domain without a model may be small cells: withheld like any other.
        return DomainFit(
            domain, cell(n_youth, threshold), cell(n_assessments, threshold), False, None,
            None, None, False, MappingProxyType({}), notes, domain_error(reason, said),
            (), _observed(data, threshold) if len(data) else (), reason, MappingProxyType(said),
        )  # fmt: skip

    informative = _informative(data, min_waves)
    if informative < min_youth:
        said = {"n": cell(informative, threshold), "threshold": threshold}
        return failed("too_few_youth", {**said, "waves": min_waves, "min": min_youth})
    exposed = bool((data["jim"] == 1).any())
    if not exposed or bool((data["jim"] == 1).all()):
        return failed("no_contrast", {"exposed": exposed})
    mixed: LMMResult | None = None
    try:
        mixed, notes = _mixed(data)
    except _NotConverged as exc:
        notes = tuple(dict.fromkeys(exc.notes))
    gee: Estimate | None = None
    gee_robust_se: float | None = None
    try:
        fitted, gee_notes = _gee(data)
        values = (fitted.params[TERM], fitted.se_bias_reduced[TERM], fitted.se_robust[TERM])
        gee_converged = fitted.converged and all(math.isfinite(v) for v in values)
        if gee_converged:
            gee = Estimate.wald(float(values[0]), float(values[1]))
            gee_robust_se = float(values[2])
    except (np.linalg.LinAlgError, ValueError) as exc:
        gee_converged, gee_notes = False, (str(exc),)
    notes = notes + tuple(f"GEE: {n}" for n in gee_notes)
    # The SEs are lme4's vcov: sigma^2 (sum X_i' V_i^-1 X_i)^-1 at the REML estimates.
    params = mixed.params if mixed is not None else {}
    bse = mixed.se if mixed is not None else {}
    if mixed is None or not all(math.isfinite(v) for v in (*params.values(), *bse.values())):
        result = failed("not_converged", {"gee": gee is not None}, notes)
        return replace(result, gee=gee, gee_robust_se=gee_robust_se, gee_converged=gee_converged)
    coefficients = MappingProxyType({k: Estimate.wald(params[k], bse[k]) for k in params})
    return DomainFit(
        domain=domain,
        n_youth=n_youth,
        n_assessments=n_assessments,
        converged=True,
        slope_difference=coefficients[TERM],
        gee=gee,
        gee_robust_se=gee_robust_se,
        gee_converged=gee_converged,
        coefficients=coefficients,
        notes=notes,
        error=None,
        trajectories=_curves(data, params),
        observed=_observed(data, threshold),
    )


def fit_risk_frame(
    frame: pd.DataFrame,
    *,
    domains: Sequence[str] | None = None,
    as_of: dt.date | None = None,
    min_youth: int = MIN_YOUTH,
    min_waves: int = MIN_WAVES,
    threshold: int = DEFAULT_THRESHOLD,
) -> RiskResult:
    """Fit every domain of a long frame (columns :data:`COLUMNS`, one row per assessment and
    domain). Raises :class:`RiskModelError` when no domain has enough youth; a domain that
    fails on its own keeps its message in ``error`` and the others stand."""
    _check_frame(frame)
    scored = frame.loc[frame["score"].notna()]
    codes = list(domains) if domains is not None else list(dict.fromkeys(scored["domain"]))
    informative = (
        max((_informative(_domain_data(frame, c), min_waves) for c in codes), default=0)
        if len(scored)
        else 0
    )
    if informative < min_youth:
        raise RiskModelError(
            _(
                "Too few youth for risk trajectories: %(n)s youth have at least %(waves)s risk "
                "assessments, and at least %(min)s are needed. Record more waves or widen the "
                "selection."
            )
            % {"n": _count(informative, threshold), "waves": min_waves, "min": min_youth}
        )
    fits = tuple(
        fit_domain(frame, code, min_youth=min_youth, min_waves=min_waves, threshold=threshold)
        for code in codes
    )
    return RiskResult(
        as_of=as_of,
        formula=FORMULA,
        domains=fits,
        n_youth=int(scored["unit"].nunique()),
        n_assessments=int(scored.drop_duplicates(["unit", "time"]).shape[0])
        if "assessment" not in scored.columns
        else int(scored["assessment"].nunique()),
        threshold=threshold,
    )


# --- from the registry ----------------------------------------------------------------------


def risk_domains() -> list[str]:
    """The domain codes (subscales) of the risk instrument, in its order."""
    from yim.monitoring import instruments

    return [s.code for s in instruments.get(RISK_INSTRUMENT).subscales]


def risk_frame(scope: Any) -> pd.DataFrame:
    """The long frame of :func:`fit_risk_frame` for a :class:`~definitions.Scope`: every
    risk assessment of the cohort submitted (on its Amsterdam day) and assessed by
    ``as_of``, one row per domain score, with ``jim`` from the first acceptance by
    ``as_of``. Two queries."""
    from django.db.models.functions import Coalesce

    from yim.monitoring.models import Assessment
    from yim.research.evidence import definitions as d

    as_of = scope.as_of
    jim_on = {s.trajectory_id: (s.referred_on, s.jim_on) for s in d.searches(scope)}
    rows = (
        Assessment.objects.submitted()
        .filter(instrument=RISK_INSTRUMENT, trajectory__in=d.cohort(scope))
        .annotate(
            day=Coalesce("assessed_on", "wave__on"), submitted=d.amsterdam_day("submitted_at")
        )
        .filter(day__lte=as_of, submitted__lte=as_of)
        .order_by("trajectory_id", "day", "pk")
        .values_list("pk", "trajectory_id", "day", "wave__kind", "wave__number", "scores")
    )
    codes = risk_domains()
    records = []
    for pk, unit, day, kind, number, scores in rows:
        referred_on, jim_day = jim_on.get(unit, (None, None))
        if referred_on is None or not isinstance(scores, dict):
            continue
        time = (day - referred_on).days / DAYS_PER_YEAR
        jim = int(jim_day is not None and jim_day <= day)
        wave = f"{kind}:{number}" if kind else ""
        for code in codes:
            value = scores.get(code)
            if value is not None:
                records.append((pk, unit, wave, code, time, jim, float(value)))
    return pd.DataFrame.from_records(
        records, columns=["assessment", "unit", "wave", "domain", "time", "jim", "score"]
    )


def fit_risk_trajectories(
    *,
    as_of: dt.date | None = None,
    team: str | None = None,
    organisation: str | None = None,
    min_youth: int = MIN_YOUTH,
    min_waves: int = MIN_WAVES,
    threshold: int = DEFAULT_THRESHOLD,
) -> RiskResult:
    """Risk trajectories of the registry as of a day (default: today in Amsterdam), for a
    team, an organisation or everyone. Raises :class:`EvidenceError` (or its
    :class:`RiskModelError`) with a message for the user."""
    from yim.research.evidence.summary import resolve_scope

    scope = resolve_scope(as_of, team=team, organisation=organisation)
    frame = risk_frame(scope)
    return fit_risk_frame(
        frame,
        domains=risk_domains(),
        as_of=scope.as_of,
        min_youth=min_youth,
        min_waves=min_waves,
        threshold=threshold,
    )
