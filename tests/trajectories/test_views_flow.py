"""A whole trajectory through the web pages, as a professional records it (Django test client).

Every step goes through the real URLs, forms and models; the assertions check what was
stored and that each write was audited. The browser version of this walk is in
tests/browser/test_trajectory_walk.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yim.audit.models import AuditEvent
from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import (
    Candidate,
    DecisionStatus,
    FollowUp,
    Meeting,
    NetworkPerson,
    Phase,
    PlacementDecision,
    Response,
    Trajectory,
    Youth,
)

pytestmark = pytest.mark.django_db


def iso(day: dt.date) -> str:
    return day.isoformat()


def post_ok(client, url: str, data: dict) -> None:
    response = client.post(url, data)
    if response.status_code != 302:
        form = response.context.get("form") if response.context else None
        errors = form.errors if form is not None else response.content[:2000]
        raise AssertionError(f"POST {url} was not accepted: {errors}")


def intake(client, *, born: dt.date, name: str = "Robin K.") -> Trajectory:
    programme = ProgrammeModel.standard("indicated")
    post_ok(
        client,
        "/trajectories/intake/",
        {
            "display_name": name,
            "date_of_birth": iso(born),
            "gender": "",
            "school_work_status": "school",
            "living_situation": "one_parent",
            "programme": programme.pk,
            "referred_on": iso(timezone.localdate()),
            "referral_source": "neighbourhood_team",
            "referral_reason": "Residential placement requested after a crisis at home.",
            "requested_placement": "residential",
            "placement_basis": "requested",
        },
    )
    return Trajectory.objects.get(youth__display_name=name)


def add_person(client, youth: Youth, name: str, relation: str, **extra) -> NetworkPerson:
    data = {
        "display_name": name,
        "relation": relation,
        "age_band": "40_64",
        "contact_frequency": "weekly",
        "trust": "4",
        "conflict": "",
        "note": "",
        **extra,
    }
    post_ok(client, f"/trajectories/youth/{youth.pk}/network/add/", data)
    return NetworkPerson.objects.get(youth=youth, display_name=name)


def move(client, trajectory: Trajectory, phase: str) -> None:
    trajectory.refresh_from_db()
    post_ok(
        client,
        f"/trajectories/{trajectory.pk}/phase/",
        {"phase": phase, "note": "", "version": trajectory.version},
    )
    trajectory.refresh_from_db()
    assert trajectory.phase == phase


def test_a_professional_records_a_whole_trajectory_through_the_pages(world, client_for):
    client = client_for("professional")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages are checked on their msgids
    today = timezone.localdate()
    trajectory = intake(client, born=today.replace(year=today.year - 17) - dt.timedelta(days=40))
    youth = trajectory.youth
    assert youth.team == world.team_a and trajectory.phase == Phase.REFERRAL

    move(client, trajectory, Phase.NETWORK_EXPLORATION)
    aunt = add_person(
        client, youth, "Tante Ria", "aunt_uncle", trust="5", contact_frequency="daily"
    )
    coach = add_person(client, youth, "Coach Bram", "coach")
    add_person(client, youth, "Moeder", "parent")
    add_person(client, youth, "Buurvrouw Els", "neighbour", trust="3")
    post_ok(
        client,
        f"/trajectories/youth/{youth.pk}/network/ties/add/",
        {"person_a": aunt.pk, "person_b": coach.pk, "note": ""},
    )
    page = client.get(f"/trajectories/youth/{youth.pk}/network/")
    assert page.status_code == 200 and page.content.count(b'class="person') == 4

    move(client, trajectory, Phase.CANDIDATES)
    post_ok(client, f"/trajectories/{trajectory.pk}/rounds/start/", {"started_on": iso(today)})
    for person in (coach, aunt):
        post_ok(
            client,
            f"/trajectories/{trajectory.pk}/candidates/add/",
            {"person": person.pk, "named_on": iso(today), "asked_on": ""},
        )
    declined = Candidate.objects.get(person=coach)
    accepted = Candidate.objects.get(person=aunt)
    post_ok(
        client,
        f"/trajectories/candidates/{declined.pk}/",
        {
            "action": "response",
            "version": declined.version,
            "response": "declined",
            "asked_on": iso(today),
            "response_on": iso(today),
            "decline_reason": "Too busy with his own family.",
        },
    )
    post_ok(
        client,
        f"/trajectories/candidates/{accepted.pk}/",
        {
            "action": "response",
            "version": accepted.version,
            "response": "accepted",
            "asked_on": iso(today),
            "response_on": iso(today),
            "decline_reason": "",
        },
    )
    assert trajectory.active_jim == accepted

    move(client, trajectory, Phase.CONSENT)
    post_ok(
        client,
        f"/trajectories/candidates/{accepted.pk}/consent/",
        {
            "party": "youth",
            "parent_name": "",
            "decision": "yes",
            "given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "note": "",
        },
    )
    move(client, trajectory, Phase.POSITIONING)
    post_ok(
        client,
        f"/trajectories/{trajectory.pk}/meetings/add/",
        {
            "kind": "positioning",
            "held_on": iso(today),
            "youth_view": "I want Ria to be there when school calls.",
            "jim_input": "Ria offers Wednesday afternoons.",
            "decisions": "Ria is the JIM; weekly contact.",
            "notes": "",
        },
    )
    meeting = Meeting.objects.get(trajectory=trajectory, kind="positioning")
    assert meeting.youth_view.startswith("I want") and meeting.jim_input.startswith("Ria offers")
    post_ok(
        client,
        f"/trajectories/meetings/{meeting.pk}/",
        {
            "action": "attendee",
            "attendee-role": "jim",
            "attendee-name": "Ria",
            "attendee-present": "on",
        },
    )
    assert meeting.attendees.count() == 1

    move(client, trajectory, Phase.COLLABORATION)
    post_ok(
        client,
        f"/trajectories/{trajectory.pk}/meetings/add/",
        {
            "kind": "evaluation",
            "held_on": iso(today),
            "youth_view": "Going better.",
            "jim_input": "",
        },
    )
    post_ok(
        client,
        f"/trajectories/{trajectory.pk}/placements/add/",
        {
            "placement_type": "residential",
            "decided_on": iso(today),
            "rationale": "Escalation at home.",
            "youth_view": "I do not want to leave.",
            "options_considered": "",
            "no_jim_reason": "",
        },
    )
    decision = PlacementDecision.objects.get(trajectory=trajectory)
    url = f"/trajectories/placements/{decision.pk}/"
    blocked = client.post(url, {"action": "finalise", "version": decision.version})
    assert blocked.status_code == 200
    assert "cannot be finalised before the JIM has been consulted" in blocked.content.decode()
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.DRAFT
    post_ok(
        client,
        url,
        {
            "action": "consultation",
            "consultation-consulted_on": iso(today),
            "consultation-advice": "Let her stay with me for the weekends first.",
            "consultation-weighing": "Adopted: weekend stays before any placement.",
        },
    )
    decision.refresh_from_db()
    post_ok(client, url, {"action": "finalise", "version": decision.version, "confirmed": "1"})
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.FINALISED

    trajectory.refresh_from_db()
    post_ok(
        client,
        f"/trajectories/{trajectory.pk}/close/",
        {
            "version": trajectory.version,
            "closed_on": iso(today),
            "reason": "goals_achieved",
            "jim_relationship": "continuing",
            "note": "",
            "confirmed": "1",
        },
    )
    trajectory.refresh_from_db()
    assert trajectory.is_closed and trajectory.follow_ups.count() == 3
    follow_up = FollowUp.objects.get(trajectory=trajectory, months=6)
    post_ok(
        client,
        f"/trajectories/follow-ups/{follow_up.pk}/",
        {
            "version": follow_up.version,
            "done_on": iso(today),
            "jim_contact_continues": "yes",
            "contact_frequency": "weekly",
            "placement_after_all": "no",
            "placement_type": "",
            "note": "",
        },
    )
    trajectory.refresh_from_db()
    assert trajectory.phase == Phase.FOLLOW_UP

    page = client.get(f"/youth/{youth.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    kinds = [event.kind for event in page.context["timeline"]]
    assert {"phase", "nomination", "consent", "meeting", "decision", "closure", "follow_up"} <= set(
        kinds
    )
    assert page.context["jim"] == accepted
    writes = AuditEvent.objects.filter(youth_id=youth.pk, action__in=["create", "update"])
    assert writes.count() >= 20
    assert Candidate.objects.get(pk=declined.pk).response == Response.DECLINED
