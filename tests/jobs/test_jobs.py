"""Background work: a job waits for a worker, runs, keeps its result and says when it is stale;
failures say why; a job is its owner's alone."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from tests.conftest import signed_in
from yim.core.errors import DomainError
from yim.jobs import kinds, runner
from yim.jobs.models import Job, JobStatus
from yim.jobs.state import fingerprint
from yim.trajectories.models import Youth

pytestmark = pytest.mark.django_db


def square(params: dict[str, Any], progress: kinds.Progress) -> dict[str, Any]:
    n = params["n"]
    if params.get("boom"):
        raise RuntimeError("secret detail that must not reach the page")
    if n < 0:
        raise DomainError("Give a number of zero or more.")
    progress(0.5, "halfway")
    seen = Job.objects.get(kind="test.square", status=JobStatus.RUNNING).progress_message
    return {"square": n * n, "progress_seen_during_the_run": seen}


KIND = kinds.register(
    kinds.JobKind(
        name="test.square",
        label="Square",
        run=square,
        state=lambda params: fingerprint("trajectories"),
    )
)


def start(owner: Any, n: int, capture: Any, **extra: Any) -> Job:
    with capture(execute=True):
        return runner.start("test.square", owner, {"n": n, **extra})


def test_a_started_job_waits_for_a_worker_then_keeps_its_result(
    world, worker, django_capture_on_commit_callbacks
):
    job = start(world.researcher, 3, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert job.task_id  # handed to the task framework once the transaction committed
    assert worker() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result == {"square": 9, "progress_seen_during_the_run": "halfway"}
    assert job.progress == 1.0
    assert job.registry_state == fingerprint("trajectories")
    assert job.started_at is not None and job.finished_at >= job.started_at
    assert worker() == 0  # nothing left


def test_a_refusal_reaches_the_page_in_its_own_words(
    world, worker, django_capture_on_commit_callbacks
):
    job = start(world.researcher, -1, django_capture_on_commit_callbacks)
    worker()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "Give a number of zero or more."
    page = signed_in(world.researcher).get(reverse("jobs:job", args=[job.pk]))
    assert "Give a number of zero or more." in page.content.decode()


def test_an_unexpected_error_is_logged_but_its_detail_stays_off_the_page(
    world, worker, django_capture_on_commit_callbacks, caplog
):
    with translation.override("en"):
        job = start(world.researcher, 2, django_capture_on_commit_callbacks, boom=True)
    with caplog.at_level(logging.ERROR, logger="yim.jobs"):
        worker()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "unexpected error" in job.error
    assert "secret detail" not in job.error
    assert "secret detail" in caplog.text


def test_a_kept_result_says_it_is_stale_once_the_registry_changes(
    world, worker, django_capture_on_commit_callbacks
):
    job = start(world.researcher, 4, django_capture_on_commit_callbacks)
    worker()
    job.refresh_from_db()
    assert runner.is_stale(job) is False
    client = signed_in(world.researcher)
    assert "out of date" not in client.get(reverse("jobs:job", args=[job.pk])).content.decode()
    youth = Youth.objects.get(pk=world.youth_file.pk)
    youth.display_name = "Sam B. (renamed)"
    youth.save()
    assert runner.is_stale(job) is True
    assert (
        "out of date"
        in client.get(
            reverse("jobs:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    )


def test_the_page_polls_while_waiting_and_reloads_when_done(
    world, worker, django_capture_on_commit_callbacks
):
    job = start(world.researcher, 5, django_capture_on_commit_callbacks)
    client = signed_in(world.researcher)
    waiting = client.get(reverse("jobs:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = waiting.content.decode()
    assert "waiting for a worker" in html
    assert f'hx-get="{reverse("jobs:progress", args=[job.pk])}"' in html
    polled = client.get(reverse("jobs:progress", args=[job.pk]))
    assert polled.status_code == 200 and "HX-Refresh" not in polled
    worker()
    assert client.get(reverse("jobs:progress", args=[job.pk]))["HX-Refresh"] == "true"
    done = client.get(reverse("jobs:job", args=[job.pk])).content.decode()
    assert "hx-get" not in done
    assert "<dd>25</dd>" in done


def test_the_page_speaks_dutch_by_default(world, django_capture_on_commit_callbacks):
    job = start(world.researcher, 5, django_capture_on_commit_callbacks)
    html = signed_in(world.researcher).get(reverse("jobs:job", args=[job.pk])).content.decode()
    assert "wacht op een achtergrondproces" in html


@pytest.mark.parametrize("name", ["jobs:job", "jobs:progress"])
def test_a_job_is_its_owners_alone(world, django_capture_on_commit_callbacks, name):
    job = start(world.researcher, 1, django_capture_on_commit_callbacks)
    for persona in ("admin", "professional", "team_lead", "youth_user"):
        assert (
            signed_in(world.persona(persona)).get(reverse(name, args=[job.pk])).status_code == 404
        )
    again = signed_in(world.admin).post(reverse("jobs:again", args=[job.pk]))
    assert again.status_code == 404
    assert Job.objects.count() == 1


def test_calculating_again_asks_the_same_question_anew(
    world, worker, django_capture_on_commit_callbacks
):
    job = start(world.researcher, 6, django_capture_on_commit_callbacks)
    worker()
    client = signed_in(world.researcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("jobs:again", args=[job.pk]))
    fresh = Job.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and response.url == reverse("jobs:job", args=[fresh.pk])
    assert fresh.params == job.params and fresh.status == JobStatus.QUEUED
    assert runner.latest(world.researcher, "test.square", {"n": 6}) == fresh
    worker()
    fresh.refresh_from_db()
    assert fresh.result["square"] == 36


def test_the_list_shows_ones_own_jobs_a_page_at_a_time(world, django_capture_on_commit_callbacks):
    client = signed_in(world.researcher)
    empty = client.get(reverse("jobs:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You have not started any background calculation yet." in empty
    for n in range(30):
        start(world.researcher, n, django_capture_on_commit_callbacks)
    start(world.admin, 99, django_capture_on_commit_callbacks)
    first = client.get(reverse("jobs:list"))
    assert len(first.context["rows"]) == 25
    second = client.get(reverse("jobs:list"), {"page": 2})
    assert len(second.context["rows"]) == 5
    owners = {job.owner_id for job, _label in first.context["rows"] + second.context["rows"]}
    assert owners == {world.researcher.pk}


def test_an_unknown_kind_is_refused_when_starting_not_in_the_worker(world):
    with pytest.raises(LookupError):
        runner.start("no.such.kind", world.researcher, {})
    assert Job.objects.count() == 0


def test_the_fingerprint_sees_inserts_edits_and_deletes(world):
    before = fingerprint("trajectories")
    youth = Youth.objects.get(pk=world.youth_file.pk)
    youth.display_name = "Changed"
    youth.save()
    edited = fingerprint("trajectories")
    assert edited != before
    Youth.objects.filter(pk=world.foreign_youth_file.pk).delete()
    assert fingerprint("trajectories") not in (before, edited)


def test_pruning_removes_old_finished_jobs_and_keeps_recent_and_waiting_ones(
    world, worker, django_capture_on_commit_callbacks, frozen_clock
):
    old = start(world.researcher, 2, django_capture_on_commit_callbacks)
    worker()
    frozen_clock.shift(dt.timedelta(days=100))
    waiting = start(world.researcher, 3, django_capture_on_commit_callbacks)
    recent = start(world.researcher, 4, django_capture_on_commit_callbacks)
    worker()
    Job.objects.filter(pk=waiting.pk).update(status=JobStatus.QUEUED, finished_at=None)
    assert runner.prune(dt.timedelta(days=90)) == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert old.pk not in Job.objects.values_list("pk", flat=True)


def test_yim_jobs_prune_deletes_an_old_export_with_its_archive(
    world, worker, django_capture_on_commit_callbacks, frozen_clock, tmp_path, settings, capsys
):
    from yim.cli import main
    from yim.research.export_jobs import archive_path

    settings.EXPORT_KEY_FILE = tmp_path / "export.key"
    params = {"owner_id": world.researcher.pk, "as_of": "2026-06-01", "format": "csv",
              "include": [], "organisation_id": world.org.pk, "team_id": None}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        job = runner.start("research.export", world.researcher, params)
    worker()
    job.refresh_from_db()
    archive = archive_path(job.result)
    assert archive.exists()
    frozen_clock.shift(dt.timedelta(days=31))
    assert main(["jobs", "prune", "--days", "60"]) == 0
    assert archive.exists() and Job.objects.filter(pk=job.pk).exists()
    assert main(["jobs", "prune", "--days", "30"]) == 0
    assert "Removed 1 background job(s)" in capsys.readouterr().out
    assert not archive.exists() and not Job.objects.filter(pk=job.pk).exists()
