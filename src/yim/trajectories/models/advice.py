"""The JIM's own advice on a placement decision, given in her portal.

The JIM is consulted before an out-of-home placement (or within 7 days after an emergency
one). She writes her advice in her portal; it is kept as her input, with the date and the
account that sent it, beside the decision. The professional then records the consultation
(:class:`~yim.trajectories.models.placement.JimConsultation`): the advice and how it was
weighed. The advice alone does not open the placement gate — weighing it is the
professional's part. Every advice is kept: a later one stands beside the earlier ones.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yim.core.models import Errors
from yim.trajectories.models.base import TrajectoryPart
from yim.trajectories.models.choices import OUT_OF_HOME
from yim.trajectories.models.placement import (
    DecisionStatus,
    JimConsultation,
    PlacementDecision,
)


def decisions_open_for_advice(trajectory_id: int) -> models.QuerySet[PlacementDecision]:
    """Out-of-home decisions of the trajectory the JIM is asked about: a draft not yet
    consulted, or a finalised emergency placement whose consultation is still due."""
    consulted = JimConsultation.objects.filter(decision=OuterRef("pk"))
    return (
        PlacementDecision.objects.filter(
            trajectory_id=trajectory_id, placement_type__in=list(OUT_OF_HOME)
        )
        .filter(
            Q(status=DecisionStatus.DRAFT)
            | Q(status=DecisionStatus.FINALISED, is_emergency=True, no_jim_reason="")
        )
        .exclude(Exists(consulted))
    )


class JimAdvice(TrajectoryPart):
    """The JIM's advice on one placement decision, in her own words, from her portal."""

    # Like the consultation it feeds: after an emergency it may come after closure.
    allowed_after_closure = True

    # Part of the decision's record: it goes with the decision (and with the file, when the
    # file is erased), so it never blocks an erasure.
    decision = models.ForeignKey(
        PlacementDecision, on_delete=models.CASCADE, related_name="jim_advice"
    )
    jim = models.ForeignKey(
        "trajectories.Candidate",
        on_delete=models.CASCADE,
        related_name="placement_advice",
        verbose_name=_("JIM"),
    )
    advice = models.TextField(_("the JIM's advice"))
    given_at = models.DateTimeField(_("given"), default=timezone.now)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-given_at", "-pk"]
        verbose_name = _("the JIM's advice")
        verbose_name_plural = _("the JIM's advice")

    def __str__(self) -> str:
        return f"{self.decision} ({self.given_at:%Y-%m-%d})"

    def owning_trajectory(self) -> Any:
        return self.decision.trajectory if self.decision_id else None

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        if not self.advice.strip():
            errors.add("advice", _("Write your advice."))
        decision = self.decision
        jim = self.jim if self.jim_id is not None else None
        if jim is None or jim.trajectory_id != decision.trajectory_id or not jim.is_active_jim:
            errors.add("__all__", _("Only the youth's current JIM gives advice on a placement."))
        elif not jim.consent_status().complete:
            errors.add(
                "__all__",
                _("Consent for you as JIM is not complete: you cannot give advice yet."),
            )
        if (
            self._state.adding
            and not decisions_open_for_advice(decision.trajectory_id)
            .filter(pk=decision.pk)
            .exists()
        ):
            errors.add(
                "__all__",
                _("Advice on this decision is no longer asked: the consultation is recorded."),
            )
        if not self._state.adding:
            errors.add("__all__", _("Advice that was given is kept as it is; give a new one."))
        errors.raise_if_any()
