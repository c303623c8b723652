"""Moving the phase through the API: the rules of the phase page, optimistic locking on the
trajectory's version, closed trajectories refusing writes, audit rows, and the OpenAPI
document listing every new endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import ALL_PERSONAS
from tests.trajectories.conftest import Case
from tests.trajectories.test_api import bearer, expected_status
from tests.trajectories.test_api_nomination import TEAM, post, searching, url
from tests.trajectories.web_fixtures import close, records  # noqa: F401
from yim.audit.models import AuditEvent
from yim.trajectories.models import Candidate, ConsentRecord, Phase, PhaseTransition

pytestmark = pytest.mark.django_db


def move(case: Case, phase: str, headers: dict[str, str], version: int | None = None) -> Any:
    case.trajectory.refresh_from_db()
    body = {"phase": phase, "version": version or case.trajectory.version, "note": "by API"}
    return post(url(case, "phase"), body, headers)


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_moving_the_phase_follows_the_policy_scope(case, persona):
    response = move(case, "network_exploration", bearer(case.world.persona(persona)))
    allowed = persona in TEAM
    assert response.status_code == (200 if allowed else expected_status(persona))
    case.trajectory.refresh_from_db()
    assert (case.trajectory.phase == Phase.NETWORK_EXPLORATION) == allowed


def test_a_move_is_recorded_with_who_and_the_note_and_returns_the_new_version(case):
    headers = bearer(case.world.professional)
    before = case.trajectory.version
    response = move(case, "candidates", headers)  # forward moves may skip a phase
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phase"] == "candidates" and body["version"] == before + 1
    last = PhaseTransition.objects.filter(trajectory=case.trajectory).order_by("-pk").first()
    assert last is not None
    assert (last.phase, last.by_id, last.note) == (
        "candidates",
        case.world.professional.pk,
        "by API",
    )
    got = Client().get(f"/api/v1/trajectories/{case.trajectory.pk}", **headers).json()
    assert got["version"] == body["version"]


@pytest.mark.parametrize(
    ("phase", "message"),
    [
        ("consent", "Consent comes after a candidate has accepted to be the JIM."),
        ("positioning", "Positioning needs a JIM with complete consent."),
        ("referral", "A trajectory cannot go back to referral."),
        ("closure", "Close a trajectory by recording its closure"),
        ("follow_up", "Follow-up comes after closure."),
    ],
)
def test_the_rules_of_the_phase_page_hold(case, phase, message):
    searching(case)
    transitions = PhaseTransition.objects.count()
    response = move(case, phase, bearer(case.world.professional))
    assert response.status_code == 422
    assert message in response.json()["errors"]["phase"][0]
    assert PhaseTransition.objects.count() == transitions
    case.trajectory.refresh_from_db()
    assert case.trajectory.phase == Phase.CANDIDATES


def test_an_unknown_phase_is_refused_before_the_model_sees_it(case):
    response = move(case, "castle", bearer(case.world.professional))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_collaboration_without_a_jim_needs_no_jim_found_first(case):
    searching(case)
    headers = bearer(case.world.professional)
    assert move(case, "collaboration", headers).status_code == 422
    post(url(case, "no-jim"), {"reason": "nobody_named", "alternatives_tried": "Asked"}, headers)
    assert move(case, "collaboration", headers).status_code == 200


def test_consent_then_positioning_through_the_api(case):
    searching(case)
    case.jim(30)
    headers = bearer(case.world.professional)
    assert move(case, "consent", headers).status_code == 200
    assert move(case, "positioning", headers).status_code == 422  # consent not complete yet
    for party in ("youth", "parent"):
        post(
            url(case, "consents"),
            {
                "party": party,
                "decision": "yes",
                "parent_name": "Petra" if party == "parent" else "",
            },
            headers,
        )
    assert move(case, "positioning", headers).status_code == 200


def test_a_move_from_a_stale_version_answers_409_and_changes_nothing(case):
    headers = bearer(case.world.professional)
    read = case.trajectory.version
    case.trajectory.advance_to(Phase.NETWORK_EXPLORATION)  # someone else moved it meanwhile
    transitions = PhaseTransition.objects.count()
    response = move(case, "candidates", headers, version=read)
    assert response.status_code == 409
    assert response.json()["code"] == "stale"
    case.trajectory.refresh_from_db()
    assert case.trajectory.phase == Phase.NETWORK_EXPLORATION
    assert PhaseTransition.objects.count() == transitions


def test_each_move_leaves_an_audit_row(case):
    move(case, "network_exploration", bearer(case.world.professional))
    assert AuditEvent.objects.filter(
        action="update",
        object_type="trajectory",
        object_id=str(case.trajectory.pk),
        youth_id=case.youth.pk,
        detail="api phase: network_exploration",
    ).exists()


# --- a closed trajectory refuses every write --------------------------------------------------


def test_a_closed_trajectory_refuses_writes_through_the_api(records):  # noqa: F811
    case = records.case
    close(case)
    case.trajectory.refresh_from_db()
    headers = bearer(case.world.professional)
    closed = "This trajectory is closed and can no longer be changed."
    jim = case.trajectory.active_jim
    assert jim is not None
    candidates = Candidate.objects.count()
    consents = ConsentRecord.objects.count()

    answers = [
        move(case, "collaboration", headers),
        post(url(case, "nominations"), {}, headers),
        post(url(case, "candidates"), {"person_id": records.neighbour.pk}, headers),
        post(url(case, "consents"), {"party": "youth", "decision": "yes"}, headers),
        post(
            f"/api/v1/candidates/{jim.pk}/stop",
            {"version": jim.version, "ended_on": str(case.day(99)), "reason": "moved"},
            headers,
        ),
        post(url(case, "no-jim"), {"reason": "other", "alternatives_tried": "x"}, headers),
    ]
    for response in answers:
        assert response.status_code == 422, response.content
        messages = [m for ms in response.json()["errors"].values() for m in ms]
        assert closed in messages, messages
    assert Candidate.objects.count() == candidates
    assert ConsentRecord.objects.count() == consents
    case.trajectory.refresh_from_db()
    assert case.trajectory.phase == Phase.CLOSURE


# --- the OpenAPI document ---------------------------------------------------------------------


NEW_OPERATIONS = {
    "/api/v1/trajectories/{trajectory_id}/phase": {"post"},
    "/api/v1/trajectories/{trajectory_id}/nominations": {"get", "post"},
    "/api/v1/trajectories/{trajectory_id}/candidates": {"post"},
    "/api/v1/candidates/{candidate_id}/response": {"post"},
    "/api/v1/candidates/{candidate_id}/minor-confirmation": {"post"},
    "/api/v1/candidates/{candidate_id}/stop": {"post"},
    "/api/v1/trajectories/{trajectory_id}/no-jim": {"get", "post"},
    "/api/v1/trajectories/{trajectory_id}/consents": {"get", "post"},
}


def test_the_new_endpoints_are_in_the_openapi_schema_with_summaries(world):
    schema = Client().get("/api/v1/openapi.json").json()
    for path, methods in NEW_OPERATIONS.items():
        assert path in schema["paths"], path
        operations = schema["paths"][path]
        assert methods <= set(operations), (path, set(operations))
        for method in methods:
            assert operations[method].get("summary"), (path, method)
    stale = schema["paths"]["/api/v1/candidates/{candidate_id}/response"]["post"]["responses"]
    assert {"200", "409", "422"} <= set(stale)
    schemas = schema["components"]["schemas"]
    assert "version" in schemas["ResponseIn"]["required"]
    assert schemas["ConsentIn"]["properties"]["given_at"].get("examples")
