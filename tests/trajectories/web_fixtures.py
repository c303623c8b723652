"""A trajectory with one record of every kind, for the page and API tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.trajectories.conftest import Case, at
from yim.trajectories.models import (
    CarePlan,
    FollowUp,
    Meeting,
    MeetingKind,
    NetworkPerson,
    NetworkTie,
    Phase,
    PlacementDecision,
    SafetyPlan,
)


@dataclass
class Records:
    case: Case
    aunt: NetworkPerson
    neighbour: NetworkPerson
    meeting: Meeting
    plan: CarePlan
    safety: SafetyPlan
    decision: PlacementDecision

    @property
    def trajectory(self):  # type: ignore[no-untyped-def]
        return self.case.trajectory

    @property
    def youth(self):  # type: ignore[no-untyped-def]
        return self.case.youth


def build_records(case: Case) -> Records:
    case.explore(5)
    aunt = case.person("Tante Marieke")
    neighbour = case.person("Buurman Kees", relation="neighbour")
    NetworkTie.connect(aunt, neighbour)
    case.trajectory.advance_to(Phase.CANDIDATES, at=at(case.day(10)))
    jim = case.jim(30, person=aunt)
    case.consent(jim, 35)
    case.trajectory.advance_to(Phase.CONSENT, at=at(case.day(36)))
    case.trajectory.advance_to(Phase.POSITIONING, at=at(case.day(37)))
    meeting = Meeting.objects.create(
        trajectory=case.trajectory, kind=MeetingKind.POSITIONING, held_on=case.day(40)
    )
    case.trajectory.advance_to(Phase.COLLABORATION, at=at(case.day(41)))
    plan = CarePlan.objects.create(trajectory=case.trajectory, made_on=case.day(42))
    plan.add_goal("Back to school three days a week")
    safety = SafetyPlan.objects.create(
        trajectory=case.trajectory, made_on=case.day(42), concerns="Fights", measures="Call"
    )
    decision = PlacementDecision.objects.create(
        trajectory=case.trajectory,
        placement_type="residential",
        decided_on=case.day(60),
        rationale="Escalation",
        youth_view="I want to stay",
    )
    case.trajectory.refresh_from_db()
    return Records(case, aunt, neighbour, meeting, plan, safety, decision)


@pytest.fixture
def records(make_case) -> Records:  # type: ignore[no-untyped-def]
    return build_records(make_case())


def close(case: Case) -> FollowUp:
    case.trajectory.refresh_from_db()
    case.trajectory.close(reason="goals_achieved", jim_relationship="continuing", by=None)
    return FollowUp.objects.get(trajectory=case.trajectory, months=6)
