"""Writing to the audit log: one call per read or write of youth data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yim.audit.models import AuditEvent

if TYPE_CHECKING:
    from django.http import HttpRequest

    from yim.trajectories.models import Youth


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    actor: Any,
    action: Any,  # an Action member (Django's TextChoices are opaque to mypy)
    *,
    request: HttpRequest | None = None,
    youth: Youth | None = None,
    obj: Any = None,
    detail: str = "",
    capacity: str | None = None,
    break_glass_reason: str = "",
    organisation_id: int | None = None,
    actor_name: str | None = None,
) -> AuditEvent:
    """Append one event. ``actor`` may be None for anonymous events (a failed sign-in)."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    if obj is not None:
        object_type = obj._meta.model_name
        object_id = str(obj.pk)
    else:
        object_type, object_id = "", ""
    if organisation_id is None:
        if youth is not None:
            organisation_id = youth.organisation_id
        elif is_user:
            organisation_id = actor.organisation_id
    event = AuditEvent(
        actor_id=actor.pk if is_user else None,
        actor_name=(actor_name or (actor.get_username() if is_user else ""))[:200],
        capacity=capacity or (str(actor.role) if is_user else "anonymous"),
        break_glass_reason=break_glass_reason,
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        youth_id=youth.pk if youth is not None else None,
        organisation_id=organisation_id,
        ip=client_ip(request),
        detail=detail[:300],
    )
    event.save()
    return event
