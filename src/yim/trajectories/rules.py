"""Pure rules of the JIM approach: ages, consent by age, due dates.

No database here: these functions take dates and return answers, so they are easy to test
exhaustively (see the property-based tests) and the models only wire them to fields.

Dates of events are judged on the calendar of Europe/Amsterdam: a consent recorded at
23:30 on the evening before a 16th birthday (22:30 UTC in winter) was given by a 15-year-old,
and one recorded at 00:30 on the birthday (still the previous day in UTC) by a 16-year-old.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

#: Consent by age (Dutch WGBO / Jeugdwet practice): under 12 the parents decide; from 12 to 15
#: the youth *and* the parents; from 16 the youth alone.
YOUTH_CONSENTS_FROM = 12
YOUTH_ALONE_FROM = 16
ADULT_AGE = 18

#: The JIM approach is for youth aged 12 to 23 (on the referral date); outside that range a
#: trajectory needs a recorded reason.
APPROACH_AGE_FROM = 12
APPROACH_AGE_TO = 23

#: After an emergency placement the JIM must be consulted within this many days.
EMERGENCY_CONSULTATION_DAYS = 7

#: Follow-up after closure, in months: does the JIM relationship continue?
FOLLOW_UP_MONTHS: tuple[int, ...] = (6, 12, 24)


def amsterdam_day(value: dt.date | dt.datetime) -> dt.date:
    """The calendar day in Europe/Amsterdam on which ``value`` falls.

    A plain date is already a day. A datetime must be timezone-aware: a naive one is
    ambiguous, and guessing would silently move events across midnight.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a naive datetime has no day in Amsterdam; pass an aware one")
        return value.astimezone(AMSTERDAM).date()
    return value


def ends_of_day(day: dt.date) -> dt.datetime:
    """The first instant after the Amsterdam day ``day``.

    ``column < ends_of_day(day)`` holds exactly when the column's Amsterdam day is on or
    before ``day``: the same rule as "its Amsterdam day <= day", but a plain comparison a
    database answers from an index, where the day would be computed row by row (on SQLite by
    a Python function per row: most of the time of the evidence summary).
    """
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=AMSTERDAM)


def age_on(date_of_birth: dt.date, on: dt.date | dt.datetime) -> int:
    """Age in completed years on a day (Amsterdam calendar).

    Someone born on 29 February has their birthday on 1 March in common years: on
    28 February they have not yet completed the year. (This is the reading of the Dutch
    civil code's "completed years"; it is the conservative choice for consent, because it
    never makes a child older than the calendar does.)
    """
    day = amsterdam_day(on)
    if day < date_of_birth:
        raise ValueError(f"{day} is before the date of birth {date_of_birth}")
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - int(before_birthday)


def birthday(date_of_birth: dt.date, age: int) -> dt.date:
    """The first day on which someone born on ``date_of_birth`` is ``age`` (by :func:`age_on`:
    a child born on 29 February turns a year older on 1 March in common years)."""
    year = date_of_birth.year + age
    if (date_of_birth.month, date_of_birth.day) == (2, 29) and not calendar.isleap(year):
        return dt.date(year, 3, 1)
    return date_of_birth.replace(year=year)


@dataclass(frozen=True)
class ConsentRequirement:
    """Whose consent is needed on a day."""

    youth: bool
    parents: bool
    age: int

    @property
    def parties(self) -> tuple[str, ...]:
        return tuple(p for p, needed in (("youth", self.youth), ("parent", self.parents)) if needed)


def required_consent(date_of_birth: dt.date, on: dt.date | dt.datetime) -> ConsentRequirement:
    """Who must consent on ``on``: under 12 parents; 12–15 youth and parents; 16+ youth alone."""
    age = age_on(date_of_birth, on)
    return ConsentRequirement(
        youth=age >= YOUTH_CONSENTS_FROM, parents=age < YOUTH_ALONE_FROM, age=age
    )


@functools.lru_cache(maxsize=16384)
def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the last day of the month when that day does not exist.

    Kept for the days asked most recently: the team overview and the work list judge the
    evaluation schedule of every open trajectory of a team per request (13,700 calls for
    3,125 open trajectories at 50,000 youth), on a few thousand distinct days."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def consultation_due(decided_on: dt.date) -> dt.date:
    return decided_on + dt.timedelta(days=EMERGENCY_CONSULTATION_DAYS)


@dataclass(frozen=True)
class EvaluationDue:
    """One evaluation in a trajectory's schedule.

    ``status``: ``done`` (held on or before the due date), ``late`` (held after it),
    ``overdue`` (due date passed, not held, trajectory open), ``missed`` (the same, in a
    closed trajectory) or ``upcoming``.
    """

    due_on: dt.date
    held_on: dt.date | None
    status: str

    @property
    def is_overdue(self) -> bool:
        return self.status == "overdue"


def evaluation_schedule(
    start: dt.date,
    held: list[dt.date],
    interval_months: int,
    as_of: dt.date,
    end: dt.date | None = None,
) -> list[EvaluationDue]:
    """Evaluations due every ``interval_months`` from ``start``, matched with those held.

    The next evaluation is due ``interval_months`` after the previous one was held, or after
    the previous due date when that one was missed. An evaluation held before the *following*
    due date counts for the current one (``done`` when on time, ``late`` after it). The
    schedule stops at ``end`` (closure; a due date passed without evaluation is then
    ``missed``) or, for an open trajectory, at the first evaluation still ``upcoming``
    after ``as_of`` (passed due dates are ``overdue``).
    """
    if interval_months < 1:
        raise ValueError("interval_months must be at least 1")
    remaining = sorted(h for h in held if h > start)
    horizon = min(as_of, end) if end is not None else as_of
    schedule: list[EvaluationDue] = []
    cursor = start
    while True:
        due = add_months(cursor, interval_months)
        following = add_months(due, interval_months)
        if remaining and remaining[0] <= horizon and remaining[0] < following:
            taken = remaining.pop(0)
            schedule.append(EvaluationDue(due, taken, "done" if taken <= due else "late"))
            cursor = taken
            continue
        if due > horizon:
            if end is None:
                schedule.append(EvaluationDue(due, None, "upcoming"))
            return schedule
        schedule.append(EvaluationDue(due, None, "missed" if end is not None else "overdue"))
        cursor = due


def next_evaluation_due(start: dt.date, held: list[dt.date], interval_months: int) -> dt.date:
    """The first due date of :func:`evaluation_schedule` not met (overdue or upcoming) for an
    open trajectory, without building the schedule: each held evaluation (after ``start``)
    meets the one due before it, unless it came on or after the *following* due date — then
    that earlier one is the first not met. Otherwise the next is due ``interval_months``
    after the last one held (or the start).

    It does not depend on the day it is asked: evaluations cannot be recorded as held in the
    future, and one overdue stays the first not met. So it can be stored, and "overdue" is
    this day lying on or before today. Pinned against the schedule in the tests."""
    if interval_months < 1:
        raise ValueError("interval_months must be at least 1")
    cursor = start
    for taken in sorted(h for h in held if h > start):
        due = add_months(cursor, interval_months)
        if taken >= add_months(due, interval_months):
            return due
        cursor = taken
    return add_months(cursor, interval_months)


@dataclass(frozen=True)
class MentorSearch:
    """One row for a Kaplan–Meier estimate of time to mentor.

    ``days`` runs from the start of the trajectory to the first JIM's acceptance
    (``found``) or, for youth still searching, to the censoring day (closure or today).
    """

    days: int
    found: bool


def mentor_search(
    started_on: dt.date, found_on: dt.date | None, censored_on: dt.date
) -> MentorSearch:
    if found_on is not None:
        return MentorSearch(max((found_on - started_on).days, 0), True)
    return MentorSearch(max((censored_on - started_on).days, 0), False)
