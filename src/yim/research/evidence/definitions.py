"""The outcome definitions of the registry — the one place they live (see docs/evidence.md).

Every definition takes a :class:`Scope` with its ``as_of`` day: whatever was recorded for a
later day is ignored, so a figure "as of" a past day is the figure that day would have shown
(for facts with a date of their own; see the limits in docs/evidence.md).

* Unit: a trajectory of the JIM cohort (``Trajectory.cohort == "jim"``) referred on or before
  ``as_of``; comparison (care-as-usual) trajectories are never counted.
* Index date: the referral date (``referred_on``).
* Days are Amsterdam calendar days: date fields are days already; a moment (``finalised_at``,
  ``confirmed_at``, ``submitted_at``, ``given_at``) counts on its Europe/Amsterdam day,
  truncated in the database (``TruncDate(..., tzinfo=AMSTERDAM)``), never SQLite's UTC date;
  "on or before ``as_of``" is asked as "before the end of that Amsterdam day"
  (:func:`ends_of_day`), which the database answers from an index.

Each function reads its rows in one query (or a fixed few), whatever the number of
trajectories; the arithmetic on those rows happens in Python, without further queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate

from yim.monitoring.feedback import FEEDBACK_INSTRUMENT, SCORED_ITEMS
from yim.monitoring.models import Answer, Assessment, Status
from yim.trajectories.models import (
    OUT_OF_HOME,
    AttendeeRole,
    Candidate,
    Closure,
    Cohort,
    ConsentDecision,
    ConsentRecord,
    DecisionStatus,
    FollowUp,
    FollowUpOutcome,
    JimRelationship,
    NoJimOutcome,
    PlacementDecision,
    Response,
    Trajectory,
)
from yim.trajectories.models import PlacementEpisode as EpisodeRecord
from yim.trajectories.rules import AMSTERDAM, FOLLOW_UP_MONTHS, required_consent

#: Event codes of the search for a JIM (the ``status`` of the survival estimators).
CENSORED, JIM_FOUND, NO_JIM = 0, 1, 2

#: The landmark of the with/without-JIM contrast of placement (days after referral).
LANDMARK_DAYS = 90


@dataclass(frozen=True)
class Scope:
    """Which trajectories, as of which day: everything, one organisation, one team or one
    professional's caseload; optionally one programme model and referrals from a day on."""

    as_of: dt.date
    team_id: int | None = None
    organisation_id: int | None = None
    professional_id: int | None = None
    programme_id: int | None = None
    referred_from: dt.date | None = None


def amsterdam_day(field: str) -> TruncDate:
    """The Europe/Amsterdam calendar day of a date-time column, computed in the database."""
    return TruncDate(field, tzinfo=AMSTERDAM)


def ends_of_day(as_of: dt.date) -> dt.datetime:
    """The first instant after the Amsterdam day ``as_of``.

    ``column < ends_of_day(as_of)`` holds exactly when the column's Amsterdam day is on or
    before ``as_of``: the same rule as ``amsterdam_day(column) <= as_of``, but a plain
    comparison the database can answer from an index, where the day would be computed row
    by row (on SQLite by a Python function per row: most of the time of the summary).
    """
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=AMSTERDAM)


def cohort(scope: Scope) -> QuerySet[Trajectory]:
    """The unit of every definition: JIM-cohort trajectories referred by ``as_of``."""
    trajectories = Trajectory.objects.filter(cohort=Cohort.JIM, referred_on__lte=scope.as_of)
    if scope.team_id is not None:
        trajectories = trajectories.filter(team_id=scope.team_id)
    if scope.organisation_id is not None:
        trajectories = trajectories.filter(team__organisation_id=scope.organisation_id)
    if scope.professional_id is not None:
        trajectories = trajectories.filter(professional_id=scope.professional_id)
    if scope.programme_id is not None:
        trajectories = trajectories.filter(programme_id=scope.programme_id)
    if scope.referred_from is not None:
        trajectories = trajectories.filter(referred_on__gte=scope.referred_from)
    return trajectories


# --- time to JIM ------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """One trajectory's search for a JIM, as of the scope's day.

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
    as_of = scope.as_of
    first_jim = (
        Candidate.objects.filter(
            trajectory=OuterRef("pk"), response=Response.ACCEPTED, response_on__lte=as_of
        )
        .order_by("response_on")
        .values("response_on")[:1]
    )
    first_no_jim = (
        NoJimOutcome.objects.filter(trajectory=OuterRef("pk"), recorded_on__lte=as_of)
        .order_by("recorded_on")
        .values("recorded_on")[:1]
    )
    rows = (
        cohort(scope)
        .annotate(jim_on=Subquery(first_jim), no_jim_on=Subquery(first_no_jim))
        .order_by("pk")
        .values_list("pk", "referred_on", "jim_on", "no_jim_on", "closure__closed_on")
    )
    return [_search(*row, as_of=as_of) for row in rows]


# --- JIM positioned ----------------------------------------------------------------------


def positioned_on(scope: Scope) -> dict[int, dt.date]:
    """The day each trajectory's JIM was positioned, for trajectories where that happened.

    Positioned: the first care meeting (of any kind, held by ``as_of``) with a JIM among
    those present, on a day when an accepted JIM of the trajectory had complete consent —
    every party the age rule asked for on the day of the latest consent record said yes
    (reluctantly or not), counting only records given by that day. Three queries.
    """
    as_of = scope.as_of
    trajectories = cohort(scope)
    meetings = (
        trajectories.filter(
            meetings__held_on__lte=as_of,
            meetings__attendees__role=AttendeeRole.JIM,
            meetings__attendees__present=True,
        )
        .values_list("pk", "meetings__held_on")
        .distinct()
    )
    jims = Candidate.objects.filter(
        trajectory__in=trajectories, response=Response.ACCEPTED, response_on__lte=as_of
    ).values_list(
        "pk", "trajectory_id", "response_on", "jim_ended_on", "trajectory__youth__date_of_birth"
    )
    consents = (
        ConsentRecord.objects.filter(
            candidate__in=jims.values("pk"), given_at__lt=ends_of_day(as_of)
        )
        .order_by("given_at", "pk")
        .values_list("candidate_id", "party", "decision", "given_at")
    )
    records: dict[int, list[tuple[str, str, dt.datetime, dt.date]]] = defaultdict(list)
    for candidate_id, party, decision, given_at in consents:
        day = given_at.astimezone(AMSTERDAM).date()
        records[candidate_id].append((party, decision, given_at, day))
    by_trajectory: dict[int, list[tuple[int, dt.date, dt.date | None, dt.date]]] = defaultdict(list)
    for pk, trajectory_id, accepted_on, ended_on, born in jims:
        if accepted_on is not None:
            by_trajectory[trajectory_id].append((pk, accepted_on, ended_on, born))
    result: dict[int, dt.date] = {}
    for trajectory_id, held_on in sorted(meetings, key=lambda row: row[1]):
        if trajectory_id in result:
            continue
        for pk, accepted_on, ended_on, born in by_trajectory.get(trajectory_id, []):
            active = accepted_on <= held_on and (ended_on is None or ended_on >= held_on)
            if active and _consent_complete(records.get(pk, []), born, held_on):
                result[trajectory_id] = held_on
                break
    return result


def _consent_complete(
    records: list[tuple[str, str, dt.datetime, dt.date]], born: dt.date, on: dt.date
) -> bool:
    """The rule of :meth:`Candidate.consent_status`, with only the records given by ``on``."""
    given = [r for r in records if r[3] <= on]
    if not given:
        return False
    latest = {party: decision for party, decision, _at, _day in given}
    needed = required_consent(born, given[-1][2]).parties
    yes = (ConsentDecision.YES, ConsentDecision.RELUCTANT_YES)
    return all(latest.get(party) in yes for party in needed)


# --- placement realised ------------------------------------------------------------------


@dataclass(frozen=True)
class PlacementEpisode:
    """A realised out-of-home placement: which trajectory, when it began and ended."""

    trajectory_id: int
    started_on: dt.date
    ended_on: dt.date | None


def realised_placements(scope: Scope) -> list[PlacementEpisode]:
    """THE source of "placement realised": the recorded placement episodes that began.

    An episode counts when it began (``started_on``) by ``as_of`` — from a finalised
    out-of-home decision that was carried out, or recorded afterwards; its end counts when
    it lies on or before ``as_of`` (later ends are not known yet: open). A decision that was
    not carried out, or whose outcome is not recorded, is no placement (see
    :func:`placements_not_recorded`). One query.
    """
    rows = (
        EpisodeRecord.objects.realised()
        .filter(trajectory__in=cohort(scope), started_on__lte=scope.as_of)
        .order_by("trajectory_id", "started_on", "pk")
        .values_list("trajectory_id", "started_on", "ended_on")
    )
    return [
        PlacementEpisode(pk, started_on, ended_on if ended_on and ended_on <= scope.as_of else None)
        for pk, started_on, ended_on in rows
        if started_on is not None  # realised() guarantees it; this tells the type checker
    ]


def placements_not_recorded(scope: Scope) -> int:
    """Out-of-home decisions of the cohort finalised by ``as_of`` (on their Amsterdam day)
    whose outcome — carried out and when, or not — is not recorded. They are no realised
    placement, and the figures say how many there are. One query."""
    return PlacementDecision.objects.filter(
        trajectory__in=cohort(scope),
        status=DecisionStatus.FINALISED,
        placement_type__in=OUT_OF_HOME,
        decided_on__lte=scope.as_of,
        episode__isnull=True,
        finalised_at__lt=ends_of_day(scope.as_of),
    ).count()


def first_placement_in_care(
    found: list[Search], episodes: list[PlacementEpisode], as_of: dt.date
) -> dict[int, dt.date]:
    """Per trajectory, the start of its first realised placement between referral and closure
    (or ``as_of`` while care goes on)."""
    window = {s.trajectory_id: (s.referred_on, s.closed_on or as_of) for s in found}
    first: dict[int, dt.date] = {}
    for episode in episodes:
        bounds = window.get(episode.trajectory_id)
        if bounds is None or not bounds[0] <= episode.started_on <= bounds[1]:
            continue
        known = first.get(episode.trajectory_id)
        if known is None or episode.started_on < known:
            first[episode.trajectory_id] = episode.started_on
    return first


# --- ambulatory --------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """``count`` of ``n``: the raw numbers behind a share (suppression comes later)."""

    count: int
    n: int


def ambulatory(scope: Scope, found: list[Search]) -> dict[str, Any]:
    """Ambulatory: no realised out-of-home placement between referral and closure.

    * ``itt`` — every cohort trajectory (intention to treat); open ones count up to ``as_of``;
    * ``closed`` — trajectories closed by ``as_of`` (their care window is complete);
    * ``jim_found`` / ``no_jim_found`` — split by a JIM accepted by ``as_of``: descriptive
      only, biased by immortal time (a youth placed early had no time to find a JIM);
    * ``landmark`` — at day :data:`LANDMARK_DAYS`: among youth still in care and not placed
      then, with a JIM by the landmark vs without; outcome: no placement after it;
    * ``after_closure`` — per follow-up (6/12/24 months): among closed trajectories whose
      follow-up was answered by ``as_of``, neither placed in care nor "placed after all" in
      that or an earlier follow-up; unanswered follow-ups that were due are ``not_reached``;
    * ``placements_not_recorded`` — finalised out-of-home decisions without a recorded outcome
      (no episode, not "not carried out"): not counted as placements, shown beside them.
    """
    as_of = scope.as_of
    placed = first_placement_in_care(found, realised_placements(scope), as_of)
    itt = Tally(sum(s.trajectory_id not in placed for s in found), len(found))
    closed = [s for s in found if s.closed_on is not None]
    with_jim = [s for s in found if s.jim_on is not None]
    without = [s for s in found if s.jim_on is None]

    def tally(group: list[Search]) -> Tally:
        return Tally(sum(s.trajectory_id not in placed for s in group), len(group))

    landmark: dict[str, Tally] = {}
    at_risk = []
    for s in found:
        mark = s.referred_on + dt.timedelta(days=LANDMARK_DAYS)
        still_in_care = s.closed_on is None or s.closed_on > mark
        placed_on = placed.get(s.trajectory_id)
        if mark <= as_of and still_in_care and (placed_on is None or placed_on > mark):
            at_risk.append((s, mark))
    landmark["jim_by_landmark"] = tally([s for s, m in at_risk if s.jim_on and s.jim_on <= m])
    landmark["no_jim_by_landmark"] = tally(
        [s for s, m in at_risk if not (s.jim_on and s.jim_on <= m)]
    )
    return {
        "itt": itt,
        "closed": tally(closed),
        "jim_found": tally(with_jim),
        "no_jim_found": tally(without),
        "landmark": landmark,
        "after_closure": _ambulatory_after_closure(scope, closed, placed),
        "placements_not_recorded": placements_not_recorded(scope),
    }


def _follow_ups(scope: Scope) -> list[tuple[int, int, dt.date | None, bool | None, bool | None]]:
    """Follow-ups due by ``as_of`` of closed cohort trajectories (one query); an answer given
    after ``as_of`` is not known yet."""
    rows = (
        FollowUp.objects.filter(
            trajectory__in=cohort(scope),
            trajectory__closure__closed_on__lte=scope.as_of,
            due_on__lte=scope.as_of,
        )
        .order_by("trajectory_id", "months")
        .values_list(
            "trajectory_id", "months", "done_on", "jim_contact_continues", "placement_after_all",
            "outcome",
        )
    )  # fmt: skip
    known = []
    for trajectory_id, months, done_on, continues, placed, outcome in rows:
        if done_on is None or done_on > scope.as_of or outcome == FollowUpOutcome.NOT_REACHED:
            done_on, continues, placed = None, None, None
        known.append((trajectory_id, months, done_on, continues, placed))
    return known


def _ambulatory_after_closure(
    scope: Scope, closed: list[Search], placed: dict[int, dt.date]
) -> dict[int, dict[str, int]]:
    ids = {s.trajectory_id for s in closed}
    placed_after: dict[int, int] = {}  # trajectory → months of the first "placed after all"
    rows = [row for row in _follow_ups(scope) if row[0] in ids]
    for trajectory_id, months, _done, _continues, after_all in rows:
        if after_all and trajectory_id not in placed_after:
            placed_after[trajectory_id] = months
    result = {}
    for months in FOLLOW_UP_MONTHS:
        due = [row for row in rows if row[1] == months]
        answered = [row for row in due if row[2] is not None]
        staying = sum(
            row[0] not in placed and (row[0] not in placed_after or placed_after[row[0]] > months)
            for row in answered
        )
        result[months] = {
            "ambulatory": staying,
            "answered": len(answered),
            "not_reached": len(due) - len(answered),
        }
    return result


# --- JIM relationship continuing --------------------------------------------------------


def continuation(scope: Scope) -> dict[str, Any]:
    """Does the JIM relationship continue — at closure, and at each follow-up?

    At closure: the closure's ``jim_relationship`` (continuing, strained, ended), among
    closures by ``as_of`` of trajectories that had a JIM ("continuing" includes "strained").
    At a follow-up: ``jim_contact_continues`` among the answered follow-ups of trajectories
    that had a JIM; a due follow-up without an answer by ``as_of`` is ``not_reached`` (its
    own count, never "does not continue"). Follow-ups of youth who never had a JIM are left
    out (and counted in ``without_jim``): "contact does not continue" means nothing there.
    """
    closures = dict(
        Closure.objects.filter(trajectory__in=cohort(scope), closed_on__lte=scope.as_of)
        .order_by("trajectory_id")
        .values_list("trajectory_id", "jim_relationship")
    )
    counts: dict[str, int] = {choice: 0 for choice in JimRelationship.values}
    for relationship in closures.values():
        counts[relationship] = counts.get(relationship, 0) + 1
    had_jim = {pk for pk, rel in closures.items() if rel != JimRelationship.NO_JIM}
    at_closure = {
        "relationship": counts,
        "continuing": Tally(
            counts[JimRelationship.CONTINUING] + counts[JimRelationship.STRAINED], len(had_jim)
        ),
    }
    follow_ups: dict[int, dict[str, int]] = {
        m: {"continues": 0, "answered": 0, "not_reached": 0, "without_jim": 0}
        for m in FOLLOW_UP_MONTHS
    }
    for trajectory_id, months, done_on, continues, _placed in _follow_ups(scope):
        entry = follow_ups.setdefault(
            months, {"continues": 0, "answered": 0, "not_reached": 0, "without_jim": 0}
        )
        if trajectory_id not in had_jim:
            entry["without_jim"] += 1
        elif done_on is None or continues is None:
            entry["not_reached"] += 1
        else:
            entry["answered"] += 1
            entry["continues"] += bool(continues)
    return {"at_closure": at_closure, "follow_up": follow_ups}


# --- gate compliance ---------------------------------------------------------------------


def gate(scope: Scope) -> dict[str, dict[str, int]]:
    """The placement gate, over out-of-home decisions of the cohort finalised by ``as_of``.

    Regular decisions: a JIM consultation on or before the (Amsterdam) day of finalising, or
    the recorded reason why there was no JIM, or neither (a breach: the gate is enforced in
    the application, so neither only appears in imported or older data).
    Emergency decisions: the consultation on time (by the 7-day due date), late (after it),
    overdue (none by ``as_of`` and due before it), not yet due, or settled by a no-JIM
    reason; and confirmed by a team lead by ``as_of`` or not. One query.
    """
    as_of = scope.as_of
    first_consulted = Min(
        "consultations__consulted_on", filter=Q(consultations__consulted_on__lte=as_of)
    )
    rows = (
        PlacementDecision.objects.filter(
            trajectory__in=cohort(scope),
            status=DecisionStatus.FINALISED,
            placement_type__in=OUT_OF_HOME,
        )
        .annotate(
            finalised_on=amsterdam_day("finalised_at"),
            confirmed_on=amsterdam_day("confirmed_at"),
            consulted_on=first_consulted,
        )
        .filter(finalised_on__lte=as_of)
        .order_by("pk")
        .values_list(
            "is_emergency", "no_jim_reason", "consultation_due", "finalised_on", "confirmed_on",
            "consulted_on",
        )
    )  # fmt: skip
    regular = {"n": 0, "consulted_before": 0, "no_jim_reason": 0, "neither": 0}
    emergency = {
        "n": 0, "on_time": 0, "late": 0, "overdue": 0, "not_yet_due": 0, "no_jim_reason": 0,
        "confirmed": 0, "awaiting_confirmation": 0,
    }  # fmt: skip
    for is_emergency, reason, due, finalised_on, confirmed_on, consulted_on in rows:
        if not is_emergency:
            regular["n"] += 1
            if consulted_on is not None and consulted_on <= finalised_on:
                regular["consulted_before"] += 1
            elif reason.strip():
                regular["no_jim_reason"] += 1
            else:
                regular["neither"] += 1
            continue
        emergency["n"] += 1
        if confirmed_on is not None and confirmed_on <= as_of:
            emergency["confirmed"] += 1
        else:
            emergency["awaiting_confirmation"] += 1
        if consulted_on is not None:
            emergency["on_time" if due is None or consulted_on <= due else "late"] += 1
        elif reason.strip():
            emergency["no_jim_reason"] += 1
        elif due is not None and as_of > due:
            emergency["overdue"] += 1
        else:
            emergency["not_yet_due"] += 1
    return {"regular": regular, "emergency": emergency}


# --- feedback ----------------------------------------------------------------------------


def feedback(scope: Scope) -> dict[str, dict[str, Any]]:
    """Meeting feedback per respondent role, aggregated in the database (two queries).

    Per role: ``n`` submitted feedback forms (by ``as_of``, Amsterdam day of submission) and,
    per scored item, the sum and the number of answers behind its mean.
    """
    submitted = Assessment.objects.filter(
        trajectory__in=cohort(scope),
        instrument=FEEDBACK_INSTRUMENT,
        status=Status.SUBMITTED,
        submitted_at__lt=ends_of_day(scope.as_of),
    )
    result: dict[str, dict[str, Any]] = {}
    per_role = submitted.order_by().values("respondent_role").annotate(n=Count("pk"))
    for row in per_role.values_list("respondent_role", "n"):
        result[row[0]] = {"n": row[1], "items": {}}
    answers = (
        Answer.objects.filter(
            assessment__in=submitted.values("pk"), item__in=SCORED_ITEMS, value__isnull=False
        )
        .order_by()
        .values("assessment__respondent_role", "item")
        .annotate(total=Sum("value"), answers=Count("pk"))
        .values_list("assessment__respondent_role", "item", "total", "answers")
    )
    for role, item, total, count in answers:
        result[role]["items"][item] = (int(total), int(count))
    return result
