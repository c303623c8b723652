"""REST endpoints for youth, their trajectories and the trajectory's phase."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from yim import policy
from yim.api.convention import (
    REFUSALS,
    VERSION_FIELD,
    audited_write,
    caller,
    trajectory_in_scope,
    youth_in_scope,
    youth_viewed,
)
from yim.api.pagination import ListedYouthPagination
from yim.audit.log import record
from yim.audit.models import Action
from yim.trajectories.models import Phase, Trajectory, Youth
from yim.trajectories.models.trajectory import TrajectoryQuerySet

router = Router(tags=["youth"])


class YouthOut(Schema):
    id: int
    display_name: str
    date_of_birth: dt.date
    team_id: int
    professional_id: int
    is_synthetic: bool


class TrajectoryOut(Schema):
    id: int
    youth_id: int
    programme_id: int
    team_id: int
    professional_id: int
    cohort: str
    phase: str
    started_at: dt.datetime
    phase_entered_at: dt.datetime
    days_in_phase: int
    days_to_jim: int | None
    closed_at: dt.datetime | None
    referred_on: dt.date
    referral_source: str
    requested_placement: str
    active_jim_id: int | None
    version: int = Field(description="Send this back when moving the phase (optimistic locking).")


class PhaseIn(Schema):
    """Move to another phase. Referral, closure and follow-up are reached by recording
    something (the start, the closure, a follow-up), never chosen here."""

    phase: Phase = Field(examples=["positioning"])
    version: int = VERSION_FIELD
    note: str = Field("", max_length=300, examples=["JIM and youth met the team on Monday"])


def _trajectory_out(t: Trajectory) -> dict[str, Any]:
    to_jim = t.time_to_mentor
    jim = t.active_jim
    return {
        "id": t.pk,
        "youth_id": t.youth_id,
        "programme_id": t.programme_id,
        "team_id": t.team_id,
        "professional_id": t.professional_id,
        "cohort": t.cohort,
        "phase": t.phase,
        "started_at": t.started_at,
        "phase_entered_at": t.phase_entered_at,
        "days_in_phase": t.time_in_current_phase(timezone.now()).days,
        "days_to_jim": to_jim.days if to_jim is not None else None,
        "closed_at": t.closed_at,
        "referred_on": t.referred_on,
        "referral_source": t.referral_source,
        "requested_placement": t.requested_placement,
        "active_jim_id": jim.pk if jim else None,
        "version": t.version,
    }


# --- youth -----------------------------------------------------------------------------------


@router.get("/youth", response=list[YouthOut], summary="Youth in the caller's scope")
@paginate(ListedYouthPagination, detail="api youth list")
def list_youth(request: HttpRequest) -> Any:
    # audited by its pagination: one row, each youth on the page answered listed in it
    user = caller(request)
    return policy.youth_queryset(user).order_by("display_name", "pk")


@router.get("/youth/{youth_id}", response=YouthOut, summary="One youth")
def get_youth(request: HttpRequest, youth_id: int) -> Youth:
    return youth_viewed(request, youth_id, "api")


# --- trajectories ----------------------------------------------------------------------------


@router.get(
    "/youth/{youth_id}/trajectories",
    response=list[TrajectoryOut],
    tags=["trajectories"],
    summary="A youth's trajectories, newest first",
)
def list_trajectories(request: HttpRequest, youth_id: int) -> list[dict[str, Any]]:
    user = caller(request)
    youth = youth_in_scope(user, youth_id, may=policy.can_view_trajectories)
    record(user, Action.LIST, request=request, youth=youth, obj=youth, detail="api trajectories")
    scope = cast(TrajectoryQuerySet, policy.staff_trajectory_queryset(user))
    trajectories = scope.filter(youth=youth).with_mentor_dates().order_by("-started_at", "-pk")
    return [_trajectory_out(t) for t in trajectories]


@router.get(
    "/trajectories/{trajectory_id}",
    response=TrajectoryOut,
    tags=["trajectories"],
    summary="One trajectory: phase, days in phase, days to JIM",
)
def get_trajectory(request: HttpRequest, trajectory_id: int) -> dict[str, Any]:
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id)
    record(user, Action.VIEW, request=request, youth=trajectory.youth, obj=trajectory, detail="api")
    return _trajectory_out(trajectory)


@router.post(
    "/trajectories/{trajectory_id}/phase",
    response={200: TrajectoryOut, **REFUSALS},
    tags=["trajectories"],
    summary="Move the trajectory to another phase (the rules of the phase page apply)",
    description="Forward moves may skip phases the programme uses; going back is only to "
    "network exploration or candidates (a new search). Consent needs an accepted JIM, "
    "positioning a JIM with complete consent, collaboration that or a recorded 'no JIM found'. "
    "A refused move answers 422 with the reason on `phase`; a stale `version` 409 `stale`.",
)
def move_phase(request: HttpRequest, trajectory_id: int, payload: PhaseIn) -> Any:
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id, edit=True)
    return audited_write(
        request,
        Action.UPDATE,
        lambda: trajectory.choose_phase(payload.phase, by=user, note=payload.note),
        version=(trajectory, payload.version),
        youth=trajectory.youth,
        obj=trajectory,
        detail=f"api phase: {payload.phase.value}",
        answer=lambda _moved: _trajectory_out(trajectory),
    )
