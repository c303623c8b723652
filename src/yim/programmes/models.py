"""Programme models: the universal, selective and indicated variants of the JIM approach.

A programme model is configuration, not a code branch: which trajectory phases apply, how
often a trajectory is evaluated and which instruments are used. Trajectories read these
settings; nothing in the code tests for a particular programme.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from yim.core.models import VersionedModel
from yim.programmes.phases import PHASE_ORDER, REQUIRED_PHASES, Phase

DEFAULT_EVALUATION_INTERVAL_MONTHS = 2


class PreventionLevel(models.TextChoices):
    UNIVERSAL = "universal", _("Universal prevention")
    SELECTIVE = "selective", _("Selective prevention")
    INDICATED = "indicated", _("Indicated prevention")


#: How the standard programmes are called in the interface's language. Their stored names
#: (English, from the migration) stay as they are for exports and the API.
STANDARD_DISPLAY_NAMES: dict[str, Any] = {
    PreventionLevel.INDICATED.value: _("Indicated prevention (JIM approach)"),
    PreventionLevel.SELECTIVE.value: _("Selective prevention"),
    PreventionLevel.UNIVERSAL.value: _("Universal prevention"),
}


def default_phases() -> list[str]:
    return list(PHASE_ORDER)


class ProgrammeModel(VersionedModel):
    """One configured programme. ``organisation`` empty means a standard model for everyone.

    Optimistic locking is the kernel's (:class:`~yim.core.models.VersionedModel`): two admins
    editing the same programme at once — the second is refused with
    :class:`~yim.core.errors.StaleEdit`, never silently overwrites the first.
    """

    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=120)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="programme_models",
        verbose_name=_("organisation"),
    )
    prevention_level = models.CharField(
        _("prevention level"), max_length=20, choices=PreventionLevel.choices
    )
    description = models.TextField(_("description"), blank=True)
    phases = models.JSONField(_("phases"), default=default_phases)
    evaluation_interval_months = models.PositiveSmallIntegerField(
        _("evaluation every (months)"), default=DEFAULT_EVALUATION_INTERVAL_MONTHS
    )
    instruments = models.JSONField(_("instruments"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("programme model")
        verbose_name_plural = _("programme models")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="programme_code_unique_in_org"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(organisation__isnull=True),
                name="programme_standard_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return str(self.display_name)

    @property
    def display_name(self) -> str:
        """The name to show: a standard programme's in the interface's language."""
        if self.organisation_id is None and self.code in STANDARD_DISPLAY_NAMES:
            return str(STANDARD_DISPLAY_NAMES[self.code])
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        phases = self.phases
        if not isinstance(phases, list) or not all(isinstance(p, str) for p in phases):
            errors["phases"] = _("Phases must be a list of phase names.")
        else:
            unknown = [p for p in phases if p not in PHASE_ORDER]
            if unknown:
                errors["phases"] = _("Unknown phase(s): %(names)s.") % {"names": ", ".join(unknown)}
            elif missing := sorted(REQUIRED_PHASES - set(phases)):
                errors["phases"] = _("Every programme needs the phases %(names)s.") % {
                    "names": ", ".join(str(Phase(p).label) for p in missing)
                }
            elif len(set(phases)) != len(phases):
                errors["phases"] = _("A phase is listed twice.")
            else:
                # Store in the canonical order, whatever order they were given in.
                self.phases = [p for p in PHASE_ORDER if p in phases]
                if message := self._phases_in_use_message():
                    errors["phases"] = message
        if not 1 <= (self.evaluation_interval_months or 0) <= 12:
            errors["evaluation_interval_months"] = _(
                "The evaluation interval must be between 1 and 12 months."
            )
        if not isinstance(self.instruments, list) or not all(
            isinstance(i, str) and i.strip() for i in self.instruments
        ):
            errors["instruments"] = _("Instruments must be a list of instrument codes.")
        if self.code and "code" not in errors and self._code_taken():
            errors["code"] = (
                _("Your organisation already has a programme with the code %(code)s.")
                if self.organisation_id is not None
                else _("A standard programme with the code %(code)s already exists.")
            ) % {"code": self.code}
        if errors:
            raise ValidationError(errors)

    def _code_taken(self) -> bool:
        """The unique constraint, checked here so the message lands on the code field."""
        others = ProgrammeModel._base_manager.filter(code=self.code)
        if self.organisation_id is None:
            others = others.filter(organisation__isnull=True)
        else:
            others = others.filter(organisation_id=self.organisation_id)
        if self.pk is not None:
            others = others.exclude(pk=self.pk)
        return others.exists()

    def _phases_in_use_message(self) -> str | None:
        """Refuse dropping a phase that a trajectory of this programme is in right now.

        The trajectory would otherwise sit in a phase its programme no longer has. Closed
        trajectories count too: one in follow-up is still in that phase. (The remedy for
        those is a copy of the programme without the phase.)
        """
        if self.pk is None:
            return None
        stranded = (
            self.trajectories.exclude(phase__in=self.phases)
            .values("phase")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts = {row["phase"]: row["n"] for row in stranded}
        if not counts:
            return None
        total = sum(counts.values())
        names = ", ".join(str(Phase(p).label) for p in PHASE_ORDER if p in counts)
        return ngettext(
            "%(count)d trajectory using this programme is in the phase %(phases)s now, so "
            "that phase cannot be removed.",
            "%(count)d trajectories using this programme are in the phase(s) %(phases)s now, "
            "so those phases cannot be removed.",
            total,
        ) % {"count": total, "phases": names}

    def uses_phase(self, phase: str) -> bool:
        return phase in self.phases

    @classmethod
    def standard(cls, level: str) -> ProgrammeModel:
        """The standard (organisation-less) programme model for a prevention level."""
        return cls.objects.get(organisation__isnull=True, code=level)
