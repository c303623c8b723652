"""The youth record that access control and the audit log are built around."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models.functions import Trim
from django.utils.translation import gettext_lazy as _

from yim.accounts.models import Organisation, Team
from yim.core.models import Errors, VersionedModel, prefetched
from yim.trajectories import rules
from yim.trajectories.models.base import check_event_date, today

if TYPE_CHECKING:
    from yim.trajectories.models.trajectory import Trajectory


class Gender(models.TextChoices):
    GIRL = "girl", _("Girl / woman")
    BOY = "boy", _("Boy / man")
    NON_BINARY = "non_binary", _("Non-binary")
    OTHER = "other", _("Other")
    NOT_RECORDED = "", _("Not recorded")


class SchoolWorkStatus(models.TextChoices):
    SCHOOL = "school", _("At school")
    WORK = "work", _("Working")
    SCHOOL_AND_WORK = "school_and_work", _("School and work")
    NEITHER = "neither", _("Neither school nor work")
    NOT_RECORDED = "", _("Not recorded")


class LivingSituation(models.TextChoices):
    BOTH_PARENTS = "both_parents", _("With both parents")
    ONE_PARENT = "one_parent", _("With one parent")
    OTHER_FAMILY = "other_family", _("With other family")
    FOSTER_FAMILY = "foster_family", _("Foster family")
    RESIDENTIAL = "residential", _("Residential care")
    INDEPENDENT = "independent", _("Independent")
    HOMELESS = "homeless", _("No fixed home")
    NOT_RECORDED = "", _("Not recorded")


class Youth(VersionedModel):
    """A young person (12–23) in care. Known in yim by a pseudonymous display name."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="youth")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="youth")
    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="caseload",
        verbose_name=_("responsible professional"),
    )
    display_name = models.CharField(_("display name"), max_length=120)
    date_of_birth = models.DateField(_("date of birth"))
    gender = models.CharField(
        _("gender"), max_length=20, choices=Gender.choices, blank=True, default=""
    )
    school_work_status = models.CharField(
        _("school or work"), max_length=20, choices=SchoolWorkStatus.choices, blank=True, default=""
    )
    living_situation = models.CharField(
        _("living situation"),
        max_length=20,
        choices=LivingSituation.choices,
        blank=True,
        default="",
    )
    is_synthetic = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name", "pk"]
        verbose_name = _("youth")
        verbose_name_plural = _("youth")
        indexes = [models.Index(fields=["team", "display_name"])]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        check_event_date(errors, "date_of_birth", self.date_of_birth, date_of_birth=None)
        if (
            self.team_id
            and self.organisation_id
            and self.team.organisation_id != self.organisation_id
        ):
            errors.add("team", _("The team belongs to another organisation."))
        errors.raise_if_any()

    def age_on(self, day: dt.date | None = None) -> int:
        """The youth's age in completed years on ``day`` (default today, Amsterdam); shown
        wherever the date of birth is. Before the birth (a date of birth that is refused
        on save) the age is 0."""
        day = day or today()
        return rules.age_on(self.date_of_birth, max(day, self.date_of_birth))

    @property
    def age(self) -> int:
        """The youth's age today (Amsterdam), for templates: ``{{ youth.age }}``."""
        return self.age_on()

    @classmethod
    def possible_duplicates(
        cls, *, organisation_id: int, display_name: str, date_of_birth: dt.date
    ) -> models.QuerySet[Youth]:
        """Youth of the organisation with the same name (trimmed, case-insensitive) and the
        same date of birth: shown at intake before a new youth is saved. The caller decides
        what the user may see of each (their team's youth, or only that one exists)."""
        return (
            cls.objects.filter(organisation_id=organisation_id, date_of_birth=date_of_birth)
            .annotate(trimmed_name=Trim("display_name"))
            .filter(trimmed_name__iexact=display_name.strip())
            .select_related("team")
            .order_by("pk")
        )

    @staticmethod
    def comparison_only() -> models.Q:
        """Youth whose every trajectory is a comparison (care-as-usual) one: no casework, so
        they stay out of the caseload list (the comparison list shows them). A youth without
        any trajectory yet (a new intake) is not one of them."""
        from django.apps import apps

        trajectories = apps.get_model("trajectories", "Trajectory").objects
        of_youth = trajectories.filter(youth=models.OuterRef("pk"))
        return models.Q(models.Exists(of_youth.filter(cohort="comparison"))) & ~models.Q(
            models.Exists(of_youth.exclude(cohort="comparison"))
        )

    def current_trajectory(self) -> Trajectory | None:
        """The youth's current trajectory: the open one (at most one is open at a time),
        else the one that started last (its closure and follow-up still count); None before
        the first. The youth page, the network map, the monitoring pages and the portals all
        ask here. Only the open one: ``youth.trajectories.open().first()``."""
        loaded = prefetched(self, "trajectories")
        if loaded is not None:  # a page loaded them all: the same rule, without a query
            latest = sorted(loaded, key=lambda t: (t.started_at, t.pk), reverse=True)
            return next((t for t in latest if not t.is_closed), None) or next(iter(latest), None)
        trajectories = self.trajectories.select_related("programme")
        return trajectories.open().first() or trajectories.order_by("-started_at", "-pk").first()
