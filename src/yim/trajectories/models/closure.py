"""Closure of professional care, and follow-up of the JIM relationship at 6, 12 and 24 months.

"Professionals come and go, the JIM stays": the follow-ups record whether contact with the
JIM continues (and how often) and whether a placement happened after all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from yim.core.errors import DomainError
from yim.core.models import Errors, by_account
from yim.programmes.phases import Phase
from yim.trajectories import rules
from yim.trajectories.models.base import TrajectoryPart, check_event_date, of_trajectory, today
from yim.trajectories.models.choices import OUT_OF_HOME, ContactFrequency, PlacementType


class ClosureReason(models.TextChoices):
    GOALS_ACHIEVED = "goals_achieved", _("Goals achieved")
    PARTLY_ACHIEVED = "partly_achieved", _("Goals partly achieved")
    PLACEMENT = "placement", _("Out-of-home placement")
    CARE_ELSEWHERE = "care_elsewhere", _("Care continues elsewhere")
    YOUTH_WITHDREW = "youth_withdrew", _("The youth or family stopped")
    MOVED = "moved", _("Moved away")
    OTHER = "other", _("Other")


class JimRelationship(models.TextChoices):
    CONTINUING = "continuing", _("The JIM relationship continues")
    STRAINED = "strained", _("Continues, but strained")
    ENDED = "ended", _("The JIM relationship has ended")
    NO_JIM = "no_jim", _("There was no JIM")


class Closure(TrajectoryPart):
    """Why professional care ended and how the JIM relationship stood. Made by
    :meth:`Trajectory.close`."""

    allowed_after_closure = True

    trajectory = models.OneToOneField(
        "trajectories.Trajectory", on_delete=models.CASCADE, related_name="closure"
    )
    closed_on = models.DateField(_("closed on"))
    reason = models.CharField(_("reason"), max_length=30, choices=ClosureReason.choices)
    jim_relationship = models.CharField(
        _("JIM relationship at closure"), max_length=20, choices=JimRelationship.choices
    )
    note = models.TextField(_("note"), blank=True)
    closed_by = by_account()

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")

    def clean(self) -> None:
        if not self._state.adding:
            raise DomainError(_("A closure is not changed once recorded."))
        super().clean()
        errors = Errors()
        trajectory = self.trajectory
        check_event_date(
            errors,
            "closed_on",
            self.closed_on,
            date_of_birth=trajectory.youth.date_of_birth,
            not_before=rules.amsterdam_day(trajectory.phase_entered_at),
            not_before_message=_("Closure cannot come before the current phase started."),
        )
        had_jim = trajectory.candidates.filter(response="accepted").exists()
        if self.jim_relationship == JimRelationship.NO_JIM and had_jim:
            errors.add("jim_relationship", _("This youth had a JIM in this trajectory."))
        elif (
            self.jim_relationship
            and self.jim_relationship != JimRelationship.NO_JIM
            and not had_jim
        ):
            errors.add("jim_relationship", _("This youth had no JIM in this trajectory."))
        if self.reason == ClosureReason.OTHER and not self.note.strip():
            errors.add("note", _("Explain the reason."))
        errors.raise_if_any()


class FollowUpOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    NOT_REACHED = "not_reached", _("Not reached")


class Reporter(models.TextChoices):
    YOUTH = "youth", _("The youth")
    JIM = "jim", _("The JIM")
    PARENT = "parent", _("A parent")
    PROFESSIONAL = "professional", _("A professional")
    OTHER = "other", _("Someone else")
    NOT_RECORDED = "", _("Not recorded")


class FollowUpQuerySet(models.QuerySet["FollowUp"]):
    def open(self) -> FollowUpQuerySet:
        """Not done yet (no day it was done on); whether it is due is :meth:`due`'s."""
        return self.filter(done_on__isnull=True)

    def due(self, as_of: dt.date | None = None) -> FollowUpQuerySet:
        """Not done, and the due day is ``as_of`` or earlier."""
        return self.open().filter(due_on__lte=as_of or today())

    def overdue(self, as_of: dt.date | None = None) -> FollowUpQuerySet:
        """Not done, and the due day lies before ``as_of`` (see :meth:`FollowUp.is_overdue`)."""
        return self.open().filter(due_on__lt=as_of or today())


class FollowUp(TrajectoryPart):
    """A follow-up task after closure; planned by :meth:`Trajectory.close`."""

    allowed_after_closure = True

    trajectory = of_trajectory("follow_ups")
    months = models.PositiveSmallIntegerField(_("months after closure"), editable=False)
    due_on = models.DateField(_("due"), editable=False)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=20,
        choices=FollowUpOutcome.choices,
        default=FollowUpOutcome.ANSWERED,
        help_text=_("Not reached: nobody could be asked; the answers stay empty."),
    )
    jim = models.ForeignKey(
        "trajectories.Candidate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("the JIM it is about"),
    )
    reported_by = models.CharField(
        _("who reported"), max_length=20, choices=Reporter.choices, blank=True, default=""
    )
    jim_contact_continues = models.BooleanField(
        _("contact with the JIM continues"), null=True, blank=True
    )
    contact_frequency = models.CharField(
        _("how often"), max_length=10, choices=ContactFrequency.choices, blank=True
    )
    placement_after_all = models.BooleanField(
        _("placed out of home after all"), null=True, blank=True
    )
    placement_type = models.CharField(
        _("placement"), max_length=20, choices=PlacementType.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = by_account()

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["trajectory", "months"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(fields=["trajectory", "months"], name="follow_up_once")
        ]

    def __str__(self) -> str:
        return str(_("Follow-up after %(months)s months") % {"months": self.months})

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    def is_overdue(self, as_of: dt.date | None = None) -> bool:
        return not self.is_done and (as_of or today()) > self.due_on

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        trajectory = self.trajectory
        if not trajectory.closed_in_database() and not self._state.adding:
            errors.add("__all__", _("Follow-up starts after closure."))
        closed_on = trajectory.closure.closed_on if hasattr(trajectory, "closure") else None
        check_event_date(
            errors,
            "done_on",
            self.done_on,
            date_of_birth=trajectory.youth.date_of_birth,
            not_before=closed_on,
            not_before_message=_("A follow-up comes after closure."),
        )
        had_jim = trajectory.candidates.filter(response="accepted").exists()
        self._check_jim(errors, had_jim)
        if self.outcome == FollowUpOutcome.NOT_REACHED:
            if self.done_on is None:
                errors.add("done_on", _("Give the day you tried to reach them."))
            answers = (self.jim_contact_continues, self.placement_after_all)
            if any(value is not None for value in answers) or self.contact_frequency:
                errors.add("outcome", _("Nobody was reached: leave the answers empty."))
        elif self.done_on is not None:
            if not had_jim:
                if self.jim_contact_continues is not None or self.contact_frequency:
                    errors.add(
                        "jim_contact_continues",
                        _("This youth never had a JIM: there is no JIM contact to ask about."),
                    )
            elif self.jim_contact_continues is None:
                errors.add(
                    "jim_contact_continues", _("Record whether contact with the JIM continues.")
                )
            elif self.jim_contact_continues and not self.contact_frequency:
                errors.add("contact_frequency", _("Record how often they are in contact."))
            if self.placement_after_all is None:
                errors.add(
                    "placement_after_all", _("Record whether a placement happened after all.")
                )
            elif self.placement_after_all and self.placement_type not in OUT_OF_HOME:
                errors.add("placement_type", _("Record which placement."))
        if not self.placement_after_all and self.placement_type not in ("", PlacementType.NONE):
            errors.add("placement_type", _("There was no placement."))
        errors.raise_if_any()

    def _check_jim(self, errors: Errors, had_jim: bool) -> None:
        """The JIM the follow-up is about: a JIM of this trajectory; by default the last one."""
        if self.jim_id is None:
            if had_jim:
                self.jim = (
                    self.trajectory.candidates.filter(response="accepted")
                    .order_by("-response_on", "-pk")
                    .first()
                )
            return
        jim = self.jim
        if not had_jim:
            errors.add("jim", _("This youth never had a JIM."))
        elif jim is None or jim.trajectory_id != self.trajectory_id or jim.response != "accepted":
            errors.add("jim", _("This person is not a JIM in this trajectory."))

    def record(
        self,
        *,
        done_on: dt.date,
        jim_contact_continues: bool | None,
        placement_after_all: bool | None,
        contact_frequency: str = "",
        placement_type: str = "",
        note: str = "",
        by: Any = None,
        outcome: str = FollowUpOutcome.ANSWERED,
        reported_by: str = "",
        jim: Any = None,
    ) -> None:
        """Record the follow-up; the first one moves the trajectory into the follow-up phase.

        ``outcome`` "not_reached": nobody could be asked (the answers stay empty).
        ``jim``: the JIM it is about (default: the trajectory's last JIM).
        """
        self.outcome = outcome
        self.reported_by = reported_by
        if jim is not None:
            self.jim = jim
        self.done_on = done_on
        self.jim_contact_continues = jim_contact_continues
        self.contact_frequency = contact_frequency
        self.placement_after_all = placement_after_all
        self.placement_type = placement_type
        self.note = note
        self.recorded_by = by
        with transaction.atomic():
            self.save()
            trajectory = self.trajectory
            trajectory.refresh_from_db()
            if trajectory.phase == Phase.CLOSURE and trajectory.programme.uses_phase(
                Phase.FOLLOW_UP
            ):
                trajectory.advance_to(Phase.FOLLOW_UP, by=by)
