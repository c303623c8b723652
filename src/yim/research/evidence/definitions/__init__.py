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
trajectories; the arithmetic on those rows happens in Python, without further queries. The
first acceptance, the first "no JIM found" and the day the JIM was positioned are worked out
from the records by :mod:`yim.trajectories.facts` (the domain keeps them per trajectory on
every write); :func:`searches` and :func:`positioned_on` read them as of ``as_of``.
"""

from yim.research.evidence.definitions.base import (
    CENSORED,
    JIM_FOUND,
    LANDMARK_DAYS,
    NO_JIM,
    Scope,
    amsterdam_day,
    cohort,
    ends_of_day,
    one_snapshot,
)
from yim.research.evidence.definitions.gate import (
    feedback,
    gate,
    gate_and_not_recorded,
)
from yim.research.evidence.definitions.outcomes import (
    FollowUpRow,
    PlacementEpisode,
    Tally,
    ambulatory,
    continuation,
    due_follow_ups,
    first_placement_in_care,
    placements_not_recorded,
    realised_placements,
)
from yim.research.evidence.definitions.search import (
    Search,
    positioned_on,
    searches,
    searches_and_closures,
)

__all__ = [
    "CENSORED",
    "JIM_FOUND",
    "LANDMARK_DAYS",
    "NO_JIM",
    "FollowUpRow",
    "PlacementEpisode",
    "Scope",
    "Search",
    "Tally",
    "ambulatory",
    "amsterdam_day",
    "cohort",
    "continuation",
    "due_follow_ups",
    "ends_of_day",
    "feedback",
    "first_placement_in_care",
    "gate",
    "gate_and_not_recorded",
    "one_snapshot",
    "placements_not_recorded",
    "positioned_on",
    "realised_placements",
    "searches",
    "searches_and_closures",
]
