"""Break-the-glass: a professional or team lead of the same organisation who states a
reason may open one youth outside the team for the rest of the session; the reason is
logged, and the audit log records the capacity someone acted in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

from yim.policy.base import active, case_worker

if TYPE_CHECKING:
    from yim.accounts.models import User
    from yim.trajectories.models import Youth


BREAK_GLASS_SESSION_KEY = "yim_break_glass"


def break_glass_ids(request: HttpRequest) -> frozenset[int]:
    """The youth files this session opened by break-the-glass (kept in the session, with
    the reason given; the youth page and the trajectory pages both read them here)."""
    grants = request.session.get(BREAK_GLASS_SESSION_KEY, {})
    return frozenset(int(k) for k in grants)


def can_break_glass(user: User, youth_organisation_id: int) -> bool:
    return active(user) and case_worker(user) and user.organisation_id == youth_organisation_id


def capacity(user: User, youth: Youth | None = None, break_glass: bool = False) -> str:
    """How the user acts, as written to the audit log."""
    if break_glass:
        return "break_glass"
    return str(user.role)
