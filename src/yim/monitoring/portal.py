"""The portals of the youth, the JIM and the parent.

They sign in through their invitation (accounts) and reach only the youth they are linked to;
every page looks the youth up through :func:`yim.policy.youth_queryset`, so another youth's
number answers 404. Within the file, what each of them sees is decided by
:func:`yim.policy.can_view_scope` on every request — the youth's sharing choices for the JIM,
the age rule for the parent — so a withdrawn share or a refused consent takes effect on the
next request. Every page that shows youth data is written to the audit log, which the youth
reads under "who viewed my file".
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yim import policy
from yim.accounts.forms import claim_once
from yim.accounts.models import Role
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.monitoring import instruments
from yim.monitoring.charts import domain_chart_svgs
from yim.monitoring.forms import ParentConsentForm, SharingForm
from yim.monitoring.models import (
    Assessment,
    JimSharingScope,
    RespondentRole,
    SharingScope,
    Wave,
    respondent_role_of,
    wave_slots,
)
from yim.monitoring.views import latest_trajectory
from yim.trajectories.models import (
    Attendee,
    ConsentParty,
    Meeting,
    NetworkPerson,
    Trajectory,
    Youth,
)

FEEDBACK_MEETINGS = 5


def _portal_youth_or_404(request: AuthenticatedHttpRequest, youth_id: int) -> Youth:
    if not request.user.is_portal_user:
        raise Http404
    return policy.get_youth_or_404(request.user, youth_id)


@login_required
@require_GET
def index_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_portal_user:
        raise Http404
    linked = list(policy.youth_queryset(request.user).order_by("pk"))
    if len(linked) == 1:
        return redirect("portal:youth", youth_id=linked[0].pk)
    return render(request, "portal/index.html", {"linked": linked})


def _questionnaires(user: Any, trajectory: Trajectory | None) -> list[dict[str, Any]]:
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


def _feedback_meetings(user: Any, trajectory: Trajectory | None) -> list[dict[str, Any]]:
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
    held = trajectory.meetings.filter(held_on__lte=timezone.localdate())
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
@require_GET
def youth_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    youth = _portal_youth_or_404(request, youth_id)
    user = request.user
    trajectory = latest_trajectory(youth)
    record(user, Action.VIEW, request=request, youth=youth, detail="portal home")
    context: dict[str, Any] = {
        "youth": youth,
        "trajectory": trajectory,
        "role": user.role,
        "scopes": [
            (reverse(f"portal:scope_{s}", args=[youth.pk]), SharingScope(s).label)
            for s in policy.visible_scopes(user, youth)
        ],
        "can_fill_in": policy.can_fill_in_questionnaires(user, youth),
        "can_share": policy.can_manage_jim_sharing(user, youth),
        "can_consent": policy.can_give_parent_consent(user, youth),
        "can_see_access_log": policy.can_see_own_access_log(user),
        "under_age": user.role == Role.YOUTH and not policy.can_see_own_file(user, youth),
    }
    if context["can_fill_in"]:
        context["questionnaires"] = _questionnaires(user, trajectory)
        context["feedback_meetings"] = _feedback_meetings(user, trajectory)
    if trajectory is not None and (
        user.role == Role.YOUTH and policy.can_see_own_file(user, youth)
    ):
        jim = trajectory.active_jim
        context["jim_name"] = jim.person.display_name if jim else ""
        context["next_evaluation"] = trajectory.next_evaluation_due()
    if user.role == Role.JIM:
        context["consent_refused"] = policy.jim_consent_refused(youth, user)
    if user.role == Role.YOUTH and context["can_share"]:
        context["sharing"] = [
            (SharingScope(s).label, shared) for s, shared in JimSharingScope.current(youth).items()
        ]
    return render(request, "portal/youth.html", context)


@login_required
@require_GET
def scope_view(request: AuthenticatedHttpRequest, youth_id: int, scope: str) -> HttpResponse:
    youth = _portal_youth_or_404(request, youth_id)
    if scope not in policy.PORTAL_SCOPES:
        raise Http404
    label = SharingScope(scope).label
    if not policy.can_view_scope(request.user, youth, scope):
        # The youth is the user's own link, so a clear message rather than "not found".
        return render(
            request,
            "portal/not_shared.html",
            {"youth": youth, "scope_label": label, "role": request.user.role},
            status=403,
        )
    record(request.user, Action.VIEW, request=request, youth=youth, detail=f"portal {scope}")
    trajectory = latest_trajectory(youth)
    context: dict[str, Any] = {"youth": youth, "scope": scope, "scope_label": label}
    if scope == "meetings":
        meetings = Meeting.objects.filter(trajectory__youth=youth).order_by("-held_on", "-pk")
        context["page"] = Paginator(meetings, 20).get_page(request.GET.get("page"))
    elif scope == "plan":
        plan = getattr(trajectory, "care_plan", None) if trajectory else None
        context["plan"] = plan
        context["goals"] = list(plan.goals.all()) if plan else []
    elif scope == "assessments":
        language = get_language() or "nl"
        context["domain_charts"] = domain_chart_svgs(youth, language)
        own = (
            Assessment.objects.submitted()
            .filter(youth=youth, respondent_role=RespondentRole.YOUTH, wave__isnull=False)
            .select_related("wave")
            .order_by("wave__on", "pk")
        )
        context["youth_scores"] = [_score_rows(a, language) for a in own]
    elif scope == "network":
        context["people"] = NetworkPerson.objects.filter(youth=youth).order_by(
            "relation", "display_name"
        )
    return render(request, "portal/scope.html", context)


def _score_rows(assessment: Assessment, language: str) -> dict[str, Any]:
    definition = assessment.definition
    rows = []
    for subscale in definition.subscales:
        value = (assessment.scores or {}).get(subscale.code)
        rows.append((subscale.label.get(language), value))
    return {
        "title": definition.title.get(language),
        "wave": assessment.wave,
        "rows": rows,
    }


@login_required
@require_http_methods(["GET", "POST"])
def sharing_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    """The youth decides what their JIM may see; every decision is kept."""
    youth = _portal_youth_or_404(request, youth_id)
    if not policy.can_manage_jim_sharing(request.user, youth):
        raise Http404
    current = JimSharingScope.current(youth)
    form = SharingForm(request.POST if request.method == "POST" else None, initial=current)
    if request.method == "POST" and form.is_valid():
        changed = JimSharingScope.decide(youth, form.choices(), by=request.user)
        if changed:
            record(
                request.user,
                Action.UPDATE,
                request=request,
                youth=youth,
                detail="JIM sharing: " + ", ".join(f"{s}={form.choices()[s]}" for s in changed),
            )
            messages.success(request, _("Saved. Your JIM sees exactly this from now on."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("portal:sharing", youth_id=youth.pk)
    history = JimSharingScope.objects.filter(youth=youth).select_related("by")[:30]
    return render(
        request, "portal/sharing.html", {"youth": youth, "form": form, "history": history}
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    """A parent gives (or withdraws) consent to the JIM where the age rule asks for it."""
    youth = _portal_youth_or_404(request, youth_id)
    if not policy.can_give_parent_consent(request.user, youth):
        raise Http404
    trajectory = Trajectory.objects.filter(youth=youth, closed_at__isnull=True).first()
    jim = trajectory.active_jim if trajectory else None
    holder_id = policy.parent_consent_holder(request.user, youth) or None
    form = ParentConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and jim is not None and form.is_valid():
        try:
            with transaction.atomic():
                claim_once(form, request.user)  # a double submit records one decision
                consent = jim.record_consent(
                    party=ConsentParty.PARENT,
                    holder_id=holder_id,
                    parent_name=request.user.get_full_name() or request.user.get_username(),
                    decision=form.cleaned_data["decision"],
                    note=form.cleaned_data["note"],
                    recorded_by=request.user,
                )
        except ValidationError as refused:
            if not hasattr(refused, "error_dict"):  # a refusal of the whole form (sent twice)
                form.add_error(None, refused)
            for field, problems in getattr(refused, "message_dict", {}).items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            record(
                request.user,
                Action.CREATE,
                request=request,
                youth=youth,
                obj=consent,
                detail=f"parent consent: {consent.decision}",
            )
            messages.success(request, _("Your decision is recorded."))
            return redirect("portal:consent", youth_id=youth.pk)
    # The parent's own decisions: those they gave here, and those the professional recorded
    # for the holder of authority they are.
    own = Q(recorded_by=request.user) | (Q(holder_id=holder_id) if holder_id else Q())
    mine = jim.consents.filter(own).order_by("-given_at", "-pk") if jim is not None else []
    return render(
        request,
        "portal/consent.html",
        {"youth": youth, "jim": jim, "form": form, "mine": mine},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def start_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    """Open (or resume) a questionnaire for the current wave, or feedback on a meeting."""
    youth = _portal_youth_or_404(request, youth_id)
    if not policy.can_fill_in_questionnaires(request.user, youth):
        raise Http404
    trajectory = latest_trajectory(youth)
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
        meeting = trajectory.meetings.filter(pk=_int(request.POST.get("meeting"))).first()
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
