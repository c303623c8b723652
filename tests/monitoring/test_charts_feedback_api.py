"""Domain charts, the feedback aggregates and the monitoring API."""

from __future__ import annotations

import datetime as dt

import defusedxml.ElementTree as ET
import pytest
from django.test import Client

from tests.conftest import make_user, signed_in
from yim.accounts.models import ApiToken, Role
from yim.monitoring import feedback, instruments
from yim.monitoring.charts import domain_chart_svgs, line_chart_svg
from yim.monitoring.models import Assessment, Wave
from yim.monitoring.waves import wave_slots

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
RISK = {
    "rule_breaking_conduct": 3,
    "school_absence": 1,
    "placement_threat": 2,
    "family_conflict": 2,
    "peers_negative": 0,
    "substance_use": 1,
    "mental_health_mood": 2,
    "safety_home": 0,
}


def _submit_risk(file, user, slot, **changes):  # type: ignore[no-untyped-def]
    assessment, _ = Assessment.start(
        youth=file.youth,
        trajectory=file.trajectory,
        instrument=instruments.get("risk_domains"),
        respondent=user,
        wave=Wave.for_slot(file.trajectory, slot),
    )
    assessment.save_answers({**RISK, **changes}, by=user)
    assessment.submit(by=user)
    return assessment


def test_a_chart_is_valid_svg_with_the_jim_marked_and_text_escaped():
    svg = line_chart_svg(
        [(dt.date(2026, 1, 1), 3.0), (dt.date(2026, 3, 1), 1.0)],
        low=0,
        high=3,
        title="<Rule & breaking>",
        description="d",
        mark_on=dt.date(2026, 2, 1),
        mark_label="JIM",
    )
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == "<Rule & breaking>"
    assert len(root.findall(f"{SVG}circle")) == 2
    marks = [t for t in root.iter(f"{SVG}text") if t.text == "JIM"]
    assert len(marks) == 1
    # The mark sits between the two measurements.
    xs = sorted(float(c.get("cx")) for c in root.findall(f"{SVG}circle"))
    assert xs[0] < float(marks[0].get("x")) - 3 < xs[1]


def test_domain_charts_follow_the_waves_and_the_professional_page_shows_them(portal):
    world = portal.world
    intake, evaluation = wave_slots(portal.a.trajectory)
    _submit_risk(portal.a, world.professional, intake)
    _submit_risk(portal.a, world.professional, evaluation, rule_breaking_conduct=1)
    charts = {c.code: c for c in domain_chart_svgs(portal.a.youth, "en")}
    assert len(charts) == 8
    rule = charts["rule_breaking"]
    assert [v for _, v in rule.points] == [3.0, 1.0]
    assert [d for d, _ in rule.points] == [intake.on, evaluation.on]
    assert rule.latest_band == "Elevated"
    assert domain_chart_svgs(portal.b.youth) == []
    page = signed_in(world.professional).get(
        f"/monitoring/youth/{portal.a.youth.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.content.decode().count('class="domain-chart"') == 8


def test_the_monitoring_page_does_not_query_per_assessment(portal, django_assert_max_num_queries):
    world = portal.world
    intake, evaluation = wave_slots(portal.a.trajectory)
    _submit_risk(portal.a, world.professional, intake)
    client = signed_in(world.professional)
    url = f"/monitoring/youth/{portal.a.youth.pk}/"
    client.get(url)
    with django_assert_max_num_queries(40) as one:
        client.get(url)
    _submit_risk(portal.a, world.team_lead, evaluation)
    _submit_risk(portal.a, world.team_lead, intake)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(url)


def test_research_aggregates_hide_groups_smaller_than_five(portal):
    world = portal.world
    meeting = portal.a.evaluation
    parents = [world.parent] + [make_user(f"parent{i}", Role.PARENT, world.org) for i in range(4)]
    for i, parent in enumerate(parents):
        a, _ = Assessment.start(
            youth=portal.a.youth,
            trajectory=portal.a.trajectory,
            instrument=instruments.get("stakeholder_feedback"),
            respondent=parent,
            meeting=meeting,
        )
        a.save_answers({"heard": 1 + i % 5}, by=parent)
        a.submit(by=parent)
    jim_a, _ = Assessment.start(
        youth=portal.a.youth,
        trajectory=portal.a.trajectory,
        instrument=instruments.get("stakeholder_feedback"),
        respondent=world.jim,
        meeting=meeting,
    )
    jim_a.save_answers({"heard": 5}, by=world.jim)
    jim_a.submit(by=world.jim)
    scope = Assessment.objects.filter(youth__organisation=world.org)
    rows = {s.role: s for s in feedback.summarise(scope, min_group=5)}
    assert (rows["parent"].count, rows["parent"].means["heard"]) == (5, 3.0)
    assert rows["jim"].suppressed and rows["jim"].count == 0 and rows["jim"].means == {}
    response = signed_in(world.researcher).get("/monitoring/feedback/research/")
    assert response.status_code == 200
    assert (
        signed_in(world.researcher).get(f"/monitoring/youth/{portal.a.youth.pk}/").status_code
        == 404
    )
    team = signed_in(world.professional).get("/monitoring/feedback/team/")
    assert {s.role: s.count for s in team.context["summary"]}["jim"] == 1
    assert signed_in(world.jim).get("/monitoring/feedback/team/").status_code == 404


def test_the_api_lists_instruments_and_saves_a_professional_assessment(portal):
    world = portal.world
    _, token = ApiToken.issue(world.professional, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client = Client()
    listed = client.get("/api/v1/instruments", **auth).json()
    assert "risk_domains" in {i["code"] for i in listed}
    url = f"/api/v1/youth/{portal.a.youth.pk}/assessments"
    bad = client.post(
        url,
        {"instrument": "risk_domains", "wave": "intake:0", "answers": {"school_absence": 8}},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422
    # The refused request leaves an empty draft: nothing half-saved.
    draft = Assessment.objects.get(youth=portal.a.youth, instrument="risk_domains")
    assert draft.answers.count() == 0
    made = client.post(
        url,
        {"instrument": "risk_domains", "wave": "intake:0", "answers": RISK, "submit": True},
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 200, made.content
    assert made.json()["scores"]["rule_breaking"] == 3.0
    again = client.post(
        url,
        {"instrument": "risk_domains", "wave": "intake:0", "submit": True},
        content_type="application/json",
        **auth,
    )
    # A submitted assessment is refused like every model refusal: 422 with the message.
    assert again.status_code == 422
    assert again.json()["code"] == "invalid" and again.json()["errors"]["__all__"]
    detail = client.get(f"/api/v1/assessments/{made.json()['id']}", **auth).json()
    assert [r["action"] for r in detail["revisions"]] == ["started", "saved", "submitted"]
    summary = client.get("/api/v1/feedback/summary", **auth)
    assert summary.status_code == 200
    unreached = client.post(
        url,
        {"instrument": "risk_domains", "wave": "follow_up:6"},
        content_type="application/json",
        **auth,
    )
    assert unreached.status_code == 422
    assert list(unreached.json()["errors"]) == ["wave"]


def _assessment_api(portal):  # type: ignore[no-untyped-def]
    _, token = ApiToken.issue(portal.world.professional, "t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def post(**body):  # type: ignore[no-untyped-def]
        body = {"instrument": "risk_domains", "wave": "intake:0", **body}
        return client.post(
            f"/api/v1/youth/{portal.a.youth.pk}/assessments", body, content_type="application/json"
        )

    return post


def test_answers_saved_from_an_older_version_are_refused_with_409_stale_like_every_api(portal):
    post = _assessment_api(portal)
    first = post(answers={"school_absence": 1})
    assert first.status_code == 201, first.content
    read = first.json()["version"]
    assert post(answers={"school_absence": 2}, version=read).status_code == 200
    stale = post(answers={"school_absence": 0}, version=read)
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale"
    assessment = Assessment.objects.get(youth=portal.a.youth, instrument="risk_domains")
    assert assessment.answers_dict()["school_absence"] == 2  # nothing overwritten


def test_assessment_refusals_name_the_field_like_every_api(portal):
    post = _assessment_api(portal)
    unknown = post(instrument="no_such_instrument")
    assert unknown.status_code == 422
    assert list(unknown.json()["errors"]) == ["instrument"]
    bad = post(answers={"school_absence": 8})
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == ["school_absence"]
