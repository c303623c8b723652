"""A large meta-analysis file is fitted as background work; the page does not wait.

Above ``YIM_META_INLINE_BYTES`` the workspace keeps the upload for the worker, shows the job
with its progress, and the worker saves the analysis exactly as the page would have; the file
is removed whatever the outcome.
"""

import stat

import pytest

from tests.conftest import signed_in
from tests.jobs.conftest import run_waiting_tasks
from tests.research.test_meta_workspace import _molloy_form, _upload
from yim.jobs.models import Job, JobStatus
from yim.research.meta_jobs import uploads_dir
from yim.research.models import MetaAnalysisRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def large(settings):
    """Every file counts as large (the Molloy table is about 2 KB)."""
    settings.META_INLINE_BYTES = 10
    for kept in uploads_dir().glob("meta-*"):
        kept.unlink()


def _post(client, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/research/meta/new/", _molloy_form(**overrides))


def test_a_large_file_is_fitted_in_the_background_like_one_fitted_while_waiting(
    world, client_for, large, settings, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    response = _post(client, django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert not MetaAnalysisRun.objects.exists()
    (kept,) = uploads_dir().glob("meta-*")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert run_waiting_tasks() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    background = MetaAnalysisRun.objects.get()
    assert job.result["run_id"] == background.pk and job.result["k"] == background.result["k"]
    assert not list(uploads_dir().glob("meta-*"))
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f"/research/meta/{background.pk}/" in page
    assert f"/jobs/{job.pk}/again/" not in page  # the upload is gone: nothing to repeat
    assert client.post(f"/jobs/{job.pk}/again/").status_code == 404

    settings.META_INLINE_BYTES = 10**9
    assert client.post("/research/meta/new/", _molloy_form()).status_code == 302
    inline = MetaAnalysisRun.objects.exclude(pk=background.pk).get()
    assert inline.result == background.result
    assert inline.options == background.options


def test_a_large_file_with_bad_rows_fails_with_every_problem_and_saves_nothing(
    world, client_for, large, django_capture_on_commit_callbacks
):
    bad = b"authors,ri,ni\nA,0.2,50\nB,1.5,40\nC,abc,30\n"
    _post(
        client_for("researcher"),
        django_capture_on_commit_callbacks,
        data_file=_upload("bad.csv", bad),
    )
    run_waiting_tasks()
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert "row 3" in job.error and "row 4" in job.error
    assert not MetaAnalysisRun.objects.exists()
    assert not list(uploads_dir().glob("meta-*"))


def test_another_researchers_large_fit_is_not_found(
    world, client_for, large, second_researcher, django_capture_on_commit_callbacks
):
    _post(client_for("researcher"), django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert signed_in(second_researcher).get(f"/jobs/{job.pk}/").status_code == 404
    for persona in ("professional", "admin"):
        assert client_for(persona).get(f"/jobs/{job.pk}/").status_code == 404
