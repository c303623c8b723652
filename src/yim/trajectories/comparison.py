"""Comparison (care-as-usual) trajectories: entered one by one or imported from a CSV/XLSX file.

A comparison trajectory (``Trajectory.cohort == "comparison"``) is a youth who received care
as usual — the research's comparison group. It has a referral, baseline facts and the
placement that was (or was not) realised, with its dates; there is no JIM search, no casework,
and it never appears in work lists, the team overview or the JIM cohort's figures.

:func:`create_comparison` records one (the staff form and the API use it);
:func:`import_rows` records a whole file, or — when any row or column is wrong — nothing, and
reports every problem with its row and column (:mod:`yim.trajectories.comparison_file` reads
the file).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yim.trajectories.models import (
    OUT_OF_HOME,
    Cohort,
    PlacementEpisode,
    PlacementType,
    Trajectory,
    Youth,
)
from yim.trajectories.rules import AMSTERDAM

#: The referral reason stored on every comparison trajectory (data, not interface text).
COMPARISON_REASON = "Comparison group: care as usual."
EPISODE_NOTE = "Comparison group: placement as recorded on entry."


@dataclass(frozen=True)
class ComparisonCase:
    """One comparison trajectory as entered: baseline facts and the realised placement."""

    referred_on: dt.date
    date_of_birth: dt.date
    gender: str = ""
    requested_placement: str = PlacementType.NONE
    placement_basis: str = ""
    referral_source: str = "other"
    realised_placement: str = PlacementType.NONE
    placement_started_on: dt.date | None = None
    placement_ended_on: dt.date | None = None
    reference: str = ""


@dataclass
class Problem:
    """What is wrong where: a row (1 = the header) and a column of the file."""

    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    created: list[Trajectory] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


#: Model fields → the file's columns, to report a model's refusal on the column it concerns.
FIELD_COLUMNS = {
    "date_of_birth": "date_of_birth",
    "referred_on": "referred_on",
    "started_at": "referred_on",
    "gender": "gender",
    "requested_placement": "requested_placement",
    "placement_basis": "placement_basis",
    "referral_source": "referral_source",
    "display_name": "reference",
    "placement_type": "placement_realised",
    "started_on": "placement_started_on",
    "ended_on": "placement_ended_on",
    NON_FIELD_ERRORS: "",
}


def create_comparison(
    case: ComparisonCase, *, team: Any, professional: Any, programme: Any, by: Any = None
) -> Trajectory:
    """Record one comparison trajectory (youth, referral, realised placement) — all or none.

    Raises ``ValidationError`` with messages per field (``placement_realised`` … for the
    placement) when a rule refuses it.
    """
    problems: dict[str, list[str]] = {}
    realised = case.realised_placement or PlacementType.NONE
    if realised not in (PlacementType.NONE, *OUT_OF_HOME):
        problems.setdefault("placement_type", []).append(_("Choose a placement type."))
    if realised == PlacementType.NONE and (case.placement_started_on or case.placement_ended_on):
        problems.setdefault("started_on", []).append(
            _("No placement was realised: leave its dates empty.")
        )
    if realised in OUT_OF_HOME and case.placement_started_on is None:
        problems.setdefault("started_on", []).append(_("Give the day the placement began."))
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        youth = Youth(
            organisation_id=team.organisation_id,
            team=team,
            professional=professional,
            display_name=case.reference or _("Comparison youth"),
            date_of_birth=case.date_of_birth,
            gender=case.gender,
        )
        youth.save()
        at = dt.datetime.combine(case.referred_on, dt.time(12), tzinfo=AMSTERDAM)
        trajectory = Trajectory.start(
            youth=youth,
            programme=programme,
            professional=professional,
            referred_on=case.referred_on,
            referral_source=case.referral_source or "other",
            referral_reason=COMPARISON_REASON,
            requested_placement=case.requested_placement or PlacementType.NONE,
            placement_basis=case.placement_basis,
            cohort=Cohort.COMPARISON,
            at=at,
            by=by,
        )
        if realised in OUT_OF_HOME:
            PlacementEpisode.record_afterwards(
                trajectory,
                placement_type=realised,
                started_on=case.placement_started_on,
                ended_on=case.placement_ended_on,
                note=EPISODE_NOTE,
                by=by,
            )
    return trajectory


def import_rows(
    rows: list[tuple[int, ComparisonCase]],
    *,
    team: Any,
    professional: Any,
    programme: Any,
    by: Any = None,
) -> ImportResult:
    """Record every row, or nothing: each row is tried (and its refusals collected per
    column); if any row is refused, the whole import is rolled back."""
    result = ImportResult()
    with transaction.atomic():
        for number, case in rows:
            try:
                with transaction.atomic():
                    result.created.append(
                        create_comparison(
                            case, team=team, professional=professional, programme=programme, by=by
                        )
                    )
            except ValidationError as refused:
                for name, messages in _messages(refused).items():
                    column = FIELD_COLUMNS.get(name, name)
                    result.problems.extend(Problem(number, column, m) for m in messages)
        if result.problems:
            transaction.set_rollback(True)
            result.created = []
    return result


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {NON_FIELD_ERRORS: list(exc.messages)}
