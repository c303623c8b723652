"""The trajectory API: every endpoint for allowed and denied personas, writes judged by the
models, audit entries, and the OpenAPI schema."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import ALL_PERSONAS, PORTAL_PERSONAS
from tests.trajectories.web_fixtures import records  # noqa: F401
from yim.accounts.models import ApiToken
from yim.audit.models import AuditEvent
from yim.trajectories.models import Meeting, NetworkPerson

pytestmark = pytest.mark.django_db
TEAM = {"professional", "team_lead"}


def bearer(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    _token, raw = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}


READS = [
    "/api/v1/youth/{y}",
    "/api/v1/youth/{y}/trajectories",
    "/api/v1/youth/{y}/network",
    "/api/v1/trajectories/{t}",
    "/api/v1/trajectories/{t}/nominations",
    "/api/v1/trajectories/{t}/meetings",
    "/api/v1/trajectories/{t}/placement-decisions",
]


def expected_status(persona: str) -> int:
    if persona in PORTAL_PERSONAS:
        return 403  # the API is for staff accounts
    return 200 if persona in TEAM else 404


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_reads_follow_the_policy_scope(records, persona):  # noqa: F811
    headers = bearer(records.case.world.persona(persona))
    for template in READS:
        path = template.format(y=records.youth.pk, t=records.trajectory.pk)
        response = Client().get(path, **headers)
        assert response.status_code == expected_status(persona), f"{persona} {path}"


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_writes_follow_the_policy_scope(records, persona):  # noqa: F811
    headers = bearer(records.case.world.persona(persona))
    person = Client().post(
        f"/api/v1/youth/{records.youth.pk}/network",
        json.dumps({"display_name": "Oma Lies", "relation": "grandparent", "age_band": "65_plus"}),
        content_type="application/json",
        **headers,
    )
    meeting = Client().post(
        f"/api/v1/trajectories/{records.trajectory.pk}/meetings",
        json.dumps({"kind": "school", "held_on": str(records.meeting.held_on)}),
        content_type="application/json",
        **headers,
    )
    allowed = persona in TEAM
    assert person.status_code == (201 if allowed else expected_status(persona))
    assert meeting.status_code == (201 if allowed else expected_status(persona))
    assert NetworkPerson.objects.filter(display_name="Oma Lies").exists() == allowed
    assert Meeting.objects.filter(kind="school").exists() == allowed


def test_the_trajectory_reports_its_phase_and_jim(records):  # noqa: F811
    headers = bearer(records.case.world.professional)
    body = Client().get(f"/api/v1/trajectories/{records.trajectory.pk}", **headers).json()
    assert body["phase"] == "collaboration"
    assert body["active_jim_id"] == records.trajectory.active_jim.pk
    assert body["days_to_jim"] == 30
    rounds = (
        Client().get(f"/api/v1/trajectories/{records.trajectory.pk}/nominations", **headers).json()
    )
    assert [c["person_name"] for c in rounds[0]["candidates"]] == ["Tante Marieke"]
    network = Client().get(f"/api/v1/youth/{records.youth.pk}/network", **headers).json()
    assert {p["display_name"] for p in network["people"]} == {"Tante Marieke", "Buurman Kees"}
    assert len(network["ties"]) == 1
    decisions = (
        Client()
        .get(f"/api/v1/trajectories/{records.trajectory.pk}/placement-decisions", **headers)
        .json()
    )
    assert decisions[0]["status"] == "draft" and decisions[0]["consulted"] is False
    meetings = (
        Client().get(f"/api/v1/trajectories/{records.trajectory.pk}/meetings", **headers).json()
    )
    assert meetings["count"] == 1 and meetings["items"][0]["kind"] == "positioning"


def test_a_write_the_model_refuses_answers_422_with_the_message_on_the_field(records):  # noqa: F811
    headers = bearer(records.case.world.professional)
    response = Client().post(
        f"/api/v1/trajectories/{records.trajectory.pk}/meetings",
        json.dumps({"kind": "evaluation", "held_on": "2999-01-01"}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"]["held_on"] == ["This date lies in the future."]
    assert Meeting.objects.filter(trajectory=records.trajectory).count() == 1


def test_api_reads_and_writes_are_audited_with_the_youth(records):  # noqa: F811
    headers = bearer(records.case.world.professional)
    Client().get(f"/api/v1/youth/{records.youth.pk}/network", **headers)
    Client().post(
        f"/api/v1/youth/{records.youth.pk}/network",
        json.dumps({"display_name": "Oma Lies", "relation": "grandparent", "age_band": "65_plus"}),
        content_type="application/json",
        **headers,
    )
    details = list(
        AuditEvent.objects.filter(youth_id=records.youth.pk, detail="api network").values_list(
            "action", flat=True
        )
    )
    assert details == ["view", "create"] or sorted(details) == ["create", "view"]


def test_the_endpoints_are_in_the_openapi_schema(world):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in [
        "/api/v1/youth/{youth_id}/trajectories",
        "/api/v1/youth/{youth_id}/network",
        "/api/v1/trajectories/{trajectory_id}",
        "/api/v1/trajectories/{trajectory_id}/nominations",
        "/api/v1/trajectories/{trajectory_id}/meetings",
        "/api/v1/trajectories/{trajectory_id}/placement-decisions",
    ]:
        assert path in paths, path
    assert "post" in paths["/api/v1/trajectories/{trajectory_id}/meetings"]


def test_a_four_megabyte_text_answers_422_on_its_field_and_nothing_is_saved(records):  # noqa: F811
    headers = bearer(records.case.world.professional)
    response = Client().post(
        f"/api/v1/trajectories/{records.trajectory.pk}/meetings",
        json.dumps(
            {
                "kind": "evaluation",
                "held_on": records.meeting.held_on.isoformat(),
                "decisions": "x" * (4 * 1024 * 1024),
            }
        ),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"]["decisions"][0].startswith("This text is too long")
    assert Meeting.objects.filter(trajectory=records.trajectory).count() == 1
