"""Reports of the kept analysis results (risk trajectories, what works for whom) and the
command ``yim evidence report`` (the dashboard, the analyses, the teams compared)."""

from __future__ import annotations

import json

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from tests.jobs.conftest import run_waiting_tasks
from tests.research.evidence.conftest import AS_OF, cohort, registry  # noqa: F401 - fixtures
from tests.research.test_comparison_study import two_cohorts  # noqa: F401 - fixture
from tests.research.test_moderators_registry import moderated  # noqa: F401 - fixture
from tests.research.test_pooling import COUNTS, teams  # noqa: F401 - fixture
from tests.research.test_report import download
from tests.research.test_risk_registry import risk_registry  # noqa: F401 - fixture
from yim.cli import main
from yim.jobs.models import Job, JobStatus
from yim.research.analysis_jobs import MODERATOR_LABELS, domain_labels
from yim.research.evidence.definitions import Scope
from yim.research.evidence.moderator_frame import level_labels
from yim.research.evidence.moderators import outcome_texts
from yim.research.evidence.pooling import pool_teams
from yim.research.evidence.summary import summarise
from yim.research.report_jobs import EVIDENCE_REPORT

pytestmark = pytest.mark.django_db


def fitted(client, capture, name):  # type: ignore[no-untyped-def]
    """Run an analysis through its page; returns its finished job."""
    with capture(execute=True):
        client.post(reverse(name), {}, HTTP_ACCEPT_LANGUAGE="en")
    run_waiting_tasks()
    job = Job.objects.exclude(kind=EVIDENCE_REPORT).latest("pk")
    assert job.status == JobStatus.SUCCEEDED, job.error
    return job


def reported(client, capture, source, language):  # type: ignore[no-untyped-def]
    """Ask for the HTML report of a kept result; returns its text."""
    with capture(execute=True):
        response = client.post(
            reverse("evidence:report"), {"job": source.pk, "language": language, "format": "html"}
        )
    assert response.status_code == 302
    run_waiting_tasks()
    job = Job.objects.filter(kind=EVIDENCE_REPORT).latest("pk")
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.params["source_job"] == source.pk and job.as_of == source.as_of
    return download(client, job)[1].decode()


def test_the_risk_report_has_the_kept_fit_its_plot_and_the_model_in_its_notes(
    risk_registry,  # noqa: F811
    client_for,
    django_capture_on_commit_callbacks,
):
    client = client_for("researcher")
    source = fitted(client, django_capture_on_commit_callbacks, "evidence:risk")
    page = client.get(reverse("jobs:job", args=[source.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Report (PDF)" in page.content.decode()  # offered on the result page
    html = reported(client, django_capture_on_commit_callbacks, source, "en")
    fit = source.result["fit"]
    with translation.override("en"):
        labels = domain_labels()
        for domain in fit["domains"]:
            assert labels[domain["domain"]] in html
            assert floatformat(domain["slope_difference"], 3) in html
            assert floatformat(domain["ci"][0], 3) in html
    for text in ("Method notes", "Model", "Denominators", fit["model"]["formula"], "<svg"):
        assert text in html
    assert f"{fit['n_youth']} youth and {fit['n_assessments']} assessments" in html
    assert "Report (PDF)" not in html  # no buttons in the report itself


def test_the_moderator_report_in_dutch_has_every_test_with_its_corrections(
    moderated,  # noqa: F811
    client_for,
    django_capture_on_commit_callbacks,
):
    client = client_for("researcher")
    source = fitted(client, django_capture_on_commit_callbacks, "evidence:moderators")
    html = reported(client, django_capture_on_commit_callbacks, source, "nl")
    assert '<html lang="nl">' in html
    notes_checked = 0
    with translation.override("nl"):
        texts, levels = outcome_texts(), level_labels()
        assert str(MODERATOR_LABELS["age_band"]) in html
        for outcome in source.result["fit"]["outcomes"]:
            # Fitted on an English page, reported in Dutch: worded anew, not as stored.
            assert texts[outcome["outcome"]].title in html
            assert outcome["title"] not in html
            for test in outcome["moderators"]:
                if test["p_holm"] is not None:
                    assert floatformat(test["p_holm"], 3) in html
                for sub in test["subgroups"]:  # named in the table and in the plot
                    if sub["estimate"] is None and sub["note"]:  # kept in English: not shown
                        notes_checked += 1
                        assert f'<span class="tag">{escape(sub["note"])}</span>' not in html
                    named = escape(levels[test["moderator"]][sub["level"]])
                    assert f"{named}:" in html
                    if sub["estimate"] is not None:
                        assert html.count(named) >= 2, named
    assert notes_checked  # a subgroup without an estimate says why, in Dutch


def test_a_risk_result_fitted_in_dutch_is_reported_in_english_with_english_plots(
    risk_registry,  # noqa: F811
    client_for,
    django_capture_on_commit_callbacks,
):
    """The worker draws the plots in every language; each reader gets their own."""
    client = client_for("researcher")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("evidence:risk"), {}, HTTP_ACCEPT_LANGUAGE="nl")
    run_waiting_tasks()
    source = Job.objects.latest("pk")
    assert source.status == JobStatus.SUCCEEDED and source.language == "nl"
    english = reported(client, django_capture_on_commit_callbacks, source, "en")
    dutch = reported(client, django_capture_on_commit_callbacks, source, "nl")
    with translation.override("nl"):
        years_nl, with_jim_nl = gettext("years since referral"), gettext("with JIM")
    assert years_nl != "years since referral"  # the catalogue has the Dutch
    assert "years since referral" in english and "with JIM" in english
    assert years_nl not in english and with_jim_nl not in english
    assert years_nl in dutch and "years since referral" not in dutch


def run(capsys, *args):  # type: ignore[no-untyped-def]
    status = main(["evidence", "report", *args])
    out, err = capsys.readouterr()
    return status, out, err


def dashboard_html(capsys, out, *more):  # type: ignore[no-untyped-def]
    """The English HTML dashboard report of the test organisation; what the command said."""
    status, said, err = run(
        capsys, "--kind", "dashboard", "--format", "html", "--lang", "en", "--out", str(out),
        "--as-of", AS_OF.isoformat(), "--organisation", "Jeugdzorg Test", *more,
    )  # fmt: skip
    assert status == 0, err
    return said, out.read_text()


def test_the_command_writes_the_dashboard_report_with_the_summarys_figures(
    cohort,  # noqa: F811
    world,
    tmp_path,
    capsys,
):
    out = tmp_path / "rapport.html"
    said, html = dashboard_html(capsys, out)
    assert str(out) in said
    figures = summarise(Scope(as_of=AS_OF, organisation_id=world.org.pk))
    assert f"{figures['n_trajectories']} trajectories" in html
    assert "Jeugdzorg Test" in html and "2026-06-01" in html and "Method notes" in html


def test_the_dashboard_report_names_the_threshold_it_was_made_with(
    cohort,  # noqa: F811
    tmp_path,
    capsys,
):
    """Under ``--threshold 8`` a withheld figure says "fewer than 8" in the table and the
    chart, as the method notes do; no "fewer than 5" is left from the page's default."""
    _said, html = dashboard_html(capsys, tmp_path / "rapport.html", "--threshold", "8")
    assert html.count("withheld (fewer than 8)") >= 2  # a table row and a chart's bar at least
    assert "fewer than 5" not in html
    assert "threshold 8" in html


def test_the_command_writes_the_teams_compared_with_the_pooled_figures(
    teams,  # noqa: F811
    tmp_path,
    capsys,
):
    out = tmp_path / "teams.pdf"
    status, _said, err = run(
        capsys, "--kind", "teams", "--format", "pdf", "--lang", "nl", "--out", str(out),
        "--as-of", AS_OF.isoformat(), "--organisation", "Jeugdzorg Regio", "--threshold", "1",
    )  # fmt: skip
    assert status == 0, err
    content = out.read_bytes()
    assert content.startswith(b"%PDF")
    from tests.research.test_report import pdf_text

    text = pdf_text(content)
    with translation.override("nl"):
        pooled = pool_teams("Jeugdzorg Regio", AS_OF, threshold=1)
    (found,) = [o for o in pooled.outcomes if o.key == "jim_found_itt"]
    assert found.title in text
    assert f"{found.pooled['back_transformed']['estimate']:.3f}" in text
    assert all(name in text for name, _events, _n in COUNTS)


def test_the_command_refuses_what_it_cannot_answer_and_writes_nothing(
    cohort,  # noqa: F811
    tmp_path,
    capsys,
):
    out = tmp_path / "r.pdf"
    status, _said, err = run(
        capsys, "--kind", "teams", "--out", str(out), "--as-of", AS_OF.isoformat()
    )
    assert status == 2 and "--organisation" in err
    status, _said, err = run(capsys, "--kind", "dashboard", "--out", str(out), "--team", "Nope")
    assert status == 2 and "no team named 'Nope'" in err
    status, _said, err = run(
        capsys,
        "--kind",
        "risk",
        "--out",
        str(out),
        "--as-of",
        AS_OF.isoformat(),
        "--threshold",
        "9",
    )
    assert status == 2 and "threshold" in err
    assert not out.exists()


def test_the_report_of_a_comparison_study_of_an_uploaded_file_names_the_file(
    world, client_for, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.research.test_comparison_study import SIM

    client = client_for("researcher")
    upload = SimpleUploadedFile("cases.csv", SIM.read_bytes(), content_type="text/csv")
    data = {"source": "file", "data_file": upload, "group": "group", "treated": "jim",
            "outcomes": "ambulatory", "covariates": "age, gender, risk"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("evidence:comparison"), data, HTTP_ACCEPT_LANGUAGE="en")
    run_waiting_tasks()
    source = Job.objects.get()
    assert source.status == JobStatus.SUCCEEDED, source.error
    html = reported(client, django_capture_on_commit_callbacks, source, "en")
    fit = source.result["fit"]
    assert "the uploaded file cases.csv" in html and "Jeugdzorg Test" in html
    assert "up to and including" not in html  # no registry day for a file's rows
    assert f"JIM group: {fit['n_treated']} youth" in html
    (outcome,) = fit["outcomes"]
    with translation.override("en"):
        for row in fit["baseline"]:
            assert floatformat(row["smd"], 3) in html
        assert floatformat(outcome["odds_ratio"], 2) in html
    report = Job.objects.filter(kind=EVIDENCE_REPORT).get()
    assert "rows" not in report.params and "data" not in report.params  # kept with their job
    assert report.result["download_name"] == "rapport-vergelijkend-onderzoek-bestand-en.html"


def test_the_command_writes_the_report_of_a_registry_comparison_study(
    two_cohorts,  # noqa: F811
    world,
    tmp_path,
    capsys,
):
    out = tmp_path / "vergelijking.html"
    status, said, err = run(
        capsys, "--kind", "comparison", "--format", "html", "--lang", "en", "--out", str(out),
        "--organisation", world.org.name, "--covariates", "age,gender", "--trim", "99",
    )  # fmt: skip
    assert status == 0, err
    assert str(out) in said and "Comparison study" in said
    html = out.read_text()
    main(["evidence", "compare", "--organisation", world.org.name, "--covariates", "age,gender",
          "--trim", "99", "--format", "json"])  # fmt: skip
    fit = json.loads(capsys.readouterr().out)
    assert "JIM group: 15 youth; comparison group: 15 youth" in html
    with translation.override("en"):
        for row in fit["baseline"]:
            assert floatformat(row["smd"], 3) in html
    assert "Organisation Jeugdzorg Test" in html and "<svg" in html
    assert fit["weighting"]["trim_percentile"] == 99


def test_the_comparison_options_are_refused_for_another_report(
    cohort,  # noqa: F811
    tmp_path,
    capsys,
):
    out = tmp_path / "r.html"
    status, _said, err = run(
        capsys, "--kind", "dashboard", "--out", str(out), "--trim", "99",
        "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    assert status == 2 and "are for --kind comparison" in err and not out.exists()
