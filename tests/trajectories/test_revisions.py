# ruff: noqa: F811 (fixtures are imported, and requested by name)
"""Corrections keep the earlier version: meetings, safety plans and candidates' answers.

Before each correction the stored version is kept (who, when, why) and shown on the
record's page under "Earlier versions", newest first. A correction over someone else's newer
change is refused as stale and keeps nothing; a closed trajectory stays frozen; corrections
are audited; portal users never see earlier versions.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import signed_in
from tests.monitoring.conftest import portal  # noqa: F401
from tests.trajectories.conftest import messages
from tests.trajectories.web_fixtures import Records, close, records  # noqa: F401
from yim.audit.models import AuditEvent
from yim.core.errors import StaleEdit
from yim.trajectories.errors import TrajectoryClosed
from yim.trajectories.models import Candidate, RecordKind, Response, Revision

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
STALE = "Someone else changed this record while you were editing it."


def _meeting_post(records: Records, version: int, decisions: str, reason: str = "") -> dict:  # type: ignore[type-arg]
    m = records.meeting
    return {
        "action": "meeting",
        "version": version,
        "kind": m.kind,
        "held_on": str(m.held_on),
        "decisions": decisions,
        "youth_view": m.youth_view,
        "jim_input": m.jim_input,
        "notes": m.notes,
        "reason": reason,
    }


def test_correcting_a_meeting_keeps_each_earlier_version_newest_first(records, client_for):
    client = client_for("professional")
    url = f"/trajectories/meetings/{records.meeting.pk}/"
    first = client.post(url, _meeting_post(records, 1, "Back to school", "Typo"), **EN)
    assert first.status_code == 302
    second = client.post(url, _meeting_post(records, 2, "Back to school on Monday"), **EN)
    assert second.status_code == 302
    records.meeting.refresh_from_db()
    assert (records.meeting.decisions, records.meeting.version) == ("Back to school on Monday", 3)
    kept = list(records.meeting.revisions)
    assert [(r.record_version, r.snapshot["decisions"], r.reason) for r in kept] == [
        (2, "Back to school", ""),
        (1, "", "Typo"),
    ]
    assert kept[0].changed_by == records.case.world.professional
    page = client.get(url, **EN)
    html = page.content.decode()
    assert "Earlier versions" in html and "Typo" in html
    assert [r.pk for r in page.context["revisions"]] == [r.pk for r in kept]
    assert ("decisions", "Back to school") in kept[0].rows()


def test_a_correction_over_someone_elses_newer_change_is_refused_and_keeps_nothing(
    records, client_for
):
    client = client_for("professional")
    url = f"/trajectories/meetings/{records.meeting.pk}/"
    client_for("team_lead").post(url, _meeting_post(records, 1, "The team lead's change"), **EN)
    refused = client.post(url, _meeting_post(records, 1, "Typed over it"), **EN)
    assert refused.status_code == 200
    assert STALE in " ".join(refused.context["form"].non_field_errors())
    assert refused.context["form"]["decisions"].value() == "Typed over it"  # nothing lost
    records.meeting.refresh_from_db()
    assert records.meeting.decisions == "The team lead's change"  # nothing overwritten
    assert [r.snapshot["decisions"] for r in records.meeting.revisions] == [""]


def test_a_correction_is_audited_and_one_that_changes_nothing_keeps_no_version(records, client_for):
    client = client_for("professional")
    url = f"/trajectories/meetings/{records.meeting.pk}/"
    client.post(url, _meeting_post(records, 1, records.meeting.decisions), **EN)
    assert not Revision.objects.exists()
    client.post(url, _meeting_post(records, 2, "Corrected"), **EN)
    assert Revision.objects.count() == 1
    assert (
        AuditEvent.objects.filter(
            youth_id=records.youth.pk, action="update", detail="meeting corrected"
        ).count()
        == 2
    )


def test_a_closed_trajectory_refuses_a_correction_and_keeps_no_version(records):
    close(records.case)
    meeting = records.meeting
    meeting.refresh_from_db()
    meeting.decisions = "After closure"
    with pytest.raises(ValidationError) as refused:
        meeting.save_correction(meeting.version)
    assert messages(refused.value) == str(TrajectoryClosed.default_message)
    assert not Revision.objects.exists()


def test_the_model_refuses_a_stale_correction_without_keeping_a_version(records):
    meeting = records.meeting
    meeting.decisions = "Stale"
    with pytest.raises(StaleEdit):
        meeting.save_correction(meeting.version + 1)
    assert not Revision.objects.exists()


def test_correcting_a_safety_plan_keeps_the_earlier_version_on_its_page(records, client_for):
    client = client_for("professional")
    plan = records.safety
    url = f"/trajectories/safety-plans/{plan.pk}/"
    response = client.post(
        url,
        {
            "version": plan.version,
            "made_on": str(plan.made_on),
            "concerns": plan.concerns,
            "measures": "Call the aunt first",
            "reason": "The measures were mixed up",
        },
        **EN,
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.measures == "Call the aunt first"
    (kept,) = plan.revisions
    assert (kept.record_kind, kept.snapshot["measures"]) == (RecordKind.SAFETY_PLAN, "Call")
    page = client.get(url, **EN)
    html = page.content.decode()
    assert "Earlier versions" in html and "The measures were mixed up" in html
    assert AuditEvent.objects.filter(detail="safety plan corrected").exists()


def test_a_stale_safety_plan_correction_is_refused(records, client_for):
    plan = records.safety
    body = {
        "version": plan.version,
        "made_on": str(plan.made_on),
        "concerns": plan.concerns,
        "measures": "First",
    }
    client_for("team_lead").post(f"/trajectories/safety-plans/{plan.pk}/", body, **EN)
    refused = client_for("professional").post(
        f"/trajectories/safety-plans/{plan.pk}/", {**body, "measures": "Second"}, **EN
    )
    assert STALE in " ".join(refused.context["form"].non_field_errors())
    plan.refresh_from_db()
    assert plan.measures == "First" and plan.revisions.count() == 1


def _declined(records: Records) -> Candidate:
    round_ = records.trajectory.start_round(on=records.case.day(70))
    candidate = round_.add_candidate(records.neighbour, named_on=records.case.day(70))
    candidate.record_response(
        Response.DECLINED,
        records.case.day(72),
        asked_on=records.case.day(71),
        decline_reason="Too busy",
    )
    return candidate


def test_correcting_a_candidates_answer_keeps_the_earlier_version(records, client_for):
    records.trajectory.active_jim.end_jim(on=records.case.day(65), reason="jim_stopped")
    candidate = _declined(records)
    client = client_for("professional")
    url = f"/trajectories/candidates/{candidate.pk}/"
    assert "Correct the recorded response" in client.get(url, **EN).content.decode()
    response = client.post(
        url,
        {
            "action": "correct",
            "version": candidate.version,
            "response": "no_answer",
            "asked_on": str(records.case.day(71)),
            "response_on": str(records.case.day(80)),
            "reason": "He never answered",
        },
        **EN,
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.response, candidate.decline_reason) == (Response.NO_ANSWER, "")
    (kept,) = candidate.revisions
    assert kept.snapshot == {
        "asked_on": str(records.case.day(71)),
        "response": "declined",
        "response_on": str(records.case.day(72)),
        "decline_reason": "Too busy",
    }
    assert ("Response", "Declined") in [(label.capitalize(), v) for label, v in kept.rows()]
    assert "He never answered" in client.get(url, **EN).content.decode()


def test_an_acceptance_is_not_corrected_into_another_answer(records):
    jim = records.trajectory.active_jim
    with pytest.raises(ValidationError) as refused:
        jim.correct_response(
            jim.version,
            response=Response.DECLINED,
            on=jim.response_on,
            asked_on=jim.asked_on,
            decline_reason="Changed her mind",
        )
    assert "cannot be corrected" in messages(refused.value, "response")
    jim.refresh_from_db()
    assert jim.is_active_jim and not jim.revisions.exists()


def test_the_date_of_an_acceptance_can_be_corrected(records):
    jim = records.trajectory.active_jim
    before = jim.response_on
    jim.correct_response(
        jim.version,
        response=Response.ACCEPTED,
        on=records.case.day(31),
        asked_on=jim.asked_on,
    )
    jim.refresh_from_db()
    assert jim.response_on == records.case.day(31)
    assert jim.revisions.get().snapshot["response_on"] == str(before)


def test_portal_users_never_see_earlier_versions(portal, client_for):
    a = portal.a
    meeting = a.evaluation
    meeting.decisions = "Corrected decisions"
    meeting.save_correction(meeting.version, reason="Internal reason")
    assert meeting.revisions.count() == 1
    for user in (portal.world.youth_user, portal.world.jim, portal.world.parent):
        client = signed_in(user)
        assert client.get(f"/trajectories/meetings/{meeting.pk}/").status_code == 404
    page = signed_in(portal.world.youth_user).get(f"/portal/{a.youth.pk}/file/meetings/", **EN)
    html = page.content.decode()
    assert "Corrected decisions" in html
    assert f"Decisions for {a.youth.display_name}" not in html and "Internal reason" not in html


def test_a_stale_correction_of_an_answer_is_refused_on_the_candidates_page(records, client_for):
    records.trajectory.active_jim.end_jim(on=records.case.day(65), reason="jim_stopped")
    candidate = _declined(records)
    body = {
        "action": "correct",
        "version": candidate.version,
        "response": "declined",
        "asked_on": str(records.case.day(71)),
        "response_on": str(records.case.day(72)),
        "decline_reason": "Moving abroad",
    }
    url = f"/trajectories/candidates/{candidate.pk}/"
    assert client_for("team_lead").post(url, body, **EN).status_code == 302
    refused = client_for("professional").post(url, {**body, "decline_reason": "Ill"}, **EN)
    assert refused.status_code == 200
    assert STALE in " ".join(refused.context["forms"]["correct"].non_field_errors())
    candidate.refresh_from_db()
    assert candidate.decline_reason == "Moving abroad"
    assert [r.snapshot["decline_reason"] for r in candidate.revisions] == ["Too busy"]
