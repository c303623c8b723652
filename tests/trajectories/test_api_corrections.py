# ruff: noqa: F811 (the ``records`` fixture is imported, and requested by name)
"""Meetings recorded as held, and meetings, safety plans and candidates' answers corrected
through the API: the same model methods as the pages, the earlier version kept with the
reason, an edit from an older ``version`` refused (409 ``stale``) with nothing overwritten,
the caller's scope (404 outside it, 403 for portal accounts, no break-the-glass in the API),
every write audited and every refusal in the one 422 shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.conftest import ALL_PERSONAS
from tests.trajectories.test_api import bearer, expected_status
from tests.trajectories.web_fixtures import Records, close, records  # noqa: F401
from yim.audit.models import AuditEvent
from yim.trajectories.models import (
    Candidate,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Response,
    Revision,
    SafetyPlan,
)
from yim.trajectories.models.base import today

pytestmark = pytest.mark.django_db
TEAM = {"professional", "team_lead"}


def send(method: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return getattr(Client(), method)(
        path, json.dumps(body), content_type="application/json", **headers
    )


def professional(records: Records) -> dict[str, str]:
    return bearer(records.case.world.persona("professional"))


def planned(records: Records) -> Meeting:
    return Meeting.plan(records.trajectory, kind=MeetingKind.EVALUATION, on=today(), notes="Agenda")


def jim(records: Records) -> Candidate:
    return Candidate.objects.get(trajectory=records.trajectory, person=records.aunt)


def corrections(records: Records) -> list[tuple[str, str, Any, dict[str, Any]]]:
    """(method, path, record, body) of a correction of each kind, from the current version."""
    meeting, safety, answer = records.meeting, records.safety, jim(records)
    return [
        (
            "patch",
            f"/api/v1/meetings/{meeting.pk}",
            meeting,
            {"version": meeting.version, "reason": "Typo", "decisions": "Back to school"},
        ),
        (
            "patch",
            f"/api/v1/safety-plans/{safety.pk}",
            safety,
            {"version": safety.version, "reason": "Typo", "measures": "Call the aunt"},
        ),
        (
            "put",
            f"/api/v1/candidates/{answer.pk}/response",
            answer,
            {
                "version": answer.version,
                "reason": "The date was wrong",
                "response": "accepted",
                "response_on": str(records.case.day(29)),
                "asked_on": str(records.case.day(25)),
            },
        ),
    ]


# --- a planned meeting recorded as held -----------------------------------------------------


def test_a_planned_meeting_is_recorded_as_held_with_what_was_said_and_decided(records):
    meeting = planned(records)
    response = send(
        "post",
        f"/api/v1/meetings/{meeting.pk}/held",
        {
            "version": meeting.version,
            "held_on": str(today()),
            "youth_view": "I want to go back to school",
            "decisions": "Back to school three days a week",
        },
        professional(records),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "held" and body["held_on"] == str(today())
    assert body["notes"] == "Agenda"  # a text left out keeps what is stored
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert meeting.decisions == "Back to school three days a week"
    assert meeting.version == body["version"] == 2
    event = AuditEvent.objects.get(detail="api planned meeting recorded as held")
    assert (event.action, event.object_id) == ("update", str(meeting.pk))
    assert event.youth_id == records.youth.pk


def test_a_meeting_already_held_is_not_recorded_as_held_again(records):
    meeting = records.meeting
    response = send(
        "post",
        f"/api/v1/meetings/{meeting.pk}/held",
        {"version": meeting.version, "held_on": str(today())},
        professional(records),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "held_on": ["Only a planned meeting can be recorded as held."]
    }
    meeting.refresh_from_db()
    assert meeting.held_on == records.case.day(40) and meeting.version == 1


def test_a_planned_meeting_is_called_off_and_stays_on_the_record(records):
    meeting = planned(records)
    headers = professional(records)
    path = f"/api/v1/meetings/{meeting.pk}/cancel"
    response = send("post", path, {"version": meeting.version}, headers)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED and meeting.held_on is None
    again = send("post", path, {"version": meeting.version}, headers)
    assert again.status_code == 422
    assert again.json()["errors"] == {"status": ["Only a planned meeting can be called off."]}
    assert AuditEvent.objects.filter(detail="api planned meeting cancelled").count() == 1


# --- corrections keep the earlier version ---------------------------------------------------


def test_a_meeting_correction_keeps_the_earlier_version_with_the_reason(records):
    meeting = records.meeting
    headers = professional(records)
    response = send(
        "patch",
        f"/api/v1/meetings/{meeting.pk}",
        {
            "version": meeting.version,
            "reason": "The meeting was a day later",
            "held_on": str(records.case.day(41)),
            "decisions": "The JIM joins the school talk",
        },
        headers,
    )
    assert response.status_code == 200, response.content
    assert response.json()["held_on"] == str(records.case.day(41))
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.decisions) == (
        records.case.day(41),
        "The JIM joins the school talk",
    )
    kept = Revision.objects.of(meeting).get()
    assert kept.snapshot["held_on"] == str(records.case.day(40))
    assert kept.snapshot["decisions"] == ""
    assert (kept.record_version, kept.reason) == (1, "The meeting was a day later")
    assert kept.changed_by == records.case.world.persona("professional")
    assert AuditEvent.objects.filter(action="update", detail="api meeting corrected").count() == 1

    listed = Client().get(f"/api/v1/meetings/{meeting.pk}/revisions", **headers)
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    (revision,) = listed.json()["items"]
    assert revision["snapshot"]["held_on"] == str(records.case.day(40))
    assert (revision["changed_by"], revision["reason"]) == ("prof", "The meeting was a day later")
    assert AuditEvent.objects.filter(action="list", detail="api meeting revisions").exists()


def test_a_safety_plan_correction_keeps_the_earlier_version(records):
    safety = records.safety
    headers = professional(records)
    response = send(
        "patch",
        f"/api/v1/safety-plans/{safety.pk}",
        {"version": safety.version, "reason": "Measures agreed later", "measures": "Call Ria"},
        headers,
    )
    assert response.status_code == 200, response.content
    assert response.json()["measures"] == "Call Ria"
    assert response.json()["concerns"] == "Fights"  # a field left out is kept
    kept = Revision.objects.of(safety).get()
    assert (kept.snapshot["measures"], kept.reason) == ("Call", "Measures agreed later")
    listed = Client().get(f"/api/v1/safety-plans/{safety.pk}/revisions", **headers).json()
    assert [r["snapshot"]["measures"] for r in listed["items"]] == ["Call"]


def test_a_candidates_answer_is_corrected_and_the_earlier_answer_kept(records):
    candidate = jim(records)
    headers = professional(records)
    method, path, _record, body = corrections(records)[2]
    response = send(method, path, body, headers)
    assert response.status_code == 200, response.content
    assert response.json()["response_on"] == str(records.case.day(29))
    assert response.json()["is_active_jim"] is True
    kept = Revision.objects.of(candidate).get()
    assert kept.snapshot["response_on"] == str(records.case.day(30))
    listed = Client().get(f"/api/v1/candidates/{candidate.pk}/revisions", **headers).json()
    assert listed["items"][0]["reason"] == "The date was wrong"


def test_whether_the_person_became_the_jim_is_no_correction(records):
    candidate = jim(records)
    response = send(
        "put",
        f"/api/v1/candidates/{candidate.pk}/response",
        {
            "version": candidate.version,
            "reason": "Wrong person",
            "response": "declined",
            "response_on": str(records.case.day(30)),
            "asked_on": str(records.case.day(25)),
            "decline_reason": "No time",
        },
        professional(records),
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["response"]
    candidate.refresh_from_db()
    assert candidate.response == Response.ACCEPTED
    assert not Revision.objects.of(candidate).exists()


# --- stale, reasons and the one 422 shape ---------------------------------------------------


def test_a_correction_over_someone_elses_newer_change_is_refused_and_nothing_overwritten(
    records,
):
    headers = professional(records)
    for method, path, record, body in corrections(records):
        # Someone else saved the record after this client read version ``body["version"]``.
        fresh = type(record).objects.get(pk=record.pk)
        fresh.save()
        stored = type(record).objects.values().get(pk=record.pk)
        response = send(method, path, body, headers)
        assert response.status_code == 409, (path, response.content)
        assert response.json()["code"] == "stale"
        assert type(record).objects.values().get(pk=record.pk) == stored, path
        assert not Revision.objects.of(record).exists(), path
    assert not AuditEvent.objects.filter(action="update").exists()


def test_a_correction_needs_a_reason(records):
    headers = professional(records)
    for method, path, record, body in corrections(records):
        missing = send(method, path, {k: v for k, v in body.items() if k != "reason"}, headers)
        assert missing.status_code == 422, path
        assert missing.json()["errors"] == {"reason": ["This field is required."]}
        blank = send(method, path, {**body, "reason": "   "}, headers)
        assert blank.status_code == 422, path
        assert blank.json() == {
            "detail": "The request is not valid.",
            "code": "invalid",
            "errors": {"reason": ["Say why the record is corrected."]},
        }
        record.refresh_from_db()
        assert record.version == body["version"] and not Revision.objects.of(record).exists()


def test_a_correction_the_model_refuses_answers_the_one_422_shape_and_keeps_nothing(records):
    safety = records.safety
    response = send(
        "patch",
        f"/api/v1/safety-plans/{safety.pk}",
        {"version": safety.version, "reason": "End", "ended_on": str(records.case.day(41))},
        professional(records),
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The request is not valid.",
        "code": "invalid",
        "errors": {"ended_on": ["A safety plan cannot end before it was made."]},
    }
    safety.refresh_from_db()
    assert safety.ended_on is None and safety.version == 1
    assert not Revision.objects.exists()


def test_a_planned_meeting_is_not_moved_into_the_past(records):
    meeting = Meeting.plan(
        records.trajectory, kind=MeetingKind.EVALUATION, on=records.case.day(101)
    )
    response = send(
        "patch",
        f"/api/v1/meetings/{meeting.pk}",
        {"version": 1, "reason": "Moved", "planned_for": str(records.case.day(90))},
        professional(records),
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["planned_for"]
    meeting.refresh_from_db()
    assert meeting.planned_for == records.case.day(101)


def test_a_closed_trajectory_refuses_every_correction_and_keeps_no_revision(records):
    headers = professional(records)
    bodies = corrections(records)
    close(records.case)
    for method, path, record, body in bodies:
        response = send(method, path, body, headers)
        assert response.status_code == 422, (path, response.content)
        assert response.json()["errors"] == {
            "__all__": ["This trajectory is closed and can no longer be changed."]
        }, path
        record.refresh_from_db()
        assert record.version == body["version"], path
    assert not Revision.objects.exists()


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_corrections_and_revisions_follow_the_policy_scope(records, persona):
    headers = bearer(records.case.world.persona(persona))
    allowed = persona in TEAM
    denied = expected_status(persona)  # 404 outside the scope, 403 for portal accounts
    meeting = planned(records)
    held = send(
        "post",
        f"/api/v1/meetings/{meeting.pk}/held",
        {"version": 1, "held_on": str(today())},
        headers,
    )
    assert held.status_code == (200 if allowed else denied)
    other = planned(records)
    cancelled = send("post", f"/api/v1/meetings/{other.pk}/cancel", {"version": 1}, headers)
    assert cancelled.status_code == (200 if allowed else denied)
    other.refresh_from_db()
    assert other.is_planned != allowed
    for method, path, record, body in corrections(records):
        response = send(method, path, body, headers)
        assert response.status_code == (200 if allowed else denied), (persona, path)
        assert Revision.objects.of(record).exists() == allowed
        revisions = Client().get(path.removesuffix("/response") + "/revisions", **headers)
        assert revisions.status_code == (200 if allowed else denied), (persona, path)
    plans = f"/api/v1/trajectories/{records.trajectory.pk}/safety-plans"
    assert Client().get(plans, **headers).status_code == (200 if allowed else denied)
    added = send(
        "post", plans, {"made_on": str(today()), "concerns": "C", "measures": "M"}, headers
    )
    assert added.status_code == (201 if allowed else denied)
    assert SafetyPlan.objects.filter(trajectory=records.trajectory).count() == (2 if allowed else 1)
    meeting.refresh_from_db()
    assert meeting.is_held == allowed


def test_break_the_glass_opens_no_correction_through_the_api(records, client_for):
    """Break-the-glass is a web session's read-only grant: the API, with its token, never
    reaches a file through it — reads and corrections answer 404, nothing is changed."""
    world = records.case.world
    web = client_for("other_team_professional")
    web.post(
        "/youth/break-glass/",
        {"youth_id": records.youth.pk, "reason": "Crisis call at night, file needed"},
    )
    assert web.get(f"/trajectories/{records.trajectory.pk}/").status_code == 200  # glass broken
    headers = bearer(world.persona("other_team_professional"))
    for method, path, record, body in corrections(records):
        assert send(method, path, body, headers).status_code == 404, path
        record.refresh_from_db()
        assert record.version == body["version"] and not Revision.objects.of(record).exists()
    meeting = planned(records)
    held = send(
        "post", f"/api/v1/meetings/{meeting.pk}/held", {"version": 1, "held_on": str(today())},
        headers,
    )  # fmt: skip
    assert held.status_code == 404
    meeting.refresh_from_db()
    assert meeting.is_planned


def test_a_record_of_another_trajectory_is_not_found_through_this_scope(records, make_case):
    """The lookup goes through the caller's scope: a meeting id of a file outside it
    answers 404 exactly like one that does not exist."""
    world = records.case.world
    headers = bearer(world.persona("professional"))
    other = Meeting.objects.create(
        trajectory=records.trajectory, kind=MeetingKind.OTHER, held_on=records.case.day(50)
    )
    foreign = bearer(world.persona("foreign_professional"))
    body = {"version": 1, "reason": "Typo", "notes": "x"}
    assert send("patch", f"/api/v1/meetings/{other.pk}", body, foreign).status_code == 404
    assert send("patch", "/api/v1/meetings/999999", body, headers).status_code == 404
    other.refresh_from_db()
    assert other.notes == "" and other.version == 1
