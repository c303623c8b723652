"""What every page of an interview project shares: the project found through the user's
membership (404 outside it), a page of a long list, and the audited render."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest

from . import models as m

PAGE_SIZE = 25


def page_of(request: HttpRequest, queryset, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def project_for(request: AuthenticatedHttpRequest, pk: int) -> m.Project:
    return policy.get_project_or_404(request.user, pk)


def owner_project_for(request: AuthenticatedHttpRequest, pk: int) -> m.Project:
    project = project_for(request, pk)
    if not policy.can_manage_qualitative_project(request.user, project):
        raise Http404
    return project


def project_page(
    request: AuthenticatedHttpRequest,
    project: m.Project,
    template: str,
    detail: str,
    context: dict,
    *,
    action: Action = Action.VIEW,
    status: int = 200,
) -> HttpResponse:
    """Log the access to a page of the project and render ``qualitative/<template>.html``."""
    record(request.user, action, request=request, obj=project, detail=detail)
    return render(
        request, f"qualitative/{template}.html", {"project": project, **context}, status=status
    )
