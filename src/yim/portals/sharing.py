"""The youth decides what their JIM may see; every decision is kept."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.monitoring.forms import SharingForm
from yim.monitoring.models import JimSharingScope
from yim.portals.access import portal_youth_or_404


@login_required
@require_http_methods(["GET", "POST"])
def sharing_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    """The youth decides what their JIM may see; every decision is kept."""
    youth = portal_youth_or_404(request, youth_id)
    if not policy.can_manage_jim_sharing(request.user, youth):
        raise Http404
    current = JimSharingScope.current(youth)
    form = SharingForm(request.POST if request.method == "POST" else None, initial=current)
    if request.method == "POST" and form.is_valid():
        changed = JimSharingScope.decide(youth, form.choices(), by=request.user)
        if changed:
            record(
                request.user,
                Action.UPDATE,
                request=request,
                youth=youth,
                detail="JIM sharing: " + ", ".join(f"{s}={form.choices()[s]}" for s in changed),
            )
            messages.success(request, _("Saved. Your JIM sees exactly this from now on."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("portal:sharing", youth_id=youth.pk)
    history = JimSharingScope.objects.filter(youth=youth).select_related("by")[:30]
    return render(
        request, "portal/sharing.html", {"youth": youth, "form": form, "history": history}
    )
