"""The placement gate holds through the API exactly as through the web form and the models."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import ALL_PERSONAS
from tests.trajectories.test_api import bearer, expected_status
from tests.trajectories.web_fixtures import records  # noqa: F401
from yim.trajectories.models import PlacementDecision

pytestmark = pytest.mark.django_db


def post(path: str, body: dict | None, headers: dict) -> object:
    return Client().post(path, json.dumps(body or {}), content_type="application/json", **headers)


def test_finalising_through_the_api_is_refused_until_the_jim_is_consulted(records):  # noqa: F811
    headers = bearer(records.case.world.professional)
    decision = records.decision
    refused = post(f"/api/v1/placement-decisions/{decision.pk}/finalise", None, headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid"
    assert any("JIM" in m for ms in refused.json()["errors"].values() for m in ms)
    decision.refresh_from_db()
    assert decision.status == "draft"

    consulted = post(
        f"/api/v1/placement-decisions/{decision.pk}/consultations",
        {
            "consulted_on": str(decision.decided_on),
            "advice": "Stay at home with more support from me",
            "weighing": "Advice followed for eight weeks, then evaluate",
        },
        headers,
    )
    assert consulted.status_code == 201
    assert consulted.json()["consulted"] is True
    final = post(f"/api/v1/placement-decisions/{decision.pk}/finalise", None, headers)
    assert final.status_code == 200
    assert final.json()["status"] == "finalised"


def test_a_new_decision_through_the_api_starts_as_a_draft(records):  # noqa: F811
    headers = bearer(records.case.world.professional)
    created = post(
        f"/api/v1/trajectories/{records.trajectory.pk}/placement-decisions",
        {
            "placement_type": "foster_care",
            "decided_on": str(records.decision.decided_on),
            "rationale": "Home is unsafe at night",
            "youth_view": "Only with my aunt nearby",
        },
        headers,
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "draft"


def test_an_invalid_decision_gets_422_with_messages_and_nothing_is_saved(records):  # noqa: F811
    headers = bearer(records.case.world.professional)
    before = PlacementDecision.objects.count()
    response = post(
        f"/api/v1/trajectories/{records.trajectory.pk}/placement-decisions",
        {"placement_type": "castle", "decided_on": "2020-01-01", "rationale": "", "youth_view": ""},
        headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"]
    assert PlacementDecision.objects.count() == before


@pytest.mark.parametrize(
    "persona", [p for p in ALL_PERSONAS if p not in ("professional", "team_lead")]
)
def test_only_the_youths_team_may_touch_placement_decisions(records, persona):  # noqa: F811
    headers = bearer(records.case.world.persona(persona))
    response = post(f"/api/v1/placement-decisions/{records.decision.pk}/finalise", None, headers)
    assert response.status_code == expected_status(persona)
    records.decision.refresh_from_db()
    assert records.decision.status == "draft"


def test_an_emergency_without_a_jim_is_settled_through_the_api_by_a_late_reason(make_case):
    import datetime as dt

    from django.utils import timezone

    case = make_case()  # no JIM
    emergency = PlacementDecision.objects.create(
        trajectory=case.trajectory,
        placement_type="foster_care",
        decided_on=timezone.localdate() - dt.timedelta(days=3),
        rationale="Unsafe tonight",
        youth_view="Scared",
        is_emergency=True,
    )
    emergency.finalise(case.world.professional)
    headers = bearer(case.world.professional)
    path = f"/api/v1/placement-decisions/{emergency.pk}/no-jim-reason"
    assert post(path, {"no_jim_reason": "short"}, headers).status_code == 422
    done = post(path, {"no_jim_reason": "No JIM yet: the nomination is still open."}, headers)
    assert done.status_code == 200
    emergency.refresh_from_db()
    assert not emergency.consultation_pending
    other = bearer(case.world.other_team_professional)
    assert post(path, {"no_jim_reason": "Not my youth at all, though."}, other).status_code == 404
