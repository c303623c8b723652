"""Retention and erasure of a youth's file (Jeugdwet art. 7.3.8–7.3.10, AVG art. 17).

* **Retention.** A file is kept at least ``YIM_RETENTION_YEARS`` (default 20) years after care
  ended — the closure of the youth's last trajectory. From then on it is *flagged*: listed
  for the organisation's decision to destroy it (never destroyed by itself).
* **Erasure on request.** The youth from 12, or a parent with authority while the youth is
  under 16, may ask in writing for the file to be destroyed. The organisation decides within
  three months: it carries the request out, or refuses it on a statutory exception
  (keeping the file is of considerable interest to someone else, or a statutory rule requires
  it), with the reason.
* **Destruction** removes the youth, their trajectories, network, assessments, portal links
  and invitations in one transaction, and leaves a :class:`Tombstone` (the former file
  number, the organisation, when, by whom, on what basis) and an audit entry. The audit log
  itself keeps its rows: they hold ids, not the file's content.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yim.audit.log import record
from yim.audit.models import Action
from yim.core.errors import DomainError
from yim.core.models import Errors, ValidatedModel, by_account
from yim.trajectories.models.trajectory import Trajectory
from yim.trajectories.models.youth import Youth
from yim.trajectories.rules import add_months, age_on

#: The organisation decides on a request for destruction within this many months.
ERASURE_DECISION_MONTHS = 3


def retention_years() -> int:
    return int(getattr(settings, "RETENTION_YEARS", 20))


def retention_ends(closed_on: dt.date) -> dt.date:
    """The first day a file closed on ``closed_on`` may be destroyed."""
    return add_months(closed_on, 12 * retention_years())


class ErasureBasis(models.TextChoices):
    RETENTION_EXPIRED = "retention_expired", _("The retention period has ended")
    REQUEST = "request", _("At the request of the youth or a parent")


class Requester(models.TextChoices):
    YOUTH = "youth", _("The youth (12 or older)")
    PARENT = "parent", _("A parent with authority (youth under 16)")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CARRIED_OUT = "carried_out", _("Carried out")
    REFUSED = "refused", _("Refused")


class RefusalGround(models.TextChoices):
    INTEREST_OF_OTHERS = (
        "interest_of_others",
        _("Keeping the file is of considerable interest to someone else"),
    )
    STATUTORY_DUTY = "statutory_duty", _("A statutory rule requires keeping it")


class ErasureRequest(ValidatedModel):
    """A written request to destroy a youth's file, and the organisation's decision."""

    youth = models.ForeignKey(
        "trajectories.Youth",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="erasure_requests",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    file_number = models.PositiveBigIntegerField(_("file number"))
    requested_on = models.DateField(_("received on"))
    requested_by = models.CharField(_("asked by"), max_length=20, choices=Requester.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    refusal_ground = models.CharField(
        _("ground for refusal"), max_length=30, choices=RefusalGround.choices, blank=True
    )
    decision_note = models.TextField(_("reason"), blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = by_account()

    class Meta:
        ordering = ["requested_on", "pk"]
        verbose_name = _("request for destruction")
        verbose_name_plural = _("requests for destruction")

    @property
    def due_on(self) -> dt.date:
        """The last day of the three months the organisation has to decide."""
        return add_months(self.requested_on, ERASURE_DECISION_MONTHS)

    def is_overdue(self, as_of: dt.date | None = None) -> bool:
        return self.status == RequestStatus.OPEN and (as_of or timezone.localdate()) > self.due_on

    def clean(self) -> None:
        super().clean()
        errors = Errors()
        if self.requested_on and self.requested_on > timezone.localdate():
            errors.add("requested_on", _("This date lies in the future."))
        if self.status == RequestStatus.REFUSED:
            if not self.refusal_ground:
                errors.add("refusal_ground", _("Name the statutory ground for the refusal."))
            if not self.decision_note.strip():
                errors.add("decision_note", _("Say why the file is kept."))
        errors.raise_if_any()

    @classmethod
    def receive(cls, *, youth: Any, requested_on: dt.date, requested_by: str, by: Any) -> Any:
        """Record a written request. Who may ask follows the youth's age on the day: the
        youth from 12; a parent while the youth is under 16."""
        age = age_on(youth.date_of_birth, requested_on)
        if requested_by == Requester.YOUTH and age < 12:
            raise DomainError(
                _("A youth may ask for destruction from 12; under 12 the parents ask."),
                field="requested_by",
            )
        if requested_by == Requester.PARENT and age >= 16:
            raise DomainError(
                _("From 16 the youth decides alone: a parent's request does not count."),
                field="requested_by",
            )
        request = cls(
            youth=youth,
            organisation_id=youth.organisation_id,
            file_number=youth.pk,
            requested_on=requested_on,
            requested_by=requested_by,
            recorded_by=by,
        )
        request.save()
        return request

    def refuse(self, *, ground: str, reason: str, by: Any, on: dt.date | None = None) -> None:
        self._decide(RequestStatus.REFUSED, by, on, ground=ground, reason=reason)

    def carry_out(self, *, by: Any, on: dt.date | None = None) -> Tombstone:
        """Destroy the file now (see :func:`erase_youth`) and close the request."""
        if self.status != RequestStatus.OPEN or self.youth is None:
            raise DomainError(_("This request has already been decided."), field="status")
        with transaction.atomic():
            tombstone = erase_youth(self.youth, by=by, basis=ErasureBasis.REQUEST, request=self)
            self.youth = None  # gone with the file; the request keeps its file number
            self._decide(RequestStatus.CARRIED_OUT, by, on)
        return tombstone

    def _decide(
        self, status: str, by: Any, on: dt.date | None, ground: str = "", reason: str = ""
    ) -> None:
        fresh = type(self).objects.select_for_update().filter(pk=self.pk).first()
        if fresh is None or fresh.status != RequestStatus.OPEN:
            raise DomainError(_("This request has already been decided."), field="status")
        self.status, self.refusal_ground, self.decision_note = status, ground, reason
        self.decided_on, self.decided_by = on or timezone.localdate(), by
        self.save()


class Tombstone(models.Model):
    """What remains of a destroyed file: that it existed, and when and why it went."""

    file_number = models.PositiveBigIntegerField(_("file number"), unique=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    erased_at = models.DateTimeField(_("destroyed"), default=timezone.now)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    basis = models.CharField(_("legal basis"), max_length=30, choices=ErasureBasis.choices)
    request = models.ForeignKey(
        ErasureRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-erased_at", "pk"]
        verbose_name = _("destroyed file")
        verbose_name_plural = _("destroyed files")


def erase_youth(youth: Any, *, by: Any, basis: str, request: Any = None) -> Tombstone:
    """Destroy the youth's file in one transaction; leave a tombstone and an audit entry.

    Trajectories go first (a trajectory protects its youth), each taking its parts with it;
    then the youth with the network, assessments, sharing choices, portal links and
    invitations. Requests for destruction keep their decision (their youth becomes empty).
    """
    if basis == ErasureBasis.RETENTION_EXPIRED and not youth_is_due(youth):
        raise DomainError(_("The retention period of this file has not ended."), field="basis")
    with transaction.atomic():
        tombstone = Tombstone.objects.create(
            file_number=youth.pk,
            organisation_id=youth.organisation_id,
            erased_by=by,
            basis=basis,
            request=request,
        )
        _delete_file_records(youth)
        record(
            by,
            Action.DELETE,
            youth=youth,
            obj=tombstone,
            organisation_id=youth.organisation_id,
            detail=f"file {youth.pk} destroyed ({basis})",
        )
        type(youth).objects.filter(pk=youth.pk).delete()
    return tombstone


#: Records that protect others of the same file (a consultation its decision, a follow-up its
#: JIM, an answer its wave): deleted first, in this order, before the trajectories go.
_PROTECTING = (
    ("monitoring", "Assessment", "youth"),
    ("trajectories", "FollowUp", "trajectory__youth"),
    ("trajectories", "PlacementEpisode", "trajectory__youth"),
    ("trajectories", "JimConsultation", "decision__trajectory__youth"),
    ("trajectories", "ConsentRecord", "trajectory__youth"),
    ("trajectories", "Candidate", "trajectory__youth"),
)


def _delete_file_records(youth: Any) -> None:
    for app_label, name, path in _PROTECTING:
        apps.get_model(app_label, name)._base_manager.filter(**{path: youth}).delete()
    Trajectory.objects.filter(youth=youth).delete()


def due_for_destruction(organisation_id: int, as_of: dt.date | None = None) -> Any:
    """The youth of the organisation whose retention period has ended on ``as_of``: no open
    trajectory, and the last closure at least ``YIM_RETENTION_YEARS`` years ago. One query."""
    as_of = as_of or timezone.localdate()
    years = retention_years()
    try:
        cutoff = as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February
        cutoff = as_of.replace(year=as_of.year - years, day=28)
    open_ = Trajectory.objects.open().filter(youth=OuterRef("pk"))
    return (
        Youth.objects.filter(organisation_id=organisation_id)
        .annotate(last_closed=Max("trajectories__closure__closed_on"))
        .filter(last_closed__isnull=False, last_closed__lte=cutoff)
        .exclude(Exists(open_))
        .order_by("last_closed", "pk")
    )


def youth_is_due(youth: Any, as_of: dt.date | None = None) -> bool:
    return due_for_destruction(youth.organisation_id, as_of).filter(pk=youth.pk).exists()
