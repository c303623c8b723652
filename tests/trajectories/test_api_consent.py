"""Consent through the API: the age rule is the model's, a wrong party answers 422 with the
model's message, the status per JIM follows the records, and only the youth's team writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tests.conftest import ALL_PERSONAS
from tests.trajectories.conftest import Case, at
from tests.trajectories.test_api import bearer, expected_status
from tests.trajectories.test_api_nomination import TEAM, named, post, searching, url
from yim.audit.models import AuditEvent
from yim.trajectories.models import Candidate, ConsentRecord

pytestmark = pytest.mark.django_db


def with_jim(case: Case) -> Candidate:
    searching(case)
    return case.jim(30)


def consent(case: Case, headers: dict[str, str], **body: Any) -> Any:
    body.setdefault("given_at", at(case.day(35)).isoformat())
    return post(url(case, "consents"), body, headers)


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_consents_follow_the_policy_scope(case, persona):
    with_jim(case)
    headers = bearer(case.world.persona(persona))
    allowed = persona in TEAM
    denied = expected_status(persona)
    written = consent(case, headers, party="youth", decision="yes")
    assert written.status_code == (201 if allowed else denied), written.content
    assert Client().get(url(case, "consents"), **headers).status_code == (
        200 if allowed else denied
    )
    assert ConsentRecord.objects.exists() == allowed


def test_a_party_the_age_rule_does_not_ask_for_answers_422_with_the_models_message(make_case):
    case = make_case(age_years=17)
    with_jim(case)
    headers = bearer(case.world.professional)
    given = at(case.day(35))
    refused = consent(case, headers, party="parent", parent_name="Petra", decision="yes")
    assert refused.status_code == 422
    assert refused.json()["errors"]["party"] == [
        f"On {given.date().isoformat()} the youth was 17: consent is given by the youth alone."
    ]
    assert not ConsentRecord.objects.exists()
    assert consent(case, headers, party="youth", decision="yes").status_code == 201


def test_under_12_the_youth_does_not_consent_but_the_parents_do(make_case):
    case = make_case(age_years=10, age_exception_reason="Younger brother of a youth in care.")
    with_jim(case)
    headers = bearer(case.world.professional)
    refused = consent(case, headers, party="youth", decision="yes")
    assert refused.status_code == 422
    assert "consent is given by the parents" in refused.json()["errors"]["party"][0]
    nameless = consent(case, headers, party="parent", decision="yes")
    assert nameless.status_code == 422
    assert nameless.json()["errors"]["parent_name"] == ["Name the parent who decided."]
    accepted = consent(case, headers, party="parent", parent_name="Petra", decision="yes")
    assert accepted.status_code == 201
    assert ConsentRecord.objects.count() == 1


def test_the_status_per_jim_follows_the_records(case):
    jim = with_jim(case)  # the youth is 15: the youth and the parents consent
    headers = bearer(case.world.professional)
    consent(case, headers, party="youth", decision="reluctant_yes")
    halfway = Client().get(url(case, "consents"), **headers).json()
    assert halfway["required_today"] == ["youth", "parent"]
    [status] = halfway["jims"]
    assert status["candidate_id"] == jim.pk
    assert status["missing"] == ["parent"] and status["complete"] is False
    assert status["reluctant"] is True
    consent(case, headers, party="parent", parent_name="Petra", decision="yes")
    done = Client().get(url(case, "consents"), **headers).json()
    assert done["jims"][0]["complete"] is True and done["jims"][0]["missing"] == []
    assert [(r["party"], r["decision"]) for r in done["records"]] == [
        ("youth", "reluctant_yes"),
        ("parent", "yes"),
    ]
    assert done["records"][0]["person_name"] == "Tante Marieke"


def test_a_refusal_is_recorded_and_reported(case):
    with_jim(case)
    headers = bearer(case.world.professional)
    assert consent(case, headers, party="youth", decision="refused").status_code == 201
    status = Client().get(url(case, "consents"), **headers).json()["jims"][0]
    assert status["refused"] is True and status["complete"] is False


def test_consent_is_for_a_jim_who_accepted(case):
    searching(case)
    pending = named(case, case.person("Tante Marieke"))[0]
    headers = bearer(case.world.professional)
    no_jim = consent(case, headers, party="youth", decision="yes")
    assert no_jim.status_code == 422
    assert "candidate_id" in no_jim.json()["errors"]
    not_accepted = consent(case, headers, candidate_id=pending.pk, party="youth", decision="yes")
    assert not_accepted.status_code == 422
    assert not_accepted.json()["errors"]["candidate"] == [
        "Consent is asked for a candidate who has accepted."
    ]
    assert not ConsentRecord.objects.exists()


def test_a_candidate_of_another_trajectory_is_refused(case, make_case):
    with_jim(case)
    other = make_case()
    other_jim = with_jim(other)
    response = consent(
        case,
        bearer(case.world.professional),
        candidate_id=other_jim.pk,
        party="youth",
        decision="yes",
    )
    assert response.status_code == 422
    assert "candidate_id" in response.json()["errors"]
    assert not ConsentRecord.objects.exists()


def test_a_moment_without_a_time_zone_or_in_the_future_is_refused(case):
    with_jim(case)
    headers = bearer(case.world.professional)
    naive = consent(case, headers, party="youth", decision="yes", given_at="2024-01-01T12:00:00")
    assert naive.status_code == 422
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    ahead = consent(case, headers, party="youth", decision="yes", given_at=future.isoformat())
    assert ahead.json()["errors"]["given_at"] == ["This date lies in the future."]
    assert not ConsentRecord.objects.exists()


def test_each_consent_leaves_an_audit_row(case):
    with_jim(case)
    headers = bearer(case.world.professional)
    created = consent(case, headers, party="youth", decision="yes")
    assert AuditEvent.objects.filter(
        action="create",
        object_type="consentrecord",
        object_id=str(created.json()["id"]),
        youth_id=case.youth.pk,
        detail="api consent",
    ).exists()
    Client().get(url(case, "consents"), **headers)
    assert AuditEvent.objects.filter(
        action="list", youth_id=case.youth.pk, detail="api consents"
    ).exists()
