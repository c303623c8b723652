"""The Start page's work list at scale: set-based, so the number of queries does not grow
with the open trajectories (for a professional's caseload and a team lead's team alike), and
the content is the same as judging every open trajectory as a team-overview row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from tests.trajectories.conftest import Case, indicated, make_case  # noqa: F401 - fixtures
from tests.trajectories.test_overview_scale import a_varied_caseload
from yim.trajectories.models import Meeting, MeetingKind, PlacementDecision, Response
from yim.trajectories.overview_rows import overview_queryset, overview_row
from yim.web.worklist import SOON_DAYS, work_list

pytestmark = pytest.mark.django_db


def busy(case: Case, index: int, world: Any) -> None:
    """An open trajectory with something of every kind to do: an overdue evaluation (it
    started 200 days ago), a planned meeting, an emergency placement to confirm whose JIM
    consultation is overdue, and a candidate's answer to record (even) or consent to record
    for the JIM (odd)."""
    case.explore()
    round_ = case.trajectory.start_round(on=case.day(10))
    candidate = round_.add_candidate(case.person(f"Kandidaat {index}"), named_on=case.day(10))
    if index % 2:
        candidate.record_response(Response.ACCEPTED, case.day(20), asked_on=case.day(15))
    Meeting.plan(case.trajectory, kind=MeetingKind.SCHOOL, on=timezone.localdate())
    emergency = PlacementDecision.objects.create(
        trajectory=case.trajectory,
        placement_type="foster_care",
        decided_on=timezone.localdate() - dt.timedelta(days=10),
        rationale="Unsafe tonight",
        youth_view="Scared",
        is_emergency=True,
    )
    emergency.finalise(world.professional)


def queries(user: Any) -> tuple[int, int]:
    """(queries, items) of the user's work list."""
    with CaptureQueriesContext(connection) as captured:
        work = work_list(user)
    assert work is not None
    return len(captured), len(work.items) + work.more


def test_the_work_list_takes_as_many_queries_for_30_open_trajectories_as_for_3(world, make_case):  # noqa: F811
    built = 0

    def grow(to: int) -> None:
        nonlocal built
        for index in range(built, to):
            busy(make_case(started_days_ago=200), index, world)
        built = to

    grow(3)
    few = {who: queries(world.persona(who)) for who in ("professional", "team_lead")}
    grow(30)
    many = {who: queries(world.persona(who)) for who in ("professional", "team_lead")}
    for who in few:
        assert many[who][0] == few[who][0], (who, few[who][0], many[who][0])
        assert many[who][1] > few[who][1]  # the same queries, for more to do
    # Every kind of item is there: 5 per professional's trajectory, 2 per team lead's.
    assert many["professional"][1] == 30 * 5
    assert many["team_lead"][1] == 30 * 2


def reference(user: Any, as_of: dt.date) -> tuple[list[tuple[str, str, Any, bool]], dict]:
    """What the work list read of its rows when it judged every open trajectory as a team
    overview row: the items of the rows (emergency, consultation, evaluation) and the figures."""
    trajectories = overview_queryset(user, as_of).filter(closed_at__isnull=True)
    lead = user.role == "team_lead"
    if not lead:
        trajectories = trajectories.filter(professional=user)
    rows = [overview_row(t, timezone.now(), as_of) for t in trajectories.order_by("pk")]
    soon = as_of + dt.timedelta(days=SOON_DAYS)
    items = []
    for row in rows:
        name = row.trajectory.youth.display_name
        if row.emergency_unconfirmed:
            items.append((name, "Confirm the emergency placement", None, True))
        if row.consultation_overdue:
            items.append((name, "Consult the JIM about the emergency placement", None, True))
        if (
            not lead
            and row.next_evaluation
            and (row.evaluation_overdue or row.next_evaluation <= soon)
        ):
            items.append((name, "Evaluation", row.next_evaluation, row.evaluation_overdue))
    figures = {
        "open": len(rows),
        "with_jim": sum(1 for r in rows if r.days_to_mentor is not None),
        "overdue": sum(1 for r in rows if r.anything_overdue),
    }
    return items, figures


ROW_ITEMS = {
    "Confirm the emergency placement",
    "Consult the JIM about the emergency placement",
    "Evaluation",
}


@pytest.mark.parametrize("offset", [0, 30, 61, 200])
def test_the_work_list_says_what_the_team_overview_rows_say(world, indicated, make_case, offset):  # noqa: F811
    a_varied_caseload(world, indicated, make_case)
    as_of = timezone.localdate() + dt.timedelta(days=offset)
    for who in ("professional", "team_lead"):
        user = world.persona(who)
        expected_items, expected_figures = reference(user, as_of)
        with translation.override("en"):
            work = work_list(user, as_of)
        assert work is not None and work.more == 0, who  # the whole list, nothing cut off
        items = [(i.youth, i.what, i.due_on, i.overdue) for i in work.items if i.what in ROW_ITEMS]
        assert sorted(items, key=repr) == sorted(expected_items, key=repr), (who, offset)
        assert work.figures == expected_figures, (who, offset)
    assert expected_items, "the caseload gives the rows something to do"
