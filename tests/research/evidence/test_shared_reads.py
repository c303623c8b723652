"""The summary reads each table once and shares the rows between definitions: the shared
reads give exactly what the single-purpose definitions give, on the hand-made cohort of
conftest.py and on every day its events change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.research.evidence.conftest import AS_OF, D, at
from yim.research.evidence import definitions as d
from yim.research.evidence.definitions import Scope
from yim.research.evidence.summary import summarise
from yim.trajectories.models import Cohort, Trajectory

pytestmark = pytest.mark.django_db

DAYS = (D(2025, 3, 1), D(2025, 6, 1), D(2025, 7, 1), D(2026, 1, 3), AS_OF, dt.date(2026, 6, 17))


def test_the_closures_read_with_the_searches_are_the_closures_by_the_day(cohort, world):
    seen = 0
    for day in DAYS:
        scope = Scope(day)
        with CaptureQueriesContext(connection) as queries:
            found, closures = d.searches_and_closures(scope)
        assert len(queries) == 1
        assert found == d.searches(scope)
        expected = {
            t.pk: t.closure.jim_relationship
            for t in Trajectory.objects.filter(cohort=Cohort.JIM, referred_on__lte=day)
            if hasattr(t, "closure") and t.closure.closed_on <= day
        }
        assert closures == expected
        assert d.continuation(scope, closures=closures) == d.continuation(scope)
        seen += len(closures)
    assert seen  # the cohort has closures on some of the days


def test_the_gate_query_counts_the_decisions_without_a_recorded_outcome(cohort, world):
    t = cohort.trajectory("U", D(2025, 9, 1))
    decision = cohort.decision(t, D(2025, 11, 1), no_jim_reason="No JIM yet.")
    decision.finalise(by=world.professional, at=at(D(2025, 11, 1), 12))  # no outcome recorded
    seen = 0
    for day in DAYS:
        scope = Scope(day, organisation_id=world.org.pk)
        gate, not_recorded = d.gate_and_not_recorded(scope)
        assert gate == d.gate(scope)
        assert not_recorded == d.placements_not_recorded(scope)
        seen += not_recorded
    assert seen  # the cohort has decisions without a recorded outcome on some of the days


def test_a_decision_finalised_at_half_past_midnight_is_not_recorded_from_its_amsterdam_day(
    registry, world
):
    t = registry.trajectory("M", D(2026, 1, 5))
    decision = registry.decision(t, D(2026, 3, 1), no_jim_reason="No JIM yet.")
    decision.finalise(by=world.professional, at=at(D(2026, 3, 2), 0, 30))  # 23:30 UTC, 1 March
    assert d.gate_and_not_recorded(Scope(D(2026, 3, 1)))[1] == 0
    gate, not_recorded = d.gate_and_not_recorded(Scope(D(2026, 3, 2)))
    assert (gate["regular"]["n"], not_recorded) == (1, 1)
    figures = summarise(Scope(D(2026, 3, 2)), threshold=1)
    assert figures["ambulatory"]["placements_not_recorded"] == 1


def test_the_summary_reads_each_table_once_and_the_feedback_in_two_parts(cohort):
    with CaptureQueriesContext(connection) as queries:
        summarise(Scope(AS_OF), threshold=1)
    # searches with closures and the stored facts (first acceptance, first "no JIM found",
    # JIM positioned), follow-ups, decisions, placement episodes, feedback forms, scores
    assert len(queries) == 6
