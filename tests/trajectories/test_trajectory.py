"""Trajectory life cycle: phases with timestamps, derived times, closure, bad input, locking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.trajectories.conftest import at, messages
from yim.core.errors import StaleEdit
from yim.programmes.models import ProgrammeModel
from yim.trajectories.errors import TrajectoryClosed
from yim.trajectories.models import (
    ClosureReason,
    ContactFrequency,
    FollowUp,
    JimRelationship,
    Meeting,
    MeetingKind,
    NetworkPerson,
    Phase,
    PhaseTransition,
    PlacementType,
    Trajectory,
    Youth,
)
from yim.trajectories.rules import add_months


def walk_to_collaboration(case):
    case.explore(5)
    case.trajectory.advance_to(Phase.CANDIDATES, at=at(case.day(10)))
    jim = case.jim(33)
    case.trajectory.advance_to(Phase.CONSENT, at=at(case.day(34)))
    case.consent(jim, 36)
    case.trajectory.advance_to(Phase.POSITIONING, at=at(case.day(37)))
    case.trajectory.advance_to(Phase.COLLABORATION, at=at(case.day(45)))
    return jim


def test_every_transition_is_timestamped_and_time_in_phase_is_derived(case):
    walk_to_collaboration(case)
    history = case.trajectory.phase_history()
    assert [t.phase for t in history] == [
        "referral",
        "network_exploration",
        "candidates",
        "consent",
        "positioning",
        "collaboration",
    ]
    spent = case.trajectory.time_in_phase(as_of=at(case.day(50)))

    def elapsed(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        # Real elapsed time: a phase across the switch to summer time lasts an hour less
        # than its calendar days (Python's same-zone subtraction would ignore that).
        return end.astimezone(dt.UTC) - start.astimezone(dt.UTC)

    # started at 09:00, moved on at 12:00 five days later
    assert spent["referral"] == elapsed(at(case.day(0), 9), at(case.day(5)))
    assert spent["candidates"] == elapsed(at(case.day(10)), at(case.day(34)))
    assert spent["collaboration"] == elapsed(at(case.day(45)), at(case.day(50)))
    assert case.trajectory.time_in_current_phase(as_of=at(case.day(50))) == spent["collaboration"]


def test_time_to_mentor_runs_from_the_start_to_the_first_acceptance(case):
    assert case.trajectory.time_to_mentor is None
    row = case.trajectory.mentor_search(as_of=case.day(20))
    assert (row.days, row.found) == (20, False)  # still searching: censored
    walk_to_collaboration(case)
    assert case.trajectory.time_to_mentor == dt.timedelta(days=33)
    assert case.trajectory.mentor_search().found
    annotated = Trajectory.objects.with_mentor_dates().get(pk=case.trajectory.pk)
    assert annotated.time_to_mentor == dt.timedelta(days=33)


def test_a_phase_cannot_start_before_the_current_one_or_in_the_future(case):
    case.explore(5)
    with pytest.raises(ValidationError) as refused:
        case.trajectory.advance_to(Phase.CANDIDATES, at=at(case.day(4)))
    assert messages(refused.value, "entered_at")
    with pytest.raises(ValidationError) as refused:
        case.trajectory.advance_to(Phase.CANDIDATES, at=timezone.now() + dt.timedelta(hours=2))
    assert "future" in messages(refused.value, "entered_at")
    assert PhaseTransition.objects.count() == 2


def test_phases_follow_the_approach(case):
    with pytest.raises(ValidationError):
        case.trajectory.advance_to(Phase.CONSENT, at=at(case.day(3)))  # nobody accepted
    with pytest.raises(ValidationError):
        case.trajectory.advance_to(Phase.FOLLOW_UP, at=at(case.day(3)))
    with pytest.raises(ValidationError):
        case.trajectory.advance_to(Phase.CLOSURE, at=at(case.day(3)))  # use close()
    walk_to_collaboration(case)
    with pytest.raises(ValidationError):
        case.trajectory.advance_to(Phase.POSITIONING, at=at(case.day(50)))  # no going back
    case.trajectory.advance_to(Phase.CANDIDATES, at=at(case.day(50)))  # a new search is fine


def test_a_programme_without_positioning_refuses_that_phase(make_case):
    case = make_case(programme=ProgrammeModel.standard("selective"))
    case.explore(5)
    case.trajectory.advance_to(Phase.CANDIDATES, at=at(case.day(6)))
    jim = case.jim(20)
    case.trajectory.advance_to(Phase.CONSENT, at=at(case.day(21)))
    case.consent(jim, 22)
    with pytest.raises(ValidationError) as refused:
        case.trajectory.advance_to(Phase.POSITIONING, at=at(case.day(23)))
    assert "does not use the phase" in messages(refused.value, "phase")
    case.trajectory.advance_to(Phase.COLLABORATION, at=at(case.day(23)))


def test_dates_before_birth_or_in_the_future_are_refused_on_their_field(case):
    with pytest.raises(ValidationError) as refused:
        Meeting.objects.create(
            trajectory=case.trajectory,
            kind=MeetingKind.SCHOOL,
            held_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert "future" in messages(refused.value, "held_on")
    youth = Youth.objects.get(pk=case.youth.pk)
    youth.date_of_birth = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        youth.save()
    assert "future" in messages(refused.value, "date_of_birth")
    case.trajectory.close(
        reason=ClosureReason.MOVED, jim_relationship=JimRelationship.NO_JIM, at=at(case.day(20))
    )
    with pytest.raises(ValidationError) as refused:
        Trajectory.start(
            youth=case.youth,
            programme=case.trajectory.programme,
            professional=case.trajectory.professional,
            referred_on=case.youth.date_of_birth - dt.timedelta(days=3),
            referral_source="school",
            referral_reason="x",
            at=at(case.youth.date_of_birth - dt.timedelta(days=2)),
        )
    assert "before the youth's date of birth" in messages(refused.value, "referred_on")


def test_a_youth_has_one_open_trajectory_at_a_time(case):
    with pytest.raises(ValidationError) as refused:
        Trajectory.start(
            youth=case.youth,
            programme=case.trajectory.programme,
            professional=case.trajectory.professional,
            referred_on=case.day(1),
            referral_source="school",
            referral_reason="again",
            at=at(case.day(2)),
        )
    assert "already has an open trajectory" in messages(refused.value)


def test_the_second_of_two_simultaneous_edits_is_refused_and_the_first_kept(case):
    mine = Trajectory.objects.get(pk=case.trajectory.pk)
    theirs = Trajectory.objects.get(pk=case.trajectory.pk)
    mine.referral_reason = "First edit"
    mine.save()
    theirs.referral_reason = "Second edit"
    with pytest.raises(StaleEdit) as refused:
        theirs.save()
    assert "Someone else changed this record" in messages(refused.value)
    assert Trajectory.objects.get(pk=case.trajectory.pk).referral_reason == "First edit"


def test_save_with_version_refuses_an_edit_started_from_an_older_version(case):
    person = case.person()
    rendered_version = person.version
    NetworkPerson.objects.get(pk=person.pk).save()  # someone else saves in between
    person.trust = 5
    with pytest.raises(StaleEdit):
        person.save_with_version(rendered_version)
    fresh = NetworkPerson.objects.get(pk=person.pk)
    assert fresh.trust is None
    fresh.trust = 5
    fresh.save_with_version(fresh.version)
    assert NetworkPerson.objects.get(pk=person.pk).version == rendered_version + 2


def test_a_closed_trajectory_refuses_edits_and_keeps_what_was_saved(case):
    walk_to_collaboration(case)
    case.trajectory.close(
        reason=ClosureReason.GOALS_ACHIEVED,
        jim_relationship=JimRelationship.CONTINUING,
        at=at(case.day(90)),
    )
    trajectory = Trajectory.objects.get(pk=case.trajectory.pk)
    trajectory.referral_reason = "Edited after closure"
    with pytest.raises(ValidationError) as refused:
        trajectory.save()
    assert "closed" in messages(refused.value)
    with pytest.raises(ValidationError):
        Meeting.objects.create(trajectory=trajectory, kind=MeetingKind.OTHER, held_on=case.day(95))
    with pytest.raises(TrajectoryClosed):
        trajectory.advance_to(Phase.CANDIDATES, at=at(case.day(95)))
    meeting_count = Meeting.objects.count()
    with pytest.raises(ValidationError):
        case.trajectory.meetings.model(
            trajectory=trajectory, kind="other", held_on=case.day(96)
        ).save()
    assert Meeting.objects.count() == meeting_count
    assert Trajectory.objects.get(pk=trajectory.pk).referral_reason.startswith("Threatened")


def test_closure_plans_follow_ups_at_6_12_and_24_months(case, world):
    walk_to_collaboration(case)
    closure = case.trajectory.close(
        reason=ClosureReason.GOALS_ACHIEVED,
        jim_relationship=JimRelationship.CONTINUING,
        at=at(case.day(90)),
        by=world.professional,
    )
    follow_ups = list(case.trajectory.follow_ups.order_by("months"))
    assert [(f.months, f.due_on) for f in follow_ups] == [
        (m, add_months(closure.closed_on, m)) for m in (6, 12, 24)
    ]
    assert closure.closed_on == case.day(90)
    assert follow_ups[0].is_overdue(as_of=follow_ups[0].due_on + dt.timedelta(days=1))


def test_a_follow_up_records_contact_with_the_jim_and_moves_to_follow_up(case, world):
    walk_to_collaboration(case)
    case.trajectory.close(
        reason=ClosureReason.GOALS_ACHIEVED,
        jim_relationship=JimRelationship.CONTINUING,
        at=at(case.day(90)),
    )
    first = FollowUp.objects.get(trajectory=case.trajectory, months=6)
    with pytest.raises(ValidationError) as refused:
        first.record(done_on=case.day(95), jim_contact_continues=True, placement_after_all=False)
    assert messages(refused.value, "contact_frequency")
    first = FollowUp.objects.get(pk=first.pk)
    first.record(
        done_on=case.day(95),
        jim_contact_continues=True,
        contact_frequency=ContactFrequency.WEEKLY,
        placement_after_all=False,
    )
    case.trajectory.refresh_from_db()
    assert case.trajectory.phase == Phase.FOLLOW_UP
    second = FollowUp.objects.get(trajectory=case.trajectory, months=12)
    with pytest.raises(ValidationError) as refused:
        second.record(done_on=case.day(96), jim_contact_continues=False, placement_after_all=True)
    assert messages(refused.value, "placement_type")
    second = FollowUp.objects.get(pk=second.pk)
    second.record(
        done_on=case.day(96),
        jim_contact_continues=False,
        placement_after_all=True,
        placement_type=PlacementType.FOSTER_CARE,
    )


def test_closing_says_whether_there_was_a_jim(case):
    with pytest.raises(ValidationError) as refused:
        case.trajectory.close(
            reason=ClosureReason.MOVED,
            jim_relationship=JimRelationship.CONTINUING,
            at=at(case.day(20)),
        )
    assert messages(refused.value, "jim_relationship")
    assert not case.trajectory.closed_in_database()


def test_evaluations_come_due_by_the_programmes_cadence_and_show_overdue(make_case):
    case = make_case(started_days_ago=150)
    walk_to_collaboration(case)
    start = case.start_day
    schedule = case.trajectory.evaluations_due()
    assert schedule[0].due_on == add_months(start, 2)
    assert schedule[0].status == "overdue"
    assert case.trajectory.is_evaluation_overdue()
    Meeting.objects.create(
        trajectory=case.trajectory, kind=MeetingKind.EVALUATION, held_on=case.day(55)
    )
    Meeting.objects.create(
        trajectory=case.trajectory, kind=MeetingKind.EVALUATION, held_on=case.day(115)
    )
    case.trajectory.refresh_from_db()
    statuses = [e.status for e in case.trajectory.evaluations_due()]
    assert statuses[:2] == ["done", "done"]
    assert not case.trajectory.is_evaluation_overdue()
    overview = Trajectory.objects.with_overview().get(pk=case.trajectory.pk)
    assert overview.last_evaluation_on == case.day(115)


def test_a_slower_cadence_is_configuration(make_case, world):
    slow = ProgrammeModel.objects.create(
        code="slow",
        name="Slow",
        organisation=world.org,
        prevention_level="indicated",
        evaluation_interval_months=6,
    )
    case = make_case(started_days_ago=150, programme=slow)
    assert [e.status for e in case.trajectory.evaluations_due()] == ["upcoming"]


def test_a_positioning_meeting_needs_a_jim(case):
    with pytest.raises(ValidationError) as refused:
        Meeting.objects.create(
            trajectory=case.trajectory, kind=MeetingKind.POSITIONING, held_on=case.day(40)
        )
    assert messages(refused.value, "kind")
    case.jim(30)
    meeting = Meeting.objects.create(
        trajectory=case.trajectory,
        kind=MeetingKind.POSITIONING,
        held_on=case.day(40),
        decisions="The aunt is the first contact for school.",
        youth_view="I want my aunt at every meeting.",
        jim_input="I can come on Tuesdays.",
    )
    meeting.add_attendee("youth", "Lina")
    meeting.add_attendee("jim", "Tante Marieke")
    meeting.add_attendee("parent", "Petra", present=False)
    assert meeting.attendees.filter(present=True).count() == 2


def test_the_current_trajectory_is_the_open_one_else_the_one_that_started_last(case, world):
    youth = case.youth
    assert youth.current_trajectory() == case.trajectory
    case.trajectory.close(
        reason=ClosureReason.GOALS_ACHIEVED,
        jim_relationship=JimRelationship.NO_JIM,
        at=at(case.day(40)),
    )
    assert youth.current_trajectory() == case.trajectory
    assert not youth.trajectories.open().exists()
    second = Trajectory.start(
        youth=youth,
        programme=case.trajectory.programme,
        professional=world.professional,
        referred_on=case.day(60),
        referral_source="school",
        referral_reason="Back after the summer.",
        at=at(case.day(60)),
    )
    assert youth.current_trajectory() == second
    newcomer = Youth.objects.create(
        organisation=world.org,
        team=world.team_a,
        professional=world.professional,
        display_name="Sam K.",
        date_of_birth=youth.date_of_birth,
    )
    assert newcomer.current_trajectory() is None


def test_a_closure_for_an_earlier_day_happened_at_noon_and_one_for_today_now(case):
    assert Trajectory.closing_moment(case.day(90)) == at(case.day(90), 12)
    moment = Trajectory.closing_moment(timezone.localdate())
    assert abs(moment - timezone.now()) < dt.timedelta(minutes=1)
    closure = case.trajectory.close(
        reason=ClosureReason.GOALS_ACHIEVED,
        jim_relationship=JimRelationship.NO_JIM,
        on=case.day(90),
    )
    case.trajectory.refresh_from_db()
    assert closure.closed_on == case.day(90)
    assert case.trajectory.closed_at == at(case.day(90), 12)


def test_a_closure_for_a_day_in_the_future_is_refused(case):
    with pytest.raises(ValidationError) as refused:
        case.trajectory.close(
            reason=ClosureReason.GOALS_ACHIEVED,
            jim_relationship=JimRelationship.NO_JIM,
            on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert "in the future" in " ".join(
        " ".join(str(m) for m in ms) for ms in refused.value.message_dict.values()
    )
    assert not Trajectory.objects.get(pk=case.trajectory.pk).is_closed


def test_the_overview_query_flags_what_is_overdue_on_the_day_asked(case, world):
    walk_to_collaboration(case)
    case.trajectory.close(
        reason=ClosureReason.GOALS_ACHIEVED,
        jim_relationship=JimRelationship.CONTINUING,
        at=at(case.day(90)),
        by=world.professional,
    )
    first_due = case.trajectory.follow_ups.order_by("months").first().due_on
    on_the_day = Trajectory.objects.with_overview(first_due).get(pk=case.trajectory.pk)
    day_after = Trajectory.objects.with_overview(first_due + dt.timedelta(days=1)).get(
        pk=case.trajectory.pk
    )
    assert not on_the_day.has_overdue_follow_up
    assert day_after.has_overdue_follow_up
    assert not day_after.has_overdue_consultation
    assert not day_after.has_unconfirmed_emergency
    assert day_after.first_jim_on == case.day(33)
