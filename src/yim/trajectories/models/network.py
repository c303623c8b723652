"""The youth's network map: the people around them and the ties between those people.

The network belongs to the youth (it outlives a trajectory). Parents, step-parents and legal
guardians are part of the map — they matter for the youth — but can never become the JIM.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models import ProtectedError, Q
from django.utils.translation import gettext_lazy as _

from yim.core.errors import DomainError
from yim.core.models import Errors, VersionedModel
from yim.trajectories.models.choices import ContactFrequency


class Relation(models.TextChoices):
    GRANDPARENT = "grandparent", _("Grandparent")
    AUNT_UNCLE = "aunt_uncle", _("Aunt or uncle")
    SIBLING = "sibling", _("Sibling")
    COUSIN = "cousin", _("Cousin")
    OTHER_FAMILY = "other_family", _("Other family")
    NEIGHBOUR = "neighbour", _("Neighbour")
    FAMILY_FRIEND = "family_friend", _("Family friend")
    FRIEND = "friend", _("Friend")
    TEACHER = "teacher", _("Teacher")
    COACH = "coach", _("Coach")
    YOUTH_WORKER = "youth_worker", _("Youth worker")
    RELIGIOUS_LEADER = "religious_leader", _("Religious leader")
    EMPLOYER = "employer", _("Employer")
    OTHER = "other", _("Other")
    # On the map, never a JIM:
    PARENT = "parent", _("Parent")
    STEP_PARENT = "step_parent", _("Step-parent")
    LEGAL_GUARDIAN = "legal_guardian", _("Legal guardian")


#: Relations that rule a person out as JIM (the JIM is a non-parental adult).
PARENTAL_RELATIONS = frozenset({Relation.PARENT, Relation.STEP_PARENT, Relation.LEGAL_GUARDIAN})


class AgeBand(models.TextChoices):
    UNDER_12 = "under_12", _("Under 12")
    AGE_12_15 = "12_15", _("12–15")
    AGE_16_17 = "16_17", _("16–17")
    AGE_18_24 = "18_24", _("18–24")
    AGE_25_39 = "25_39", _("25–39")
    AGE_40_64 = "40_64", _("40–64")
    AGE_65_PLUS = "65_plus", _("65 or older")


MINOR_AGE_BANDS = frozenset({AgeBand.UNDER_12, AgeBand.AGE_12_15, AgeBand.AGE_16_17})


class SupportType(models.TextChoices):
    EMOTIONAL = "emotional", _("Emotional")
    PRACTICAL = "practical", _("Practical")
    ADVICE = "advice", _("Advice")
    COMPANIONSHIP = "companionship", _("Companionship")


RATING_MIN, RATING_MAX = 1, 5

#: Why a person who was ever a nomination candidate stays on the map.
NOMINATED_PERSON_STAYS = _(
    "This person was a candidate in a nomination round and cannot be removed: the "
    "nomination history must stay. Correct the person's details instead."
)


class NetworkPerson(VersionedModel):
    """Someone in the youth's network, as the youth describes them."""

    youth = models.ForeignKey(
        "trajectories.Youth", on_delete=models.CASCADE, related_name="network"
    )
    display_name = models.CharField(_("name"), max_length=120)
    relation = models.CharField(_("relation"), max_length=30, choices=Relation.choices)
    has_parental_authority = models.BooleanField(
        _("has parental authority (custody or guardianship)"), default=False
    )
    age_band = models.CharField(_("age"), max_length=10, choices=AgeBand.choices)
    lives_with_youth = models.BooleanField(_("lives with the youth"), default=False)
    contact_frequency = models.CharField(
        _("contact"),
        max_length=10,
        choices=ContactFrequency.choices,
        default=ContactFrequency.MONTHLY,
    )
    trust = models.PositiveSmallIntegerField(_("trust (1–5)"), null=True, blank=True)
    conflict = models.PositiveSmallIntegerField(_("conflict (1–5)"), null=True, blank=True)
    support_types = models.JSONField(_("support"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name", "pk"]
        verbose_name = _("person in the network")
        verbose_name_plural = _("network")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_relation_display()})"

    @property
    def is_parental(self) -> bool:
        """A parent, step-parent or legal guardian: can never be the JIM."""
        return self.relation in PARENTAL_RELATIONS or self.has_parental_authority

    @property
    def is_minor(self) -> bool:
        return self.age_band in MINOR_AGE_BANDS

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        for field in ("trust", "conflict"):
            value = getattr(self, field)
            if value is not None and not RATING_MIN <= value <= RATING_MAX:
                errors.add(field, _("Give a rating from 1 to 5."))
        kinds = self.support_types
        valid = set(SupportType.values)
        if not isinstance(kinds, list) or not all(k in valid for k in kinds):
            errors.add("support_types", _("Unknown kind of support."))
        elif len(set(kinds)) != len(kinds):
            errors.add("support_types", _("A kind of support is listed twice."))
        else:
            self.support_types = [k for k in SupportType.values if k in kinds]
        if self.pk and self.is_parental and self.candidacies.filter(response="accepted").exists():
            errors.add(
                "relation",
                _(
                    "This person is or was the JIM; a parent, step-parent or legal guardian "
                    "can never be the JIM."
                ),
            )
        errors.raise_if_any()

    def removal_refusal(self) -> Any:
        """Why this person cannot be removed, or None (the confirmation page asks first)."""
        if self.candidacies.exists():
            return NOMINATED_PERSON_STAYS
        return None

    def remove(self, expected_version: int | None = None) -> int:
        """Remove a person added by mistake, with their ties; returns how many ties went.

        Refused once the person was a candidate in a nomination round (asked, refused,
        accepted or merely named): the nomination history is evidence of how the JIM was
        found and must stay. Such a person's details can still be corrected.
        """
        with transaction.atomic():
            # The row lock makes a candidacy being recorded for this person at the same
            # moment wait (its foreign key check needs the row), so the check below holds.
            self.locked_for_removal(expected_version)
            refusal = self.removal_refusal()
            if refusal is not None:
                raise DomainError(refusal)
            ties = NetworkTie.objects.filter(Q(person_a_id=self.pk) | Q(person_b_id=self.pk))
            removed_ties = ties.count()
            ties.delete()
            try:
                self.delete()
            except ProtectedError as exc:  # belt and braces: Candidate.person protects
                raise DomainError(NOMINATED_PERSON_STAYS) from exc
        return removed_ties


class NetworkTie(VersionedModel):
    """A tie between two people in the youth's network (stored once per pair)."""

    youth = models.ForeignKey("trajectories.Youth", on_delete=models.CASCADE, related_name="+")
    person_a = models.ForeignKey(NetworkPerson, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(NetworkPerson, on_delete=models.CASCADE, related_name="+")
    conflict = models.BooleanField(_("a conflictual tie"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tie")
        verbose_name_plural = _("ties")
        constraints = [
            models.UniqueConstraint(
                fields=["person_a", "person_b"],
                name="network_tie_unique",
                violation_error_message=_("These two people already have a tie on the map."),
            ),
            models.CheckConstraint(
                condition=models.Q(person_a__lt=models.F("person_b")),
                name="network_tie_ordered_pair",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        if self.person_a_id and self.person_b_id:
            if self.person_a_id == self.person_b_id:
                errors.add("person_b", _("A tie connects two different people."))
            elif self.person_a_id > self.person_b_id:
                # Store each pair once, in a fixed order.
                self.person_a_id, self.person_b_id = self.person_b_id, self.person_a_id
            for field in ("person_a", "person_b"):
                if getattr(self, field).youth_id != self.youth_id:
                    errors.add(field, _("This person is not in this youth's network."))
        errors.raise_if_any()

    def remove(self, expected_version: int | None = None) -> None:
        """Remove a tie recorded by mistake (the people stay on the map)."""
        with transaction.atomic():
            self.locked_for_removal(expected_version)
            self.delete()

    @classmethod
    def connect(cls, a: NetworkPerson, b: NetworkPerson, **fields: Any) -> NetworkTie:
        return cls.objects.create(youth_id=a.youth_id, person_a=a, person_b=b, **fields)
