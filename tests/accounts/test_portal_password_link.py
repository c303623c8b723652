"""A set-password link for a youth, JIM or parent without an e-mail address who forgot
their password: made by the youth's professional, shown once, works once."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from yim.accounts import admin_views
from yim.accounts.models import PortalLink, Role
from yim.audit.models import AuditEvent
from yim.trajectories.models import NetworkPerson

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NEW_PASSWORD = "een-lang-en-uniek-wachtwoord-7"
BASE = "https://yim.example.org"


def _issue_url(world, persona: str = "youth_user") -> str:  # type: ignore[no-untyped-def]
    link = PortalLink.objects.get(user=world.persona(persona), youth=world.youth_file)
    return f"/trajectories/youth/{world.youth_file.pk}/portal-accounts/{link.pk}/password-link/"


def _issue(world, client_for, persona: str = "youth_user") -> str:  # type: ignore[no-untyped-def]
    response = client_for("professional").post(_issue_url(world, persona), **EN)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    link = response.context["link"]
    assert link.startswith(f"{BASE}/users/set-password/")
    return link.removeprefix(BASE)


def _set(path: str, password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return Client().post(path, {"new_password1": password, "new_password2": password}, **EN)


@pytest.mark.parametrize("persona", ["youth_user", "jim", "parent"])
def test_the_link_works_once_and_then_answers_as_used(world, client_for, persona):
    account = world.persona(persona)
    account.email = ""
    account.save()
    path = _issue(world, client_for, persona)

    page = Client().get(path, **EN)
    assert page.status_code == 200
    assert f"Your user name is {account.username}." in page.content.decode()
    assert "two-factor" not in page.content.decode()  # portal accounts have none

    response = _set(path)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    signed_in = Client().post(
        "/accounts/login/", {"username": account.username, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302

    again = Client().get(path, **EN)
    assert again.status_code == 410
    assert "The link was already used, has expired or is not valid." in again.content.decode()
    assert "your professional" in again.content.decode()
    assert _set(path, "nog-een-ander-wachtwoord-8").status_code == 410
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)


def test_issuing_the_link_is_audited_with_the_youth(world, client_for):
    _issue(world, client_for)
    event = AuditEvent.objects.get(action="user.password_link")
    assert event.actor_id == world.professional.pk
    assert event.youth_id == world.youth_file.pk
    assert event.object_type == "user" and event.object_id == str(world.youth_user.pk)
    assert event.organisation_id == world.org.pk


def test_setting_the_password_is_audited_as_the_account_itself(world, client_for):
    _set(_issue(world, client_for))
    event = AuditEvent.objects.get(action="user.set_password")
    assert event.actor_id == world.youth_user.pk


def test_the_team_lead_may_make_the_link_too(world, client_for):
    response = client_for("team_lead").post(_issue_url(world))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "persona",
    [
        "other_team_professional",
        "foreign_professional",
        "admin",
        "researcher",
        "youth_user",
        "jim",
        "parent",
    ],
)
def test_nobody_outside_the_youths_team_makes_a_link(world, client_for, persona):
    response = client_for(persona).post(_issue_url(world))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="user.password_link").exists()


def test_break_the_glass_does_not_make_links(world, client_for):
    client = client_for("other_team_professional")
    client.post(
        "/youth/break-glass/",
        {"youth_id": world.youth_file.pk, "reason": "Crisis call at night, file needed"},
    )
    assert client.post(_issue_url(world)).status_code == 404


def test_the_link_is_made_by_post_only(world, client_for):
    assert client_for("professional").get(_issue_url(world)).status_code == 405


def test_an_account_of_another_youth_is_not_found_through_this_youth(world, client_for):
    other_link = PortalLink.objects.create(
        user=world.jim, youth=world.other_youth_file, relation=Role.JIM
    )
    url = (
        f"/trajectories/youth/{world.youth_file.pk}/portal-accounts/{other_link.pk}/password-link/"
    )
    assert client_for("professional").post(url).status_code == 404


def test_a_switched_off_portal_link_gets_no_link_and_kills_an_issued_one(world, client_for):
    path = _issue(world, client_for)
    url = _issue_url(world)
    PortalLink.objects.filter(user=world.youth_user).update(active=False)
    assert client_for("professional").post(url).status_code == 404
    assert Client().get(path).status_code == 410
    assert _set(path).status_code == 410
    world.youth_user.refresh_from_db()
    assert not world.youth_user.check_password(NEW_PASSWORD)


def test_a_portal_link_token_is_no_staff_link_token(world):
    token = admin_views.portal_password_link_tokens.make_token(world.professional)
    uid = urlsafe_base64_encode(force_bytes(world.professional.pk))
    assert Client().get(f"/users/set-password/{uid}/{token}/").status_code == 410


def test_the_youth_page_offers_the_link_to_the_team_only(world, client_for):
    url = _issue_url(world)
    page = client_for("professional").get(f"/youth/{world.youth_file.pk}/")
    assert url in page.content.decode()
    # The other team does not see the button (nor the page); portal users have the portal.
    for persona in ("other_team_professional", "youth_user"):
        page = client_for(persona).get(f"/youth/{world.youth_file.pk}/")
        assert page.status_code == 404 and url not in page.content.decode()


def test_the_youth_page_stays_within_its_query_budget(
    world, client_for, django_assert_max_num_queries
):
    client = client_for("professional")
    client.get(f"/youth/{world.youth_file.pk}/")  # warm the session
    with django_assert_max_num_queries(60) as first:
        client.get(f"/youth/{world.youth_file.pk}/")
    for i in range(5):
        account = type(world.jim).objects.create_user(
            username=f"extra{i}", password="x" * 20, role=Role.PARENT, organisation=world.org
        )
        PortalLink.objects.create(user=account, youth=world.youth_file, relation=Role.PARENT)
        NetworkPerson.objects.create(
            youth=world.youth_file, display_name=f"P{i}", relation="neighbour", age_band="40_64"
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(f"/youth/{world.youth_file.pk}/")
