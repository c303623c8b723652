"""REST endpoints for youth, trajectories, the network, nominations, meetings and placement
decisions — guarded by :mod:`yim.policy` exactly like the pages.

Reads go through the caller's scope (404 outside it); writes need the youth's own team
(``policy.can_edit_trajectory``) and are judged by the models: a refused write answers 422
with the model's translated messages per field. Every call on youth data is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.trajectories.models import (
    Candidate,
    Meeting,
    NetworkPerson,
    NetworkTie,
    NominationRound,
    PlacementDecision,
    Trajectory,
    Youth,
)
from yim.trajectories.models.trajectory import TrajectoryQuerySet

router = Router(tags=["youth"])


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


class CandidateOut(Schema):
    id: int
    person_id: int
    person_name: str
    named_on: dt.date
    asked_on: dt.date | None
    response: str
    response_on: dt.date | None
    decline_reason: str
    is_active_jim: bool


class RoundOut(Schema):
    id: int
    number: int
    started_on: dt.date
    closed_on: dt.date | None
    outcome: str
    candidates: list[CandidateOut]


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


class Invalid(Schema):
    detail: str
    code: str
    errors: dict[str, list[str]]


# --- helpers ---------------------------------------------------------------------------------


def _caller(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not policy.can_use_api(user):
        raise HttpError(403, _("API access is for staff accounts."))
    return user


def _trajectory(user: Any, trajectory_id: int) -> Trajectory:
    trajectory = (
        policy.staff_trajectory_queryset(user)
        .select_related("youth", "programme")
        .filter(pk=trajectory_id)
        .first()
    )
    if trajectory is None:
        raise Http404
    return trajectory


def _invalid(exc: ValidationError) -> Status[dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            errors.setdefault("__all__" if field == NON_FIELD_ERRORS else field, []).extend(
                messages
            )
    else:
        errors["__all__"] = list(exc.messages)
    return Status(
        422, {"detail": _("The request is not valid."), "code": "invalid", "errors": errors}
    )


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
    }


def _person_out(p: NetworkPerson) -> dict[str, Any]:
    return {
        **{f: getattr(p, f) for f in PersonOut.model_fields if f != "is_parental"},
        "is_parental": p.is_parental,
    }


# --- youth -----------------------------------------------------------------------------------


@router.get("/youth", response=list[YouthOut], summary="Youth in the caller's scope")
@paginate(LimitOffsetPagination)
def list_youth(request: HttpRequest) -> Any:
    user = _caller(request)
    record(user, Action.LIST, request=request, detail="api youth list")
    return policy.youth_queryset(user).order_by("display_name", "pk")


@router.get("/youth/{youth_id}", response=YouthOut, summary="One youth")
def get_youth(request: HttpRequest, youth_id: int) -> Youth:
    user = _caller(request)
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
    user = _caller(request)
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
    user = _caller(request)
    trajectory = _trajectory(user, trajectory_id)
    record(user, Action.VIEW, request=request, youth=trajectory.youth, obj=trajectory, detail="api")
    return _trajectory_out(trajectory)


# --- network ---------------------------------------------------------------------------------


@router.get(
    "/youth/{youth_id}/network",
    response=NetworkOut,
    tags=["network"],
    summary="The youth's network: people and ties",
)
def get_network(request: HttpRequest, youth_id: int) -> dict[str, Any]:
    user = _caller(request)
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
    user = _caller(request)
    youth = policy.get_youth_or_404(user, youth_id)
    if not policy.can_edit_trajectory(user, youth):
        raise Http404
    try:
        with transaction.atomic():
            person = NetworkPerson.objects.create(youth=youth, **payload.dict())
    except ValidationError as exc:
        return _invalid(exc)
    record(user, Action.CREATE, request=request, youth=youth, obj=person, detail="api network")
    return Status(201, _person_out(person))


# --- nominations -----------------------------------------------------------------------------


@router.get(
    "/trajectories/{trajectory_id}/nominations",
    response=list[RoundOut],
    tags=["nominations"],
    summary="Nomination rounds with their candidates and responses",
)
def list_nominations(request: HttpRequest, trajectory_id: int) -> list[dict[str, Any]]:
    user = _caller(request)
    trajectory = _trajectory(user, trajectory_id)
    record(user, Action.LIST, request=request, youth=trajectory.youth, obj=trajectory,
           detail="api nominations")  # fmt: skip
    candidates = list(
        Candidate.objects.filter(trajectory=trajectory).select_related("person").order_by("pk")
    )
    rounds = NominationRound.objects.filter(trajectory=trajectory).order_by("number")
    return [
        {
            "id": r.pk,
            "number": r.number,
            "started_on": r.started_on,
            "closed_on": r.closed_on,
            "outcome": r.outcome,
            "candidates": [
                {
                    "id": c.pk,
                    "person_id": c.person_id,
                    "person_name": c.person.display_name,
                    "named_on": c.named_on,
                    "asked_on": c.asked_on,
                    "response": c.response,
                    "response_on": c.response_on,
                    "decline_reason": c.decline_reason,
                    "is_active_jim": c.is_active_jim,
                }
                for c in candidates
                if c.round_id == r.pk
            ],
        }
        for r in rounds
    ]


# --- meetings --------------------------------------------------------------------------------


@router.get(
    "/trajectories/{trajectory_id}/meetings",
    response=list[MeetingOut],
    tags=["meetings"],
    summary="Meetings of a trajectory, newest first",
)
@paginate(LimitOffsetPagination)
def list_meetings(request: HttpRequest, trajectory_id: int) -> Any:
    user = _caller(request)
    trajectory = _trajectory(user, trajectory_id)
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
    user = _caller(request)
    trajectory = _trajectory(user, trajectory_id)
    if not policy.can_edit_trajectory(user, trajectory.youth):
        raise Http404
    try:
        with transaction.atomic():
            meeting = Meeting.objects.create(
                trajectory=trajectory, recorded_by=user, **payload.dict()
            )
    except ValidationError as exc:
        return _invalid(exc)
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
    user = _caller(request)
    trajectory = _trajectory(user, trajectory_id)
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
    user = _caller(request)
    trajectory = _trajectory(user, trajectory_id)
    if not policy.can_edit_trajectory(user, trajectory.youth):
        raise Http404
    try:
        with transaction.atomic():
            decision = PlacementDecision.objects.create(
                trajectory=trajectory, decided_by=user, **payload.dict()
            )
    except ValidationError as exc:
        return _invalid(exc)
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
    user = _caller(request)
    decision = _decision(user, decision_id)
    try:
        with transaction.atomic():
            consultation = decision.record_consultation(recorded_by=user, **payload.dict())
    except ValidationError as exc:
        return _invalid(exc)
    record(user, Action.CREATE, request=request, youth=decision.trajectory.youth,
           obj=consultation, detail="api JIM consultation")  # fmt: skip
    decision.refresh_from_db()
    return Status(201, _decision_out(decision))


@router.post(
    "/placement-decisions/{decision_id}/finalise",
    response={200: DecisionOut, 422: Invalid},
    tags=["placement decisions"],
    summary="Finalise a decision: refused (422) unless the JIM was consulted or no JIM exists",
)
def finalise_decision(request: HttpRequest, decision_id: int) -> Any:
    user = _caller(request)
    decision = _decision(user, decision_id)
    try:
        with transaction.atomic():
            decision.finalise(by=user)
    except ValidationError as exc:
        return _invalid(exc)
    record(user, Action.UPDATE, request=request, youth=decision.trajectory.youth, obj=decision,
           detail="api placement decision finalised")  # fmt: skip
    return Status(200, _decision_out(decision))
