"""Machinery of the trajectory models on top of the kernel's (:mod:`yim.core.models`):
Amsterdam calendar days, event-date checks and the closed-trajectory guard."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yim.core.models import Errors, VersionedModel
from yim.trajectories.errors import TrajectoryClosed
from yim.trajectories.rules import amsterdam_day

if TYPE_CHECKING:
    from yim.trajectories.models.trajectory import Trajectory


def today() -> dt.date:
    """Today in Europe/Amsterdam (the project's TIME_ZONE)."""
    return timezone.localdate()


def check_event_date(
    errors: Errors,
    field: str,
    value: dt.date | dt.datetime | None,
    *,
    date_of_birth: dt.date | None,
    not_before: dt.date | None = None,
    not_before_message: Any = None,
) -> None:
    """Refuse an event date in the future, before the youth's birth or before ``not_before``."""
    if value is None:
        return
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            errors.add(field, _("Give a date and time with a time zone."))
            return
        if value > timezone.now():
            errors.add(field, _("This date lies in the future."))
            return
    elif value > today():
        errors.add(field, _("This date lies in the future."))
        return
    day = amsterdam_day(value)
    if date_of_birth is not None and day < date_of_birth:
        errors.add(field, _("This date lies before the youth's date of birth."))
    elif not_before is not None and day < not_before:
        errors.add(field, not_before_message or _("This date is too early."))


def of_trajectory(related_name: str, **options: Any) -> Any:
    """The trajectory a record belongs to: deleted with it, reached from it as
    ``trajectory.<related_name>``. The same field as the one written out (no migration)."""
    return models.ForeignKey(
        "trajectories.Trajectory", on_delete=models.CASCADE, related_name=related_name, **options
    )


class TrajectoryPart(VersionedModel):
    """A record that belongs to one trajectory and is frozen once the trajectory is closed."""

    #: Records that may still be written after closure (follow-up, late consultations).
    allowed_after_closure = False

    class Meta:
        abstract = True

    def owning_trajectory(self) -> Trajectory | None:
        if getattr(self, "trajectory_id", None) is None:
            return None
        return self.trajectory  # type: ignore[attr-defined]

    def check_in_trajectory(
        self, errors: Errors, field: str, trajectory: Trajectory, *, message: Any = None
    ) -> None:
        """The rule for the dates of a trajectory's records, written once: the date in
        ``field`` lies not in the future, not before the youth's birth, and not before the
        start of ``trajectory`` — its referral date, so the steps taken between referral and
        registration (``started_at``) can be recorded (``message`` words the last for an
        event with a name of its own)."""
        check_event_date(
            errors,
            field,
            getattr(self, field),
            date_of_birth=trajectory.youth.date_of_birth,
            not_before=trajectory.referred_on,
            not_before_message=message or _("This date lies before the referral date."),
        )

    def _trajectory_closed(self) -> bool:
        trajectory = self.owning_trajectory()
        # Ask the database, not a possibly stale instance held by the caller.
        return trajectory is not None and trajectory.closed_in_database()

    def clean(self) -> None:
        super().clean()
        if not self.allowed_after_closure and self._trajectory_closed():
            raise TrajectoryClosed()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self._trajectory_closed():
            raise TrajectoryClosed()
        return super().delete(*args, **kwargs)
