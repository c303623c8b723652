"""Irreversible steps ask first: finalising a placement decision and closing a trajectory
show what they do and what is still open; only a POST with ``confirmed=1`` does the step,
and the message afterwards says what happened. (The API has no confirmation step: see
``test_api_placement_gate``.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.trajectories.web_fixtures import Records, records  # noqa: F401
from yim.trajectories.models import JimConsultation, PlacementDecision, Trajectory
from yim.trajectories.models.base import today

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
STALE = "Someone else changed this record while you were editing it."


def closing(trajectory: Trajectory, **extra: Any) -> dict[str, Any]:
    return {
        "version": trajectory.version,
        "closed_on": today().isoformat(),
        "reason": "goals_achieved",
        "jim_relationship": "continuing",
        "note": "",
        **extra,
    }


def consulted(r: Records) -> PlacementDecision:
    """The fixture's draft (residential care), with the JIM consulted: the gate is open."""
    JimConsultation.objects.create(
        decision=r.decision,
        jim=r.trajectory.active_jim,
        consulted_on=r.decision.decided_on,
        advice="Weekends with me first.",
        weighing="Adopted.",
    )
    r.decision.refresh_from_db()
    return r.decision


def emergency(r: Records, *, finalised: bool) -> PlacementDecision:
    decision = PlacementDecision.objects.create(
        trajectory=r.trajectory,
        placement_type="foster_care",
        decided_on=today(),
        rationale="Unsafe tonight",
        youth_view="Scared",
        is_emergency=True,
    )
    if finalised:
        decision.finalise(by=r.case.world.professional)
    return decision


def flashed(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def break_glass(client: Any, r: Records) -> Any:
    client.post(
        "/youth/break-glass/",
        {"youth_id": r.youth.pk, "reason": "Crisis call at night, file needed now."},
    )
    return client


# --- closing --------------------------------------------------------------------------------


def test_the_close_page_names_the_consequences_and_what_is_still_open(records, client_for):  # noqa: F811
    emergency(records, finalised=True)
    response = client_for("professional").get(f"/trajectories/{records.trajectory.pk}/close/", **EN)

    assert response.status_code == 200
    open_keys = {m.key for m in response.context["matters"]}
    assert {"consultation_due", "emergency_unconfirmed", "open_goals", "draft_decision"} <= (
        open_keys
    )
    html = response.content.decode()
    assert "Goals still open: Back to school three days a week." in html
    assert "is in force and not yet confirmed by a team lead" in html
    planned = [due for _months, due in response.context["follow_ups"]]
    assert planned == [
        dt.date(2026, 12, 17),
        dt.date(2027, 6, 17),
        dt.date(2028, 6, 17),
    ]  # the clock of the tests stands at 17 June 2026
    assert 'name="confirmed" value="1"' in html
    records.trajectory.refresh_from_db()
    assert not records.trajectory.is_closed


def test_the_close_page_warns_about_an_open_round_and_candidates_without_an_answer(
    make_case, client_for
):
    case = make_case(started_days_ago=40)
    case.explore(1)
    round_ = case.trajectory.start_round(on=case.day(2))
    round_.add_candidate(case.person("Tante Ria"), named_on=case.day(3))
    response = client_for("professional").get(f"/trajectories/{case.trajectory.pk}/close/", **EN)
    html = response.content.decode()
    assert "Round 1 of the nomination is still open." in html
    assert "Candidates without an answer: Tante Ria." in html


def test_closing_without_the_confirmation_closes_nothing(records, client_for):  # noqa: F811
    trajectory = records.trajectory
    response = client_for("professional").post(
        f"/trajectories/{trajectory.pk}/close/", closing(trajectory), **EN
    )
    assert response.status_code == 200
    assert "Nothing was closed yet" in response.content.decode()
    trajectory.refresh_from_db()
    assert not trajectory.is_closed and not trajectory.follow_ups.exists()


def test_closing_with_the_confirmation_closes_and_says_when_the_follow_ups_are(
    records,  # noqa: F811
    client_for,
):
    trajectory = records.trajectory
    response = client_for("professional").post(
        f"/trajectories/{trajectory.pk}/close/",
        closing(trajectory, confirmed="1"),
        follow=True,
        **EN,
    )
    trajectory.refresh_from_db()
    assert trajectory.is_closed and trajectory.follow_ups.count() == 3
    assert flashed(response) == [
        "Trajectory closed on June 17, 2026; follow-ups planned on Dec. 17, 2026, "
        "June 17, 2027 and June 17, 2028."
    ]


def test_a_stale_closure_is_refused_with_and_without_the_confirmation(records, client_for):  # noqa: F811
    trajectory = records.trajectory
    data = closing(trajectory)
    Trajectory.objects.get(pk=trajectory.pk).save()  # someone else changed the trajectory
    client = client_for("professional")
    for extra in ({}, {"confirmed": "1"}):
        response = client.post(f"/trajectories/{trajectory.pk}/close/", {**data, **extra}, **EN)
        assert response.status_code == 200
        assert STALE in " ".join(response.context["form"].non_field_errors())
    trajectory.refresh_from_db()
    assert not trajectory.is_closed


@pytest.mark.parametrize("persona", ["other_team_professional", "foreign_professional", "jim"])
def test_outsiders_get_404_on_the_confirmations(records, client_for, persona):  # noqa: F811
    client = client_for(persona)
    trajectory, decision = records.trajectory, consulted(records)
    close = f"/trajectories/{trajectory.pk}/close/"
    finalise = f"/trajectories/placements/{decision.pk}/"
    assert client.get(close).status_code == 404
    assert client.post(close, closing(trajectory, confirmed="1")).status_code == 404
    assert client.get(finalise + "?confirm=finalise").status_code == 404
    data = {"action": "finalise", "version": decision.version, "confirmed": "1"}
    assert client.post(finalise, data).status_code == 404
    decision.refresh_from_db()
    trajectory.refresh_from_db()
    assert decision.status == "draft" and not trajectory.is_closed


def test_break_the_glass_sees_the_stepper_without_links_and_cannot_confirm(
    records,  # noqa: F811
    client_for,
):
    client = break_glass(client_for("other_team_professional"), records)
    trajectory, decision = records.trajectory, consulted(records)
    page = client.get(f"/trajectories/{trajectory.pk}/", **EN)
    assert page.status_code == 200
    html = page.content.decode()
    stepper = html[html.index('id="stepper"') : html.index('id="phase"')]
    assert 'aria-current="step"' in stepper and "Suggested next step" in stepper
    assert "<a " not in stepper
    assert client.get(f"/trajectories/{trajectory.pk}/close/").status_code == 404
    path = f"/trajectories/placements/{decision.pk}/"
    assert client.get(path).status_code == 200  # reads the decision
    assert client.get(path + "?confirm=finalise").status_code == 404
    data = {"action": "finalise", "version": decision.version, "confirmed": "1"}
    assert client.post(path, data).status_code == 404
    decision.refresh_from_db()
    assert decision.status == "draft"


def test_the_team_sees_the_stepper_with_links_and_the_current_phase_marked(
    records,  # noqa: F811
    client_for,
):
    html = client_for("professional").get(f"/trajectories/{records.trajectory.pk}/", **EN)
    stepper = html.content.decode()
    stepper = stepper[stepper.index('id="stepper"') : stepper.index('id="phase"')]
    assert '<li data-phase="collaboration" data-state="current" aria-current="step">' in stepper
    assert stepper.count('aria-current="step"') == 1
    assert '<a href="/trajectories/placements/' in stepper


# --- finalising a placement decision -------------------------------------------------------


def test_the_finalise_confirmation_says_it_is_final_who_is_told_and_what_is_open(
    records,  # noqa: F811
    client_for,
):
    decision = consulted(records)
    emergency(records, finalised=True)
    path = f"/trajectories/placements/{decision.pk}/"
    response = client_for("professional").get(path + "?confirm=finalise", **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "can no longer be changed" in html
    assert "Parents with parental authority are told that their child is placed" in html
    keys = {m.key for m in response.context["matters"]}
    assert {"consultation_due", "emergency_unconfirmed", "open_goals"} <= keys
    assert "draft_decision" not in keys  # the decision being finalised is no open draft
    assert 'name="confirmed" value="1"' in html
    decision.refresh_from_db()
    assert decision.status == "draft"


def test_the_finalise_button_of_the_decision_page_asks_first_and_finalises_nothing(
    records,  # noqa: F811
    client_for,
):
    decision = consulted(records)
    path = f"/trajectories/placements/{decision.pk}/"
    response = client_for("professional").post(
        path, {"action": "finalise", "version": decision.version}, **EN
    )
    assert response.status_code == 200
    assert response.templates[0].name == "trajectories/confirm_finalise.html"
    decision.refresh_from_db()
    assert decision.status == "draft"


def test_finalising_with_the_confirmation_says_what_was_decided(records, client_for):  # noqa: F811
    decision = consulted(records)
    response = client_for("professional").post(
        f"/trajectories/placements/{decision.pk}/",
        {"action": "finalise", "version": decision.version, "confirmed": "1"},
        follow=True,
        **EN,
    )
    decision.refresh_from_db()
    assert decision.status == "finalised"
    assert flashed(response) == [
        "Placement decision final: out-of-home placement (residential care) as of May 8, 2026."
    ]


def test_finalising_an_emergency_says_when_the_jim_is_to_be_consulted(records, client_for):  # noqa: F811
    decision = emergency(records, finalised=False)
    path = f"/trajectories/placements/{decision.pk}/"
    client = client_for("professional")
    asked = client.get(path + "?confirm=finalise", **EN).content.decode()
    assert "the JIM is to be consulted within 7 days, by June 24, 2026" in asked
    response = client.post(
        path,
        {"action": "finalise", "version": decision.version, "confirmed": "1"},
        follow=True,
        **EN,
    )
    assert flashed(response) == [
        "Placement decision final: out-of-home placement (foster care) as of June 17, 2026. "
        "The JIM is to be consulted by June 24, 2026."
    ]


def test_the_confirmation_shows_the_gate_and_offers_no_button_while_it_is_closed(
    records,  # noqa: F811
    client_for,
):
    decision = records.decision  # no JIM consultation yet
    response = client_for("professional").get(
        f"/trajectories/placements/{decision.pk}/?confirm=finalise", **EN
    )
    html = response.content.decode()
    assert "cannot be finalised before the JIM has been consulted" in html
    assert 'name="confirmed"' not in html


def test_a_stale_finalise_is_refused_with_and_without_the_confirmation(records, client_for):  # noqa: F811
    decision = consulted(records)
    shown = decision.version
    PlacementDecision.objects.get(pk=decision.pk).save()  # someone else changed the draft
    client = client_for("professional")
    for extra in ({}, {"confirmed": "1"}):
        response = client.post(
            f"/trajectories/placements/{decision.pk}/",
            {"action": "finalise", "version": shown, **extra},
            **EN,
        )
        assert response.status_code == 200
        form = response.context["forms"]["finalise"]
        assert STALE in " ".join(form.non_field_errors())
    decision.refresh_from_db()
    assert decision.status == "draft"


def test_a_final_decision_is_not_asked_again(records, client_for):  # noqa: F811
    decision = consulted(records)
    decision.finalise(by=records.case.world.professional)
    path = f"/trajectories/placements/{decision.pk}/"
    response = client_for("professional").get(path + "?confirm=finalise")
    assert response.status_code == 302 and response["Location"] == path
