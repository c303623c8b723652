"""Credentials end what they opened: deactivation ends sessions for good, API tokens expire
and are revoked when a password is changed or reset, two-factor sign-in is reset, or the
account is deactivated (security findings 4 and 7)."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.formats import date_format
from django.utils.http import urlsafe_base64_encode

from tests.conftest import PASSWORD
from yim.accounts.admin_views import password_link
from yim.accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-passphrase-77"


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def api_me(raw: str) -> int:
    return Client().get("/api/v1/me", **bearer(raw)).status_code


# --- finding 4: deactivation ends sessions, also after reactivation ----------------------------


def test_a_session_of_a_deactivated_account_stays_ended_after_reactivation(world, client_for):
    old_session = client_for("professional")
    assert old_session.get("/youth/").status_code == 200
    admin = client_for("admin")
    admin.post(f"/users/{world.professional.pk}/deactivate/")
    admin.post(f"/users/{world.professional.pk}/reactivate/")
    response = old_session.get("/youth/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # The person signs in afresh and works as before.
    fresh = Client()
    assert (
        fresh.post("/accounts/login/", {"username": "prof", "password": PASSWORD}).status_code
        == 302
    )


def test_a_portal_session_also_stays_ended_after_reactivation(world, client_for):
    old_session = client_for("jim")
    assert old_session.get("/home/").status_code == 200
    admin = client_for("admin")
    admin.post(f"/users/{world.jim.pk}/deactivate/")
    admin.post(f"/users/{world.jim.pk}/reactivate/")
    assert old_session.get("/home/")["Location"].startswith("/accounts/login/")


def test_sessions_of_other_accounts_survive_a_deactivation(world, client_for):
    bystander = client_for("team_lead")
    client_for("admin").post(f"/users/{world.professional.pk}/deactivate/")
    assert bystander.get("/youth/").status_code == 200


# --- finding 7: tokens expire --------------------------------------------------------------------


def test_a_token_expires_after_the_configured_days(world, settings, frozen_clock):
    settings.API_TOKEN_DAYS = 30
    token, raw = ApiToken.issue(world.professional, "export")
    assert token.expires_at == token.created_at + dt.timedelta(days=30)
    frozen_clock.shift(dt.timedelta(days=29, hours=23))
    assert api_me(raw) == 200
    frozen_clock.shift(dt.timedelta(hours=2))
    assert api_me(raw) == 401


def test_tokens_last_ninety_days_unless_configured(world):
    token, _raw = ApiToken.issue(world.professional, "export")
    assert token.expires_at - token.created_at == dt.timedelta(days=90)


def test_the_account_page_shows_when_each_token_expires(world, client_for, frozen_clock):
    ApiToken.issue(world.professional, "old")
    frozen_clock.shift(dt.timedelta(days=100))
    ApiToken.issue(world.professional, "new")
    page = client_for("professional").get("/me/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "Expires" in html
    old, new = ApiToken.objects.get(name="old"), ApiToken.objects.get(name="new")
    with translation.override("en"):
        old_day, new_day = (
            date_format(timezone.localtime(t.expires_at), "SHORT_DATE_FORMAT") for t in (old, new)
        )
    assert new_day in html
    assert f"expired on {old_day}" in html  # listed as expired, not as if it still worked


def test_the_admin_counts_only_usable_tokens(world, client_for, frozen_clock):
    ApiToken.issue(world.professional, "old")
    frozen_clock.shift(dt.timedelta(days=100))
    ApiToken.issue(world.professional, "new")
    page = client_for("admin").get(f"/users/{world.professional.pk}/")
    assert page.context["active_tokens"] == 1


# --- finding 7: tokens are revoked on credential resets ----------------------------------------


def test_a_password_reset_by_email_revokes_the_tokens(world):
    _token, raw = ApiToken.issue(world.professional, "export")
    Client().post("/accounts/password-reset/", {"email": "prof@example.org"})
    assert len(mail.outbox) == 1
    user = world.professional
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    client = Client()
    response = client.get(
        f"/accounts/password-reset/{uid}/{default_token_generator.make_token(user)}/"
    )
    assert response.status_code == 302  # to the set-password form, the token kept in the session
    response = client.post(
        response["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert api_me(raw) == 401
    assert ApiToken.objects.get().revoked_at is not None


def test_a_password_set_through_an_admins_link_revokes_the_tokens(world):
    _token, raw = ApiToken.issue(world.professional, "export")
    path = password_link(world.professional).removeprefix("https://yim.example.org")
    response = Client().post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert api_me(raw) == 401


def test_any_password_change_revokes_the_tokens(world):
    _token, raw = ApiToken.issue(world.professional, "export")
    user = User.objects.get(pk=world.professional.pk)
    user.set_password(NEW_PASSWORD)
    user.save()
    assert api_me(raw) == 401


def test_saving_an_account_without_a_new_password_keeps_the_tokens(world):
    _token, raw = ApiToken.issue(world.professional, "export")
    user = User.objects.get(pk=world.professional.pk)
    user.first_name = "Pim"
    user.save()
    assert api_me(raw) == 200


def test_a_two_factor_reset_revokes_the_tokens(world, client_for, settings):
    target = world.professional
    User.objects.filter(pk=target.pk).update(
        totp_secret=pyotp.random_base32(), totp_confirmed_at=timezone.now()
    )
    _token, raw = ApiToken.issue(target, "export")
    _other, other_raw = ApiToken.issue(world.team_lead, "export")
    client_for("admin").post(f"/users/{target.pk}/reset-2fa/", {"reason": "Telefoon gestolen"})
    assert api_me(raw) == 401
    assert api_me(other_raw) == 200
