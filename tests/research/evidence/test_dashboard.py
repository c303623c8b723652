"""/evidence/ as a dashboard: every table with its chart beside it and its own CSV, the
filters, placements requested beside realised, and feedback means with their intervals."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.research.evidence.conftest import AS_OF, D, Registry
from yim.audit.models import AuditEvent
from yim.research.evidence.definitions import Scope
from yim.research.evidence.summary import summarise
from yim.research.evidence_charts import Bar, shares_svg
from yim.research.evidence_views import TABLES, rows_of

pytestmark = pytest.mark.django_db

URL = "/evidence/"


def get(client, **params):  # type: ignore[no-untyped-def]
    return client.get(URL, {"as_of": AS_OF.isoformat(), **params}, HTTP_ACCEPT_LANGUAGE="en")


def read_csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_every_table_has_its_chart_beside_it_and_a_csv_of_its_own(cohort, client_for, world):
    researcher = client_for("researcher")
    response = get(researcher)
    tables = response.context["tables"]
    assert [table.key for table in tables] == list(TABLES)
    for table in tables:
        assert table.rows
        assert table.chart is not None and str(table.chart).startswith("<svg"), table.key
    html = response.content.decode()
    for key in (*TABLES, "feedback"):
        if key != "feedback":
            assert f"table={key}" in html
    gate = get(researcher, format="csv", table="gate")
    assert gate["Content-Type"].startswith("text/csv")
    assert 'filename="evidence-gate-2026-06-01.csv"' in gate["Content-Disposition"]
    rows = read_csv(gate)
    assert {row["section"] for row in rows} == {"Placement gate"}
    assert len(rows) == len(next(t for t in tables if t.key == "gate").rows)
    assert AuditEvent.objects.filter(actor=world.researcher, action="export").count() == 1
    assert get(researcher, format="csv", table="nonsense").status_code == 404


def test_a_withheld_share_is_drawn_as_withheld_never_as_a_zero_bar(cohort, client_for):
    response = get(client_for("researcher"))
    ambulatory = next(t for t in response.context["tables"] if t.key == "ambulatory")
    shares = [row for row in ambulatory.rows if row.is_share]
    withheld = [row for row in shares if row.suppressed]
    assert withheld  # 7 of 10 ambulatory: 3 placed is a small cell
    svg = str(ambulatory.chart)
    assert svg.count("withheld (fewer than 5)") == len(withheld)
    assert svg.count("<rect") == sum(row.share is not None for row in shares)


def test_placements_requested_stand_beside_placements_realised(cohort, world):
    scope = Scope(AS_OF, organisation_id=world.org.pk)
    rows = {
        row.label: row
        for row in rows_of(summarise(scope, threshold=1))
        if row.table == "placements"
    }
    # Finalised by AS_OF: T6 (foster care), T7 (residential), T8 (emergency); T9's decision
    # was finalised after AS_OF and the comparison trajectory's is not counted.
    assert rows["Out-of-home decisions finalised (requested)"].count == 3
    assert rows["Of which in an emergency"].count == 1
    placed = rows["Youth placed out of home between referral and closure"]
    assert (placed.count, placed.n, placed.share) == (3, 10, pytest.approx(0.3))
    assert placed.ci is not None and placed.ci[0] < 0.3 < placed.ci[1]
    # With the default threshold the three are a small cell: withheld, not 0.
    default = {row.label: row for row in rows_of(summarise(scope)) if row.table == "placements"}
    requested = default["Out-of-home decisions finalised (requested)"]
    assert requested.suppressed and requested.count is None


def _feedback_forms(registry: Registry, world, persona: str, scores: list[int]) -> None:  # type: ignore[no-untyped-def]
    from yim.monitoring import instruments
    from yim.monitoring.models import Assessment
    from yim.trajectories.models import Meeting

    t = registry.trajectories.get("F") or registry.trajectory("F", D(2026, 5, 1))
    user = world.persona(persona)
    for i, score in enumerate(scores):
        meeting = Meeting.objects.create(
            trajectory=t, kind="evaluation", held_on=D(2026, 6, 1) + dt.timedelta(days=i)
        )
        assessment, _created = Assessment.start(
            youth=t.youth,
            trajectory=t,
            instrument=instruments.get("stakeholder_feedback"),
            respondent=user,
            meeting=meeting,
        )
        assessment.save_answers({"heard": score}, by=user)
        assessment.submit(by=user)


def test_feedback_means_come_with_their_answers_and_interval_and_small_roles_are_withheld(
    registry, world, client_for
):
    _feedback_forms(registry, world, "youth_user", [3, 4, 5, 4, 4])
    _feedback_forms(registry, world, "parent", [2])
    response = client_for("researcher").get(URL, {"as_of": "2026-06-17"}, HTTP_ACCEPT_LANGUAGE="en")
    rows = {row.label: row for row in response.context["feedback_table"].rows}
    heard = rows["Youth: felt heard (mean score, 1–5)"]
    assert (heard.value, heard.n, heard.suppressed) == (4.0, 5, False)
    # sd = sqrt(0.5); t(0.975, 4) = 2.7764: 4 ± 2.7764 · sqrt(0.5 / 5)
    assert heard.ci == pytest.approx((4 - 0.87798, 4 + 0.87798), abs=1e-4)
    parent = rows["Parent: forms, mean score of all items"]
    assert parent.suppressed and parent.count is None and parent.value is None
    html = response.content.decode()
    assert "3.12–4.88" in html
    table = read_csv(
        client_for("researcher").get(
            URL,
            {"as_of": "2026-06-17", "format": "csv", "table": "feedback"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    )
    assert {row["section"] for row in table} == {"Feedback after meetings"}
    assert any(row["value"] == "4.0" and row["n"] == "5" for row in table)


@pytest.mark.parametrize(
    ("persona", "params", "label"),
    [
        ("researcher", {}, "Organisation Jeugdzorg Test"),
        ("researcher", {"team": "team_a"}, "Team Team A"),
        ("team_lead", {}, "Team Team A"),
        ("professional", {}, "Your caseload"),
    ],
)
def test_the_page_says_whose_figures_it_shows_and_offers_every_filter(
    cohort, client_for, world, persona, params, label
):
    if "team" in params:
        params = {"team": world.team_a.pk}
    response = get(client_for(persona), **params)
    html = response.content.decode()
    assert f"<strong>{label}</strong>" in html
    for name in ('name="as_of"', 'name="from"', 'name="programme"'):
        assert name in html
    assert ('name="team"' in html) == (persona == "researcher")


def test_the_share_chart_escapes_its_text_and_writes_withheld_shares_out():
    svg = shares_svg(
        [Bar("<b>A & B</b>", 0.5, (0.4, 0.6), False), Bar("C", None, None, True)],
        title="T <x>",
        description="D",
        suppressed="withheld",
    )
    assert "<b>" not in svg and "&lt;b&gt;A &amp; B&lt;/b&gt;" in svg
    assert "T &lt;x&gt;" in svg
    assert svg.count("<rect") == 1 and "withheld" in svg
