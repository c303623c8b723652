"""REST endpoints for the meetings of a trajectory.

A meeting is recorded as held (the default: ``status`` ``held`` with ``held_on``) or put on
the agenda (``status`` ``planned`` with ``planned_for``, today or later). The model judges
both; a refusal answers 422 with the message on its field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models.functions import Coalesce
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from yim.api.convention import (
    Invalid,
    audited_write,
    caller,
    states_rules,
    trajectory_in_scope,
)
from yim.api.pagination import Pagination
from yim.audit.log import record
from yim.audit.models import Action
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


@router.get(
    "/trajectories/{trajectory_id}/meetings",
    response=list[MeetingOut],
    summary="Meetings of a trajectory (held, planned and called off), latest day first",
)
@paginate(Pagination)
def list_meetings(request: HttpRequest, trajectory_id: int) -> Any:
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id)
    record(user, Action.LIST, request=request, youth=trajectory.youth, obj=trajectory,
           detail="api meetings")  # fmt: skip
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
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id, edit=True)
    return audited_write(
        request,
        Action.CREATE,
        lambda: Meeting.objects.create(trajectory=trajectory, recorded_by=user, **payload.dict()),
        youth=trajectory.youth,
        detail="api meeting",
    )
