"""Staff pages of monitoring: a youth's waves, assessments, charts and feedback; one
assessment with its history; the team's and the organisation's feedback aggregated."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.monitoring import feedback, instruments
from yim.monitoring.charts import domain_chart_svgs
from yim.monitoring.forms import StartAssessmentForm
from yim.monitoring.models import Assessment, Wave
from yim.monitoring.questionnaire import get_assessment_or_404
from yim.monitoring.rules import ON_BEHALF_ROLES, EntryMode
from yim.monitoring.waves import wave_slots
from yim.trajectories.models import Trajectory, Youth


def _staff_youth_or_404(request: AuthenticatedHttpRequest, pk: int) -> Youth:
    youth = policy.get_youth_or_404(request.user, pk)
    if not policy.can_see_feedback(request.user, youth):
        raise Http404
    return youth


def _start_form(trajectory: Trajectory, data: Any = None) -> StartAssessmentForm:
    language = get_language() or "nl"
    choices = [
        (i.code, i.title.get(language))
        for i in instruments.available(trajectory.programme.instruments)
        if i.use == "wave" and any(i.is_for(role) for role in ("professional", *ON_BEHALF_ROLES))
    ]
    slots = wave_slots(trajectory)
    waves = [(s.key, _slot_label(s)) for s in reversed(slots)]
    return StartAssessmentForm(data, instruments=choices, waves=waves)


def _slot_label(slot: Any) -> str:
    wave = Wave(kind=slot.kind, number=slot.number, on=slot.on)
    return f"{wave.label} ({slot.on:%d-%m-%Y})"


@login_required
@require_GET
def youth_monitoring_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    youth = _staff_youth_or_404(request, pk)
    trajectory = youth.current_trajectory()
    record(request.user, Action.VIEW, request=request, youth=youth, detail="monitoring")
    assessments = (
        Assessment.objects.filter(youth=youth, wave__isnull=False)
        .select_related("wave", "respondent")
        .order_by("wave__on", "instrument", "respondent_role")
    )
    language = get_language() or "nl"
    titles = {code: i.title.get(language) for code, i in instruments.registry().items()}
    feedback_list = list(feedback.for_youth(youth)[:20])
    return render(
        request,
        "monitoring/youth.html",
        {
            "youth": youth,
            "trajectory": trajectory,
            "assessment_rows": [(a, titles.get(a.instrument, a.instrument)) for a in assessments],
            "domain_charts": domain_chart_svgs(youth, language),
            "start_form": _start_form(trajectory) if trajectory else None,
            "feedback_rows": [(f, feedback.answers_of(f)) for f in feedback_list],
            "feedback_summary": feedback.summarise(Assessment.objects.filter(youth=youth)),
        },
    )


@login_required
@require_POST
def start_assessment_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    youth = _staff_youth_or_404(request, pk)
    trajectory = youth.current_trajectory()
    if trajectory is None:
        raise Http404
    form = _start_form(trajectory, request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an instrument and a wave."))
        for field, problems in form.errors.items():
            if field in ("assessed_on", "on_behalf_of", "mode"):
                text = " ".join(str(problem) for problem in problems)
                messages.error(request, f"{form.fields[field].label}: {text}")
        return redirect("monitoring:youth", pk=youth.pk)
    data = form.cleaned_data
    slot = next(s for s in wave_slots(trajectory) if s.key == data["wave"])
    try:
        assessment, created = Assessment.start(
            youth=youth,
            trajectory=trajectory,
            instrument=instruments.get(data["instrument"]),
            respondent=request.user,
            wave=Wave.for_slot(trajectory, slot),
            on_behalf_of=data["on_behalf_of"],
            entry_mode=data["mode"],
            assessed_on=data["assessed_on"],
        )
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
        return redirect("monitoring:youth", pk=youth.pk)
    if created:
        behalf = f" on behalf of {assessment.respondent_role} ({assessment.mode})"
        record(
            request.user, Action.CREATE, request=request, youth=youth, obj=assessment,
            detail=f"{assessment.instrument} started"
            + (behalf if assessment.mode != EntryMode.SELF else ""),
        )  # fmt: skip
    if assessment.is_submitted:
        messages.info(
            request, _("You already filled this in for this wave; open it to correct it.")
        )
        return redirect("monitoring:assessment", pk=assessment.pk)
    return redirect("monitoring:resume", pk=assessment.pk)


@login_required
@require_GET
def assessment_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One assessment: answers, scores and the history of changes (staff)."""
    assessment = get_assessment_or_404(request, pk)
    if not request.user.is_staff_member:
        raise Http404
    record(request.user, Action.VIEW, request=request, youth=assessment.youth, obj=assessment)
    language = get_language() or "nl"
    definition = assessment.definition
    answers = assessment.answers_dict()
    rows = []
    for item in definition.items:
        value = answers.get(item.code)
        shown = value
        if item.scale is not None and isinstance(value, int):
            label = item.scale.label(value)
            shown = f"{value} – {label.get(language)}" if label else value
        rows.append((item.text_for(assessment.respondent_role).get(language), shown))
    scores = []
    for subscale in definition.subscales:
        value = (assessment.scores or {}).get(subscale.code)
        band = subscale.band(value)
        scores.append(
            (subscale.label.get(language), value, band.label.get(language) if band else "")
        )
    return render(
        request,
        "monitoring/assessment.html",
        {
            "assessment": assessment,
            "title": definition.title.get(language),
            "rows": rows,
            "scores": scores,
            "revisions": assessment.revisions.select_related("by"),
            "can_edit": policy.can_edit_submitted_assessment(request.user, assessment),
        },
    )


@login_required
@require_GET
def team_feedback_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The team's feedback after meetings, aggregated per role (no free text here)."""
    if not policy.can_see_team_feedback(request.user):
        raise Http404
    scope = policy.assessment_queryset(request.user)
    record(request.user, Action.LIST, request=request, detail="team feedback summary")
    return render(
        request,
        "monitoring/feedback_summary.html",
        {"summary": feedback.summarise(scope), "heading": _("Feedback in your team")},
    )


@login_required
@require_GET
def research_feedback_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The organisation's feedback for research: counts and means, small groups suppressed."""
    if not policy.can_see_research_feedback(request.user):
        raise Http404
    organisation_id = request.user.organisation_id
    assert organisation_id is not None  # can_see_research_feedback checked it
    scope = Assessment.objects.filter(youth__organisation_id=organisation_id)
    record(request.user, Action.LIST, request=request, detail="research feedback summary")
    return render(
        request,
        "monitoring/feedback_summary.html",
        {
            "summary": feedback.summarise(scope, min_group=feedback.MIN_RESEARCH_GROUP),
            "heading": _("Feedback across the organisation"),
            "min_group": feedback.MIN_RESEARCH_GROUP,
        },
    )
