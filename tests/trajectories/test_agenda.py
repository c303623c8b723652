# ruff: noqa: F811 (fixtures are imported, and requested by name)
"""Meetings planned ahead (the agenda) and recorded when held.

A meeting is planned for a day to come and later recorded as held (or called off). A planned
day in the past is refused on its field. Only a held meeting has happened: the evaluation
schedule, the evidence's "JIM positioned", the placement gate, the timeline and the portals
count held meetings only.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import signed_in
from tests.monitoring.conftest import portal  # noqa: F401
from tests.trajectories.conftest import Case, messages
from tests.trajectories.test_api import bearer
from tests.trajectories.web_fixtures import Records, records  # noqa: F401
from yim.audit.models import AuditEvent
from yim.research.evidence.definitions import Scope, positioned_on
from yim.trajectories.errors import GateClosed
from yim.trajectories.models import (
    AttendeeRole,
    Meeting,
    MeetingKind,
    MeetingStatus,
    PlacementDecision,
    PlacementType,
    Trajectory,
)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PAST_MESSAGE = "A planned meeting does not lie in the past; record it as held instead."


def today() -> dt.date:
    return timezone.localdate()


def in_days(days: int) -> dt.date:
    return today() + dt.timedelta(days=days)


def plan(case: Case, days: int = 7, kind: str = MeetingKind.EVALUATION, **fields) -> Meeting:  # type: ignore[no-untyped-def]
    return Meeting.plan(case.trajectory, kind=kind, on=in_days(days), **fields)


# --- planning ---------------------------------------------------------------------------


def test_a_meeting_planned_on_its_page_is_shown_under_planned_on_the_trajectory_page(
    case, client_for
):
    client = client_for("professional")
    url = f"/trajectories/{case.trajectory.pk}/meetings/add/?plan=1"
    assert client.get(url, **EN).status_code == 200
    response = client.post(
        url, {"kind": "evaluation", "planned_for": str(in_days(10)), "notes": "At school"}, **EN
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(trajectory=case.trajectory)
    assert (meeting.status, meeting.planned_for, meeting.held_on) == (
        MeetingStatus.PLANNED,
        in_days(10),
        None,
    )
    page = client.get(f"/trajectories/{case.trajectory.pk}/", **EN)
    assert [m.pk for m in page.context["agenda"]] == [meeting.pk]
    assert page.context["meetings"] == []  # the held meetings: none yet
    assert f'data-planned="{meeting.pk}"' in page.content.decode()
    assert AuditEvent.objects.filter(detail="meeting planned", action="create").exists()


def test_a_meeting_planned_in_the_past_is_refused_on_its_field_and_nothing_is_saved(
    case, client_for
):
    client = client_for("professional")
    response = client.post(
        f"/trajectories/{case.trajectory.pk}/meetings/add/?plan=1",
        {"kind": "evaluation", "planned_for": str(in_days(-1)), "notes": "Kept on the page"},
        **EN,
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["planned_for"] == [PAST_MESSAGE]
    assert form["notes"].value() == "Kept on the page"  # nothing typed is lost
    assert not Meeting.objects.filter(trajectory=case.trajectory).exists()


def test_a_meeting_can_be_planned_for_today(case):
    meeting = plan(case, 0)
    assert meeting.is_planned


def test_a_held_meeting_still_may_not_lie_in_the_future(case):
    with pytest.raises(ValidationError) as refused:
        Meeting.objects.create(
            trajectory=case.trajectory, kind=MeetingKind.EVALUATION, held_on=in_days(1)
        )
    assert messages(refused.value, "held_on") == "This date lies in the future."


def test_a_planned_meeting_whose_day_passed_keeps_its_day_while_its_note_changes(case):
    meeting = plan(case, 3)
    Meeting.objects.filter(pk=meeting.pk).update(planned_for=in_days(-2))  # time went by
    meeting.refresh_from_db()
    meeting.notes = "Moved to the youth's home"
    meeting.save()  # the day already on the agenda may have passed
    meeting.planned_for = in_days(-1)  # a newly given day may not
    with pytest.raises(ValidationError) as refused:
        meeting.save()
    assert messages(refused.value, "planned_for") == PAST_MESSAGE


def test_a_planned_meeting_is_recorded_as_held_with_what_was_said_and_decided(case, client_for):
    meeting = plan(case, 2)
    client = client_for("professional")
    url = f"/trajectories/meetings/{meeting.pk}/"
    assert client.get(url, **EN).status_code == 200
    refused = client.post(
        url,
        {
            "action": "held",
            "held-version": meeting.version,
            "held-held_on": str(in_days(2)),
            "held-decisions": "Typed before the meeting",
        },
        **EN,
    )
    assert refused.context["held_form"].errors["held_on"] == ["This date lies in the future."]
    meeting.refresh_from_db()
    assert meeting.is_planned and meeting.decisions == ""
    response = client.post(
        url,
        {
            "action": "held",
            "held-version": meeting.version,
            "held-held_on": str(today()),
            "held-decisions": "Back to school on Monday",
            "held-youth_view": "I want to try again",
        },
        **EN,
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.status, meeting.held_on, meeting.planned_for) == (
        MeetingStatus.HELD,
        today(),
        in_days(2),
    )
    assert meeting.decisions == "Back to school on Monday"
    assert not meeting.revisions.exists()  # recording a planned meeting is no correction


def test_a_planned_meeting_is_called_off_and_leaves_the_agenda(case, client_for):
    meeting = plan(case, 5)
    client = client_for("professional")
    response = client.post(
        f"/trajectories/meetings/{meeting.pk}/",
        {"action": "cancel", "cancel-version": meeting.version},
        **EN,
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    assert not Meeting.objects.planned().filter(trajectory=case.trajectory).exists()
    page = client.get(f"/trajectories/{case.trajectory.pk}/", **EN)
    assert page.context["agenda"] == [] and page.context["meetings"] == []


def test_the_database_keeps_the_date_held_for_held_meetings_only(case):
    meeting = plan(case, 5)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(held_on=today())


# --- only held meetings count ------------------------------------------------------------


def test_a_planned_evaluation_does_not_count_in_the_evaluation_schedule(make_case):
    case = make_case(started_days_ago=200)
    jim = case.jim(30)
    case.consent(jim, 32)
    plan(case, 3)
    trajectory = Trajectory.objects.with_overview().get(pk=case.trajectory.pk)
    assert trajectory.last_evaluation_on is None
    assert all(e.held_on is None for e in trajectory.evaluations_due())
    assert any(e.status == "overdue" for e in case.trajectory.evaluations_due())


def test_a_planned_consultation_with_the_jim_does_not_open_the_placement_gate(case, world):
    case.jim(30)
    meeting = plan(case, 2, kind=MeetingKind.PLACEMENT, notes="Consult the JIM")
    meeting.add_attendee(AttendeeRole.JIM, name="Tante Marieke")
    draft = PlacementDecision.objects.create(
        trajectory=case.trajectory,
        placement_type=PlacementType.RESIDENTIAL,
        decided_on=case.day(60),
        rationale="Escalating conflict at home.",
        youth_view="I would rather stay with my aunt.",
    )
    with pytest.raises(GateClosed):
        draft.finalise(world.professional)


def test_a_planned_meeting_with_the_jim_does_not_position_the_jim_in_the_evidence(case):
    jim = case.jim(30)
    case.consent(jim, 35)
    meeting = plan(case, 2, kind=MeetingKind.POSITIONING)
    meeting.add_attendee(AttendeeRole.JIM, name="Tante Marieke")
    later = Scope(as_of=in_days(30))
    assert case.trajectory.pk not in positioned_on(later)
    meeting.record_held(held_on=today())  # now it took place
    assert positioned_on(later)[case.trajectory.pk] == today()


def test_the_youths_timeline_shows_held_meetings_only(records, client_for):
    Meeting.plan(records.trajectory, kind=MeetingKind.SCHOOL, on=in_days(4))
    page = client_for("professional").get(f"/youth/{records.youth.pk}/", **EN)
    assert page.status_code == 200
    assert "Meeting: School" not in page.content.decode()
    assert "Meeting: Positioning (kick-off)" in page.content.decode()


def test_the_portal_shows_held_meetings_and_offers_feedback_on_them_only(portal):
    a = portal.a
    Meeting.plan(a.trajectory, kind=MeetingKind.SCHOOL, on=in_days(4), notes="Agenda note")
    youth = signed_in(portal.world.youth_user)
    page = youth.get(f"/portal/{a.youth.pk}/file/meetings/", **EN)
    assert page.status_code == 200
    shown = [m.pk for m in page.context["page"]]
    assert shown == [a.evaluation.pk]
    assert "Agenda note" not in page.content.decode()


# --- the work list ---------------------------------------------------------------------


def test_the_work_list_shows_a_planned_meeting_until_it_is_recorded_as_held(case, client_for):
    meeting = plan(case, 5)
    plan(case, 40)  # beyond the work list's horizon
    client = client_for("professional")
    items = client.get("/home/", **EN).context["work"].items
    planned = [i for i in items if i.what == "Meeting planned: Evaluation"]
    assert [(i.due_on, i.overdue, i.url) for i in planned] == [
        (in_days(5), False, f"/trajectories/meetings/{meeting.pk}/")
    ]
    Meeting.objects.filter(pk=meeting.pk).update(planned_for=in_days(-1))  # its day passed
    items = client.get("/home/", **EN).context["work"].items
    assert [i.overdue for i in items if i.what == "Record the meeting as held: Evaluation"] == [
        True
    ]
    meeting.refresh_from_db()
    meeting.record_held(held_on=today())
    items = client.get("/home/", **EN).context["work"].items
    assert not [i for i in items if "Evaluation" in i.what and "eeting" in i.what]


# --- the API -----------------------------------------------------------------------------


def _post_meeting(records: Records, body: dict) -> object:  # type: ignore[type-arg]
    return Client().post(
        f"/api/v1/trajectories/{records.trajectory.pk}/meetings",
        json.dumps(body),
        content_type="application/json",
        **bearer(records.case.world.professional),
    )


def test_the_api_plans_a_meeting_and_refuses_a_planned_day_in_the_past_on_its_field(records):
    planned = _post_meeting(
        records, {"kind": "evaluation", "status": "planned", "planned_for": str(in_days(9))}
    )
    assert planned.status_code == 201  # type: ignore[attr-defined]
    body = planned.json()  # type: ignore[attr-defined]
    assert (body["status"], body["planned_for"], body["held_on"]) == (
        "planned",
        str(in_days(9)),
        None,
    )
    refused = _post_meeting(
        records, {"kind": "evaluation", "status": "planned", "planned_for": str(in_days(-3))}
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert refused.json()["errors"]["planned_for"] == [PAST_MESSAGE]  # type: ignore[attr-defined]


def test_an_api_create_without_a_status_records_a_held_meeting(records):
    held = _post_meeting(records, {"kind": "school", "held_on": str(today())})
    assert held.status_code == 201  # type: ignore[attr-defined]
    assert held.json()["status"] == "held"  # type: ignore[attr-defined]
    missing = _post_meeting(records, {"kind": "school"})
    assert missing.status_code == 422  # type: ignore[attr-defined]
    assert missing.json()["errors"]["held_on"] == [  # type: ignore[attr-defined]
        "Record the date the meeting was held."
    ]
