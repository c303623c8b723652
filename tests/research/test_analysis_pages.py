"""/evidence/risk/ and /evidence/moderators/: the model fits start as background work for the
scope the policy gives, and their page shows the fit, the plot and the method."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.jobs.conftest import run_waiting_tasks
from tests.research.test_moderators_registry import moderated  # noqa: F401 - fixture
from tests.research.test_risk_registry import N_YOUTH, risk_registry  # noqa: F401 - fixture
from yim.jobs.models import Job, JobStatus
from yim.research.evidence.risk import risk_domains

pytestmark = pytest.mark.django_db


def start(client, capture, name, **data):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return client.post(reverse(name), data, HTTP_ACCEPT_LANGUAGE="en")


def test_the_risk_page_asks_the_question_and_offers_the_calculation(
    risk_registry,  # noqa: F811
    client_for,
):
    page = client_for("researcher").get(reverse("evidence:risk"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Risk trajectories with and without a JIM" in html
    assert "Calculate in the background" in html
    assert page.context["latest_job"] is None


def test_the_risk_fit_runs_in_the_background_and_its_page_shows_every_domain(
    risk_registry,  # noqa: F811
    client_for,
    world,
    django_capture_on_commit_callbacks,
):
    client = client_for("researcher")
    response = start(client, django_capture_on_commit_callbacks, "evidence:risk")
    job = Job.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("jobs:job", args=[job.pk])
    assert job.params["organisation_id"] == world.org.pk
    assert run_waiting_tasks() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    domains = job.result["fit"]["domains"]
    assert [d["domain"] for d in domains] == risk_domains()
    assert all(d["slope_difference"] < 0 for d in domains)
    assert {d["n_youth"] for d in domains} == {N_YOUTH}
    html = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Rule-breaking behaviour" in html  # the instrument's label, not the code
    assert "<svg" in html
    again = client.get(reverse("evidence:risk"))
    assert again.context["latest_job"] == job


def test_too_little_data_fails_with_the_models_message_on_the_job_page(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    start(client, django_capture_on_commit_callbacks, "evidence:risk")
    run_waiting_tasks()
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert "unexpected" not in job.error and job.error
    assert job.error in client.get(reverse("jobs:job", args=[job.pk])).content.decode()


def test_a_team_lead_fits_their_own_team_whatever_they_post(
    risk_registry,  # noqa: F811
    client_for,
    world,
    django_capture_on_commit_callbacks,
):
    start(client_for("team_lead"), django_capture_on_commit_callbacks, "evidence:risk",
          team=world.team_b.pk)  # fmt: skip
    assert Job.objects.get().params["team_id"] == world.team_a.pk


@pytest.mark.parametrize("persona", ["youth_user", "jim", "parent"])
def test_portal_users_reach_no_analysis(world, client_for, persona):
    client = client_for(persona)
    for name in ("evidence:risk", "evidence:moderators"):
        assert client.get(reverse(name)).status_code == 404
        assert client.post(reverse(name)).status_code == 404
    assert not Job.objects.exists()


def test_the_moderator_analyses_run_in_the_background_with_corrections_on_the_page(
    moderated,  # noqa: F811
    client_for,
    django_capture_on_commit_callbacks,
):
    client = client_for("researcher")
    response = start(client, django_capture_on_commit_callbacks, "evidence:moderators")
    run_waiting_tasks()
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED, job.error
    outcomes = job.result["fit"]["outcomes"]
    assert {o["outcome"] for o in outcomes} >= {"ambulatory_at_closure", "time_to_jim"}
    html = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "p (Holm)" in html and "Age at referral" in html
