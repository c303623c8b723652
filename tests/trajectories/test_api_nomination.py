"""Nomination through the API: rounds, candidates, responses, the under-18 confirmation, a
JIM stopping and 'no JIM found' — every JIM criterion judged by the models, every write
audited, edits refused from a stale version, out-of-scope callers refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import ALL_PERSONAS
from tests.trajectories.conftest import Case, at
from tests.trajectories.test_api import bearer, expected_status
from yim.audit.models import AuditEvent
from yim.trajectories.models import (
    AgeBand,
    Candidate,
    NoJimOutcome,
    NominationRound,
    Phase,
    Relation,
    Response,
)

pytestmark = pytest.mark.django_db
TEAM = {"professional", "team_lead"}


def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return Client().post(path, json.dumps(body), content_type="application/json", **headers)


def searching(case: Case) -> Case:
    """The case in the candidates phase, with no round yet."""
    case.explore(5)
    case.trajectory.advance_to(Phase.CANDIDATES, at=at(case.day(10)))
    return case


def named(case: Case, *people: Any, offset: int = 20) -> list[Candidate]:
    """Open a round and name ``people`` (pending), ``offset`` days after the start."""
    round_ = case.trajectory.open_round() or case.trajectory.start_round(on=case.day(offset))
    return [round_.add_candidate(p, named_on=case.day(offset)) for p in people]


def url(case: Case, tail: str) -> str:
    return f"/api/v1/trajectories/{case.trajectory.pk}/{tail}"


# --- who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_rounds_candidates_and_no_jim_follow_the_policy_scope(case, persona):
    searching(case)
    aunt = case.person("Tante Marieke")
    headers = bearer(case.world.persona(persona))
    allowed = persona in TEAM
    denied = expected_status(persona)

    started = post(url(case, "nominations"), {"started_on": str(case.day(20))}, headers)
    assert started.status_code == (201 if allowed else denied), started.content
    candidate = post(
        url(case, "candidates"), {"person_id": aunt.pk, "named_on": str(case.day(21))}, headers
    )
    assert candidate.status_code == (201 if allowed else denied)
    assert Client().get(url(case, "nominations"), **headers).status_code == (
        200 if allowed else denied
    )
    no_jim = post(
        url(case, "no-jim"),
        {"reason": "all_declined", "alternatives_tried": "Asked the coach"},
        headers,
    )
    assert no_jim.status_code == (201 if allowed else denied)
    assert Client().get(url(case, "no-jim"), **headers).status_code == (200 if allowed else denied)

    assert NominationRound.objects.filter(trajectory=case.trajectory).exists() == allowed
    assert Candidate.objects.filter(trajectory=case.trajectory).exists() == allowed
    assert NoJimOutcome.objects.filter(trajectory=case.trajectory).exists() == allowed


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_candidate_edits_follow_the_policy_scope(case, persona):
    searching(case)
    jim, minor = named(
        case, case.person("Tante Marieke"), case.person("Neef Ali", age_band=AgeBand.AGE_16_17)
    )
    jim.record_response(Response.ACCEPTED, case.day(30), asked_on=case.day(25))
    headers = bearer(case.world.persona(persona))
    allowed = persona in TEAM
    denied = expected_status(persona)

    confirmed = post(
        f"/api/v1/candidates/{minor.pk}/minor-confirmation",
        {"version": minor.version, "reason": "Steady, the youth's own choice"},
        headers,
    )
    assert confirmed.status_code == (200 if allowed else denied)
    minor.refresh_from_db()
    declined = post(
        f"/api/v1/candidates/{minor.pk}/response",
        {
            "version": minor.version,
            "response": "declined",
            "asked_on": str(case.day(22)),
            "response_on": str(case.day(23)),
            "decline_reason": "Exams this year",
        },
        headers,
    )
    assert declined.status_code == (200 if allowed else denied)
    stopped = post(
        f"/api/v1/candidates/{jim.pk}/stop",
        {"version": jim.version, "ended_on": str(case.day(60)), "reason": "moved"},
        headers,
    )
    assert stopped.status_code == (200 if allowed else denied)

    minor.refresh_from_db()
    jim.refresh_from_db()
    assert (minor.minor_confirmed_on is not None) == allowed
    assert (minor.response == Response.DECLINED) == allowed
    assert (jim.jim_ended_on is not None) == allowed


# --- the JIM criteria, judged by the models -------------------------------------------------


@pytest.mark.parametrize(
    "fields", [{"relation": Relation.PARENT}, {"has_parental_authority": True}]
)
def test_a_parent_can_never_be_named_through_the_api(case, fields):
    searching(case)
    parent = case.person("Petra", **fields)
    headers = bearer(case.world.professional)
    response = post(url(case, "candidates"), {"person_id": parent.pk}, headers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"]["person"] == [
        "A parent, step-parent or legal guardian can never be the JIM."
    ]
    assert not Candidate.objects.filter(person=parent).exists()


def test_someone_from_another_youths_network_cannot_be_named(case, make_case):
    searching(case)
    stranger = make_case().person("Oom Piet")
    response = post(
        url(case, "candidates"), {"person_id": stranger.pk}, bearer(case.world.professional)
    )
    assert response.status_code == 422
    assert "person_id" in response.json()["errors"]
    assert not Candidate.objects.exists()


def test_the_household_warning_comes_back_with_the_candidate(case):
    searching(case)
    sister = case.person("Zus Mila", relation=Relation.SIBLING, lives_with_youth=True)
    response = post(
        url(case, "candidates"), {"person_id": sister.pk}, bearer(case.world.professional)
    )
    assert response.status_code == 201
    warnings = response.json()["warnings"]
    assert len(warnings) == 1 and "same household" in warnings[0]
    aunt = case.person("Tante Marieke")
    plain = post(url(case, "candidates"), {"person_id": aunt.pk}, bearer(case.world.professional))
    assert plain.json()["warnings"] == []
    assert plain.json()["round_id"] == response.json()["round_id"]  # the same open round


def test_naming_a_candidate_without_an_open_round_starts_one_like_the_web_page(case):
    searching(case)
    aunt = case.person("Tante Marieke")
    response = post(
        url(case, "candidates"),
        {"person_id": aunt.pk, "named_on": str(case.day(25))},
        bearer(case.world.professional),
    )
    assert response.status_code == 201
    round_ = NominationRound.objects.get(trajectory=case.trajectory)
    assert response.json()["round_id"] == round_.pk
    assert round_.started_on == case.day(25)


def test_a_second_round_is_refused_while_one_is_open(case):
    searching(case)
    headers = bearer(case.world.professional)
    assert post(url(case, "nominations"), {}, headers).status_code == 201
    again = post(url(case, "nominations"), {}, headers)
    assert again.status_code == 422
    assert NominationRound.objects.filter(trajectory=case.trajectory).count() == 1


def test_an_acceptance_under_18_needs_the_confirmation(case):
    searching(case)
    minor = named(case, case.person("Neef Ali", age_band=AgeBand.AGE_16_17))[0]
    headers = bearer(case.world.professional)
    body = {
        "version": minor.version,
        "response": "accepted",
        "asked_on": str(case.day(22)),
        "response_on": str(case.day(24)),
    }
    refused = post(f"/api/v1/candidates/{minor.pk}/response", body, headers)
    assert refused.status_code == 422
    assert any("under 18" in m for m in refused.json()["errors"]["response"])
    minor.refresh_from_db()
    assert minor.response == Response.PENDING and minor.minor_confirmed_on is None

    accepted = post(
        f"/api/v1/candidates/{minor.pk}/response",
        {
            **body,
            "minor_confirmed_on": str(case.day(23)),
            "minor_confirmation": "Older cousin, steady, the youth's own choice",
        },
        headers,
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["is_active_jim"] is True
    assert accepted.json()["minor_confirmed_on"] == str(case.day(23))
    minor.refresh_from_db()
    assert minor.round.outcome == "jim_found"


def test_the_separate_under_18_confirmation_then_the_acceptance(case):
    searching(case)
    minor = named(case, case.person("Neef Ali", age_band=AgeBand.AGE_16_17))[0]
    headers = bearer(case.world.professional)
    empty = post(
        f"/api/v1/candidates/{minor.pk}/minor-confirmation",
        {"version": minor.version, "reason": "  "},
        headers,
    )
    assert empty.status_code == 422
    assert "minor_confirmation" in empty.json()["errors"]
    confirmed = post(
        f"/api/v1/candidates/{minor.pk}/minor-confirmation",
        {"version": minor.version, "reason": "Steady", "confirmed_on": str(case.day(23))},
        headers,
    )
    assert confirmed.status_code == 200
    accepted = post(
        f"/api/v1/candidates/{minor.pk}/response",
        {
            "version": confirmed.json()["version"],
            "response": "accepted",
            "asked_on": str(case.day(22)),
            "response_on": str(case.day(24)),
        },
        headers,
    )
    assert accepted.status_code == 200, accepted.content


def test_a_second_active_jim_is_refused_through_the_api(case):
    searching(case)
    aunt, neighbour = named(
        case, case.person("Tante Marieke"), case.person("Buurman Kees", relation="neighbour")
    )
    headers = bearer(case.world.professional)

    def accept(candidate: Candidate) -> Any:
        return post(
            f"/api/v1/candidates/{candidate.pk}/response",
            {
                "version": candidate.version,
                "response": "accepted",
                "asked_on": str(case.day(22)),
                "response_on": str(case.day(25)),
            },
            headers,
        )

    assert accept(aunt).status_code == 200
    second = accept(neighbour)
    assert second.status_code == 422
    assert second.json()["errors"]["response"] == [
        "Tante Marieke is already this youth's JIM. Record that they stopped before another "
        "JIM accepts."
    ]
    neighbour.refresh_from_db()
    assert neighbour.response == Response.PENDING
    # Nor can a new round start while the JIM is active.
    assert post(url(case, "nominations"), {}, headers).status_code == 422


def test_after_the_jim_stops_a_new_round_may_start(case):
    searching(case)
    jim = case.jim(30)
    headers = bearer(case.world.professional)
    no_reason = post(
        f"/api/v1/candidates/{jim.pk}/stop",
        {"version": jim.version, "ended_on": str(case.day(60)), "reason": "bored"},
        headers,
    )
    assert no_reason.status_code == 422  # not a reason the model knows
    stopped = post(
        f"/api/v1/candidates/{jim.pk}/stop",
        {"version": jim.version, "ended_on": str(case.day(60)), "reason": "moved"},
        headers,
    )
    assert stopped.status_code == 200
    assert stopped.json()["is_active_jim"] is False
    assert stopped.json()["jim_end_reason"] == "moved"
    again = post(
        f"/api/v1/candidates/{jim.pk}/stop",
        {"version": stopped.json()["version"], "ended_on": str(case.day(61)), "reason": "moved"},
        headers,
    )
    assert again.status_code == 422  # not the active JIM any more
    assert post(url(case, "nominations"), {}, headers).status_code == 201


def test_a_decline_needs_its_reason(case):
    searching(case)
    aunt = named(case, case.person("Tante Marieke"))[0]
    response = post(
        f"/api/v1/candidates/{aunt.pk}/response",
        {
            "version": aunt.version,
            "response": "declined",
            "asked_on": str(case.day(22)),
            "response_on": str(case.day(23)),
        },
        bearer(case.world.professional),
    )
    assert response.status_code == 422
    assert response.json()["errors"]["decline_reason"] == ["Record why this person declined."]


def test_no_answer_is_recorded_as_a_response(case):
    searching(case)
    aunt = named(case, case.person("Tante Marieke"))[0]
    response = post(
        f"/api/v1/candidates/{aunt.pk}/response",
        {
            "version": aunt.version,
            "response": "no_answer",
            "asked_on": str(case.day(22)),
            "response_on": str(case.day(40)),
        },
        bearer(case.world.professional),
    )
    assert response.status_code == 200
    aunt.refresh_from_db()
    assert aunt.response == Response.NO_ANSWER


def test_no_jim_found_needs_its_reasons_and_closes_the_round(case):
    searching(case)
    named(case, case.person("Tante Marieke"))
    headers = bearer(case.world.professional)
    vague = post(url(case, "no-jim"), {"reason": "other", "alternatives_tried": "x"}, headers)
    assert vague.status_code == 422
    assert vague.json()["errors"]["explanation"] == ["Explain the reason."]
    recorded = post(
        url(case, "no-jim"),
        {
            "reason": "all_declined",
            "alternatives_tried": "Asked the coach and a neighbour",
            "recorded_on": str(case.day(50)),
        },
        headers,
    )
    assert recorded.status_code == 201
    assert recorded.json()["reason"] == "all_declined"
    round_ = NominationRound.objects.get(trajectory=case.trajectory)
    assert round_.outcome == "no_jim" and round_.closed_on == case.day(50)
    listed = Client().get(url(case, "no-jim"), **headers).json()
    assert [o["id"] for o in listed] == [recorded.json()["id"]]


# --- optimistic locking -------------------------------------------------------------------------


def test_a_response_from_a_stale_version_answers_409_and_changes_nothing(case):
    searching(case)
    aunt = named(case, case.person("Tante Marieke"))[0]
    read_version = aunt.version
    aunt.record_asked(case.day(22))  # someone else saved the candidate meanwhile
    response = post(
        f"/api/v1/candidates/{aunt.pk}/response",
        {
            "version": read_version,
            "response": "declined",
            "asked_on": str(case.day(22)),
            "response_on": str(case.day(23)),
            "decline_reason": "No time",
        },
        bearer(case.world.professional),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "stale"
    assert response.json()["detail"]
    aunt.refresh_from_db()
    assert aunt.response == Response.PENDING
    assert aunt.version == read_version + 1


def test_stopping_a_jim_from_a_stale_version_answers_409(case):
    searching(case)
    jim = case.jim(30)
    response = post(
        f"/api/v1/candidates/{jim.pk}/stop",
        {"version": jim.version + 1, "ended_on": str(case.day(60)), "reason": "moved"},
        bearer(case.world.professional),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "stale"
    jim.refresh_from_db()
    assert jim.is_active_jim


# --- audit ---------------------------------------------------------------------------------


def test_every_nomination_write_leaves_an_audit_row(case):
    searching(case)
    aunt = case.person("Tante Marieke")
    headers = bearer(case.world.professional)
    user = case.world.professional

    def audited(response: Any, object_type: str, action: str) -> None:
        assert response.status_code in (200, 201), response.content
        event = AuditEvent.objects.filter(actor_id=user.pk).order_by("-pk").first()
        assert event is not None
        assert (event.action, event.object_type, event.object_id) == (
            action,
            object_type,
            str(response.json()["id"]),
        )
        assert event.youth_id == case.youth.pk

    day = {n: str(case.day(n)) for n in (98, 99, 100)}
    started = post(url(case, "nominations"), {"started_on": day[98]}, headers)
    audited(started, "nominationround", "create")
    named_ = post(url(case, "candidates"), {"person_id": aunt.pk, "named_on": day[98]}, headers)
    audited(named_, "candidate", "create")
    cid, version = named_.json()["id"], named_.json()["version"]
    answered = post(
        f"/api/v1/candidates/{cid}/response",
        {
            "version": version,
            "response": "accepted",
            "asked_on": day[99],
            "response_on": day[99],
        },
        headers,
    )
    audited(answered, "candidate", "update")
    stopped = post(
        f"/api/v1/candidates/{cid}/stop",
        {"version": answered.json()["version"], "ended_on": day[100], "reason": "other"},
        headers,
    )
    audited(stopped, "candidate", "update")
    audited(
        post(url(case, "no-jim"), {"reason": "all_declined", "alternatives_tried": "x"}, headers),
        "nojimoutcome",
        "create",
    )
    minor = case.person("Neef Ali", age_band=AgeBand.AGE_16_17)
    round_ = case.trajectory.start_round(on=case.day(100))
    candidate = round_.add_candidate(minor, named_on=case.day(100))
    audited(
        post(
            f"/api/v1/candidates/{candidate.pk}/minor-confirmation",
            {"version": candidate.version, "reason": "Steady"},
            headers,
        ),
        "candidate",
        "update",
    )


def test_a_refused_write_leaves_no_audit_row_of_a_change(case):
    searching(case)
    parent = case.person("Petra", relation=Relation.PARENT)
    before = AuditEvent.objects.filter(action="create").count()
    post(url(case, "candidates"), {"person_id": parent.pk}, bearer(case.world.professional))
    assert AuditEvent.objects.filter(action="create").count() == before


def test_listing_nominations_does_not_query_per_candidate(case):
    searching(case)
    named(case, case.person("Tante Marieke"))
    headers = bearer(case.world.professional)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert Client().get(url(case, "nominations"), **headers).status_code == 200
        return len(captured)

    one = queries()
    named(case, *[case.person(f"Buur {i}", relation="neighbour") for i in range(4)])
    assert queries() == one
