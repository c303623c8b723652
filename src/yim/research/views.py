"""Research workspace pages: pseudonymised data only, guarded by yim.policy.

The meta-analysis workspace runs the same engine as ``yim meta fit``: the uploaded table is
validated (every problem named by row and column), fitted, and kept with its report.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yim import policy
from yim.core.http import AuthenticatedHttpRequest
from yim.research import meta_jobs
from yim.research.forms import COLUMN_LIST_ID, MetaAnalysisForm, TableUploadForm
from yim.research.job_pages import start_and_show
from yim.research.models import MetaAnalysisRun

# The stored report is a standalone document with its own inline CSS: it is served with a
# policy that allows exactly that and nothing else (no script, no network, sandboxed).
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def report_html_response(
    request: AuthenticatedHttpRequest, html: str, filename: str
) -> HttpResponse:
    """A stored standalone HTML report, served under :data:`REPORT_CSP`; asked with a
    ``download`` parameter, as an attachment named ``filename``."""
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = REPORT_CSP
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def json_attachment(body: str, filename: str) -> HttpResponse:
    """JSON text (``body``) as a download named ``filename``."""
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def research_home_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not policy.can_use_research(request.user):
        raise Http404
    runs = policy.meta_analysis_runs(request.user)[:5]
    context = {"recent_runs": runs, "can_pool": policy.can_pool_evidence(request.user)}
    return render(request, "research/home.html", context)


@login_required
@require_GET
def meta_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not policy.can_use_research(request.user):
        raise Http404
    from django.core.paginator import Paginator

    runs = policy.meta_analysis_runs(request.user).defer("report_html")
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    return render(request, "research/meta_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def meta_new_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not policy.can_use_research(request.user):
        raise Http404
    form = MetaAnalysisForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["data_file"]
        options = {k: v for k, v in form.cleaned_data.items() if k != "data_file"}
        if meta_jobs.is_large(upload):
            params = {
                "owner_id": request.user.pk,
                "upload": meta_jobs.keep_upload(upload),
                "filename": upload.name,
                "options": options,
            }
            return start_and_show(meta_jobs.META_FIT, request.user, params)
        try:
            result, report = meta_jobs.fit_table(upload.read(), upload.name, options)
        except meta_jobs.MetaFitRefused as refused:
            problems = refused.messages
        else:
            run = meta_jobs.save_run(
                request.user, options, upload.name, result, report, request=request
            )
            return redirect("research:meta_detail", pk=run.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "research/meta_new.html", {"form": form, "problems": problems}, status=status
    )


@login_required
@require_POST
def meta_columns_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The column names of the file just chosen, offered to the column fields of the form
    (fetched by htmx when a file is chosen; nothing is kept)."""
    from yim.stats.meta.dataset import DataError
    from yim.stats.meta.reading import column_names

    if not policy.can_use_research(request.user):
        raise Http404
    form = TableUploadForm(request.POST, request.FILES)
    columns: list[str] = []
    problems: list[str] = []
    if form.is_valid():
        upload = form.cleaned_data["data_file"]
        try:
            columns = column_names(upload.read(), upload.name)
        except DataError as exc:
            problems = [str(problem) for problem in exc.problems]
    else:
        problems = [str(error) for error in form.errors.get("data_file", [])]
    return render(
        request,
        "research/_meta_columns.html",
        {"columns": columns, "problems": problems, "list_id": COLUMN_LIST_ID},
    )


def _run_or_404(request: AuthenticatedHttpRequest, pk: int) -> MetaAnalysisRun:
    run = policy.meta_analysis_runs(request.user).filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


@login_required
@require_GET
def meta_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    return render(request, "research/meta_detail.html", {"run": run, "result": run.result})


@login_required
@require_GET
def meta_report_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    return report_html_response(request, run.report_html, f"meta-analysis-{run.pk}.html")


@login_required
@require_GET
def meta_json_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    body = json.dumps(run.result, indent=2, ensure_ascii=False)
    return json_attachment(body, f"meta-analysis-{run.pk}.json")
