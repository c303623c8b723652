"""Nomination: who can be the JIM, the household warning, one active JIM at a time."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.trajectories.conftest import at, messages
from yim.trajectories.models import (
    AgeBand,
    Candidate,
    JimEndReason,
    NoJimReason,
    Phase,
    Relation,
    Response,
    RoundOutcome,
)


@pytest.mark.parametrize(
    "relation", [Relation.PARENT, Relation.STEP_PARENT, Relation.LEGAL_GUARDIAN]
)
def test_a_parent_step_parent_or_guardian_can_never_be_named(case, relation):
    round_ = case.trajectory.start_round(on=case.day(10))
    parent = case.person("Petra", relation=relation)
    with pytest.raises(ValidationError) as refused:
        round_.add_candidate(parent, named_on=case.day(11))
    assert "can never be the JIM" in messages(refused.value, "person")
    assert not Candidate.objects.exists()


def test_an_aunt_with_parental_authority_is_a_guardian_and_cannot_be_the_jim(case):
    round_ = case.trajectory.start_round(on=case.day(10))
    guardian_aunt = case.person("Tante Ria", has_parental_authority=True)
    with pytest.raises(ValidationError):
        round_.add_candidate(guardian_aunt, named_on=case.day(11))


def test_a_jim_cannot_later_be_recorded_as_a_parent(case):
    jim = case.jim(30)
    person = jim.person
    person.relation = Relation.STEP_PARENT
    with pytest.raises(ValidationError) as refused:
        person.save()
    assert "can never be the JIM" in messages(refused.value, "relation")


def test_a_jim_under_18_needs_a_recorded_confirmation(case, world):
    round_ = case.trajectory.start_round(on=case.day(10))
    cousin = case.person("Neef Dani", relation=Relation.COUSIN, age_band=AgeBand.AGE_16_17)
    candidate = round_.add_candidate(cousin, named_on=case.day(11))
    with pytest.raises(ValidationError) as refused:
        candidate.record_response(Response.ACCEPTED, case.day(20), asked_on=case.day(15))
    assert "under 18" in messages(refused.value, "response")
    candidate.refresh_from_db()
    assert candidate.response == Response.PENDING
    candidate.confirm_minor(
        by=world.professional, reason="Older cousin, steady, known for years.", on=case.day(18)
    )
    candidate.record_response(Response.ACCEPTED, case.day(20), asked_on=case.day(15))
    assert candidate.is_active_jim


def test_living_in_the_same_household_is_a_warning_not_a_refusal(case):
    round_ = case.trajectory.start_round(on=case.day(10))
    brother = case.person(
        "Broer Joep", relation=Relation.SIBLING, age_band=AgeBand.AGE_18_24, lives_with_youth=True
    )
    candidate = round_.add_candidate(brother, named_on=case.day(11))
    assert any("same household" in str(w) for w in candidate.warnings)
    candidate.record_response(Response.ACCEPTED, case.day(20), asked_on=case.day(15))
    assert candidate.is_active_jim


def test_a_second_active_jim_is_refused(case):
    first = case.jim(30)
    round_ = case.trajectory.nomination_rounds.get()
    second = round_.add_candidate(
        case.person("Buurman Kees", relation=Relation.NEIGHBOUR), named_on=case.day(25)
    )
    with pytest.raises(ValidationError) as refused:
        second.record_response(Response.ACCEPTED, case.day(31), asked_on=case.day(26))
    assert "already this youth's JIM" in messages(refused.value, "response")
    assert case.trajectory.active_jim == first


def test_the_database_also_refuses_a_second_active_jim(case):
    case.jim(30)
    round_ = case.trajectory.nomination_rounds.get()
    second = round_.add_candidate(
        case.person("Buurman Kees", relation=Relation.NEIGHBOUR), named_on=case.day(25)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Candidate.objects.filter(pk=second.pk).update(response=Response.ACCEPTED)


def test_after_a_jim_stops_a_new_round_finds_another(case):
    first = case.jim(30)
    assert case.trajectory.nomination_rounds.get().outcome == RoundOutcome.JIM_FOUND
    with pytest.raises(ValidationError):
        case.trajectory.start_round(on=case.day(40))  # the JIM is still active
    first.end_jim(on=case.day(60), reason=JimEndReason.MOVED)
    second_round = case.trajectory.start_round(on=case.day(61))
    assert second_round.number == 2
    second = second_round.add_candidate(
        case.person("Coach Bas", relation=Relation.COACH), named_on=case.day(61)
    )
    second.record_response(Response.ACCEPTED, case.day(70), asked_on=case.day(65))
    assert case.trajectory.active_jim == second
    assert [c.pk for c in case.trajectory.jims()] == [first.pk, second.pk]
    # Time to mentor counts the first JIM.
    assert case.trajectory.time_to_mentor.days == 30


def test_a_decline_needs_its_reason(case):
    round_ = case.trajectory.start_round(on=case.day(10))
    candidate = round_.add_candidate(case.person(), named_on=case.day(11))
    with pytest.raises(ValidationError) as refused:
        candidate.record_response(Response.DECLINED, case.day(20), asked_on=case.day(15))
    assert "declined" in messages(refused.value, "decline_reason")
    candidate.refresh_from_db()
    candidate.record_response(
        Response.DECLINED, case.day(20), asked_on=case.day(15), decline_reason="No time"
    )
    assert candidate.response == Response.DECLINED


def test_a_response_cannot_come_before_the_youth_asked(case):
    round_ = case.trajectory.start_round(on=case.day(10))
    candidate = round_.add_candidate(case.person(), named_on=case.day(11))
    with pytest.raises(ValidationError) as refused:
        candidate.record_response(Response.NO_ANSWER, case.day(14), asked_on=case.day(15))
    assert messages(refused.value, "response_on")


def test_someone_outside_the_youths_network_cannot_be_named(case, make_case):
    other = make_case()
    round_ = case.trajectory.start_round(on=case.day(10))
    with pytest.raises(ValidationError) as refused:
        round_.add_candidate(other.person("Vreemde"), named_on=case.day(11))
    assert "not in this youth's network" in messages(refused.value, "person")


def test_no_jim_found_closes_the_round_and_never_blocks_care(case):
    case.explore(5)
    case.trajectory.advance_to(Phase.CANDIDATES, at=at(case.day(10)))
    round_ = case.trajectory.start_round(on=case.day(10))
    with pytest.raises(ValidationError):
        case.trajectory.advance_to(Phase.COLLABORATION, at=at(case.day(40)))
    case.trajectory.record_no_jim(
        recorded_on=case.day(39),
        reason=NoJimReason.ALL_DECLINED,
        alternatives_tried="Asked grandmother and the football coach; both declined.",
    )
    round_.refresh_from_db()
    assert round_.outcome == RoundOutcome.NO_JIM
    case.trajectory.advance_to(Phase.COLLABORATION, at=at(case.day(40)))
    assert case.trajectory.phase == Phase.COLLABORATION
    row = case.trajectory.mentor_search()
    assert not row.found and row.days == 100


def test_naming_a_candidate_opens_a_round_when_none_is_open_and_then_uses_that_round(case):
    aunt = case.trajectory.name_candidate(case.person(), named_on=case.day(10))
    neighbour = case.trajectory.name_candidate(
        case.person("Buurman Henk", relation=Relation.NEIGHBOUR), named_on=case.day(12)
    )
    assert aunt.round == neighbour.round
    assert aunt.round.started_on == case.day(10)
    assert case.trajectory.nomination_rounds.count() == 1


def test_a_refused_candidate_leaves_no_new_round_behind(case):
    mother = case.person("Moeder", relation=Relation.PARENT)
    with pytest.raises(ValidationError) as refused:
        case.trajectory.name_candidate(mother, named_on=case.day(10))
    assert "never be the JIM" in messages(refused.value, "person")
    assert not case.trajectory.nomination_rounds.exists()
