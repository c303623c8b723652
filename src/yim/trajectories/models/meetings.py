"""Meetings, the care plan with its goals, and the safety plan.

The youth's own view and the JIM's input are recorded separately from the decisions of a
meeting (art. 12 UN Convention on the Rights of the Child: the youth's voice at every
decision). Evaluation meetings count for the programme's evaluation cadence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yim.core.errors import DomainError
from yim.core.models import Errors, by_account
from yim.programmes.phases import Phase
from yim.trajectories.errors import TrajectoryClosed
from yim.trajectories.models.base import TrajectoryPart, check_event_date, of_trajectory, today
from yim.trajectories.models.choices import MeetingKind, MeetingStatus
from yim.trajectories.models.revisions import Corrected, RecordKind


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def held(self) -> MeetingQuerySet:
        """Meetings that took place: the only ones any count, rule or figure reads.

        Asked as "has a day held", which the check constraint ``held_on_exactly_when_held``
        makes the same as status *held*: the database then uses the (trajectory, kind,
        held_on) index, where a condition on ``status`` let SQLite's planner pick the
        (status, planned_for) index of the agenda and read every held meeting."""
        return self.filter(held_on__isnull=False)

    def planned(self) -> MeetingQuerySet:
        """The agenda: meetings planned and not yet recorded as held, soonest first."""
        return self.filter(status=MeetingStatus.PLANNED).order_by("planned_for", "pk")


class Meeting(Corrected, TrajectoryPart):
    revision_kind = RecordKind.MEETING
    revision_fields = (
        "status",
        "kind",
        "planned_for",
        "held_on",
        "youth_view",
        "jim_input",
        "decisions",
        "notes",
    )

    trajectory = of_trajectory("meetings")
    kind = models.CharField(_("kind of meeting"), max_length=20, choices=MeetingKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.HELD
    )
    planned_for = models.DateField(_("planned for"), null=True, blank=True)
    held_on = models.DateField(_("date"), null=True, blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    youth_view = models.TextField(_("the youth's own view"), blank=True)
    jim_input = models.TextField(_("the JIM's input"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = by_account()

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [
            models.Index(fields=["trajectory", "kind", "held_on"]),
            models.Index(fields=["status", "planned_for"]),
            # A trajectory's held meetings in date order: its first meeting with a JIM
            # present from a day on (JIM positioned) is the first row with such an attendee,
            # read without sorting; at 100,000 youth 0.22 s instead of 0.34 s for 35,819 JIMs.
            models.Index(
                fields=["trajectory", "held_on"],
                condition=Q(held_on__isnull=False),
                name="meeting_held_by_trajectory",
            ),
        ]
        constraints = [
            # held_on is set exactly when the meeting was held: a date filter never
            # mistakes a planned meeting for one that happened.
            models.CheckConstraint(
                condition=Q(status=MeetingStatus.HELD, held_on__isnull=False)
                | (~Q(status=MeetingStatus.HELD) & Q(held_on__isnull=True)),
                name="held_on_exactly_when_held",
            ),
            models.CheckConstraint(
                condition=~Q(status=MeetingStatus.PLANNED) | Q(planned_for__isnull=False),
                name="planned_meeting_has_its_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day}"

    @property
    def day(self) -> dt.date | None:
        """The day it was held, or else the day it is (was) planned for."""
        return self.held_on or self.planned_for

    @property
    def held_day(self) -> dt.date:
        """The day a held meeting was held (the database keeps it for held meetings only)."""
        if self.held_on is None:
            raise ValueError("This meeting was not held: it has no day held.")
        return self.held_on

    @property
    def is_held(self) -> bool:
        return self.status == MeetingStatus.HELD

    @property
    def is_planned(self) -> bool:
        return self.status == MeetingStatus.PLANNED

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        trajectory = self.trajectory
        if self.status == MeetingStatus.HELD:
            if self.held_on is None:
                errors.add("held_on", _("Record the date the meeting was held."))
            self.check_in_trajectory(errors, "held_on", trajectory)
            if self.kind == MeetingKind.POSITIONING and trajectory.active_jim is None:
                errors.add(
                    "kind", _("A positioning meeting positions the JIM: record the JIM first.")
                )
        else:
            self._clean_agenda(errors)
        errors.raise_if_any()

    def _clean_agenda(self, errors: Errors) -> None:
        """A planned (or called-off) meeting: a date to come, nothing recorded as held."""
        if self.held_on is not None:
            errors.add("held_on", _("Only a held meeting has the date it was held."))
        if self.status != MeetingStatus.PLANNED:
            return
        if self.planned_for is None:
            errors.add("planned_for", _("Give the date the meeting is planned for."))
        elif self.planned_for < today() and self._planned_for_changed():
            # A date already on the agenda may pass: the meeting waits to be recorded as
            # held (or called off); only a newly given date must lie ahead.
            errors.add(
                "planned_for",
                _("A planned meeting does not lie in the past; record it as held instead."),
            )

    def _planned_for_changed(self) -> bool:
        if self._state.adding or self.pk is None:
            return True
        stored = type(self)._base_manager.filter(pk=self.pk).values_list("status", "planned_for")
        row = stored.first()
        return row is None or row != (MeetingStatus.PLANNED, self.planned_for)

    # --- the agenda -----------------------------------------------------------------------

    @classmethod
    def plan(
        cls, trajectory: Any, *, kind: str, on: dt.date, notes: str = "", by: Any = None
    ) -> Meeting:
        """Put a meeting on the agenda (a date today or later)."""
        meeting = cls(
            trajectory=trajectory,
            kind=kind,
            status=MeetingStatus.PLANNED,
            planned_for=on,
            notes=notes,
            recorded_by=by,
        )
        meeting.save()
        return meeting

    def record_held(self, *, expected_version: int | None = None, **fields: Any) -> None:
        """Record a planned meeting as held: ``held_on`` and what was said and decided."""
        if self.status != MeetingStatus.PLANNED:
            raise DomainError(_("Only a planned meeting can be recorded as held."), field="held_on")
        for name, value in fields.items():
            setattr(self, name, value)
        self.status = MeetingStatus.HELD
        if expected_version is None:
            self.save()
        else:
            self.save_with_version(expected_version)

    def cancel(self, *, expected_version: int | None = None) -> None:
        """Call off a planned meeting: it stays on the record as cancelled."""
        if self.status != MeetingStatus.PLANNED:
            raise DomainError(_("Only a planned meeting can be called off."), field="status")
        self.status = MeetingStatus.CANCELLED
        if expected_version is None:
            self.save()
        else:
            self.save_with_version(expected_version)

    def add_attendee(
        self, role: str, name: str = "", present: bool = True, **fields: Any
    ) -> Attendee:
        return Attendee.objects.create(
            meeting=self, role=role, name=name, present=present, **fields
        )


class AttendeeRole(models.TextChoices):
    YOUTH = "youth", _("Youth")
    JIM = "jim", _("JIM")
    PARENT = "parent", _("Parent")
    PROFESSIONAL = "professional", _("Professional")
    OTHER = "other", _("Other")


class Attendee(TrajectoryPart):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    role = models.CharField(_("role"), max_length=20, choices=AttendeeRole.choices)
    name = models.CharField(_("name"), max_length=120, blank=True)
    present = models.BooleanField(_("present"), default=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["meeting", "role", "pk"]
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        indexes = [
            # "A meeting with a JIM present" (JIM positioned, in the evidence figures), looked
            # up per meeting in a small index of its own: at 100,000 youth the accepted JIMs'
            # first such meeting took 0.36 s instead of 0.51 s.
            models.Index(
                fields=["meeting"],
                condition=Q(role=AttendeeRole.JIM, present=True),
                name="attendee_jim_present",
            )
        ]

    def owning_trajectory(self):
        return self.meeting.trajectory if self.meeting_id else None

    def clean(self) -> None:
        super().clean()
        if self.role in (AttendeeRole.OTHER, AttendeeRole.PROFESSIONAL, AttendeeRole.PARENT) and (
            not self.name.strip() and self.user_id is None
        ):
            raise_field("name", _("Name this attendee."))


def raise_field(field: str, message: Any) -> None:
    errors = Errors()
    errors.add(field, message)
    errors.raise_if_any()


class CarePlan(TrajectoryPart):
    """The care plan: made after the network map (the approach's order), with goals."""

    trajectory = models.OneToOneField(
        "trajectories.Trajectory", on_delete=models.CASCADE, related_name="care_plan"
    )
    made_on = models.DateField(_("made on"))
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        trajectory = self.trajectory
        self.check_in_trajectory(errors, "made_on", trajectory)
        if not trajectory.transitions.filter(phase=Phase.NETWORK_EXPLORATION).exists():
            errors.add(
                "made_on",
                _(
                    "The network is explored before the care plan is made: start network "
                    "exploration first."
                ),
            )
        errors.raise_if_any()

    def add_goal(self, description: str, **fields: Any) -> Goal:
        return Goal.objects.create(plan=self, description=description, **fields)


class GoalStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    PARTLY_ACHIEVED = "partly", _("Partly achieved")
    DROPPED = "dropped", _("Dropped")


class Goal(TrajectoryPart):
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="goals")
    description = models.TextField(_("goal"))
    status = models.CharField(
        _("status"), max_length=20, choices=GoalStatus.choices, default=GoalStatus.OPEN
    )
    status_note = models.TextField(_("explanation"), blank=True)

    class Meta:
        ordering = ["plan", "pk"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")

    def __str__(self) -> str:
        return self.description[:60]

    def owning_trajectory(self):
        return self.plan.trajectory if self.plan_id else None

    def removal_refusal(self, status: str | None = None) -> Any:
        """Why this goal cannot be removed, or None (the confirmation page asks first)."""
        if self._trajectory_closed():
            return TrajectoryClosed.default_message
        if (status or self.status) != GoalStatus.OPEN:
            return _(
                "Only an open goal can be removed. This goal has been worked on and is part "
                "of the record: set its status to Dropped instead."
            )
        return None

    def remove(self, expected_version: int | None = None) -> None:
        """Remove a goal added by mistake: only while it is still open.

        A goal keeps no history of its statuses, so its current status is the evidence: a
        goal that is in progress, (partly) achieved or dropped has been worked on and is
        part of the record — it is set to "dropped", not removed. A closed trajectory
        refuses removal like any other change.
        """
        with transaction.atomic():
            fresh = self.locked_for_removal(expected_version)
            if self._trajectory_closed():
                raise TrajectoryClosed()
            refusal = self.removal_refusal(fresh.status)
            if refusal is not None:
                raise DomainError(refusal, field="status")
            self.delete()


class SafetyPlan(Corrected, TrajectoryPart):
    """A safety plan for an unsafe situation; it runs in parallel with the search for a JIM."""

    revision_kind = RecordKind.SAFETY_PLAN
    revision_fields = ("made_on", "concerns", "measures", "ended_on")

    trajectory = of_trajectory("safety_plans")
    made_on = models.DateField(_("made on"))
    concerns = models.TextField(_("what is unsafe"))
    measures = models.TextField(_("agreed measures"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        ordering = ["-made_on", "-pk"]
        verbose_name = _("safety plan")
        verbose_name_plural = _("safety plans")

    @property
    def is_active(self) -> bool:
        return self.ended_on is None

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        trajectory = self.trajectory
        dob = trajectory.youth.date_of_birth
        self.check_in_trajectory(errors, "made_on", trajectory)
        check_event_date(
            errors,
            "ended_on",
            self.ended_on,
            date_of_birth=dob,
            not_before=self.made_on,
            not_before_message=_("A safety plan cannot end before it was made."),
        )
        errors.raise_if_any()
