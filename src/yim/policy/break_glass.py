"""Break-the-glass: a professional or team lead of the same organisation who states a
reason may open one youth outside the team for the rest of the session; the reason is
logged, and the audit log records the capacity someone acted in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest

from yim.policy.base import active, case_worker

if TYPE_CHECKING:
    from yim.accounts.models import User
    from yim.trajectories.models import Youth


BREAK_GLASS_SESSION_KEY = "yim_break_glass"
#: The capacity written to the audit log for reads by break-the-glass.
BREAK_GLASS = "break_glass"


def break_glass_ids(request: HttpRequest) -> frozenset[int]:
    """The youth files this session opened by break-the-glass (kept in the session, with
    the reason given; the youth page and the trajectory pages both read them here)."""
    grants = request.session.get(BREAK_GLASS_SESSION_KEY, {})
    return frozenset(int(k) for k in grants)


def can_break_glass(user: User, youth_organisation_id: int) -> bool:
    return active(user) and case_worker(user) and user.organisation_id == youth_organisation_id


@dataclass(frozen=True)
class Capacity:
    """How someone acts on a youth's file, as the audit log records it: their role, or
    break-the-glass with the reason their session gave."""

    name: str
    break_glass_reason: str = ""

    @property
    def via_break_glass(self) -> bool:
        return self.name == BREAK_GLASS


def capacity(request: HttpRequest, youth: Youth) -> Capacity:
    """The one rule for every page of a youth's file: a case worker outside the youth's team
    reads it by break-the-glass (the only way such a file is in their scope), and the reason
    kept for it in the session goes with every audit row; anyone else acts in their role."""
    user: User = request.user  # type: ignore[assignment]
    if case_worker(user) and youth.team_id != user.team_id:
        grants = request.session.get(BREAK_GLASS_SESSION_KEY, {})
        return Capacity(BREAK_GLASS, grants.get(str(youth.pk), ""))
    return Capacity(str(user.role))
