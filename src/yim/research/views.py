"""Research workspace pages: pseudonymised data only, guarded by yim.policy."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yim import policy
from yim.web.http import AuthenticatedHttpRequest


@login_required
@require_GET
def research_home_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not policy.can_use_research(request.user):
        raise Http404
    return render(request, "web/research_home.html")
