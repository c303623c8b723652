"""Monitoring's refusals and the rules of entering a questionnaire: who answered, and how the
answers reached yim (the respondent in yim, or a professional entering answers given on
paper, by telephone or in person); the day it was answered."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yim.monitoring.scoring import TEXT_ANSWER_MAX, Instrument, score

if TYPE_CHECKING:
    from collections.abc import Mapping

    from yim.accounts.models import User
    from yim.trajectories.models import Youth


class MonitoringError(ValidationError):
    """A rule of monitoring refused a change; carries field → messages like DomainError."""

    def __init__(self, message: Any, field: str = "__all__", code: str = "") -> None:
        super().__init__({field: [message]}, code=code or type(self).__name__)


class AlreadySubmitted(MonitoringError):
    pass


class StaleAnswers(MonitoringError):
    pass


class EntryMode(models.TextChoices):
    """How the answers reached yim."""

    SELF = "self", _("Filled in by the respondent in yim")
    PAPER = "paper", _("On paper, entered by a professional")
    TELEPHONE = "telephone", _("By telephone, entered by a professional")
    IN_PERSON = "in_person", _("In person, entered by a professional")


#: Respondents a professional can enter a questionnaire for.
ON_BEHALF_ROLES = ("youth", "jim", "parent")


def resolve_entry(
    respondent: User, own_role: str, on_behalf_of: str, entry_mode: str
) -> tuple[str, EntryMode]:
    """The role the answers are from and how they were given; refuses a portal user entering
    for someone else, an unknown respondent and an entry on behalf without its mode."""
    if not on_behalf_of:
        return own_role, EntryMode.SELF
    if not respondent.is_staff_member:
        raise MonitoringError(
            _("Only a professional enters answers on behalf of someone else."),
            field="on_behalf_of",
        )
    if on_behalf_of not in ON_BEHALF_ROLES:
        raise MonitoringError(_("Choose the youth, the JIM or a parent."), "on_behalf_of")
    if entry_mode not in (EntryMode.PAPER, EntryMode.TELEPHONE, EntryMode.IN_PERSON):
        raise MonitoringError(
            _("Say how the answers were given: on paper, by telephone or in person."),
            field="mode",
        )
    return on_behalf_of, EntryMode(entry_mode)


def check_assessed_on(day: dt.date, youth: Youth) -> None:
    if day > timezone.localdate():
        raise MonitoringError(_("This date lies in the future."), field="assessed_on")
    if day < youth.date_of_birth:
        raise MonitoringError(
            _("This date lies before the youth's date of birth."), field="assessed_on"
        )


def answer_problem(item: Any) -> Any:
    """The message for an answer that does not fit its item."""
    if item.scale is not None:
        return _("Choose an answer from %(low)s to %(high)s.") % {
            "low": item.scale.minimum,
            "high": item.scale.maximum,
        }
    return _("This answer is too long (at most %(n)s characters).") % {"n": TEXT_ANSWER_MAX}


def scores_json(definition: Instrument, answers: Mapping[str, Any]) -> dict[str, float | None]:
    """Subscale scores as stored on an assessment (rounded; null when not computable)."""
    return {
        code: (None if s.value is None else round(s.value, 4))
        for code, s in score(definition, answers).items()
    }
