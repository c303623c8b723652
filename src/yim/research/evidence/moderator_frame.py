"""The moderators' data from the registry: one row per trajectory of the JIM cohort with its
outcomes and moderators (:func:`moderator_frame`), and the analyses of a scope
(:func:`fit_moderators`); the models themselves are in :mod:`.moderators`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from yim.research.evidence import DEFAULT_THRESHOLD
from yim.research.evidence.moderators import (
    AGE_BANDS,
    MODERATORS,
    ModeratorResult,
    fit_moderator_frame,
)

# --- from the registry ----------------------------------------------------------------------


def age_band(born: dt.date, on: dt.date) -> str:
    """The age band at a day: under 12, 12–15, 16–17, 18–23, or 24 and over."""
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    for low, high, code in AGE_BANDS:
        if low <= age < high:
            return code
    return "24_plus"


def intake_risk_scores(scope: Any, trajectories: Any) -> dict[int, float]:
    """Per trajectory (ids, or a queryset of trajectories), the mean domain score of its first
    risk assessment by ``as_of`` (used by the moderators and the comparison studies)."""
    from django.db.models.functions import Coalesce

    from yim.monitoring.models import Assessment
    from yim.research.evidence import definitions as d
    from yim.research.evidence.risk import RISK_INSTRUMENT

    rows = (
        Assessment.objects.submitted()
        .filter(instrument=RISK_INSTRUMENT, trajectory_id__in=trajectories)
        .annotate(day=Coalesce("assessed_on", "wave__on"), sent=d.amsterdam_day("submitted_at"))
        .filter(day__lte=scope.as_of, sent__lte=scope.as_of)
        .order_by("trajectory_id", "day", "pk")
        .values_list("trajectory_id", "scores")
    )
    result: dict[int, float] = {}
    for unit, scores in rows:
        if unit in result or not isinstance(scores, dict):
            continue
        values = [float(v) for v in scores.values() if v is not None]
        if values:
            result[unit] = sum(values) / len(values)
    return result


def level_labels() -> dict[str, dict[str, str]]:
    """Per moderator (and covariate of a comparison study from the registry), the names of
    its levels in the active language, for tables and plots; results keep the codes."""
    from django.utils.translation import get_language
    from django.utils.translation import gettext as _

    from yim.monitoring import instruments
    from yim.programmes.models import ProgrammeModel
    from yim.research.evidence.risk import RISK_INSTRUMENT
    from yim.trajectories.models import Gender, Relation

    programmes: dict[str, str] = {}
    for code, name in ProgrammeModel.objects.order_by("pk").values_list("code", "name"):
        programmes.setdefault(code, name)
    risk = {"low": _("low")}
    try:
        cutoffs = instruments.get(RISK_INSTRUMENT).subscales[0].cutoffs
    except KeyError:
        cutoffs = ()
    for c in cutoffs:  # the codes _intake_risk gives, named in the active language
        risk[c.label.get("en").lower()] = c.label.get(get_language())
    return {
        "age_band": {
            "under_12": _("younger than 12"),
            "12_15": _("12–15 years"),
            "16_17": _("16–17 years"),
            "18_23": _("18–23 years"),
            "24_plus": _("24 or older"),
        },
        "gender": {str(v): str(label) for v, label in Gender.choices if v},
        "programme": programmes,
        "jim_relation": {str(v): str(label) for v, label in Relation.choices},
        "intake_risk": risk,
    }


def _intake_risk(scope: Any, ids: set[int]) -> dict[int, str]:
    """Per trajectory, the band of its intake risk score (:func:`intake_risk_scores`): ``low``
    below the first cut-off of the instrument, then its bands."""
    from yim.monitoring import instruments
    from yim.research.evidence.risk import RISK_INSTRUMENT

    try:
        definition = instruments.get(RISK_INSTRUMENT)
    except KeyError:
        return {}
    cutoffs = sorted(
        (c.at_least, c.label.get("en").lower()) for c in definition.subscales[0].cutoffs
    )
    result: dict[int, str] = {}
    for unit, mean in intake_risk_scores(scope, ids).items():
        band = "low"
        for at_least, label in cutoffs:
            if mean >= at_least:
                band = label
        result[unit] = band
    return result


def moderator_frame(scope: Any) -> pd.DataFrame:
    """One row per cohort trajectory for :func:`fit_moderator_frame` (a fixed few queries)."""
    from yim.research.evidence import definitions as d
    from yim.trajectories.models import Candidate, Response

    found = d.searches(scope)
    placed = d.first_placement_in_care(found, d.realised_placements(scope), scope.as_of)
    info = {
        pk: (born, gender, programme)
        for pk, born, gender, programme in d.cohort(scope)
        .order_by("pk")
        .values_list("pk", "youth__date_of_birth", "youth__gender", "programme__code")
    }
    relation: dict[int, str] = {}
    accepted = (
        Candidate.objects.filter(
            trajectory__in=d.cohort(scope), response=Response.ACCEPTED,
            response_on__lte=scope.as_of,
        )
        .order_by("trajectory_id", "response_on", "pk")
        .values_list("trajectory_id", "person__relation")
    )  # fmt: skip
    for unit, rel in accepted:
        relation.setdefault(unit, rel)
    risk = _intake_risk(scope, set(info))
    records = []
    for s in found:
        born, gender, programme = info[s.trajectory_id]
        closed = s.closed_on is not None
        by = s.closed_on or scope.as_of
        has_jim = s.jim_on is not None and s.jim_on <= by
        records.append(
            {
                "unit": s.trajectory_id,
                "jim": int(has_jim),
                "closed": int(closed),
                "ambulatory": int(s.trajectory_id not in placed) if closed else None,
                "days": float(s.days),
                "status": s.status,
                "age_band": age_band(born, s.referred_on),
                "gender": gender or None,
                "programme": programme or None,
                "jim_relation": relation.get(s.trajectory_id) if has_jim else None,
                "intake_risk": risk.get(s.trajectory_id),
            }
        )
    columns = ["unit", "jim", "closed", "ambulatory", "days", "status", *MODERATORS]
    return pd.DataFrame.from_records(records, columns=columns)


def fit_moderators(
    *,
    as_of: dt.date | None = None,
    team: str | None = None,
    organisation: str | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> ModeratorResult:
    """Moderator analyses of the registry as of a day (default today in Amsterdam)."""
    from yim.research.evidence.risk import risk_frame
    from yim.research.evidence.summary import resolve_scope

    scope = resolve_scope(as_of, team=team, organisation=organisation)
    return fit_moderator_frame(
        moderator_frame(scope), as_of=scope.as_of, threshold=threshold, risk=risk_frame(scope)
    )
