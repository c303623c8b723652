"""Sign-in in the audit log (security finding 8): failed sign-ins land in the organisation of the
account they named, wrong second-factor codes are recorded, "signed in" is written only once
both factors are passed, and behind a trusted proxy the client's address is recorded."""

from __future__ import annotations

from ipaddress import ip_network

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD, signed_in
from yim.accounts.models import User
from yim.audit.models import AuditEvent
from yim.config import ConfigError, env_networks

pytestmark = pytest.mark.django_db


def login(username: str, password: str = PASSWORD, client: Client | None = None, **extra):
    client = client or Client()
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}, **extra
    )
    return client, response


def with_two_factor(user: User) -> str:
    secret = pyotp.random_base32()
    User.objects.filter(pk=user.pk).update(totp_secret=secret, totp_confirmed_at=timezone.now())
    user.refresh_from_db()
    return secret


def wrong_code(secret: str) -> str:
    return "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"


# --- failed sign-ins belong to the organisation --------------------------------------------


def test_a_failed_sign_in_is_filed_under_the_organisation_of_the_account_it_named(world):
    login("prof", "wrong")
    event = AuditEvent.objects.get(action="login_failed")
    assert event.organisation_id == world.org.pk
    assert (event.object_type, event.object_id) == ("user", str(world.professional.pk))
    assert event.actor_id is None and event.actor_name == "prof"


def test_the_admin_finds_failed_sign_ins_of_their_organisation_in_the_audit_search(
    world, client_for
):
    login("prof", "wrong")
    login("prof_x", "wrong")  # another organisation's account
    page = client_for("admin").get("/audit/", {"action": "login_failed"})
    names = {event.actor_name for event in page.context["page"]}
    assert names == {"prof"}


def test_the_team_lead_finds_failed_sign_ins_of_their_team_but_not_of_other_teams(
    world, client_for
):
    login("prof", "wrong")  # team A, the team lead's own team
    login("prof_b", "wrong")  # team B of the same organisation
    page = client_for("team_lead").get("/audit/", {"action": "login_failed"})
    assert page.status_code == 200
    names = {event.actor_name for event in page.context["page"]}
    assert names == {"prof"}


def test_a_failed_sign_in_for_an_unknown_name_belongs_to_no_organisation(world):
    login("nobody-here", "wrong")
    event = AuditEvent.objects.get(action="login_failed")
    assert event.organisation_id is None and event.object_id == ""


# --- the second factor ------------------------------------------------------------------------


def test_signed_in_is_written_only_after_the_second_factor(world, settings):
    settings.REQUIRE_2FA = True
    secret = with_two_factor(world.professional)
    client, response = login("prof")
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="login").exists()
    client.post("/accounts/2fa/", {"code": pyotp.TOTP(secret).now()})
    event = AuditEvent.objects.get(action="login")
    assert event.actor == world.professional and "two-factor" in event.detail


def test_a_wrong_second_factor_code_is_recorded_and_is_no_sign_in(world, settings):
    settings.REQUIRE_2FA = True
    secret = with_two_factor(world.professional)
    client, _response = login("prof")
    client.post("/accounts/2fa/", {"code": wrong_code(secret)}, REMOTE_ADDR="10.9.8.7")
    event = AuditEvent.objects.get(action="login_failed")
    assert event.actor == world.professional
    assert event.organisation_id == world.org.pk
    assert event.ip == "10.9.8.7"
    assert "two-factor code" in event.detail
    assert not AuditEvent.objects.filter(action="login").exists()


def test_a_wrong_code_for_new_recovery_codes_is_recorded(world, settings):
    secret = with_two_factor(world.professional)
    signed_in(world.professional).post(
        "/accounts/2fa/recovery-codes/", {"code": wrong_code(secret)}
    )
    event = AuditEvent.objects.get(action="login_failed")
    assert event.actor == world.professional and "new recovery codes" in event.detail


def test_setting_up_two_factor_at_the_first_sign_in_is_the_sign_in(world, settings):
    settings.REQUIRE_2FA = True
    client, _response = login("prof")
    assert not AuditEvent.objects.filter(action="login").exists()
    client.get("/accounts/2fa/setup/")
    secret = client.session["yim_2fa_setup_secret"]
    client.post("/accounts/2fa/setup/", {"code": pyotp.TOTP(secret).now()})
    assert AuditEvent.objects.filter(action="login", actor=world.professional).count() == 1


def test_portal_users_are_signed_in_with_the_password_alone(world):
    login("youth")
    assert AuditEvent.objects.filter(action="login", actor=world.youth_user).count() == 1


# --- the client's address behind a proxy --------------------------------------------------------

PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings):  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = (ip_network(PROXY), ip_network("10.1.0.0/16"))


def recorded_ip(world, **meta: str) -> str | None:
    signed_in(world.professional).get(f"/youth/{world.youth_file.pk}/", **meta)
    return AuditEvent.objects.filter(action="view").latest("id").ip


def test_behind_a_trusted_proxy_the_client_address_is_recorded(world, behind_proxy):
    ip = recorded_ip(world, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert ip == "203.0.113.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(world, behind_proxy):
    ip = recorded_ip(
        world,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7, 10.1.2.3",
    )
    assert ip == "203.0.113.7"  # 198.51.100.1 was written by the client: not believed


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(world, behind_proxy):
    ip = recorded_ip(world, REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert ip == "198.51.100.9"


def test_without_trusted_proxies_the_forwarded_header_is_ignored(world, settings):
    settings.TRUSTED_PROXIES = ()
    ip = recorded_ip(world, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert ip == PROXY


def test_a_garbled_forwarded_header_falls_back_to_the_proxy(world, behind_proxy):
    ip = recorded_ip(world, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="evil, <script>")
    assert ip == PROXY


def test_the_sign_in_throttle_counts_the_client_behind_the_proxy(world, settings, behind_proxy):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        login("prof", "wrong", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.66")
    _client, response = login("prof", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 302  # the guesser's lock is not the colleague's


def test_trusted_proxies_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("YIM_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8 ,::1")
    assert [str(n) for n in env_networks("YIM_TRUSTED_PROXIES")] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]
    monkeypatch.setenv("YIM_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")
    with pytest.raises(ConfigError, match=r"YIM_TRUSTED_PROXIES: 'proxy\.local' is not an IP"):
        env_networks("YIM_TRUSTED_PROXIES")
