"""Consent follows parental authority (gezag): every holder of authority on the youth's file
is asked where the age rule asks the parents, unless the professional records why one is not.
A typed parent name no longer makes consent complete when holders are recorded."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import make_user, signed_in
from yim.accounts.models import PortalLink, Role
from yim.trajectories.models import ConsentDecision, ConsentParty, NotAskedReason

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def family(make_case):  # type: ignore[no-untyped-def]
    """A 14-year-old (youth and parents consent) whose mother and father share authority,
    with an aunt as accepted JIM."""
    case = make_case(age_years=14)
    case.explore()
    mother = case.person("Moeder Anna", relation="parent", has_parental_authority=True)
    father = case.person("Vader Bas", relation="parent", has_parental_authority=True)
    jim = case.jim(30)
    return case, jim, mother, father


def _give(jim, party, decision=ConsentDecision.YES, **fields):  # type: ignore[no-untyped-def]
    return jim.record_consent(party=party, decision=decision, given_at=timezone.now(), **fields)


def test_consent_is_complete_only_when_every_holder_of_authority_consented(family):
    _case, jim, mother, father = family
    _give(jim, ConsentParty.YOUTH)
    _give(jim, ConsentParty.PARENT, holder=mother)
    status = jim.consent_status()
    assert not status.complete
    assert [h.name for h in status.open_holders] == ["Vader Bas"]
    assert jim.consent_checklist() == [
        ("The youth", "yes"),
        ("Moeder Anna", "yes"),
        ("Vader Bas", None),
    ]
    _give(jim, ConsentParty.PARENT, holder=father, decision=ConsentDecision.RELUCTANT_YES)
    assert jim.consent_status().complete


def test_a_holder_not_asked_with_a_recorded_reason_completes_consent(family):
    _case, jim, mother, father = family
    _give(jim, ConsentParty.YOUTH)
    _give(jim, ConsentParty.PARENT, holder=mother)
    with pytest.raises(ValidationError) as refused:
        _give(jim, ConsentParty.PARENT, holder=father, decision=ConsentDecision.NOT_ASKED)
    assert "not_asked_reason" in refused.value.message_dict
    _give(
        jim,
        ConsentParty.PARENT,
        holder=father,
        decision=ConsentDecision.NOT_ASKED,
        not_asked_reason=NotAskedReason.WHEREABOUTS_UNKNOWN,
    )
    assert jim.consent_status().complete


def test_one_holders_refusal_is_a_refusal_whatever_the_other_decides(family):
    _case, jim, mother, father = family
    _give(jim, ConsentParty.YOUTH)
    _give(jim, ConsentParty.PARENT, holder=father, decision=ConsentDecision.REFUSED)
    _give(jim, ConsentParty.PARENT, holder=mother)  # later, and yes
    status = jim.consent_status()
    assert status.refused and not status.complete


def test_a_typed_parent_name_does_not_count_when_holders_are_recorded(family):
    _case, jim, _mother, _father = family
    with pytest.raises(ValidationError) as refused:
        _give(jim, ConsentParty.PARENT, parent_name="Petra")
    assert "Choose which parent with parental authority decided." in str(refused.value)
    assert not jim.consents.exists()


def test_consent_by_someone_without_parental_authority_is_refused_on_the_field(family):
    case, jim, _mother, _father = family
    stepfather = case.person("Stiefvader Kees", relation="step_parent")
    with pytest.raises(ValidationError) as refused:
        _give(jim, ConsentParty.PARENT, holder=stepfather)
    assert "has no parental authority" in refused.value.message_dict["holder"][0]


def test_without_recorded_holders_one_parents_consent_counts_and_the_page_says_so(
    make_case, client_for
):
    case = make_case(age_years=14)
    case.explore()
    jim = case.jim(30)
    _give(jim, ConsentParty.YOUTH)
    _give(jim, ConsentParty.PARENT, parent_name="Petra")
    assert jim.consent_status().complete
    page = client_for("professional").get(f"/trajectories/candidates/{jim.pk}/", **EN)
    assert "No holder of parental authority is marked on the network map" in page.content.decode()


def test_the_consent_page_lists_every_consent_needed_with_its_status(family, client_for):
    _case, jim, mother, _father = family
    _give(jim, ConsentParty.YOUTH)
    _give(jim, ConsentParty.PARENT, holder=mother)
    page = client_for("professional").get(f"/trajectories/candidates/{jim.pk}/consent/", **EN)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="consent-checklist"' in html
    assert "Moeder Anna: ✓ consents" in html
    assert "Vader Bas: — open" in html


def test_a_mothers_decision_in_the_portal_is_her_consent_and_she_sees_what_staff_recorded(
    family, world
):
    case, jim, mother, _father = family
    account = make_user("moeder", Role.PARENT, world.org)
    PortalLink.objects.create(user=account, youth=case.youth, relation=Role.PARENT, person=mother)
    _give(jim, ConsentParty.PARENT, holder=mother, recorded_by=world.professional)
    portal = signed_in(account)
    page = portal.get(f"/portal/{case.youth.pk}/consent/", **EN)
    assert page.status_code == 200
    assert len(page.context["mine"]) == 1  # the professional's record of her consent
    response = portal.post(f"/portal/{case.youth.pk}/consent/", {"decision": "refused"})
    assert response.status_code == 302
    latest = jim.consents.order_by("-pk").first()
    assert (latest.holder, latest.recorded_by, latest.decision) == (mother, account, "refused")


def test_a_parent_account_without_authority_cannot_give_consent(family, world):
    case, _jim, _mother, _father = family
    account = make_user("oom", Role.PARENT, world.org)
    PortalLink.objects.create(user=account, youth=case.youth, relation=Role.PARENT)
    assert signed_in(account).get(f"/portal/{case.youth.pk}/consent/").status_code == 404
