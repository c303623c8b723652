"""Pages of background work: one job (progress, then its result), its progress fragment,
and the list of one's own jobs. A job is its owner's: anyone else gets 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from yim.core.http import AuthenticatedHttpRequest
from yim.jobs import kinds, runner
from yim.jobs.models import Job

PAGE_SIZE = 25


def _own_job(request: AuthenticatedHttpRequest, job_id: int) -> Job:
    job = runner.visible_job(request.user, job_id)
    if job is None:
        raise Http404
    return job


def _context(job: Job) -> dict[str, object]:
    kind = kinds.get(job.kind)
    context: dict[str, object] = {"job": job, "kind": kind, "stale": runner.is_stale(job)}
    if job.result is not None:
        context["result"] = job.result
        if kind.context is not None:
            context.update(kind.context(job.result))
    return context


@login_required
@require_GET
def job_view(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    return render(request, "jobs/job.html", _context(job))


@login_required
@require_GET
def progress_view(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """The progress bar alone, polled by the page; a finished job reloads the page."""
    job = _own_job(request, job_id)
    response = render(request, "jobs/_progress.html", {"job": job})
    if job.is_finished:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def again_view(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """Run the same question again on today's registry state."""
    job = _own_job(request, job_id)
    if not kinds.get(job.kind).repeatable:
        raise Http404
    fresh = runner.start(job.kind, request.user, job.params, as_of=job.as_of)
    return redirect("jobs:job", job_id=fresh.pk)


@login_required
@require_GET
def job_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    jobs = Job.objects.filter(owner=request.user).order_by("-created_at", "-pk")
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {name: kinds.get(name).label for name in kinds.names()}
    rows = [(job, labels.get(job.kind, job.kind)) for job in page.object_list]
    return render(request, "jobs/list.html", {"page": page, "rows": rows})
