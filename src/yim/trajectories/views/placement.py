"""Placement decisions and the gate: no out-of-home placement without consulting the JIM.

The gate itself is the model's (``PlacementDecision.finalise`` raises ``GateClosed``); these
views only show its answer on the page. An emergency may be finalised first; a team lead of
the youth's team confirms it, and the JIM consultation stays due (7 days) until recorded.
Finalising cannot be undone: it is asked first (:mod:`yim.trajectories.views.confirmation`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yim import policy
from yim.audit.models import Action
from yim.core.errors import DomainError
from yim.core.forms import ActionForm, attach_errors
from yim.core.http import AuthenticatedHttpRequest
from yim.trajectories.errors import TrajectoryClosed
from yim.trajectories.forms import ConsultationForm, NoJimReasonForm, PlacementDecisionForm
from yim.trajectories.models import JimConsultation, PlacementDecision, Trajectory
from yim.trajectories.models.base import today
from yim.trajectories.stepper import open_matters
from yim.trajectories.views.base import (
    audit,
    edit_page,
    form_page,
    get_part,
    get_trajectory,
    save_form,
)
from yim.trajectories.views.confirmation import day, do_confirmed, is_confirmed, stale


def _decision(trajectory: Trajectory, pk: int) -> PlacementDecision:
    decision = PlacementDecision.objects.filter(trajectory=trajectory, pk=pk).first()
    if decision is None:
        raise Http404
    return decision


def _decision_url(decision: PlacementDecision) -> str:
    return reverse("trajectories:placement", args=[decision.pk])


@login_required
@require_http_methods(["GET", "POST"])
def placement_add_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = get_trajectory(request, pk, edit=True)
    form = PlacementDecisionForm(
        request.POST or None,
        instance=PlacementDecision(trajectory=trajectory, decided_by=request.user),
        initial={"decided_on": today(), "placement_type": trajectory.requested_placement},
    )
    return edit_page(
        request,
        form,
        trajectory=trajectory,
        detail="placement decision (draft)",
        created=True,
        done=_decision_url,
        title=_("Placement deliberation"),
        intro=_(
            "No out-of-home placement without first consulting the youth's JIM. The decision "
            "is saved as a draft; it can be finalised once the JIM's advice is recorded."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def placement_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A decision: edit the draft, record the JIM consultation, finalise, confirm."""
    writing = request.method == "POST"
    decision, trajectory = get_part(request, PlacementDecision, pk, edit=writing, via="trajectory")
    action = request.POST.get("action", "")
    version = {"version": decision.version}
    # The JIM's own advice from her portal (JimAdvice): shown, and the latest one fills in
    # the consultation form; the professional records the consultation and its weighing.
    advice = list(decision.jim_advice.select_related("jim__person").order_by("-given_at"))
    forms: dict[str, Any] = {
        "edit": PlacementDecisionForm(
            request.POST if action == "edit" else None, instance=decision
        ),
        "consultation": ConsultationForm(
            request.POST if action == "consultation" else None,
            instance=JimConsultation(decision=decision),
            initial={"consulted_on": today(), "advice": advice[0].advice if advice else ""},
            prefix="consultation",
        ),
        "finalise": ActionForm(request.POST if action == "finalise" else None, initial=version),
        "confirm": ActionForm(request.POST if action == "confirm" else None, initial=version),
        "no_jim": NoJimReasonForm(
            request.POST if action == "no_jim" else None, initial=version, prefix="no-jim"
        ),
    }
    if action == "confirm" and not policy.can_confirm_emergency(request.user, trajectory.team_id):
        raise Http404
    if request.method == "GET" and request.GET.get("confirm") == "finalise":
        if not policy.can_edit_trajectory(request.user, trajectory.youth):
            raise Http404  # a break-the-glass reader does not finalise
        if decision.is_finalised:
            return redirect(_decision_url(decision))
        return _confirm_finalise(request, trajectory, decision, decision.version)
    if action == "finalise" and not is_confirmed(request):
        # Not confirmed: nothing is done. A refusal (the gate, a stale version) is shown on
        # the decision's page as before; otherwise the confirmation is asked.
        form = forms["finalise"]
        if form.is_valid():
            version = form.cleaned_data["version"]
            refusal = stale(decision, version) or _finalise_refusal(decision)
            if refusal is None:
                return _confirm_finalise(request, trajectory, decision, version)
            attach_errors(form, refusal)
    elif action in forms:
        form = forms[action]

        def write() -> Model:
            if action == "edit":
                return form.save_versioned()
            if action == "consultation":
                data = form.cleaned_data
                return decision.record_consultation(
                    consulted_on=data["consulted_on"],
                    advice=data["advice"],
                    weighing=data["weighing"],
                    recorded_by=request.user,
                )
            decision.version = form.cleaned_data["version"]
            if action == "no_jim":
                decision.record_no_jim_reason(form.cleaned_data["no_jim_reason"])
            elif action == "finalise":
                decision.finalise(by=request.user)
            else:
                decision.confirm_emergency(by=request.user)
            return decision

        written = (
            do_confirmed(
                request,
                form,
                youth=trajectory.youth,
                write=write,
                detail="placement decision: finalise",
                created=False,
                said=_finalised,
            )
            if action == "finalise"
            else save_form(
                request,
                form,
                youth=trajectory.youth,
                write=write,
                detail=f"placement decision: {action}",
                created=action == "consultation",
            )
        )
        if written:
            return redirect(_decision_url(decision))
        decision = _decision(trajectory, pk)  # what is stored, not the refused edit
    audit(request, Action.VIEW, trajectory.youth, decision, "placement decision")
    can_edit = policy.can_edit_trajectory(request.user, trajectory.youth)
    return render(
        request,
        "trajectories/placement.html",
        {
            "trajectory": trajectory,
            "youth": trajectory.youth,
            "decision": decision,
            "forms": forms,
            "consultations": list(decision.consultations.select_related("jim__person")),
            "jim_advice": advice,
            "gate_error": decision.gate_error() if not decision.is_finalised else None,
            "can_edit": can_edit,
            "can_confirm": decision.needs_confirmation
            and policy.can_confirm_emergency(request.user, trajectory.team_id),
            "active_jim": trajectory.active_jim,
        },
    )


# --- finalising, after a confirmation -----------------------------------------------------


def _finalise_refusal(decision: PlacementDecision) -> ValidationError | None:
    """Why the decision cannot be finalised now (the model's own checks), or None."""
    if decision.is_finalised:
        return DomainError(_("This decision is already final."))
    if decision.trajectory.is_closed:
        return TrajectoryClosed()
    return decision.gate_error()


def _confirm_finalise(
    request: AuthenticatedHttpRequest,
    trajectory: Trajectory,
    decision: PlacementDecision,
    version: int,
) -> HttpResponse:
    """The confirmation page: what finalising does, who is told, what is still open. The
    gate's refusal is shown up front and then there is no button (the model refuses anyway)."""
    form = ActionForm(initial={"version": version})
    return form_page(
        request,
        trajectory=trajectory,
        youth=trajectory.youth,
        form=form,
        title=_("Finalise the placement decision"),
        submit=_("Finalise the decision"),
        extra={
            "decision": decision,
            "refusal": _finalise_refusal(decision),
            "matters": open_matters(trajectory, decision=decision),
            "back": _decision_url(decision),
        },
        template="trajectories/confirm_finalise.html",
    )


def _finalised(decision: Any) -> str:
    """What finalising did, in words: "Placement decision final: out-of-home placement
    (foster care) as of 3 June 2026." and, for an emergency, when the JIM is due."""
    kind = decision.get_placement_type_display()
    what = {"type": kind[:1].lower() + kind[1:], "date": day(decision.decided_on)}
    if decision.is_out_of_home:
        text = _("Placement decision final: out-of-home placement (%(type)s) as of %(date)s.")
    else:
        text = _("Placement decision final: %(type)s as of %(date)s.")
    text = text % what
    if decision.consultation_pending and decision.consultation_due:
        text += " " + _("The JIM is to be consulted by %(date)s.") % {
            "date": day(decision.consultation_due)
        }
    return text
