"""REST API for instruments, assessments and feedback (staff tokens; guarded by yim.policy).

Youth, JIMs and parents use the portal pages, not this API: the API is for staff accounts
only (see ``yim.api``). Assessments and feedback of a youth are reached through the youth's
scope, so another team's youth answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.responses import Status

from yim import policy
from yim.api_pagination import Pagination
from yim.audit.log import record
from yim.audit.models import Action
from yim.monitoring import feedback, instruments
from yim.monitoring.models import AlreadySubmitted, Assessment, StaleAnswers, Wave, wave_slots
from yim.monitoring.scoring import Instrument
from yim.monitoring.views import latest_trajectory

router = Router(tags=["monitoring"])


def _caller(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not policy.can_use_api(user):
        raise HttpError(403, _("API access is for staff accounts."))
    return user


class TextOut(Schema):
    nl: str
    en: str


class ItemOut(Schema):
    code: str
    kind: str
    text: TextOut
    scale_min: int | None
    scale_max: int | None
    reverse: bool
    required: bool


class SubscaleOut(Schema):
    code: str
    label: TextOut
    items: list[str]
    rule: str
    min_answered: int


class InstrumentOut(Schema):
    code: str
    version: int
    title: TextOut
    respondents: list[str]
    use: str
    items: list[ItemOut]
    subscales: list[SubscaleOut]


def _instrument_out(i: Instrument) -> dict[str, Any]:
    return {
        "code": i.code,
        "version": i.version,
        "title": {"nl": i.title.nl, "en": i.title.en},
        "respondents": list(i.respondents),
        "use": i.use,
        "items": [
            {
                "code": item.code,
                "kind": item.kind,
                "text": {"nl": item.text.nl, "en": item.text.en},
                "scale_min": item.scale.minimum if item.scale else None,
                "scale_max": item.scale.maximum if item.scale else None,
                "reverse": item.reverse,
                "required": item.required,
            }
            for item in i.items
        ],
        "subscales": [
            {
                "code": s.code,
                "label": {"nl": s.label.nl, "en": s.label.en},
                "items": list(s.items),
                "rule": s.rule,
                "min_answered": s.min_answered,
            }
            for s in i.subscales
        ],
    }


@router.get("/instruments", response=list[InstrumentOut], summary="Instrument definitions")
def list_instruments(request: HttpRequest) -> list[dict[str, Any]]:
    _caller(request)
    return [_instrument_out(i) for i in instruments.registry().values()]


@router.get("/instruments/{code}", response=InstrumentOut, summary="One instrument")
def get_instrument(request: HttpRequest, code: str) -> dict[str, Any]:
    _caller(request)
    try:
        return _instrument_out(instruments.get(code))
    except KeyError:
        raise HttpError(404, _("Not found.")) from None


class AssessmentOut(Schema):
    id: int
    youth_id: int
    instrument: str
    instrument_version: int
    wave: str | None
    wave_on: dt.date | None
    meeting_id: int | None
    respondent_role: str
    status: str
    submitted_at: dt.datetime | None
    scores: dict[str, float | None]
    version: int


def _assessment_out(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "youth_id": a.youth_id,
        "instrument": a.instrument,
        "instrument_version": a.instrument_version,
        "wave": f"{a.wave.kind}:{a.wave.number}" if a.wave else None,
        "wave_on": a.wave.on if a.wave else None,
        "meeting_id": a.meeting_id,
        "respondent_role": a.respondent_role,
        "status": a.status,
        "submitted_at": a.submitted_at,
        "scores": a.scores or {},
        "version": a.version,
    }


class RevisionOut(Schema):
    at: dt.datetime
    by: str
    action: str
    changes: list[dict[str, Any]]


class AssessmentDetailOut(AssessmentOut):
    answers: dict[str, int | str | None]
    revisions: list[RevisionOut]


@router.get(
    "/youth/{youth_id}/assessments",
    response=list[AssessmentOut],
    summary="A youth's assessments and feedback",
)
@paginate(Pagination)
def list_assessments(request: HttpRequest, youth_id: int) -> list[dict[str, Any]]:
    user = _caller(request)
    youth = policy.get_youth_or_404(user, youth_id)
    record(user, Action.LIST, request=request, youth=youth, detail="api assessments")
    rows = (
        policy.assessment_queryset(user)
        .filter(youth=youth)
        .select_related("wave")
        .order_by("started_at", "pk")
    )
    return [_assessment_out(a) for a in rows]


def _assessment_or_404(user: Any, pk: int) -> Assessment:
    assessment = policy.assessment_queryset(user).select_related("wave", "youth").filter(pk=pk)
    found = assessment.first()
    if found is None:
        raise HttpError(404, _("Not found."))
    return found


@router.get("/assessments/{assessment_id}", response=AssessmentDetailOut, summary="One assessment")
def get_assessment(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    user = _caller(request)
    assessment = _assessment_or_404(user, assessment_id)
    record(user, Action.VIEW, request=request, youth=assessment.youth, obj=assessment)
    return {
        **_assessment_out(assessment),
        "answers": assessment.answers_dict(),
        "revisions": [
            {"at": r.at, "by": r.by.get_username(), "action": r.action, "changes": r.changes}
            for r in assessment.revisions.select_related("by")
        ],
    }


class AssessmentIn(Schema):
    instrument: str
    wave: str  # "intake:0", "evaluation:2", "closure:0", "follow_up:6"
    answers: dict[str, int | str | None] = {}
    submit: bool = False
    version: int | None = None


@router.post(
    "/youth/{youth_id}/assessments",
    response={200: AssessmentOut, 201: AssessmentOut},
    summary="Fill in (and optionally submit) the caller's assessment for a wave",
)
def save_assessment(request: HttpRequest, youth_id: int, body: AssessmentIn) -> Any:
    user = _caller(request)
    youth = policy.get_youth_or_404(user, youth_id)
    if not policy.can_fill_in_questionnaires(user, youth):
        raise HttpError(404, _("Not found."))
    trajectory = latest_trajectory(youth)
    if trajectory is None:
        raise HttpError(409, _("This youth has no trajectory yet."))
    try:
        instrument = instruments.get(body.instrument)
    except KeyError:
        raise HttpError(422, _("Unknown instrument.")) from None
    slot = next((s for s in wave_slots(trajectory) if s.key == body.wave), None)
    if slot is None:
        raise HttpError(422, _("The trajectory has not reached this wave."))
    try:
        assessment, created = Assessment.start(
            youth=youth,
            trajectory=trajectory,
            instrument=instrument,
            respondent=user,
            wave=Wave.for_slot(trajectory, slot),
        )
        if body.answers:
            assessment.save_answers(body.answers, by=user, expected_version=body.version)
        if body.submit:
            assessment.submit(by=user)
    except AlreadySubmitted as done:
        raise HttpError(409, done.messages[0]) from None
    except StaleAnswers as stale:
        raise HttpError(412, stale.messages[0]) from None
    except ValidationError as invalid:
        raise HttpError(
            422, "; ".join(f"{k}: {' '.join(v)}" for k, v in invalid.message_dict.items())
        ) from None
    record(user, Action.UPDATE, request=request, youth=youth, obj=assessment, detail="api")
    assessment.refresh_from_db()
    return Status(201 if created else 200, _assessment_out(assessment))


class RoleSummaryOut(Schema):
    role: str
    count: int
    means: dict[str, float | None]
    suppressed: bool


@router.get("/feedback/summary", response=list[RoleSummaryOut], summary="Feedback aggregated")
def feedback_summary(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's team (professional, team lead) or, for researchers, the organisation
    with small groups suppressed."""
    user = _caller(request)
    if policy.can_see_team_feedback(user):
        summary = feedback.summarise(policy.assessment_queryset(user))
    elif policy.can_see_research_feedback(user):
        summary = feedback.summarise(
            Assessment.objects.filter(youth__organisation_id=user.organisation_id),
            min_group=feedback.MIN_RESEARCH_GROUP,
        )
    else:
        raise HttpError(404, _("Not found."))
    record(user, Action.LIST, request=request, detail="api feedback summary")
    return [
        {"role": s.role, "count": s.count, "means": s.means, "suppressed": s.suppressed}
        for s in summary
    ]
