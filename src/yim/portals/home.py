"""The portal's start: the linked youth, and for one youth what there is to see and do."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from yim import policy
from yim.accounts.models import Role
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.monitoring.models import JimSharingScope, SharingScope
from yim.portals.access import (
    can_see_placements,
    decisions_asking_advice,
    is_told_of_placements,
    portal_youth_or_404,
)
from yim.portals.placements import placement_notice, placement_summary
from yim.portals.questionnaires import feedback_meetings, questionnaires


@login_required
@require_GET
def index_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_portal_user:
        raise Http404
    linked = list(policy.youth_queryset(request.user).order_by("pk"))
    if len(linked) == 1:
        return redirect("portal:youth", youth_id=linked[0].pk)
    return render(request, "portal/index.html", {"linked": linked})


@login_required
@require_GET
def youth_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    youth = portal_youth_or_404(request, youth_id)
    user = request.user
    trajectory = youth.current_trajectory()
    record(user, Action.VIEW, request=request, youth=youth, detail="portal home")
    context: dict[str, Any] = {
        "youth": youth,
        "trajectory": trajectory,
        "role": user.role,
        "scopes": [
            (reverse(f"portal:scope_{s}", args=[youth.pk]), SharingScope(s).label)
            for s in policy.visible_scopes(user, youth)
        ],
        "can_fill_in": policy.can_fill_in_questionnaires(user, youth),
        "can_share": policy.can_manage_jim_sharing(user, youth),
        "can_consent": policy.can_give_parent_consent(user, youth),
        "can_see_access_log": policy.can_see_own_access_log(user),
        "under_age": user.role == Role.YOUTH and not policy.can_see_own_file(user, youth),
    }
    if context["can_fill_in"]:
        context["questionnaires"] = questionnaires(user, trajectory)
        context["feedback_meetings"] = feedback_meetings(user, trajectory)
    if trajectory is not None and (
        user.role == Role.YOUTH and policy.can_see_own_file(user, youth)
    ):
        jim = trajectory.active_jim
        context["jim_name"] = jim.person.display_name if jim else ""
        context["next_evaluation"] = trajectory.next_evaluation_due()
    if user.role == Role.JIM:
        context["consent_refused"] = policy.jim_consent_refused(youth, user)
        context["advice_asked"] = [d for d, _jim in decisions_asking_advice(user, youth)]
    if user.role == Role.YOUTH and context["can_share"]:
        context["sharing"] = [
            (SharingScope(s).label, shared) for s, shared in JimSharingScope.current(youth).items()
        ]
    if can_see_placements(user, youth):
        context["placement"] = placement_summary(youth)
    if is_told_of_placements(user, youth):
        context["placed"] = placement_notice(youth)
    return render(request, "portal/youth.html", context)
