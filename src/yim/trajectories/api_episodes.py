"""REST endpoints for placement episodes and the youth's living-situation history.

Same conventions as :mod:`yim.trajectories.api`: reads through the caller's scope (404
outside it), writes need the youth's own team, a refused write answers 422 with the model's
messages per field, an edit from a stale ``version`` 409 ``stale``. Every call is audited.

Finalising an out-of-home decision creates no episode: ``POST
/placement-decisions/{id}/outcome`` records whether it was carried out and when it began.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.trajectories.api_base import (
    REFUSALS,
    VERSION_FIELD,
    Invalid,
    caller,
    expect_version,
    refused,
    trajectory_in_scope,
)
from yim.trajectories.models import (
    LivingSituationRecord,
    PlacementDecision,
    PlacementEpisode,
    Youth,
)

router = Router(tags=["placement episodes"])


class EpisodeOut(Schema):
    id: int
    trajectory_id: int
    source: str
    decision_id: int | None
    carried_out: bool
    placement_type: str
    started_on: dt.date | None
    ended_on: dt.date | None
    note: str
    version: int = Field(description="Send this back when changing the episode.")


class OutcomeIn(Schema):
    """Whether a finalised out-of-home decision was carried out; if so, since when."""

    carried_out: bool
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    placement_type: str = Field("", description="Empty: the placement that was decided.")
    note: str = ""


class EpisodeIn(Schema):
    """A placement that began without a decision in yim, recorded afterwards."""

    placement_type: str = Field(examples=["foster_care"])
    started_on: dt.date
    ended_on: dt.date | None = None
    note: str = Field(examples=["Placed by the crisis service; known from the GP's letter."])


class EpisodeChange(Schema):
    """Correct an episode or record its end: the fields sent replace the stored ones."""

    version: int = VERSION_FIELD
    placement_type: str | None = None
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    note: str | None = None


class LivingOut(Schema):
    situation: str
    since: dt.date
    note: str


class LivingHistoryOut(Schema):
    current: str
    youth_version: int
    history: list[LivingOut]


class LivingIn(Schema):
    situation: str = Field(examples=["one_parent"])
    since: dt.date
    note: str = ""
    version: int = Field(..., ge=1, description="The youth's `version` as you read it.")


def _out(e: PlacementEpisode) -> dict[str, Any]:
    return {
        "id": e.pk,
        "trajectory_id": e.trajectory_id,
        "source": e.source,
        "decision_id": e.decision_id,
        "carried_out": e.carried_out,
        "placement_type": e.placement_type,
        "started_on": e.started_on,
        "ended_on": e.ended_on,
        "note": e.note,
        "version": e.version,
    }


def _living(youth: Youth) -> dict[str, Any]:
    history = youth.living_history.order_by("since", "pk")
    return {
        "current": youth.living_situation,
        "youth_version": youth.version,
        "history": [{"situation": h.situation, "since": h.since, "note": h.note} for h in history],
    }


@router.get(
    "/trajectories/{trajectory_id}/placement-episodes",
    response=list[EpisodeOut],
    summary="Placements that began (and decisions recorded as not carried out)",
)
def list_episodes(request: HttpRequest, trajectory_id: int) -> list[dict[str, Any]]:
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id)
    record(user, Action.LIST, request=request, youth=trajectory.youth, obj=trajectory,
           detail="api placement episodes")  # fmt: skip
    return [_out(e) for e in trajectory.placement_episodes.all()]


@router.post(
    "/trajectories/{trajectory_id}/placement-episodes",
    response={201: EpisodeOut, 422: Invalid},
    summary="Record afterwards a placement that began without a decision in yim",
)
def add_episode(request: HttpRequest, trajectory_id: int, payload: EpisodeIn) -> Any:
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id, edit=True)
    try:
        with transaction.atomic():
            episode = PlacementEpisode.record_afterwards(trajectory, by=user, **payload.dict())
    except ValidationError as exc:
        return refused(exc)
    record(user, Action.CREATE, request=request, youth=trajectory.youth, obj=episode,
           detail="api placement episode recorded afterwards")  # fmt: skip
    return Status(201, _out(episode))


@router.post(
    "/placement-decisions/{decision_id}/outcome",
    response={201: EpisodeOut, 422: Invalid},
    summary="Record whether a finalised out-of-home decision was carried out, and when",
)
def record_outcome(request: HttpRequest, decision_id: int, payload: OutcomeIn) -> Any:
    user = caller(request)
    decision = (
        PlacementDecision.objects.select_related("trajectory__youth")
        .filter(pk=decision_id, trajectory__in=policy.staff_trajectory_queryset(user))
        .first()
    )
    if decision is None or not policy.can_edit_trajectory(user, decision.trajectory.youth):
        raise Http404
    try:
        with transaction.atomic():
            episode = PlacementEpisode.record_for_decision(decision, by=user, **payload.dict())
    except ValidationError as exc:
        return refused(exc)
    record(user, Action.CREATE, request=request, youth=decision.trajectory.youth, obj=episode,
           detail="api placement decision: carried out or not")  # fmt: skip
    return Status(201, _out(episode))


@router.patch(
    "/placement-episodes/{episode_id}",
    response={200: EpisodeOut, **REFUSALS},
    summary="Correct a placement episode or record the day it ended",
)
def change_episode(request: HttpRequest, episode_id: int, payload: EpisodeChange) -> Any:
    user = caller(request)
    episode = (
        PlacementEpisode.objects.select_related("trajectory__youth")
        .filter(pk=episode_id, trajectory__in=policy.staff_trajectory_queryset(user))
        .first()
    )
    if episode is None or not policy.can_edit_trajectory(user, episode.trajectory.youth):
        raise Http404
    changes = payload.dict(exclude_unset=True)
    try:
        with transaction.atomic():
            expect_version(episode, changes.pop("version"))
            for name, value in changes.items():
                setattr(episode, name, "" if value is None and name != "ended_on" else value)
            episode.save()
    except ValidationError as exc:
        return refused(exc)
    record(user, Action.UPDATE, request=request, youth=episode.trajectory.youth, obj=episode,
           detail="api placement episode changed")  # fmt: skip
    return Status(200, _out(episode))


@router.get(
    "/youth/{youth_id}/living-situations",
    response=LivingHistoryOut,
    tags=["youth"],
    summary="The youth's living situations with the day each began, and the current one",
)
def living_history(request: HttpRequest, youth_id: int) -> dict[str, Any]:
    user = caller(request)
    youth = policy.get_youth_or_404(user, youth_id)
    record(user, Action.VIEW, request=request, youth=youth, obj=youth,
           detail="api living situations")  # fmt: skip
    return _living(youth)


@router.post(
    "/youth/{youth_id}/living-situations",
    response={201: LivingHistoryOut, **REFUSALS},
    tags=["youth"],
    summary="Record a new living situation from a day on; the current one follows",
)
def add_living_situation(request: HttpRequest, youth_id: int, payload: LivingIn) -> Any:
    user = caller(request)
    youth = policy.get_youth_or_404(user, youth_id)
    if not policy.can_edit_trajectory(user, youth):
        raise Http404
    try:
        with transaction.atomic():
            expect_version(youth, payload.version)
            entry = LivingSituationRecord.record(
                youth,
                situation=payload.situation,
                since=payload.since,
                note=payload.note,
                by=user,
                expected_version=payload.version,
            )
    except ValidationError as exc:
        return refused(exc)
    record(user, Action.CREATE, request=request, youth=youth, obj=entry,
           detail="api living situation")  # fmt: skip
    youth.refresh_from_db()
    return Status(201, _living(youth))
