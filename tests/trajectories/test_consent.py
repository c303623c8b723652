"""Consent per the age rule on the day of consent, in Europe/Amsterdam."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.trajectories.conftest import at, messages
from yim.trajectories.models import ConsentDecision, ConsentParty, ConsentRecord


def _youth_turning(case, age: int, on_offset: int) -> dt.date:
    """Give the case's youth a birthday so they turn ``age`` on start + ``on_offset`` days."""
    birthday = case.day(on_offset)
    case.youth.date_of_birth = birthday.replace(year=birthday.year - age)
    case.youth.save()
    case.trajectory.youth.refresh_from_db()
    return birthday


def test_on_the_day_before_the_16th_birthday_a_parent_still_consents(case):
    jim = case.jim(30)
    birthday = _youth_turning(case, 16, 40)
    record = jim.record_consent(
        party=ConsentParty.PARENT,
        parent_name="Petra",
        decision=ConsentDecision.YES,
        given_at=at(birthday - dt.timedelta(days=1), 23, 30),
    )
    assert record.pk


def test_on_the_16th_birthday_a_parents_consent_is_refused_on_the_party_field(case):
    jim = case.jim(30)
    birthday = _youth_turning(case, 16, 40)
    with pytest.raises(ValidationError) as refused:
        jim.record_consent(
            party=ConsentParty.PARENT,
            parent_name="Petra",
            decision=ConsentDecision.YES,
            given_at=at(birthday, 0, 30),  # 23:30 UTC the evening before
        )
    assert "consent is given by the youth alone" in messages(refused.value, "party")
    assert not ConsentRecord.objects.exists()


def test_before_the_12th_birthday_the_youth_cannot_consent_and_on_it_they_can(case):
    jim = case.jim(30)
    birthday = _youth_turning(case, 12, 40)
    with pytest.raises(ValidationError) as refused:
        jim.record_consent(
            party=ConsentParty.YOUTH,
            decision=ConsentDecision.YES,
            given_at=at(birthday - dt.timedelta(days=1), 23, 59),
        )
    assert "consent is given by the parents" in messages(refused.value, "party")
    jim.record_consent(
        party=ConsentParty.YOUTH, decision=ConsentDecision.YES, given_at=at(birthday, 0, 1)
    )


def test_between_12_and_16_consent_is_complete_only_with_youth_and_parent(make_case):
    case = make_case(age_years=14)
    jim = case.jim(30)
    jim.record_consent(
        party=ConsentParty.YOUTH, decision=ConsentDecision.YES, given_at=at(case.day(32))
    )
    status = jim.consent_status()
    assert not status.complete
    assert status.missing == ("parent",)
    jim.record_consent(
        party=ConsentParty.PARENT,
        parent_name="Ahmed",
        decision=ConsentDecision.RELUCTANT_YES,
        given_at=at(case.day(33)),
    )
    status = jim.consent_status()
    assert status.complete
    assert status.reluctant


def test_a_parents_refusal_is_recorded_and_leaves_consent_incomplete(make_case):
    case = make_case(age_years=13)
    jim = case.jim(30)
    jim.record_consent(
        party=ConsentParty.YOUTH, decision=ConsentDecision.YES, given_at=at(case.day(31))
    )
    jim.record_consent(
        party=ConsentParty.PARENT,
        parent_name="Petra",
        decision=ConsentDecision.REFUSED,
        given_at=at(case.day(32)),
    )
    status = jim.consent_status()
    assert status.refused
    assert not status.complete


def test_from_16_the_youths_consent_alone_is_complete(make_case):
    case = make_case(age_years=17)
    jim = case.jim(30)
    jim.record_consent(
        party=ConsentParty.YOUTH, decision=ConsentDecision.YES, given_at=at(case.day(31))
    )
    assert jim.consent_status().complete


def test_consent_in_the_future_is_refused(case):
    jim = case.jim(30)
    with pytest.raises(ValidationError) as refused:
        jim.record_consent(
            party=ConsentParty.YOUTH,
            decision=ConsentDecision.YES,
            given_at=at(case.day(200)),
        )
    assert "future" in messages(refused.value, "given_at")


def test_consent_is_asked_for_a_candidate_who_accepted(case):
    round_ = case.trajectory.start_round(on=case.day(10))
    candidate = round_.add_candidate(case.person(), named_on=case.day(11))
    with pytest.raises(ValidationError) as refused:
        candidate.record_consent(
            party=ConsentParty.YOUTH, decision=ConsentDecision.YES, given_at=at(case.day(12))
        )
    assert "accepted" in messages(refused.value, "candidate")


def test_a_consent_record_is_never_edited(case):
    jim = case.jim(30)
    case.consent(jim, 31)
    record = jim.consents.first()
    record.decision = ConsentDecision.REFUSED
    with pytest.raises(ValidationError):
        record.save()
    record.refresh_from_db()
    assert record.decision == ConsentDecision.YES


@pytest.mark.parametrize("age", [11, 12, 15, 16, 17])
def test_what_linked_parents_see_follows_the_consent_ages_of_the_rules(age):
    from django.utils import timezone

    from yim import policy
    from yim.trajectories.models import Youth
    from yim.trajectories.rules import required_consent

    today = timezone.localdate()
    youth = Youth(date_of_birth=today.replace(year=today.year - age) - dt.timedelta(days=1))
    needed = required_consent(youth.date_of_birth, today)
    scopes = policy.parent_scopes(youth)
    # Where the parents decide alone they see every part; where they consent with the
    # youth, the meetings and the plan; where the youth decides alone, nothing.
    assert (scopes == policy.PORTAL_SCOPES) == (not needed.youth)
    assert (scopes == ()) == (not needed.parents)
    assert scopes in (policy.PORTAL_SCOPES, ("meetings", "plan"), ())
