"""REST API for instruments, assessments and feedback (staff tokens; guarded by yim.policy).

Youth, JIMs and parents use the portal pages, not this API: the API is for staff accounts
only. Assessments and feedback of a youth are reached through the youth's scope, so another
team's youth answers 404, exactly like one that does not exist. Refusals follow
:mod:`yim.api.convention`: 422 with the messages per field, 409 ``stale`` for answers saved
from an older ``version``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate

from yim import policy
from yim.api.convention import (
    REFUSALS,
    audited_write,
    caller,
    field_error,
    in_scope,
    refused,
    youth_in_scope,
)
from yim.api.pagination import Pagination
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.errors import StaleEdit
from yim.monitoring import feedback, instruments
from yim.monitoring.models import Assessment, StaleAnswers, Wave
from yim.monitoring.scoring import Instrument
from yim.monitoring.waves import wave_slots

router = Router(tags=["monitoring"])


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
    caller(request)
    return [_instrument_out(i) for i in instruments.registry().values()]


@router.get("/instruments/{code}", response=InstrumentOut, summary="One instrument")
def get_instrument(request: HttpRequest, code: str) -> dict[str, Any]:
    caller(request)
    try:
        return _instrument_out(instruments.get(code))
    except KeyError:
        raise Http404 from None


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

    @staticmethod
    def resolve_wave(a: Assessment) -> str | None:
        return f"{a.wave.kind}:{a.wave.number}" if a.wave else None

    @staticmethod
    def resolve_wave_on(a: Assessment) -> dt.date | None:
        return a.wave.on if a.wave else None

    @staticmethod
    def resolve_scores(a: Assessment) -> dict[str, float | None]:
        return a.scores or {}


class RevisionOut(Schema):
    at: dt.datetime
    by: str
    action: str
    changes: list[dict[str, Any]]


class AssessmentDetailOut(AssessmentOut):
    answers: dict[str, int | str | None]
    revisions: list[RevisionOut]

    @staticmethod
    def resolve_answers(a: Assessment) -> dict[str, int | str | None]:
        return a.answers_dict()

    @staticmethod
    def resolve_revisions(a: Assessment) -> list[dict[str, Any]]:
        return [
            {"at": r.at, "by": r.by.get_username(), "action": r.action, "changes": r.changes}
            for r in a.revisions.select_related("by")
        ]


@router.get(
    "/youth/{youth_id}/assessments",
    response=list[AssessmentOut],
    summary="A youth's assessments and feedback",
)
@paginate(Pagination)
def list_assessments(request: HttpRequest, youth_id: int) -> Any:
    user = caller(request)
    youth = youth_in_scope(user, youth_id)
    record(user, Action.LIST, request=request, youth=youth, detail="api assessments")
    rows = (
        policy.assessment_queryset(user)
        .filter(youth=youth)
        .select_related("wave")
        .order_by("started_at", "pk")
    )
    return rows


@router.get("/assessments/{assessment_id}", response=AssessmentDetailOut, summary="One assessment")
def get_assessment(request: HttpRequest, assessment_id: int) -> Assessment:
    user = caller(request)
    scope = policy.assessment_queryset(user).select_related("wave", "youth")
    assessment = in_scope(scope, assessment_id)
    record(user, Action.VIEW, request=request, youth=assessment.youth, obj=assessment)
    return assessment


class AssessmentIn(Schema):
    instrument: str
    wave: str  # "intake:0", "evaluation:2", "closure:0", "follow_up:6"
    answers: dict[str, int | str | None] = {}
    submit: bool = False
    version: int | None = None


@router.post(
    "/youth/{youth_id}/assessments",
    response={200: AssessmentOut, 201: AssessmentOut, **REFUSALS},
    summary="Fill in (and optionally submit) the caller's assessment for a wave",
    description="Send the assessment's `version` with answers to an existing one: answers "
    "saved since from an older version are refused with 409 `stale`. A refusal (an unknown "
    "instrument or wave, an answer out of range, a submitted assessment) answers 422.",
)
def save_assessment(request: HttpRequest, youth_id: int, body: AssessmentIn) -> Any:
    user = caller(request)
    youth = youth_in_scope(user, youth_id, may=policy.can_fill_in_questionnaires)
    trajectory = youth.current_trajectory()
    if trajectory is None:
        return field_error("__all__", _("This youth has no trajectory yet."))
    try:
        instrument = instruments.get(body.instrument)
    except KeyError:
        return field_error("instrument", _("Unknown instrument."))
    slot = next((s for s in wave_slots(trajectory) if s.key == body.wave), None)
    if slot is None:
        return field_error("wave", _("The trajectory has not reached this wave."))
    # The draft is started on its own: a refused save leaves it, empty, for the next try.
    try:
        assessment, created = Assessment.start(
            youth=youth,
            trajectory=trajectory,
            instrument=instrument,
            respondent=user,
            wave=Wave.for_slot(trajectory, slot),
        )
    except ValidationError as exc:
        return refused(exc)

    def fill_in() -> Assessment:
        if body.answers:
            try:
                assessment.save_answers(body.answers, by=user, expected_version=body.version)
            except StaleAnswers as stale:
                raise StaleEdit() from stale
        if body.submit:
            assessment.submit(by=user)
        assessment.refresh_from_db()
        return assessment

    return audited_write(
        request,
        Action.UPDATE,
        fill_in,
        youth=youth,
        detail="api",
        status=201 if created else 200,
    )


class RoleSummaryOut(Schema):
    role: str
    count: int
    means: dict[str, float | None]
    suppressed: bool


@router.get("/feedback/summary", response=list[RoleSummaryOut], summary="Feedback aggregated")
def feedback_summary(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's team (professional, team lead) or, for researchers, the organisation
    with small groups suppressed."""
    user = caller(request)
    if policy.can_see_team_feedback(user):
        summary = feedback.summarise(policy.assessment_queryset(user))
    elif policy.can_see_research_feedback(user):
        summary = feedback.summarise(
            Assessment.objects.filter(youth__organisation_id=user.organisation_id),
            min_group=feedback.MIN_RESEARCH_GROUP,
        )
    else:
        raise Http404
    record(user, Action.LIST, request=request, detail="api feedback summary")
    return [
        {"role": s.role, "count": s.count, "means": s.means, "suppressed": s.suppressed}
        for s in summary
    ]
