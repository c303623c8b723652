"""The youth's living situation over time: each situation with the day it began.

``Youth.living_situation`` is the *current* situation, derived from this history (the one
with the latest ``since`` day that is not in the future); it is never typed over directly
once a history exists. :meth:`LivingSituationRecord.record` writes a new entry and updates
the youth's current situation in one transaction, through the youth's optimistic lock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from yim.core.errors import DomainError
from yim.core.models import Errors, ValidatedModel, by_account
from yim.trajectories.models.base import check_event_date, today
from yim.trajectories.models.youth import LivingSituation, Youth


class LivingSituationRecord(ValidatedModel):
    """From ``since`` on, the youth lived in ``situation`` (until the next record)."""

    youth = models.ForeignKey(
        Youth, on_delete=models.CASCADE, related_name="living_history", verbose_name=_("youth")
    )
    situation = models.CharField(
        _("living situation"),
        max_length=20,
        choices=[c for c in LivingSituation.choices if c[0]],
    )
    since = models.DateField(_("since"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = by_account()
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["youth", "since", "pk"]
        verbose_name = _("living situation")
        verbose_name_plural = _("living situations")
        constraints = [
            models.UniqueConstraint(
                fields=["youth", "since"],
                name="living_situation_once_a_day",
                violation_error_message=_("A living situation is already recorded on this day."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_situation_display()} ({self.since})"

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        check_event_date(
            errors,
            "since",
            self.since,
            date_of_birth=self.youth.date_of_birth if self.youth_id else None,
        )
        if (
            self.youth_id
            and self.since
            and LivingSituationRecord.objects.filter(youth_id=self.youth_id, since=self.since)
            .exclude(pk=self.pk)
            .exists()
        ):
            errors.add("since", _("A living situation is already recorded from this day."))
        errors.raise_if_any()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise DomainError(_("A recorded living situation is not changed: record a new one."))
        super().save(*args, **kwargs)

    @classmethod
    def record(
        cls,
        youth: Youth,
        *,
        situation: str,
        since: dt.date,
        note: str = "",
        by: Any = None,
        expected_version: int | None = None,
    ) -> LivingSituationRecord:
        """Record a (new) living situation from ``since`` on; the youth's current situation
        follows. ``expected_version`` is the youth's version the change started from."""
        with transaction.atomic():
            entry = cls.objects.create(
                youth=youth, situation=situation, since=since, note=note, recorded_by=by
            )
            current = cls.current_for(youth)
            if expected_version is not None:
                youth.version = int(expected_version)
            youth.living_situation = current
            youth.save()
        return entry

    @classmethod
    def current_for(cls, youth: Youth, on: dt.date | None = None) -> str:
        """The situation on ``on`` (default: today), or "" when none is recorded by then."""
        latest = (
            cls.objects.filter(youth=youth, since__lte=on or today())
            .order_by("-since", "-pk")
            .values_list("situation", flat=True)
            .first()
        )
        return latest or ""
