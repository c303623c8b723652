"""REST endpoints for the meetings of a trajectory."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
    held_on: dt.date
    youth_view: str
    jim_input: str
    decisions: str
    version: int


@states_rules(Meeting)
class MeetingIn(Schema):
    kind: str
    held_on: dt.date
    youth_view: str = ""
    jim_input: str = ""
    decisions: str = ""
    notes: str = ""


@router.get(
    "/trajectories/{trajectory_id}/meetings",
    response=list[MeetingOut],
    summary="Meetings of a trajectory, newest first",
)
@paginate(Pagination)
def list_meetings(request: HttpRequest, trajectory_id: int) -> Any:
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id)
    record(user, Action.LIST, request=request, youth=trajectory.youth, obj=trajectory,
           detail="api meetings")  # fmt: skip
    return Meeting.objects.filter(trajectory=trajectory).order_by("-held_on", "-pk")


@router.post(
    "/trajectories/{trajectory_id}/meetings",
    response={201: MeetingOut, 422: Invalid},
    summary="Record a meeting (the youth's view and the JIM's input apart from the decisions)",
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
