"""Analysis pages: frequencies, co-occurrence, coders side by side, inter-coder agreement.

Agreement is computed over speaker turns, or — for transcripts without turns, or when chosen —
over characters or coded segments (:func:`.analysis.agreement_in`, which the API calls too);
the page names the unit.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest

from . import analysis
from .pages import project_for, project_page


def _ids(request: HttpRequest, name: str) -> list[int]:
    return [int(v) for v in request.GET.getlist(name) if v.isdigit()][:200]


@login_required
@require_GET
def frequencies_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    variables = list(project.variables.all())
    chosen = next((v for v in variables if str(v.pk) == request.GET.get("variable")), None)
    chosen = chosen or next((v for v in variables if v.name == "role"), None)
    return project_page(
        request,
        project,
        "frequencies",
        "frequencies",
        {
            "variables": variables,
            "variable": chosen,
            "by_variable": analysis.frequencies(project, chosen) if chosen else None,
            "by_set": analysis.frequencies_by_set(project),
        },
    )


@login_required
@require_GET
def cooccurrence_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    coder = None
    if request.GET.get("coder", "").isdigit():
        coder = get_object_or_404(project.coders, pk=int(request.GET["coder"]))
    return project_page(
        request,
        project,
        "cooccurrence",
        "co-occurrence",
        {
            "coders": project.coders.all(),
            "coder": coder,
            "table": analysis.cooccurrence(project, coder),
        },
    )


@login_required
@require_GET
def agreement_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    all_documents, all_coders, documents, coders = analysis.agreement_selection(
        project, _ids(request, "document"), _ids(request, "coder")
    )
    unit, data = analysis.agreement_in(project, documents, coders, request.GET.get("unit"))
    return project_page(
        request,
        project,
        "agreement",
        "agreement",
        {
            "all_documents": all_documents,
            "all_coders": all_coders,
            "documents": documents,
            "coders": coders,
            "report": data.report,
            "n_units": len(data.units),
            "unit": unit,
        },
    )


@login_required
@require_GET
def coders_view(request: AuthenticatedHttpRequest, pk: int, document_id: int) -> HttpResponse:
    """One document, turn by turn, with the codes of each coder side by side."""
    project = project_for(request, pk)
    document = get_object_or_404(project.documents, pk=document_id)
    coders = list(project.coders.filter(codings__document=document).distinct())
    data = analysis.agreement(project, [document], coders)
    rows = []
    for unit in data.units:
        cells = []
        for coder in coders:
            applied = data.codings[str(coder.pk)][unit.id]
            cells.append(sorted(applied) if applied is not None else None)
        differs = len({tuple(c) for c in cells if c is not None}) > 1
        rows.append(
            {
                "unit": unit,
                "text": document.text[unit.start : unit.end],
                "cells": cells,
                "differs": differs,
            }
        )
    record(request.user, Action.VIEW, request=request, obj=document, detail="coders side by side")
    return render(
        request,
        "qualitative/coders.html",
        {"project": project, "document": document, "coders": coders, "rows": rows},
    )
