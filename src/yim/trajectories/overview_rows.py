"""The rows of the team overview and the worklist: one trajectory with what is due.

One annotated query for the trajectories in the user's team scope
(``Trajectory.objects.with_overview(as_of)``: the annotations and the prefetch of the
evaluation dates); each row is then judged in memory, the evaluation schedule by the
model's own method on the prefetched dates. Used by the team overview page and the
home page's worklist.

A team holds thousands of trajectories, so the overview does not build a row for each:
:func:`overview_order` filters in the database (phase, professional, open or closed, an
emergency to confirm, "overdue only"), orders by the next evaluation there too (a stored
fact of each trajectory), or for the other sorts reads only the few columns the sort needs
in one narrow query; the page then builds :class:`OverviewRow` objects for its 25
trajectories only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import F, Q, QuerySet

from yim import policy
from yim.accounts.models import User
from yim.programmes.phases import phase_index
from yim.trajectories.models import Trajectory
from yim.trajectories.models.trajectory import TrajectoryQuerySet

#: The sorts of the overview (``OVERVIEW_SORTS`` in the form), the default first.
DEFAULT_SORT = "next_evaluation"


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
    trajectories = cast(TrajectoryQuerySet, policy.team_overview_queryset(user))
    return trajectories.with_overview(as_of).select_related("youth", "professional", "programme")


def overview_row(trajectory: Trajectory, now: dt.datetime, as_of: dt.date) -> OverviewRow:
    # The evaluation meetings are prefetched by with_overview(): no query per row here.
    schedule = trajectory.evaluations_due(as_of)
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


def overview_page_rows(
    user: User, ids: Iterable[int], now: dt.datetime, as_of: dt.date
) -> list[OverviewRow]:
    """The rows of one page, in the order of ``ids``: one annotated query (and the prefetch
    of their evaluation dates) for those trajectories only."""
    wanted = list(ids)
    by_pk = {t.pk: t for t in overview_queryset(user, as_of).filter(pk__in=wanted)}
    return [overview_row(by_pk[pk], now, as_of) for pk in wanted if pk in by_pk]


def anything_overdue(as_of: dt.date) -> Q:
    """Anything overdue on ``as_of`` (today), from the stored facts — what a row's schedule
    and flags say: the next evaluation's day has come, or a JIM consultation's or a
    follow-up's day has passed."""
    return (
        Q(facts__next_evaluation_on__lte=as_of)
        | Q(facts__consultation_due_on__lt=as_of)
        | Q(facts__follow_up_due_on__lt=as_of)
    )


def emergency_to_act_on(as_of: dt.date) -> Q:
    """An emergency placement waits for a team lead's confirmation, or its JIM consultation
    is overdue on ``as_of``: a team lead's work (from the stored facts)."""
    return Q(facts__emergency_to_confirm=True) | Q(facts__consultation_due_on__lt=as_of)


def overview_order(
    trajectories: TrajectoryQuerySet,
    *,
    now: dt.datetime,
    as_of: dt.date,
    sort: str = DEFAULT_SORT,
    descending: bool = False,
    overdue: bool = False,
    unconfirmed: bool = False,
) -> list[int] | QuerySet[Trajectory, int]:
    """The ids of ``trajectories`` (already filtered in the database by phase, professional,
    open or closed) in the overview's order, keeping only the overdue ones or those with an
    emergency to confirm on request. ``as_of`` is today: the stored next evaluation counts
    every evaluation held, and none can be held later than today.

    The keys are the rows' own (the days in phase, the days to the first JIM and the next
    evaluation as :func:`overview_row` counts them; ties by id). The next evaluation is the
    trajectory's stored fact (``TrajectoryFacts.next_evaluation_on``, kept on write by
    :mod:`yim.trajectories.facts`), so the default order — by next evaluation — and the
    "overdue only" filter run in the database, and the answer is a query the paginator
    counts and cuts one page from. The other keys (a name as Python folds its case, whole
    days since a moment, days between two dates) read the few columns they need in one
    narrow query and are sorted here: no model instance per row, and a number of queries
    that does not grow with the trajectories."""
    queryset = trajectories.order_by()
    if unconfirmed:
        queryset = queryset.filter(facts__emergency_to_confirm=True)
    if overdue:
        queryset = queryset.filter(anything_overdue(as_of))
    if sort not in _KEYS:  # the default, or an unknown sort
        sort = DEFAULT_SORT
    if sort == DEFAULT_SORT:
        due = F("facts__next_evaluation_on")  # none once closed: last, as the rows' key has it
        order = (
            (due.desc(nulls_first=True), "-pk") if descending else (due.asc(nulls_last=True), "pk")
        )
        return queryset.order_by(*order).values_list("pk", flat=True)
    if sort == "time_to_mentor":
        queryset = queryset.with_mentor_dates()
    lines = list(queryset.values("pk", *_KEY_FIELDS[sort]))
    if sort == "professional":
        names = {
            u.pk: str(u)
            for u in User.objects.filter(pk__in={line["professional_id"] for line in lines})
        }
        for line in lines:
            line["professional"] = names.get(line["professional_id"], "")
    key = _KEYS[sort]
    lines.sort(key=lambda line: key(line, now), reverse=descending)
    return [line["pk"] for line in lines]


#: The columns each sort sorted here reads (beyond the id); the default sort, by next
#: evaluation, runs in the database.
_KEY_FIELDS: dict[str, list[str]] = {
    "youth": ["youth__display_name"],
    "phase": ["phase"],
    "days_in_phase": ["phase_entered_at"],
    "time_to_mentor": ["referred_on", "first_jim_on"],
    "professional": ["professional_id"],
}


def _days_to_mentor(line: dict[str, Any]) -> int | None:
    # Trajectory.time_to_mentor, on the values.
    found = line["first_jim_on"]
    return None if found is None else max((found - line["referred_on"]).days, 0)


#: The same keys as the rows' (days in phase as Trajectory.time_in_current_phase counts them).
_KEYS: dict[str, Callable[[dict[str, Any], dt.datetime], Any]] = {
    "youth": lambda line, now: (line["youth__display_name"].casefold(), line["pk"]),
    "phase": lambda line, now: (phase_index(line["phase"]), line["pk"]),
    "days_in_phase": lambda line, now: (
        max(now - line["phase_entered_at"], dt.timedelta(0)).days,
        line["pk"],
    ),
    "time_to_mentor": lambda line, now: (
        _days_to_mentor(line) is None,
        _days_to_mentor(line) or 0,
        line["pk"],
    ),
    "professional": lambda line, now: (line["professional"].casefold(), line["pk"]),
}
