"""The choices the trajectory model modules share, in a module of their own.

Kept apart from the models (nothing here imports a model) so that the model modules import
each other one way: a closure, a placement decision or an episode names a placement type,
and the trajectory counts evaluation meetings, without importing one another. The
dependency picture of the package is in :mod:`yim.trajectories.models`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferralSource(models.TextChoices):
    NEIGHBOURHOOD_TEAM = "neighbourhood_team", _("Neighbourhood team")
    YOUTH_PROTECTION = "youth_protection", _("Youth protection")
    CERTIFIED_INSTITUTION = "certified_institution", _("Certified institution")
    GENERAL_PRACTITIONER = "gp", _("General practitioner")
    SCHOOL = "school", _("School")
    POLICE_OR_HALT = "police_halt", _("Police or Halt")
    YOUTH_OR_FAMILY = "youth_family", _("Youth or family")
    OTHER = "other", _("Other")


class PlacementType(models.TextChoices):
    """Out-of-home placement types (and 'none' for a referral without one)."""

    NONE = "none", _("No placement")
    FOSTER_CARE = "foster_care", _("Foster care")
    RESIDENTIAL = "residential", _("Residential care")
    SEMI_SECURE = "semi_secure", _("Semi-secure residential care")


OUT_OF_HOME = frozenset(
    {PlacementType.FOSTER_CARE, PlacementType.RESIDENTIAL, PlacementType.SEMI_SECURE}
)


class PlacementBasis(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    INDICATED = "indicated", _("Indicated")


class Cohort(models.TextChoices):
    JIM = "jim", _("JIM approach")
    COMPARISON = "comparison", _("Comparison group (residential care as usual)")


class MeetingKind(models.TextChoices):
    POSITIONING = "positioning", _("Positioning (kick-off)")
    EVALUATION = "evaluation", _("Evaluation")  # cadence per programme (default two months)
    SCHOOL = "school", _("School")
    CRISIS = "crisis", _("Crisis")
    PLACEMENT = "placement", _("Placement deliberation")
    OTHER = "other", _("Other")


class MeetingStatus(models.TextChoices):
    """A meeting on the agenda (planned), recorded as held, or called off. Only a held
    meeting has happened: every count, rule and figure reads held meetings only."""

    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class ContactFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    FEW_TIMES_A_YEAR = "yearly", _("A few times a year")
    NONE = "none", _("No contact")
