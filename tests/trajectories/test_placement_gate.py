"""The placement gate, proved through direct model calls (no forms, no views)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import make_user
from tests.trajectories.conftest import messages
from yim.accounts.models import Role
from yim.trajectories.errors import GateClosed
from yim.trajectories.models import DecisionStatus, PlacementDecision, PlacementType


def decision(case, **fields):
    values = {
        "trajectory": case.trajectory,
        "placement_type": PlacementType.RESIDENTIAL,
        "decided_on": case.day(60),
        "rationale": "Escalating conflict at home.",
        "youth_view": "I would rather stay with my aunt.",
        **fields,
    }
    return PlacementDecision.objects.create(**values)


def test_finalising_an_out_of_home_placement_without_consulting_the_jim_is_refused(case, world):
    case.jim(30)
    draft = decision(case)
    with pytest.raises(GateClosed) as refused:
        draft.finalise(world.professional)
    assert "consulted" in messages(refused.value)
    draft.refresh_from_db()
    assert draft.status == DecisionStatus.DRAFT


def test_creating_a_decision_directly_as_final_does_not_pass_the_gate(case):
    case.jim(30)
    with pytest.raises(GateClosed):
        decision(case, status=DecisionStatus.FINALISED)
    assert not PlacementDecision.objects.exists()


def test_setting_the_status_and_saving_does_not_pass_the_gate(case):
    case.jim(30)
    draft = decision(case)
    draft.status = DecisionStatus.FINALISED
    with pytest.raises(GateClosed):
        draft.save()
    assert PlacementDecision.objects.get().status == DecisionStatus.DRAFT


@pytest.mark.parametrize("kind", [PlacementType.FOSTER_CARE, PlacementType.SEMI_SECURE])
def test_every_out_of_home_type_is_gated(case, world, kind):
    case.jim(30)
    with pytest.raises(GateClosed):
        decision(case, placement_type=kind).finalise(world.professional)


def test_an_ambulatory_decision_needs_no_consultation(case, world):
    case.jim(30)
    ambulatory = decision(case, placement_type=PlacementType.NONE)
    ambulatory.finalise(world.professional)
    assert ambulatory.is_finalised


def test_a_recorded_consultation_opens_the_gate(case, world):
    jim = case.jim(30)
    draft = decision(case)
    consultation = draft.record_consultation(
        consulted_on=case.day(58),
        advice="Try three more weeks with the aunt as a place to stay at weekends.",
        weighing="Weighed heavily; placement postponed once, then decided.",
    )
    assert consultation.jim == jim
    draft.finalise(world.professional)
    assert PlacementDecision.objects.get().status == DecisionStatus.FINALISED


def test_a_consultation_needs_the_jims_advice_and_how_it_was_weighed(case):
    case.jim(30)
    draft = decision(case)
    with pytest.raises(ValidationError) as refused:
        draft.record_consultation(consulted_on=case.day(58), advice="", weighing="")
    assert set(refused.value.message_dict) >= {"advice", "weighing"}


def test_a_consultation_after_a_regular_decision_does_not_count(case):
    case.jim(30)
    draft = decision(case)
    with pytest.raises(ValidationError) as refused:
        draft.record_consultation(consulted_on=case.day(61), advice="a", weighing="w")
    assert messages(refused.value, "consulted_on")


def test_without_a_jim_the_reason_opens_the_gate(case, world):
    draft = decision(case)
    with pytest.raises(GateClosed) as refused:
        draft.finalise(world.professional)
    assert "no JIM to consult" in messages(refused.value, "no_jim_reason")
    draft.no_jim_reason = "The youth named nobody; both candidates declined."
    draft.save()
    draft.finalise(world.professional)
    assert draft.is_finalised


def test_a_no_jim_reason_is_refused_when_there_is_a_jim(case):
    case.jim(30)
    with pytest.raises(ValidationError) as refused:
        decision(case, no_jim_reason="No time to ask")
    assert "record the consultation instead" in messages(refused.value, "no_jim_reason")


def test_an_emergency_placement_goes_first_and_is_flagged_until_the_jim_is_consulted(case, world):
    case.jim(30)
    decided = timezone.localdate() - dt.timedelta(days=10)
    emergency = decision(case, is_emergency=True, decided_on=decided)
    emergency.finalise(world.professional)
    assert emergency.consultation_due == decided + dt.timedelta(days=7)
    assert emergency.consultation_pending
    assert emergency.is_consultation_overdue(as_of=decided + dt.timedelta(days=8))
    assert not emergency.is_consultation_overdue(as_of=decided + dt.timedelta(days=7))
    assert list(case.trajectory.overdue_consultations()) == [emergency]
    assert PlacementDecision.objects.consultation_overdue().count() == 1
    emergency.record_consultation(
        consulted_on=decided + dt.timedelta(days=9),
        advice="Visit every weekend.",
        weighing="Weekend visits agreed.",
    )
    emergency.refresh_from_db()
    assert not emergency.consultation_pending
    assert not case.trajectory.overdue_consultations().exists()


def test_only_a_team_lead_of_the_youths_team_confirms_an_emergency(case, world):
    case.jim(30)
    emergency = decision(case, is_emergency=True)
    emergency.finalise(world.professional)
    assert emergency.needs_confirmation
    other_lead = make_user("lead_b", Role.TEAM_LEAD, world.org, world.team_b)
    for not_allowed in (world.professional, other_lead):
        with pytest.raises(ValidationError):
            emergency.confirm_emergency(not_allowed)
    emergency.confirm_emergency(world.team_lead)
    emergency.refresh_from_db()
    assert emergency.confirmed_by == world.team_lead
    assert not PlacementDecision.objects.awaiting_confirmation().exists()


def test_a_finalised_decision_cannot_be_changed(case, world):
    case.jim(30)
    final = decision(case, placement_type=PlacementType.NONE)
    final.finalise(world.professional)
    final.rationale = "Rewritten afterwards"
    with pytest.raises(ValidationError) as refused:
        final.save()
    assert "cannot be changed" in messages(refused.value)
    assert PlacementDecision.objects.get().rationale == "Escalating conflict at home."


def test_only_an_out_of_home_placement_can_be_an_emergency(case):
    with pytest.raises(ValidationError) as refused:
        decision(case, placement_type=PlacementType.NONE, is_emergency=True)
    assert messages(refused.value, "is_emergency")


def test_an_emergency_without_a_jim_is_settled_by_the_reason_recorded_afterwards(case, world):
    decided = timezone.localdate() - dt.timedelta(days=10)
    emergency = decision(case, is_emergency=True, decided_on=decided)
    emergency.finalise(world.professional)
    assert emergency.is_consultation_overdue()
    with pytest.raises(ValidationError) as refused:
        emergency.record_no_jim_reason("   ")
    assert "no JIM could be consulted" in messages(refused.value, "no_jim_reason")
    emergency.record_no_jim_reason("The nomination is still open; nobody has said yes yet.")
    emergency.refresh_from_db()
    assert not emergency.consultation_pending
    assert not emergency.is_consultation_overdue()
    assert not case.trajectory.overdue_consultations().exists()


def test_a_draft_or_a_normal_decision_gets_no_late_no_jim_reason(case, world):
    draft = decision(case, is_emergency=True)
    with pytest.raises(ValidationError):
        draft.record_no_jim_reason("Nobody found yet, search goes on.")
    draft.refresh_from_db()
    assert draft.no_jim_reason == ""


def test_the_policy_asks_the_model_who_confirms_an_emergency(case, world):
    from yim import policy

    team_id = case.trajectory.team_id
    other_lead = make_user("lead_b", Role.TEAM_LEAD, world.org, world.team_b)
    pending_lead = make_user("lead_new", Role.TEAM_LEAD, world.org, world.team_a)
    pending_lead.case_access_pending = True
    inactive_lead = make_user("lead_gone", Role.TEAM_LEAD, world.org, world.team_a)
    inactive_lead.is_active = False
    answers = {
        user.username: (
            PlacementDecision.may_confirm_emergency(user, team_id),
            policy.can_confirm_emergency(user, team_id),
        )
        for user in (world.team_lead, world.professional, other_lead, pending_lead, inactive_lead)
    }
    assert answers == {
        world.team_lead.username: (True, True),
        world.professional.username: (False, False),
        "lead_b": (False, False),
        # The role and team rule is the model's; access in force is the policy's addition.
        "lead_new": (True, False),
        "lead_gone": (True, False),
    }
