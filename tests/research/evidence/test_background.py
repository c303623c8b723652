"""/evidence/ above YIM_EVIDENCE_INLINE_LIMIT: the figures are calculated as background work,
with the same numbers as the page, for the scope the policy gave, and say when they are stale."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.jobs.conftest import run_waiting_tasks
from tests.research.evidence.conftest import AS_OF
from yim.jobs.models import Job, JobStatus
from yim.research.evidence.definitions import Scope
from yim.research.evidence.summary import summarise

pytestmark = pytest.mark.django_db

URL = "/evidence/"


@pytest.fixture
def small_limit(settings):  # type: ignore[no-untyped-def]
    settings.EVIDENCE_INLINE_LIMIT = 5  # the cohort has 10 trajectories in the organisation


def start(client, capture, **params):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return client.post(reverse("evidence:background"), {"as_of": AS_OF.isoformat(), **params})


def test_a_large_scope_is_offered_as_background_work_not_calculated_while_waiting(
    cohort, client_for, small_limit
):
    response = client_for("researcher").get(
        URL, {"as_of": AS_OF.isoformat()}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response.context["figures"] is None and response.context["background"] is True
    html = response.content.decode()
    assert "10 trajectories are in scope" in html
    assert reverse("evidence:background") in html


@pytest.mark.parametrize(("limit", "background"), [(10, False), (9, True)])
def test_the_page_calculates_while_waiting_up_to_the_limit_and_not_one_trajectory_more(
    cohort, client_for, settings, limit, background
):
    settings.EVIDENCE_INLINE_LIMIT = limit  # the organisation's cohort has 10 trajectories
    response = client_for("researcher").get(URL, {"as_of": AS_OF.isoformat()})
    assert response.status_code == 200
    assert response.context["background"] is background
    assert response.context["in_scope"] == 10
    assert (response.context["figures"] is None) is background
    if not background:
        assert response.context["figures"]["n_trajectories"] == 10


def test_the_background_result_equals_the_figures_of_the_page(
    cohort, client_for, world, small_limit, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    response = start(client, django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("jobs:job", args=[job.pk])
    assert job.params["organisation_id"] == world.org.pk and job.as_of == AS_OF
    assert run_waiting_tasks() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    expected = summarise(Scope(as_of=AS_OF, organisation_id=world.org.pk))
    assert job.result["figures"]["n_trajectories"] == expected["n_trajectories"] == 10
    assert job.result["figures"]["jim_found"] == expected["jim_found"]
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "withheld (fewer than 5)" in html and "<svg" in html
    assert "out of date" not in html
    again = client.get(URL, {"as_of": AS_OF.isoformat()})
    assert again.context["latest_job"] == job


def test_a_team_lead_cannot_widen_the_background_scope(
    cohort, client_for, world, small_limit, django_capture_on_commit_callbacks
):
    start(client_for("team_lead"), django_capture_on_commit_callbacks, team=world.team_b.pk)
    job = Job.objects.get()
    assert job.params["team_id"] == world.team_a.pk
    assert job.params.get("organisation_id") is None


def test_a_team_outside_the_organisation_answers_404_and_starts_nothing(
    cohort, client_for, world, small_limit, django_capture_on_commit_callbacks
):
    response = start(
        client_for("researcher"), django_capture_on_commit_callbacks, team=world.foreign_team.pk
    )
    assert response.status_code == 404
    assert Job.objects.count() == 0


def test_a_day_in_the_future_starts_nothing_and_the_page_says_why(
    cohort, client_for, small_limit, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    future = (AS_OF + dt.timedelta(days=400)).isoformat()
    response = start(client, django_capture_on_commit_callbacks, as_of=future)
    assert Job.objects.count() == 0
    assert response.status_code == 302
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en")
    assert "lies in the future" in page.content.decode()


def test_the_result_says_it_is_stale_after_a_new_referral(
    cohort, registry, client_for, small_limit, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    response = start(client, django_capture_on_commit_callbacks)
    run_waiting_tasks()
    registry.trajectory("T-new", dt.date(2026, 3, 1))
    html = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The registry has changed since this was calculated" in html


def test_a_result_is_no_longer_shown_when_its_owner_left_the_scope(
    cohort, client_for, world, small_limit, django_capture_on_commit_callbacks
):
    client = client_for("team_lead")
    response = start(client, django_capture_on_commit_callbacks)
    run_waiting_tasks()
    assert client.get(response.url).status_code == 200
    world.team_lead.team = world.team_b
    world.team_lead.save()
    assert client.get(response.url).status_code == 404
