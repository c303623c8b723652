"""The outcome definitions on the hand-made cohort of conftest.py, every figure worked out by
hand; comparison trajectories never counted; events after ``as_of`` ignored."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.research.evidence.conftest import AS_OF, D, Registry, at
from tests.security.test_concurrency import shared_database, thread_connection  # noqa: F401
from yim.research.evidence import definitions as d
from yim.research.evidence.definitions import Scope, Tally
from yim.research.evidence.summary import KEYS, summarise

pytestmark = pytest.mark.django_db


def by_name(cohort: Registry, searches: list[d.Search]) -> dict[str, d.Search]:
    names = {t.pk: name for name, t in cohort.trajectories.items()}
    return {names[s.trajectory_id]: s for s in searches}


def test_time_to_jim_runs_from_referral_to_the_first_acceptance_with_no_jim_competing(cohort):
    found = by_name(cohort, d.searches(Scope(AS_OF)))
    # Only the ten JIM-cohort trajectories referred by AS_OF: not the comparison one,
    # not the one referred on 5 June, and (no team given) the foreign one is in.
    assert set(found) == {f"T{i}" for i in range(1, 11)} | {"FOREIGN"}
    observed = {name: (s.status, s.days) for name, s in found.items()}
    assert observed == {
        "T1": (1, 10), "T2": (1, 20), "T3": (2, 25), "T4": (1, 30),
        "T5": (0, 35),  # closed without a JIM or "no JIM found": censored at closure
        "T6": (1, 45), "T7": (2, 50), "T8": (1, 60), "T9": (1, 80),
        "T10": (0, 151),  # the JIM of 10 June comes after AS_OF: censored on AS_OF
        "FOREIGN": (0, 120),  # 1 February to 1 June
    }  # fmt: skip


def test_the_durations_come_in_one_query_whatever_the_number_of_trajectories(cohort):
    with CaptureQueriesContext(connection) as queries:
        d.searches(Scope(AS_OF))
    assert len(queries) == 1


def test_as_of_today_the_later_events_count(cohort, world):
    found = by_name(cohort, d.searches(Scope(dt.date(2026, 6, 17), team_id=world.team_a.pk)))
    assert found["T10"].status == d.JIM_FOUND and found["T10"].days == 160
    assert "LATE" in found and found["LATE"].days == 3
    assert "FOREIGN" not in found


def test_the_summary_of_the_hand_made_cohort_is_worked_out_by_hand(cohort, world):
    figures = summarise(Scope(AS_OF, team_id=world.team_a.pk), threshold=1)
    assert tuple(figures) == KEYS
    assert figures["n_trajectories"] == 10
    ttj = figures["time_to_jim"]
    assert (ttj["n_found"], ttj["n_no_jim"], ttj["n_censored"]) == (6, 2, 2)
    # Kaplan–Meier, "no JIM" censored. Sorted: 10e 20e 25c 30e 35c 45e 50c 60e 80e 151c.
    #   S(10) = 9/10 = .9;  S(20) = .9·8/9 = .8;  (25 censored: 7 at risk)
    #   S(30) = .8·6/7 = .6857;  (35 censored: 5 at risk)  S(45) = .6857·4/5 = .5486
    #   (50 censored: 3 at risk)  S(60) = .5486·2/3 = .3657  → first below 0.5: day 60.
    assert ttj["km_median_days"] == 60
    # Aalen–Johansen, "no JIM" competing; S = event-free survival just before t.
    #   10: +1·1/10 = .10 (S .9)   20: +.9/9 = .10 → .20 (S .8)   25: no JIM (S .8·7/8 = .7)
    #   30: +.7/7 = .10 → .30 (S .6)   35: censored   45: +.6/5 = .12 → .42 (S .48)
    #   50: no JIM (S .48·3/4 = .36)   60: +.36/3 = .12 → .54 (S .24)   80: +.24/2 → .66
    assert ttj["cif_30"] == pytest.approx(0.30)
    assert ttj["cif_60"] == pytest.approx(0.54)
    assert ttj["cif_90"] == pytest.approx(0.66)
    # 1 − KM at 90 days would say 1 − .1829 = .817: it overstates the share with a JIM.
    assert ttj["mean_days_found"] == pytest.approx((10 + 20 + 30 + 45 + 60 + 80) / 6)
    found = figures["jim_found"]
    assert found["share_of_all"]["count"] == 6 and found["share_of_all"]["n"] == 10
    assert found["share_of_finished"]["share"] == pytest.approx(6 / 8)
    assert (found["searching"], found["closed_without_outcome"]) == (1, 1)
    # T4 alone: consent complete and its JIM at a meeting. T6's JIM sat at the table
    # without consent.
    assert (found["positioned"]["count"], found["positioned"]["n"]) == (1, 6)


def test_ambulatory_is_intention_to_treat_with_its_denominators(cohort, world):
    a = summarise(Scope(AS_OF, team_id=world.team_a.pk), threshold=1)["ambulatory"]
    # Placements realised by AS_OF: T6 (foster), T7 (residential), T8 (emergency); T9's
    # decision was finalised on 5 June, after AS_OF.
    assert (a["itt"]["count"], a["itt"]["n"]) == (7, 10)
    assert (a["closed"]["count"], a["closed"]["n"]) == (3, 3)  # T1, T2, T5
    # Descriptive split (immortal-time biased): JIM T1 T2 T4 T6 T8 T9 (T6, T8 placed);
    # without T3 T5 T7 T10 (T7 placed).
    by_jim = a["by_jim_found"]
    assert (by_jim["jim_found"]["count"], by_jim["jim_found"]["n"]) == (4, 6)
    assert (by_jim["no_jim_found"]["count"], by_jim["no_jim_found"]["n"]) == (3, 4)
    # Landmark day 90: out are T5 (closed before it), T7 (placed on day 70) and T8 (placed
    # on day 90). With a JIM by then: T1 T2 T4 T6 T9 (T6 placed later); without: T3 T10.
    landmark = a["landmark_90_days"]
    assert (landmark["jim_by_landmark"]["count"], landmark["jim_by_landmark"]["n"]) == (4, 5)
    assert (landmark["no_jim_by_landmark"]["count"], landmark["no_jim_by_landmark"]["n"]) == (2, 2)
    # After closure. 6 months: T1 not placed, T2 placed after all, T5 not placed → 2 of 3.
    # 12 months: T5 answered (not placed); T1's was due on 1 June and is unanswered.
    six, twelve = a["after_closure"]["6"], a["after_closure"]["12"]
    assert (six["count"], six["n"], six["not_reached"]) == (2, 3, 0)
    assert (twelve["count"], twelve["n"], twelve["not_reached"]) == (1, 1, 1)
    assert a["after_closure"]["24"]["n"] == 0 and a["after_closure"]["24"]["share"] is None


def test_the_jim_relationship_at_closure_and_follow_up_leaves_out_youth_without_a_jim(cohort):
    c = d.continuation(Scope(AS_OF))
    assert c["at_closure"]["continuing"] == Tally(1, 2)  # T1 continuing, T2 ended
    assert c["at_closure"]["relationship"]["no_jim"] == 1  # T5
    # 6 months: T1 yes, T2 no; T5's "no contact" is not an answer about a JIM.
    assert c["follow_up"][6] == {"continues": 1, "answered": 2, "not_reached": 0, "without_jim": 1}
    # 12 months: T1's follow-up is due and unanswered: not reached, never "does not continue".
    assert c["follow_up"][12] == {
        "continues": 0, "answered": 0, "not_reached": 1, "without_jim": 1
    }  # fmt: skip


def test_gate_figures_count_the_cohort_and_never_the_comparison_trajectories(cohort):
    g = d.gate(Scope(AS_OF))
    # T6 consulted before finalising, T7 with the no-JIM reason; T9 finalised after AS_OF;
    # the comparison decision is not counted.
    assert g["regular"] == {"n": 2, "consulted_before": 1, "no_jim_reason": 1, "neither": 0}
    assert g["emergency"] == {
        "n": 1, "on_time": 1, "late": 0, "overdue": 0, "not_yet_due": 0, "no_jim_reason": 0,
        "confirmed": 1, "awaiting_confirmation": 0,
    }  # fmt: skip
    assert d.gate(Scope(dt.date(2026, 6, 17)))["regular"]["n"] == 3  # T9 by now


def test_an_emergency_consultation_is_overdue_only_after_its_due_date(registry, world):
    t = registry.trajectory("E", D(2026, 5, 1))
    decision = registry.decision(t, D(2026, 6, 1), emergency=True)
    decision.finalise(by=world.professional, at=at(D(2026, 6, 1), 22))
    assert d.gate(Scope(D(2026, 6, 8)))["emergency"]["not_yet_due"] == 1  # due on 8 June
    assert d.gate(Scope(D(2026, 6, 9)))["emergency"]["overdue"] == 1
    assert d.gate(Scope(D(2026, 6, 9)))["emergency"]["awaiting_confirmation"] == 1


def test_a_placement_finalised_at_half_past_midnight_counts_on_its_amsterdam_day(registry, world):
    t = registry.trajectory("M", D(2026, 1, 5))
    decision = registry.decision(t, D(2026, 3, 1), no_jim_reason="No JIM yet.")
    # 00:30 on 2 March in Amsterdam is 23:30 UTC on 1 March.
    decision.finalise(by=world.professional, at=at(D(2026, 3, 2), 0, 30))
    # Finalising is no placement (placements are recorded episodes): until its outcome is
    # recorded, the decision is counted as "not recorded" from its Amsterdam day on.
    assert d.placements_not_recorded(Scope(D(2026, 3, 1))) == 0
    assert d.gate(Scope(D(2026, 3, 1)))["regular"]["n"] == 0
    assert d.placements_not_recorded(Scope(D(2026, 3, 2))) == 1
    assert d.realised_placements(Scope(D(2026, 3, 2))) == []
    assert d.gate(Scope(D(2026, 3, 2)))["regular"]["no_jim_reason"] == 1
    registry.placed(decision, D(2026, 3, 2))
    assert d.placements_not_recorded(Scope(D(2026, 3, 2))) == 0
    assert [p.trajectory_id for p in d.realised_placements(Scope(D(2026, 3, 2)))] == [t.pk]
    assert d.realised_placements(Scope(D(2026, 3, 1))) == []


def test_a_placement_counts_from_the_day_it_began_and_its_end_only_once_known(registry, world):
    t = registry.trajectory("P", D(2026, 1, 5))
    decision = registry.decision(t, D(2026, 3, 1), no_jim_reason="No JIM yet.")
    decision.finalise(by=world.professional, at=at(D(2026, 3, 1)))
    registry.placed(decision, D(2026, 3, 10), ended=D(2026, 5, 1))
    assert d.realised_placements(Scope(D(2026, 3, 9))) == []
    assert d.realised_placements(Scope(D(2026, 4, 1))) == [
        d.PlacementEpisode(t.pk, D(2026, 3, 10), None)
    ]
    assert d.realised_placements(Scope(D(2026, 5, 1))) == [
        d.PlacementEpisode(t.pk, D(2026, 3, 10), D(2026, 5, 1))
    ]


def test_a_decision_not_carried_out_is_no_placement_and_no_longer_unrecorded(registry, world):
    from yim.trajectories.models import PlacementEpisode

    t = registry.trajectory("N", D(2026, 1, 5))
    decision = registry.decision(t, D(2026, 3, 1), no_jim_reason="No JIM yet.")
    decision.finalise(by=world.professional, at=at(D(2026, 3, 1)))
    PlacementEpisode.record_for_decision(decision, carried_out=False, note="Aunt took her in.")
    found = d.searches(Scope(D(2026, 6, 1)))
    amb = d.ambulatory(Scope(D(2026, 6, 1)), found)
    assert amb["itt"] == Tally(1, 1)
    assert amb["placements_not_recorded"] == 0


def test_a_follow_up_where_nobody_was_reached_is_not_reached_not_an_answer(registry, world):
    t = registry.trajectory("R", D(2025, 1, 1))
    registry.jim(t, D(2025, 1, 11))
    registry.close(t, D(2025, 6, 1), "continuing")
    t.follow_ups.get(months=6).record(
        done_on=D(2025, 12, 5),
        jim_contact_continues=None,
        placement_after_all=None,
        outcome="not_reached",
    )
    scope = Scope(D(2026, 1, 1))
    assert d.continuation(scope)["follow_up"][6]["not_reached"] == 1
    assert d.continuation(scope)["follow_up"][6]["answered"] == 0
    after = d.ambulatory(scope, d.searches(scope))["after_closure"][6]
    assert (after["answered"], after["not_reached"]) == (0, 1)


def test_the_team_and_organisation_scopes_count_only_their_trajectories(cohort, world):
    assert len(d.searches(Scope(AS_OF, team_id=world.team_b.pk))) == 0
    assert len(d.searches(Scope(AS_OF, organisation_id=world.org.pk))) == 10
    assert len(d.searches(Scope(AS_OF, organisation_id=world.other_org.pk))) == 1


def _feedback(
    registry: Registry, world, answers: dict[str, dict[str, int]], name: str = "F"
) -> None:  # type: ignore[no-untyped-def]
    from yim.monitoring import instruments
    from yim.monitoring.models import Assessment
    from yim.trajectories.models import Meeting

    t = registry.trajectory(name, D(2026, 5, 1))
    meeting = Meeting.objects.create(trajectory=t, kind="evaluation", held_on=D(2026, 6, 10))
    for persona, values in answers.items():
        user = world.persona(persona)
        assessment, _created = Assessment.start(
            youth=t.youth,
            trajectory=t,
            instrument=instruments.get("stakeholder_feedback"),
            respondent=user,
            meeting=meeting,
        )
        assessment.save_answers(values, by=user)
        assessment.submit(by=user)


def test_feedback_is_the_mean_score_per_respondent_role_with_its_n(registry, world):
    _feedback(
        registry,
        world,
        {"youth_user": {"heard": 4, "useful": 2}, "jim": {"heard": 5}, "parent": {"heard": 1}},
    )
    figures = summarise(Scope(dt.date(2026, 6, 17)), threshold=1)["feedback"]
    assert figures["n"] == 3
    assert figures["by_role"]["youth"] == {
        "n": 1, "mean": 3.0, "items": {"heard": 4.0, "useful": 2.0}, "suppressed": False
    }  # fmt: skip
    assert figures["by_role"]["jim"]["mean"] == 5.0
    # With the default threshold one form per role is withheld, not shown as 0.
    hidden = summarise(Scope(dt.date(2026, 6, 17)))["feedback"]["by_role"]["parent"]
    assert hidden == {"n": None, "mean": None, "items": {}, "suppressed": True}
    # Submitted today: as of yesterday there is no feedback yet.
    assert d.feedback(Scope(dt.date(2026, 6, 16))) == {}


def test_feedback_submitted_between_its_two_reads_is_left_out_not_an_error(registry, world):
    """The forms are counted, then their scores summed: a form of a new role submitted in
    between is in the second read only. Its scores wait for the next summary; the roles
    counted keep their figures."""
    _feedback(registry, world, {"youth_user": {"heard": 4}})
    reads = []

    def submit_after_the_count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        result = execute(sql, params, many, context)
        reads.append(sql)
        if len(reads) == 1:  # the count has run: a parent submits now
            _feedback(registry, world, {"parent": {"heard": 1}}, name="G")
        return result

    with connection.execute_wrapper(submit_after_the_count):
        figures = d.feedback(Scope(dt.date(2026, 6, 17)))
    assert figures == {"youth": {"n": 1, "items": {"heard": (4, 1, 16)}}}
    assert "parent" in d.feedback(Scope(dt.date(2026, 6, 17)))  # the next read has it


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="one snapshot per summary is PostgreSQL's (SQLite would hold writers off)",
)
def test_a_summary_on_postgresql_reads_one_snapshot_and_leaves_out_what_was_written_meanwhile(
    flushable,
    registry,
    world,
    shared_database,  # noqa: F811
    monkeypatch,
):
    """A form submitted by someone else while the summary is being read (after the searches,
    before the feedback) is in none of its figures; the next summary has it. On SQLite each
    read sees its own moment (see ``one_snapshot``)."""
    _feedback(registry, world, {"youth_user": {"heard": 4}})
    read_feedback = d.feedback
    errors: list[BaseException] = []

    def someone_submits() -> None:
        try:
            with thread_connection(shared_database):
                _feedback(registry, world, {"parent": {"heard": 1}}, name="G")
        except BaseException as exc:  # reported below
            errors.append(exc)

    def feedback_after_a_write(scope):  # type: ignore[no-untyped-def]
        writer = threading.Thread(target=someone_submits)
        writer.start()
        writer.join(timeout=60)
        return read_feedback(scope)

    monkeypatch.setattr(d, "feedback", feedback_after_a_write)
    figures = summarise(Scope(dt.date(2026, 6, 17)), threshold=1)
    assert not errors
    assert figures["n_trajectories"] == 1
    assert set(figures["feedback"]["by_role"]) == {"youth"}
    monkeypatch.setattr(d, "feedback", read_feedback)
    later = summarise(Scope(dt.date(2026, 6, 17)), threshold=1)
    assert later["n_trajectories"] == 2
    assert set(later["feedback"]["by_role"]) == {"youth", "parent"}


def test_time_to_jim_resting_on_fewer_than_the_threshold_is_withheld_whole(registry):
    for i in range(6):
        t = registry.trajectory(f"S{i}", D(2026, 1, 1))
        if i < 3:
            registry.jim(t, D(2026, 1, 11 + i))
    ttj = summarise(Scope(AS_OF))["time_to_jim"]
    assert ttj["suppressed"]
    assert ttj["km_median_days"] is None and ttj["cif_30"] is None
    assert ttj["mean_days_found"] is None and ttj["n_found"] is None
    assert summarise(Scope(AS_OF), threshold=3)["time_to_jim"]["mean_days_found"] == 11


def test_the_summary_query_count_does_not_grow_with_the_registry(cohort, world):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            summarise(Scope(dt.date(2026, 6, 17)), threshold=1)
        return len(queries)

    before = count()
    for i in range(4):
        t = cohort.trajectory(f"X{i}", D(2025, 9, 1))
        jim = cohort.jim(t, D(2025, 9, 20))
        cohort.consent(jim, D(2025, 9, 22))
        cohort.meeting_with_jim(t, D(2025, 10, 1))
        decision = cohort.decision(t, D(2025, 11, 1), kind="foster_care")
        decision.record_consultation(consulted_on=D(2025, 10, 30), advice="A.", weighing="W.")
        decision.finalise(by=world.professional, at=at(D(2025, 11, 1), 12))
        cohort.close(t, D(2025, 12, 1), "continuing")
    assert count() == before
