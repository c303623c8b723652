"""The smaller forms: care plan and goals, safety plan, 'no JIM found', a JIM under 18,
a JIM who stops, the referral, and the emergency placement with the team lead's confirmation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.trajectories.web_fixtures import records  # noqa: F401
from yim.trajectories.models import (
    CarePlan,
    Goal,
    NoJimOutcome,
    PlacementDecision,
    SafetyPlan,
    Trajectory,
)
from yim.trajectories.timeline import open_tasks

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def today() -> str:
    return timezone.localdate().isoformat()


def test_the_care_plan_waits_for_the_network_map(make_case, client_for):
    case = make_case()
    client = client_for("professional")
    response = client.post(
        f"/trajectories/{case.trajectory.pk}/care-plan/", {"made_on": today(), "summary": "x"}, **EN
    )
    assert "The network is explored before the care plan is made" in " ".join(
        response.context["form"].errors["made_on"]
    )
    assert not CarePlan.objects.exists()
    case.explore()
    response = client.post(
        f"/trajectories/{case.trajectory.pk}/care-plan/", {"made_on": today(), "summary": "x"}
    )
    assert response.status_code == 302
    plan = CarePlan.objects.get()
    response = client.post(
        f"/trajectories/{case.trajectory.pk}/care-plan/goals/add/",
        {"description": "School three days a week", "status": "open", "status_note": ""},
    )
    goal = Goal.objects.get(plan=plan)
    response = client.post(
        f"/trajectories/goals/{goal.pk}/",
        {"version": goal.version, "description": goal.description, "status": "achieved"},
    )
    assert response.status_code == 302
    assert Goal.objects.get(pk=goal.pk).status == "achieved"


def test_a_safety_plan_is_made_and_ended(make_case, client_for):
    case = make_case()
    client = client_for("professional")
    client.post(
        f"/trajectories/{case.trajectory.pk}/safety-plans/add/",
        {"made_on": today(), "concerns": "Violence at home", "measures": "Stay at aunt's"},
    )
    plan = SafetyPlan.objects.get(trajectory=case.trajectory)
    response = client.post(
        f"/trajectories/safety-plans/{plan.pk}/",
        {
            "version": plan.version,
            "made_on": plan.made_on.isoformat(),
            "concerns": plan.concerns,
            "measures": plan.measures,
            "ended_on": (plan.made_on - dt.timedelta(days=1)).isoformat(),
        },
        **EN,
    )
    assert "cannot end before it was made" in " ".join(response.context["form"].errors["ended_on"])
    assert SafetyPlan.objects.get(pk=plan.pk).ended_on is None


def test_no_jim_found_is_recorded_with_reasons_and_closes_the_round(make_case, client_for):
    case = make_case()
    case.explore()
    case.trajectory.start_round(on=case.day(10))
    response = client_for("professional").post(
        f"/trajectories/{case.trajectory.pk}/no-jim/",
        {
            "recorded_on": today(),
            "reason": "all_declined",
            "explanation": "",
            "alternatives_tried": "Asked the football club and the church.",
        },
    )
    assert response.status_code == 302
    assert NoJimOutcome.objects.get(trajectory=case.trajectory).reason == "all_declined"
    assert case.trajectory.open_round() is None


def test_a_jim_under_18_needs_the_confirmation_first(make_case, client_for):
    case = make_case()
    case.explore()
    cousin = case.person("Neef Tim", relation="cousin", age_band="16_17")
    round_ = case.trajectory.start_round(on=case.day(10))
    candidate = round_.add_candidate(cousin, named_on=case.day(10))
    client = client_for("professional")
    path = f"/trajectories/candidates/{candidate.pk}/"
    accept = {
        "action": "response",
        "response": "accepted",
        "asked_on": case.day(11).isoformat(),
        "response_on": case.day(12).isoformat(),
    }
    refused = client.post(path, {**accept, "version": candidate.version}, **EN)
    assert "This person is under 18" in " ".join(
        refused.context["forms"]["response"].errors["response"]
    )
    assert client.get(path).context["show_minor"]
    confirmed = client.post(
        path,
        {
            "action": "minor",
            "version": candidate.version,
            "confirmed_on": today(),
            "reason": "Tim is 17, mature, and the youth's closest confidant.",
        },
    )
    assert confirmed.status_code == 302
    candidate.refresh_from_db()
    assert client.post(path, {**accept, "version": candidate.version}).status_code == 302
    candidate.refresh_from_db()
    assert candidate.is_active_jim
    ended = client.post(
        path,
        {"action": "end", "version": candidate.version, "ended_on": today(), "reason": "moved"},
    )
    assert ended.status_code == 302
    candidate.refresh_from_db()
    assert not candidate.is_active_jim and candidate.jim_end_reason == "moved"


def test_the_referral_is_edited_with_its_version(records, client_for):  # noqa: F811
    trajectory = records.trajectory
    data = {
        "version": trajectory.version,
        "referred_on": trajectory.referred_on.isoformat(),
        "referral_source": "school",
        "referral_reason": "Updated reason",
        "requested_placement": "residential",
        "placement_basis": "",
    }
    refused = client_for("professional").post(
        f"/trajectories/{trajectory.pk}/referral/", data, **EN
    )
    assert "requested or indicated" in " ".join(refused.context["form"].errors["placement_basis"])
    data["placement_basis"] = "indicated"
    assert (
        client_for("professional")
        .post(f"/trajectories/{trajectory.pk}/referral/", data)
        .status_code
        == 302
    )
    assert Trajectory.objects.get(pk=trajectory.pk).referral_reason == "Updated reason"


def test_an_emergency_placement_goes_first_and_a_team_lead_confirms_it(records, client_for):  # noqa: F811
    trajectory = records.trajectory
    professional, lead = client_for("professional"), client_for("team_lead")
    professional.post(
        f"/trajectories/{trajectory.pk}/placements/add/",
        {
            "placement_type": "foster_care",
            "decided_on": today(),
            "rationale": "Unsafe tonight",
            "youth_view": "Scared",
            "is_emergency": "on",
        },
    )
    decision = PlacementDecision.objects.get(placement_type="foster_care")
    path = f"/trajectories/placements/{decision.pk}/"
    assert (
        professional.post(
            path, {"action": "finalise", "version": decision.version, "confirmed": "1"}
        ).status_code
        == 302
    )
    decision.refresh_from_db()
    assert decision.is_finalised and decision.consultation_pending
    assert decision.consultation_due == timezone.localdate() + dt.timedelta(days=7)
    assert not professional.get(path).context["can_confirm"]
    assert (
        professional.post(path, {"action": "confirm", "version": decision.version}).status_code
        == 404
    )
    assert lead.get(path).context["can_confirm"]
    assert lead.post(path, {"action": "confirm", "version": decision.version}).status_code == 302
    decision.refresh_from_db()
    assert decision.confirmed_by == records.case.world.team_lead
    later = timezone.localdate() + dt.timedelta(days=8)
    overdue = [t for t in open_tasks(trajectory, as_of=later) if t.overdue]
    assert any(t.due_on == decision.consultation_due for t in overdue)
    professional.post(
        path,
        {
            "action": "consultation",
            "consultation-consulted_on": today(),
            "consultation-advice": "Agree, short stay",
            "consultation-weighing": "Followed",
        },
    )
    decision.refresh_from_db()
    assert not decision.consultation_pending


def test_an_emergency_without_a_jim_gets_its_no_jim_reason_on_the_page_afterwards(
    make_case, client_for
):
    case = make_case()  # searching: no JIM yet
    trajectory = case.trajectory
    professional = client_for("professional")
    decision = PlacementDecision.objects.create(
        trajectory=trajectory,
        placement_type="foster_care",
        decided_on=timezone.localdate() - dt.timedelta(days=9),
        rationale="Unsafe at home",
        youth_view="Scared",
        is_emergency=True,
    )
    decision.finalise(case.world.professional)
    path = f"/trajectories/placements/{decision.pk}/"
    page = professional.get(path)
    assert b'id="no-jim"' in page.content
    too_short = professional.post(
        path, {"action": "no_jim", "no-jim-version": decision.version, "no-jim-no_jim_reason": "x"}
    )
    assert too_short.status_code == 200
    assert too_short.context["forms"]["no_jim"].errors["no_jim_reason"]
    reason = "No JIM yet: the nomination round is still open."
    done = professional.post(
        path,
        {"action": "no_jim", "no-jim-version": decision.version, "no-jim-no_jim_reason": reason},
    )
    assert done.status_code == 302
    decision.refresh_from_db()
    assert decision.no_jim_reason == reason and not decision.consultation_pending
    assert b'id="no-jim"' not in professional.get(path).content
    assert not [t for t in open_tasks(trajectory) if t.due_on == decision.consultation_due]
    assert (
        client_for("other_team_professional")
        .post(path, {"action": "no_jim", "no-jim-version": decision.version})
        .status_code
        == 404
    )
