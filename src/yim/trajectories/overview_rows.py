"""The rows of the team overview and the worklist: one trajectory with what is due.

One annotated query for the trajectories in the user's team scope
(``Trajectory.objects.with_overview(as_of)``: the annotations and the prefetch of the
evaluation dates); each row is then judged in memory, the evaluation schedule by the
model's own method on the prefetched dates. Used by the team overview page and the
home page's worklist.

A team holds thousands of trajectories, so the overview does not build a row for each:
:func:`overview_order` filters in the database (phase, professional, open or closed, an
emergency to confirm), reads for the rest only the few columns a sort or the "overdue"
filter needs (two narrow queries: the trajectories' values and the held evaluations'
dates), orders the ids by the same keys as the rows, and the page then builds
:class:`OverviewRow` objects for its 25 trajectories only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Q

from yim import policy
from yim.accounts.models import User
from yim.programmes.phases import phase_index
from yim.trajectories import rules
from yim.trajectories.models import Trajectory
from yim.trajectories.models.queries import held_evaluations
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


def overview_order(
    trajectories: TrajectoryQuerySet,
    *,
    now: dt.datetime,
    as_of: dt.date,
    sort: str = DEFAULT_SORT,
    descending: bool = False,
    overdue: bool = False,
    unconfirmed: bool = False,
) -> list[int]:
    """The ids of ``trajectories`` (already filtered in the database by phase, professional,
    open or closed) in the overview's order, keeping only the overdue ones or those with an
    emergency to confirm on request.

    The keys are the rows' own (the days in phase, the days to the first JIM and the next
    evaluation as :func:`overview_row` counts them; ties by id): the evaluation schedule
    follows month arithmetic and a chain of held dates that SQL on SQLite and PostgreSQL
    cannot reproduce exactly, so it is computed here (:func:`next_evaluation`) from the
    narrow values of two queries — a number of queries that does not grow with the
    trajectories, and no model instance per row."""
    queryset = trajectories.order_by()
    if unconfirmed or overdue:
        queryset = queryset.with_due_flags(as_of)
    if unconfirmed:
        queryset = queryset.filter(Q(has_unconfirmed_emergency=True))  # the annotation
    if sort not in _KEYS:
        sort = DEFAULT_SORT
    needs_schedule = overdue or sort == "next_evaluation"
    fields = ["pk", *_KEY_FIELDS[sort]]
    if needs_schedule:
        fields += ["referred_on", "closed_at", "programme__evaluation_interval_months"]
    if overdue:
        fields += ["has_overdue_consultation", "has_overdue_follow_up"]
    if sort == "time_to_mentor":
        queryset = queryset.with_mentor_dates()
    lines = list(queryset.values(*fields))
    if needs_schedule:
        held: dict[int, list[dt.date]] = defaultdict(list)
        for trajectory_id, held_on in (
            held_evaluations()
            .filter(trajectory__in=trajectories.order_by().values("pk"))
            .values_list("trajectory_id", "held_on")
        ):
            held[trajectory_id].append(held_on)
        for line in lines:
            line["next_evaluation"], line["evaluation_overdue"] = next_evaluation(
                line["referred_on"],
                held.get(line["pk"], []),
                line["programme__evaluation_interval_months"],
                as_of,
                closed=line["closed_at"] is not None,
            )
    if overdue:
        lines = [
            line
            for line in lines
            if line["evaluation_overdue"]
            or line["has_overdue_consultation"]
            or line["has_overdue_follow_up"]
        ]
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


def next_evaluation(
    start: dt.date, held: list[dt.date], interval_months: int, as_of: dt.date, *, closed: bool
) -> tuple[dt.date | None, bool]:
    """What an overview row reads of :func:`rules.evaluation_schedule` — the first due date
    not met (overdue or upcoming) and whether one is overdue — without building the
    schedule: a closed trajectory has neither; for an open one, each held evaluation
    (after ``start``, up to ``as_of``) meets the one due before it unless it came on or
    after the *following* due date: then that earlier one is the first overdue. Otherwise
    the next is due ``interval_months`` after the last one held (or the start): overdue
    when that day has passed. Pinned against the schedule in the tests."""
    if interval_months < 1:
        raise ValueError("interval_months must be at least 1")
    if closed:
        return None, False
    cursor = start
    for taken in sorted(h for h in held if start < h <= as_of):
        due = rules.add_months(cursor, interval_months)
        if taken >= rules.add_months(due, interval_months):
            return due, True
        cursor = taken
    due = rules.add_months(cursor, interval_months)
    return due, due <= as_of


_FAR = dt.date.max

#: The columns each sort reads (beyond the id).
_KEY_FIELDS: dict[str, list[str]] = {
    "youth": ["youth__display_name"],
    "phase": ["phase"],
    "days_in_phase": ["phase_entered_at"],
    "time_to_mentor": ["referred_on", "first_jim_on"],
    "next_evaluation": [],
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
    "next_evaluation": lambda line, now: (line["next_evaluation"] or _FAR, line["pk"]),
    "professional": lambda line, now: (line["professional"].casefold(), line["pk"]),
}
