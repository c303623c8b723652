"""The team overview: the team's caseload with phase, time in phase, time to mentor, and
what is due or overdue (evaluations, JIM consultations after an emergency, follow-ups).

The number of queries does not depend on the number of trajectories: one annotated query
for the trajectories (``Trajectory.objects.with_overview(as_of)``: the annotations and the
prefetch of the evaluation dates), one for the team's professionals, and the audit entry.
The rows are then judged in memory — the evaluation schedule by the model's own method, on
the prefetched dates — so "overdue only" and sorting by due date work across pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
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
from yim.trajectories.forms import OVERVIEW_SORTS, OverviewFilterForm
from yim.trajectories.models.base import today
from yim.trajectories.overview_rows import OverviewRow, overview_queryset, overview_row

PAGE_SIZE = 25


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
    record(
        user,
        Action.LIST,
        request=request,
        detail=f"team overview page {page.number}",
        listed=[row.trajectory.youth_id for row in page.object_list],
    )
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
