"""A double submit does its write once (security finding 9): consent recorded by staff, a
parent's consent in the portal, an invitation. The forms carry a one-time token that the
write claims in its own transaction; a refused write leaves the token unclaimed."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from tests.monitoring.conftest import portal, set_age  # noqa: F401 - fixture
from tests.trajectories.conftest import indicated, make_case  # noqa: F401 - fixtures
from yim.accounts.models import FormSubmission, Invitation

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _token(page) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r'name="submission" value="([0-9a-f]{32})"', page.content.decode())
    assert found, "the form carries no one-time token"
    return found.group(1)


def test_a_consent_sent_twice_is_recorded_once(make_case, client_for):  # noqa: F811
    case = make_case(age_years=17)
    case.explore()
    jim = case.jim(30)
    url = f"/trajectories/candidates/{jim.pk}/consent/"
    professional = client_for("professional")
    token = _token(professional.get(url))
    data = {
        "party": "youth",
        "decision": "yes",
        "given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "submission": token,
    }
    assert professional.post(url, data).status_code == 302
    again = professional.post(url, data, **EN)
    assert again.status_code == 200
    assert "This form was sent twice" in again.content.decode()
    assert jim.consents.count() == 1


def test_a_refused_consent_keeps_its_token_for_the_corrected_sending(make_case, client_for):  # noqa: F811
    case = make_case(age_years=17)
    case.explore()
    jim = case.jim(30)
    url = f"/trajectories/candidates/{jim.pk}/consent/"
    professional = client_for("professional")
    token = _token(professional.get(url))
    moment = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    wrong = {"party": "parent", "parent_name": "P", "decision": "yes", "given_at": moment}
    refused = professional.post(url, {**wrong, "submission": token})
    assert refused.status_code == 200 and not jim.consents.exists()
    assert not FormSubmission.objects.filter(token=token).exists()
    right = {"party": "youth", "decision": "yes", "given_at": moment, "submission": token}
    assert professional.post(url, right).status_code == 302
    assert jim.consents.count() == 1


def test_a_parents_decision_sent_twice_is_recorded_once(portal, client_for):  # noqa: F811
    set_age(portal.a.youth, 14)
    parent = client_for("parent")
    url = f"/portal/{portal.a.youth.pk}/consent/"
    token = _token(parent.get(url))
    before = portal.a.jim.consents.count()
    data = {"decision": "refused", "submission": token}
    assert parent.post(url, data).status_code == 302
    again = parent.post(url, data, **EN)
    assert again.status_code == 400
    assert "This form was sent twice" in again.content.decode()
    assert portal.a.jim.consents.count() == before + 1


def test_an_invitation_sent_twice_is_made_once(world, client_for):
    professional = client_for("professional")
    token = _token(professional.get(f"/youth/{world.youth_file.pk}/"))
    data = {"role": "parent", "display_name": "Petra B.", "submission": token}
    url = f"/youth/{world.youth_file.pk}/invite/"
    assert professional.post(url, data).status_code == 200
    again = professional.post(url, data, **EN)
    assert again.status_code == 409
    assert "This form was sent twice" in again.content.decode()
    assert Invitation.objects.count() == 1


def test_two_people_never_share_a_token_by_accident(world, client_for):
    first = _token(client_for("professional").get(f"/youth/{world.youth_file.pk}/"))
    second = _token(client_for("team_lead").get(f"/youth/{world.youth_file.pk}/"))
    assert first != second
