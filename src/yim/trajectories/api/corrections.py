"""What the corrections of the API share: a meeting, a safety plan or a candidate's answer
corrected with the earlier version kept (:mod:`yim.trajectories.models.revisions`).

* :data:`REASON_FIELD` — the reason of a correction, required in the API (kept with the
  earlier version; the page's form leaves it optional);
* :func:`apply_changes` — the fields a client sent set on a record, a cleared field cleared
  the model's way (also for edits that keep no revision);
* :func:`correct` — the audited correction through the record's own model method, from the
  ``version`` the client read (409 ``stale`` when older, nothing saved, no revision kept);
* :func:`correct_fields` — a correction that replaces the fields sent (meeting, safety plan);
* :class:`RevisionOut` and :func:`revisions` — a record's earlier versions, newest first.

:func:`correct_fields` and :func:`revisions` find the record themselves, through the caller's
trajectory scope (:func:`yim.api.convention.trajectory_record_in_scope`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema

from yim.api.convention import audited_edit, caller, field_error, trajectory_record_in_scope
from yim.audit.log import record
from yim.audit.models import Action

REASON_FIELD = Field(
    ...,
    min_length=1,
    description="Why the record is corrected; kept with the earlier version.",
    examples=["The date was typed wrong: the meeting was on Tuesday."],
)


class RevisionOut(Schema):
    """The version of a record as it was before one correction."""

    id: int
    record_version: int = Field(description="The record's `version` this snapshot had.")
    snapshot: dict[str, Any] = Field(
        description="The user-facing fields as they were (dates as ISO strings).",
        examples=[{"held_on": "2026-05-12", "decisions": "Back to school on Monday"}],
    )
    changed_at: dt.datetime
    changed_by: str = Field(description="The account that corrected it ('' if unknown).")
    reason: str

    @staticmethod
    def resolve_changed_by(revision: Any) -> str:
        by = revision.changed_by
        return by.get_username() if by is not None else ""


def revisions(request: HttpRequest, records: models.QuerySet[Any], pk: int, detail: str) -> Any:
    """The earlier versions of the record ``pk`` of ``records``, newest first, for
    ``@paginate``: anyone who may see the record's trajectory may read them (else 404); the
    read is audited."""
    user = caller(request)
    corrected = trajectory_record_in_scope(user, records, pk, edit=False)
    youth = corrected.trajectory.youth
    record(user, Action.LIST, request=request, youth=youth, obj=corrected, detail=detail)
    return corrected.revisions.select_related("changed_by")


def apply_changes(record: models.Model, changes: dict[str, Any]) -> None:
    """Set the fields a client sent on ``record``. A field sent as ``null`` is cleared the
    model's way: a text that cannot be null becomes empty, anything else (a date) none; the
    model's own rules then judge whether it may be cleared."""
    for name, value in changes.items():
        field = record._meta.get_field(name)
        text = isinstance(field, (models.CharField, models.TextField))
        setattr(record, name, "" if value is None and text and not field.null else value)


def correct_fields(
    request: HttpRequest, records: models.QuerySet[Any], pk: int, payload: Schema, detail: str
) -> Any:
    """A correction of the record ``pk`` of ``records``, which the caller must be able to edit
    (else 404): it replaces the fields the client sent (all but ``version`` and ``reason``)
    and saves through the record's ``save_correction``."""
    corrected = trajectory_record_in_scope(caller(request), records, pk)
    changes = payload.dict(exclude_unset=True, exclude={"version", "reason"})
    version, reason = payload.version, payload.reason  # type: ignore[attr-defined]

    def change() -> Any:
        apply_changes(corrected, changes)
        by = request.auth  # type: ignore[attr-defined]
        return corrected.save_correction(version, by=by, reason=reason)

    return correct(request, corrected, version=version, reason=reason, change=change, detail=detail)


def correct(
    request: HttpRequest,
    corrected: Any,
    *,
    version: int,
    reason: str,
    change: Callable[[], Any],
    detail: str,
    answer: Callable[[Any], Any] | None = None,
) -> Any:
    """An audited correction of ``corrected`` from the ``version`` the client read:
    ``change`` applies it through the model's own method (which keeps the revision). A reason
    of blanks is refused on ``reason`` like a missing one."""
    if not reason.strip():
        return field_error("reason", _("Say why the record is corrected."))
    return audited_edit(request, corrected, change, version=version, detail=detail, answer=answer)
