"""The parts of the youth's file in the portal (meetings, care plan, assessments, network).

Each part is one URL; :func:`yim.policy.can_view_scope` decides per request. The care plan's
part also holds the placement decisions and the safety plan (:mod:`yim.portals.placements`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.monitoring.charts import domain_chart_svgs
from yim.monitoring.models import Assessment, RespondentRole, SharingScope
from yim.portals.access import portal_youth_or_404
from yim.portals.placements import final_decisions, safety_plans
from yim.trajectories.models import Meeting, NetworkPerson


@login_required
@require_GET
def scope_view(request: AuthenticatedHttpRequest, youth_id: int, scope: str) -> HttpResponse:
    youth = portal_youth_or_404(request, youth_id)
    if scope not in policy.PORTAL_SCOPES:
        raise Http404
    label = SharingScope(scope).label
    if not policy.can_view_scope(request.user, youth, scope):
        # The youth is the user's own link, so a clear message rather than "not found".
        return render(
            request,
            "portal/not_shared.html",
            {"youth": youth, "scope_label": label, "role": request.user.role},
            status=403,
        )
    record(request.user, Action.VIEW, request=request, youth=youth, detail=f"portal {scope}")
    trajectory = youth.current_trajectory()
    context: dict[str, Any] = {"youth": youth, "scope": scope, "scope_label": label}
    if scope == "meetings":
        # Meetings that took place (the agenda is the team's; earlier versions are not shown).
        meetings = (
            Meeting.objects.held().filter(trajectory__youth=youth).order_by("-held_on", "-pk")
        )
        context["page"] = Paginator(meetings, 20).get_page(request.GET.get("page"))
    elif scope == "plan":
        plan = getattr(trajectory, "care_plan", None) if trajectory else None
        context["plan"] = plan
        context["goals"] = list(plan.goals.all()) if plan else []
        context["decisions"] = final_decisions(youth)
        context["safety_plans"] = safety_plans(youth)
    elif scope == "assessments":
        language = get_language() or "nl"
        context["domain_charts"] = domain_chart_svgs(youth, language)
        own = (
            Assessment.objects.submitted()
            .filter(youth=youth, respondent_role=RespondentRole.YOUTH, wave__isnull=False)
            .select_related("wave")
            .order_by("wave__on", "pk")
        )
        context["youth_scores"] = [_score_rows(a, language) for a in own]
    elif scope == "network":
        context["people"] = NetworkPerson.objects.filter(youth=youth).order_by(
            "relation", "display_name"
        )
    return render(request, "portal/scope.html", context)


def _score_rows(assessment: Assessment, language: str) -> dict[str, Any]:
    definition = assessment.definition
    rows = []
    for subscale in definition.subscales:
        value = (assessment.scores or {}).get(subscale.code)
        rows.append((subscale.label.get(language), value))
    return {
        "title": definition.title.get(language),
        "wave": assessment.wave,
        "rows": rows,
    }
