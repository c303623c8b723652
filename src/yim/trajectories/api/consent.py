"""REST endpoints for consent to a JIM: the records, and where consent stands per JIM.

Who consents follows the youth's age on the day in Europe/Amsterdam (under 12 the parents,
12–15 the youth and the parents, 16 and older the youth alone). The rule is the model's
(:class:`~yim.trajectories.models.ConsentRecord`): a party the rule does not ask for is
refused with 422 and the model's message on ``party``. A record is a fact and is never
edited; a newer record supersedes an older one of the same party.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from yim.api.convention import (
    Invalid,
    audited_write,
    caller,
    field_error,
    trajectory_in_scope,
    trajectory_listed,
)
from yim.audit.models import Action
from yim.trajectories import rules
from yim.trajectories.models import (
    Candidate,
    ConsentDecision,
    ConsentParty,
    ConsentRecord,
    NotAskedReason,
    Response,
)

router = Router(tags=["consent"])


class ConsentIn(Schema):
    candidate_id: int | None = Field(
        None,
        description="The JIM (an accepted candidate) the consent is for; default: the active JIM.",
        examples=[17],
    )
    party: ConsentParty = Field(examples=["youth"])
    decision: ConsentDecision = Field(examples=["reluctant_yes"])
    holder_id: int | None = Field(
        None,
        description="For a parent: the person on the network map with parental authority who "
        "decided. Required when the file records holders of authority; then consent is complete "
        "only when every holder consented or is recorded as not asked.",
        examples=[None],
    )
    parent_name: str = Field(
        "", description="Needed when a parent decides and no holder is recorded.", examples=[""]
    )
    not_asked_reason: NotAskedReason | None = Field(
        None, description="With decision `not_asked`: why this holder is not asked."
    )
    given_at: dt.datetime | None = Field(
        None,
        description="When the consent was given, with a time zone; default now. The age "
        "rule is judged on this day in Europe/Amsterdam.",
        examples=["2025-03-12T16:30:00+01:00"],
    )
    note: str = ""


class ConsentOut(Schema):
    id: int
    candidate_id: int
    person_name: str
    party: str
    holder_id: int | None
    parent_name: str
    decision: str
    not_asked_reason: str
    given_at: dt.datetime
    note: str


class HolderOut(Schema):
    person_id: int
    name: str
    decision: str | None = Field(description="The holder's latest decision; null: still open.")


class ConsentStatusOut(Schema):
    candidate_id: int
    person_name: str
    is_active_jim: bool
    required_parties: list[str] = Field(
        description="Who had to consent on the day of the latest record (empty: none yet)."
    )
    missing: list[str]
    holders: list[HolderOut] = Field(
        description="Each holder of parental authority on the file and where they stand."
    )
    complete: bool
    refused: bool
    reluctant: bool


class ConsentsOut(Schema):
    records: list[ConsentOut]
    jims: list[ConsentStatusOut]
    required_today: list[str] = Field(
        description="Who consents if consent is recorded today (the youth's age today).",
        examples=[["youth", "parent"]],
    )


def _consent_out(c: ConsentRecord, person_name: str) -> dict[str, Any]:
    return {
        "id": c.pk,
        "candidate_id": c.candidate_id,
        "person_name": person_name,
        "party": c.party,
        "holder_id": c.holder_id,
        "parent_name": c.parent_name,
        "decision": c.decision,
        "not_asked_reason": c.not_asked_reason,
        "given_at": c.given_at,
        "note": c.note,
    }


def _status_out(jim: Candidate) -> dict[str, Any]:
    status = jim.consent_status()
    return {
        "candidate_id": jim.pk,
        "person_name": jim.person.display_name,
        "is_active_jim": jim.is_active_jim,
        "required_parties": list(status.required.parties) if status.required else [],
        "missing": list(status.missing),
        "holders": [
            {"person_id": h.person_id, "name": h.name, "decision": h.decision}
            for h in status.holders
        ],
        "complete": status.complete,
        "refused": status.refused,
        "reluctant": status.reluctant,
    }


@router.get(
    "/trajectories/{trajectory_id}/consents",
    response=ConsentsOut,
    summary="Consent records, and per JIM whether consent is complete, refused or reluctant",
)
def list_consents(request: HttpRequest, trajectory_id: int) -> dict[str, Any]:
    trajectory = trajectory_listed(request, trajectory_id, "api consents")
    jims = list(
        Candidate.objects.filter(trajectory=trajectory, response=Response.ACCEPTED)
        .select_related("person", "trajectory__youth")
        .order_by("response_on", "pk")
    )
    names = {j.pk: j.person.display_name for j in jims}
    records = ConsentRecord.objects.filter(trajectory=trajectory).order_by("given_at", "pk")
    return {
        "records": [_consent_out(c, names.get(c.candidate_id, "")) for c in records],
        "jims": [_status_out(j) for j in jims],
        "required_today": list(
            rules.required_consent(trajectory.youth.date_of_birth, timezone.now()).parties
        ),
    }


@router.post(
    "/trajectories/{trajectory_id}/consents",
    response={201: ConsentOut, 422: Invalid},
    summary="Record one party's consent (yes, reluctant yes) or refusal for a JIM",
    description="The age rule is the model's: a party it does not ask for on that day "
    "answers 422 with the reason on `party`.",
)
def add_consent(request: HttpRequest, trajectory_id: int, payload: ConsentIn) -> Any:
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id, edit=True)
    candidates = Candidate.objects.filter(trajectory=trajectory).select_related("person")
    if payload.candidate_id is None:
        candidate = candidates.filter(response=Response.ACCEPTED, jim_ended_on__isnull=True).first()
        if candidate is None:
            return field_error(
                "candidate_id", _("This youth has no active JIM: say which JIM this is for.")
            )
    else:
        candidate = candidates.filter(pk=payload.candidate_id).first()
        if candidate is None:
            return field_error("candidate_id", _("This candidate is not in this trajectory."))
    fields = payload.dict(exclude={"candidate_id"})
    if fields["given_at"] is None:
        del fields["given_at"]
    fields["not_asked_reason"] = fields["not_asked_reason"] or ""
    return audited_write(
        request,
        Action.CREATE,
        lambda: candidate.record_consent(recorded_by=user, **fields),
        youth=trajectory.youth,
        detail="api consent",
        answer=lambda consent: _consent_out(consent, candidate.person.display_name),
    )
