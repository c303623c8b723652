"""The team overview: right rows, filters, sorting, pages — in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import ALL_PERSONAS, make_user
from tests.trajectories.conftest import at
from yim.accounts.models import Role
from yim.trajectories.models import Meeting, MeetingKind, Phase, Trajectory, Youth

pytestmark = pytest.mark.django_db


def populate(world, indicated, n: int, *, team=None, prof=None, start_index: int = 0) -> None:  # type: ignore[no-untyped-def]
    """``n`` trajectories started 1–200 days ago; every third had an evaluation, every
    seventh is closed."""
    team = team or world.team_a
    prof = prof or world.professional
    today = timezone.localdate()
    for i in range(start_index, start_index + n):
        youth = Youth.objects.create(
            organisation=team.organisation,
            team=team,
            professional=prof,
            display_name=f"Jongere {i:03d}",
            date_of_birth=dt.date(2010, 1, 1),
        )
        start = today - dt.timedelta(days=1 + i % 200)
        trajectory = Trajectory.start(
            youth=youth,
            programme=indicated,
            professional=prof,
            referred_on=start,
            referral_source="school",
            referral_reason="r",
            at=at(start, 9),
        )
        if i % 3 == 0 and i % 200 > 40:
            Meeting.objects.create(
                trajectory=trajectory,
                kind=MeetingKind.EVALUATION,
                held_on=start + dt.timedelta(days=30),
            )
        if i % 7 == 0:
            trajectory.close(reason="moved", jim_relationship="no_jim", at=at(today, 8))


def count_queries(client, path: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_query_count_does_not_grow_from_10_to_300_trajectories(
    world, indicated, client_for, django_assert_max_num_queries
):
    client = client_for("team_lead")
    populate(world, indicated, 10)
    path = "/trajectories/overview/?closed=on&sort=days_in_phase"
    small = count_queries(client, path)
    populate(world, indicated, 290, start_index=10)
    large = count_queries(client, path)
    assert small == large
    with django_assert_max_num_queries(small):
        response = client.get(path)
    assert response.context["total"] == 300
    assert len(response.context["rows"]) == 25
    assert response.context["page"].paginator.num_pages == 12


def test_open_trajectories_are_listed_by_default_and_closed_ones_on_request(
    world, indicated, client_for
):
    populate(world, indicated, 14)
    client = client_for("professional")
    assert client.get("/trajectories/overview/").context["total"] == 12
    assert client.get("/trajectories/overview/?closed=on").context["total"] == 14


def test_the_overview_shows_days_in_phase_and_overdue_evaluations(world, indicated, client_for):
    populate(world, indicated, 1, start_index=99)  # started 100 days ago, no evaluation
    populate(world, indicated, 1, start_index=19)  # started 20 days ago
    rows = client_for("team_lead").get("/trajectories/overview/?sort=youth").context["rows"]
    by_name = {r.trajectory.youth.display_name: r for r in rows}
    old, new = by_name["Jongere 099"], by_name["Jongere 019"]
    assert old.days_in_phase == 100 and new.days_in_phase == 20
    assert old.evaluation_overdue and not new.evaluation_overdue
    assert old.next_evaluation == old.trajectory.next_evaluation_due()
    only_overdue = client_for("team_lead").get("/trajectories/overview/?overdue=on")
    assert [r.trajectory.youth.display_name for r in only_overdue.context["rows"]] == [
        "Jongere 099"
    ]


def test_filters_by_phase_and_professional_and_sorts_both_ways(world, indicated, client_for):
    colleague = make_user("colleague", Role.PROFESSIONAL, world.org, world.team_a)
    populate(world, indicated, 3)
    populate(world, indicated, 2, prof=colleague, start_index=3)
    moved = Trajectory.objects.get(youth__display_name="Jongere 001")
    moved.advance_to(Phase.NETWORK_EXPLORATION)
    client = client_for("team_lead")
    phase = client.get("/trajectories/overview/?phase=network_exploration").context["rows"]
    assert [r.trajectory.pk for r in phase] == [moved.pk]
    mine = client.get(f"/trajectories/overview/?professional={colleague.pk}").context["rows"]
    assert {r.trajectory.professional_id for r in mine} == {colleague.pk}
    assert len(mine) == 2
    up = client.get("/trajectories/overview/?sort=youth").context["rows"]
    down = client.get("/trajectories/overview/?sort=youth&descending=on").context["rows"]
    names = [r.trajectory.youth.display_name for r in up]
    assert names == sorted(names)
    assert [r.trajectory.youth.display_name for r in down] == names[::-1]


def test_only_the_own_teams_trajectories_are_shown(world, indicated, client_for):
    populate(world, indicated, 2)
    populate(
        world, indicated, 3, team=world.team_b, prof=world.other_team_professional, start_index=2
    )
    path = "/trajectories/overview/?closed=on"
    assert client_for("professional").get(path).context["total"] == 2
    assert client_for("other_team_professional").get(path).context["total"] == 3
    assert client_for("foreign_professional").get(path).context["total"] == 0


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_the_overview_is_for_staff_with_a_team(world, client_for, persona):
    status = client_for(persona).get("/trajectories/overview/").status_code
    staff = {"professional", "team_lead", "other_team_professional", "foreign_professional"}
    assert status == (200 if persona in staff else 404)


def test_emergency_placements_awaiting_confirmation_are_flagged_and_filtered(
    world, indicated, client_for
):
    from yim.trajectories.models import PlacementDecision

    populate(world, indicated, 3)
    urgent = Trajectory.objects.get(youth__display_name="Jongere 001")
    emergency = PlacementDecision.objects.create(
        trajectory=urgent,
        placement_type="foster_care",
        decided_on=timezone.localdate(),
        rationale="Unsafe tonight",
        youth_view="Scared",
        is_emergency=True,
    )
    emergency.finalise(world.professional)
    lead = client_for("team_lead")
    response = lead.get("/trajectories/overview/?unconfirmed=on")
    assert [r.trajectory.pk for r in response.context["rows"]] == [urgent.pk]
    assert b'data-flag="unconfirmed"' in response.content
    emergency.confirm_emergency(by=world.team_lead)
    assert lead.get("/trajectories/overview/?unconfirmed=on").context["total"] == 0
    assert lead.get("/trajectories/overview/").context["total"] == 2  # 000 is closed
