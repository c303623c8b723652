"""The Start page's work list: what is due or overdue across a caseload, with links.

For a professional: their own youth's open trajectories — evaluations due (within
:data:`SOON_DAYS`) or overdue, candidates whose answer is still to be recorded, consent still
open for the active JIM, JIM consultations after an emergency placement, follow-ups, meetings
planned within :data:`SOON_DAYS` (or planned and passed, still to record as held). For a team
lead: the team's emergency placements awaiting confirmation and overdue consultations, and the
team's figures. Comparison (care-as-usual) trajectories are no casework and never appear
(the team overview's queryset leaves them out).

The rows come from the team overview's queryset (a fixed number of queries); the candidate
answers and follow-ups from one query each. Consent is judged per active JIM by the model's
own rule, for at most :data:`MAX_ITEMS` trajectories.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yim import policy
from yim.accounts.models import Role
from yim.trajectories.models import Candidate, FollowUp, Meeting, Response
from yim.trajectories.overview_rows import overview_queryset, overview_row

SOON_DAYS = 14
MAX_ITEMS = 50


@dataclass(frozen=True)
class WorkItem:
    youth: str
    what: str
    url: str
    due_on: dt.date | None = None
    overdue: bool = False


@dataclass(frozen=True)
class WorkList:
    items: list[WorkItem]
    more: int
    figures: dict[str, int]


def work_list(user: Any, as_of: dt.date | None = None) -> WorkList | None:
    """The work list of a professional or team lead (None for everyone else)."""
    if not policy.can_see_team_overview(user) or user.role not in (
        Role.PROFESSIONAL,
        Role.TEAM_LEAD,
    ):
        return None
    as_of = as_of or timezone.localdate()
    now = timezone.now()
    trajectories = overview_queryset(user, as_of).filter(closed_at__isnull=True)
    lead = user.role == Role.TEAM_LEAD
    if not lead:
        trajectories = trajectories.filter(professional=user)
    rows = [overview_row(t, now, as_of) for t in trajectories.order_by("pk")]
    soon = as_of + dt.timedelta(days=SOON_DAYS)
    items: list[WorkItem] = []
    for row in rows:
        t = row.trajectory
        name, url = t.youth.display_name, reverse("trajectories:detail", args=[t.pk])
        if row.emergency_unconfirmed:
            items.append(WorkItem(name, _("Confirm the emergency placement"), url, overdue=True))
        if row.consultation_overdue:
            items.append(
                WorkItem(name, _("Consult the JIM about the emergency placement"), url, None, True)
            )
        if lead:
            continue
        if row.next_evaluation and (row.evaluation_overdue or row.next_evaluation <= soon):
            items.append(
                WorkItem(name, _("Evaluation"), url, row.next_evaluation, row.evaluation_overdue)
            )
    if not lead:
        items += _answers(rows)
        items += _planned_meetings(rows, soon, as_of)
        items += _follow_ups(user, soon, as_of)
        items += _open_consents(rows[:MAX_ITEMS])
    items.sort(key=lambda i: (not i.overdue, i.due_on or dt.date.max, i.youth))
    figures = {
        "open": len(rows),
        "with_jim": sum(1 for r in rows if r.days_to_mentor is not None),
        "overdue": sum(1 for r in rows if r.anything_overdue),
    }
    return WorkList(items=items[:MAX_ITEMS], more=max(len(items) - MAX_ITEMS, 0), figures=figures)


def _answers(rows: list[Any]) -> list[WorkItem]:
    by_pk = {r.trajectory.pk: r.trajectory for r in rows}
    items: list[WorkItem] = []
    pending = (
        Candidate.objects.filter(
            trajectory_id__in=by_pk,
            response=Response.PENDING,
            round__closed_on__isnull=True,  # a round closes when a JIM is found
        )
        .select_related("person")
        .order_by("named_on", "pk")
    )
    for c in pending:
        items.append(
            WorkItem(
                by_pk[c.trajectory_id].youth.display_name,
                _("Record the response of %(name)s") % {"name": c.person.display_name},
                reverse("trajectories:candidate", args=[c.pk]),
            )
        )
    return items


def _planned_meetings(rows: list[Any], soon: dt.date, as_of: dt.date) -> list[WorkItem]:
    """Meetings on the agenda within ``soon``; one whose day passed waits to be recorded."""
    by_pk = {r.trajectory.pk: r.trajectory for r in rows}
    planned = Meeting.objects.planned().filter(trajectory_id__in=by_pk, planned_for__lte=soon)
    items: list[WorkItem] = []
    for m in planned[:MAX_ITEMS]:
        kind = {"kind": m.get_kind_display()}
        passed = m.planned_for is not None and m.planned_for < as_of
        items.append(
            WorkItem(
                by_pk[m.trajectory_id].youth.display_name,
                _("Record the meeting as held: %(kind)s") % kind
                if passed
                else _("Meeting planned: %(kind)s") % kind,
                reverse("trajectories:meeting", args=[m.pk]),
                m.planned_for,
                passed,
            )
        )
    return items


def _follow_ups(user: Any, soon: dt.date, as_of: dt.date) -> list[WorkItem]:
    """Follow-ups (after closure, so of closed trajectories too) due soon or overdue."""
    follow_ups = (
        FollowUp.objects.filter(
            trajectory__in=policy.team_overview_queryset(user).filter(professional=user),
            done_on__isnull=True,
            due_on__lte=soon,
        )
        .select_related("trajectory__youth")
        .order_by("due_on", "pk")
    )
    return [
        WorkItem(
            f.trajectory.youth.display_name,
            _("Follow-up after %(months)s months") % {"months": f.months},
            reverse("trajectories:follow_up", args=[f.pk]),
            f.due_on,
            f.due_on < as_of,
        )
        for f in follow_ups[:MAX_ITEMS]
    ]


def _open_consents(rows: list[Any]) -> list[WorkItem]:
    jims = Candidate.objects.filter(
        trajectory_id__in=[r.trajectory.pk for r in rows],
        response=Response.ACCEPTED,
        jim_ended_on__isnull=True,
    ).select_related("person", "trajectory__youth")
    items = []
    for jim in jims:
        if not jim.consent_status().complete:
            items.append(
                WorkItem(
                    jim.trajectory.youth.display_name,
                    _("Record consent for %(name)s") % {"name": jim.person.display_name},
                    reverse("trajectories:consent_add", args=[jim.pk]),
                )
            )
    return items
