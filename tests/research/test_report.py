"""Reports of the dashboard and the analyses (HTML and PDF, Dutch and English): the page's
figures with their method notes, made as background work, downloaded by their owner only,
fetching nothing whatever the names in them say."""

from __future__ import annotations

import io

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from pypdf import PdfReader

from tests.jobs.conftest import run_waiting_tasks
from tests.research.evidence.conftest import AS_OF, cohort, registry  # noqa: F401 - fixtures
from yim.audit.models import Action, AuditEvent
from yim.jobs.models import Job, JobStatus
from yim.research.evidence.definitions import Scope
from yim.research.evidence.summary import summarise
from yim.research.evidence_views import rows_of
from yim.research.report_jobs import EVIDENCE_REPORT

pytestmark = pytest.mark.django_db


def ask(client, capture, **data):  # type: ignore[no-untyped-def]
    """Ask for a report on the page, let a worker make it; returns the report's job."""
    data = {"as_of": AS_OF.isoformat(), "language": "nl", "format": "html", **data}
    with capture(execute=True):
        response = client.post(reverse("evidence:report"), data)
    assert response.status_code == 302, response.content[:300]
    job = Job.objects.filter(kind=EVIDENCE_REPORT).latest("pk")
    assert response.url == reverse("jobs:job", args=[job.pk])
    run_waiting_tasks()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    return job


def download(client, job):  # type: ignore[no-untyped-def]
    response = client.get(reverse("evidence:report_download", args=[job.pk]))
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def shown(row, language: str) -> str:  # type: ignore[no-untyped-def]
    """A figure as the page's table writes it (one decimal, the language's separator)."""
    with translation.override(language):
        return floatformat(row.percent if row.percent is not None else row.value, 1)


def test_the_dutch_pdf_of_the_dashboard_has_the_pages_figures_and_its_method_notes(
    cohort,  # noqa: F811
    client_for,
    world,
    django_capture_on_commit_callbacks,
):
    client = client_for("researcher")
    job = ask(client, django_capture_on_commit_callbacks, format="pdf")
    response, content = download(client, job)
    assert content.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="rapport-uitkomsten-2026-06-01-nl.pdf"' in response["Content-Disposition"]
    text = pdf_text(content)
    figures = summarise(Scope(as_of=AS_OF, organisation_id=world.org.pk))
    with translation.override("nl"):
        rows = rows_of(figures)
        headings = [_("Method notes"), _("Small cells withheld"), _("Time to JIM")]
        assert _("JIM found") == "JIM gevonden"  # the interface's Dutch, not English
    for heading in ["JIM gevonden", "Peildatum", *headings]:
        assert heading in text
    assert "2026-06-01" in text and "Jeugdzorg Test" in text
    assert f"{figures['n_trajectories']} " in text
    figures_shown = [r for r in rows if not r.suppressed and (r.percent or r.value) is not None]
    assert figures_shown
    for row in figures_shown:
        assert shown(row, "nl") in text, row.label
    withheld = [r for r in rows if r.suppressed]
    assert withheld  # the cohort of ten has small cells
    assert "niet getoond (minder dan 5)" in text


def test_the_english_html_report_has_english_headings_and_withholds_small_cells(
    cohort,  # noqa: F811
    client_for,
    django_capture_on_commit_callbacks,
):
    client = client_for("researcher")
    job = ask(client, django_capture_on_commit_callbacks, language="en")
    page = client.get(reverse("jobs:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert reverse("evidence:report_download", args=[job.pk]) in page.content.decode()
    response, content = download(client, job)
    html = content.decode()
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert 'filename="rapport-uitkomsten-2026-06-01-en.html"' in response["Content-Disposition"]
    assert '<html lang="en">' in html
    for heading in ("JIM found", "Method notes", "Small cells withheld", "As of", "confidential"):
        assert heading in html
    assert "withheld (fewer than 5)" in html
    assert "<svg" in html  # the charts inline: the page refers to nothing outside itself
    assert "<link" not in html and "<script" not in html and "src=" not in html


def test_a_hostile_organisation_name_is_escaped_and_the_pdf_fetches_nothing(
    cohort,  # noqa: F811
    client_for,
    world,
    django_capture_on_commit_callbacks,
):
    from yim.research.report_render import RefuseEveryURL, render_pdf

    world.org.name = '<img src="http://attacker.example/x.png"> file:///etc/passwd'
    world.org.save()
    client = client_for("researcher")
    job = ask(client, django_capture_on_commit_callbacks, language="en")
    html = download(client, job)[1].decode()
    assert "<img" not in html
    assert "&lt;img src=&quot;http://attacker.example/x.png&quot;&gt; file:///etc/passwd" in html
    fetcher = RefuseEveryURL()
    content = render_pdf(html, fetcher)
    assert content.startswith(b"%PDF") and fetcher.refused == []
    assert "http://attacker.example/x.png" in pdf_text(content)  # shown as text, not fetched
    # Even markup that reached the PDF unescaped fetches nothing: every URL is refused.
    fetcher = RefuseEveryURL()
    hostile = '<img src="http://attacker.example/y.png"><img src="file:///etc/passwd">'
    render_pdf(html.replace("<h1>", hostile + "<h1>", 1), fetcher)
    assert fetcher.refused == ["http://attacker.example/y.png", "file:///etc/passwd"]


def test_a_download_is_its_owners_only_and_is_recorded_in_the_audit_log(
    cohort,  # noqa: F811
    client_for,
    django_capture_on_commit_callbacks,
):
    job = ask(client_for("researcher"), django_capture_on_commit_callbacks)
    url = reverse("evidence:report_download", args=[job.pk])
    assert client_for("team_lead").get(url).status_code == 404
    assert client_for("team_lead").get(reverse("jobs:job", args=[job.pk])).status_code == 404
    before = AuditEvent.objects.filter(action=Action.EXPORT).count()
    download(client_for("researcher"), job)
    entry = AuditEvent.objects.filter(action=Action.EXPORT).latest("pk")
    assert AuditEvent.objects.filter(action=Action.EXPORT).count() == before + 1
    assert f"evidence report of job {job.pk}" in entry.detail


def test_who_lost_the_evidence_scope_can_neither_ask_nor_download(
    cohort,  # noqa: F811
    client_for,
    world,
    django_capture_on_commit_callbacks,
):
    client = client_for("researcher")
    job = ask(client, django_capture_on_commit_callbacks)
    researcher = world.persona("researcher")
    researcher.organisation = world.other_org
    researcher.save()
    assert client.get(reverse("evidence:report_download", args=[job.pk])).status_code == 404
    for persona in ("youth_user", "jim", "parent"):
        refused = client_for(persona).post(
            reverse("evidence:report"), {"language": "nl", "format": "pdf"}
        )
        assert refused.status_code == 404
        assert (
            client_for(persona)
            .post(reverse("evidence:report"), {"language": "nl", "format": "pdf", "job": job.pk})
            .status_code
            == 404
        )


def test_a_report_of_another_persons_result_answers_404_and_starts_nothing(
    cohort,  # noqa: F811
    client_for,
    django_capture_on_commit_callbacks,
):
    job = ask(client_for("researcher"), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("team_lead").post(
            reverse("evidence:report"), {"language": "nl", "format": "pdf", "job": job.pk}
        )
    assert response.status_code == 404
    assert Job.objects.filter(kind=EVIDENCE_REPORT).count() == 1


def test_a_language_or_format_it_does_not_know_is_refused_with_a_message(
    cohort,  # noqa: F811
    client_for,
):
    response = client_for("researcher").post(
        reverse("evidence:report"),
        {"as_of": AS_OF.isoformat(), "language": "de", "format": "docx"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert b"nl or en" in response.content
    assert not Job.objects.exists()


def test_the_dashboard_offers_both_reports_with_a_language_choice(cohort, client_for):  # noqa: F811
    html = (
        client_for("researcher")
        .get("/evidence/", {"as_of": AS_OF.isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert reverse("evidence:report") in html
    assert "Report (PDF)" in html and "Report (HTML)" in html
    assert 'name="language"' in html and "Nederlands" in html and 'value="en"' in html


def test_a_report_covers_the_team_the_policy_gives_whatever_is_posted(
    cohort,  # noqa: F811
    client_for,
    world,
    django_capture_on_commit_callbacks,
):
    lead = client_for("team_lead")
    job = ask(lead, django_capture_on_commit_callbacks, team=world.team_b.pk, language="en")
    assert job.params["team_id"] == world.team_a.pk
    html = download(lead, job)[1].decode()
    assert "Team Team A" in html and "Team B" not in html


def test_a_report_of_a_team_without_trajectories_fails_saying_why_on_its_page(
    cohort,  # noqa: F811
    client_for,
    world,
    django_capture_on_commit_callbacks,
):
    client = client_for("researcher")
    data = {"as_of": AS_OF.isoformat(), "language": "en", "format": "pdf", "team": world.team_b.pk}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("evidence:report"), data, HTTP_ACCEPT_LANGUAGE="en")
    run_waiting_tasks()
    job = Job.objects.get(kind=EVIDENCE_REPORT)
    assert job.status == JobStatus.FAILED and job.params["team_id"] == world.team_b.pk
    assert "nothing to report" in job.error
    page = client.get(reverse("jobs:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert job.error in page.content.decode()
    download_url = reverse("evidence:report_download", args=[job.pk])
    assert client.get(download_url).status_code == 404


def test_a_background_summary_is_reported_from_its_kept_result(
    cohort,  # noqa: F811
    client_for,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.EVIDENCE_INLINE_LIMIT = 5  # the page offers the summary as background work
    client = client_for("researcher")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("evidence:background"), {"as_of": AS_OF.isoformat()})
    run_waiting_tasks()
    source = Job.objects.get()
    page = client.get(reverse("jobs:job", args=[source.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert f'name="job" value="{source.pk}"' in page.content.decode()
    job = ask(client, django_capture_on_commit_callbacks, job=source.pk, language="en")
    assert job.params["report"] == "dashboard" and job.params["source_job"] == source.pk
    html = download(client, job)[1].decode()
    with translation.override("en"):
        for row in rows_of(source.result["figures"]):
            if not row.suppressed and (row.percent or row.value) is not None:
                assert shown(row, "en") in html, row.label
