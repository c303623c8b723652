"""Placement episodes: an out-of-home placement that actually began, with its start and end.

A finalised out-of-home :class:`~yim.trajectories.models.placement.PlacementDecision` is a
decision, not a placement: finalising one never creates an episode by itself. The
professional records afterwards whether the decision was carried out and, if so, when the
placement began (and later when it ended). A placement that happened without a decision in
the registry (in another organisation, before the referral was registered …) is recorded
afterwards with a note.

Rules (checked in ``save()``, so pages, the API and direct calls meet the same ones):

* the start and end lie not in the future, not before the youth's birth or the referral date;
  the end not before the start; a placement from a decision begins on or after its decision;
* one youth has no two overlapping placements (an open episode runs until today and on);
* an episode from a decision belongs to a finalised out-of-home decision of the same
  trajectory, once: "not carried out" has no dates, "carried out" has its start date;
* an episode recorded afterwards says so in its note.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from yim.core.errors import DomainError
from yim.core.models import Errors, by_account
from yim.trajectories.models.base import TrajectoryPart, check_event_date, of_trajectory
from yim.trajectories.models.choices import OUT_OF_HOME, PlacementType


class EpisodeSource(models.TextChoices):
    DECISION = "decision", _("A finalised placement decision")
    RECORDED_AFTERWARDS = "recorded_afterwards", _("Recorded afterwards")


class PlacementEpisodeQuerySet(models.QuerySet["PlacementEpisode"]):
    def realised(self) -> PlacementEpisodeQuerySet:
        """Episodes of a placement that began (not the "not carried out" records)."""
        return self.filter(carried_out=True, started_on__isnull=False)

    def ongoing(self) -> PlacementEpisodeQuerySet:
        return self.realised().filter(ended_on__isnull=True)


class PlacementEpisode(TrajectoryPart):
    """A placement that began (or, for a decision, the record that it was not carried out)."""

    # The end of a placement is often known only after care closed; a placement that
    # happened is recorded afterwards too.
    allowed_after_closure = True

    trajectory = of_trajectory("placement_episodes")
    source = models.CharField(_("source"), max_length=30, choices=EpisodeSource.choices)
    decision = models.OneToOneField(
        "trajectories.PlacementDecision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="episode",
        verbose_name=_("placement decision"),
    )
    carried_out = models.BooleanField(_("the placement was carried out"), default=True)
    placement_type = models.CharField(
        _("placement"), max_length=20, choices=PlacementType.choices, blank=True
    )
    started_on = models.DateField(_("began on"), null=True, blank=True)
    ended_on = models.DateField(
        _("ended on"), null=True, blank=True, help_text=_("Leave empty while it goes on.")
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = by_account()
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = PlacementEpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["trajectory", "started_on", "pk"]
        verbose_name = _("placement episode")
        verbose_name_plural = _("placement episodes")
        indexes = [models.Index(fields=["trajectory", "started_on"])]

    def __str__(self) -> str:
        if not self.carried_out:
            return str(_("Not carried out"))
        return f"{self.get_placement_type_display()} {self.started_on}"

    @property
    def is_ongoing(self) -> bool:
        return self.carried_out and self.started_on is not None and self.ended_on is None

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        trajectory = self.trajectory
        dob = trajectory.youth.date_of_birth
        if self.source == EpisodeSource.DECISION:
            self._check_decision(errors)
        elif self.source == EpisodeSource.RECORDED_AFTERWARDS:
            if self.decision_id is not None:
                errors.add("decision", _("A placement recorded afterwards has no decision."))
            if not self.carried_out:
                errors.add("carried_out", _("Record only a placement that began."))
            if not self.note.strip():
                errors.add("note", _("Say where this placement is known from."))
        if self.carried_out:
            if self.placement_type not in OUT_OF_HOME:
                errors.add("placement_type", _("Choose an out-of-home placement."))
            if self.started_on is None:
                errors.add("started_on", _("Give the day the placement began."))
        elif self.started_on is not None or self.ended_on is not None:
            errors.add("started_on", _("A placement that was not carried out has no dates."))
        self.check_in_trajectory(errors, "started_on", trajectory)
        check_event_date(errors, "ended_on", self.ended_on, date_of_birth=dob)
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            errors.add("ended_on", _("A placement ends on or after the day it began."))
        if "started_on" not in errors and "ended_on" not in errors:
            self._check_overlap(errors)
        errors.raise_if_any()

    def _check_decision(self, errors: Errors) -> None:
        decision = self.decision if self.decision_id is not None else None
        if decision is None:
            errors.add("decision", _("Name the placement decision."))
            return
        if decision.trajectory_id != self.trajectory_id:
            errors.add("decision", _("This decision belongs to another trajectory."))
        elif not decision.is_finalised or not decision.is_out_of_home:
            errors.add(
                "decision",
                _("Only a finalised out-of-home placement decision is carried out or not."),
            )
        elif self.started_on is not None and self.started_on < decision.decided_on:
            errors.add("started_on", _("The placement begins on or after its decision."))
        if not self.placement_type and self.carried_out:
            self.placement_type = decision.placement_type

    def _check_overlap(self, errors: Errors) -> None:
        if not self.carried_out or self.started_on is None:
            return
        end = self.ended_on or dt.date.max
        others = (
            PlacementEpisode.objects.realised()
            .filter(trajectory__youth_id=self.trajectory.youth_id, started_on__lte=end)
            .filter(models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=self.started_on))
            .exclude(pk=self.pk)
            .order_by("started_on")
            .first()
        )
        if others is not None:
            errors.add(
                "started_on",
                _(
                    "This youth was already placed then (%(placement)s from %(start)s): "
                    "placements of one youth do not overlap."
                )
                % {"placement": others.get_placement_type_display(), "start": others.started_on},
            )

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError(_("A placement episode is corrected, not removed."))

    # --- domain actions -----------------------------------------------------------------

    @classmethod
    def record_for_decision(
        cls,
        decision: Any,
        *,
        carried_out: bool,
        started_on: dt.date | None = None,
        ended_on: dt.date | None = None,
        placement_type: str = "",
        note: str = "",
        by: Any = None,
    ) -> PlacementEpisode:
        """Record whether a finalised out-of-home decision was carried out, and when."""
        if cls.objects.filter(decision=decision).exists():
            raise DomainError(
                _("The outcome of this decision is already recorded: correct that record."),
                field="decision",
            )
        return cls.objects.create(
            trajectory=decision.trajectory,
            source=EpisodeSource.DECISION,
            decision=decision,
            carried_out=carried_out,
            started_on=started_on,
            ended_on=ended_on,
            placement_type=placement_type or (decision.placement_type if carried_out else ""),
            note=note,
            recorded_by=by,
        )

    @classmethod
    def record_afterwards(
        cls,
        trajectory: Any,
        *,
        placement_type: str,
        started_on: dt.date | None,
        note: str,
        ended_on: dt.date | None = None,
        by: Any = None,
    ) -> PlacementEpisode:
        """A placement that began without a decision in this registry, recorded afterwards."""
        return cls.objects.create(
            trajectory=trajectory,
            source=EpisodeSource.RECORDED_AFTERWARDS,
            carried_out=True,
            placement_type=placement_type,
            started_on=started_on,
            ended_on=ended_on,
            note=note,
            recorded_by=by,
        )
