"""Two-factor self-service on *My account*: recovery codes left, new codes, a new phone.

The one-time codes depend on the clock, so the ``clock`` fixture freezes the time yim's
two-factor module sees (10 s into a 30-s step). Codes for neighbouring steps are made with
``code(secret, steps)``; yim accepts one step of drift either way, and a code (step) once
used — or any older one — is refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyotp
import pytest
from django.test import Client

from tests.conftest import PASSWORD, signed_in
from yim.accounts import twofactor
from yim.accounts.models import LoginFailure, RecoveryCode, User
from yim.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
ACCOUNT = "/me/"
SIGN_IN_CODE = "/accounts/2fa/"
SETUP = "/accounts/2fa/setup/"
NEW_CODES = "/accounts/2fa/recovery-codes/"
NEW_PHONE = "/accounts/2fa/new-phone/"


@dataclass
class FrozenClock:
    now: float

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock(float(int(time.time()) // 30 * 30 + 10))
    monkeypatch.setattr(twofactor, "time", frozen)
    return frozen


@pytest.fixture
def with_two_factor(world, clock):  # type: ignore[no-untyped-def]
    """The professional with an authenticator app and ten recovery codes; returns
    ``(secret, codes)``. Sessions made afterwards carry the matching session hash."""
    user = world.professional
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_confirmed_at = user.date_joined
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    return secret, RecoveryCode.issue(user)


def code(clock: FrozenClock, secret: str, steps: int = 0) -> str:
    """The app's code ``steps`` 30-s steps from the frozen now."""
    return pyotp.TOTP(secret).at(clock.now + 30 * steps)


def sign_in_with_code(one_time_code: str) -> Client:
    """A fresh sign-in of the professional: password, then the second factor."""
    client = Client()
    client.post("/accounts/login/", {"username": "prof", "password": PASSWORD})
    response = client.post(SIGN_IN_CODE, {"code": one_time_code})
    assert response.status_code in (200, 302)
    return client


def second_factor_passed(client: Client) -> bool:
    return client.session.get(twofactor.SESSION_VERIFIED_KEY) is True


# --- My account: how many recovery codes are left ----------------------------------------------


@pytest.mark.parametrize(("used", "warned"), [(0, False), (6, False), (7, True), (10, True)])
def test_my_account_shows_the_unused_recovery_codes_and_warns_at_three_or_fewer(
    world, with_two_factor, used, warned
):
    _secret, codes = with_two_factor
    for recovery_code in codes[:used]:
        assert RecoveryCode.redeem(world.professional, recovery_code)
    response = signed_in(world.professional).get(ACCOUNT, **ENGLISH)
    assert response.status_code == 200
    assert response.context["recovery_codes_left"] == 10 - used
    page = response.content.decode()
    assert (
        'class="banner banner-warning" role="status" id="recovery-codes-left"' in page
    ) is warned
    assert f"{10 - used} unused recovery code" in page
    assert NEW_CODES in page and NEW_PHONE in page


def test_my_account_offers_set_up_not_the_self_service_to_staff_without_two_factor(world, clock):
    response = signed_in(world.professional).get(ACCOUNT, **ENGLISH)
    assert response.context["recovery_codes_left"] is None
    page = response.content.decode()
    assert SETUP in page
    assert NEW_CODES not in page and NEW_PHONE not in page


@pytest.mark.parametrize("persona", ["youth_user", "jim", "parent"])
def test_portal_users_see_none_of_the_two_factor_self_service(world, client_for, persona):
    client = client_for(persona)
    response = client.get(ACCOUNT, **ENGLISH)
    assert response.status_code == 200
    assert response.context["recovery_codes_left"] is None
    page = response.content.decode()
    assert NEW_CODES not in page and NEW_PHONE not in page and SETUP not in page
    assert client.get(NEW_CODES).status_code == 404
    assert client.get(NEW_PHONE).status_code == 404
    assert client.post(NEW_CODES, {"code": "123456"}).status_code == 404


def test_staff_without_two_factor_are_sent_to_set_it_up_first(world, clock):
    client = signed_in(world.professional)
    assert client.get(NEW_CODES)["Location"] == SETUP
    assert client.get(NEW_PHONE)["Location"] == SETUP


def test_a_session_that_has_not_passed_the_second_factor_passes_it_first(world, with_two_factor):
    client = Client()
    client.post("/accounts/login/", {"username": "prof", "password": PASSWORD})
    for page in (NEW_CODES, NEW_PHONE):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"] == f"{SIGN_IN_CODE}?next={page.replace('/', '%2F')}"


# --- new recovery codes ------------------------------------------------------------------------


def test_new_recovery_codes_after_an_app_code_replace_the_old_ones(world, with_two_factor, clock):
    secret, old_codes = with_two_factor
    user = world.professional
    client = signed_in(user)
    assert client.get(NEW_CODES).status_code == 200

    response = client.post(NEW_CODES, {"code": code(clock, secret)}, **ENGLISH)
    assert response.status_code == 200
    new_codes = response.context["codes"]
    assert len(new_codes) == 10 and len(set(new_codes)) == 10
    assert not set(new_codes) & set(old_codes)
    assert all(c in response.content.decode() for c in new_codes)
    assert "no-store" in response["Cache-Control"]  # shown once, never kept by a cache

    # The old codes are refused, at sign-in too; each new code works exactly once.
    assert not any(RecoveryCode.redeem(user, c) for c in old_codes[1:])
    assert not second_factor_passed(sign_in_with_code(old_codes[0]))
    assert second_factor_passed(sign_in_with_code(new_codes[0]))
    assert not second_factor_passed(sign_in_with_code(new_codes[0]))
    assert all(RecoveryCode.redeem(user, c) for c in new_codes[1:])
    assert not any(RecoveryCode.redeem(user, c) for c in new_codes)

    event = AuditEvent.objects.get(action="update", actor=user)
    assert event.object_id == str(user.pk) and "recovery codes" in event.detail
    assert event.youth_id is None


def test_new_recovery_codes_are_refused_with_a_wrong_code(world, with_two_factor, clock):
    secret, old_codes = with_two_factor
    wrong = "000000" if code(clock, secret) != "000000" else "111111"
    response = signed_in(world.professional).post(NEW_CODES, {"code": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert "codes" not in response.context
    assert LoginFailure.objects.filter(username="prof").count() == 1
    assert RecoveryCode.redeem(world.professional, old_codes[0])  # the old codes still work
    assert not AuditEvent.objects.filter(action="update").exists()


def test_new_recovery_codes_are_refused_with_a_replayed_code(world, with_two_factor, clock):
    secret, _old = with_two_factor
    used = code(clock, secret)
    assert second_factor_passed(sign_in_with_code(used))
    client = signed_in(world.professional)
    response = client.post(NEW_CODES, {"code": used})
    assert response.context["form"].errors["code"]
    # An older code, never used itself, is refused as well: the step is behind the used one.
    response = client.post(NEW_CODES, {"code": code(clock, secret, -1)})
    assert response.context["form"].errors["code"]
    assert RecoveryCode.objects.filter(user=world.professional, used_at__isnull=True).count() == 10
    assert not AuditEvent.objects.filter(action="update").exists()


def test_new_recovery_codes_cannot_be_confirmed_with_a_recovery_code(world, with_two_factor):
    _secret, old_codes = with_two_factor
    client = signed_in(world.professional)
    for spelling in (old_codes[0], old_codes[0].upper().replace("-", " ")):
        response = client.post(NEW_CODES, {"code": spelling}, **ENGLISH)
        assert response.status_code == 200
        assert "A recovery code does not work here" in response.context["form"].errors["code"][0]
    # Refused without using it up, and without counting as a failed attempt.
    assert RecoveryCode.redeem(world.professional, old_codes[0])
    assert not LoginFailure.objects.filter(username="prof").exists()


def test_new_recovery_codes_stop_after_too_many_wrong_codes(
    world, with_two_factor, clock, settings
):
    secret, _old = with_two_factor
    client = signed_in(world.professional)
    wrong = "000000" if code(clock, secret) != "000000" else "111111"
    for _ in range(settings.LOGIN_MAX_FAILURES):
        client.post(NEW_CODES, {"code": wrong})
    response = client.post(NEW_CODES, {"code": code(clock, secret)})
    assert "codes" not in response.context
    assert response.context["form"].non_field_errors()


# --- a new phone -------------------------------------------------------------------------------


def _start_new_phone(client: Client, confirmation: str) -> str:
    """Confirm, then open the set-up page; returns the new secret it shows."""
    response = client.post(NEW_PHONE, {"code": confirmation})
    assert response.status_code == 302 and response["Location"] == SETUP
    response = client.get(SETUP)
    assert response.status_code == 200 and response.context["replacing"] is True
    return response.context["secret"]


def test_linking_a_new_phone_keeps_the_old_app_until_the_new_code_is_confirmed(
    world, with_two_factor, clock
):
    old_secret, old_codes = with_two_factor
    user = world.professional
    client = signed_in(user)
    other_session = signed_in(user)
    assert other_session.get("/youth/").status_code == 200

    new_secret = _start_new_phone(client, code(clock, old_secret, -1))
    assert new_secret != old_secret
    # Not confirmed yet: nothing changed, the old app still signs in, other sessions live on.
    user.refresh_from_db()
    assert user.totp_secret == old_secret
    assert second_factor_passed(sign_in_with_code(code(clock, old_secret)))
    assert other_session.get("/youth/").status_code == 200

    response = client.post(SETUP, {"code": code(clock, new_secret, 1)}, **ENGLISH)
    assert response.status_code == 200
    assert response.context["replacing"] is True and len(response.context["codes"]) == 10
    assert "no-store" in response["Cache-Control"]
    user.refresh_from_db()
    assert user.totp_secret == new_secret

    # The session that did it stays; every other session of the account is signed out.
    assert client.get("/youth/").status_code == 200
    response = other_session.get("/youth/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")

    # From now on only the new phone: the old app's codes and recovery codes are refused.
    clock.advance(60)
    assert not second_factor_passed(sign_in_with_code(code(clock, old_secret)))
    assert not second_factor_passed(sign_in_with_code(old_codes[0]))
    assert second_factor_passed(sign_in_with_code(code(clock, new_secret)))

    event = AuditEvent.objects.get(action="update", actor=user)
    assert "new phone" in event.detail and event.youth_id is None


def test_a_new_phone_can_be_confirmed_with_a_recovery_code_which_is_then_used(
    world, with_two_factor, clock
):
    _secret, old_codes = with_two_factor
    client = signed_in(world.professional)
    new_secret = _start_new_phone(client, old_codes[3])
    assert not RecoveryCode.redeem(world.professional, old_codes[3])
    response = client.post(SETUP, {"code": code(clock, new_secret)})
    assert len(response.context["codes"]) == 10
    world.professional.refresh_from_db()
    assert world.professional.totp_secret == new_secret


@pytest.mark.parametrize("kind", ["wrong", "replayed"])
def test_a_new_phone_is_refused_with_a_wrong_or_replayed_code(world, with_two_factor, clock, kind):
    secret, _old = with_two_factor
    if kind == "replayed":
        attempt = code(clock, secret)
        assert second_factor_passed(sign_in_with_code(attempt))
    else:
        attempt = "000000" if code(clock, secret) != "000000" else "111111"
    client = signed_in(world.professional)
    response = client.post(NEW_PHONE, {"code": attempt})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert twofactor.SESSION_NEW_PHONE_KEY not in client.session
    assert client.get(SETUP)["Location"] == NEW_PHONE


def test_the_set_up_page_does_not_replace_a_phone_without_confirmation(world, with_two_factor):
    client = signed_in(world.professional)
    response = client.get(SETUP)
    assert response.status_code == 302 and response["Location"] == NEW_PHONE
    response = client.post(SETUP, {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == NEW_PHONE
    assert twofactor.SESSION_SETUP_SECRET_KEY not in client.session


def test_the_new_phone_confirmation_expires(world, with_two_factor, clock):
    secret, _old = with_two_factor
    client = signed_in(world.professional)
    new_secret = _start_new_phone(client, code(clock, secret))
    clock.advance(twofactor.NEW_PHONE_WINDOW_SECONDS + 1)
    response = client.post(SETUP, {"code": code(clock, new_secret)})
    assert response.status_code == 302 and response["Location"] == NEW_PHONE
    assert User.objects.get(pk=world.professional.pk).totp_secret == secret


def test_a_wrong_code_for_the_new_phone_changes_nothing(world, with_two_factor, clock):
    secret, old_codes = with_two_factor
    client = signed_in(world.professional)
    new_secret = _start_new_phone(client, code(clock, secret))
    wrong = "000000" if code(clock, new_secret) != "000000" else "111111"
    response = client.post(SETUP, {"code": wrong})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert User.objects.get(pk=world.professional.pk).totp_secret == secret
    assert RecoveryCode.redeem(world.professional, old_codes[0])


def test_signing_in_with_the_last_recovery_code_is_enough_to_link_a_new_phone(
    world, with_two_factor, clock
):
    _secret, old_codes = with_two_factor
    for recovery_code in old_codes[1:]:
        assert RecoveryCode.redeem(world.professional, recovery_code)
    client = sign_in_with_code(old_codes[0])
    assert second_factor_passed(client)
    response = client.get(NEW_PHONE)
    assert response.status_code == 302 and response["Location"] == SETUP
    new_secret = client.get(SETUP).context["secret"]
    response = client.post(SETUP, {"code": code(clock, new_secret)})
    assert len(response.context["codes"]) == 10
    assert User.objects.get(pk=world.professional.pk).totp_secret == new_secret


def test_signing_in_with_the_app_does_not_skip_the_new_phone_confirmation(
    world, with_two_factor, clock
):
    secret, _codes = with_two_factor
    client = sign_in_with_code(code(clock, secret))
    assert second_factor_passed(client)
    assert client.get(NEW_PHONE).status_code == 200
    assert client.get(SETUP)["Location"] == NEW_PHONE
