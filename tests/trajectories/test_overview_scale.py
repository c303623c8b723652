"""The team overview at scale: the order and the filters computed from narrow values give
the same pages as judging every trajectory as a row, in a number of queries that does not
grow with the trajectories (nor on the youth and trajectory pages)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import make_user
from tests.trajectories.test_views_overview import populate
from yim.accounts.models import Role
from yim.programmes.phases import phase_index
from yim.trajectories.models import Meeting, MeetingKind, PlacementDecision, Trajectory
from yim.trajectories.overview_rows import (
    OverviewRow,
    overview_order,
    overview_queryset,
    overview_row,
)

pytestmark = pytest.mark.django_db

SORTS = ["youth", "phase", "days_in_phase", "time_to_mentor", "next_evaluation", "professional"]


def reference_key(sort: str) -> Callable[[OverviewRow], Any]:
    """The order the overview had when it judged every trajectory as a row."""
    keys: dict[str, Callable[[OverviewRow], Any]] = {
        "youth": lambda r: (r.trajectory.youth.display_name.casefold(), r.trajectory.pk),
        "phase": lambda r: (phase_index(r.trajectory.phase), r.trajectory.pk),
        "days_in_phase": lambda r: (r.days_in_phase, r.trajectory.pk),
        "time_to_mentor": lambda r: (
            r.days_to_mentor is None,
            r.days_to_mentor or 0,
            r.trajectory.pk,
        ),
        "next_evaluation": lambda r: (r.next_evaluation or dt.date.max, r.trajectory.pk),
        "professional": lambda r: (str(r.trajectory.professional).casefold(), r.trajectory.pk),
    }
    return keys[sort]


def a_varied_caseload(world, indicated, make_case) -> None:  # type: ignore[no-untyped-def]
    """Open and closed trajectories of two professionals, with evaluations held on time, late
    and not at all, JIMs found after different times, phases moved on, and an emergency
    placement whose JIM consultation is overdue and which waits for confirmation."""
    colleague = make_user("Colleague", Role.PROFESSIONAL, world.org, world.team_a)
    colleague.first_name = "Ädam"
    colleague.save()
    populate(world, indicated, 24)
    populate(world, indicated, 12, prof=colleague, start_index=24)
    for days, found in [(300, 20), (200, 90), (120, 45), (60, None)]:
        case = make_case(started_days_ago=days)
        case.explore()
        if found is not None:
            case.jim(offset=found)
        for offset in (95, 200, 290):  # on time, then late: one schedule runs behind
            if offset < days:
                Meeting.objects.create(
                    trajectory=case.trajectory,
                    kind=MeetingKind.EVALUATION,
                    held_on=case.day(offset),
                )
    urgent = Trajectory.objects.get(youth__display_name="Jongere 020")
    emergency = PlacementDecision.objects.create(
        trajectory=urgent,
        placement_type="foster_care",
        decided_on=timezone.localdate() - dt.timedelta(days=10),
        rationale="Unsafe tonight",
        youth_view="Scared",
        is_emergency=True,
    )
    emergency.finalise(world.professional)


def test_the_overview_order_and_filters_equal_those_of_the_rows_for_every_combination(
    world, indicated, make_case
):
    a_varied_caseload(world, indicated, make_case)
    lead = world.team_lead
    now, as_of = timezone.now(), timezone.localdate()
    rows = [overview_row(t, now, as_of) for t in overview_queryset(lead, as_of)]
    assert any(r.evaluation_overdue for r in rows) and any(r.consultation_overdue for r in rows)
    assert any(r.days_to_mentor is not None for r in rows)
    for sort, descending, overdue, unconfirmed, closed in itertools.product(
        SORTS, [False, True], [False, True], [False, True], [False, True]
    ):
        expected = [r for r in rows if closed or r.trajectory.closed_at is None]
        if overdue:
            expected = [r for r in expected if r.anything_overdue]
        if unconfirmed:
            expected = [r for r in expected if r.emergency_unconfirmed]
        expected.sort(key=reference_key(sort), reverse=descending)
        trajectories = overview_queryset(lead, as_of)
        if not closed:
            trajectories = trajectories.filter(closed_at__isnull=True)
        ids = overview_order(  # a query (the default sort) or a list
            trajectories,
            now=now,
            as_of=as_of,
            sort=sort,
            descending=descending,
            overdue=overdue,
            unconfirmed=unconfirmed,
        )
        assert list(ids) == [r.trajectory.pk for r in expected], (sort, descending, overdue, closed)


def queries_of(client, path: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?overdue=on",
        "?unconfirmed=on&closed=on",
        "?sort=time_to_mentor&descending=on",
        "?sort=professional&page=2",
        "?sort=youth&overdue=on&closed=on",
    ],
)
def test_the_overview_page_takes_as_many_queries_for_5_as_for_50_trajectories(
    world, indicated, client_for, query
):
    client = client_for("team_lead")
    populate(world, indicated, 5)
    path = f"/trajectories/overview/{query}"
    small = queries_of(client, path)
    populate(world, indicated, 45, start_index=5)
    assert queries_of(client, path) == small


@pytest.mark.parametrize(
    ("asked", "shown"), [("", 1), ("2", 2), ("abc", 1), ("0", 3), ("-1", 3), ("99", 3)]
)
def test_the_default_order_is_paged_as_the_paginator_pages_a_list(
    world, indicated, client_for, asked, shown
):
    """The default order is counted in the query that reads its page; the pages, the total
    and what an odd page number gives are those of Django's paginator over the whole order."""
    populate(world, indicated, 60)
    response = client_for("team_lead").get(f"/trajectories/overview/?closed=on&page={asked}")
    now, as_of = timezone.now(), timezone.localdate()
    order = list(overview_order(overview_queryset(world.team_lead, as_of), now=now, as_of=as_of))
    expected = Paginator(order, 25).get_page(asked or None)
    page = response.context["page"]
    assert (page.number, page.paginator.num_pages, response.context["total"]) == (
        expected.number,
        expected.paginator.num_pages,
        60,
    )
    assert page.number == shown
    assert [r.trajectory.pk for r in response.context["rows"]] == list(expected.object_list)


def test_an_empty_overview_has_one_empty_page(world, client_for):
    response = client_for("team_lead").get("/trajectories/overview/")
    assert response.status_code == 200
    assert response.context["total"] == 0 and response.context["rows"] == []
    assert response.context["page"].paginator.num_pages == 1


def test_the_second_page_shows_the_26th_to_50th_trajectories_of_the_order(
    world, indicated, client_for
):
    populate(world, indicated, 60)
    response = client_for("team_lead").get("/trajectories/overview/?closed=on&page=2")
    now, as_of = timezone.now(), timezone.localdate()
    order = overview_order(overview_queryset(world.team_lead, as_of), now=now, as_of=as_of)
    assert response.context["total"] == 60
    assert [r.trajectory.pk for r in response.context["rows"]] == list(order)[25:50]


def test_the_stored_next_evaluation_equals_the_schedules_on_any_later_day_for_random_histories():
    """What the facts store for an open trajectory is the schedule's first due date not met,
    and it is the same on every day from the last evaluation held on (evaluations are never
    recorded as held in the future): overdue exactly when that day has come."""
    import calendar
    from random import Random

    from yim.trajectories import rules

    rng = Random(2026)
    for _ in range(3000):
        start = dt.date(2026, 6, 17) - dt.timedelta(days=rng.randint(0, 1500))
        if rng.random() < 0.3:  # month ends: where adding months clips the day
            start = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        held = [start + dt.timedelta(days=rng.randint(-30, 1600)) for _ in range(rng.randint(0, 8))]
        interval = rng.choice([1, 3, 6, 12])
        stored = rules.next_evaluation_due(start, held, interval)
        last = max([start, *held])
        for as_of in (last, last + dt.timedelta(days=rng.randint(1, 800))):
            schedule = rules.evaluation_schedule(start, held, interval, as_of)
            first = next(e.due_on for e in schedule if e.status in ("overdue", "upcoming"))
            overdue = any(e.is_overdue for e in schedule)
            assert (stored, stored <= as_of) == (first, overdue), (start, held, interval, as_of)


def a_file(make_case, people: int):  # type: ignore[no-untyped-def]
    """A youth whose network holds ``people`` people (plus the JIM), each asked and
    declining before the JIM accepted, with as many evaluations held."""
    from yim.trajectories.models import Response

    case = make_case()
    case.explore()
    round_ = case.trajectory.start_round(on=case.day(10))
    for i in range(people):
        candidate = round_.add_candidate(case.person(f"Buur {i}"), named_on=case.day(10))
        candidate.record_response(
            Response.DECLINED, case.day(12), asked_on=case.day(11), decline_reason="Too busy"
        )
        Meeting.objects.create(
            trajectory=case.trajectory, kind=MeetingKind.EVALUATION, held_on=case.day(40 + i)
        )
    case.jim(offset=20)
    return case


@pytest.mark.parametrize("page", ["youth", "trajectory"])
def test_the_case_pages_take_as_many_queries_for_a_small_as_for_a_large_file(
    make_case, client_for, page
):
    client = client_for("team_lead")
    counts = []
    for people in (1, 12):
        case = a_file(make_case, people)
        path = (
            f"/youth/{case.youth.pk}/"
            if page == "youth"
            else f"/trajectories/{case.trajectory.pk}/"
        )
        counts.append(queries_of(client, path))
    assert counts[0] == counts[1]
