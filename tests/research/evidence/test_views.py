"""/evidence/: the figures per role's scope, withheld cells, CSV, and bad input."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.research.evidence.conftest import AS_OF
from yim.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/evidence/"


def get(client, **params):  # type: ignore[no-untyped-def]
    return client.get(URL, {"as_of": AS_OF.isoformat(), **params}, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize(
    ("persona", "n"),
    [
        ("researcher", 10),  # the organisation: T1–T10 (FOREIGN is another organisation's)
        ("admin", 10),
        ("team_lead", 10),  # team A
        ("professional", 10),  # the caseload: prof is responsible for T1–T10
        ("foreign_professional", 1),  # their own caseload: FOREIGN
    ],
)
def test_each_role_sees_the_figures_of_its_own_scope(cohort, client_for, persona, n):
    response = get(client_for(persona))
    assert response.status_code == 200
    assert response.context["figures"]["n_trajectories"] == n


@pytest.mark.parametrize("persona", ["youth_user", "jim", "parent"])
def test_portal_users_get_no_evidence_page(cohort, client_for, persona):
    assert get(client_for(persona)).status_code == 404


def test_a_team_outside_the_organisation_answers_404_and_an_own_team_narrows(
    cohort, client_for, world
):
    researcher = client_for("researcher")
    assert get(researcher, team=world.foreign_team.pk).status_code == 404
    assert get(researcher, team="abc").status_code == 404
    team_b = get(researcher, team=world.team_b.pk)
    assert team_b.status_code == 200
    assert team_b.context["figures"] is None
    assert "nothing to report" in team_b.content.decode()


def test_a_team_lead_cannot_widen_the_scope_to_another_team(cohort, client_for, world):
    response = get(client_for("team_lead"), team=world.team_b.pk)
    assert response.status_code == 200
    assert response.context["figures"]["n_trajectories"] == 10  # still team A


def test_withheld_figures_say_so_and_never_show_zero(cohort, client_for):
    response = get(client_for("researcher"))
    rows = {row.label: row for rows in response.context["sections"].values() for row in rows}
    itt = rows["All trajectories (intention to treat)"]  # 7 of 10: 3 placed, a small cell
    assert itt.suppressed and itt.share is None and itt.count is None
    html = response.content.decode()
    assert "withheld (fewer than 5)" in html
    assert "<svg" in html  # six JIMs: the time-to-JIM chart is shown


def test_the_figures_download_as_csv_and_the_export_is_audited(cohort, client_for, world):
    response = get(client_for("researcher"), format="csv")
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    median = next(r for r in table if r["figure"].startswith("Kaplan–Meier median"))
    assert float(median["value"]) == 60
    itt = next(r for r in table if r["figure"] == "All trajectories (intention to treat)")
    assert itt["suppressed"] == "1" and itt["share"] == "" and itt["count"] == ""
    assert AuditEvent.objects.filter(actor=world.researcher, action="export").count() == 1


def test_every_csv_link_on_the_page_is_marked_as_a_download(cohort, client_for):
    """A browser saves the file instead of opening a page for it (and a crawler skips it)."""
    html = get(client_for("researcher")).content.decode()
    links = re.findall(r"<a [^>]*format=csv[^>]*>", html)
    assert len(links) >= 2  # every figure, and each table
    assert all(" download>" in link for link in links), links


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"as_of": "2026-06-18"}, "lies in the future"),
        ({"as_of": "18-06-2026"}, "YYYY-MM-DD"),
        ({"from": "2026-06-02"}, "starts after it ends"),
        ({"as_of": "2024-01-01"}, "nothing to report"),
    ],
)
def test_bad_input_gets_a_message_not_an_error_page_nor_zeros(cohort, client_for, params, message):
    response = get(client_for("researcher"), **params)
    assert response.status_code == 200
    assert response.context["figures"] is None
    assert message in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(cohort, client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]
