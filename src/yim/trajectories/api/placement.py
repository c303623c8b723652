"""REST endpoints for placement decisions: the draft, the JIM consultation and the gate that
finalises a decision only when the JIM was consulted (or no JIM exists)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from yim.api.convention import (
    Invalid,
    audited_write,
    caller,
    created_in_trajectory,
    states_rules,
    trajectory_listed,
    trajectory_record_in_scope,
)
from yim.audit.models import Action
from yim.trajectories.models import PlacementDecision

router = Router(tags=["placement decisions"])


class DecisionOut(Schema):
    id: int
    placement_type: str
    decided_on: dt.date
    status: str
    is_emergency: bool
    youth_view: str
    rationale: str
    consultation_due: dt.date | None
    consultation_pending: bool
    consulted: bool
    confirmed_at: dt.datetime | None

    @staticmethod
    def resolve_consulted(decision: PlacementDecision) -> bool:
        return bool(decision.consultations.all())


@states_rules(PlacementDecision)
class DecisionIn(Schema):
    placement_type: str
    decided_on: dt.date
    rationale: str
    youth_view: str
    options_considered: str = ""
    is_emergency: bool = False
    no_jim_reason: str = ""


class ConsultationIn(Schema):
    consulted_on: dt.date
    advice: str
    weighing: str


@states_rules(PlacementDecision)
class NoJimReasonIn(Schema):
    no_jim_reason: str = Field(
        min_length=10,
        max_length=2000,
        examples=["No JIM yet: the nomination round is still open."],
    )


def _decision(user: Any, decision_id: int) -> PlacementDecision:
    """A decision through the caller's trajectory scope, editable by the caller (else 404)."""
    return trajectory_record_in_scope(user, PlacementDecision.objects.all(), decision_id)


@router.get(
    "/trajectories/{trajectory_id}/placement-decisions",
    response=list[DecisionOut],
    summary="Placement decisions with the state of their JIM consultation",
)
def list_decisions(request: HttpRequest, trajectory_id: int) -> list[PlacementDecision]:
    trajectory = trajectory_listed(request, trajectory_id, "api placement decisions")
    decisions = PlacementDecision.objects.filter(trajectory=trajectory)
    return list(decisions.prefetch_related("consultations"))


@router.post(
    "/trajectories/{trajectory_id}/placement-decisions",
    response={201: DecisionOut, 422: Invalid},
    summary="Propose a placement decision (a draft until it is finalised through the gate)",
)
def add_decision(request: HttpRequest, trajectory_id: int, payload: DecisionIn) -> Any:
    return created_in_trajectory(
        request,
        trajectory_id,
        lambda user, trajectory: PlacementDecision.objects.create(
            trajectory=trajectory, decided_by=user, **payload.dict()
        ),
        detail="api placement decision (draft)",
    )


@router.post(
    "/placement-decisions/{decision_id}/consultations",
    response={201: DecisionOut, 422: Invalid},
    summary="Record the JIM consultation: date, the JIM's advice and how it was weighed",
)
def add_consultation(request: HttpRequest, decision_id: int, payload: ConsultationIn) -> Any:
    user = caller(request)
    decision = _decision(user, decision_id)

    def consulted(_consultation: Any) -> PlacementDecision:
        decision.refresh_from_db()
        return decision

    return audited_write(
        request,
        Action.CREATE,
        lambda: decision.record_consultation(recorded_by=user, **payload.dict()),
        youth=decision.trajectory.youth,
        detail="api JIM consultation",
        answer=consulted,
    )


@router.post(
    "/placement-decisions/{decision_id}/no-jim-reason",
    response={200: DecisionOut, 422: Invalid},
    summary="After an emergency placement without a JIM: why no JIM could be consulted",
)
def add_no_jim_reason(request: HttpRequest, decision_id: int, payload: NoJimReasonIn) -> Any:
    decision = _decision(caller(request), decision_id)
    return audited_write(
        request,
        Action.UPDATE,
        lambda: decision.record_no_jim_reason(payload.no_jim_reason),
        youth=decision.trajectory.youth,
        obj=decision,
        detail="api placement decision: no-JIM reason",
        answer=lambda _: decision,
    )


@router.post(
    "/placement-decisions/{decision_id}/finalise",
    response={200: DecisionOut, 422: Invalid},
    summary="Finalise a decision: refused (422) unless the JIM was consulted or no JIM exists",
)
def finalise_decision(request: HttpRequest, decision_id: int) -> Any:
    user = caller(request)
    decision = _decision(user, decision_id)
    return audited_write(
        request,
        Action.UPDATE,
        lambda: decision.finalise(by=user),
        youth=decision.trajectory.youth,
        obj=decision,
        detail="api placement decision finalised",
        answer=lambda _: decision,
    )
