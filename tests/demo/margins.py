"""The published margins of the JIM approach, computed from a registry with plain ORM queries.

Definitions (the unit is a trajectory of the JIM cohort; comparison trajectories apart):

* **found share** — of the searches that finished (a candidate accepted, or "no JIM found"
  was recorded), the share in which a candidate accepted. The first event counts: a JIM who
  accepted and was then refused consent still ends the wait for a first JIM.
* **mean days to JIM** — among those found, the mean number of days from the referral date
  to the response date of the first candidate who accepted.
* **ambulatory share** — intention to treat: of every JIM-cohort trajectory, the share
  without a finalised out-of-home placement decision.

The file study reports 83% found, after 33 days on average, and 90% ambulatory.
"""

from __future__ import annotations

from django.db.models import Exists, Min, OuterRef, Q

from yim.trajectories import models as tm


def _jim_cohort():  # type: ignore[no-untyped-def]
    placed = tm.PlacementDecision.objects.filter(
        trajectory=OuterRef("pk"),
        status=tm.DecisionStatus.FINALISED,
        placement_type__in=list(tm.OUT_OF_HOME),
    )
    no_jim = tm.NoJimOutcome.objects.filter(trajectory=OuterRef("pk"))
    return tm.Trajectory.objects.filter(cohort=tm.Cohort.JIM).annotate(
        first_jim_on=Min("candidates__response_on", filter=Q(candidates__response="accepted")),
        no_jim=Exists(no_jim),
        placed=Exists(placed),
    )


def margins() -> dict[str, float]:
    rows = list(_jim_cohort().values_list("referred_on", "first_jim_on", "no_jim", "placed"))
    found = [(first - referred).days for referred, first, _n, _p in rows if first is not None]
    finished = sum(1 for _r, first, no_jim, _p in rows if first is not None or no_jim)
    return {
        "found_share": len(found) / finished,
        "mean_days": sum(found) / len(found),
        "ambulatory_share": sum(1 for *_x, placed in rows if not placed) / len(rows),
        "n_jim_cohort": len(rows),
        "n_finished": finished,
        "n_found": len(found),
        "comparison": tm.Trajectory.objects.filter(cohort=tm.Cohort.COMPARISON).count(),
    }


def team_found_shares() -> dict[str, float]:
    """The found share (as above) per team."""
    finished: dict[str, int] = {}
    found: dict[str, int] = {}
    for team, first, no_jim in _jim_cohort().values_list("team__name", "first_jim_on", "no_jim"):
        if first is None and not no_jim:
            continue
        finished[team] = finished.get(team, 0) + 1
        found[team] = found.get(team, 0) + (first is not None)
    return {team: round(found[team] / n, 3) for team, n in sorted(finished.items())}
