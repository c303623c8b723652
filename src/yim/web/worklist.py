"""The Start page's work list: what is due or overdue across a caseload, with links.

For a professional: their own youth's open trajectories — evaluations due (within
:data:`SOON_DAYS`) or overdue, candidates whose answer is still to be recorded, consent still
open for the active JIM, JIM consultations after an emergency placement, follow-ups, meetings
planned within :data:`SOON_DAYS` (or planned and passed, still to record as held). For a team
lead: the team's emergency placements awaiting confirmation and overdue consultations, and the
team's figures. Comparison (care-as-usual) trajectories are no casework and never appear
(the team overview's queryset leaves them out).

Set-based, so a team of hundreds of open trajectories costs a fixed number of queries and no
model instance per trajectory: one narrow query reads each open trajectory's few columns and
flags (``with_due_flags``, ``with_mentor_dates``) with its next evaluation, a stored fact
(``TrajectoryFacts.next_evaluation_on``, kept on write by :mod:`yim.trajectories.facts`):
overdue when that day has come. The candidate answers, the planned
meetings and the follow-ups are one query each; consent is judged per active JIM by the
model's own rule (``Candidate.consent_status``) on prefetched records, three queries for all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yim import policy
from yim.accounts.models import Role
from yim.trajectories.models import Candidate, FollowUp, Meeting, Response
from yim.trajectories.models.consent import authority_holders_prefetch
from yim.trajectories.overview_rows import anything_overdue, emergency_to_act_on

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


@dataclass(frozen=True)
class _Line:
    """What the work list reads of one open trajectory (no model instance)."""

    pk: int
    youth: str
    next_evaluation: dt.date | None
    evaluation_overdue: bool
    consultation_overdue: bool
    follow_up_overdue: bool
    emergency_unconfirmed: bool
    with_jim: bool

    @property
    def anything_overdue(self) -> bool:
        return self.evaluation_overdue or self.consultation_overdue or self.follow_up_overdue


def work_list(user: Any, as_of: dt.date | None = None) -> WorkList | None:
    """The work list of a professional or team lead (None for everyone else)."""
    if not policy.can_see_team_overview(user) or user.role not in (
        Role.PROFESSIONAL,
        Role.TEAM_LEAD,
    ):
        return None
    as_of = as_of or timezone.localdate()
    trajectories = policy.team_overview_queryset(user).filter(closed_at__isnull=True)
    lead = user.role == Role.TEAM_LEAD
    if not lead:
        trajectories = trajectories.filter(professional=user)
    # A team lead's items are the emergencies (to confirm, a consultation overdue): only those
    # trajectories are read as lines, and the team's figures are counted in the database.
    lines = _lines(trajectories, as_of, only=emergency_to_act_on(as_of) if lead else None)
    soon = as_of + dt.timedelta(days=SOON_DAYS)
    items: list[WorkItem] = []
    for line in lines:
        due = line.next_evaluation
        evaluation = not lead and due is not None and (line.evaluation_overdue or due <= soon)
        if not (line.emergency_unconfirmed or line.consultation_overdue or evaluation):
            continue  # most trajectories: nothing to do, no link to build
        name, url = line.youth, reverse("trajectories:detail", args=[line.pk])
        if line.emergency_unconfirmed:
            items.append(WorkItem(name, _("Confirm the emergency placement"), url, overdue=True))
        if line.consultation_overdue:
            items.append(
                WorkItem(name, _("Consult the JIM about the emergency placement"), url, None, True)
            )
        if evaluation and due is not None:
            items.append(WorkItem(name, _("Evaluation"), url, due, line.evaluation_overdue))
    if not lead:
        names = {line.pk: line.youth for line in lines}
        items += _answers(names)
        items += _planned_meetings(names, soon, as_of)
        items += _follow_ups(user, soon, as_of)
        items += _open_consents(names)
    items.sort(key=lambda i: (not i.overdue, i.due_on or dt.date.max, i.youth))
    figures = (
        _figures(trajectories, as_of)
        if lead
        else {
            "open": len(lines),
            "with_jim": sum(1 for line in lines if line.with_jim),
            "overdue": sum(1 for line in lines if line.anything_overdue),
        }
    )
    return WorkList(items=items[:MAX_ITEMS], more=max(len(items) - MAX_ITEMS, 0), figures=figures)


def _figures(trajectories: Any, as_of: dt.date) -> dict[str, int]:
    """The open trajectories, those with a JIM and those with anything overdue: one query."""
    counts = trajectories.order_by().aggregate(
        open=Count("pk"),
        with_jim=Count("pk", filter=Q(facts__jim_found_on__isnull=False)),
        overdue=Count("pk", filter=anything_overdue(as_of)),
    )
    return {name: int(counts[name]) for name in ("open", "with_jim", "overdue")}


def _lines(trajectories: Any, as_of: dt.date, only: Q | None = None) -> list[_Line]:
    """The open ``trajectories`` (those of them the condition ``only`` keeps) by id, from one
    narrow query: their columns, flags and stored next evaluation (overdue once its day has
    come)."""
    if only is not None:
        trajectories = trajectories.filter(only)
    values = (
        trajectories.with_due_flags(as_of)
        .with_mentor_dates()
        .order_by("pk")
        .values(
            "pk",
            "youth__display_name",
            "facts__next_evaluation_on",
            "first_jim_on",
            "has_overdue_consultation",
            "has_overdue_follow_up",
            "has_unconfirmed_emergency",
        )
    )
    return [
        _Line(
            pk=row["pk"],
            youth=row["youth__display_name"],
            next_evaluation=(due := row["facts__next_evaluation_on"]),
            evaluation_overdue=due is not None and due <= as_of,
            consultation_overdue=bool(row["has_overdue_consultation"]),
            follow_up_overdue=bool(row["has_overdue_follow_up"]),
            emergency_unconfirmed=bool(row["has_unconfirmed_emergency"]),
            with_jim=row["first_jim_on"] is not None,
        )
        for row in values
    ]


def _answers(names: dict[int, str]) -> list[WorkItem]:
    """Candidates whose answer is still to be recorded (``names``: youth by trajectory)."""
    items: list[WorkItem] = []
    pending = (
        Candidate.objects.filter(
            trajectory_id__in=names,
            response=Response.PENDING,
            round__closed_on__isnull=True,  # a round closes when a JIM is found
        )
        .select_related("person")
        .order_by("named_on", "pk")
    )
    for c in pending:
        items.append(
            WorkItem(
                names[c.trajectory_id],
                _("Record the response of %(name)s") % {"name": c.person.display_name},
                reverse("trajectories:candidate", args=[c.pk]),
            )
        )
    return items


def _planned_meetings(names: dict[int, str], soon: dt.date, as_of: dt.date) -> list[WorkItem]:
    """Meetings on the agenda within ``soon``; one whose day passed waits to be recorded."""
    planned = Meeting.objects.planned().filter(trajectory_id__in=names, planned_for__lte=soon)
    items: list[WorkItem] = []
    for m in planned[:MAX_ITEMS]:
        kind = {"kind": m.get_kind_display()}
        passed = m.planned_for is not None and m.planned_for < as_of
        items.append(
            WorkItem(
                names[m.trajectory_id],
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
        FollowUp.objects.due(soon)
        .filter(trajectory__in=policy.team_overview_queryset(user).filter(professional=user))
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


def _open_consents(names: dict[int, str]) -> list[WorkItem]:
    """Active JIMs whose consent is not complete, judged by ``Candidate.consent_status`` on
    the consent records and the holders of authority prefetched for all of them at once."""
    holders = authority_holders_prefetch()
    holders.add_prefix("trajectory__youth")  # the youth's holders, reached from the JIM
    jims = (
        Candidate.objects.filter(
            trajectory_id__in=names,
            response=Response.ACCEPTED,
            jim_ended_on__isnull=True,
        )
        .select_related("person", "trajectory__youth")
        .prefetch_related("consents", holders)
    )
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
