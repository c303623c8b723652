"""Placement realised, ambulatory (during care and after closure) and the JIM relationship
continuing at closure and at the follow-ups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from yim.research.evidence.definitions.base import LANDMARK_DAYS, Scope, cohort, ends_of_day
from yim.research.evidence.definitions.search import Search
from yim.trajectories.models import (
    OUT_OF_HOME,
    Closure,
    DecisionStatus,
    FollowUp,
    FollowUpOutcome,
    JimRelationship,
    PlacementDecision,
)
from yim.trajectories.models import PlacementEpisode as EpisodeRecord
from yim.trajectories.rules import FOLLOW_UP_MONTHS

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


def ambulatory(
    scope: Scope,
    found: list[Search],
    follow_ups: list[FollowUpRow] | None = None,
    not_recorded: int | None = None,
) -> dict[str, Any]:
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

    ``follow_ups`` (:func:`due_follow_ups`) and ``not_recorded``
    (:func:`placements_not_recorded`, or :func:`gate_and_not_recorded`) are read here unless
    the caller has them already.
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
        "after_closure": _ambulatory_after_closure(
            closed, placed, due_follow_ups(scope) if follow_ups is None else follow_ups
        ),
        "placements_not_recorded": (
            placements_not_recorded(scope) if not_recorded is None else not_recorded
        ),
    }


#: A due follow-up: trajectory, months, answered on (None: not (yet) reached), JIM contact
#: continues, placed after all.
FollowUpRow = tuple[int, int, dt.date | None, bool | None, bool | None]


def due_follow_ups(scope: Scope) -> list[FollowUpRow]:
    """Follow-ups due by ``as_of`` of closed cohort trajectories (one query); an answer given
    after ``as_of`` is not known yet. Read once for :func:`ambulatory` and
    :func:`continuation` when the caller passes it to both."""
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
    closed: list[Search], placed: dict[int, dt.date], follow_ups: list[FollowUpRow]
) -> dict[int, dict[str, int]]:
    ids = {s.trajectory_id for s in closed}
    placed_after: dict[int, int] = {}  # trajectory → months of the first "placed after all"
    rows = [row for row in follow_ups if row[0] in ids]
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


def continuation(
    scope: Scope,
    follow_ups: list[FollowUpRow] | None = None,
    closures: dict[int, str] | None = None,
) -> dict[str, Any]:
    """Does the JIM relationship continue — at closure, and at each follow-up?

    At closure: the closure's ``jim_relationship`` (continuing, strained, ended), among
    closures by ``as_of`` of trajectories that had a JIM ("continuing" includes "strained").
    At a follow-up: ``jim_contact_continues`` among the answered follow-ups of trajectories
    that had a JIM; a due follow-up without an answer by ``as_of`` is ``not_reached`` (its
    own count, never "does not continue"). Follow-ups of youth who never had a JIM are left
    out (and counted in ``without_jim``): "contact does not continue" means nothing there.

    ``follow_ups`` (:func:`due_follow_ups`) and ``closures`` (per trajectory closed by
    ``as_of`` its ``jim_relationship``: :func:`searches_and_closures`) are read here unless
    the caller has them already.
    """
    if closures is None:
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
    rows = due_follow_ups(scope) if follow_ups is None else follow_ups
    per_months: dict[int, dict[str, int]] = {
        m: {"continues": 0, "answered": 0, "not_reached": 0, "without_jim": 0}
        for m in FOLLOW_UP_MONTHS
    }
    for trajectory_id, months, done_on, continues, _placed in rows:
        entry = per_months.setdefault(
            months, {"continues": 0, "answered": 0, "not_reached": 0, "without_jim": 0}
        )
        if trajectory_id not in had_jim:
            entry["without_jim"] += 1
        elif done_on is None or continues is None:
            entry["not_reached"] += 1
        else:
            entry["answered"] += 1
            entry["continues"] += bool(continues)
    return {"at_closure": at_closure, "follow_up": per_months}
