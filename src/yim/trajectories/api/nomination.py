"""REST endpoints for nomination: rounds, candidates, their responses, the under-18
confirmation, a JIM stopping, and the 'no JIM found' outcome.

Every rule of the JIM approach is the models' (:mod:`yim.trajectories.models.nomination`):
a parent can never be the JIM, one active JIM at a time, a JIM under 18 needs a recorded
confirmation. A refused write answers 422 with the model's messages per field; the things
to weigh that do not refuse a candidate (same household, under 18) come back as
``warnings``. Candidate edits carry the ``version`` the client read (409 ``stale`` if older).
A recorded answer is corrected with a reason, its earlier version kept
(``Candidate.correct_response``, as on the candidate's page; ``GET …/revisions`` lists them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from yim.api.convention import (
    REFUSALS,
    VERSION_FIELD,
    Invalid,
    audited_edit,
    audited_write,
    caller,
    created_in_trajectory,
    field_error,
    states_rules,
    trajectory_in_scope,
    trajectory_listed,
    trajectory_record_in_scope,
)
from yim.api.pagination import Pagination
from yim.audit.models import Action
from yim.trajectories.api.corrections import REASON_FIELD, RevisionOut, correct, revisions
from yim.trajectories.models import (
    Candidate,
    JimEndReason,
    NetworkPerson,
    NoJimOutcome,
    NoJimReason,
    NominationRound,
    Response,
)
from yim.trajectories.models.base import today

router = Router(tags=["nominations"])


# --- schemas -------------------------------------------------------------------------------


class CandidateOut(Schema):
    id: int
    round_id: int
    person_id: int
    person_name: str
    named_on: dt.date
    asked_on: dt.date | None
    response: str
    response_on: dt.date | None
    decline_reason: str
    minor_confirmed_on: dt.date | None
    minor_confirmation: str
    jim_ended_on: dt.date | None
    jim_end_reason: str
    is_active_jim: bool
    warnings: list[str] = Field(
        description="Things to weigh that do not refuse the candidate (same household, under 18).",
        examples=[["This person lives in the same household as the youth. …"]],
    )
    version: int


class RoundOut(Schema):
    id: int
    number: int
    started_on: dt.date
    closed_on: dt.date | None
    outcome: str
    version: int
    candidates: list[CandidateOut]


class RoundIn(Schema):
    started_on: dt.date | None = Field(
        None, description="Default: today (Europe/Amsterdam).", examples=["2025-03-03"]
    )


class CandidateIn(Schema):
    person_id: int = Field(description="A person from the youth's network.", examples=[41])
    named_on: dt.date | None = Field(
        None, description="When the youth named them; default today.", examples=["2025-03-04"]
    )
    asked_on: dt.date | None = Field(
        None, description="When the youth asked them personally, if already.", examples=[None]
    )


@states_rules(Candidate)
class ResponseIn(Schema):
    """The candidate's answer. An acceptance closes the open round (JIM found)."""

    version: int = VERSION_FIELD
    response: Response = Field(examples=["accepted"])
    response_on: dt.date = Field(examples=["2025-03-10"])
    asked_on: dt.date | None = Field(
        None,
        description="When the youth asked; needed unless recorded when the candidate was named.",
        examples=["2025-03-06"],
    )
    decline_reason: str = Field("", description="Needed when the candidate declined.")
    minor_confirmed_on: dt.date | None = Field(
        None,
        description="For a candidate under 18: the day the confirmation was recorded "
        "(with `minor_confirmation`, in the same call as the acceptance).",
    )
    minor_confirmation: str = Field(
        "", description="For a candidate under 18: why a JIM under 18 is suitable here."
    )


@states_rules(Candidate)
class ResponseCorrectionIn(Schema):
    """A recorded answer corrected (a wrong date, a mistyped reason, declined or no answer).
    Whether the person became the JIM is no correction: an acceptance stays an acceptance."""

    version: int = VERSION_FIELD
    reason: str = REASON_FIELD
    response: Response = Field(examples=["declined"])
    response_on: dt.date = Field(examples=["2025-03-10"])
    asked_on: dt.date | None = Field(None, examples=["2025-03-06"])
    decline_reason: str = Field("", description="Kept only for a decline.")


class MinorConfirmationIn(Schema):
    version: int = VERSION_FIELD
    reason: str = Field(examples=["Older cousin (17), steady, the youth's own choice"])
    confirmed_on: dt.date | None = Field(None, description="Default: today.")


class StopIn(Schema):
    """The JIM stops; a new nomination round may then start."""

    version: int = VERSION_FIELD
    ended_on: dt.date = Field(examples=["2025-09-01"])
    reason: JimEndReason = Field(examples=["moved"])


@states_rules(NoJimOutcome)
class NoJimIn(Schema):
    recorded_on: dt.date | None = Field(None, description="Default: today.")
    reason: NoJimReason = Field(examples=["all_declined"])
    explanation: str = Field("", description="Needed when the reason is 'other'.")
    alternatives_tried: str = Field(
        examples=["Asked the football coach and a neighbour; both declined"]
    )


class NoJimOut(Schema):
    id: int
    recorded_on: dt.date
    reason: str
    explanation: str
    alternatives_tried: str


# --- helpers ---------------------------------------------------------------------------------


def _candidate_out(c: Candidate) -> dict[str, Any]:
    return {
        **{
            name: getattr(c, name)
            for name in CandidateOut.model_fields
            if name not in ("person_name", "warnings", "is_active_jim")
        },
        "person_name": c.person.display_name,
        "is_active_jim": c.is_active_jim,
        "warnings": [str(w) for w in c.warnings],
    }


def _round_out(r: NominationRound, candidates: list[Candidate]) -> dict[str, Any]:
    return {
        "id": r.pk,
        "number": r.number,
        "started_on": r.started_on,
        "closed_on": r.closed_on,
        "outcome": r.outcome,
        "version": r.version,
        "candidates": [_candidate_out(c) for c in candidates if c.round_id == r.pk],
    }


def _candidate(user: Any, candidate_id: int) -> Candidate:
    """A candidate through the caller's trajectory scope, editable by the caller (else 404)."""
    candidates = Candidate.objects.select_related("person", "round")
    return trajectory_record_in_scope(user, candidates, candidate_id)


def _change(
    request: HttpRequest, candidate: Candidate, version: int, change: Any, detail: str
) -> Any:
    """An audited edit of a candidate from the ``version`` the client read."""
    return audited_edit(
        request,
        candidate,
        change,
        version=version,
        detail=detail,
        answer=lambda _: _candidate_out(candidate),
    )


# --- rounds and candidates -------------------------------------------------------------------


@router.get(
    "/trajectories/{trajectory_id}/nominations",
    response=list[RoundOut],
    summary="Nomination rounds with their candidates, responses and warnings",
)
def list_nominations(request: HttpRequest, trajectory_id: int) -> list[dict[str, Any]]:
    trajectory = trajectory_listed(request, trajectory_id, "api nominations")
    candidates = list(
        Candidate.objects.filter(trajectory=trajectory).select_related("person").order_by("pk")
    )
    rounds = NominationRound.objects.filter(trajectory=trajectory).order_by("number")
    return [_round_out(r, candidates) for r in rounds]


@router.post(
    "/trajectories/{trajectory_id}/nominations",
    response={201: RoundOut, 422: Invalid},
    summary="Start a nomination round (refused while a round is open or a JIM is active)",
)
def start_round(request: HttpRequest, trajectory_id: int, payload: RoundIn) -> Any:
    return created_in_trajectory(
        request,
        trajectory_id,
        lambda user, trajectory: trajectory.start_round(on=payload.started_on, by=user),
        detail="api nomination round",
        answer=lambda round_: _round_out(round_, []),
    )


@router.post(
    "/trajectories/{trajectory_id}/candidates",
    response={201: CandidateOut, 422: Invalid},
    summary="Name a candidate from the youth's network in the open round",
    description="Like the web page, a round is started (on `named_on`) when none is open. "
    "A parent, step-parent or legal guardian is refused (422 on `person`); living in the "
    "youth's household or being under 18 is returned in `warnings`.",
)
def add_candidate(request: HttpRequest, trajectory_id: int, payload: CandidateIn) -> Any:
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id, edit=True)
    person = NetworkPerson.objects.filter(pk=payload.person_id, youth=trajectory.youth).first()
    if person is None:
        return field_error("person_id", _("This person is not in this youth's network."))
    named_on = payload.named_on or today()

    def name() -> Candidate:  # opens a round when none is open (the model's rule)
        return trajectory.name_candidate(
            person, named_on=named_on, by=user, asked_on=payload.asked_on
        )

    return audited_write(
        request,
        Action.CREATE,
        name,
        youth=trajectory.youth,
        detail="api candidate named",
        answer=_candidate_out,
    )


@router.post(
    "/candidates/{candidate_id}/response",
    response={200: CandidateOut, **REFUSALS},
    summary="Record a candidate's response: accepted, declined (with reason) or no answer",
    description="An acceptance is refused while another JIM is active, and for a candidate "
    "under 18 without a recorded confirmation (send `minor_confirmed_on` and "
    "`minor_confirmation` with it, or POST the confirmation first).",
)
def record_response(request: HttpRequest, candidate_id: int, payload: ResponseIn) -> Any:
    user = caller(request)
    candidate = _candidate(user, candidate_id)

    def respond() -> Candidate:
        if payload.minor_confirmation or payload.minor_confirmed_on:
            candidate.confirm_minor(
                by=user, reason=payload.minor_confirmation, on=payload.minor_confirmed_on
            )
        candidate.record_response(
            payload.response,
            payload.response_on,
            decline_reason=payload.decline_reason,
            asked_on=payload.asked_on,
        )
        return candidate

    return _change(request, candidate, payload.version, respond,
                   f"api candidate: response {payload.response.value}")  # fmt: skip


@router.put(
    "/candidates/{candidate_id}/response",
    response={200: CandidateOut, **REFUSALS},
    summary="Correct a recorded response with a reason; the earlier version is kept",
)
def correct_response(request: HttpRequest, candidate_id: int, payload: ResponseCorrectionIn) -> Any:
    user = caller(request)
    candidate = _candidate(user, candidate_id)

    def change() -> Candidate:
        candidate.correct_response(
            payload.version,
            response=payload.response,
            on=payload.response_on,
            asked_on=payload.asked_on,
            decline_reason=payload.decline_reason,
            by=user,
            reason=payload.reason,
        )
        return candidate

    return correct(
        request,
        candidate,
        version=payload.version,
        reason=payload.reason,
        change=change,
        detail="api candidate: response corrected",
        answer=_candidate_out,
    )


@router.get(
    "/candidates/{candidate_id}/revisions",
    response=list[RevisionOut],
    summary="The earlier versions of a candidate's answer, newest first (one per correction)",
)
@paginate(Pagination)
def candidate_revisions(request: HttpRequest, candidate_id: int) -> Any:
    return revisions(request, Candidate.objects.all(), candidate_id, "api candidate revisions")


@router.post(
    "/candidates/{candidate_id}/minor-confirmation",
    response={200: CandidateOut, **REFUSALS},
    summary="Record the confirmation a JIM under 18 needs (date and why suitable)",
)
def confirm_minor(request: HttpRequest, candidate_id: int, payload: MinorConfirmationIn) -> Any:
    user = caller(request)
    candidate = _candidate(user, candidate_id)
    return _change(
        request,
        candidate,
        payload.version,
        lambda: candidate.confirm_minor(by=user, reason=payload.reason, on=payload.confirmed_on),
        "api candidate: under-18 confirmation",
    )


@router.post(
    "/candidates/{candidate_id}/stop",
    response={200: CandidateOut, **REFUSALS},
    summary="Record that the active JIM stopped (date and reason); a new round may then start",
)
def stop_jim(request: HttpRequest, candidate_id: int, payload: StopIn) -> Any:
    candidate = _candidate(caller(request), candidate_id)
    return _change(
        request,
        candidate,
        payload.version,
        lambda: candidate.end_jim(on=payload.ended_on, reason=payload.reason),
        "api candidate: JIM stopped",
    )


# --- no JIM found ------------------------------------------------------------------------------


@router.get(
    "/trajectories/{trajectory_id}/no-jim",
    response=list[NoJimOut],
    summary="'No JIM found' outcomes recorded for the trajectory",
)
def list_no_jim(request: HttpRequest, trajectory_id: int) -> Any:
    trajectory = trajectory_listed(request, trajectory_id, "api no JIM found")
    return list(NoJimOutcome.objects.filter(trajectory=trajectory).order_by("recorded_on", "pk"))


@router.post(
    "/trajectories/{trajectory_id}/no-jim",
    response={201: NoJimOut, 422: Invalid},
    summary="Record 'no JIM found' (reason, alternatives tried); closes the open round",
    description="A legitimate outcome that never blocks care: afterwards the trajectory may "
    "move to collaboration without a JIM. Refused while a JIM is active.",
)
def record_no_jim(request: HttpRequest, trajectory_id: int, payload: NoJimIn) -> Any:
    fields = payload.dict()
    if fields["recorded_on"] is None:
        del fields["recorded_on"]
    return created_in_trajectory(
        request,
        trajectory_id,
        lambda _user, trajectory: trajectory.record_no_jim(**fields),
        detail="api no JIM found",
    )
