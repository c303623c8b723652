"""REST endpoints for placement episodes and the youth's living-situation history.

Same conventions as every router (:mod:`yim.api.convention`): reads through the caller's scope (404
outside it), writes need the youth's own team, a refused write answers 422 with the model's
messages per field, an edit from a stale ``version`` 409 ``stale``. Every call is audited.

Finalising an out-of-home decision creates no episode: ``POST
/placement-decisions/{id}/outcome`` records whether it was carried out and when it began.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from yim import policy
from yim.api.convention import (
    REFUSALS,
    VERSION_FIELD,
    Invalid,
    audited_edit,
    audited_write,
    caller,
    created_in_trajectory,
    states_rules,
    trajectory_listed,
    trajectory_record_in_scope,
    youth_in_scope,
    youth_viewed,
)
from yim.audit.models import Action
from yim.trajectories.api.corrections import apply_changes
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


@states_rules(PlacementEpisode)
class OutcomeIn(Schema):
    """Whether a finalised out-of-home decision was carried out; if so, since when."""

    carried_out: bool
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    placement_type: str = Field("", description="Empty: the placement that was decided.")
    note: str = ""


@states_rules(PlacementEpisode)
class EpisodeIn(Schema):
    """A placement that began without a decision in yim, recorded afterwards."""

    placement_type: str = Field(examples=["foster_care"])
    started_on: dt.date
    ended_on: dt.date | None = None
    note: str = Field(examples=["Placed by the crisis service; known from the GP's letter."])


@states_rules(PlacementEpisode)
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


@states_rules(LivingSituationRecord)
class LivingIn(Schema):
    situation: str = Field(examples=["one_parent"])
    since: dt.date
    note: str = ""
    version: int = Field(..., ge=1, description="The youth's `version` as you read it.")


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
def list_episodes(request: HttpRequest, trajectory_id: int) -> list[PlacementEpisode]:
    trajectory = trajectory_listed(request, trajectory_id, "api placement episodes")
    return list(trajectory.placement_episodes.all())


@router.post(
    "/trajectories/{trajectory_id}/placement-episodes",
    response={201: EpisodeOut, 422: Invalid},
    summary="Record afterwards a placement that began without a decision in yim",
)
def add_episode(request: HttpRequest, trajectory_id: int, payload: EpisodeIn) -> Any:
    return created_in_trajectory(
        request,
        trajectory_id,
        lambda user, trajectory: PlacementEpisode.record_afterwards(
            trajectory, by=user, **payload.dict()
        ),
        detail="api placement episode recorded afterwards",
    )


@router.post(
    "/placement-decisions/{decision_id}/outcome",
    response={201: EpisodeOut, 422: Invalid},
    summary="Record whether a finalised out-of-home decision was carried out, and when",
)
def record_outcome(request: HttpRequest, decision_id: int, payload: OutcomeIn) -> Any:
    user = caller(request)
    decision = trajectory_record_in_scope(user, PlacementDecision.objects.all(), decision_id)
    return audited_write(
        request,
        Action.CREATE,
        lambda: PlacementEpisode.record_for_decision(decision, by=user, **payload.dict()),
        youth=decision.trajectory.youth,
        detail="api placement decision: carried out or not",
    )


@router.patch(
    "/placement-episodes/{episode_id}",
    response={200: EpisodeOut, **REFUSALS},
    summary="Correct a placement episode or record the day it ended",
)
def change_episode(request: HttpRequest, episode_id: int, payload: EpisodeChange) -> Any:
    episode = trajectory_record_in_scope(
        caller(request), PlacementEpisode.objects.all(), episode_id
    )
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")

    def change() -> PlacementEpisode:
        apply_changes(episode, changes)
        episode.save()
        return episode

    return audited_edit(
        request, episode, change, version=version, detail="api placement episode changed"
    )


@router.get(
    "/youth/{youth_id}/living-situations",
    response=LivingHistoryOut,
    tags=["youth"],
    summary="The youth's living situations with the day each began, and the current one",
)
def living_history(request: HttpRequest, youth_id: int) -> dict[str, Any]:
    return _living(youth_viewed(request, youth_id, "api living situations"))


@router.post(
    "/youth/{youth_id}/living-situations",
    response={201: LivingHistoryOut, **REFUSALS},
    tags=["youth"],
    summary="Record a new living situation from a day on; the current one follows",
)
def add_living_situation(request: HttpRequest, youth_id: int, payload: LivingIn) -> Any:
    user = caller(request)
    youth = youth_in_scope(user, youth_id, may=policy.can_edit_trajectory)

    def living(_entry: LivingSituationRecord) -> dict[str, Any]:
        youth.refresh_from_db()
        return _living(youth)

    return audited_write(
        request,
        Action.CREATE,
        lambda: LivingSituationRecord.record(
            youth,
            situation=payload.situation,
            since=payload.since,
            note=payload.note,
            by=user,
            expected_version=payload.version,
        ),
        version=(youth, payload.version),
        youth=youth,
        detail="api living situation",
        answer=living,
    )
