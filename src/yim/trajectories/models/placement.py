"""The placement gate: no out-of-home placement without first consulting the youth's JIM.

A :class:`PlacementDecision` for foster care, residential or semi-secure care can only be
*finalised* when a :class:`JimConsultation` is recorded (date, the JIM's advice, how it was
weighed) or — when the youth has no JIM — the reason. The gate is checked in ``save()``
itself, so it holds for forms, the API and direct model calls alike.

An emergency placement may be finalised first. Its JIM consultation is then due within
7 days and the decision stays flagged until one is recorded; a team lead confirms the
emergency.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yim.accounts.models import Role
from yim.core.errors import DomainError
from yim.core.models import Errors, by_account
from yim.trajectories import rules
from yim.trajectories.errors import GateClosed
from yim.trajectories.models.base import TrajectoryPart, of_trajectory, today
from yim.trajectories.models.choices import OUT_OF_HOME, PlacementType
from yim.trajectories.signals import placement_finalised


class DecisionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FINALISED = "finalised", _("Finalised")


class PlacementDecisionQuerySet(models.QuerySet["PlacementDecision"]):
    def consultation_pending(self) -> PlacementDecisionQuerySet:
        """Finalised emergency placements still waiting for their JIM consultation."""
        consulted = JimConsultation.objects.filter(decision=OuterRef("pk"))
        return self.filter(
            is_emergency=True, status=DecisionStatus.FINALISED, no_jim_reason=""
        ).exclude(Exists(consulted))

    def consultation_overdue(self, as_of: dt.date | None = None) -> PlacementDecisionQuerySet:
        return self.consultation_pending().filter(consultation_due__lt=as_of or today())

    def awaiting_confirmation(self) -> PlacementDecisionQuerySet:
        """Emergency decisions a team lead has not confirmed yet."""
        return self.filter(is_emergency=True, confirmed_at__isnull=True)


class PlacementDecision(TrajectoryPart):
    trajectory = of_trajectory("placement_decisions")
    placement_type = models.CharField(_("decision"), max_length=20, choices=PlacementType.choices)
    decided_on = models.DateField(_("decided on"))
    options_considered = models.TextField(_("options considered"), blank=True)
    rationale = models.TextField(_("rationale"))
    youth_view = models.TextField(_("the youth's own view"))
    is_emergency = models.BooleanField(_("emergency placement"), default=False)
    no_jim_reason = models.TextField(_("why no JIM could be consulted"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=DecisionStatus.choices,
        default=DecisionStatus.DRAFT,
        editable=False,
    )
    consultation_due = models.DateField(
        _("JIM consultation due"), null=True, blank=True, editable=False
    )
    decided_by = by_account()
    finalised_at = models.DateTimeField(_("finalised"), null=True, blank=True, editable=False)
    finalised_by = by_account(editable=False)
    confirmed_at = models.DateTimeField(
        _("emergency confirmed"), null=True, blank=True, editable=False
    )
    confirmed_by = by_account(_("confirmed by (team lead)"), editable=False)

    objects = PlacementDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_on", "-pk"]
        verbose_name = _("placement decision")
        verbose_name_plural = _("placement decisions")

    def __str__(self) -> str:
        return f"{self.get_placement_type_display()} {self.decided_on}"

    # --- derived ------------------------------------------------------------------------

    @property
    def is_out_of_home(self) -> bool:
        return self.placement_type in OUT_OF_HOME

    @property
    def is_finalised(self) -> bool:
        return self.status == DecisionStatus.FINALISED

    @property
    def has_consultation(self) -> bool:
        return self.pk is not None and self.consultations.exists()

    @property
    def consultation_pending(self) -> bool:
        """An emergency placement whose JIM consultation (or no-JIM reason) is still missing."""
        return (
            self.is_emergency
            and self.is_finalised
            and not self.no_jim_reason.strip()
            and not self.has_consultation
        )

    def is_consultation_overdue(self, as_of: dt.date | None = None) -> bool:
        as_of = as_of or today()
        return (
            self.consultation_pending
            and self.consultation_due is not None
            and as_of > self.consultation_due
        )

    @property
    def needs_confirmation(self) -> bool:
        return self.is_emergency and self.confirmed_at is None

    # --- the gate -----------------------------------------------------------------------

    def gate_error(self) -> GateClosed | None:
        """Why this decision may not be final (yet), or None when the gate is open."""
        if not self.is_out_of_home or self.is_emergency:
            return None
        if self.has_consultation:
            return None
        if self.trajectory.active_jim is not None:
            return GateClosed()
        if not self.no_jim_reason.strip():
            return GateClosed(
                _(
                    "There is no JIM to consult: record the reason before finalising an "
                    "out-of-home placement."
                ),
                field="no_jim_reason",
            )
        return None

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        trajectory = self.trajectory
        self.check_in_trajectory(errors, "decided_on", trajectory)
        if self.is_emergency and not self.is_out_of_home:
            errors.add("is_emergency", _("Only an out-of-home placement can be an emergency."))
        if self.no_jim_reason.strip() and trajectory.active_jim is not None:
            errors.add("no_jim_reason", _("This youth has a JIM: record the consultation instead."))
        if not self._state.adding and self._finalised_in_database():
            changed = self._changed_fields()
            # A final decision stands; only the team lead's confirmation and the
            # late no-JIM reason of an emergency may still be added.
            allowed = (
                {"confirmed_at", "confirmed_by", "no_jim_reason"}
                if self.is_emergency
                else {
                    "confirmed_at",
                    "confirmed_by",
                }
            )
            if changed - allowed:
                errors.add("__all__", _("A finalised placement decision cannot be changed."))
        self.consultation_due = (
            rules.consultation_due(self.decided_on)
            if self.is_emergency and self.decided_on
            else None
        )
        errors.raise_if_any()

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The gate, before anything else: a direct save of a finalised out-of-home decision
        # without a consultation is refused with the specific GateClosed error.
        if self.status == DecisionStatus.FINALISED and self.trajectory_id:
            blocked = self.gate_error()
            if blocked is not None:
                raise blocked
        super().save(*args, **kwargs)

    def _finalised_in_database(self) -> bool:
        return PlacementDecision._base_manager.filter(
            pk=self.pk, status=DecisionStatus.FINALISED
        ).exists()

    def _changed_fields(self) -> set[str]:
        stored: Any = PlacementDecision._base_manager.filter(pk=self.pk).values().first() or {}
        changed = set()
        for f in self._meta.concrete_fields:
            if f.attname in ("version",):
                continue
            if stored.get(f.attname) != getattr(self, f.attname):
                changed.add(f.name)
        return changed

    # --- domain actions -----------------------------------------------------------------

    def finalise(self, by: Any, at: dt.datetime | None = None) -> None:
        """Make the decision final — through the gate. Raises :class:`GateClosed`."""
        if self.is_finalised:
            raise DomainError(_("This decision is already final."))
        blocked = self.gate_error()
        if blocked is not None:
            raise blocked
        self.status = DecisionStatus.FINALISED
        self.finalised_at = at or timezone.now()
        self.finalised_by = by
        try:
            self.save()
        except BaseException:
            self.status = DecisionStatus.DRAFT
            self.finalised_at = None
            self.finalised_by = None
            raise
        transaction.on_commit(
            lambda: placement_finalised.send(sender=PlacementDecision, decision=self)
        )

    def record_consultation(self, **fields: Any) -> JimConsultation:
        """Record the JIM's advice and how it was weighed (before, or after an emergency)."""
        fields.setdefault("jim", self.trajectory.active_jim)
        return JimConsultation.objects.create(decision=self, **fields)

    def record_no_jim_reason(self, reason: str) -> None:
        """After an emergency placement in a trajectory without a JIM: why none was consulted.

        Settles the consultation that falls due within 7 days of the emergency, as a
        consultation does when there is a JIM. With a JIM, its consultation is recorded instead.
        """
        if not self.is_emergency or not self.is_finalised:
            raise DomainError(
                _("A reason is added afterwards only to a finalised emergency placement."),
                field="no_jim_reason",
            )
        if not reason.strip():
            raise DomainError(_("Say why no JIM could be consulted."), field="no_jim_reason")
        self.no_jim_reason = reason.strip()
        self.save()

    @staticmethod
    def may_confirm_emergency(user: Any, trajectory_team_id: int | None) -> bool:
        """Who confirms an emergency placement: a team lead of the trajectory's team. The
        rule is written here only; :func:`yim.policy.can_confirm_emergency` asks it (and
        adds that the account is active and its access to youth files is in force)."""
        return (
            getattr(user, "role", None) == Role.TEAM_LEAD
            and trajectory_team_id is not None
            and getattr(user, "team_id", None) == trajectory_team_id
        )

    def confirm_emergency(self, by: Any, at: dt.datetime | None = None) -> None:
        """A team lead of the trajectory's team confirms an emergency placement."""
        if not self.is_emergency:
            raise DomainError(_("Only an emergency placement needs a team lead's confirmation."))
        if self.confirmed_at is not None:
            raise DomainError(_("This emergency has already been confirmed."))
        if not self.may_confirm_emergency(by, self.trajectory.team_id):
            raise DomainError(
                _("Only a team lead of the youth's team can confirm an emergency placement."),
                field="confirmed_by",
            )
        self.confirmed_at = at or timezone.now()
        self.confirmed_by = by
        self.save()


class JimConsultation(TrajectoryPart):
    """The JIM's advice on a placement decision, and how it was weighed."""

    # A late consultation after an emergency placement must stay possible after closure.
    allowed_after_closure = True

    decision = models.ForeignKey(
        PlacementDecision, on_delete=models.PROTECT, related_name="consultations"
    )
    jim = models.ForeignKey(
        "trajectories.Candidate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name=_("JIM"),
    )
    consulted_on = models.DateField(_("consulted on"))
    advice = models.TextField(_("the JIM's advice"))
    weighing = models.TextField(_("how the advice was weighed"))
    recorded_by = by_account()

    class Meta:
        ordering = ["consulted_on", "pk"]
        verbose_name = _("JIM consultation")
        verbose_name_plural = _("JIM consultations")

    def owning_trajectory(self):
        return self.decision.trajectory if self.decision_id else None

    def clean(self) -> None:
        if not self._state.adding and self.decision.is_finalised:
            raise DomainError(_("The consultation behind a final decision cannot be changed."))
        super().clean()
        errors = Errors()
        decision = self.decision
        trajectory = decision.trajectory
        self.check_in_trajectory(errors, "consulted_on", trajectory)
        jim = self.jim if self.jim_id is not None else None
        if jim is None:
            errors.add("jim", _("Name the JIM who was consulted."))
        elif jim.trajectory_id != trajectory.pk or not jim.is_jim:
            errors.add("jim", _("This person is not a JIM in this trajectory."))
        if (
            not decision.is_emergency
            and self.consulted_on
            and decision.decided_on
            and self.consulted_on > decision.decided_on
        ):
            errors.add(
                "consulted_on",
                _("The JIM is consulted before the decision is taken (or it is an emergency)."),
            )
        errors.raise_if_any()
