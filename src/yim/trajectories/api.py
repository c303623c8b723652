"""REST endpoints for youth, trajectories and their phase, the network, meetings and placement
decisions — guarded by :mod:`yim.policy` exactly like the pages. Nomination
(:mod:`~yim.trajectories.api_nomination`) and consent (:mod:`~yim.trajectories.api_consent`)
are routers of their own, mounted on this one.

Reads go through the caller's scope (404 outside it); writes need the youth's own team
(``policy.can_edit_trajectory``) and are judged by the models: a refused write answers 422
with the model's translated messages per field, an edit from a stale ``version`` 409
``stale`` (see :mod:`~yim.trajectories.api_base`). Every call on youth data is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from yim import policy
from yim.api_pagination import Pagination
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
from yim.trajectories.api_comparison import router as comparison_router
from yim.trajectories.api_consent import router as consent_router
from yim.trajectories.api_episodes import router as episodes_router
from yim.trajectories.api_nomination import router as nomination_router
from yim.trajectories.models import (
    Meeting,
    NetworkPerson,
    NetworkTie,
    Phase,
    PlacementDecision,
    Trajectory,
    Youth,
)
from yim.trajectories.models.trajectory import TrajectoryQuerySet

router = Router(tags=["youth"])
router.add_router("", nomination_router)
router.add_router("", consent_router)
router.add_router("", episodes_router)
router.add_router("", comparison_router)


# --- schemas -------------------------------------------------------------------------------


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


class PersonOut(Schema):
    id: int
    display_name: str
    relation: str
    is_parental: bool
    age_band: str
    lives_with_youth: bool
    contact_frequency: str
    trust: int | None
    conflict: int | None
    support_types: list[str]
    version: int


class TieOut(Schema):
    person_a_id: int
    person_b_id: int
    conflict: bool


class NetworkOut(Schema):
    people: list[PersonOut]
    ties: list[TieOut]


class PersonIn(Schema):
    display_name: str
    relation: str
    age_band: str
    has_parental_authority: bool = False
    lives_with_youth: bool = False
    contact_frequency: str = "monthly"
    trust: int | None = None
    conflict: int | None = None
    support_types: list[str] = []
    note: str = ""


class MeetingOut(Schema):
    id: int
    kind: str
    held_on: dt.date
    youth_view: str
    jim_input: str
    decisions: str
    version: int


class MeetingIn(Schema):
    kind: str
    held_on: dt.date
    youth_view: str = ""
    jim_input: str = ""
    decisions: str = ""
    notes: str = ""


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


class NoJimReasonIn(Schema):
    no_jim_reason: str = Field(
        min_length=10,
        max_length=2000,
        examples=["No JIM yet: the nomination round is still open."],
    )


# --- helpers ---------------------------------------------------------------------------------


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


def _person_out(p: NetworkPerson) -> dict[str, Any]:
    return {
        **{f: getattr(p, f) for f in PersonOut.model_fields if f != "is_parental"},
        "is_parental": p.is_parental,
    }


# --- youth -----------------------------------------------------------------------------------


@router.get("/youth", response=list[YouthOut], summary="Youth in the caller's scope")
@paginate(Pagination)
def list_youth(request: HttpRequest) -> Any:
    user = caller(request)
    record(user, Action.LIST, request=request, detail="api youth list")
    return policy.youth_queryset(user).order_by("display_name", "pk")


@router.get("/youth/{youth_id}", response=YouthOut, summary="One youth")
def get_youth(request: HttpRequest, youth_id: int) -> Youth:
    user = caller(request)
    youth = policy.get_youth_or_404(user, youth_id)
    record(user, Action.VIEW, request=request, youth=youth, obj=youth, detail="api")
    return youth


# --- trajectories ----------------------------------------------------------------------------


@router.get(
    "/youth/{youth_id}/trajectories",
    response=list[TrajectoryOut],
    tags=["trajectories"],
    summary="A youth's trajectories, newest first",
)
def list_trajectories(request: HttpRequest, youth_id: int) -> list[dict[str, Any]]:
    user = caller(request)
    youth = policy.get_youth_or_404(user, youth_id)
    if not policy.can_view_trajectories(user, youth):
        raise Http404
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
    try:
        with transaction.atomic():
            expect_version(trajectory, payload.version)
            trajectory.choose_phase(payload.phase, by=user, note=payload.note)
    except ValidationError as exc:
        return refused(exc)
    record(user, Action.UPDATE, request=request, youth=trajectory.youth, obj=trajectory,
           detail=f"api phase: {payload.phase.value}")  # fmt: skip
    return Status(200, _trajectory_out(trajectory))


# --- network ---------------------------------------------------------------------------------


@router.get(
    "/youth/{youth_id}/network",
    response=NetworkOut,
    tags=["network"],
    summary="The youth's network: people and ties",
)
def get_network(request: HttpRequest, youth_id: int) -> dict[str, Any]:
    user = caller(request)
    youth = policy.get_youth_or_404(user, youth_id)
    if not policy.can_view_trajectories(user, youth):
        raise Http404
    record(user, Action.VIEW, request=request, youth=youth, obj=youth, detail="api network")
    return {
        "people": [_person_out(p) for p in NetworkPerson.objects.filter(youth=youth)],
        "ties": list(
            NetworkTie.objects.filter(youth=youth).values("person_a_id", "person_b_id", "conflict")
        ),
    }


@router.post(
    "/youth/{youth_id}/network",
    response={201: PersonOut, 422: Invalid},
    tags=["network"],
    summary="Add a person to the youth's network",
)
def add_person(request: HttpRequest, youth_id: int, payload: PersonIn) -> Any:
    user = caller(request)
    youth = policy.get_youth_or_404(user, youth_id)
    if not policy.can_edit_trajectory(user, youth):
        raise Http404
    try:
        with transaction.atomic():
            person = NetworkPerson.objects.create(youth=youth, **payload.dict())
    except ValidationError as exc:
        return refused(exc)
    record(user, Action.CREATE, request=request, youth=youth, obj=person, detail="api network")
    return Status(201, _person_out(person))


# --- meetings --------------------------------------------------------------------------------


@router.get(
    "/trajectories/{trajectory_id}/meetings",
    response=list[MeetingOut],
    tags=["meetings"],
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
    tags=["meetings"],
    summary="Record a meeting (the youth's view and the JIM's input apart from the decisions)",
)
def add_meeting(request: HttpRequest, trajectory_id: int, payload: MeetingIn) -> Any:
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id, edit=True)
    try:
        with transaction.atomic():
            meeting = Meeting.objects.create(
                trajectory=trajectory, recorded_by=user, **payload.dict()
            )
    except ValidationError as exc:
        return refused(exc)
    record(user, Action.CREATE, request=request, youth=trajectory.youth, obj=meeting,
           detail="api meeting")  # fmt: skip
    return Status(201, meeting)


# --- placement decisions ------------------------------------------------------------------------


@router.get(
    "/trajectories/{trajectory_id}/placement-decisions",
    response=list[DecisionOut],
    tags=["placement decisions"],
    summary="Placement decisions with the state of their JIM consultation",
)
def list_decisions(request: HttpRequest, trajectory_id: int) -> list[dict[str, Any]]:
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id)
    record(user, Action.LIST, request=request, youth=trajectory.youth, obj=trajectory,
           detail="api placement decisions")  # fmt: skip
    decisions = PlacementDecision.objects.filter(trajectory=trajectory).prefetch_related(
        "consultations"
    )
    return [_decision_out(d) for d in decisions]


def _decision_out(d: PlacementDecision) -> dict[str, Any]:
    return {
        "id": d.pk,
        "placement_type": d.placement_type,
        "decided_on": d.decided_on,
        "status": d.status,
        "is_emergency": d.is_emergency,
        "youth_view": d.youth_view,
        "rationale": d.rationale,
        "consultation_due": d.consultation_due,
        "consultation_pending": d.consultation_pending,
        "consulted": bool(d.consultations.all()),
        "confirmed_at": d.confirmed_at,
    }


def _decision(user: Any, decision_id: int) -> PlacementDecision:
    """A decision through the caller's trajectory scope, editable by the caller (else 404)."""
    decision = (
        PlacementDecision.objects.select_related("trajectory__youth")
        .filter(pk=decision_id, trajectory__in=policy.staff_trajectory_queryset(user))
        .first()
    )
    if decision is None or not policy.can_edit_trajectory(user, decision.trajectory.youth):
        raise Http404
    return decision


@router.post(
    "/trajectories/{trajectory_id}/placement-decisions",
    response={201: DecisionOut, 422: Invalid},
    tags=["placement decisions"],
    summary="Propose a placement decision (a draft until it is finalised through the gate)",
)
def add_decision(request: HttpRequest, trajectory_id: int, payload: DecisionIn) -> Any:
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id, edit=True)
    try:
        with transaction.atomic():
            decision = PlacementDecision.objects.create(
                trajectory=trajectory, decided_by=user, **payload.dict()
            )
    except ValidationError as exc:
        return refused(exc)
    record(user, Action.CREATE, request=request, youth=trajectory.youth, obj=decision,
           detail="api placement decision (draft)")  # fmt: skip
    return Status(201, _decision_out(decision))


@router.post(
    "/placement-decisions/{decision_id}/consultations",
    response={201: DecisionOut, 422: Invalid},
    tags=["placement decisions"],
    summary="Record the JIM consultation: date, the JIM's advice and how it was weighed",
)
def add_consultation(request: HttpRequest, decision_id: int, payload: ConsultationIn) -> Any:
    user = caller(request)
    decision = _decision(user, decision_id)
    try:
        with transaction.atomic():
            consultation = decision.record_consultation(recorded_by=user, **payload.dict())
    except ValidationError as exc:
        return refused(exc)
    record(user, Action.CREATE, request=request, youth=decision.trajectory.youth,
           obj=consultation, detail="api JIM consultation")  # fmt: skip
    decision.refresh_from_db()
    return Status(201, _decision_out(decision))


@router.post(
    "/placement-decisions/{decision_id}/no-jim-reason",
    response={200: DecisionOut, 422: Invalid},
    tags=["placement decisions"],
    summary="After an emergency placement without a JIM: why no JIM could be consulted",
)
def add_no_jim_reason(request: HttpRequest, decision_id: int, payload: NoJimReasonIn) -> Any:
    user = caller(request)
    decision = _decision(user, decision_id)
    try:
        with transaction.atomic():
            decision.record_no_jim_reason(payload.no_jim_reason)
    except ValidationError as exc:
        return refused(exc)
    record(user, Action.UPDATE, request=request, youth=decision.trajectory.youth, obj=decision,
           detail="api placement decision: no-JIM reason")  # fmt: skip
    return Status(200, _decision_out(decision))


@router.post(
    "/placement-decisions/{decision_id}/finalise",
    response={200: DecisionOut, 422: Invalid},
    tags=["placement decisions"],
    summary="Finalise a decision: refused (422) unless the JIM was consulted or no JIM exists",
)
def finalise_decision(request: HttpRequest, decision_id: int) -> Any:
    user = caller(request)
    decision = _decision(user, decision_id)
    try:
        with transaction.atomic():
            decision.finalise(by=user)
    except ValidationError as exc:
        return refused(exc)
    record(user, Action.UPDATE, request=request, youth=decision.trajectory.youth, obj=decision,
           detail="api placement decision finalised")  # fmt: skip
    return Status(200, _decision_out(decision))
