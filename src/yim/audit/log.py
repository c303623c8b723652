"""Writing to the audit log: one call per read or write of youth data."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import TYPE_CHECKING, Any

from django.conf import settings

from yim.audit.models import AuditEvent, listed_text

if TYPE_CHECKING:
    from django.http import HttpRequest

    from yim.trajectories.models import Youth


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of whoever sent the request.

    That is the peer address (``REMOTE_ADDR``), unless the peer is one of the trusted proxies
    (``YIM_TRUSTED_PROXIES``): then ``X-Forwarded-For`` is read from the right, each trusted
    proxy's entry is skipped, and the first address no trusted proxy stands for is the
    client. Entries left of it were written by the client itself and are never believed; an
    entry that is no IP address ends the walk at the proxy that passed it on.
    """
    if request is None:
        return None
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    proxies = settings.TRUSTED_PROXIES
    if not _trusted(remote, proxies):
        return str(remote)
    client = remote
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop = _address(entry.strip())
        if hop is None:
            break
        client = hop
        if not _trusted(hop, proxies):
            break
    return str(client)


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text)
    except ValueError:
        return None


def _trusted(
    address: IPv4Address | IPv6Address, proxies: Iterable[IPv4Network | IPv6Network]
) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


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
    listed: Iterable[int] = (),
) -> AuditEvent:
    """Append one event. ``actor`` may be None for anonymous events (a failed sign-in).
    ``listed``: the youth a list or search showed (their names, at least), so that each of
    them finds this read in "who viewed my file"."""
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
        listed=listed_text(listed),
    )
    event.save()
    return event
