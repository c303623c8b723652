"""Placement episodes: a placement that began, with its start and end — never created by
finalising a decision; recorded by the professional on the page or through the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import ALL_PERSONAS, PORTAL_PERSONAS
from tests.trajectories.conftest import messages
from tests.trajectories.test_api import bearer
from tests.trajectories.web_fixtures import Records, records  # noqa: F401
from yim.audit.models import AuditEvent
from yim.core.errors import StaleEdit
from yim.trajectories.models import PlacementDecision, PlacementEpisode, Trajectory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def finalised(r: Records) -> PlacementDecision:
    decision = r.decision
    decision.record_consultation(
        consulted_on=decision.decided_on, advice="Stay close to me", weighing="Followed"
    )
    decision.finalise(by=r.case.world.professional)
    return decision


def patch(path: str, body: dict, headers: dict) -> object:
    return Client().patch(path, json.dumps(body), content_type="application/json", **headers)


def post(path: str, body: dict, headers: dict) -> object:
    return Client().post(path, json.dumps(body), content_type="application/json", **headers)


# --- the model's rules -------------------------------------------------------------------


def test_finalising_an_out_of_home_decision_creates_no_episode(records):  # noqa: F811
    finalised(records)
    assert not PlacementEpisode.objects.exists()


def test_a_carried_out_decision_becomes_an_open_episode_of_the_decided_placement(records):  # noqa: F811
    decision = finalised(records)
    episode = PlacementEpisode.record_for_decision(
        decision, carried_out=True, started_on=records.case.day(62)
    )
    assert (episode.placement_type, episode.ended_on, episode.is_ongoing) == (
        "residential", None, True
    )  # fmt: skip
    assert list(PlacementEpisode.objects.ongoing()) == [episode]


def test_a_decision_not_carried_out_has_no_dates_and_is_no_placement(records):  # noqa: F811
    decision = finalised(records)
    with pytest.raises(ValidationError) as refused:
        PlacementEpisode.record_for_decision(
            decision, carried_out=False, started_on=records.case.day(62)
        )
    assert "no dates" in messages(refused.value, "started_on")
    PlacementEpisode.record_for_decision(decision, carried_out=False, note="Aunt took her in")
    assert not PlacementEpisode.objects.realised().exists()


def test_a_decision_outcome_is_recorded_once(records):  # noqa: F811
    decision = finalised(records)
    PlacementEpisode.record_for_decision(decision, carried_out=False)
    with pytest.raises(ValidationError) as refused:
        PlacementEpisode.record_for_decision(
            decision, carried_out=True, started_on=decision.decided_on
        )
    assert "already recorded" in messages(refused.value, "decision")


def test_only_a_finalised_out_of_home_decision_is_carried_out(records):  # noqa: F811
    with pytest.raises(ValidationError) as refused:
        PlacementEpisode.record_for_decision(
            records.decision, carried_out=True, started_on=records.case.day(62)
        )
    assert "finalised out-of-home" in messages(refused.value, "decision")


@pytest.mark.parametrize(
    ("start", "end", "field", "text"),
    [
        (5, None, "started_on", "in the future"),
        (-200, None, "started_on", "before the referral date"),
        (-10, -20, "ended_on", "on or after the day it began"),
        (-10, 3, "ended_on", "in the future"),
    ],
)
def test_episode_dates_are_checked(case, start, end, field, text):  # type: ignore[no-untyped-def]
    today = dt.date(2026, 6, 17)
    with pytest.raises(ValidationError) as refused:
        PlacementEpisode.record_afterwards(
            case.trajectory,
            placement_type="foster_care",
            started_on=today + dt.timedelta(days=start),
            ended_on=None if end is None else today + dt.timedelta(days=end),
            note="Known from the crisis service",
        )
    assert text in messages(refused.value, field)
    assert not PlacementEpisode.objects.exists()


def test_a_placement_from_a_decision_does_not_begin_before_the_decision(records):  # noqa: F811
    decision = finalised(records)
    with pytest.raises(ValidationError) as refused:
        PlacementEpisode.record_for_decision(
            decision, carried_out=True, started_on=decision.decided_on - dt.timedelta(days=1)
        )
    assert "on or after its decision" in messages(refused.value, "started_on")


def test_episodes_of_one_youth_never_overlap_an_open_one_runs_on(case):  # type: ignore[no-untyped-def]
    first = PlacementEpisode.record_afterwards(
        case.trajectory, placement_type="foster_care", started_on=case.day(10),
        ended_on=case.day(20), note="Crisis placement",
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        PlacementEpisode.record_afterwards(
            case.trajectory, placement_type="residential", started_on=case.day(20), note="x"
        )
    assert "already placed" in messages(refused.value, "started_on")
    open_one = PlacementEpisode.record_afterwards(
        case.trajectory, placement_type="residential", started_on=case.day(21), note="Group"
    )
    with pytest.raises(ValidationError):
        PlacementEpisode.record_afterwards(
            case.trajectory, placement_type="residential", started_on=case.day(90), note="y"
        )
    assert list(PlacementEpisode.objects.order_by("started_on")) == [first, open_one]


def test_a_placement_recorded_afterwards_needs_a_note_and_an_out_of_home_type(case):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as refused:
        PlacementEpisode.record_afterwards(
            case.trajectory, placement_type="none", started_on=case.day(10), note=" "
        )
    assert "where this placement is known from" in messages(refused.value, "note")
    assert "out-of-home" in messages(refused.value, "placement_type")


def test_two_people_ending_the_same_episode_the_second_is_refused(case):  # type: ignore[no-untyped-def]
    episode = PlacementEpisode.record_afterwards(
        case.trajectory, placement_type="foster_care", started_on=case.day(10), note="Known"
    )
    other = PlacementEpisode.objects.get(pk=episode.pk)
    episode.ended_on = case.day(40)
    episode.save()
    other.ended_on = case.day(50)
    with pytest.raises(StaleEdit):
        other.save()
    assert PlacementEpisode.objects.get().ended_on == case.day(40)


def test_an_episode_is_ended_after_the_trajectory_closed(records):  # noqa: F811
    decision = finalised(records)
    episode = PlacementEpisode.record_for_decision(
        decision, carried_out=True, started_on=decision.decided_on
    )
    trajectory = Trajectory.objects.get(pk=records.trajectory.pk)
    trajectory.close(reason="placement", jim_relationship="continuing", by=None)
    episode.refresh_from_db()
    episode.ended_on = records.case.day(95)
    episode.save()
    assert PlacementEpisode.objects.get().ended_on == records.case.day(95)


# --- the page ----------------------------------------------------------------------------


def test_the_trajectory_page_asks_whether_a_final_decision_was_carried_out(records, client_for):  # noqa: F811
    decision = finalised(records)
    client = client_for("professional")
    page = client.get(f"/trajectories/{records.trajectory.pk}/", **EN).content.decode()
    assert f"/trajectories/placements/{decision.pk}/outcome/" in page
    response = client.post(
        f"/trajectories/placements/{decision.pk}/outcome/",
        {"carried_out": "yes", "started_on": records.case.day(63).isoformat()},
        **EN,
    )
    assert response.status_code == 302
    episode = PlacementEpisode.objects.get()
    assert (episode.decision, episode.started_on, episode.recorded_by) == (
        decision, records.case.day(63), records.case.world.professional
    )  # fmt: skip
    page = client.get(f"/trajectories/{records.trajectory.pk}/", **EN).content.decode()
    assert f"/trajectories/placements/{decision.pk}/outcome/" not in page
    assert "ongoing" in page
    assert AuditEvent.objects.filter(
        youth_id=records.youth.pk, detail="placement decision: carried out or not"
    ).exists()


def test_a_refused_outcome_keeps_what_was_typed_and_saves_nothing(records, client_for):  # noqa: F811
    decision = finalised(records)
    response = client_for("professional").post(
        f"/trajectories/placements/{decision.pk}/outcome/",
        {"carried_out": "yes", "started_on": "2030-01-01", "note": "typed text"},
        **EN,
    )
    assert response.status_code == 200
    assert "in the future" in " ".join(response.context["form"].errors["started_on"])
    assert "typed text" in response.content.decode()
    assert not PlacementEpisode.objects.exists()


def test_a_placement_is_recorded_afterwards_and_ended_on_the_page(case, client_for):  # type: ignore[no-untyped-def]
    client = client_for("professional")
    response = client.post(
        f"/trajectories/{case.trajectory.pk}/placement-episodes/add/",
        {"placement_type": "foster_care", "started_on": case.day(12).isoformat(),
         "note": "Crisis foster care, from the GP's letter"},
        **EN,
    )  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    episode = PlacementEpisode.objects.get()
    assert episode.source == "recorded_afterwards"
    response = client.post(
        f"/trajectories/placement-episodes/{episode.pk}/",
        {"placement_type": "foster_care", "started_on": case.day(12).isoformat(),
         "ended_on": case.day(30).isoformat(), "note": episode.note, "version": 1},
        **EN,
    )  # fmt: skip
    assert response.status_code == 302
    stale = client.post(
        f"/trajectories/placement-episodes/{episode.pk}/",
        {"placement_type": "foster_care", "started_on": case.day(12).isoformat(),
         "ended_on": case.day(31).isoformat(), "note": episode.note, "version": 1},
        **EN,
    )  # fmt: skip
    assert stale.status_code == 200 and "Someone else changed" in stale.content.decode()
    assert PlacementEpisode.objects.get().ended_on == case.day(30)


@pytest.mark.parametrize(
    "persona", ["other_team_professional", "foreign_professional", "researcher"]
)
def test_outside_the_team_the_episode_pages_answer_404(records, client_for, persona):  # noqa: F811
    decision = finalised(records)
    client = client_for(persona)
    assert client.get(f"/trajectories/placements/{decision.pk}/outcome/").status_code == 404
    assert (
        client.get(f"/trajectories/{records.trajectory.pk}/placement-episodes/add/").status_code
        == 404
    )


# --- the API -----------------------------------------------------------------------------


def test_the_api_records_the_outcome_of_a_decision_and_lists_it(records):  # noqa: F811
    decision = finalised(records)
    headers = bearer(records.case.world.professional)
    created = post(
        f"/api/v1/placement-decisions/{decision.pk}/outcome",
        {"carried_out": True, "started_on": str(records.case.day(64))},
        headers,
    )
    assert created.status_code == 201, created.content
    assert created.json()["placement_type"] == "residential"
    listed = Client().get(
        f"/api/v1/trajectories/{records.trajectory.pk}/placement-episodes", **headers
    )
    assert [e["started_on"] for e in listed.json()] == [str(records.case.day(64))]


def test_the_api_answers_422_per_field_and_409_when_stale(case):  # type: ignore[no-untyped-def]
    headers = bearer(case.world.professional)
    path = f"/api/v1/trajectories/{case.trajectory.pk}/placement-episodes"
    bad = post(path, {"placement_type": "none", "started_on": "2030-01-01", "note": ""}, headers)
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) >= {"placement_type", "started_on", "note"}
    assert not PlacementEpisode.objects.exists()
    good = post(
        path,
        {"placement_type": "foster_care", "started_on": str(case.day(12)), "note": "Known"},
        headers,
    )
    episode_id = good.json()["id"]
    ended = patch(
        f"/api/v1/placement-episodes/{episode_id}",
        {"version": 1, "ended_on": str(case.day(20))},
        headers,
    )
    assert ended.status_code == 200 and ended.json()["version"] == 2
    stale = patch(
        f"/api/v1/placement-episodes/{episode_id}",
        {"version": 1, "ended_on": str(case.day(25))},
        headers,
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    assert PlacementEpisode.objects.get().ended_on == case.day(20)


@pytest.mark.parametrize(
    "persona", [p for p in ALL_PERSONAS if p not in ("professional", "team_lead")]
)
def test_only_the_youths_team_may_record_episodes_through_the_api(records, persona):  # noqa: F811
    decision = finalised(records)
    headers = bearer(records.case.world.persona(persona))
    response = post(
        f"/api/v1/placement-decisions/{decision.pk}/outcome",
        {"carried_out": True, "started_on": str(records.case.day(64))},
        headers,
    )
    assert response.status_code == (403 if persona in PORTAL_PERSONAS else 404)
    assert not PlacementEpisode.objects.exists()
