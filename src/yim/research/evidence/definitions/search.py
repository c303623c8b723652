"""Time to JIM (the search, its events and censoring) and JIM positioned."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from typing import NamedTuple

from django.db.models import Min, OuterRef, QuerySet, Subquery

from yim.research.evidence.definitions.base import (
    CENSORED,
    IN_LIST_LIMIT,
    JIM_FOUND,
    NO_JIM,
    Scope,
    cohort,
    ends_of_day,
    with_amsterdam_day,
)
from yim.trajectories.models import (
    AttendeeRole,
    Candidate,
    ConsentDecision,
    ConsentParty,
    ConsentRecord,
    Meeting,
    NoJimOutcome,
    Response,
)
from yim.trajectories.rules import YOUTH_ALONE_FROM, YOUTH_CONSENTS_FROM, birthday

# --- time to JIM ------------------------------------------------------------------------


class Search(NamedTuple):
    """One trajectory's search for a JIM, as of the scope's day (an immutable record: a
    named tuple, which is built several times faster than a frozen dataclass — there is
    one per trajectory of the cohort).

    ``status``: 1 a JIM accepted (the first acceptance), 2 "no JIM found" was recorded (the
    competing event), 0 censored (closed without either, or still searching on ``as_of``).
    The first of the two events counts; a JIM found after "no JIM found" is counted in
    ``jim_after_no_jim`` of the summary, not as the event.
    """

    trajectory_id: int
    referred_on: dt.date
    jim_on: dt.date | None
    no_jim_on: dt.date | None
    closed_on: dt.date | None
    status: int
    end_on: dt.date

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
) -> Search:
    closed_on = closed_on if closed_on is not None and closed_on <= as_of else None
    if jim_on is not None and (no_jim_on is None or jim_on <= no_jim_on):
        status, end_on = JIM_FOUND, jim_on
    elif no_jim_on is not None:
        status, end_on = NO_JIM, no_jim_on
    else:
        status, end_on = CENSORED, closed_on or as_of
    return Search(pk, referred_on, jim_on, no_jim_on, closed_on, status, end_on)


def searches(scope: Scope) -> list[Search]:
    """Time to JIM for every trajectory of the cohort, in one query.

    From the referral date to the response date of the first candidate who accepted; the
    competing event is "no JIM found" (its recorded date); censored at closure without
    either, or at ``as_of`` while searching.
    """
    return searches_and_closures(scope)[0]


def searches_and_closures(scope: Scope) -> tuple[list[Search], dict[int, str]]:
    """:func:`searches`, and from the same query the closures by ``as_of``: per closed
    trajectory its ``Closure.jim_relationship`` (what :func:`continuation` reads)."""
    as_of = scope.as_of
    # The earliest day as MIN() per trajectory: an aggregate the database answers from the
    # trajectory index, without sorting each trajectory's rows.
    first_jim = (
        Candidate.objects.filter(
            trajectory=OuterRef("pk"), response=Response.ACCEPTED, response_on__lte=as_of
        )
        .order_by()
        .values("trajectory")
        .annotate(first=Min("response_on"))
        .values("first")
    )
    first_no_jim = (
        NoJimOutcome.objects.filter(trajectory=OuterRef("pk"), recorded_on__lte=as_of)
        .order_by()
        .values("trajectory")
        .annotate(first=Min("recorded_on"))
        .values("first")
    )
    rows = (
        cohort(scope)
        .annotate(jim_on=Subquery(first_jim), no_jim_on=Subquery(first_no_jim))
        .order_by("pk")
        .values_list(
            "pk", "referred_on", "jim_on", "no_jim_on", "closure__closed_on",
            "closure__jim_relationship",
        )
    )  # fmt: skip
    found, closures = [], {}
    for pk, referred_on, jim_on, no_jim_on, closed_on, relationship in rows:
        search = _search(pk, referred_on, jim_on, no_jim_on, closed_on, as_of)
        found.append(search)
        if search.closed_on is not None:  # closed by as_of
            closures[pk] = relationship
    return found, closures


# --- JIM positioned ----------------------------------------------------------------------


def positioned_on(scope: Scope) -> dict[int, dt.date]:
    """The day each trajectory's JIM was positioned, for trajectories where that happened.

    Positioned: the first care meeting (of any kind, held by ``as_of``) with a JIM among
    those present, on a day when an accepted JIM of the trajectory had complete consent —
    every party the age rule asked for on the day of the latest consent record said yes
    (reluctantly or not), counting only records given by that day.

    Two queries: the accepted JIMs, each with the first such meeting from its acceptance
    on (a subquery), and their consent records. Per JIM, the days its consent was complete
    (:func:`_complete_spans`) decide whether that meeting counts; only for a JIM whose
    consent was complete only later (rare) the trajectory's other meeting days are read,
    in one third query, and searched in sorted order.
    """
    as_of = scope.as_of
    trajectories = cohort(scope)
    # The first such meeting: read in date order from the index of held meetings by
    # trajectory (``meeting_held_by_trajectory``), so the database stops at the first one with
    # a JIM present, where MIN() looked up the attendees of every later meeting too.
    first_meeting = (
        _meetings_with_jim(as_of)
        .filter(trajectory=OuterRef("trajectory_id"), held_on__gte=OuterRef("response_on"))
        .order_by("held_on")
        .values("held_on")[:1]
    )
    accepted = Candidate.objects.filter(
        trajectory__in=trajectories, response=Response.ACCEPTED, response_on__lte=as_of
    )
    jims = (
        accepted.annotate(first_meeting=Subquery(first_meeting))
        .order_by()
        .values_list(
            "pk", "trajectory_id", "response_on", "jim_ended_on",
            "trajectory__youth__date_of_birth", "first_meeting",
        )
    )  # fmt: skip
    consents = (
        # The accepted JIMs' ids alone (not ``jims``: its youth join and meeting subquery
        # would be evaluated again inside this query).
        ConsentRecord.objects.filter(
            candidate__in=accepted.values("pk"), given_at__lt=ends_of_day(as_of)
        ).order_by("candidate_id", "given_at", "pk")
    )
    records: dict[int, list[tuple[str, str, dt.date]]] = defaultdict(list)
    for candidate_id, party, decision, day in with_amsterdam_day(
        consents, ("candidate_id", "party", "decision"), "given_at"
    ):
        records[candidate_id].append((party, decision, day))
    result: dict[int, dt.date] = {}

    def positioned(trajectory_id: int, day: dt.date) -> None:
        if trajectory_id not in result or day < result[trajectory_id]:
            result[trajectory_id] = day

    later: list[tuple[int, dt.date, dt.date | None, list[tuple[dt.date, dt.date | None]]]] = []
    for pk, trajectory_id, accepted_on, ended_on, born, first in jims:
        if accepted_on is None or first is None or pk not in records:
            continue  # no meeting with a JIM since this JIM accepted, or no consent
        if ended_on is not None and first > ended_on:
            continue  # none while this JIM was active
        spans = _complete_spans(records[pk], born)
        if not spans:
            continue
        start, stop = spans[0]
        if start <= first and (stop is None or first < stop):
            positioned(trajectory_id, first)
        else:  # consent complete only after the first meeting: look at the later ones
            later.append((trajectory_id, accepted_on, ended_on, spans))
    if later:
        ids = {row[0] for row in later}
        held: dict[int, list[dt.date]] = defaultdict(list)
        rows = (
            _meetings_with_jim(as_of)
            .filter(trajectory__in=ids if len(ids) <= IN_LIST_LIMIT else trajectories)
            .order_by("trajectory_id", "held_on")
            .values_list("trajectory_id", "held_on")
            .distinct()
        )
        for trajectory_id, held_on in rows:
            if held_on is not None:  # a held meeting has its day
                held[trajectory_id].append(held_on)
        for pk, since, until, spans in later:
            found_on = _first_day_in(held[pk], spans, since, until)
            if found_on is not None:
                positioned(pk, found_on)
    return result


def _meetings_with_jim(as_of: dt.date) -> QuerySet[Meeting]:
    """Care meetings held by ``as_of`` with a JIM among those present."""
    return Meeting.objects.held().filter(  # a planned meeting has not happened
        held_on__lte=as_of,
        attendees__role=AttendeeRole.JIM,
        attendees__present=True,
    )


def _first_day_in(
    held: list[dt.date],
    spans: list[tuple[dt.date, dt.date | None]],
    accepted_on: dt.date,
    ended_on: dt.date | None,
) -> dt.date | None:
    """The first of the sorted days ``held`` inside a span of complete consent while the JIM
    was active (from ``accepted_on`` to ``ended_on``), or None."""
    for start, stop in spans:
        i = bisect_left(held, max(start, accepted_on))
        if i == len(held) or (ended_on is not None and held[i] > ended_on):
            return None
        if stop is None or held[i] < stop:
            return held[i]
    return None


def _complete_spans(
    records: list[tuple[str, str, dt.date]], born: dt.date
) -> list[tuple[dt.date, dt.date | None]]:
    """The Amsterdam days on which one JIM's consent was complete, as ``[start, stop)`` spans
    (``stop`` None: still complete), from its records in the order given.

    Complete on a day: by the rule of :meth:`Candidate.consent_status`, with only the
    records given by that day — so the status can change only on a day with records, and
    is decided by all of that day's records together. Who must consent is the age rule of
    :func:`~yim.trajectories.rules.required_consent`, read from the youth's 12th and 16th
    birthdays (the same bands, a test holds them together): two date comparisons per day
    instead of an age computed per day (32,174 JIMs at 100,000 youth).
    """
    yes = (ConsentDecision.YES, ConsentDecision.RELUCTANT_YES)
    youth_from, parents_until = (
        birthday(born, YOUTH_CONSENTS_FROM),
        birthday(born, YOUTH_ALONE_FROM),
    )
    youth = parent = None  # the latest decision of each party
    spans: list[tuple[dt.date, dt.date | None]] = []
    since: dt.date | None = None  # the start of the current complete span
    last = len(records) - 1
    for i, (party, decision, day) in enumerate(records):
        if party == ConsentParty.YOUTH:
            youth = decision
        elif party == ConsentParty.PARENT:
            parent = decision
        if i < last and records[i + 1][2] == day:
            continue  # the day's status follows from all its records
        complete = (day < youth_from or youth in yes) and (day >= parents_until or parent in yes)
        if complete and since is None:
            since = day
        elif not complete and since is not None:
            spans.append((since, day))
            since = None
    if since is not None:
        spans.append((since, None))
    return spans
