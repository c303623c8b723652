"""Navigation per role, computed from the policy module (templates never decide access)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
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
        if policy.can_use_research(user):
            items.append(("research:home", _("Research")))
        if policy.can_use_qualitative(user):
            items.append(("qualitative:projects", _("Interviews")))
        items.append(("web:account", _("My account")))
    return {
        "nav_items": items,
        "demo_mode": settings.DEMO_MODE,
        "two_factor_relaxed": not settings.REQUIRE_2FA,
        "yim_version": __version__,
    }
