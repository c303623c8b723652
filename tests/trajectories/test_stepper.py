"""The phase stepper: the programme's phases with their state, the suggested next step, why a
later phase is blocked (the model's own refusal), and tasks that disappear when done."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.trajectories.conftest import Case, at
from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import (
    CarePlan,
    GoalStatus,
    JimConsultation,
    Meeting,
    MeetingKind,
    Phase,
    PlacementDecision,
    Response,
)
from yim.trajectories.models.base import today
from yim.trajectories.stepper import CURRENT, DONE, TO_COME, open_matters, stepper_for

pytestmark = pytest.mark.django_db


def keys(case: Case, as_of: dt.date | None = None) -> list[str]:
    return [step.key for step in stepper_for(case.trajectory, as_of).steps]


def states(case: Case) -> dict[str, str]:
    return {p.phase: p.state for p in stepper_for(case.trajectory).phases}


def blocked(case: Case, phase: str) -> str | None:
    return next(p.blocked for p in stepper_for(case.trajectory).phases if p.phase == phase)


@pytest.fixture
def young_case(make_case) -> Case:  # type: ignore[no-untyped-def]
    """A trajectory started 40 days ago: no evaluation is due yet."""
    return make_case(started_days_ago=40)


def with_jim(case: Case) -> None:
    case.explore(1)
    case.trajectory.advance_to(Phase.CANDIDATES, at=at(case.day(2)))
    return case.jim(20)  # type: ignore[return-value]


def test_a_new_trajectory_stands_in_referral_and_the_next_step_is_network_exploration(
    young_case,
):
    stepper = stepper_for(young_case.trajectory)
    assert [p.phase for p in stepper.phases] == [p.value for p in Phase]
    assert states(young_case)[Phase.REFERRAL] == CURRENT
    assert {states(young_case)[p] for p in Phase if p != Phase.REFERRAL} == {TO_COME}
    assert stepper.current is not None and stepper.current.phase == Phase.REFERRAL
    assert stepper.next_step is not None and stepper.next_step.key == "move"
    assert "Network exploration" in stepper.next_step.text
    assert stepper.next_step.url.endswith(f"/trajectories/{young_case.trajectory.pk}/#phase")


def test_a_phase_the_programme_does_not_use_is_not_on_the_stepper(make_case):
    case = make_case(programme=ProgrammeModel.standard("selective"))
    shown = [p.phase for p in stepper_for(case.trajectory).phases]
    assert Phase.POSITIONING not in shown
    assert shown[0] == Phase.REFERRAL and Phase.CLOSURE in shown


def test_the_network_is_mapped_before_a_nomination_round_is_suggested(young_case):
    young_case.explore(1)
    assert keys(young_case)[0] == "map_network"
    young_case.person("Tante Marieke")
    stepper = stepper_for(young_case.trajectory)
    assert stepper.next_step is not None and stepper.next_step.key == "start_round"
    assert stepper.next_step.url == f"/trajectories/{young_case.trajectory.pk}/rounds/start/"
    assert states(young_case)[Phase.REFERRAL] == DONE


def test_every_candidate_without_an_answer_is_a_step_until_a_jim_is_found(young_case):
    young_case.explore(1)
    round_ = young_case.trajectory.start_round(on=young_case.day(2))
    ria = round_.add_candidate(young_case.person("Tante Ria"), named_on=young_case.day(3))
    kees = round_.add_candidate(
        young_case.person("Buurman Kees", relation="neighbour"), named_on=young_case.day(3)
    )
    steps = stepper_for(young_case.trajectory).steps
    answers = [s for s in steps if s.key == "record_answer"]
    assert [s.text for s in answers] == [
        "Record the response of Tante Ria",
        "Record the response of Buurman Kees",
    ]
    assert answers[0].url == f"/trajectories/candidates/{ria.pk}/"

    ria.record_response(Response.ACCEPTED, young_case.day(10), asked_on=young_case.day(5))

    steps = stepper_for(young_case.trajectory).steps
    assert not [s for s in steps if s.key == "record_answer"]  # Kees's answer is no task now
    assert "Buurman Kees" not in " ".join(s.text for s in steps)
    assert kees.pk  # still a candidate of the closed round, just no longer a task
    consent = next(s for s in steps if s.key == "record_consent")
    assert consent.text == "Record consent for Tante Ria"


def test_a_blocked_phase_says_why_in_the_words_of_the_models_own_refusal(young_case):
    young_case.explore(1)
    trajectory = young_case.trajectory
    trajectory.advance_to(Phase.CANDIDATES, at=at(young_case.day(2)))
    for phase in (Phase.CONSENT, Phase.POSITIONING, Phase.COLLABORATION, Phase.FOLLOW_UP):
        refusal = trajectory.move_refusal(phase)
        assert refusal is not None
        assert blocked(young_case, phase) == refusal.messages[0]
    assert blocked(young_case, Phase.CONSENT) == (
        "Consent comes after a candidate has accepted to be the JIM."
    )
    assert blocked(young_case, Phase.FOLLOW_UP) == "Follow-up comes after closure."
    assert blocked(young_case, Phase.CLOSURE) is None  # closing is recorded, never blocked


def test_a_phase_is_no_longer_blocked_once_the_model_allows_the_move(young_case):
    jim = with_jim(young_case)
    assert blocked(young_case, Phase.CONSENT) is None
    assert (
        blocked(young_case, Phase.POSITIONING) == "Positioning needs a JIM with complete consent."
    )
    young_case.consent(jim, 21)
    assert blocked(young_case, Phase.POSITIONING) is None


def test_with_consent_complete_the_first_care_meeting_with_the_jim_is_suggested(young_case):
    jim = with_jim(young_case)
    young_case.consent(jim, 21)
    young_case.trajectory.advance_to(Phase.CONSENT, at=at(young_case.day(22)))
    assert keys(young_case)[:2] == ["move", "positioning_meeting"]
    young_case.trajectory.advance_to(Phase.POSITIONING, at=at(young_case.day(23)))
    step = next(s for s in stepper_for(young_case.trajectory).steps if s.key != "move")
    assert step.key == "positioning_meeting"
    assert step.url.endswith("/meetings/add/?kind=positioning")

    Meeting.objects.create(
        trajectory=young_case.trajectory, kind=MeetingKind.POSITIONING, held_on=young_case.day(24)
    )

    stepper = stepper_for(young_case.trajectory)
    assert "positioning_meeting" not in [s.key for s in stepper.steps]
    assert stepper.next_step is not None and "Collaboration" in stepper.next_step.text


def test_collaboration_asks_for_the_care_plan_then_suggests_closing_when_no_goal_is_open(
    young_case,
):
    jim = with_jim(young_case)
    young_case.consent(jim, 21)
    young_case.trajectory.advance_to(Phase.COLLABORATION, at=at(young_case.day(25)))
    assert keys(young_case)[0] == "care_plan"
    plan = CarePlan.objects.create(trajectory=young_case.trajectory, made_on=young_case.day(26))
    goal = plan.add_goal("Back to school")
    assert "close" not in keys(young_case)
    goal.status = GoalStatus.ACHIEVED
    goal.save()
    assert "close" in keys(young_case)
    close = next(s for s in stepper_for(young_case.trajectory).steps if s.key == "close")
    assert close.url == f"/trajectories/{young_case.trajectory.pk}/close/"


def test_an_evaluation_is_planned_and_an_overdue_one_comes_first(make_case):
    case = make_case(started_days_ago=100)  # the first evaluation was due after two months
    jim = with_jim(case)
    case.consent(jim, 21)
    case.trajectory.advance_to(Phase.COLLABORATION, at=at(case.day(25)))
    stepper = stepper_for(case.trajectory)
    assert stepper.next_step is not None and stepper.next_step.key == "evaluation"
    assert stepper.next_step.overdue
    assert stepper.next_step.url.endswith("/meetings/add/?kind=evaluation")


def test_a_draft_placement_asks_for_the_jim_consultation_then_for_finalising(young_case):
    jim = with_jim(young_case)
    decision = PlacementDecision.objects.create(
        trajectory=young_case.trajectory,
        placement_type="residential",
        decided_on=young_case.day(30),
        rationale="Escalation",
        youth_view="I want to stay",
    )
    step = stepper_for(young_case.trajectory).next_step
    assert step is not None and step.key == "consult_jim"
    assert step.url == f"/trajectories/placements/{decision.pk}/#consultations"
    JimConsultation.objects.create(
        decision=decision, jim=jim, consulted_on=young_case.day(29), advice="a", weighing="b"
    )
    step = stepper_for(young_case.trajectory).next_step
    assert step is not None and step.key == "finalise"
    assert step.url == f"/trajectories/placements/{decision.pk}/?confirm=finalise"


def test_an_emergency_placement_in_force_asks_for_the_consultation_and_a_team_lead(
    young_case, world
):
    decision = PlacementDecision.objects.create(
        trajectory=young_case.trajectory,
        placement_type="foster_care",
        decided_on=today(),
        rationale="Unsafe tonight",
        youth_view="Scared",
        is_emergency=True,
    )
    decision.finalise(by=world.professional)
    steps = stepper_for(young_case.trajectory).steps
    consult = next(s for s in steps if s.key == "consult_jim")
    assert consult.due_on == today() + dt.timedelta(days=7) and not consult.overdue
    lead = next(s for s in steps if s.key == "confirm_emergency")
    assert lead.team_lead

    later = stepper_for(young_case.trajectory, today() + dt.timedelta(days=8))
    assert later.next_step is not None and later.next_step.key == "consult_jim"
    assert later.next_step.overdue

    decision.confirm_emergency(by=world.team_lead)
    assert "confirm_emergency" not in keys(young_case)


def test_a_closed_trajectory_stands_in_closure_and_the_next_step_is_the_first_follow_up(
    young_case,
):
    young_case.trajectory.close(reason="moved", jim_relationship="no_jim")
    stepper = stepper_for(young_case.trajectory)
    assert stepper.current is not None and stepper.current.phase == Phase.CLOSURE
    assert states(young_case)[Phase.REFERRAL] == DONE
    assert stepper.next_step is not None and stepper.next_step.key == "follow_up"
    assert stepper.next_step.text == "Follow-up after 6 months"
    assert [s.key for s in stepper.steps] == ["follow_up"]


def test_a_phase_that_was_skipped_has_no_day_it_was_entered(young_case):
    young_case.trajectory.advance_to(Phase.CANDIDATES, at=at(young_case.day(2)))
    phases = {p.phase: p for p in stepper_for(young_case.trajectory).phases}
    assert phases[Phase.NETWORK_EXPLORATION].state == DONE
    assert phases[Phase.NETWORK_EXPLORATION].entered_on is None
    assert phases[Phase.REFERRAL].entered_on == young_case.start_day
    assert phases[Phase.CANDIDATES].entered_on == young_case.day(2)


def test_what_is_still_open_names_goals_round_answers_and_emergencies(young_case, world):
    young_case.explore(1)
    round_ = young_case.trajectory.start_round(on=young_case.day(2))
    round_.add_candidate(young_case.person("Tante Ria"), named_on=young_case.day(3))
    plan = CarePlan.objects.create(trajectory=young_case.trajectory, made_on=young_case.day(4))
    plan.add_goal("Back to school")
    emergency = PlacementDecision.objects.create(
        trajectory=young_case.trajectory,
        placement_type="foster_care",
        decided_on=today(),
        rationale="Unsafe tonight",
        youth_view="Scared",
        is_emergency=True,
    )
    emergency.finalise(by=world.professional)

    matters = {m.key: m.text for m in open_matters(young_case.trajectory)}

    assert set(matters) == {
        "consultation_due",
        "emergency_unconfirmed",
        "open_goals",
        "open_round",
        "no_answer",
    }
    assert matters["open_goals"] == "Goals still open: Back to school."
    assert matters["no_answer"] == "Candidates without an answer: Tante Ria."
    assert "Round 1" in matters["open_round"]


def test_the_decision_being_finalised_is_not_named_as_an_open_draft(young_case):
    decision = PlacementDecision.objects.create(
        trajectory=young_case.trajectory,
        placement_type="none",
        decided_on=today(),
        rationale="Stays home",
        youth_view="Good",
    )
    assert [m.key for m in open_matters(young_case.trajectory)] == ["draft_decision"]
    assert open_matters(young_case.trajectory, decision=decision) == ()


def test_a_comparison_trajectory_gets_no_jim_work_suggested(young_case):
    trajectory = young_case.trajectory
    trajectory.cohort = "comparison"
    trajectory.save()
    young_case.explore(1)
    young_case.person("Tante Marieke")
    assert keys(young_case) == []
    trajectory.cohort = "jim"
    trajectory.save()
    assert keys(young_case) == ["start_round"]
