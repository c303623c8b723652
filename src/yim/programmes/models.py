"""Programme models: the universal, selective and indicated variants of the JIM approach.

A programme model is configuration, not a code branch: which trajectory phases apply, how
often a trajectory is evaluated and which instruments are used. Trajectories read these
settings; nothing in the code tests for a particular programme.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from yim.trajectories.phases import PHASE_ORDER, REQUIRED_PHASES, Phase

DEFAULT_EVALUATION_INTERVAL_MONTHS = 2


class PreventionLevel(models.TextChoices):
    UNIVERSAL = "universal", _("Universal prevention")
    SELECTIVE = "selective", _("Selective prevention")
    INDICATED = "indicated", _("Indicated prevention")


def default_phases() -> list[str]:
    return list(PHASE_ORDER)


class ProgrammeModel(models.Model):
    """One configured programme. ``organisation`` empty means a standard model for everyone."""

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
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.full_clean()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

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
        if not 1 <= (self.evaluation_interval_months or 0) <= 12:
            errors["evaluation_interval_months"] = _(
                "The evaluation interval must be between 1 and 12 months."
            )
        if not isinstance(self.instruments, list) or not all(
            isinstance(i, str) and i.strip() for i in self.instruments
        ):
            errors["instruments"] = _("Instruments must be a list of instrument codes.")
        if errors:
            raise ValidationError(errors)

    def uses_phase(self, phase: str) -> bool:
        return phase in self.phases

    @classmethod
    def standard(cls, level: str) -> ProgrammeModel:
        """The standard (organisation-less) programme model for a prevention level."""
        return cls.objects.get(organisation__isnull=True, code=level)
