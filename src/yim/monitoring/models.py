"""Monitoring: assessments in waves, their answers with a history, the youth's sharing
choices for the JIM, and feedback after meetings.

* A :class:`Wave` is a measurement moment of a trajectory — intake (pre), each evaluation,
  closure (post) and the follow-ups. Waves are derived from the trajectory's own events
  (start, evaluation meetings, closure, follow-up due dates), never typed in; a wave without
  assessments is simply missing, which is allowed.
* An :class:`Assessment` is one respondent's filling-in of one instrument, either in a wave
  or after a meeting (feedback). It is a draft until submitted: answers are saved page by
  page, so a questionnaire can be left and resumed; submission checks the required items,
  scores the subscales and is refused cleanly the second time.
* Every change of answers writes an :class:`AssessmentRevision` (who, when, which item from
  what to what). Revisions are never changed or deleted.
* :class:`JimSharingScope` rows are the youth's decisions about what their JIM may see, one
  row per decision (the history); the latest decision per scope counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yim.monitoring import instruments
from yim.monitoring.rules import (
    AlreadySubmitted,
    EntryMode,
    MonitoringError,
    StaleAnswers,
    answer_problem,
    check_assessed_on,
    resolve_entry,
    scores_json,
)
from yim.monitoring.scoring import (
    AnswerError,
    Instrument,
    check_answer,
    missing_required,
)
from yim.monitoring.waves import WaveKind, WaveSlot, wave_slots

if TYPE_CHECKING:
    from yim.accounts.models import User
    from yim.trajectories.models import Meeting, Trajectory, Youth

#: The short form after a meeting (youth, JIM, parent) and its scored questions; the evidence
#: figures read them through two partial indexes below.
FEEDBACK_INSTRUMENT = "stakeholder_feedback"
SCORED_ITEMS = ("heard", "useful")


class Wave(models.Model):
    trajectory = models.ForeignKey(
        "trajectories.Trajectory", on_delete=models.CASCADE, related_name="waves"
    )
    kind = models.CharField(_("wave"), max_length=20, choices=WaveKind.choices)
    #: Evaluation: 1, 2, …; follow-up: months after closure; intake and closure: 0.
    number = models.PositiveSmallIntegerField(default=0)
    on = models.DateField(_("date"))
    meeting = models.ForeignKey(
        "trajectories.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waves",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "pk"]
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        constraints = [
            models.UniqueConstraint(fields=["trajectory", "kind", "number"], name="wave_once")
        ]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> Any:
        if self.kind == WaveKind.EVALUATION:
            return _("Evaluation %(n)s") % {"n": self.number}
        if self.kind == WaveKind.FOLLOW_UP:
            return _("Follow-up after %(n)s months") % {"n": self.number}
        return self.get_kind_display()

    @classmethod
    def for_slot(cls, trajectory: Trajectory, slot: WaveSlot) -> Wave:
        wave, _created = cls.objects.get_or_create(
            trajectory=trajectory,
            kind=slot.kind,
            number=slot.number,
            defaults={"on": slot.on, "meeting_id": slot.meeting_id},
        )
        return wave

    @classmethod
    def current(cls, trajectory: Trajectory) -> Wave:
        """The latest wave the trajectory has reached (made on first use)."""
        return cls.for_slot(trajectory, wave_slots(trajectory)[-1])


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class RespondentRole(models.TextChoices):
    YOUTH = "youth", pgettext_lazy("role", "Youth")  # one young person, not the list
    JIM = "jim", _("JIM")
    PARENT = "parent", _("Parent")
    PROFESSIONAL = "professional", _("Professional")


def respondent_role_of(user: User) -> str:
    return "professional" if user.is_staff_member else str(user.role)


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def submitted(self) -> AssessmentQuerySet:
        return self.filter(status=Status.SUBMITTED)

    def drafts(self) -> AssessmentQuerySet:
        return self.filter(status=Status.DRAFT)


class Assessment(models.Model):
    youth = models.ForeignKey(
        "trajectories.Youth", on_delete=models.CASCADE, related_name="assessments"
    )
    trajectory = models.ForeignKey(
        "trajectories.Trajectory", on_delete=models.CASCADE, related_name="assessments"
    )
    wave = models.ForeignKey(
        Wave, on_delete=models.PROTECT, null=True, blank=True, related_name="assessments"
    )
    meeting = models.ForeignKey(
        "trajectories.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
    )
    instrument = models.CharField(_("instrument"), max_length=50)
    instrument_version = models.PositiveIntegerField()
    respondent_role = models.CharField(
        _("filled in by"), max_length=20, choices=RespondentRole.choices
    )
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    #: ``self``: the respondent filled it in; otherwise ``respondent`` is the professional
    #: who entered the answers given by a youth, JIM or parent (``respondent_role``).
    mode = models.CharField(
        _("how the answers were given"),
        max_length=20,
        choices=EntryMode.choices,
        default=EntryMode.SELF,
    )
    #: The day the questionnaire was answered; set to the (Amsterdam) submission day when
    #: it was not given.
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    #: Subscale scores computed at submission (and after edits): {code: value or null}.
    scores = models.JSONField(default=dict, blank=True)
    #: Optimistic locking: goes up on every change of answers or status.
    version = models.PositiveIntegerField(default=1)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            # Once per respondent and role: a professional may enter the youth's and a
            # parent's answers (paper, telephone) besides their own.
            models.UniqueConstraint(
                fields=["wave", "instrument", "respondent", "respondent_role"],
                condition=Q(wave__isnull=False),
                name="assessment_once_per_wave_and_role",
            ),
            models.UniqueConstraint(
                fields=["meeting", "instrument", "respondent", "respondent_role"],
                condition=Q(meeting__isnull=False),
                name="feedback_once_per_meeting_and_role",
            ),
            models.CheckConstraint(
                condition=Q(wave__isnull=False) | Q(meeting__isnull=False),
                name="assessment_has_wave_or_meeting",
            ),
        ]
        indexes = [
            models.Index(fields=["youth", "instrument", "status"]),
            # The submitted feedback forms per trajectory, for the evidence figures: read from
            # the index alone on PostgreSQL (at 100,000 youth 76 ms instead of a scan of all
            # 1.15 million assessments, about 250 ms).
            models.Index(
                fields=["trajectory", "submitted_at"],
                include=["respondent_role", "id"],
                condition=Q(instrument=FEEDBACK_INSTRUMENT, status="submitted"),
                name="assessment_feedback_forms",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} ({self.get_respondent_role_display()})"

    # --- definition ---------------------------------------------------------------------

    @property
    def definition(self) -> Instrument:
        return instruments.get(self.instrument)

    @property
    def is_submitted(self) -> bool:
        return self.status == Status.SUBMITTED

    # --- creating -----------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        youth: Youth,
        trajectory: Trajectory,
        instrument: Instrument,
        respondent: User,
        wave: Wave | None = None,
        meeting: Meeting | None = None,
        on_behalf_of: str = "",
        entry_mode: str = "",
        assessed_on: dt.date | None = None,
    ) -> tuple[Assessment, bool]:
        """The respondent's assessment for this wave or meeting: the existing one (draft or
        submitted) or a new draft. Returns ``(assessment, created)``.

        ``on_behalf_of`` (youth, JIM, parent): a professional (``respondent``) enters the
        answers that person gave on paper, by telephone or in person (``entry_mode``).
        ``assessed_on``: the day it was answered (default: the day it is submitted).
        """
        role = respondent_role_of(respondent)
        role, mode = resolve_entry(respondent, role, on_behalf_of, entry_mode)
        if assessed_on is not None:
            check_assessed_on(assessed_on, youth)
        if not instrument.is_for(role):
            raise MonitoringError(
                _("This questionnaire is not meant to be filled in by you.")
                if not on_behalf_of
                else _("This questionnaire is not meant for this respondent."),
                field="instrument",
            )
        if instrument.use == "meeting":
            # Feedback is about a meeting that took place, never one on the agenda.
            if meeting is None or meeting.trajectory_id != trajectory.pk or not meeting.is_held:
                raise MonitoringError(_("Choose the meeting this feedback is about."), "meeting")
            place: dict[str, Any] = {"meeting": meeting}
        else:
            if wave is None or wave.trajectory_id != trajectory.pk:
                raise MonitoringError(_("Choose the wave of this assessment."), "wave")
            place = {"wave": wave}
        existing = cls.objects.filter(
            instrument=instrument.code, respondent=respondent, respondent_role=role, **place
        )
        found = existing.first()
        if found is not None:
            return found, False
        try:
            with transaction.atomic():
                assessment = cls.objects.create(
                    youth=youth,
                    trajectory=trajectory,
                    instrument=instrument.code,
                    instrument_version=instrument.version,
                    respondent_role=role,
                    respondent=respondent,
                    mode=mode,
                    assessed_on=assessed_on,
                    **place,
                )
                AssessmentRevision.objects.create(
                    assessment=assessment, by=respondent, action=RevisionAction.STARTED
                )
        except IntegrityError:  # a parallel request created it first
            return existing.get(), False
        return assessment, True

    # --- answers ------------------------------------------------------------------------

    def answers_dict(self) -> dict[str, int | str | None]:
        values: dict[str, int | str | None] = {}
        for answer in self.answers.all():
            values[answer.item] = answer.value if answer.value is not None else answer.text
        return values

    def save_answers(
        self,
        values: Mapping[str, int | str | None],
        *,
        by: User,
        expected_version: int | None = None,
    ) -> list[dict[str, Any]]:
        """Store answers for some items (a page); returns the changes made.

        Every answer is checked first; one bad answer refuses the whole page with a message
        per item, and nothing already saved changes. A submitted assessment is only changed
        through :meth:`edit_submitted`.
        """
        if self.is_submitted:
            raise AlreadySubmitted(
                _("This questionnaire has already been submitted; your answers are saved.")
            )
        return self._write(values, by=by, expected_version=expected_version)

    def edit_submitted(
        self, values: Mapping[str, int | str | None], *, by: User, expected_version: int
    ) -> list[dict[str, Any]]:
        """Correct a submitted assessment (staff, professional assessments): re-scored and
        recorded in the history."""
        if not self.is_submitted:
            raise MonitoringError(_("Only a submitted assessment is edited this way."))
        missing = missing_required(self.definition, {**self.answers_dict(), **values})
        if missing:
            raise MonitoringError(_("This question needs an answer."), field=missing[0])
        changes = self._write(
            values, by=by, expected_version=expected_version, action=RevisionAction.EDITED
        )
        self._rescore()
        return changes

    def _write(
        self,
        values: Mapping[str, int | str | None],
        *,
        by: User,
        expected_version: int | None,
        action: str = "",
    ) -> list[dict[str, Any]]:
        definition = self.definition
        errors: dict[str, list[Any]] = {}
        clean: dict[str, int | str | None] = {}
        for code, value in values.items():
            if not definition.has_item(code):
                errors.setdefault(code, []).append(_("This question does not exist."))
                continue
            item = definition.item(code)
            if isinstance(value, str) and item.is_scored:
                value = value.strip() or None
                try:
                    value = int(value) if value is not None else None
                except ValueError:
                    errors.setdefault(code, []).append(_("Choose one of the answers."))
                    continue
            if isinstance(value, str):
                value = value.strip() or None
            try:
                clean[code] = check_answer(item, value)
            except AnswerError:
                errors.setdefault(code, []).append(answer_problem(item))
        if errors:
            raise ValidationError(errors)
        with transaction.atomic():
            self._claim(expected_version)
            current = {a.item: a for a in self.answers.select_for_update()}
            changes = []
            for code, value in clean.items():
                answer = current.get(code)
                old = _stored(answer)
                if old == value:
                    continue
                changes.append({"item": code, "old": old, "new": value})
                if value is None:
                    if answer is not None:
                        answer.delete()
                    continue
                if answer is None:
                    answer = Answer(assessment=self, item=code)
                answer.value = value if isinstance(value, int) else None
                answer.text = value if isinstance(value, str) else ""
                answer.save()
            if changes:
                AssessmentRevision.objects.create(
                    assessment=self,
                    by=by,
                    action=action or RevisionAction.SAVED,
                    changes=changes,
                )
        return changes

    def _claim(self, expected_version: int | None) -> None:
        """Bump ``version`` if it is still the expected one (optimistic locking)."""
        expected = self.version if expected_version is None else int(expected_version)
        claimed = Assessment.objects.filter(pk=self.pk, version=expected).update(
            version=expected + 1, updated_at=timezone.now()
        )
        if claimed != 1:
            fresh = Assessment.objects.filter(pk=self.pk).values("status").first()
            if fresh and fresh["status"] == Status.SUBMITTED and not self.is_submitted:
                raise AlreadySubmitted(
                    _("This questionnaire has already been submitted; your answers are saved.")
                )
            raise StaleAnswers(
                _(
                    "These answers were changed elsewhere (another tab or device) after you "
                    "opened this page. Nothing of yours was overwritten: reload the page and "
                    "check your answers."
                )
            )
        self.version = expected + 1

    def submit(self, *, by: User) -> None:
        """Finalise: every required item answered, subscales scored; refused the second time."""
        if self.is_submitted:
            raise AlreadySubmitted(
                _("This questionnaire has already been submitted; your answers are saved.")
            )
        answers = self.answers_dict()
        missing = missing_required(self.definition, answers)
        if missing:
            raise MonitoringError(_("This question needs an answer."), field=missing[0])
        with transaction.atomic():
            now = timezone.now()
            claimed = Assessment.objects.filter(pk=self.pk, status=Status.DRAFT).update(
                status=Status.SUBMITTED,
                submitted_at=now,
                assessed_on=self.assessed_on or timezone.localdate(now),
                version=models.F("version") + 1,
                scores=scores_json(self.definition, answers),
            )
            if claimed != 1:
                raise AlreadySubmitted(
                    _("This questionnaire has already been submitted; your answers are saved.")
                )
            AssessmentRevision.objects.create(
                assessment=self, by=by, action=RevisionAction.SUBMITTED
            )
        self.refresh_from_db()

    def _rescore(self) -> None:
        self.scores = scores_json(self.definition, self.answers_dict())
        Assessment.objects.filter(pk=self.pk).update(scores=self.scores)

    def first_open_page(self) -> int:
        """The first page with an unanswered item (where to resume), 1-based."""
        answered = set(self.answers.values_list("item", flat=True))
        pages = self.definition.pages()
        for number, page in enumerate(pages, start=1):
            if any(item.code not in answered for item in page):
                return number
        return len(pages)


def _stored(answer: Answer | None) -> int | str | None:
    if answer is None:
        return None
    return answer.value if answer.value is not None else (answer.text or None)


class Answer(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    item = models.CharField(max_length=50)
    value = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["assessment", "pk"]
        constraints = [models.UniqueConstraint(fields=["assessment", "item"], name="answer_once")]
        indexes = [
            # The feedback scores alone (about 5% of all answers), joined to their forms at
            # once instead of looked up form by form; see Assessment's feedback index.
            models.Index(
                fields=["item", "assessment"],
                include=["value"],
                condition=Q(item__in=SCORED_ITEMS),
                name="answer_feedback_scores",
            )
        ]


class RevisionAction(models.TextChoices):
    STARTED = "started", _("started")
    SAVED = "saved", _("answers saved")
    SUBMITTED = "submitted", _("submitted")
    EDITED = "edited", _("corrected after submission")


class AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are history and never change")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(f"{type(self).__name__} rows are history and never deleted")


class AssessmentRevision(AppendOnly):
    """Who changed what in an assessment, and when."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="revisions")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=RevisionAction.choices)
    #: [{"item": code, "old": value, "new": value}, …]
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class SharingScope(models.TextChoices):
    MEETINGS = "meetings", _("Meetings")
    PLAN = "plan", _("Care plan")
    ASSESSMENTS = "assessments", _("Questionnaires and assessments")
    NETWORK = "network", _("Network")


class JimSharingScope(AppendOnly):
    """One decision of the youth: may the JIM see this part of the file? The latest per
    scope counts; nothing is shared until the youth decides so."""

    youth = models.ForeignKey(
        "trajectories.Youth", on_delete=models.CASCADE, related_name="jim_sharing"
    )
    scope = models.CharField(_("part of the file"), max_length=20, choices=SharingScope.choices)
    shared = models.BooleanField(_("shared with the JIM"))
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["youth", "scope", "at"])]

    @classmethod
    def current(cls, youth: Youth) -> dict[str, bool]:
        """Scope → shared, from the latest decision per scope (unset scopes: not shared)."""
        decided: dict[str, bool] = {}
        for scope, shared in (
            cls.objects.filter(youth=youth).order_by("-at", "-pk").values_list("scope", "shared")
        ):
            decided.setdefault(scope, shared)
        return {scope: decided.get(scope, False) for scope in SharingScope.values}

    @classmethod
    def decide(cls, youth: Youth, choices: Mapping[str, bool], *, by: User) -> list[str]:
        """Record the scopes whose choice changed; returns their codes."""
        now = cls.current(youth)
        changed = [s for s in SharingScope.values if s in choices and choices[s] != now[s]]
        at = timezone.now()
        JimSharingScope.objects.bulk_create(
            [
                JimSharingScope(youth=youth, scope=s, shared=choices[s], at=at, by=by)
                for s in changed
            ]
        )
        return changed
