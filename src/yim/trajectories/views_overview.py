"""The team overview: the team's caseload with phase, time in phase, time to mentor, and
what is due or overdue (evaluations, JIM consultations after an emergency, follow-ups).

The number of queries does not depend on the number of trajectories: one annotated query
for the trajectories (``Trajectory.objects.with_overview()`` plus three EXISTS flags), one
prefetch of the evaluation dates, one for the team's professionals, and the audit entry.
The rows are then judged in memory — the evaluation schedule by the same rule function the
model uses — so "overdue only" and sorting by due date work across pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from yim import policy
from yim.accounts.models import Role, User
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.programmes.phases import phase_index
from yim.trajectories import rules
from yim.trajectories.forms import OVERVIEW_SORTS, OverviewFilterForm
from yim.trajectories.models import (
    FollowUp,
    Meeting,
    MeetingKind,
    PlacementDecision,
    Trajectory,
)
from yim.trajectories.models.base import today
from yim.trajectories.models.trajectory import TrajectoryQuerySet

PAGE_SIZE = 25


@dataclass(frozen=True)
class OverviewRow:
    trajectory: Trajectory
    days_in_phase: int
    days_to_mentor: int | None
    next_evaluation: dt.date | None
    evaluation_overdue: bool
    consultation_overdue: bool
    follow_up_overdue: bool
    emergency_unconfirmed: bool = False  # an emergency placement a team lead must confirm

    @property
    def anything_overdue(self) -> bool:
        return self.evaluation_overdue or self.consultation_overdue or self.follow_up_overdue


def overview_queryset(user: User, as_of: dt.date) -> TrajectoryQuerySet:
    evaluations = Meeting.objects.filter(kind=MeetingKind.EVALUATION).only(
        "pk", "trajectory_id", "held_on"
    )
    trajectories = cast(TrajectoryQuerySet, policy.team_overview_queryset(user))
    return (
        trajectories.with_overview()
        .select_related("youth", "professional", "programme")
        .annotate(
            has_overdue_consultation=Exists(
                PlacementDecision.objects.consultation_overdue(as_of).filter(
                    trajectory=OuterRef("pk")
                )
            ),
            has_overdue_follow_up=Exists(
                FollowUp.objects.filter(
                    trajectory=OuterRef("pk"), done_on__isnull=True, due_on__lt=as_of
                )
            ),
            has_unconfirmed_emergency=Exists(
                PlacementDecision.objects.awaiting_confirmation().filter(trajectory=OuterRef("pk"))
            ),
        )
        .prefetch_related(Prefetch("meetings", queryset=evaluations, to_attr="evaluation_meetings"))
    )


def overview_row(trajectory: Trajectory, now: dt.datetime, as_of: dt.date) -> OverviewRow:
    # Trajectory.evaluations_due() asks the database for the held dates; here they are
    # prefetched, and handed to the same rule function with the same arguments.
    held = [m.held_on for m in trajectory.evaluation_meetings]  # type: ignore[attr-defined]
    end = rules.amsterdam_day(trajectory.closed_at) if trajectory.closed_at else None
    schedule = rules.evaluation_schedule(
        trajectory.started_on, held, trajectory.programme.evaluation_interval_months, as_of, end
    )
    next_due = next((e.due_on for e in schedule if e.status in ("overdue", "upcoming")), None)
    to_mentor = trajectory.time_to_mentor
    return OverviewRow(
        trajectory=trajectory,
        days_in_phase=trajectory.time_in_current_phase(now).days,
        days_to_mentor=to_mentor.days if to_mentor is not None else None,
        next_evaluation=next_due,
        evaluation_overdue=any(e.is_overdue for e in schedule),
        consultation_overdue=bool(trajectory.has_overdue_consultation),  # type: ignore[attr-defined]
        follow_up_overdue=bool(trajectory.has_overdue_follow_up),  # type: ignore[attr-defined]
        emergency_unconfirmed=bool(trajectory.has_unconfirmed_emergency),  # type: ignore[attr-defined]
    )


def _sort_key(sort: str) -> Callable[[OverviewRow], Any]:
    far = dt.date.max
    keys: dict[str, Callable[[OverviewRow], Any]] = {
        "youth": lambda r: (r.trajectory.youth.display_name.casefold(), r.trajectory.pk),
        "phase": lambda r: (phase_index(r.trajectory.phase), r.trajectory.pk),
        "days_in_phase": lambda r: (r.days_in_phase, r.trajectory.pk),
        "time_to_mentor": lambda r: (
            r.days_to_mentor is None,
            r.days_to_mentor or 0,
            r.trajectory.pk,
        ),
        "next_evaluation": lambda r: (r.next_evaluation or far, r.trajectory.pk),
        "professional": lambda r: (str(r.trajectory.professional).casefold(), r.trajectory.pk),
    }
    return keys.get(sort, keys["next_evaluation"])


@login_required
@require_GET
def overview_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    team_id = user.team_id
    if not policy.can_see_team_overview(user) or team_id is None:
        raise Http404
    professionals = [
        (u.pk, str(u))
        for u in User.objects.filter(
            team_id=team_id, role__in=[Role.PROFESSIONAL, Role.TEAM_LEAD]
        ).order_by("first_name", "last_name", "username")
    ]
    form = OverviewFilterForm(request.GET or None, professionals=professionals)
    filters = form.cleaned_data if form.is_valid() else {}
    as_of = today()
    now = timezone.now()
    queryset = overview_queryset(user, as_of)
    if not filters.get("closed"):
        queryset = queryset.filter(closed_at__isnull=True)
    if filters.get("phase"):
        queryset = queryset.filter(phase=filters["phase"])
    if filters.get("professional"):
        queryset = queryset.filter(professional_id=filters["professional"])
    rows = [overview_row(t, now, as_of) for t in queryset]
    if filters.get("overdue"):
        rows = [r for r in rows if r.anything_overdue]
    if filters.get("unconfirmed"):
        rows = [r for r in rows if r.emergency_unconfirmed]
    sort = filters.get("sort") or "next_evaluation"
    rows.sort(key=_sort_key(sort), reverse=bool(filters.get("descending")))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    record(user, Action.LIST, request=request, detail=f"team overview page {page.number}")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "trajectories/overview.html",
        {
            "form": form,
            "page": page,
            "rows": page.object_list,
            "total": len(rows),
            "sort": sort,
            "sorts": OVERVIEW_SORTS,
            "querystring": query.urlencode(),
            "today": as_of,
            "can_intake": policy.can_start_intake(user),
        },
    )
