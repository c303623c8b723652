"""/evidence/teams/: the teams of one organisation compared on a page (``yim evidence teams``):
the pooling runs as background work, a team resting on a small cell is withheld and named,
too few teams say so, and only a team lead, an organisation admin or a researcher of that
organisation sees it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests.conftest import make_user, signed_in
from tests.jobs.conftest import run_waiting_tasks
from tests.research.evidence.conftest import Registry, registry  # noqa: F401 - fixture
from tests.research.test_report import download
from yim.accounts.models import Role, Team
from yim.jobs.models import Job, JobStatus
from yim.programmes.models import ProgrammeModel
from yim.research.evidence.pooling import pool_teams
from yim.research.report_jobs import EVIDENCE_REPORT
from yim.research.teams_jobs import EVIDENCE_TEAMS
from yim.trajectories.models import Youth

pytestmark = pytest.mark.django_db

EARLY, LATE = dt.date(2025, 9, 1), dt.date(2026, 1, 5)
#: (team, JIM found, trajectories, referred): Team F rests on a cell below 5 (2 found).
TEAMS = [
    ("Team A", 5, 10, EARLY),
    ("Team B", 6, 11, EARLY),
    ("Team C", 8, 13, EARLY),
    ("Team D", 7, 12, LATE),
    ("Team E", 5, 14, LATE),
    ("Team F", 2, 9, LATE),
]


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def six_teams(world):  # type: ignore[no-untyped-def]
    """Six teams of Jeugdzorg Test (the world's organisation) with JIM-found counts above."""
    records = Registry(world=world, programme=ProgrammeModel.standard("indicated"))
    for number, (name, found, n, referred) in enumerate(TEAMS):
        team = Team.objects.get_or_create(organisation=world.org, name=name)[0]
        if not Youth.objects.filter(team=team).exists():
            professional = make_user(f"teamprof{number}", Role.PROFESSIONAL, world.org, team)
            Youth.objects.create(
                organisation=world.org, team=team, professional=professional,
                display_name="Placeholder", date_of_birth=dt.date(2010, 5, 17),
            )  # fmt: skip
        for i in range(n):
            trajectory = records.trajectory(f"{name} {i}", referred, team=team)
            if i < found:
                records.jim(trajectory, referred + dt.timedelta(days=20 + i))
    return world


def compared(client, capture, **data):  # type: ignore[no-untyped-def]
    """Start the comparison on the page and let a worker run it; returns the job."""
    with capture(execute=True):
        response = client.post(reverse("evidence:teams"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302, response.content[:300]
    job = Job.objects.filter(kind=EVIDENCE_TEAMS).latest("pk")
    assert response.url == reverse("jobs:job", args=[job.pk])
    assert run_waiting_tasks() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    return job


def outcome(job, key: str = "jim_found_itt") -> dict:  # type: ignore[no-untyped-def]
    (found,) = [o for o in job.result["report"]["outcomes"] if o["key"] == key]
    return found


def test_the_teams_are_pooled_in_the_background_as_the_command_pools_them(
    six_teams, client_for, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    page = client.get(reverse("evidence:teams"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "6 teams have trajectories" in page and "Calculate in the background" in page
    job = compared(client, django_capture_on_commit_callbacks)
    assert job.params == {
        "organisation_id": six_teams.org.pk,
        "as_of": "2026-06-17",
        "programme_id": None,
    }
    assert job.as_of == dt.date(2026, 6, 17)
    found = outcome(job)
    expected = pool_teams("Jeugdzorg Test", dt.date(2026, 6, 17))
    (same,) = [o for o in expected.outcomes if o.key == "jim_found_itt"]
    assert found["pooled"]["estimate"] == pytest.approx(same.pooled["estimate"])
    assert found["pooled"]["tau2"] == pytest.approx(same.pooled["tau2"])
    assert found["pooled"]["heterogeneity_shown"] is True  # 5 teams with an estimate
    assert [u["label"] for u in found["units"]] == [name for name, *_ in TEAMS[:5]]

    shown = client.get(reverse("jobs:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = shown.content.decode()
    assert shown.status_code == 200
    assert "Withheld (small cells or no data): Team F" in html  # named, not pooled
    assert "τ²" in html and "Prediction interval" in html
    assert html.count("<svg") >= 2  # the caterpillar and the funnel plot
    assert "o1-forest" in html and "f1-funnel" in html
    assert "Report (PDF)" in html  # the report buttons


def test_a_comparison_run_in_english_has_its_plots_in_dutch_for_a_dutch_reader(
    six_teams, client_for, django_capture_on_commit_callbacks
):
    """The worker draws the plots in every language; each reader gets those of theirs."""
    client = client_for("researcher")
    job = compared(client, django_capture_on_commit_callbacks)  # asked on an English page
    assert job.language == "en" and set(job.result["by_language"]) == {"nl", "en"}
    plot = re.compile(r"<svg.*?</svg>", re.S)
    pages = {
        language: plot.findall(
            client.get(
                reverse("jobs:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE=language
            ).content.decode()
        )
        for language in ("nl", "en")
    }
    assert len(pages["nl"]) == len(pages["en"]) >= 2
    assert pages["nl"] != pages["en"]  # axis and legend texts in each reader's language
    assert all(svg not in pages["en"] for svg in pages["nl"])


def test_fewer_teams_than_the_minimum_pool_without_heterogeneity_and_say_why(
    six_teams, client_for, django_capture_on_commit_callbacks
):
    client = client_for("admin")
    page = client.get(
        reverse("evidence:teams"), {"as_of": "2025-12-01"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "3 teams have trajectories" in page and "too uncertain to show" in page
    job = compared(client, django_capture_on_commit_callbacks, as_of="2025-12-01")
    found = outcome(job)
    assert found["pooled"]["k"] == 3 and found["pooled"]["tau2"] is None
    html = client.get(
        reverse("jobs:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "is shown from 5 units on; here 3 have an estimate" in html
    assert "f1-funnel" not in html  # no funnel plot without τ²


def test_too_few_teams_say_so_and_nothing_can_be_started(
    world,
    registry,  # noqa: F811
    client_for,
    django_capture_on_commit_callbacks,
):
    registry.trajectory("Only one", EARLY)  # Team A alone has a trajectory
    client = client_for("team_lead")
    page = client.get(reverse("evidence:teams"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Too few teams to compare" in html and "1 team has trajectories" in html
    assert "Calculate in the background" not in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evidence:teams"), {}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and not Job.objects.exists()


@pytest.mark.parametrize("persona", ["professional", "jim", "youth_user", "parent"])
def test_without_the_teams_comparison_the_page_is_404_and_nothing_starts(
    world, client_for, django_capture_on_commit_callbacks, persona
):
    client = client_for(persona)
    assert client.get(reverse("evidence:teams")).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("evidence:teams"), {}).status_code == 404
    assert not Job.objects.exists()


def test_a_team_lead_sees_their_own_organisations_teams_and_nothing_of_another(
    six_teams, client_for, django_capture_on_commit_callbacks
):
    lead = client_for("team_lead")
    summary = lead.get(reverse("evidence:summary")).content.decode()
    assert reverse("evidence:teams") in summary  # linked from the dashboard
    assert reverse("evidence:teams") not in (
        client_for("professional").get(reverse("evidence:summary")).content.decode()
    )
    job = compared(lead, django_capture_on_commit_callbacks)
    assert job.params["organisation_id"] == six_teams.org.pk
    foreign_lead = make_user("lead_x", Role.TEAM_LEAD, six_teams.other_org, six_teams.foreign_team)
    other = signed_in(foreign_lead)
    assert other.get(reverse("jobs:job", args=[job.pk])).status_code == 404
    # Their own page is about their own organisation, which has no teams with trajectories.
    page = other.get(reverse("evidence:teams"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Andere Organisatie" in page and "Team A" not in page
    assert "0 teams have trajectories" in page
    # A team lead who moved to another organisation no longer sees the kept result.
    six_teams.team_lead.organisation = six_teams.other_org
    six_teams.team_lead.team = six_teams.foreign_team
    six_teams.team_lead.save()
    assert signed_in(six_teams.team_lead).get(reverse("jobs:job", args=[job.pk])).status_code == 404


def test_a_report_of_a_teams_comparison_has_the_pooled_figures_and_its_notes(
    six_teams, client_for, django_capture_on_commit_callbacks
):
    client = client_for("team_lead")
    source = compared(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("evidence:report"), {"job": source.pk, "language": "en", "format": "html"}
        )
    assert response.status_code == 302
    run_waiting_tasks()
    report = Job.objects.get(kind=EVIDENCE_REPORT)
    assert report.status == JobStatus.SUCCEEDED, report.error
    assert report.params["report"] == "teams" and report.params["source_job"] == source.pk
    assert report.result["download_name"] == "rapport-teams-vergeleken-2026-06-17-en.html"
    html = download(client, report)[1].decode()
    found = outcome(source)
    assert f"{found['pooled']['back_transformed']['estimate']:.3f}" in html
    assert "Teams compared" in html and "Method notes" in html and "Jeugdzorg Test" in html
    assert "Team F" in html and "<svg" in html
    assert "Report (PDF)" not in html
    # Another team lead of the organisation cannot report on this one's result.
    colleague = signed_in(make_user("lead_b", Role.TEAM_LEAD, six_teams.org, six_teams.team_b))
    with django_capture_on_commit_callbacks(execute=True):
        refused = colleague.post(
            reverse("evidence:report"), {"job": source.pk, "language": "en", "format": "html"}
        )
    assert refused.status_code == 404
