"""REST endpoints for the safety plans of a trajectory.

A safety plan runs in parallel with the search for a JIM when the situation is unsafe. The
model judges every write (:class:`yim.trajectories.models.SafetyPlan`: made within the
trajectory, not ending before it was made); a correction carries the ``version`` the client
read (409 ``stale``) and a reason, and keeps the earlier version (``GET …/revisions``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from yim.api.convention import (
    REFUSALS,
    VERSION_FIELD,
    Invalid,
    created_in_trajectory,
    states_rules,
    trajectory_listed,
)
from yim.api.pagination import Pagination
from yim.trajectories.api.corrections import REASON_FIELD, RevisionOut, correct_fields, revisions
from yim.trajectories.models import SafetyPlan

router = Router(tags=["safety plans"])


class SafetyPlanOut(Schema):
    id: int
    made_on: dt.date
    concerns: str
    measures: str
    ended_on: dt.date | None
    version: int = Field(description="Send this back when correcting the plan.")


@states_rules(SafetyPlan)
class SafetyPlanIn(Schema):
    made_on: dt.date = Field(examples=["2026-06-16"])
    concerns: str = Field(examples=["Fights at home in the evening"])
    measures: str = Field(examples=["The youth sleeps at the aunt's when it escalates"])
    ended_on: dt.date | None = None


@states_rules(SafetyPlan)
class SafetyPlanCorrectionIn(Schema):
    """A correction (or the day the plan ended): the fields sent replace the stored ones;
    the earlier version is kept with the reason."""

    version: int = VERSION_FIELD
    reason: str = REASON_FIELD
    made_on: dt.date | None = None
    concerns: str | None = None
    measures: str | None = None
    ended_on: dt.date | None = None


@router.get(
    "/trajectories/{trajectory_id}/safety-plans",
    response=list[SafetyPlanOut],
    summary="Safety plans of a trajectory, latest first",
)
@paginate(Pagination)
def list_safety_plans(request: HttpRequest, trajectory_id: int) -> Any:
    trajectory = trajectory_listed(request, trajectory_id, "api safety plans")
    return SafetyPlan.objects.filter(trajectory=trajectory).order_by("-made_on", "-pk")


@router.post(
    "/trajectories/{trajectory_id}/safety-plans",
    response={201: SafetyPlanOut, 422: Invalid},
    summary="Record a safety plan (what is unsafe, the agreed measures)",
)
def add_safety_plan(request: HttpRequest, trajectory_id: int, payload: SafetyPlanIn) -> Any:
    return created_in_trajectory(
        request,
        trajectory_id,
        lambda _user, trajectory: SafetyPlan.objects.create(
            trajectory=trajectory, **payload.dict()
        ),
        detail="api safety plan",
    )


@router.patch(
    "/safety-plans/{safety_plan_id}",
    response={200: SafetyPlanOut, **REFUSALS},
    summary="Correct a safety plan (or record the day it ended) with a reason; the earlier "
    "version is kept",
)
def correct_safety_plan(
    request: HttpRequest, safety_plan_id: int, payload: SafetyPlanCorrectionIn
) -> Any:
    return correct_fields(
        request, SafetyPlan.objects.all(), safety_plan_id, payload, "api safety plan corrected"
    )


@router.get(
    "/safety-plans/{safety_plan_id}/revisions",
    response=list[RevisionOut],
    summary="The earlier versions of a safety plan, newest first (one per correction)",
)
@paginate(Pagination)
def safety_plan_revisions(request: HttpRequest, safety_plan_id: int) -> Any:
    return revisions(request, SafetyPlan.objects.all(), safety_plan_id, "api safety plan revisions")
