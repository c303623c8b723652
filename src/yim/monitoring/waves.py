"""The measurement waves of a trajectory: which moments it has reached (intake, each
evaluation meeting, closure, each follow-up), before any is saved as a
:class:`~yim.monitoring.models.Wave`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from yim.trajectories.models import Trajectory


class WaveKind(models.TextChoices):
    INTAKE = "intake", _("Intake (pre)")
    EVALUATION = "evaluation", _("Evaluation")
    CLOSURE = "closure", _("Closure (post)")
    FOLLOW_UP = "follow_up", _("Follow-up")


@dataclass(frozen=True)
class WaveSlot:
    """A measurement moment a trajectory has reached (saved as a :class:`Wave` on first use)."""

    kind: str
    number: int
    on: dt.date
    meeting_id: int | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.number}"


def wave_slots(trajectory: Trajectory, as_of: dt.date | None = None) -> list[WaveSlot]:
    """Every wave the trajectory has reached by ``as_of``, in time order.

    Intake at the start; one evaluation wave per evaluation meeting; closure at closure;
    each follow-up from its due date on.
    """
    from yim.trajectories.models import MeetingKind

    as_of = as_of or timezone.localdate()
    slots = [WaveSlot(WaveKind.INTAKE, 0, trajectory.started_on)]
    evaluations = trajectory.meetings.held().filter(kind=MeetingKind.EVALUATION, held_on__lte=as_of)
    for number, meeting in enumerate(evaluations.order_by("held_on", "pk"), start=1):
        slots.append(WaveSlot(WaveKind.EVALUATION, number, meeting.held_day, meeting.pk))
    closure = getattr(trajectory, "closure", None) if trajectory.closed_at else None
    if closure is not None:
        slots.append(WaveSlot(WaveKind.CLOSURE, 0, closure.closed_on))
        for follow_up in trajectory.follow_ups.filter(due_on__lte=as_of).order_by("months"):
            slots.append(WaveSlot(WaveKind.FOLLOW_UP, follow_up.months, follow_up.due_on))
    return slots
