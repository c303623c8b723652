"""JIM positioned: the first care meeting with a JIM present on a day when an accepted JIM
of the trajectory had complete consent — one of the days :mod:`yim.trajectories.facts`
keeps per trajectory, worked out set-based for many trajectories at once.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate

from yim.trajectories.models import (
    AttendeeRole,
    Candidate,
    ConsentParty,
    ConsentRecord,
    Meeting,
    NetworkPerson,
    Response,
    Trajectory,
)
from yim.trajectories.models.consent import GIVEN, SETTLED
from yim.trajectories.rules import (
    AMSTERDAM,
    YOUTH_ALONE_FROM,
    YOUTH_CONSENTS_FROM,
    birthday,
    ends_of_day,
)

#: At most this many ids go into a query as a list; more are asked for by a subquery.
IN_LIST_LIMIT = 500


def positioned_days(
    trajectories: QuerySet[Trajectory], as_of: dt.date | None = None
) -> dict[int, dt.date]:
    """The day each of ``trajectories`` had its JIM positioned, where that happened.

    Positioned: the first care meeting (of any kind, held by ``as_of``) with a JIM among
    those present, on a day when an accepted JIM of the trajectory had complete consent —
    by the rule of :meth:`Candidate.consent_status`, counting only records given by that
    day: every party the age rule asked for on the day of the latest consent record said
    yes (reluctantly or not); where the parents are asked and holders of parental authority
    are recorded on the youth's file, every holder said yes or was recorded as not asked.

    Three queries: the accepted JIMs, each with the first such meeting from its acceptance
    on (a subquery), their consent records, and the holders of parental authority of their
    youth (none without consent records). Per JIM, the days its consent was complete
    (:func:`_complete_spans`) decide whether that meeting counts; only for a JIM whose
    consent was complete only later (rare) the trajectory's other meeting days are read, in
    one more query, and searched in sorted order.
    """
    # The first such meeting: read in date order from the index of held meetings by
    # trajectory (``meeting_held_by_trajectory``), so the database stops at the first one with
    # a JIM present, where MIN() would look up the attendees of every later meeting too.
    first_meeting = (
        _meetings_with_jim(as_of)
        .filter(trajectory=OuterRef("trajectory_id"), held_on__gte=OuterRef("response_on"))
        .order_by("held_on")
        .values("held_on")[:1]
    )
    accepted = Candidate.objects.filter(trajectory__in=trajectories, response=Response.ACCEPTED)
    consents = ConsentRecord.objects.all()
    if as_of is not None:
        accepted = accepted.filter(response_on__lte=as_of)
        consents = consents.filter(given_at__lt=ends_of_day(as_of))
    jims = (
        accepted.annotate(first_meeting=Subquery(first_meeting))
        .order_by()
        .values_list(
            "pk", "trajectory_id", "response_on", "jim_ended_on",
            "trajectory__youth__date_of_birth", "first_meeting", "trajectory__youth_id",
        )
    )  # fmt: skip
    # The accepted JIMs' ids alone (not ``jims``: its youth join and meeting subquery would
    # be evaluated again inside this query).
    consents = consents.filter(candidate__in=accepted.values("pk")).order_by(
        "candidate_id", "given_at", "pk"
    )
    records: dict[int, list[Consent]] = defaultdict(list)
    for candidate_id, party, decision, holder_id, day in _with_amsterdam_day(
        consents, ("candidate_id", "party", "decision", "holder_id"), "given_at"
    ):
        records[candidate_id].append(Consent(party, decision, day, holder_id))
    holders: dict[int, frozenset[int]] = defaultdict(frozenset)
    if records:
        holders.update(_authority_holders(consents))
    result: dict[int, dt.date] = {}

    def positioned(trajectory_id: int, day: dt.date) -> None:
        if trajectory_id not in result or day < result[trajectory_id]:
            result[trajectory_id] = day

    later: list[tuple[int, dt.date, dt.date | None, list[tuple[dt.date, dt.date | None]]]] = []
    for pk, trajectory_id, accepted_on, ended_on, born, first, youth_id in jims:
        if accepted_on is None or first is None or pk not in records:
            continue  # no meeting with a JIM since this JIM accepted, or no consent
        if ended_on is not None and first > ended_on:
            continue  # none while this JIM was active
        spans = _complete_spans(records[pk], born, holders[youth_id])
        if not spans:
            continue
        start, stop = spans[0]
        if start <= first and (stop is None or first < stop):
            positioned(trajectory_id, first)
        else:  # consent complete only after the first meeting: look at the later ones
            later.append((trajectory_id, accepted_on, ended_on, spans))
    if later:
        held: dict[int, list[dt.date]] = defaultdict(list)
        ids = {row[0] for row in later}
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


class Consent(NamedTuple):
    """One consent record as the positioned day reads it (``day``: its Amsterdam day)."""

    party: str
    decision: str
    day: dt.date
    holder_id: int | None


def _authority_holders(consents: QuerySet[ConsentRecord]) -> dict[int, frozenset[int]]:
    """The holders of parental authority (person ids by youth id) on the files of the youth
    with a parent's record among ``consents``: as
    :func:`~yim.trajectories.models.consent.authority_holders` gives them to
    :meth:`Candidate.consent_status`, the current ones. A JIM without a parent's record has
    the parents' part open with holders or without, so their youth are not asked for."""
    found: dict[int, set[int]] = defaultdict(set)
    parents = consents.filter(party=ConsentParty.PARENT).order_by()
    holders = NetworkPerson.objects.filter(
        has_parental_authority=True, youth__in=parents.values("trajectory__youth_id")
    )
    for youth_id, person_id in holders.order_by().values_list("youth_id", "pk"):
        found[youth_id].add(person_id)
    return {youth_id: frozenset(ids) for youth_id, ids in found.items()}


def _meetings_with_jim(as_of: dt.date | None) -> QuerySet[Meeting]:
    """Care meetings held (by ``as_of``) with a JIM among those present."""
    meetings = Meeting.objects.held().filter(  # a planned meeting has not happened
        attendees__role=AttendeeRole.JIM, attendees__present=True
    )
    return meetings if as_of is None else meetings.filter(held_on__lte=as_of)


def _with_amsterdam_day(rows: QuerySet[Any], fields: tuple[str, ...], moment: str) -> Any:
    """``fields`` of each of ``rows`` and, last, the Amsterdam day of its ``moment`` column.

    Where the day is computed depends on the database, for speed only (the days are the same):
    PostgreSQL computes it at almost no cost, and returns a date where it would otherwise build
    a time-zone-aware date-time per row (49,114 consent records at 100,000 youth: 0.17 s
    instead of 0.32 s); SQLite would call a Python function per row, slower than converting
    the date-time here (0.18 s instead of 0.12 s at 20,000 youth).
    """
    if connection.vendor == "postgresql":
        day = TruncDate(moment, tzinfo=AMSTERDAM)
        return iter(rows.annotate(amsterdam_day=day).values_list(*fields, "amsterdam_day"))
    return (
        (*row[:-1], row[-1].astimezone(AMSTERDAM).date())
        for row in rows.values_list(*fields, moment)
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
    records: list[Consent], born: dt.date, holders: frozenset[int] = frozenset()
) -> list[tuple[dt.date, dt.date | None]]:
    """The Amsterdam days on which one JIM's consent was complete, as ``[start, stop)`` spans
    (``stop`` None: still complete), from its records in the order given.

    Complete on a day: by the rule of :meth:`Candidate.consent_status`, with only the
    records given by that day — so the status can change only on a day with records, and
    is decided by all of that day's records together. Who must consent is the age rule of
    :func:`~yim.trajectories.rules.required_consent`, read from the youth's 12th and 16th
    birthdays (the same bands, a test holds them together): two date comparisons per day
    instead of an age computed per day (32,174 JIMs at 100,000 youth). Where the parents
    consent: with ``holders`` of parental authority on the file, each one's latest decision
    settles it (yes, or recorded as not asked); without, the latest parent's yes.
    """
    youth_from, parents_until = (
        birthday(born, YOUTH_CONSENTS_FROM),
        birthday(born, YOUTH_ALONE_FROM),
    )
    youth = parent = None  # the latest decision of each party
    by_holder: dict[int, str] = {}  # the latest decision of each holder of authority
    spans: list[tuple[dt.date, dt.date | None]] = []
    since: dt.date | None = None  # the start of the current complete span
    last = len(records) - 1
    for i, record in enumerate(records):
        if record.party == ConsentParty.YOUTH:
            youth = record.decision
        elif record.party == ConsentParty.PARENT:
            parent = record.decision
            if record.holder_id is not None:
                by_holder[record.holder_id] = record.decision
        day = record.day
        if i < last and records[i + 1].day == day:
            continue  # the day's status follows from all its records
        # With holders on the file each one settles the parents' part, else the latest parent.
        parents = all(by_holder.get(h) in SETTLED for h in holders) if holders else parent in GIVEN
        complete = (day < youth_from or youth in GIVEN) and (day >= parents_until or parents)
        if complete and since is None:
            since = day
        elif not complete and since is not None:
            spans.append((since, day))
            since = None
    if since is not None:
        spans.append((since, None))
    return spans
