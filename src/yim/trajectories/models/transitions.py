"""The phase history of a trajectory: one row per move into a phase, never rewritten.

Written by :meth:`Trajectory.start <yim.trajectories.models.trajectory.Trajectory.start>`,
:meth:`~yim.trajectories.models.trajectory.Trajectory.advance_to` and
:meth:`~yim.trajectories.models.trajectory.Trajectory.choose_phase`; read by
:meth:`~yim.trajectories.models.trajectory.Trajectory.phase_history`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yim.core.errors import DomainError
from yim.core.models import ValidatedModel
from yim.programmes.phases import Phase


class PhaseTransition(ValidatedModel):
    """One move into a phase, with its timestamp. Written by :meth:`Trajectory.advance_to`."""

    trajectory = models.ForeignKey(
        "trajectories.Trajectory", on_delete=models.CASCADE, related_name="transitions"
    )
    phase = models.CharField(_("phase"), max_length=30, choices=Phase.choices)
    entered_at = models.DateTimeField(_("entered"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["entered_at", "pk"]
        verbose_name = _("phase transition")
        verbose_name_plural = _("phase transitions")

    def __str__(self) -> str:
        return f"{self.get_phase_display()} @ {self.entered_at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise DomainError(_("The phase history cannot be rewritten."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError(_("The phase history cannot be rewritten."))
