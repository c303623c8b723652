"""The API convention: what every router shares (described once in ``docs/api.md``, "Conventions").

* :func:`caller` — the token's user; 403 unless it is a staff account (``policy.can_use_api``).
* Scoped lookups, 404 outside the caller's scope exactly like something that does not exist:
  :func:`in_scope` (any queryset), :func:`youth_in_scope`, :func:`trajectory_in_scope` and
  :func:`trajectory_record_in_scope` (a record of a trajectory: a candidate, a decision …).
  ``edit=True`` also needs the youth's own team (``policy.can_edit_trajectory``).
* :func:`expect_version` — the client sends the ``version`` it read; an older one is stale.
* :func:`refused` — a model's refusal as the API answers it: 409 ``stale`` when someone else
  saved the record after the client read it (optimistic locking), else 422 ``invalid`` with
  the model's translated messages per field; :func:`field_error` builds one for a single field.
* :func:`audited_write` — validate → save → audit in one transaction; the answer, or the refusal.
* :class:`Problem`, :class:`Invalid` and :data:`REFUSALS` — the error answers, for the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema, Status
from ninja.errors import HttpError

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.errors import StaleEdit

if TYPE_CHECKING:
    from yim.core.models import VersionedModel
    from yim.trajectories.models import Trajectory, Youth

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


# --- the error answers ---------------------------------------------------------------------------


class Problem(Schema):
    """An error answer: a translated message and a stable machine code."""

    detail: str = Field(examples=["Someone else changed this record after you read it."])
    code: str = Field(examples=["stale"])


class Invalid(Schema):
    """A refused write: the model's messages per field (``__all__`` for the whole record)."""

    detail: str = Field(examples=["The request is not valid."])
    code: str = Field(examples=["invalid"])
    errors: dict[str, list[str]] = Field(
        examples=[{"person": ["A parent, step-parent or legal guardian can never be the JIM."]}]
    )


#: The answers an edit of an existing record may give besides its success.
REFUSALS: dict[int, Any] = {409: Problem, 422: Invalid}

VERSION_FIELD = Field(
    ...,
    ge=1,
    description="The record's `version` as you read it. If someone else saved the record "
    "since, the write is refused with 409 `stale` and nothing is saved.",
    examples=[3],
)


# --- who asks, and what they may reach -----------------------------------------------------------


def caller(request: HttpRequest, *, staff_only: bool = True) -> Any:
    """The token's user; 403 unless it is a staff account (``staff_only=False``: any user)."""
    user = request.auth  # type: ignore[attr-defined]
    if staff_only and not policy.can_use_api(user):
        raise HttpError(403, _("API access is for staff accounts."))
    return user


def in_scope(scope: models.QuerySet[M], pk: Any) -> M:
    """The record ``pk`` of the caller's ``scope`` (a policy queryset); else 404."""
    found = scope.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def youth_in_scope(
    user: Any, youth_id: int, *, may: Callable[[Any, Youth], bool] | None = None
) -> Youth:
    """The youth if the caller may see it (and ``may(user, youth)`` holds); else 404."""
    youth = policy.get_youth_or_404(user, youth_id)
    if may is not None and not may(user, youth):
        raise Http404
    return youth


def trajectory_in_scope(user: Any, trajectory_id: int, *, edit: bool = False) -> Trajectory:
    """The trajectory if the caller may see it (and, with ``edit``, write it); else 404."""
    scope = policy.staff_trajectory_queryset(user).select_related("youth", "programme")
    trajectory = in_scope(scope, trajectory_id)
    if edit and not policy.can_edit_trajectory(user, trajectory.youth):
        raise Http404
    return trajectory


def trajectory_record_in_scope(
    user: Any, records: models.QuerySet[M], pk: int, *, edit: bool = True
) -> M:
    """A record of a trajectory (it has ``.trajectory``) through the caller's trajectory
    scope, by default editable by the caller; else 404."""
    scope = records.select_related("trajectory__youth").filter(
        trajectory__in=policy.staff_trajectory_queryset(user)
    )
    found = in_scope(scope, pk)
    if edit and not policy.can_edit_trajectory(user, cast(Any, found).trajectory.youth):
        raise Http404
    return found


# --- versions and refusals ---------------------------------------------------------------------


def expect_version(versioned: VersionedModel, version: int) -> None:
    """Refuse an edit that started from an older version; the save checks again (races)."""
    if versioned.version != version:
        raise StaleEdit()
    versioned.version = version


def refused(exc: ValidationError) -> Status[dict[str, Any]]:
    """409 ``stale`` for a stale edit, else 422 ``invalid`` with the messages per field."""
    if isinstance(exc, StaleEdit):
        return Status(
            409,
            {
                "detail": _(
                    "Someone else changed this record after you read it; nothing was saved. "
                    "Read it again (its current version) and repeat your change."
                ),
                "code": "stale",
            },
        )
    errors: dict[str, list[str]] = {}
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            errors.setdefault("__all__" if name == NON_FIELD_ERRORS else name, []).extend(messages)
    else:
        errors["__all__"] = list(exc.messages)
    return Status(
        422, {"detail": _("The request is not valid."), "code": "invalid", "errors": errors}
    )


def field_error(name: str, message: str) -> Status[dict[str, Any]]:
    """A 422 for one field, in the same shape as a model's refusal."""
    return refused(ValidationError({name: [message]}))


# --- the audited write ---------------------------------------------------------------------------


def audited_write(
    request: HttpRequest,
    action: Any,
    change: Callable[[], T],
    *,
    youth: Youth | Callable[[T], Youth] | None,
    detail: str,
    obj: Any = None,
    version: tuple[VersionedModel, int] | None = None,
    answer: Callable[[T], Any] | None = None,
    status: int | None = None,
) -> Status[Any]:
    """Validate → save → audit in one transaction; the answer, or the refusal.

    ``change`` writes through the models (which judge the write) and returns the record it
    wrote. With ``version`` (the record, the version the client read) a stale edit is refused
    before anything is written. The audit event (``action`` on ``obj``, default the returned
    record; ``youth`` may be a function of the returned record when the write creates the
    youth) is written in the same transaction, so a refused write leaves neither the change
    nor an event. Success answers ``status`` (default 201 for a creation, else 200) with
    ``answer(record)`` (default: the record); a refusal answers :func:`refused`.
    """
    try:
        with transaction.atomic():
            if version is not None:
                expect_version(*version)
            written = change()
            record(
                request.auth,  # type: ignore[attr-defined]
                action,
                request=request,
                youth=youth(written) if callable(youth) else youth,
                obj=written if obj is None else obj,
                detail=detail,
            )
    except ValidationError as exc:
        return refused(exc)
    if status is None:
        status = 201 if action == Action.CREATE else 200
    return Status(status, written if answer is None else answer(written))
