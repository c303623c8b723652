import time

import pyotp
import pytest
from django.core import mail
from django.test import Client

from tests.conftest import PASSWORD
from yim.accounts.models import LoginFailure, RecoveryCode
from yim.accounts.twofactor import SESSION_VERIFIED_KEY
from yim.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


def test_login_with_the_right_password_signs_in_and_is_audited(world):
    client = Client()
    response = login(client, "youth")
    assert response.status_code == 302
    assert response["Location"] == "/home/"
    assert AuditEvent.objects.filter(actor=world.youth_user, action="login").count() == 1


def test_wrong_password_gets_a_dutch_message_and_an_audit_event(world):
    response = login(Client(), "youth", "wrong-password")
    assert response.status_code == 200
    assert "Gebruikersnaam of wachtwoord is niet juist." in response.content.decode()
    assert AuditEvent.objects.filter(action="login_failed", actor_name="youth").exists()


def test_repeated_failures_lock_the_account_even_for_the_right_password(world, settings):
    client = Client()
    for _ in range(settings.LOGIN_MAX_FAILURES):
        login(client, "youth", "nope")
    response = login(client, "youth")
    assert response.status_code == 200
    assert "geblokkeerd" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_login_clears_earlier_failures(world):
    client = Client()
    login(client, "youth", "nope")
    login(client, "youth")
    assert not LoginFailure.objects.filter(username="youth").exists()


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "http:/\\evil.example", "javascript:alert(1)"],
)
def test_login_never_redirects_off_site(world, target):
    response = login(Client(), "youth", next=target)
    assert response.status_code == 302
    assert response["Location"] == "/home/"


def test_login_follows_a_local_next_url(world):
    response = login(Client(), "youth", next="/me/")
    assert response["Location"] == "/me/"


def test_logout_needs_a_post_and_ends_the_session(world):
    client = Client()
    login(client, "youth")
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_sessions_expire_after_the_idle_time(settings):
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_staff_without_two_factor_are_sent_to_set_it_up(world):
    client = Client()
    login(client, "prof")
    response = client.get("/youth/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/setup/"


def _current_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def test_setting_up_two_factor_issues_recovery_codes_and_opens_the_app(world):
    client = Client()
    login(client, "prof")
    client.get("/accounts/2fa/setup/")
    secret = client.session["yim_2fa_setup_secret"]
    response = client.post(
        "/accounts/2fa/setup/",
        {"code": "000000" if _current_code(secret) != "000000" else "111111"},
    )
    assert "niet juist" in response.content.decode()
    response = client.post("/accounts/2fa/setup/", {"code": _current_code(secret)})
    assert response.status_code == 200
    assert len(response.context["codes"]) == 10
    assert client.get("/youth/").status_code == 200


def _user_with_two_factor(user):
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_confirmed_at = user.date_joined
    user.save()
    return secret


def test_staff_with_two_factor_must_enter_a_code_after_the_password(world):
    secret = _user_with_two_factor(world.professional)
    client = Client()
    login(client, "prof")
    assert client.get("/youth/")["Location"] == "/accounts/2fa/"
    response = client.post("/accounts/2fa/", {"code": _current_code(secret)})
    assert response.status_code == 302
    assert client.session[SESSION_VERIFIED_KEY] is True
    assert client.get("/youth/").status_code == 200


def test_a_one_time_code_cannot_be_replayed(world):
    secret = _user_with_two_factor(world.professional)
    code = _current_code(secret)
    first = Client()
    login(first, "prof")
    assert first.post("/accounts/2fa/", {"code": code}).status_code == 302
    second = Client()
    login(second, "prof")
    response = second.post("/accounts/2fa/", {"code": code})
    if int(time.time()) // 30 == int(time.time() - 1) // 30:  # still the same 30-s window
        assert response.status_code == 200
        assert "al gebruikt" in response.content.decode()


def test_a_recovery_code_works_exactly_once(world):
    _user_with_two_factor(world.professional)
    codes = RecoveryCode.issue(world.professional)
    first = Client()
    login(first, "prof")
    assert first.post("/accounts/2fa/", {"code": codes[0]}).status_code == 302
    second = Client()
    login(second, "prof")
    assert second.post("/accounts/2fa/", {"code": codes[0]}).status_code == 200


def test_portal_users_do_not_need_two_factor(world):
    client = Client()
    login(client, "jim")
    assert client.get("/home/").status_code == 200


def test_password_reset_link_uses_the_configured_base_url_not_the_host_header(world):
    # "localhost" is an allowed host, so the request is served; the link must still point to
    # YIM_BASE_URL, never to whatever host the request claimed (CVE-2025-62527 in taguette).
    client = Client()
    response = client.post(
        "/accounts/password-reset/", {"email": "prof@example.org"}, HTTP_HOST="localhost"
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "https://yim.example.org/accounts/password-reset/" in body
    assert "localhost" not in body


def test_password_reset_does_not_reveal_whether_an_address_exists(world):
    response = Client().post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0
