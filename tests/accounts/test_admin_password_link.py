"""The set-password link an admin hands a new colleague: works once, then expires."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from yim.accounts import admin_views
from yim.accounts.models import Role, User
from yim.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "een-lang-en-uniek-wachtwoord-7"


def _create(client, world, username: str = "m.dewit") -> str:
    response = client.post(
        "/users/new/",
        {
            "username": username,
            "first_name": "Marit",
            "email": f"{username}@example.org",
            "role": "professional",
            "team": str(world.team_a.pk),
        },
    )
    assert response.status_code == 200
    return response.context["link"]


def _path(link: str) -> str:
    return link.removeprefix("https://yim.example.org")


def _set(path: str, password: str = NEW_PASSWORD):
    return Client().post(path, {"new_password1": password, "new_password2": password})


def test_the_new_colleague_sets_a_password_once_and_signs_in(world, client_for):
    path = _path(_create(client_for("admin"), world))
    assert Client().get(path).status_code == 200
    response = _set(path)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    user = User.objects.get(username="m.dewit")
    assert user.check_password(NEW_PASSWORD)
    login = Client().post("/accounts/login/", {"username": "m.dewit", "password": NEW_PASSWORD})
    assert login.status_code == 302
    event = AuditEvent.objects.get(action="user.set_password")
    assert event.actor_id == user.pk and event.organisation_id == world.org.pk

    assert Client().get(path).status_code == 410
    assert _set(path, "nog-een-ander-wachtwoord-8").status_code == 410
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_weak_password_is_refused_and_the_link_stays_usable(world, client_for):
    path = _path(_create(client_for("admin"), world))
    response = _set(path, "123")
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    assert not User.objects.get(username="m.dewit").has_usable_password()
    assert _set(path).status_code == 302


def test_the_link_expires_after_the_invitation_days(world, client_for, settings, monkeypatch):
    settings.INVITATION_DAYS = 2
    path = _path(_create(client_for("admin"), world))
    real_now = datetime.now()
    tokens = admin_views.password_link_tokens
    monkeypatch.setattr(tokens, "_now", lambda: real_now + timedelta(days=2, hours=-1))
    assert Client().get(path).status_code == 200
    monkeypatch.setattr(tokens, "_now", lambda: real_now + timedelta(days=2, hours=1))
    assert Client().get(path).status_code == 410
    assert _set(path).status_code == 410
    assert not User.objects.get(username="m.dewit").has_usable_password()


def test_deactivating_the_account_kills_the_link(world, client_for):
    admin = client_for("admin")
    path = _path(_create(admin, world))
    user = User.objects.get(username="m.dewit")
    admin.post(f"/users/{user.pk}/deactivate/")
    assert Client().get(path).status_code == 410
    admin.post(f"/users/{user.pk}/reactivate/")
    assert Client().get(path).status_code == 200  # nothing was set yet: the link lives again


@pytest.mark.parametrize(
    "path",
    [
        "/users/set-password/MQ/xxxxxxxxxxxxxxxxxxxx/",
        "/users/set-password/!!!/abc-def/",
        "/users/set-password/OTk5OTk5/abc-def/",
    ],
)
def test_a_made_up_link_is_refused(world, path):
    assert Client().get(path).status_code == 410


def test_a_password_reset_token_is_no_set_password_token(world):
    user = world.professional
    reset_token = default_token_generator.make_token(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    assert Client().get(f"/users/set-password/{uid}/{reset_token}/").status_code == 410


def test_portal_accounts_get_no_set_password_link(world, client_for):
    token = admin_views.password_link_tokens.make_token(world.jim)
    uid = urlsafe_base64_encode(force_bytes(world.jim.pk))
    assert Client().get(f"/users/set-password/{uid}/{token}/").status_code == 410
    response = client_for("admin").post(f"/users/{world.jim.pk}/password-link/")
    assert response.status_code == 404


def test_an_admin_makes_a_new_link_for_a_colleague_who_lost_their_password(world, client_for):
    target = world.professional
    response = client_for("admin").post(f"/users/{target.pk}/password-link/")
    assert response.status_code == 200
    assert response.context["link"].startswith("https://yim.example.org/users/set-password/")
    assert AuditEvent.objects.filter(action="user.password_link", object_id=str(target.pk)).exists()
    assert _set(_path(response.context["link"])).status_code == 302
    target.refresh_from_db()
    assert target.check_password(NEW_PASSWORD)


def test_an_admin_makes_no_link_for_themselves_or_an_inactive_account(world, client_for):
    client = client_for("admin")
    assert client.post(f"/users/{world.admin.pk}/password-link/").status_code == 404
    User.objects.filter(pk=world.professional.pk).update(is_active=False)
    assert client.post(f"/users/{world.professional.pk}/password-link/").status_code == 404


def test_a_new_admin_account_can_be_made_and_signs_in(world, client_for):
    response = client_for("admin").post(
        "/users/new/",
        {
            "username": "admin2",
            "first_name": "Tweede",
            "email": "a2@example.org",
            "role": "org_admin",
        },
    )
    assert _set(_path(response.context["link"])).status_code == 302
    assert User.objects.get(username="admin2").role == Role.ORG_ADMIN
