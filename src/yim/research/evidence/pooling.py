"""Pooling evidence across organisations (signed evidence files) and across the teams of one
organisation (from the registry), with the project's meta-analysis engine (:mod:`yim.stats.meta`).

Per outcome every unit (an organisation's file, or a team) gives its estimate and variance on
the pooling scale (logit for proportions, log for risk ratios); a random-effects model (REML,
z tests, Q-profile CI for τ²) pools them: the pooled estimate with its CI, the prediction
interval, τ² and I² — τ², I² and the prediction interval only from ``min_units`` units on
(default 5; with fewer the between-unit variance is too uncertain to show). A unit whose
estimate is withheld in its file (small cells) is left out and named. A forest plot per
outcome shows every unit beside the pooled estimate.
Files are read and verified first (:mod:`yim.research.evidence.verification`); the reports
are :mod:`yim.research.evidence.pooling_report`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from yim.research.evidence import DEFAULT_THRESHOLD
from yim.research.evidence.file import (
    OUTCOMES,
    RISK_RATIO,
    SCALES,
    outcomes_from_summary,
)
from yim.research.evidence.summary import EvidenceError
from yim.research.evidence.verification import (
    EvidenceFile,
    PoolingError,
    check_together,
)

#: Fewest units from which τ², I² and the prediction interval are shown.
DEFAULT_MIN_UNITS = 5


# --- pooling ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One unit's estimate of one outcome (an organisation or a team), on the pooling scale."""

    label: str
    estimate: float | None
    variance: float | None
    n: int | None

    @property
    def withheld(self) -> bool:
        return self.estimate is None or self.variance is None


@dataclass
class PooledOutcome:
    """An outcome pooled over units; ``result`` is None when fewer than two units have it."""

    key: str
    title: str
    kind: str
    units: list[Unit]
    min_units: int
    result: Any = None  # a yim.stats.meta.TwoLevelResult
    note: str = ""
    error: str | None = None
    pooled: dict[str, Any] = field(default_factory=dict)

    @property
    def used(self) -> list[Unit]:
        return [u for u in self.units if not u.withheld]

    @property
    def withheld(self) -> list[str]:
        return [u.label for u in self.units if u.withheld]


def back_transform(kind: str, value: float) -> float:
    """From the pooling scale to the reading scale: a proportion or a risk ratio."""
    if not math.isfinite(value):
        return value
    if kind == RISK_RATIO:
        return math.exp(value)
    return 1.0 / (1.0 + math.exp(-value))


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def pool_outcome(
    key: str, title: str, kind: str, units: list[Unit], min_units: int = DEFAULT_MIN_UNITS
) -> PooledOutcome:
    """Pool one outcome's units with random effects (REML) — see the module doc."""
    from yim.stats.meta import MetaAnalysisError, RandomEffectsModel

    outcome = PooledOutcome(key=key, title=title, kind=kind, units=units, min_units=min_units)
    used = outcome.used
    if len(used) < 2:
        outcome.error = _("Not pooled: fewer than two units have an estimate.")
        return outcome
    try:
        result = RandomEffectsModel("REML", "z").fit(
            [float(u.estimate or 0.0) for u in used], [float(u.variance or 0.0) for u in used]
        )
    except MetaAnalysisError as exc:
        outcome.error = _("Not pooled: %(problem)s.") % {"problem": exc}
        return outcome
    outcome.result = result
    prediction = result.predict()
    estimate = float(prediction.pred[0])
    shown = len(used) >= min_units
    pooled: dict[str, Any] = {
        "k": len(used),
        "estimate": estimate,
        "se": float(prediction.se[0]),
        "ci": [float(prediction.ci_lb[0]), float(prediction.ci_ub[0])],
        "p": float(result.coefficients[0].pval),
        "scale": SCALES[kind],
        "back_transformed": {
            "estimate": back_transform(kind, estimate),
            "ci": [
                back_transform(kind, float(b)) for b in (prediction.ci_lb[0], prediction.ci_ub[0])
            ],
        },
        "heterogeneity_shown": shown,
        "tau2": None,
        "tau2_ci": None,
        "i2": None,
        "q": None,
        "q_df": None,
        "q_p": None,
        "prediction_interval": None,
        "method": "random effects, REML; z test; tau² CI by Q-profile",
    }
    if shown:
        tau2 = result.tau2_ci("QP")
        heterogeneity = result.heterogeneity
        pi = [float(prediction.pi_lb[0]), float(prediction.pi_ub[0])]
        pooled.update(
            tau2=float(result.tau2),
            tau2_ci=[_finite(tau2.ci_lb), _finite(tau2.ci_ub)]
            if tau2.ci_lb is not None and tau2.ci_ub is not None
            else None,
            i2=float(heterogeneity.I2),
            q=float(heterogeneity.QE),
            q_df=int(heterogeneity.QE_df),
            q_p=float(heterogeneity.QE_pval),
            prediction_interval=pi,
        )
        pooled["back_transformed"]["prediction_interval"] = [back_transform(kind, b) for b in pi]
    else:
        outcome.note = _(
            "Between-unit heterogeneity (τ², I², prediction interval) is shown from %(n)s "
            "units on; here %(k)s have an estimate."
        ) % {"n": min_units, "k": len(used)}
    outcome.pooled = pooled
    return outcome


@dataclass
class PoolReport:
    """Every outcome pooled over the same units."""

    kind: str  # "organisations" or "teams"
    units: list[dict[str, Any]]
    outcomes: list[PooledOutcome]
    min_units: int
    keys_checked: bool | None  # None for teams (no files)
    notes: list[str] = field(default_factory=list)


def _units_of(entries: list[tuple[str, dict[str, Any]]], key: str) -> list[Unit]:
    units = []
    for label, outcomes in entries:
        entry = outcomes.get(key)
        if not isinstance(entry, dict) or entry.get("withheld", True):
            units.append(Unit(label, None, None, None))
        else:
            units.append(Unit(label, entry["estimate"], entry["variance"], entry["n"]))
    return units


def _pool_all(entries: list[tuple[str, dict[str, Any]]], min_units: int) -> list[PooledOutcome]:
    return [
        pool_outcome(o.key, o.title, o.kind, _units_of(entries, o.key), min_units) for o in OUTCOMES
    ]


def pool_files(
    files: list[EvidenceFile],
    *,
    trusted: dict[bytes, str] | None = None,
    min_units: int = DEFAULT_MIN_UNITS,
) -> PoolReport:
    """Pool verified files, one unit per organisation (see :func:`check_together`)."""
    check_together(files, trusted)
    entries = [(f.organisation, f.evidence["outcomes"]) for f in files]
    units = [
        {
            "label": f.organisation,
            "file": f.label,
            "covers": list(f.covers),
            "as_of": f.evidence["as_of"],
            "fingerprint": f.fingerprint,
            "trusted_as": trusted[f.public_key] if trusted is not None else None,
            "generator": f.evidence.get("generator"),
        }
        for f in files
    ]
    report = PoolReport(
        "organisations", units, _pool_all(entries, min_units), min_units, trusted is not None
    )
    if trusted is None:
        report.notes.append(
            _(
                "The signatures were verified, but the keys were not checked against a list "
                "of trusted keys (--trusted-keys): compare each fingerprint with its "
                "organisation before relying on the result."
            )
        )
    days = sorted({f.evidence["as_of"] for f in files})
    if len(days) > 1:
        report.notes.append(
            _("The files count up to different days (as_of: %(days)s).") % {"days": ", ".join(days)}
        )
    return report


def pool_teams(
    organisation: str,
    as_of: dt.date | None = None,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    min_units: int = DEFAULT_MIN_UNITS,
    programme_id: int | None = None,
) -> PoolReport:
    """Pool the teams of one organisation of the registry, each team a unit (only the
    trajectories of one programme model with ``programme_id``)."""
    from yim.accounts.models import Team
    from yim.research.evidence.definitions import Scope
    from yim.research.evidence.summary import resolve_scope, summarise

    org_scope = resolve_scope(as_of, organisation=organisation)
    organisation_id = org_scope.organisation_id
    if organisation_id is None:  # resolve_scope gives one for an organisation's name
        raise PoolingError(_("Name the organisation whose teams to compare."))
    teams = list(Team.objects.filter(organisation_id=organisation_id).order_by("name"))
    entries: list[tuple[str, dict[str, Any]]] = []
    units: list[dict[str, Any]] = []
    for team in teams:
        scope = Scope(as_of=org_scope.as_of, team_id=team.pk, programme_id=programme_id)
        try:
            summary = summarise(scope, threshold=threshold)
        except EvidenceError:
            continue  # a team without trajectories by as_of is no unit
        entries.append((team.name, outcomes_from_summary(summary, threshold)))
        units.append({"label": team.name, "as_of": org_scope.as_of.isoformat()})
    if len(entries) < 2:
        raise PoolingError(
            _(
                "The organisation '%(name)s' has %(n)s team(s) with trajectories by %(as_of)s: "
                "comparing teams needs at least two."
            )
            % {"name": organisation, "n": len(entries), "as_of": org_scope.as_of.isoformat()}
        )
    return PoolReport("teams", units, _pool_all(entries, min_units), min_units, None)
