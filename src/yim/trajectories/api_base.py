"""What every trajectory API module shares: the caller, scoped lookups, refusals as JSON.

* :func:`caller` — the token's user; 403 unless it is a staff account (``policy.can_use_api``).
* :func:`trajectory_in_scope` — a trajectory through the caller's scope, 404 outside it;
  ``edit=True`` also needs the youth's own team (``policy.can_edit_trajectory``).
* :func:`refused` — a model's refusal as the API answers it: 409 ``stale`` when someone else
  saved the record after the client read it (optimistic locking), else 422 ``invalid`` with
  the model's translated messages per field.
* :func:`expect_version` — the client sends the ``version`` it read; an older one is stale.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema, Status
from ninja.errors import HttpError

from yim import policy
from yim.core.errors import StaleEdit
from yim.core.models import VersionedModel
from yim.trajectories.models import Trajectory


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


#: The answers every write may give besides its success.
REFUSALS: dict[int, Any] = {409: Problem, 422: Invalid}

VERSION_FIELD = Field(
    ...,
    ge=1,
    description="The record's `version` as you read it. If someone else saved the record "
    "since, the write is refused with 409 `stale` and nothing is saved.",
    examples=[3],
)


def caller(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not policy.can_use_api(user):
        raise HttpError(403, _("API access is for staff accounts."))
    return user


def trajectory_in_scope(user: Any, trajectory_id: int, *, edit: bool = False) -> Trajectory:
    """The trajectory if the caller may see it (and, with ``edit``, write it); else 404."""
    trajectory = (
        policy.staff_trajectory_queryset(user)
        .select_related("youth", "programme")
        .filter(pk=trajectory_id)
        .first()
    )
    if trajectory is None:
        raise Http404
    if edit and not policy.can_edit_trajectory(user, trajectory.youth):
        raise Http404
    return trajectory


def expect_version(record: VersionedModel, version: int) -> None:
    """Refuse an edit that started from an older version; the save checks again (races)."""
    if record.version != version:
        raise StaleEdit()
    record.version = version


def refused(exc: ValidationError) -> Status[dict[str, Any]]:
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
