"""Consent to a JIM: who consents follows the youth's age on the day (Europe/Amsterdam) and
parental authority (gezag).

Under 12 the parents consent, 12–15 the youth and the parents, 16 and older the youth alone
(:func:`yim.trajectories.rules.required_consent`). Where the parents consent, every holder of
parental authority on the youth's file is asked, unless the professional records why one is
not; a record is a fact, never edited, superseded by a newer one of the same party or holder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yim.core.errors import DomainError
from yim.core.models import Errors, by_account, prefetched
from yim.trajectories import rules
from yim.trajectories.models.base import TrajectoryPart, check_event_date, of_trajectory
from yim.trajectories.models.network import NetworkPerson

GIVEN = frozenset({"yes", "reluctant_yes"})
#: What settles a holder of parental authority: consent, or recorded as not asked.
SETTLED = GIVEN | {"not_asked"}


@dataclass(frozen=True)
class HolderConsent:
    """Where one holder of parental authority stands: their latest decision, or open."""

    person_id: int
    name: str
    decision: str | None = None

    @property
    def settled(self) -> bool:
        """Consent given, or the professional recorded why this holder is not asked."""
        return self.decision in SETTLED


@dataclass(frozen=True)
class ConsentStatus:
    """Where consent for one JIM stands (judged on the day of the latest record).

    ``decisions`` holds the latest decision per party. When holders of parental authority
    are recorded on the youth's file (``holders``), the parents' part is complete only when
    every holder consented or the professional recorded why one is not asked; without
    recorded holders, one parent's consent counts for the parents (and the page asks the
    professional to record who holds authority).
    """

    required: rules.ConsentRequirement | None
    decisions: dict[str, str] = field(default_factory=dict)
    holders: tuple[HolderConsent, ...] = ()

    @property
    def parents_settled(self) -> bool:
        if self.holders:
            return all(h.settled for h in self.holders)
        return self.decisions.get("parent") in GIVEN

    @property
    def complete(self) -> bool:
        if self.required is None:
            return False
        if self.required.youth and self.decisions.get("youth") not in GIVEN:
            return False
        return not self.required.parents or self.parents_settled

    @property
    def refused(self) -> bool:
        if self.required is not None and self.required.parents and self.holders:
            return self.decisions.get("youth") == ConsentDecision.REFUSED or any(
                h.decision == ConsentDecision.REFUSED for h in self.holders
            )
        return any(d == ConsentDecision.REFUSED for d in self.decisions.values())

    @property
    def reluctant(self) -> bool:
        return ConsentDecision.RELUCTANT_YES in self.decisions.values() or any(
            h.decision == ConsentDecision.RELUCTANT_YES for h in self.holders
        )

    @property
    def missing(self) -> tuple[str, ...]:
        if self.required is None:
            return ()
        missing = [p for p in self.required.parties if p not in self.decisions]
        holders_open = self.holders and not all(h.decision for h in self.holders)
        if self.required.parents and holders_open and "parent" not in missing:
            missing.append("parent")
        return tuple(missing)

    @property
    def open_holders(self) -> tuple[HolderConsent, ...]:
        return tuple(h for h in self.holders if h.decision is None)


class ConsentParty(models.TextChoices):
    YOUTH = "youth", _("The youth")
    PARENT = "parent", _("A parent (or legal guardian)")


class ConsentDecision(models.TextChoices):
    YES = "yes", _("Consents")
    RELUCTANT_YES = "reluctant_yes", _("Consents reluctantly")
    REFUSED = "refused", _("Refuses")
    NOT_ASKED = "not_asked", _("Not asked (the professional records why)")


class NotAskedReason(models.TextChoices):
    WHEREABOUTS_UNKNOWN = "whereabouts_unknown", _("Whereabouts unknown")
    UNREACHABLE = "unreachable", _("Cannot be reached in time")
    UNSAFE = "unsafe", _("Asking would put the youth at risk")
    OTHER = "other", _("Other (say why in the note)")


class ConsentRecord(TrajectoryPart):
    """One party's consent (or refusal) to a JIM, as given on a day.

    Which parties may consent follows the youth's age on that day in Europe/Amsterdam:
    under 12 the parents, 12–15 youth and parents, 16 and older the youth alone. A record
    is a fact: it is never edited; a new record supersedes an earlier one.
    """

    trajectory = of_trajectory("consents", editable=False)
    candidate = models.ForeignKey(
        "trajectories.Candidate", on_delete=models.CASCADE, related_name="consents"
    )
    party = models.CharField(_("given by"), max_length=20, choices=ConsentParty.choices)
    # The holder of parental authority (a person on the youth's network map) who decided.
    holder = models.ForeignKey(
        "trajectories.NetworkPerson",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents_given",
        verbose_name=_("parent with parental authority"),
    )
    parent_name = models.CharField(_("name of the parent"), max_length=120, blank=True)
    decision = models.CharField(_("decision"), max_length=20, choices=ConsentDecision.choices)
    not_asked_reason = models.CharField(
        _("why this parent is not asked"),
        max_length=30,
        choices=NotAskedReason.choices,
        blank=True,
    )
    given_at = models.DateTimeField(_("date and time"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    recorded_by = by_account()

    class Meta:
        ordering = ["given_at", "pk"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def clean(self) -> None:
        if not self._state.adding:
            raise DomainError(_("A consent record is not changed; record a new one instead."))
        if self.candidate_id:
            self.trajectory_id = self.candidate.trajectory_id
        super().clean()
        errors = Errors()
        candidate = self.candidate
        dob = candidate.trajectory.youth.date_of_birth
        check_event_date(errors, "given_at", self.given_at, date_of_birth=dob)
        if not candidate.is_jim:
            errors.add("candidate", _("Consent is asked for a candidate who has accepted."))
        if not errors and self.party:
            required = rules.required_consent(dob, self.given_at)
            if self.party not in required.parties:
                errors.add("party", _consent_rule_message(required, self.given_at))
        self._clean_parent(errors, candidate)
        errors.raise_if_any()

    def _clean_parent(self, errors: Errors, candidate: Any) -> None:
        """Consent follows parental authority: a parent's record names the holder of
        authority who decided (when holders are recorded on the file); a holder may be
        recorded as not asked, with the reason."""
        if self.party != ConsentParty.PARENT:
            if self.holder_id is not None:
                errors.add("holder", _("Only a parent's consent names a holder of authority."))
            if self.decision == ConsentDecision.NOT_ASKED:
                errors.add("decision", _("Only a parent can be recorded as not asked."))
            return
        youth_id = candidate.trajectory.youth_id
        holders = NetworkPerson.objects.filter(youth_id=youth_id, has_parental_authority=True)
        if self.holder_id is not None:
            holder = holders.filter(pk=self.holder_id).first()
            if holder is None:
                errors.add(
                    "holder",
                    _(
                        "This person has no parental authority on the youth's file: their "
                        "decision does not count as the parents' consent."
                    ),
                )
                return
            if not self.parent_name.strip():
                self.parent_name = holder.display_name
        elif holders.exists():
            errors.add("holder", _("Choose which parent with parental authority decided."))
            return
        if not self.parent_name.strip():
            errors.add("parent_name", _("Name the parent who decided."))
        if self.decision == ConsentDecision.NOT_ASKED:
            if self.holder_id is None:
                errors.add(
                    "decision",
                    _("'Not asked' is recorded for a parent with parental authority on the file."),
                )
            if not self.not_asked_reason:
                errors.add("not_asked_reason", _("Say why this parent is not asked."))
            elif self.not_asked_reason == NotAskedReason.OTHER and not self.note.strip():
                errors.add("note", _("Say in the note why this parent is not asked."))
        elif self.not_asked_reason:
            errors.add("not_asked_reason", _("A reason for not asking goes with 'not asked'."))


def authority_holders_prefetch() -> models.Prefetch:
    """Prefetch a youth's holders of parental authority (``youth.authority_holders``), so
    that :meth:`Candidate.consent_status` reads them without a query per JIM."""
    return models.Prefetch(
        "network",
        queryset=NetworkPerson.objects.filter(has_parental_authority=True).order_by(
            "display_name", "pk"
        ),
        to_attr="authority_holders",
    )


def authority_holders(youth: Any) -> list[NetworkPerson]:
    """The holders of parental authority on the youth's file, by name: the prefetched ones
    (:func:`authority_holders_prefetch`) when a page loaded them, else one query."""
    prefetched = getattr(youth, "authority_holders", None)
    if prefetched is not None:
        return list(prefetched)
    return list(
        NetworkPerson.objects.filter(youth_id=youth.pk, has_parental_authority=True).order_by(
            "display_name", "pk"
        )
    )


def consent_records(candidate: Any) -> list[ConsentRecord]:
    """A JIM's consent records, oldest first: the prefetched ones
    (``prefetch_related("consents")``) when a page loaded them, else one query."""
    loaded = prefetched(candidate, "consents")
    if loaded is not None:
        return sorted(loaded, key=lambda r: (r.given_at, r.pk))
    return list(candidate.consents.order_by("given_at", "pk"))


def _consent_rule_message(required: rules.ConsentRequirement, given_at: dt.datetime) -> Any:
    day = rules.amsterdam_day(given_at)
    if required.age < rules.YOUTH_CONSENTS_FROM:
        who = _("the parents")
    elif required.age < rules.YOUTH_ALONE_FROM:
        who = _("the youth and the parents")
    else:
        who = _("the youth alone")
    return _("On %(day)s the youth was %(age)s: consent is given by %(who)s.") % {
        "day": day.isoformat(),
        "age": required.age,
        "who": who,
    }
