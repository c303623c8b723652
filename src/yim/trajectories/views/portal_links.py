"""Portal accounts on the youth page: a set-password link, and ending a portal link.

A set-password link is for a youth, JIM or parent who forgot their password.

Portal accounts often have no e-mail address, so the password-reset e-mail cannot reach
them. The youth's professional (``policy.can_issue_portal_password_link``) makes a
single-use, expiring link with the same machinery the organisation admin uses for staff
(``yim.accounts.admin_views.password_link``, its own token salt for portal accounts) and
hands it over in person. The link is shown once, on a page that is never cached, and is
built from YIM_BASE_URL.

Ending a portal link (``policy.managed_portal_links``) switches the account's access to
this youth's file off from the next request on; the account itself stays (it may be linked
to another youth). A JIM's access also ends by itself when the JIM stops
(``policy.current_jim_links``); ending the link makes it final.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yim import policy
from yim.accounts.admin_views import password_link
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.trajectories.views.base import audit


@never_cache
@login_required
@require_POST
def portal_password_link_view(
    request: AuthenticatedHttpRequest, youth_id: int, pk: int
) -> HttpResponse:
    """``pk`` is the portal link between the account and the youth (looked up through the
    youth, so another youth's account answers 404)."""
    youth = policy.get_youth_or_404(request.user, youth_id)
    link = policy.portal_password_link_targets(request.user, youth).filter(pk=pk).first()
    if link is None:
        raise Http404
    account = link.user
    audit(
        request,
        Action.USER_PASSWORD_LINK,
        youth,
        account,
        f"set-password link for {account.username} ({link.relation})",
    )
    return render(
        request,
        "web/portal_password_link.html",
        {
            "youth": youth,
            "account": account,
            "relation": link.get_relation_display(),
            "link": password_link(account),
            "link_days": settings.INVITATION_DAYS,
        },
    )


@login_required
@require_POST
def portal_link_end_view(request: AuthenticatedHttpRequest, youth_id: int, pk: int) -> HttpResponse:
    """End one portal link of the youth (``pk``, looked up through the youth and the policy,
    so another youth's link answers 404). Ending an ended link changes nothing."""
    youth = policy.get_youth_or_404(request.user, youth_id)
    link = policy.managed_portal_links(request.user, youth).filter(pk=pk).first()
    if link is None:
        raise Http404
    account = link.user
    if link.end(by=request.user):
        audit(
            request,
            Action.UPDATE,
            youth,
            account,
            f"portal access ended for {account.username} ({link.relation})",
        )
        messages.success(
            request,
            _("Portal access ended: %(name)s can no longer open this file.")
            % {"name": account.get_full_name() or account.username},
        )
    return redirect("web:youth_detail", pk=youth.pk)
