"""Trajectory pages: intake, the trajectory page, its referral and its phase.

Views parse (forms), authorise (:mod:`yim.policy`, lookups through the user's scope so
anything outside it answers 404) and call the models; every read and write of youth data
is audited. The pages of the other parts of a trajectory live in the other modules of
this package; the shared helpers in :mod:`yim.trajectories.views.base`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Prefetch, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.forms import attach_errors
from yim.core.http import AuthenticatedHttpRequest
from yim.trajectories.forms import (
    IntakeForm,
    NewTrajectoryForm,
    NotADuplicateForm,
    PhaseForm,
    ReferralForm,
)
from yim.trajectories.models import (
    Candidate,
    LivingSituationRecord,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Phase,
    PlacementDecision,
    Trajectory,
    Youth,
)
from yim.trajectories.models.consent import authority_holders_prefetch
from yim.trajectories.stepper import stepper_for
from yim.trajectories.timeline import open_tasks
from yim.trajectories.views.base import (
    audit,
    edit_page,
    get_trajectory,
    get_youth,
    trajectory_url,
)

# --- intake ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PossibleDuplicate:
    """A youth of the organisation with the intake's name and date of birth. ``visible``:
    in the user's scope (shown with a link); otherwise only its existence in another team."""

    youth: Youth
    visible: bool


def possible_duplicates(
    request: AuthenticatedHttpRequest, organisation_id: int, data: dict[str, Any]
) -> list[PossibleDuplicate]:
    """The organisation's youth that may be the one being registered, each marked with
    whether the user may see them (the policy's scope); the showing is audited."""
    found = list(
        Youth.possible_duplicates(
            organisation_id=organisation_id,
            display_name=data["display_name"],
            date_of_birth=data["date_of_birth"],
        )
    )
    if not found:
        return []
    visible = set(
        policy.youth_queryset(request.user)
        .filter(pk__in=[y.pk for y in found])
        .values_list("pk", flat=True)
    )
    for youth in found:
        if youth.pk in visible:
            audit(request, Action.SEARCH, youth, youth, "intake: possible duplicate shown")
        else:
            record(
                request.user,
                Action.SEARCH,
                request=request,
                youth=youth,
                detail="intake: possible duplicate in another team (existence only)",
            )
    return [PossibleDuplicate(youth, youth.pk in visible) for youth in found]


@login_required
@require_http_methods(["GET", "POST"])
def intake_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Register a new youth and open their first trajectory (the referral).

    A youth of the organisation with the same name and date of birth is shown before
    anything is saved; the professional saves anyway only by confirming it is someone else.
    """
    user = request.user
    if not policy.can_start_intake(user) or user.team is None:
        raise Http404
    team = user.team
    form = IntakeForm(request.POST or None, organisation_id=team.organisation_id)
    confirm = NotADuplicateForm(request.POST or None)
    duplicates: list[PossibleDuplicate] = []
    if request.method == "POST" and form.is_valid() and confirm.is_valid():
        data = form.cleaned_data
        duplicates = possible_duplicates(request, team.organisation_id, data)
        if not duplicates or confirm.cleaned_data["not_a_duplicate"]:
            try:
                with transaction.atomic():
                    youth = Youth(
                        organisation_id=team.organisation_id,
                        team=team,
                        professional=user,
                        **{name: data[name] for name in IntakeForm.YOUTH_FIELDS},
                    )
                    youth.save()
                    trajectory = Trajectory.start(
                        youth=youth,
                        professional=user,
                        by=user,
                        **{name: data[name] for name in IntakeForm.TRAJECTORY_FIELDS},
                    )
                    if data["living_situation"]:
                        # The situation at referral starts the dated history.
                        LivingSituationRecord.record(
                            youth,
                            situation=data["living_situation"],
                            since=data["referred_on"],
                            by=user,
                        )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                audit(request, Action.CREATE, youth, youth, "intake: youth registered")
                audit(request, Action.CREATE, youth, trajectory, "intake: trajectory started")
                messages.success(request, _("The youth is registered and the trajectory started."))
                return redirect(trajectory_url(trajectory))
    return render(
        request,
        "trajectories/intake.html",
        {
            "form": form,
            "confirm": confirm,
            "duplicates": duplicates,
            "hidden_duplicates": sum(not d.visible for d in duplicates),
            "title": _("New youth: intake"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def start_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    """Open a new trajectory for a known youth (one open trajectory at a time)."""
    youth = get_youth(request, youth_id, edit=True)
    form = NewTrajectoryForm(request.POST or None, organisation_id=youth.organisation_id)

    def write() -> Trajectory:
        return Trajectory.start(
            youth=youth, professional=request.user, by=request.user, **form.cleaned_data
        )

    return edit_page(
        request,
        form,
        trajectory=None,
        youth=youth,
        write=write,
        detail="trajectory started",
        created=True,
        done=trajectory_url,
        title=_("New trajectory"),
        submit=_("Start the trajectory"),
    )


# --- the trajectory page ------------------------------------------------------------------


@login_required
@require_GET
def trajectory_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = get_trajectory(request, pk, edit=False, related=("care_plan", "closure"))
    youth = trajectory.youth
    audit(request, Action.VIEW, youth, trajectory, "trajectory page")
    can_edit = policy.can_edit_trajectory(request.user, youth)
    # What the page, its tasks and its stepper read, loaded once: the model's derived values
    # (the active JIM, consent, the phase history, the evaluation schedule, the time to a
    # JIM) read these prefetched records instead of asking again — one query per kind of
    # record, none per JIM, meeting or decision.
    prefetch_related_objects(
        [trajectory],
        Prefetch(
            "candidates",
            queryset=Candidate.objects.select_related("person", "round").prefetch_related(
                "consents"
            ),
        ),
        Prefetch(
            "placement_decisions",
            queryset=PlacementDecision.objects.prefetch_related("consultations"),
        ),
        Prefetch("meetings", queryset=Meeting.objects.prefetch_related("attendees")),
        "transitions",
        "no_jim_outcomes",
        "follow_ups",
    )
    # The meetings once, with their attendees: the held ones newest first (the evaluation
    # schedule reads the held evaluations among them), the agenda (planned) soonest first.
    every_meeting = trajectory.prefetched("meetings") or []
    meetings = sorted(
        (m for m in every_meeting if m.held_on is not None),
        key=lambda m: (m.held_on, m.pk),
        reverse=True,
    )
    agenda = sorted(
        (m for m in every_meeting if m.status == MeetingStatus.PLANNED),
        key=lambda m: (m.planned_for, m.pk),
    )
    trajectory.evaluation_meetings = [  # type: ignore[attr-defined]
        m for m in meetings if m.kind == MeetingKind.EVALUATION
    ]
    prefetch_related_objects([youth], authority_holders_prefetch())
    candidates = trajectory.prefetched("candidates") or []
    rounds = list(trajectory.nomination_rounds.order_by("number"))
    for round_ in rounds:
        round_.listed = [c for c in candidates if c.round_id == round_.pk]  # type: ignore[attr-defined]
    jims = [c for c in candidates if c.is_jim]
    consent = [(c, c.consent_status()) for c in jims]
    decisions = trajectory.prefetched("placement_decisions") or []  # newest first
    episodes = list(trajectory.placement_episodes.select_related("decision"))
    recorded = {e.decision_id for e in episodes}
    for decision in decisions:
        decision.episode_recorded = decision.pk in recorded
    care_plan = getattr(trajectory, "care_plan", None)
    closure = getattr(trajectory, "closure", None)
    now = timezone.now()
    context = {
        "trajectory": trajectory,
        "youth": youth,
        "can_edit": can_edit and not trajectory.is_closed,
        "can_follow_up": can_edit,
        "can_confirm": policy.can_confirm_emergency(request.user, trajectory.team_id),
        "phase_form": PhaseForm(trajectory=trajectory) if can_edit else None,
        "days_in_phase": trajectory.time_in_current_phase(now).days,
        "time_in_phase": [
            (Phase(phase).label, spent.days)
            for phase, spent in trajectory.time_in_phase(now).items()
        ],
        "rounds": rounds,
        "open_round": next((r for r in rounds if r.closed_on is None), None),
        "active_jim": next((c for c in jims if c.is_active_jim), None),
        "consent": consent,
        "no_jim_outcomes": trajectory.prefetched("no_jim_outcomes"),
        "meetings": meetings,
        "agenda": agenda,
        "today": timezone.localdate(),
        "care_plan": care_plan,
        "goals": list(care_plan.goals.all()) if care_plan else [],
        "safety_plans": list(trajectory.safety_plans.all()),
        "decisions": decisions,
        "episodes": episodes,
        "closure": closure,
        "follow_ups": trajectory.prefetched("follow_ups"),
        "evaluations": trajectory.evaluations_due(),
        "tasks": open_tasks(trajectory),
        # The stepper's links only for those who write (break-the-glass reads without them).
        "stepper": stepper_for(trajectory),
        "step_links": can_edit,
        "network_size": youth.network.count(),
    }
    return render(request, "trajectories/trajectory.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def referral_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = get_trajectory(request, pk, edit=True)
    form = ReferralForm(request.POST or None, instance=trajectory)
    return edit_page(
        request,
        form,
        trajectory=trajectory,
        detail="referral changed",
        created=False,
        done=trajectory_url(trajectory),
        title=_("Referral"),
    )


@login_required
@require_POST
def phase_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Move the trajectory to another phase; the model says whether the move is allowed."""
    trajectory = get_trajectory(request, pk, edit=True)
    form = PhaseForm(request.POST, trajectory=trajectory)

    def write() -> Model:
        trajectory.version = form.cleaned_data["version"]
        return trajectory.choose_phase(
            form.cleaned_data["phase"], by=request.user, note=form.cleaned_data["note"]
        )

    return edit_page(
        request,
        form,
        trajectory=trajectory,
        write=write,
        detail=f"phase: {form.data.get('phase', '')}",
        created=True,
        done=trajectory_url(trajectory),
        title=_("Move to another phase"),
        submit=_("Move"),
        refresh=trajectory,
    )
