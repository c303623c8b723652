"""Background work in tests: the real database backend, and a worker run in this process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_waiting_tasks() -> int:
    """Do what ``yim worker --batch`` does, in this test's transaction: take every waiting task
    from the database and run it. (The command itself closes database connections between
    tasks, which a test transaction cannot survive; tests/jobs/test_worker_command.py runs
    the real command on committed data.)"""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while (task := DBTaskResult.objects.ready().get_locked()) is not None:
        task.claim(worker.worker_id)
        worker.run_task(task)
        ran += 1
    return ran


@pytest.fixture
def worker(django_capture_on_commit_callbacks) -> Callable[[], int]:  # type: ignore[no-untyped-def]
    return run_waiting_tasks


def export_through_the_page(client, capture, data):  # type: ignore[no-untyped-def]
    """Ask for a research export on its page, let a worker make it, download the archive;
    returns the download's response (its bytes in ``.content``)."""
    from django.urls import reverse

    from yim.jobs.models import Job, JobStatus

    with capture(execute=True):
        started = client.post("/research/export/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert started.status_code == 302, started.content[:500]
    job = Job.objects.filter(owner_id=started.wsgi_request.user.pk).latest("pk")
    assert started.url == reverse("jobs:job", args=[job.pk])
    assert run_waiting_tasks() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    page = client.get(started.url)
    download = reverse("research:export_download", args=[job.pk])
    assert download in page.content.decode()
    response = client.get(download)
    return Download(response.status_code, dict(response.items()), response.getvalue())


@dataclass(frozen=True)
class Download:
    """A downloaded file: its status, headers and bytes (read from the streamed answer)."""

    status_code: int
    headers: dict[str, str]
    content: bytes

    def __getitem__(self, header: str) -> str:
        return self.headers[header]
