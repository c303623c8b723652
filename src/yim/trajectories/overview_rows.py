"""The rows of the team overview and the worklist: one trajectory with what is due.

One annotated query for the trajectories in the user's team scope
(``Trajectory.objects.with_overview(as_of)``: the annotations and the prefetch of the
evaluation dates); each row is then judged in memory, the evaluation schedule by the
model's own method on the prefetched dates. Used by the team overview page and the
home page's worklist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from yim import policy
from yim.accounts.models import User
from yim.trajectories.models import Trajectory
from yim.trajectories.models.trajectory import TrajectoryQuerySet


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
