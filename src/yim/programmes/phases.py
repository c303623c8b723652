"""The phases of a JIM trajectory, in their canonical order.

Kept in a module of its own (no models) so that the programme configuration can validate
its phase lists without importing the trajectory models.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Phase(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    NETWORK_EXPLORATION = "network_exploration", _("Network exploration")
    CANDIDATES = "candidates", _("Candidates")
    CONSENT = "consent", _("Consent")
    POSITIONING = "positioning", _("Positioning")
    COLLABORATION = "collaboration", _("Collaboration")
    CLOSURE = "closure", _("Closure")
    FOLLOW_UP = "follow_up", _("Follow-up")


#: Canonical order; a trajectory moves forward through the phases its programme uses.
PHASE_ORDER: tuple[str, ...] = tuple(p.value for p in Phase)

#: Every programme has these: a trajectory starts with a referral and ends with closure.
REQUIRED_PHASES: frozenset[str] = frozenset({Phase.REFERRAL, Phase.CLOSURE})

#: Phases a trajectory may go back to from a later, open phase: a new search for a JIM.
SEARCH_PHASES: frozenset[str] = frozenset({Phase.NETWORK_EXPLORATION, Phase.CANDIDATES})

#: Once here, the professional trajectory is closed and refuses edits.
CLOSED_PHASES: frozenset[str] = frozenset({Phase.CLOSURE, Phase.FOLLOW_UP})


def phase_index(phase: str) -> int:
    return PHASE_ORDER.index(phase)
