"""/evidence/report/: ask for a report (HTML or PDF, Dutch or English) of the dashboard or of a
kept analysis result, made as background work (:mod:`yim.research.report_jobs`), and download
it once made.

A report of the dashboard asks the page's question again through the policy (404 outside the
scope); a report of a kept result names its job, looked up through
:func:`yim.jobs.runner.visible_job` (its owner's only, while the policy still gives them its
scope). The download is its owner's in the same way and is recorded in the audit log.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yim.core.http import AuthenticatedHttpRequest
from yim.research.evidence_views import question_of
from yim.research.export_views import kept_file_download
from yim.research.job_pages import finished_job_or_404, start_and_show
from yim.research.report import FORMATS, LANGUAGES
from yim.research.report_jobs import (
    CONTENT_TYPES,
    EVIDENCE_REPORT,
    SOURCE_KINDS,
    question_params,
    report_path,
)


@login_required
@require_POST
def report_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a report: of the kept result ``job``, or of the dashboard's question."""
    language, fmt = request.POST.get("language"), request.POST.get("format")
    if language not in LANGUAGES or fmt not in FORMATS:
        return HttpResponseBadRequest(
            _("Choose the report's language (nl or en) and its format (pdf or html).")
        )
    params = {"owner_id": request.user.pk, "language": language, "format": fmt}
    source_id = request.POST.get("job")
    if source_id:
        if not source_id.isdigit():
            raise Http404
        source, _result = finished_job_or_404(request.user, int(source_id), *SOURCE_KINDS)
        params.update(question_params(source.params))
        params.update(report=SOURCE_KINDS[source.kind], source_job=source.pk)
        as_of = source.as_of
    else:
        question = question_of(request, request.POST)  # 404 without evidence or outside scope
        if question.errors:  # the page says what is wrong with the days
            keys = ("as_of", "from", "team", "programme")
            query = urlencode({k: request.POST[k] for k in keys if request.POST.get(k)})
            return redirect(f"{reverse('evidence:summary')}?{query}")
        params.update(question_params(question.params()))
        params.update(report="dashboard", source_job=None)
        as_of = question.as_of
    return start_and_show(EVIDENCE_REPORT, request.user, params, as_of=as_of)


@login_required
@require_GET
def download_view(request: AuthenticatedHttpRequest, job_id: int) -> FileResponse:
    """A finished report: its owner's, while they may still see its scope."""
    job, result = finished_job_or_404(request.user, job_id, EVIDENCE_REPORT)
    return kept_file_download(
        request,
        job,
        report_path(result),
        filename=result["download_name"],
        content_type=CONTENT_TYPES[result["format"]],
        detail=(
            f"downloaded evidence report of job {job.pk} ({result['report']}, "
            f"{result['format']}, {result['language']}, as of {result.get('as_of') or '—'})"
        ),
    )
