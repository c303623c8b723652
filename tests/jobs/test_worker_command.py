"""`yim worker --batch` takes the waiting jobs from the database, runs them and stops."""

from __future__ import annotations

from tests.jobs.test_jobs import KIND
from yim.cli import main
from yim.jobs import runner
from yim.jobs.models import Job, JobStatus


def test_yim_worker_batch_runs_the_waiting_jobs_and_stops(flushable, world):
    assert KIND.name == "test.square"
    first = runner.start("test.square", world.researcher, {"n": 7})
    second = runner.start("test.square", world.admin, {"n": -2})
    assert main(["worker", "--batch", "--verbosity", "0"]) == 0
    done = {job.pk: job for job in Job.objects.all()}
    assert done[first.pk].status == JobStatus.SUCCEEDED
    assert done[first.pk].result["square"] == 49
    assert done[second.pk].status == JobStatus.FAILED
