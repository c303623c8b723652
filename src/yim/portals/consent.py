"""A parent gives (or withdraws) consent to the JIM where the age rule asks for it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yim import policy
from yim.accounts.forms import claim_once
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.forms import attach_errors
from yim.core.http import AuthenticatedHttpRequest
from yim.monitoring.forms import ParentConsentForm
from yim.portals.access import portal_youth_or_404
from yim.trajectories.models import ConsentParty


@login_required
@require_http_methods(["GET", "POST"])
def consent_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    """A parent gives (or withdraws) consent to the JIM where the age rule asks for it."""
    youth = portal_youth_or_404(request, youth_id)
    if not policy.can_give_parent_consent(request.user, youth):
        raise Http404
    trajectory = youth.trajectories.open().first()
    jim = trajectory.active_jim if trajectory else None
    holder_id = policy.parent_consent_holder(request.user, youth) or None
    form = ParentConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and jim is not None and form.is_valid():
        try:
            with transaction.atomic():
                claim_once(form, request.user)  # a double submit records one decision
                consent = jim.record_consent(
                    party=ConsentParty.PARENT,
                    holder_id=holder_id,
                    parent_name=request.user.get_full_name() or request.user.get_username(),
                    decision=form.cleaned_data["decision"],
                    note=form.cleaned_data["note"],
                    recorded_by=request.user,
                )
        except ValidationError as refused:
            attach_errors(form, refused)  # per field, or on top (e.g. sent twice)
        else:
            record(
                request.user,
                Action.CREATE,
                request=request,
                youth=youth,
                obj=consent,
                detail=f"parent consent: {consent.decision}",
            )
            messages.success(request, _("Your decision is recorded."))
            return redirect("portal:consent", youth_id=youth.pk)
    # The parent's own decisions: those they gave here, and those the professional recorded
    # for the holder of authority they are.
    own = Q(recorded_by=request.user) | (Q(holder_id=holder_id) if holder_id else Q())
    mine = jim.consents.filter(own).order_by("-given_at", "-pk") if jim is not None else []
    # Where consent stands for every consent that is needed (the youth, each holder of
    # parental authority): the same checklist as on the professional's consent page.
    checklist = jim.consent_checklist() if jim is not None else []
    return render(
        request,
        "portal/consent.html",
        {"youth": youth, "jim": jim, "form": form, "mine": mine, "checklist": checklist},
        status=400 if form.errors else 200,
    )
