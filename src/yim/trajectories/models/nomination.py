"""Nomination: the youth names candidates, asks them personally, and one becomes the JIM.

Rules of the approach enforced here:

* a parent, step-parent or legal guardian can never be a candidate or the JIM;
* a JIM under 18 needs an explicit, recorded confirmation before the acceptance counts;
* living in the same household as the youth is a warning, not a refusal;
* one active JIM at a time (a JIM can stop; then a new round may start);
* consent per the age rule and parental authority (see :mod:`yim.trajectories.models.consent`);
* "no JIM found" is an outcome with reasons and alternatives tried; it never blocks care.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _

from yim.core.errors import DomainError
from yim.core.models import Errors, ValidatedModel, by_account
from yim.trajectories import rules
from yim.trajectories.models.base import TrajectoryPart, check_event_date, of_trajectory, today
from yim.trajectories.models.consent import (
    ConsentRecord,
    ConsentStatus,
    HolderConsent,
    authority_holders,
    consent_records,
)
from yim.trajectories.models.revisions import Corrected, RecordKind


class RoundOutcome(models.TextChoices):
    OPEN = "open", _("Open")
    JIM_FOUND = "jim_found", _("JIM found")
    NO_JIM = "no_jim", _("No JIM found")


class NominationRound(TrajectoryPart):
    """One round of candidates named by the youth. One round is open at a time."""

    trajectory = of_trajectory("nomination_rounds")
    number = models.PositiveSmallIntegerField(_("round"), editable=False)
    started_on = models.DateField(_("started"))
    closed_on = models.DateField(_("closed"), null=True, blank=True, editable=False)
    outcome = models.CharField(
        _("outcome"),
        max_length=20,
        choices=RoundOutcome.choices,
        default=RoundOutcome.OPEN,
        editable=False,
    )
    by = by_account()

    class Meta:
        ordering = ["trajectory", "number"]
        verbose_name = _("nomination round")
        verbose_name_plural = _("nomination rounds")
        constraints = [
            models.UniqueConstraint(fields=["trajectory", "number"], name="round_number_unique"),
            models.UniqueConstraint(
                fields=["trajectory"],
                condition=Q(closed_on__isnull=True),
                name="one_open_round_per_trajectory",
                violation_error_message=_("A nomination round is already open."),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Round %(number)s") % {"number": self.number})

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        trajectory = self.trajectory
        self.check_in_trajectory(errors, "started_on", trajectory)
        if self._state.adding:
            if trajectory.active_jim is not None:
                errors.add(
                    "started_on",
                    _("The youth has an active JIM; a new round starts when that JIM stops."),
                )
            last = trajectory.nomination_rounds.aggregate(n=Max("number"))["n"] or 0
            self.number = last + 1
        errors.raise_if_any()

    def add_candidate(
        self, person: Any, named_on: dt.date | None = None, **fields: Any
    ) -> Candidate:
        """The youth names ``person`` (from their network) as a candidate JIM."""
        return Candidate.objects.create(
            round=self,
            trajectory=self.trajectory,
            person=person,
            named_on=named_on or today(),
            **fields,
        )

    def close(self, outcome: str, on: dt.date) -> None:
        self.outcome = outcome
        self.closed_on = on
        self.save()


class Response(models.TextChoices):
    PENDING = "pending", _("Not asked or no response yet")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    NO_ANSWER = "no_answer", _("No answer")


class JimEndReason(models.TextChoices):
    JIM_STOPPED = "jim_stopped", _("The JIM stopped")
    YOUTH_STOPPED = "youth_stopped", _("The youth chose to stop")
    CONSENT_REFUSED = "consent_refused", _("Consent was refused")
    UNSUITABLE = "unsuitable", _("Turned out unsuitable")
    MOVED = "moved", _("Moved away")
    OTHER = "other", _("Other")


class Candidate(Corrected, TrajectoryPart):
    """A person the youth named; if they accept, they become the youth's JIM."""

    # A recorded answer is corrected with the earlier version kept (correct_response).
    revision_kind = RecordKind.CANDIDATE
    revision_fields = ("asked_on", "response", "response_on", "decline_reason")

    round = models.ForeignKey(
        NominationRound,
        on_delete=models.CASCADE,
        related_name="candidates",
        verbose_name=_("nomination round"),
    )
    # Denormalised from the round so that "one active JIM per trajectory" is a database rule.
    trajectory = of_trajectory("candidates", editable=False)
    person = models.ForeignKey(
        "trajectories.NetworkPerson",
        on_delete=models.PROTECT,
        related_name="candidacies",
        verbose_name=_("person"),
    )
    named_on = models.DateField(_("named"))
    asked_on = models.DateField(_("asked by the youth"), null=True, blank=True)
    response = models.CharField(
        _("response"), max_length=20, choices=Response.choices, default=Response.PENDING
    )
    response_on = models.DateField(_("response date"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    minor_confirmed_on = models.DateField(_("under-18 JIM confirmed"), null=True, blank=True)
    minor_confirmed_by = by_account()
    minor_confirmation = models.TextField(_("why a JIM under 18 is suitable"), blank=True)
    jim_ended_on = models.DateField(_("stopped as JIM"), null=True, blank=True)
    jim_end_reason = models.CharField(
        _("why the JIM stopped"), max_length=20, choices=JimEndReason.choices, blank=True
    )

    class Meta:
        ordering = ["round__number", "named_on", "pk"]
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        constraints = [
            models.UniqueConstraint(
                fields=["trajectory"],
                condition=Q(response="accepted", jim_ended_on__isnull=True),
                name="one_active_jim_per_trajectory",
                violation_error_message=_("This youth already has an active JIM."),
            ),
            models.UniqueConstraint(
                fields=["round", "person"],
                name="candidate_once_per_round",
                violation_error_message=_("This person is already a candidate in this round."),
            ),
        ]

    def __str__(self) -> str:
        return self.person.display_name

    # --- derived ------------------------------------------------------------------------

    @property
    def is_jim(self) -> bool:
        return self.response == Response.ACCEPTED

    @property
    def is_active_jim(self) -> bool:
        return self.is_jim and self.jim_ended_on is None

    @property
    def warnings(self) -> list[Any]:
        """Things to weigh that do not refuse the candidate."""
        found = []
        if self.person.lives_with_youth:
            found.append(
                _(
                    "This person lives in the same household as the youth. A JIM from outside "
                    "the household can usually offer more distance and respite."
                )
            )
        if self.person.is_minor:
            found.append(
                _("This person is under 18: a JIM under 18 needs a recorded confirmation.")
            )
        return found

    def consent_status(self) -> ConsentStatus:
        """Where consent stands; reads the consents and the youth's holders of authority a
        page prefetched, when it did (see :func:`consent_records`)."""
        records = consent_records(self)
        holders = authority_holders(self.trajectory.youth)
        if not records:
            return ConsentStatus(
                required=None,
                holders=tuple(HolderConsent(h.pk, h.display_name) for h in holders),
            )
        latest: dict[str, str] = {}
        per_holder: dict[int, str] = {}
        for record in records:
            latest[record.party] = record.decision
            if record.holder_id is not None:
                per_holder[record.holder_id] = record.decision
        required = rules.required_consent(self.trajectory.youth.date_of_birth, records[-1].given_at)
        # Only the parties the rule asks for on that day count.
        return ConsentStatus(
            required=required,
            decisions={p: d for p, d in latest.items() if p in required.parties},
            holders=tuple(
                HolderConsent(h.pk, h.display_name, per_holder.get(h.pk)) for h in holders
            ),
        )

    def consent_checklist(self, on: dt.date | None = None) -> list[tuple[str, str | None]]:
        """Every consent needed for this JIM, with its latest decision (None: still open):
        the youth where the age rule asks for them, and each holder of parental authority on
        the file where it asks for the parents — for a 14-year-old: the youth, mother, father.
        Judged on the latest record's day, or ``on`` (default today) before any record."""
        status = self.consent_status()
        required = status.required or rules.required_consent(
            self.trajectory.youth.date_of_birth, on or today()
        )
        rows: list[tuple[str, str | None]] = []
        if required.youth:
            rows.append((str(_("The youth")), status.decisions.get("youth")))
        if required.parents:
            if status.holders:
                rows.extend((h.name, h.decision) for h in status.holders)
            else:
                rows.append((str(_("A parent")), status.decisions.get("parent")))
        return rows

    # --- validation ---------------------------------------------------------------------

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        if self.round_id:
            self.trajectory_id = self.round.trajectory_id
        trajectory = self.trajectory
        youth = trajectory.youth
        dob = youth.date_of_birth
        person = self.person if self.person_id else None
        if person is not None:
            if person.youth_id != youth.pk:
                errors.add("person", _("This person is not in this youth's network."))
            elif person.is_parental:
                errors.add(
                    "person",
                    _("A parent, step-parent or legal guardian can never be the JIM."),
                )
        check_event_date(
            errors,
            "named_on",
            self.named_on,
            date_of_birth=dob,
            not_before=self.round.started_on if self.round_id else None,
            not_before_message=_("A candidate cannot be named before the round started."),
        )
        check_event_date(
            errors,
            "asked_on",
            self.asked_on,
            date_of_birth=dob,
            not_before=self.named_on,
            not_before_message=_("The youth cannot ask someone before naming them."),
        )
        check_event_date(
            errors,
            "response_on",
            self.response_on,
            date_of_birth=dob,
            not_before=self.asked_on,
            not_before_message=_("The response cannot come before the youth asked."),
        )
        if self.response != Response.PENDING:
            if self.asked_on is None:
                errors.add("asked_on", _("Record when the youth asked this person."))
            if self.response_on is None:
                errors.add("response_on", _("Record the date of the response."))
        if self.response == Response.DECLINED and not self.decline_reason.strip():
            errors.add("decline_reason", _("Record why this person declined."))
        if self.response == Response.ACCEPTED:
            self._clean_acceptance(errors)
        elif self.jim_ended_on or self.jim_end_reason:
            errors.add("jim_ended_on", _("Only a JIM who accepted can stop."))
        check_event_date(
            errors,
            "minor_confirmed_on",
            self.minor_confirmed_on,
            date_of_birth=dob,
        )
        errors.raise_if_any()

    def _clean_acceptance(self, errors: Errors) -> None:
        person = self.person
        if person.is_minor and not (self.minor_confirmed_on and self.minor_confirmation.strip()):
            errors.add(
                "response",
                _(
                    "This person is under 18. Record a confirmation (date and why this JIM is "
                    "suitable) before recording the acceptance."
                ),
            )
        if self.jim_ended_on is None:
            other = (
                Candidate.objects.filter(
                    trajectory_id=self.trajectory_id,
                    response=Response.ACCEPTED,
                    jim_ended_on__isnull=True,
                )
                .exclude(pk=self.pk)
                .select_related("person")
                .first()
            )
            if other is not None:
                errors.add(
                    "response",
                    _(
                        "%(name)s is already this youth's JIM. Record that they stopped before "
                        "another JIM accepts."
                    )
                    % {"name": other.person.display_name},
                )
        else:
            if self.jim_ended_on and self.response_on and self.jim_ended_on < self.response_on:
                errors.add("jim_ended_on", _("A JIM cannot stop before accepting."))
            if not self.jim_end_reason:
                errors.add("jim_end_reason", _("Record why the JIM stopped."))
            check_event_date(
                errors,
                "jim_ended_on",
                self.jim_ended_on,
                date_of_birth=self.trajectory.youth.date_of_birth,
            )

    # --- domain actions -----------------------------------------------------------------

    def record_asked(self, on: dt.date) -> None:
        self.asked_on = on
        self.save()

    def confirm_minor(self, *, by: Any, reason: str, on: dt.date | None = None) -> None:
        """Record the explicit confirmation a JIM under 18 needs."""
        if not reason.strip():
            raise DomainError(
                _("Say why a JIM under 18 is suitable here."), field="minor_confirmation"
            )
        self.minor_confirmed_on = on or today()
        self.minor_confirmed_by = by
        self.minor_confirmation = reason
        self.save()

    def record_response(
        self,
        response: str,
        on: dt.date,
        *,
        decline_reason: str = "",
        asked_on: dt.date | None = None,
    ) -> None:
        """Record the candidate's answer; an acceptance closes the open round (JIM found)."""
        if self.response != Response.PENDING:
            raise DomainError(
                _("This candidate's response has already been recorded."), field="response"
            )
        if response == Response.PENDING:
            raise DomainError(_("Choose a response."), field="response")
        with transaction.atomic():
            if asked_on is not None:
                self.asked_on = asked_on
            self.response = response
            self.response_on = on
            self.decline_reason = decline_reason
            self.save()
            if response == Response.ACCEPTED and self.round.closed_on is None:
                self.round.close(RoundOutcome.JIM_FOUND, on)

    def correct_response(
        self,
        expected_version: int,
        *,
        response: str,
        on: dt.date,
        asked_on: dt.date | None,
        decline_reason: str = "",
        by: Any = None,
        reason: str = "",
    ) -> None:
        """Correct a recorded answer (a wrong date, a mistyped reason, declined or no
        answer); the answer as it was is kept as an earlier version.

        Whether the person became the JIM is no correction: an acceptance made them the JIM
        (it closed the round, consent and consultations follow it), so an acceptance stays
        an acceptance and another answer does not become one here.
        """
        if self.response == Response.PENDING:
            raise DomainError(_("No response has been recorded yet."), field="response")
        if response == Response.PENDING:
            raise DomainError(_("Choose a response."), field="response")
        if (response == Response.ACCEPTED) != (self.response == Response.ACCEPTED):
            raise DomainError(
                _(
                    "Whether this person became the JIM cannot be corrected: record that the "
                    "JIM stopped, or name the person again in a new round."
                ),
                field="response",
            )
        self.response = response
        self.response_on = on
        self.asked_on = asked_on
        self.decline_reason = decline_reason if response == Response.DECLINED else ""
        self.save_correction(expected_version, by=by, reason=reason)

    def end_jim(self, *, on: dt.date, reason: str) -> None:
        """The JIM stops. A new nomination round may then start."""
        if not self.is_active_jim:
            raise DomainError(_("This person is not the active JIM."), field="jim_ended_on")
        self.jim_ended_on = on
        self.jim_end_reason = reason
        self.save()

    def record_consent(self, **fields: Any) -> ConsentRecord:
        return ConsentRecord.objects.create(candidate=self, trajectory=self.trajectory, **fields)


class NoJimReason(models.TextChoices):
    NOBODY_NAMED = "nobody_named", _("The youth could not name anyone")
    ALL_DECLINED = "all_declined", _("Everyone asked declined")
    CONSENT_REFUSED = "consent_refused", _("Consent was refused")
    NETWORK_UNSAFE = "network_unsafe", _("The network is not safe enough")
    YOUTH_DECLINED = "youth_declined", _("The youth did not want a JIM")
    OTHER = "other", _("Other")


class NoJimOutcome(TrajectoryPart):
    """'No JIM found': a legitimate outcome that never blocks care."""

    trajectory = of_trajectory("no_jim_outcomes")
    recorded_on = models.DateField(_("recorded"))
    reason = models.CharField(_("reason"), max_length=30, choices=NoJimReason.choices)
    explanation = models.TextField(_("explanation"), blank=True)
    alternatives_tried = models.TextField(_("alternatives tried"))

    class Meta:
        ordering = ["recorded_on", "pk"]
        verbose_name = _("no JIM found")
        verbose_name_plural = _("no JIM found")

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        trajectory = self.trajectory
        self.check_in_trajectory(errors, "recorded_on", trajectory)
        if self.reason == NoJimReason.OTHER and not self.explanation.strip():
            errors.add("explanation", _("Explain the reason."))
        if self._state.adding and trajectory.active_jim is not None:
            errors.add("reason", _("The youth has an active JIM."))
        errors.raise_if_any()

    @classmethod
    def record(cls, *, trajectory: Any, **fields: Any) -> NoJimOutcome:
        fields.setdefault("recorded_on", today())
        with transaction.atomic():
            outcome = cls.objects.create(trajectory=trajectory, **fields)
            open_round = trajectory.open_round()
            if open_round is not None:
                open_round.close(RoundOutcome.NO_JIM, outcome.recorded_on)
        return outcome


__all__ = [
    "Candidate",
    "JimEndReason",
    "NoJimOutcome",
    "NoJimReason",
    "NominationRound",
    "Response",
    "RoundOutcome",
    "ValidatedModel",
]
