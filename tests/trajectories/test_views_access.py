"""Every trajectory page against every persona: the youth's team may, everyone else gets 404."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import ALL_PERSONAS
from tests.trajectories.web_fixtures import close, records  # noqa: F401
from yim.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

TEAM = {"professional", "team_lead"}

PAGES = [
    "/trajectories/{t}/",
    "/trajectories/{t}/referral/",
    "/trajectories/{t}/rounds/start/",
    "/trajectories/{t}/candidates/add/",
    "/trajectories/{t}/no-jim/",
    "/trajectories/{t}/meetings/add/",
    "/trajectories/{t}/care-plan/",
    "/trajectories/{t}/care-plan/goals/add/",
    "/trajectories/{t}/safety-plans/add/",
    "/trajectories/{t}/placements/add/",
    "/trajectories/{t}/close/",
    "/trajectories/candidates/{jim}/",
    "/trajectories/candidates/{jim}/consent/",
    "/trajectories/meetings/{meeting}/",
    "/trajectories/goals/{goal}/",
    "/trajectories/safety-plans/{safety}/",
    "/trajectories/placements/{decision}/",
    "/trajectories/youth/{y}/network/",
    "/trajectories/youth/{y}/network/add/",
    "/trajectories/youth/{y}/network/{person}/",
    "/trajectories/youth/{y}/network/ties/add/",
    "/trajectories/youth/{y}/network/map.svg",
    "/trajectories/youth/{y}/network/map.png",
]


def url(template: str, r) -> str:  # type: ignore[no-untyped-def]
    return template.format(
        t=r.trajectory.pk,
        y=r.youth.pk,
        jim=r.trajectory.active_jim.pk,
        meeting=r.meeting.pk,
        goal=r.plan.goals.get().pk,
        safety=r.safety.pk,
        decision=r.decision.pk,
        person=r.aunt.pk,
    )


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_trajectory_pages_open_for_the_youths_team_only(records, client_for, persona):  # noqa: F811
    client = client_for(persona)
    for template in PAGES:
        response = client.get(url(template, records))
        expected = 200 if persona in TEAM else 404
        assert response.status_code == expected, f"{persona} on {template}"


def test_anonymous_visitors_are_sent_to_sign_in(records):  # noqa: F811
    for template in PAGES:
        response = Client().get(url(template, records))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("persona", sorted(set(ALL_PERSONAS) - TEAM))
def test_nobody_outside_the_team_can_write(records, client_for, persona):  # noqa: F811
    client = client_for(persona)
    before = records.meeting.decisions
    response = client.post(
        f"/trajectories/meetings/{records.meeting.pk}/",
        {
            "action": "meeting",
            "kind": "positioning",
            "held_on": str(records.meeting.held_on),
            "decisions": "Forged",
            "version": records.meeting.version,
        },
    )
    assert response.status_code == 404
    records.meeting.refresh_from_db()
    assert records.meeting.decisions == before


def test_follow_up_pages_follow_the_same_scope(records, client_for):  # noqa: F811
    follow_up = close(records.case)
    path = f"/trajectories/follow-ups/{follow_up.pk}/"
    assert client_for("professional").get(path).status_code == 200
    assert client_for("other_team_professional").get(path).status_code == 404
    assert client_for("jim").get(path).status_code == 404


def test_break_the_glass_reads_the_trajectory_but_does_not_write(records, client_for):  # noqa: F811
    client = client_for("other_team_professional")
    client.post(
        "/youth/break-glass/",
        {"youth_id": records.youth.pk, "reason": "Crisis call at night, file needed now."},
    )
    assert client.get(f"/trajectories/{records.trajectory.pk}/").status_code == 200
    assert client.get(f"/trajectories/youth/{records.youth.pk}/network/").status_code == 200
    event = AuditEvent.objects.filter(youth_id=records.youth.pk, detail="trajectory page").last()
    assert event.capacity == "break_glass" and "Crisis" in event.break_glass_reason
    response = client.post(
        f"/trajectories/{records.trajectory.pk}/phase/",
        {"phase": "closure", "version": records.trajectory.version},
    )
    assert response.status_code == 404
    assert client.get(f"/trajectories/{records.trajectory.pk}/referral/").status_code == 404


def test_the_youth_page_and_the_trajectory_pages_record_the_same_capacity(
    records,  # noqa: F811
    client_for,
):
    """One rule (policy.capacity): a reader from another team acts by break-the-glass, with
    the session's reason, on the youth page and the trajectory pages alike; the youth's own
    team acts in its role."""
    reader = client_for("other_team_professional")
    reader.post(
        "/youth/break-glass/",
        {"youth_id": records.youth.pk, "reason": "Crisis call at night, file needed now."},
    )
    own = client_for("professional")
    rows = []
    for client in (reader, own):
        for path in (f"/youth/{records.youth.pk}/", f"/trajectories/{records.trajectory.pk}/"):
            assert client.get(path).status_code == 200
            event = AuditEvent.objects.filter(youth_id=records.youth.pk).latest("id")
            rows.append((event.capacity, event.break_glass_reason))
    reason = "Crisis call at night, file needed now."
    assert rows == [
        ("break_glass", reason),
        ("break_glass", reason),
        ("professional", ""),
        ("professional", ""),
    ]


def test_every_page_view_is_audited_with_the_youth(records, client_for):  # noqa: F811
    client = client_for("professional")
    for template in PAGES:
        before = AuditEvent.objects.filter(youth_id=records.youth.pk).count()
        client.get(url(template, records))
        after = AuditEvent.objects.filter(youth_id=records.youth.pk).count()
        assert after == before + 1, template


def test_the_youth_page_shows_the_trajectory_to_staff_but_not_to_portal_users(records, client_for):  # noqa: F811
    staff = client_for("team_lead").get(f"/youth/{records.youth.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert staff.status_code == 200
    assert staff.context["jim"].person == records.aunt
    assert [t.text for t in staff.context["tasks"]]
    assert b'class="network-map"' in staff.content
    # The world's portal users are linked to the world's own youth file; the staff page is
    # not theirs at all (they have the portal).
    for persona in ("youth_user", "jim", "parent"):
        portal = client_for(persona).get(f"/youth/{records.case.world.youth_file.pk}/")
        assert portal.status_code == 404, persona


def test_the_team_overview_is_in_the_navigation_of_staff_with_a_team(world, client_for):
    for persona in ALL_PERSONAS:
        response = client_for(persona).get("/home/")
        names = [name for name, _label in response.context["nav_items"]]
        assert ("trajectories:overview" in names) == (
            persona in TEAM | {"other_team_professional", "foreign_professional"}
        ), persona


def test_intake_is_for_professionals_and_team_leads_only(world, client_for):
    for persona in ALL_PERSONAS:
        status = client_for(persona).get("/trajectories/intake/").status_code
        expected = (
            200 if persona in TEAM | {"other_team_professional", "foreign_professional"} else 404
        )
        assert status == expected, persona
