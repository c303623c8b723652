"""Time to JIM (the search, its events and censoring) and JIM positioned."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from yim.research.evidence.definitions.base import (
    CENSORED,
    JIM_FOUND,
    NO_JIM,
    Scope,
    cohort,
)

# --- time to JIM ------------------------------------------------------------------------


class Search(NamedTuple):
    """One trajectory's search for a JIM, as of the scope's day (an immutable record: a
    named tuple, which is built several times faster than a frozen dataclass — there is
    one per trajectory of the cohort).

    ``status``: 1 a JIM accepted (the first acceptance), 2 "no JIM found" was recorded (the
    competing event), 0 censored (closed without either, or still searching on ``as_of``).
    The first of the two events counts; a JIM found after "no JIM found" is counted in
    ``jim_after_no_jim`` of the summary, not as the event. ``positioned_on``: the day the JIM
    was positioned, when that was by ``as_of`` (:func:`positioned_on`).
    """

    trajectory_id: int
    referred_on: dt.date
    jim_on: dt.date | None
    no_jim_on: dt.date | None
    closed_on: dt.date | None
    status: int
    end_on: dt.date
    positioned_on: dt.date | None = None

    @property
    def days(self) -> int:
        return (self.end_on - self.referred_on).days


def _search(
    pk: int,
    referred_on: dt.date,
    jim_on: dt.date | None,
    no_jim_on: dt.date | None,
    closed_on: dt.date | None,
    as_of: dt.date,
    positioned_on: dt.date | None = None,
) -> Search:
    """One trajectory's search as of ``as_of``, from the first day of each event (each
    counts when it lies on or before ``as_of``)."""

    def by_as_of(day: dt.date | None) -> dt.date | None:
        return day if day is not None and day <= as_of else None

    jim_on, no_jim_on, closed_on = by_as_of(jim_on), by_as_of(no_jim_on), by_as_of(closed_on)
    if jim_on is not None and (no_jim_on is None or jim_on <= no_jim_on):
        status, end_on = JIM_FOUND, jim_on
    elif no_jim_on is not None:
        status, end_on = NO_JIM, no_jim_on
    else:
        status, end_on = CENSORED, closed_on or as_of
    positioned = by_as_of(positioned_on)
    return Search(pk, referred_on, jim_on, no_jim_on, closed_on, status, end_on, positioned)


def searches(scope: Scope) -> list[Search]:
    """Time to JIM for every trajectory of the cohort, in one query.

    From the referral date to the response date of the first candidate who accepted; the
    competing event is "no JIM found" (its recorded date); censored at closure without
    either, or at ``as_of`` while searching.
    """
    return searches_and_closures(scope)[0]


def searches_and_closures(scope: Scope) -> tuple[list[Search], dict[int, str]]:
    """:func:`searches`, and from the same query the closures by ``as_of``: per closed
    trajectory its ``Closure.jim_relationship`` (what :func:`continuation` reads).

    The first acceptance and the first "no JIM found" are the trajectory's stored facts
    (:mod:`yim.trajectories.facts`): each counts as of ``as_of`` when its day lies on or
    before it — the same answer as the records give, read in one join.
    """
    as_of = scope.as_of
    rows = (
        cohort(scope)
        .order_by("pk")
        .values_list(
            "pk", "referred_on", "facts__jim_found_on", "facts__no_jim_on",
            "closure__closed_on", "closure__jim_relationship", "facts__jim_positioned_on",
        )
    )  # fmt: skip
    found, closures = [], {}
    for pk, referred_on, jim_on, no_jim_on, closed_on, relationship, positioned_on in rows:
        search = _search(pk, referred_on, jim_on, no_jim_on, closed_on, as_of, positioned_on)
        found.append(search)
        if search.closed_on is not None:  # closed by as_of
            closures[pk] = relationship
    return found, closures


# --- JIM positioned ----------------------------------------------------------------------


def positioned_on(scope: Scope) -> dict[int, dt.date]:
    """The day each trajectory's JIM was positioned, for trajectories where that happened by
    ``as_of``.

    Positioned: the first care meeting (of any kind, held by ``as_of``) with a JIM among
    those present, on a day when an accepted JIM of the trajectory had complete consent —
    every party the age rule asked for on the day of the latest consent record said yes
    (reluctantly or not), counting only records given by that day
    (:func:`yim.trajectories.facts.positioned_days` works it out from the records). Read here
    from the trajectory's stored facts with the search (:func:`searches`, one query): the
    stored day counts when it lies on or before ``as_of``.
    """
    return {s.trajectory_id: s.positioned_on for s in searches(scope) if s.positioned_on}
