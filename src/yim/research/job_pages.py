"""What the research pages that hand their work to background jobs (:mod:`yim.jobs`) share:
starting a job and showing its progress, the finished job a download or follow-up rests on,
and the context of a page that asks the evidence question and keeps its last calculation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpResponse
from django.shortcuts import redirect

from yim import policy
from yim.jobs import runner
from yim.jobs.models import Job

if TYPE_CHECKING:
    import datetime as dt

    from yim.research.evidence_views import Question


def start_and_show(
    kind: str, owner: Any, params: dict[str, Any], *, as_of: dt.date | None = None
) -> HttpResponse:
    """Start a background job of ``kind`` for ``owner`` and send the browser to its page,
    which shows the progress and then the result."""
    job = runner.start(kind, owner, params, as_of=as_of)
    return redirect("jobs:job", job_id=job.pk)


def finished_job_or_404(user: Any, job_id: int, *kinds: str) -> tuple[Job, dict[str, Any]]:
    """The job ``job_id`` of one of ``kinds`` with its result, when ``user`` may see it and it
    finished with a result (:func:`yim.jobs.runner.finished_job`); 404 otherwise."""
    found = runner.finished_job(user, job_id, *kinds)
    if found is None:
        raise Http404
    return found


def question_page_context(user: Any, question: Question, latest_job: Job | None) -> dict[str, Any]:
    """What a page asking the evidence question shows beside its own content: the filters
    (``research/_evidence_filters.html``) and the user's last calculation of it, if any."""
    return {
        "as_of": question.as_of,
        "referred_from": question.referred_from,
        "teams": policy.evidence_teams(user),
        "team_id": question.filters.get("team_id"),
        "programmes": policy.evidence_programmes(user),
        "programme_id": question.programme_id,
        "latest_job": latest_job,
        "latest_stale": latest_job is not None and runner.is_stale(latest_job),
    }
