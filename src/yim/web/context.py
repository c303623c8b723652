"""Navigation per role, computed from the policy module (templates never decide access)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yim import __version__, policy


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items: list[tuple[str, Any]] = []
    if user is not None and user.is_authenticated:
        items.append(("web:home", _("Home")))
        if policy.can_list_caseload(user):
            items.append(("web:youth_list", _("Youth")))
        if policy.can_see_team_overview(user):
            items.append(("trajectories:overview", _("Team overview")))
        if policy.can_search_audit(user):
            items.append(("web:audit_search", _("Audit log")))
        if policy.can_use_portal(user):
            items.append(("portal:index", _("My portal")))
        if policy.can_see_own_access_log(user):
            items.append(("web:own_access_log", _("Who viewed my file")))
        if policy.can_see_team_feedback(user):
            items.append(("monitoring:team_feedback", _("Feedback")))
        if policy.can_see_research_feedback(user):
            items.append(("monitoring:research_feedback", _("Feedback (research)")))
        if policy.can_manage_users(user):
            items.append(("web:user_list", _("Users")))
        if policy.can_manage_programmes(user):
            items.append(("programmes:list", _("Programmes")))
        if policy.can_see_evidence(user):
            items.append(("evidence:summary", _("Evidence")))
            items.append(("jobs:list", _("Background work")))
        if policy.can_use_research(user):
            items.append(("research:home", _("Research")))
        if policy.can_use_qualitative(user):
            items.append(("qualitative:projects", _("Interviews")))
        items.append(("web:account", _("My account")))
    return {
        "nav_items": items,
        "nav_current": _current(request, items),
        "demo_mode": settings.DEMO_MODE,
        "two_factor_relaxed": not settings.REQUIRE_2FA,
        "yim_version": __version__,
    }


def _current(request: HttpRequest, items: list[tuple[str, Any]]) -> str | None:
    """The navigation entry the page belongs to: the longest URL that prefixes the path.

    Marked with aria-current for screen readers and shown as current; on a phone the navigation
    is a scrolling row and the current entry is the one scrolled into view.
    """
    path = getattr(request, "path", "")
    best: tuple[int, str | None] = (0, None)
    for name, _label in items:
        url = reverse(name)
        if path.startswith(url) and len(url) > best[0]:
            best = (len(url), name)
    return best[1]
