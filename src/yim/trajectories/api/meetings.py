"""REST endpoints for the meetings of a trajectory.

A meeting is recorded as held (the default: ``status`` ``held`` with ``held_on``) or put on
the agenda (``status`` ``planned`` with ``planned_for``, today or later). The model judges
both; a refusal answers 422 with the message on its field.

A planned meeting is recorded as held later (``Meeting.record_held``, as on its page) or
called off (``Meeting.cancel``), and any meeting is corrected with a reason, its earlier
version kept (``Meeting.save_correction``; ``GET …/revisions`` lists them). All carry the
``version`` the client read (409 ``stale``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models.functions import Coalesce
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from yim.api.convention import (
    REFUSALS,
    VERSION_FIELD,
    Invalid,
    audited_edit,
    caller,
    created_in_trajectory,
    states_rules,
    trajectory_listed,
    trajectory_record_in_scope,
)
from yim.api.pagination import Pagination
from yim.trajectories.api.corrections import REASON_FIELD, RevisionOut, correct_fields, revisions
from yim.trajectories.models import Meeting

router = Router(tags=["meetings"])


class MeetingOut(Schema):
    id: int
    kind: str
    status: str
    planned_for: dt.date | None
    held_on: dt.date | None
    youth_view: str
    jim_input: str
    decisions: str
    notes: str
    version: int


@states_rules(Meeting)
class MeetingIn(Schema):
    kind: str
    status: str = "held"
    held_on: dt.date | None = None
    planned_for: dt.date | None = None
    youth_view: str = ""
    jim_input: str = ""
    decisions: str = ""
    notes: str = ""


@states_rules(Meeting)
class MeetingHeldIn(Schema):
    """A planned meeting recorded as held: the day, what was said and decided. A text left
    out keeps what is stored (a planned meeting's note)."""

    version: int = VERSION_FIELD
    held_on: dt.date = Field(examples=["2026-06-16"])
    youth_view: str | None = None
    jim_input: str | None = None
    decisions: str | None = None
    notes: str | None = None


@states_rules(Meeting)
class MeetingCorrectionIn(Schema):
    """A correction: the fields sent replace the stored ones (a text sent as null is
    emptied); the earlier version is kept with the reason. A planned meeting keeps its
    status: record it as held or call it off on its own."""

    version: int = VERSION_FIELD
    reason: str = REASON_FIELD
    kind: str | None = None
    planned_for: dt.date | None = None
    held_on: dt.date | None = None
    youth_view: str | None = None
    jim_input: str | None = None
    decisions: str | None = None
    notes: str | None = None


def _meeting(user: Any, meeting_id: int) -> Meeting:
    """A meeting through the caller's trajectory scope, editable by the caller; else 404."""
    return trajectory_record_in_scope(user, Meeting.objects.all(), meeting_id)


@router.get(
    "/trajectories/{trajectory_id}/meetings",
    response=list[MeetingOut],
    summary="Meetings of a trajectory (held, planned and called off), latest day first",
)
@paginate(Pagination)
def list_meetings(request: HttpRequest, trajectory_id: int) -> Any:
    trajectory = trajectory_listed(request, trajectory_id, "api meetings")
    day = Coalesce("held_on", "planned_for")  # the same order on SQLite and PostgreSQL
    return Meeting.objects.filter(trajectory=trajectory).order_by(day.desc(), "-pk")


@router.post(
    "/trajectories/{trajectory_id}/meetings",
    response={201: MeetingOut, 422: Invalid},
    summary=(
        "Record a held meeting (the youth's view and the JIM's input apart from the decisions), "
        "or plan one (status 'planned', planned_for today or later)"
    ),
)
def add_meeting(request: HttpRequest, trajectory_id: int, payload: MeetingIn) -> Any:
    return created_in_trajectory(
        request,
        trajectory_id,
        lambda user, trajectory: Meeting.objects.create(
            trajectory=trajectory, recorded_by=user, **payload.dict()
        ),
        detail="api meeting",
    )


@router.post(
    "/meetings/{meeting_id}/held",
    response={200: MeetingOut, **REFUSALS},
    summary="Record a planned meeting as held (the day, the youth's view, the JIM's input, "
    "the decisions)",
)
def record_held(request: HttpRequest, meeting_id: int, payload: MeetingHeldIn) -> Any:
    meeting = _meeting(caller(request), meeting_id)
    fields = payload.dict(exclude={"version"})
    given = {name: value for name, value in fields.items() if value is not None}

    def held() -> Meeting:
        meeting.record_held(expected_version=payload.version, **given)
        return meeting

    return audited_edit(
        request,
        meeting,
        held,
        version=payload.version,
        detail="api planned meeting recorded as held",
    )


class MeetingCancelIn(Schema):
    version: int = VERSION_FIELD


@router.post(
    "/meetings/{meeting_id}/cancel",
    response={200: MeetingOut, **REFUSALS},
    summary="Call off a planned meeting (it stays on the record as cancelled)",
)
def cancel_meeting(request: HttpRequest, meeting_id: int, payload: MeetingCancelIn) -> Any:
    meeting = _meeting(caller(request), meeting_id)

    def cancel() -> Meeting:
        meeting.cancel(expected_version=payload.version)
        return meeting

    return audited_edit(
        request, meeting, cancel, version=payload.version, detail="api planned meeting cancelled"
    )


@router.patch(
    "/meetings/{meeting_id}",
    response={200: MeetingOut, **REFUSALS},
    summary="Correct a meeting with a reason; the earlier version is kept",
)
def correct_meeting(request: HttpRequest, meeting_id: int, payload: MeetingCorrectionIn) -> Any:
    return correct_fields(
        request, Meeting.objects.all(), meeting_id, payload, "api meeting corrected"
    )


@router.get(
    "/meetings/{meeting_id}/revisions",
    response=list[RevisionOut],
    summary="The earlier versions of a meeting, newest first (one per correction)",
)
@paginate(Pagination)
def meeting_revisions(request: HttpRequest, meeting_id: int) -> Any:
    return revisions(request, Meeting.objects.all(), meeting_id, "api meeting revisions")
