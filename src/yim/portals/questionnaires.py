"""Questionnaires in the portal: what is to fill in, and starting (or resuming) one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.monitoring import instruments
from yim.monitoring.models import Assessment, RespondentRole, Wave, respondent_role_of
from yim.monitoring.waves import wave_slots
from yim.portals.access import portal_youth_or_404
from yim.trajectories.models import Attendee, Trajectory

FEEDBACK_MEETINGS = 5


def questionnaires(user: Any, trajectory: Trajectory | None) -> list[dict[str, Any]]:
    """Wave questionnaires of the programme for this respondent, in the current wave."""
    if trajectory is None:
        return []
    role = respondent_role_of(user)
    language = get_language() or "nl"
    wanted = [
        i
        for i in instruments.available(trajectory.programme.instruments)
        if i.is_for(role) and i.use == "wave"
    ]
    if not wanted:
        return []
    slot = wave_slots(trajectory)[-1]
    wave = Wave.objects.filter(trajectory=trajectory, kind=slot.kind, number=slot.number).first()
    mine = (
        {a.instrument: a for a in Assessment.objects.filter(wave=wave, respondent=user)}
        if wave is not None
        else {}
    )
    return [
        {
            "instrument": i,
            "title": i.title.get(language),
            "assessment": mine.get(i.code),
            "wave_label": Wave(kind=slot.kind, number=slot.number, on=slot.on).label,
        }
        for i in wanted
    ]


def feedback_meetings(user: Any, trajectory: Trajectory | None) -> list[dict[str, Any]]:
    """The latest meetings, each with this respondent's feedback (if any)."""
    if trajectory is None:
        return []
    role = respondent_role_of(user)
    feedback_instruments = [
        i
        for i in instruments.available(trajectory.programme.instruments)
        if i.use == "meeting" and i.is_for(role)
    ]
    if not feedback_instruments:
        return []
    code = feedback_instruments[0].code
    held = trajectory.meetings.held().filter(held_on__lte=timezone.localdate())
    if role != RespondentRole.YOUTH:
        # A JIM or parent gives feedback on the meetings they attended, and sees no others.
        held = held.filter(
            Exists(
                Attendee.objects.filter(meeting=OuterRef("pk"), role=role, present=True).filter(
                    Q(user__isnull=True) | Q(user=user)
                )
            )
        )
    meetings = list(held.order_by("-held_on", "-pk")[:FEEDBACK_MEETINGS])
    given = {
        a.meeting_id: a
        for a in Assessment.objects.filter(meeting__in=meetings, respondent=user, instrument=code)
    }
    return [{"meeting": m, "assessment": given.get(m.pk), "instrument": code} for m in meetings]


@login_required
@require_POST
def start_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    """Open (or resume) a questionnaire for the current wave, or feedback on a meeting."""
    youth = portal_youth_or_404(request, youth_id)
    if not policy.can_fill_in_questionnaires(request.user, youth):
        raise Http404
    trajectory = youth.current_trajectory()
    code = request.POST.get("instrument", "")
    if trajectory is None or code not in trajectory.programme.instruments:
        raise Http404
    try:
        instrument = instruments.get(code)
    except KeyError:
        raise Http404 from None
    meeting = None
    wave = None
    if instrument.use == "meeting":
        meeting = trajectory.meetings.held().filter(pk=_int(request.POST.get("meeting"))).first()
        if meeting is None:
            raise Http404
    else:
        wave = Wave.current(trajectory)
    try:
        assessment, created = Assessment.start(
            youth=youth,
            trajectory=trajectory,
            instrument=instrument,
            respondent=request.user,
            wave=wave,
            meeting=meeting,
        )
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
        return redirect("portal:youth", youth_id=youth.pk)
    if created:
        record(
            request.user, Action.CREATE, request=request, youth=youth, obj=assessment,
            detail=f"{assessment.instrument} started",
        )  # fmt: skip
    if assessment.is_submitted:
        messages.info(
            request, _("You have already filled this in. Thank you: your answers are saved.")
        )
        return redirect("monitoring:done", pk=assessment.pk)
    return redirect("monitoring:resume", pk=assessment.pk)


def _int(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0
