"""The team overview: the team's caseload with phase, time in phase, time to mentor, and
what is due or overdue (evaluations, JIM consultations after an emergency, follow-ups).

The number of queries does not depend on the number of trajectories, and neither does the
work per row: the filters (phase, professional, open or closed, an emergency to confirm,
"overdue only") run in the database, and so do the default order by next evaluation and
the count and cut of a page; another sort reads one narrow query and sorts it
(:func:`~yim.trajectories.overview_rows.overview_order`). Only the page's 25 trajectories
are then loaded whole (``with_overview``) and judged as rows. Then the team's professionals
(for the filter) and the audit entry.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from yim import policy
from yim.accounts.models import Role, User
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.trajectories.forms import OVERVIEW_SORTS, OverviewFilterForm
from yim.trajectories.models.base import today
from yim.trajectories.models.trajectory import TrajectoryQuerySet
from yim.trajectories.overview_rows import (
    DEFAULT_SORT,
    overview_order,
    overview_page_rows,
)

PAGE_SIZE = 25


def _page(ids: list[int] | QuerySet[Any, int], number: str | None) -> Page:
    """The page ``number`` of ``ids``, as ``Paginator.get_page`` gives it (not a number: the
    first page; below 1 or beyond the end: the last). A query (the default order) is counted in the
    statement that reads its page (``COUNT(*) OVER ()``): one pass over the team's
    trajectories instead of two."""
    paginator = Paginator(ids, PAGE_SIZE)
    try:
        wanted = int(number or 1)
    except ValueError:
        wanted = 1
    if isinstance(ids, list) or wanted < 1:
        return paginator.get_page(number)
    start = (wanted - 1) * PAGE_SIZE
    rows = list(
        ids.values_list("pk").annotate(total=Window(Count("pk")))[start : start + PAGE_SIZE]
    )
    if not rows and wanted > 1:  # beyond the end: the last page, counted apart
        return paginator.get_page(number)
    paginator.count = rows[0][1] if rows else 0  # what its count would ask the database
    return Page([pk for pk, _total in rows], wanted, paginator)


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
    queryset = cast(TrajectoryQuerySet, policy.team_overview_queryset(user))
    if not filters.get("closed"):
        queryset = queryset.filter(closed_at__isnull=True)
    if filters.get("phase"):
        queryset = queryset.filter(phase=filters["phase"])
    if filters.get("professional"):
        queryset = queryset.filter(professional_id=filters["professional"])
    sort = filters.get("sort") or DEFAULT_SORT
    ids = overview_order(
        queryset,
        now=now,
        as_of=as_of,
        sort=sort,
        descending=bool(filters.get("descending")),
        overdue=bool(filters.get("overdue")),
        unconfirmed=bool(filters.get("unconfirmed")),
    )
    page = _page(ids, request.GET.get("page"))
    rows = overview_page_rows(user, page.object_list, now, as_of)
    record(
        user,
        Action.LIST,
        request=request,
        detail=f"team overview page {page.number}",
        listed=[row.trajectory.youth_id for row in rows],
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "trajectories/overview.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "total": page.paginator.count,
            "sort": sort,
            "sorts": OVERVIEW_SORTS,
            "querystring": query.urlencode(),
            "today": as_of,
            "can_intake": policy.can_start_intake(user),
        },
    )
