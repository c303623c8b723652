"""Meetings with their attendees (planned ahead, recorded as held, corrected), the care plan
with its goals, and safety plans.

A correction of a meeting or a safety plan keeps the version before it (shown under
"Earlier versions"); a correction over someone else's newer change is refused (stale).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yim import policy
from yim.audit.models import Action
from yim.core.forms import ActionForm
from yim.core.http import AuthenticatedHttpRequest
from yim.trajectories.forms import (
    AttendeeForm,
    CarePlanForm,
    GoalForm,
    MeetingCorrectionForm,
    MeetingForm,
    MeetingHeldForm,
    PlannedMeetingCorrectionForm,
    PlannedMeetingForm,
    SafetyPlanCorrectionForm,
    SafetyPlanForm,
)
from yim.trajectories.models import (
    Attendee,
    CarePlan,
    Goal,
    Meeting,
    MeetingKind,
    MeetingStatus,
    SafetyPlan,
    Trajectory,
)
from yim.trajectories.models.base import today
from yim.trajectories.views.base import (
    audit,
    confirm_removal,
    edit_page,
    get_part,
    get_trajectory,
    save_form,
    trajectory_url,
)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_add_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record a held meeting, or (``?plan=1``) put one on the agenda."""
    trajectory = get_trajectory(request, pk, edit=True)
    kind = request.GET.get("kind", "")
    kind = kind if kind in MeetingKind.values else ""
    if request.GET.get("plan"):
        planned = Meeting(
            trajectory=trajectory, recorded_by=request.user, status=MeetingStatus.PLANNED
        )
        return edit_page(
            request,
            PlannedMeetingForm(request.POST or None, instance=planned, initial={"kind": kind}),
            trajectory=trajectory,
            detail="meeting planned",
            created=True,
            done=trajectory_url(trajectory, "agenda"),
            title=_("Plan a meeting"),
            intro=_("A planned meeting is on the agenda; record it as held once it took place."),
        )
    form = MeetingForm(
        request.POST or None,
        instance=Meeting(trajectory=trajectory, recorded_by=request.user),
        initial={"held_on": today(), "kind": kind},
    )
    return edit_page(
        request,
        form,
        trajectory=trajectory,
        detail="meeting",
        created=True,
        done=lambda meeting: reverse("trajectories:meeting", args=[meeting.pk]),
        title=_("Record a meeting"),
        intro=_("The youth's own view and the JIM's input are recorded apart from the decisions."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A meeting: its record, who attended and its earlier versions. A planned meeting is
    recorded as held or called off here; a correction keeps the version before it."""
    writing = request.method == "POST"
    meeting, trajectory = get_part(request, Meeting, pk, edit=writing, via="trajectory")
    action = request.POST.get("action", "")
    data = request.POST if writing else None
    planned = meeting.status == MeetingStatus.PLANNED
    correction_form = PlannedMeetingCorrectionForm if planned else MeetingCorrectionForm
    form = correction_form(data if action == "meeting" else None, instance=meeting)
    held_form = MeetingHeldForm(
        data if action == "held" else None,
        instance=meeting,
        initial={"held_on": today()},
        prefix="held",
    )
    cancel_form = ActionForm(
        data if action == "cancel" else None, initial={"version": meeting.version}, prefix="cancel"
    )
    attendee_form = AttendeeForm(
        data if action == "attendee" else None,
        instance=Attendee(meeting=meeting),
        prefix="attendee",
    )

    def correct() -> Meeting:
        return meeting.save_correction(
            form.cleaned_data["version"], by=request.user, reason=form.cleaned_data["reason"]
        )

    def held() -> Meeting:
        meeting.record_held(expected_version=held_form.cleaned_data["version"])
        return meeting

    def cancel() -> Meeting:
        meeting.cancel(expected_version=cancel_form.cleaned_data["version"])
        return meeting

    posted: dict[str, tuple[Any, Any, str]] = {
        "meeting": (form, correct, "meeting corrected"),
        "attendee": (attendee_form, attendee_form.save_versioned, "meeting attendee"),
    }
    if planned:
        posted["held"] = (held_form, held, "planned meeting recorded as held")
        posted["cancel"] = (cancel_form, cancel, "planned meeting cancelled")
    if action in posted:
        bound, write, detail = posted[action]
        if save_form(
            request,
            bound,
            youth=trajectory.youth,
            write=write,
            detail=detail,
            created=action == "attendee",
        ):
            return redirect(reverse("trajectories:meeting", args=[meeting.pk]))
        meeting.refresh_from_db()  # show what is stored, not the refused values
    audit(request, Action.VIEW, trajectory.youth, meeting, "meeting")
    return render(
        request,
        "trajectories/meeting.html",
        {
            "trajectory": trajectory,
            "youth": trajectory.youth,
            "meeting": meeting,
            "form": form,
            "held_form": held_form,
            "cancel_form": cancel_form,
            "attendee_form": attendee_form,
            "attendees": list(meeting.attendees.all()),
            "revisions": list(meeting.revisions.select_related("changed_by")),
            "can_edit": policy.can_edit_trajectory(request.user, trajectory.youth)
            and not trajectory.is_closed,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def care_plan_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = get_trajectory(request, pk, edit=True)
    plan = CarePlan.objects.filter(trajectory=trajectory).first()
    form = CarePlanForm(
        request.POST or None,
        instance=plan or CarePlan(trajectory=trajectory),
        initial={} if plan else {"made_on": today()},
    )
    return edit_page(
        request,
        form,
        trajectory=trajectory,
        detail="care plan",
        created=plan is None,
        done=trajectory_url(trajectory, "care-plan"),
        title=_("Care plan"),
        intro=_("The care plan is made after the network map: explore the network first."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_add_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = get_trajectory(request, pk, edit=True)
    plan = CarePlan.objects.filter(trajectory=trajectory).first()
    if plan is None:
        raise Http404
    return _goal_page(request, trajectory, Goal(plan=plan))


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    goal, trajectory = get_part(request, Goal, pk, edit=True, via="plan__trajectory")
    return _goal_page(request, trajectory, goal)


@login_required
@require_http_methods(["GET", "POST"])
def goal_remove_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Remove a goal added by mistake (only while it is open; see ``Goal.remove``)."""
    goal, trajectory = get_part(request, Goal, pk, edit=True, via="plan__trajectory")

    def remove(version: int) -> str:
        goal.remove(version)
        return "care plan goal removed"

    return confirm_removal(
        request,
        trajectory=trajectory,
        youth=trajectory.youth,
        record=goal,
        remove=remove,
        refusal=goal.removal_refusal(),
        title=_("Remove this goal from the care plan?"),
        intro=goal.description,
        back=reverse("trajectories:goal_edit", args=[goal.pk]),
        done=trajectory_url(trajectory, "care-plan"),
    )


def _goal_page(
    request: AuthenticatedHttpRequest, trajectory: Trajectory, goal: Goal
) -> HttpResponse:
    goal_pk = goal.pk
    form = GoalForm(request.POST or None, instance=goal)
    extra: dict[str, str] = {}
    if goal_pk is not None:
        extra = {
            "remove_url": reverse("trajectories:goal_remove", args=[goal_pk]),
            "remove_label": _("Remove this goal"),
        }
    return edit_page(
        request,
        form,
        trajectory=trajectory,
        detail="care plan goal",
        created=goal_pk is None,
        done=trajectory_url(trajectory, "care-plan"),
        title=_("Goal"),
        extra=extra,
    )


@login_required
@require_http_methods(["GET", "POST"])
def safety_add_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = get_trajectory(request, pk, edit=True)
    return _safety_page(request, trajectory, SafetyPlan(trajectory=trajectory))


@login_required
@require_http_methods(["GET", "POST"])
def safety_edit_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan, trajectory = get_part(request, SafetyPlan, pk, edit=True, via="trajectory")
    return _safety_page(request, trajectory, plan)


def _safety_page(
    request: AuthenticatedHttpRequest, trajectory: Trajectory, plan: SafetyPlan
) -> HttpResponse:
    """A new safety plan, or a correction of one (its earlier versions kept and shown)."""
    plan_pk = plan.pk
    intro = _(
        "A safety plan runs in parallel with the search for a JIM when the situation is unsafe."
    )
    done = trajectory_url(trajectory, "safety")
    if plan_pk is None:
        form = SafetyPlanForm(request.POST or None, instance=plan, initial={"made_on": today()})
        return edit_page(
            request,
            form,
            trajectory=trajectory,
            detail="safety plan",
            created=True,
            done=done,
            title=_("Safety plan"),
            intro=intro,
        )
    correction = SafetyPlanCorrectionForm(request.POST or None, instance=plan)

    def correct() -> SafetyPlan:
        data = correction.cleaned_data
        return plan.save_correction(data["version"], by=request.user, reason=data["reason"])

    return edit_page(
        request,
        correction,
        trajectory=trajectory,
        write=correct,
        detail="safety plan corrected",
        created=False,
        done=done,
        title=_("Safety plan"),
        intro=intro,
        template="trajectories/safety_plan.html",
        extra={"revisions": list(plan.revisions.select_related("changed_by"))},
    )
