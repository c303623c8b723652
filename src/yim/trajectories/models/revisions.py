"""Corrections that keep the earlier version: a revision per correction.

A meeting, a safety plan or a candidate's answer can be corrected by the team. Before each
correction the version as it was stored is kept in a :class:`Revision` (which record, a
snapshot of its user-facing fields, who corrected it, when, and why), shown on the record's
page under "Earlier versions", newest first. Revisions are append-only: nothing here
changes or removes one. A correction over someone else's newer change is refused like any
stale edit (:class:`yim.core.errors.StaleEdit`), and a closed trajectory stays frozen (the
record's own save refuses, and the revision written just before goes with it).

This module names the records it keeps versions of by a kind (no import of their modules):
the records' modules import it, one way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.apps import apps
from django.db import models, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from yim.core.errors import StaleEdit
from yim.core.models import ValidatedModel, by_account


class RecordKind(models.TextChoices):
    MEETING = "meeting", _("meeting")
    SAFETY_PLAN = "safety_plan", _("safety plan")
    CANDIDATE = "candidate", _("candidate's answer")


#: The model of each kind of record (app label, model name).
_MODELS = {
    RecordKind.MEETING: "Meeting",
    RecordKind.SAFETY_PLAN: "SafetyPlan",
    RecordKind.CANDIDATE: "Candidate",
}


class RevisionQuerySet(models.QuerySet["Revision"]):
    def of(self, record: models.Model) -> RevisionQuerySet:
        """The earlier versions of ``record``, newest first."""
        kind = getattr(record, "revision_kind", None)
        return self.filter(record_kind=kind, record_id=record.pk).order_by("-changed_at", "-pk")


class Revision(ValidatedModel):
    """The version of a record as it was before one correction (append-only)."""

    trajectory = models.ForeignKey(
        "trajectories.Trajectory", on_delete=models.CASCADE, related_name="revisions"
    )
    record_kind = models.CharField(_("record"), max_length=20, choices=RecordKind.choices)
    record_id = models.PositiveBigIntegerField(_("record number"))
    record_version = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("earlier version"))
    changed_by = by_account(_("corrected by"))
    changed_at = models.DateTimeField(_("corrected at"), default=timezone.now)
    reason = models.TextField(_("reason for the correction"), blank=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("earlier version")
        verbose_name_plural = _("earlier versions")
        indexes = [models.Index(fields=["record_kind", "record_id"])]

    def __str__(self) -> str:
        return f"{self.get_record_kind_display()} {self.record_id} v{self.record_version}"

    def rows(self) -> list[tuple[str, str]]:
        """The snapshot as the page shows it: (field label, value in words), in field order;
        dates the record did not have are left out, empty text shows as a dash."""
        model = apps.get_model("trajectories", _MODELS[RecordKind(self.record_kind)])
        shown: list[tuple[str, str]] = []
        for name, raw in self.snapshot.items():
            if raw is None:  # a date the record did not have (e.g. a held meeting's plan)
                continue
            field = model._meta.get_field(name)
            shown.append((str(field.verbose_name), _display(field, raw)))
        return shown


def _display(field: Any, raw: Any) -> str:
    if raw in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(raw, raw))
    if isinstance(field, models.DateField):
        return formats.date_format(dt.date.fromisoformat(raw), "DATE_FORMAT")
    return str(raw)


def snapshot(record: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    """The user-facing fields of ``record`` as JSON values (dates as ISO strings)."""
    values: dict[str, Any] = {}
    for name in fields:
        value = getattr(record, name)
        values[name] = value.isoformat() if isinstance(value, dt.date) else value
    return values


class Corrected:
    """A record corrected with its earlier version kept (mixed into a versioned model).

    ``revision_kind`` names the record, ``revision_fields`` are the fields a person reads
    and corrects (the snapshot).
    """

    revision_kind: ClassVar[str]
    revision_fields: ClassVar[tuple[str, ...]]

    def save_correction(self, expected_version: int, *, by: Any = None, reason: str = "") -> Any:
        """Save this instance (already changed) as a correction of the stored version.

        Refuses with :class:`StaleEdit` when the record changed since ``expected_version``
        (the version the page showed); keeps the stored version as a :class:`Revision` when
        a user-facing field changes. The record's own rules judge the corrected values; a
        refusal writes nothing, the revision included.
        """
        record: Any = self
        with transaction.atomic():
            stored = type(record)._base_manager.select_for_update().filter(pk=record.pk).first()
            if stored is None or stored.version != int(expected_version):
                raise StaleEdit()
            before = snapshot(stored, self.revision_fields)
            if before != snapshot(record, self.revision_fields):
                Revision.objects.create(
                    trajectory_id=record.owning_trajectory().pk,
                    record_kind=self.revision_kind,
                    record_id=record.pk,
                    record_version=stored.version,
                    snapshot=before,
                    changed_by=by,
                    reason=reason.strip(),
                )
            record.save_with_version(expected_version)
        return record

    @property
    def revisions(self) -> RevisionQuerySet:
        """This record's earlier versions, newest first."""
        return Revision.objects.of(self)  # type: ignore[arg-type]
