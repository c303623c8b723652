"""Placement decisions and the safety plan in the portals, and the JIM's advice.

The youth, the JIM and the parent read them with the care plan's part of the file (the same
rules: the youth's sharing for the JIM, the age rule for the parent). The JIM gives her advice
on a placement she is consulted about from her portal, while she is the youth's JIM with
consent complete; it is kept as her input beside the decision (:class:`JimAdvice`) for the
professional, who records the consultation and weighs it. A parent with parental authority
sees a notice on the portal's home when the child is placed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yim.accounts.forms import claim_once
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.forms import attach_errors
from yim.core.http import AuthenticatedHttpRequest
from yim.portals.access import decisions_asking_advice, portal_youth_or_404
from yim.portals.forms import AdviceForm
from yim.trajectories.models import (
    OUT_OF_HOME,
    DecisionStatus,
    JimAdvice,
    JimConsultation,
    PlacementDecision,
    SafetyPlan,
    Youth,
)

#: How many decisions and safety plans a portal page shows (a youth has a handful).
SHOWN = 20


def final_decisions(youth: Youth) -> list[PlacementDecision]:
    """The youth's final placement decisions (every trajectory), newest first, with the
    JIM's consultations. Drafts are work in progress, not decisions: they are not shown."""
    return list(
        PlacementDecision.objects.filter(trajectory__youth=youth, status=DecisionStatus.FINALISED)
        .prefetch_related(
            Prefetch("consultations", queryset=JimConsultation.objects.order_by("consulted_on"))
        )
        .order_by("-decided_on", "-pk")[:SHOWN]
    )


def safety_plans(youth: Youth) -> list[SafetyPlan]:
    return list(
        SafetyPlan.objects.filter(trajectory__youth=youth).order_by("-made_on", "-pk")[:SHOWN]
    )


def placement_summary(youth: Youth) -> dict[str, Any]:
    """For the portal's home: the latest final decision and whether a safety plan is in force."""
    latest = (
        PlacementDecision.objects.filter(trajectory__youth=youth, status=DecisionStatus.FINALISED)
        .order_by("-decided_on", "-pk")
        .first()
    )
    active_plan = SafetyPlan.objects.filter(trajectory__youth=youth, ended_on__isnull=True).exists()
    return {"latest_decision": latest, "safety_plan_active": active_plan}


def placement_notice(youth: Youth) -> PlacementDecision | None:
    """The placement a parent is told of: the latest final decision, when it places the
    child out of home."""
    latest = placement_summary(youth)["latest_decision"]
    return latest if latest is not None and latest.placement_type in OUT_OF_HOME else None


@login_required
@require_http_methods(["GET", "POST"])
def advice_view(request: AuthenticatedHttpRequest, youth_id: int, decision_id: int) -> HttpResponse:
    """The JIM's advice on one placement decision she is consulted about."""
    youth = portal_youth_or_404(request, youth_id)
    asked = {d.pk: (d, jim) for d, jim in decisions_asking_advice(request.user, youth)}
    if decision_id not in asked:
        raise Http404
    decision, jim = asked[decision_id]
    form = AdviceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        advice = JimAdvice(
            decision=decision, jim=jim, advice=form.cleaned_data["advice"], given_by=request.user
        )
        try:
            with transaction.atomic():
                claim_once(form, request.user)  # a double submit records one advice
                advice.save()
        except ValidationError as refused:
            attach_errors(form, refused)  # per field, or on top (e.g. sent twice)
        else:
            record(
                request.user,
                Action.CREATE,
                request=request,
                youth=youth,
                obj=advice,
                detail="JIM advice on a placement decision",
            )
            messages.success(
                request, _("Your advice is recorded. The professional weighs it in the decision.")
            )
            return redirect("portal:youth", youth_id=youth.pk)
    record(
        request.user, Action.VIEW, request=request, youth=youth, detail="portal placement advice"
    )
    return render(
        request,
        "portal/advice.html",
        {
            "youth": youth,
            "decision": decision,
            "form": form,
            "earlier": decision.jim_advice.filter(given_by=request.user),
        },
        status=400 if form.errors else 200,
    )
