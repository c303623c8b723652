"""Starting a job and running it on the task framework.

:func:`start` records the job and enqueues :func:`run_job` once the transaction commits;
a worker (``yim worker``) picks the task up from the database and runs the kind. The job
row carries what the page shows (status, progress, result or error); the task framework's
own row only carries the work to the worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from yim.jobs import kinds
from yim.jobs.models import Job, JobStatus, params_key

logger = logging.getLogger("yim.jobs")

#: Progress is written at most this often (seconds): a tight loop must not flood the database.
PROGRESS_INTERVAL = 0.5


def start(kind: str, owner: Any, params: dict[str, Any], *, as_of: dt.date | None = None) -> Job:
    """Record a job for ``owner`` and hand it to the workers; returns at once."""
    kinds.get(kind)  # an unknown kind fails here, in the request, not in a worker
    job = Job.objects.create(
        kind=kind,
        owner=owner,
        params=params,
        params_key=params_key(params),
        as_of=as_of,
        language=translation.get_language() or "nl",
    )

    def enqueue() -> None:
        result = run_job.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id))

    transaction.on_commit(enqueue)
    return job


def visible_job(user: Any, job_id: int) -> Job | None:
    """The job, if ``user`` may see it: a job is its owner's, and its kind may ask whether the
    owner still has the job's scope (a role, team or organisation may have changed since)."""
    job = Job.objects.filter(pk=job_id, owner=user).first()
    if job is None:
        return None
    kind = kinds.get(job.kind)
    if kind.may_view is not None and not kind.may_view(user, job.params):
        return None
    return job


def finished_job(user: Any, job_id: int, *kinds_: str) -> tuple[Job, dict[str, Any]] | None:
    """A job of one of ``kinds_`` that ``user`` may see (:func:`visible_job`) and that
    finished with a result, with that result: what a download or a follow-up job rests on."""
    job = visible_job(user, job_id)
    if job is None or job.kind not in kinds_ or job.status != JobStatus.SUCCEEDED:
        return None
    return (job, job.result) if job.result is not None else None


def latest(owner: Any, kind: str, params: dict[str, Any]) -> Job | None:
    """The owner's most recent job of this kind on exactly these parameters, if any."""
    return (
        Job.objects.filter(owner=owner, kind=kind, params_key=params_key(params))
        .order_by("-created_at", "-pk")
        .first()
    )


def prune(older_than: dt.timedelta) -> int:
    """Delete finished jobs that finished more than ``older_than`` ago, with what their
    results keep outside the database; returns how many. Waiting and running jobs stay."""
    cutoff = timezone.now() - older_than
    old = Job.objects.filter(
        status__in=(JobStatus.SUCCEEDED, JobStatus.FAILED), finished_at__lt=cutoff
    )
    count = 0
    for job in old.iterator():
        kind = kinds.get(job.kind)
        if kind.discard is not None and job.result is not None:
            kind.discard(job.result)
        job.delete()
        count += 1
    return count


def is_stale(job: Job) -> bool:
    """True when the data the result rests on has changed since the run began."""
    if job.status != JobStatus.SUCCEEDED or not job.registry_state:
        return False
    return kinds.get(job.kind).state(job.params) != job.registry_state


class _Reporter:
    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL and fraction < 1.0:
            return
        self.last = now
        Job.objects.filter(pk=self.job_id).update(
            progress=max(0.0, min(1.0, float(fraction))), progress_message=str(message)[:200]
        )


@task()
def run_job(job_id: int) -> str:
    """Run one job (in a worker). Never raises: a failure is written to the job."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.status != JobStatus.QUEUED:
        return "skipped"
    kind = kinds.get(job.kind)
    with translation.override(job.language):
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.RUNNING,
            started_at=timezone.now(),
            registry_state=kind.state(job.params),
            progress_message=_("Started"),
        )
        try:
            result = kind.run(job.params, _Reporter(job.pk))
        except kind.user_errors as exc:
            messages = getattr(exc, "messages", None) or [str(exc)]
            _finish(job.pk, JobStatus.FAILED, error=" ".join(str(m) for m in messages))
            return "failed"
        except Exception:
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            _finish(
                job.pk,
                JobStatus.FAILED,
                error=_(
                    "The calculation stopped because of an unexpected error. It has been "
                    "logged for the administrator; try again later or ask them."
                ),
            )
            return "failed"
        _finish(job.pk, JobStatus.SUCCEEDED, result=result)
    return "succeeded"


def _finish(job_id: int, status: str, *, result: Any = None, error: str = "") -> None:
    Job.objects.filter(pk=job_id).update(
        status=status,
        result=result,
        error=error,
        progress=1.0 if status == JobStatus.SUCCEEDED else 0.0,
        progress_message="",
        finished_at=timezone.now(),
    )
