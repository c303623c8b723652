"""Limits on guessing (security finding 9): the lockout cannot be raced, a stranger cannot lock
a colleague out from their own computer, an address that guesses is stopped, and password-reset
e-mails are rate-limited per address and per e-mail address."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core import mail
from django.db import connection
from django.test import Client

from tests.conftest import PASSWORD
from yim.accounts import throttle
from yim.accounts.models import LoginFailure

pytestmark = pytest.mark.django_db

HOME = "10.0.0.1"
STRANGER = "10.66.0.1"


def login(username: str, password: str = PASSWORD, ip: str = HOME):
    return Client().post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def signed_in(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302


@dataclass
class PasswordChecks:
    """How many passwords the backend checked, and a hook that runs during the next check."""

    count: int = 0
    during_next_check: Callable[[], object] | None = None


CHECKS = PasswordChecks()


class CountingBackend(ModelBackend):
    """Django's backend, counting each password check. The hook stands in for a second worker
    whose request runs while the first worker's password is being checked."""

    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        CHECKS.count += 1
        hook, CHECKS.during_next_check = CHECKS.during_next_check, None
        if hook is not None:
            hook()
        return super().authenticate(request, username=username, password=password, **kwargs)


@pytest.fixture
def checks(settings) -> PasswordChecks:  # type: ignore[no-untyped-def]
    settings.AUTHENTICATION_BACKENDS = [f"{__name__}.CountingBackend"]
    CHECKS.count, CHECKS.during_next_check = 0, None
    return CHECKS


# --- the race --------------------------------------------------------------------------------


def test_two_workers_at_once_never_check_more_passwords_than_the_limit(world, settings, checks):
    limit = settings.LOGIN_MAX_FAILURES
    for _ in range(limit - 1):
        login("youth", "wrong")
    assert checks.count == limit - 1
    # Worker 1 is checking the last allowed password when worker 2's request comes in.
    checks.during_next_check = lambda: login("youth", "also-wrong")
    login("youth", "wrong-again")
    assert checks.count == limit
    assert LoginFailure.objects.filter(username="youth").count() == limit


def test_a_pending_check_counts_until_the_password_proves_right(world, settings, checks):
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        login("youth", "wrong")
    seen = []
    checks.during_next_check = lambda: seen.append(login("youth"))
    assert signed_in(login("youth"))
    assert not signed_in(seen[0])  # refused while the other attempt was being checked
    assert not LoginFailure.objects.filter(username="youth").exists()  # cleared by the success
    assert signed_in(login("youth"))


@pytest.mark.postgres_only
def test_eight_workers_claiming_at_the_same_moment_get_exactly_the_limit(settings):
    """Real concurrency, on PostgreSQL: eight connections claim a password check for one
    account and address at once; exactly the limit get through. (SQLite runs one write
    transaction at a time, which serialises the claim by itself.) The workers commit, so they
    use a name and address of their own and remove their rows afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("real parallel transactions need PostgreSQL; SQLite runs one writer at a time")
    name, ip, workers = f"race-{uuid.uuid4().hex[:8]}", "10.99.0.1", 8
    start = threading.Barrier(workers)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            start.wait()
            throttle.claim_password_attempt(name, ip)
            outcomes.append("checked")
        except throttle.Locked:
            outcomes.append("locked")
        finally:
            connection.close()

    def cleanup() -> None:
        try:
            LoginFailure.objects.filter(username=name).delete()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cleaner = threading.Thread(target=cleanup)
    cleaner.start()
    cleaner.join()
    assert sorted(outcomes) == ["checked"] * settings.LOGIN_MAX_FAILURES + ["locked"] * (
        workers - settings.LOGIN_MAX_FAILURES
    )


# --- who a lock keeps out --------------------------------------------------------------------


def test_a_stranger_guessing_cannot_lock_a_colleague_out_from_their_own_address(world, settings):
    for _ in range(settings.LOGIN_MAX_FAILURES + 2):
        login("prof", "guess", ip=STRANGER)
    locked = login("prof", ip=STRANGER)  # even the right password, from the stranger's address
    assert not signed_in(locked)
    assert "blocked for 15 minutes" in locked.content.decode()
    assert signed_in(login("prof", ip=HOME))


def test_an_address_that_guesses_many_accounts_is_stopped(world, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 6
    for username in ("prof", "prof_b", "lead"):
        login(username, "guess", ip=STRANGER)
        login(username, "guess", ip=STRANGER)
    response = login("youth", ip=STRANGER)
    assert not signed_in(response)
    assert "from your network address" in response.content.decode()
    assert signed_in(login("youth", ip=HOME))


def test_guessing_one_account_from_many_addresses_hits_a_ceiling(world, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 8
    for i in range(8):
        login("prof", "guess", ip=f"10.66.0.{i % 2 + 1}")
    assert not signed_in(login("prof", ip=HOME))


def test_a_lock_ends_after_the_lockout_minutes(world, settings, frozen_clock):
    import datetime as dt

    for _ in range(settings.LOGIN_MAX_FAILURES):
        login("youth", "wrong")
    assert not signed_in(login("youth"))
    frozen_clock.shift(dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES, seconds=1))
    assert signed_in(login("youth"))


# --- password reset --------------------------------------------------------------------------


def reset(email: str, ip: str = HOME):
    return Client().post(
        "/accounts/password-reset/", {"email": email}, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en"
    )


def test_password_reset_mails_are_limited_per_email_address(world, settings):
    for _ in range(settings.PASSWORD_RESET_MAX_PER_ACCOUNT):
        assert reset("prof@example.org").status_code == 302
    assert len(mail.outbox) == settings.PASSWORD_RESET_MAX_PER_ACCOUNT
    refused = reset("PROF@example.org", ip=STRANGER)
    assert refused.status_code == 429
    assert "Too many password reset requests. Wait 60 minutes" in refused.content.decode()
    assert len(mail.outbox) == settings.PASSWORD_RESET_MAX_PER_ACCOUNT
    assert reset("lead@example.org").status_code == 302  # other accounts are not affected


def test_password_reset_mails_are_limited_per_address(world, settings):
    for i in range(settings.PASSWORD_RESET_MAX_PER_ADDRESS):
        assert reset(f"someone{i}@example.org", ip=STRANGER).status_code == 302
    assert reset("prof@example.org", ip=STRANGER).status_code == 429
    assert len(mail.outbox) == 0
    assert reset("prof@example.org", ip=HOME).status_code == 302
    assert len(mail.outbox) == 1


def test_the_reset_limit_answers_alike_whether_or_not_the_address_has_an_account(world, settings):
    for _ in range(settings.PASSWORD_RESET_MAX_PER_ACCOUNT):
        reset("prof@example.org")
        reset("nobody@example.org")
    known, unknown = reset("prof@example.org"), reset("nobody@example.org")
    assert known.status_code == unknown.status_code == 429
    assert known.context["form"].errors == unknown.context["form"].errors


def test_the_reset_limit_ends_after_its_window(world, settings, frozen_clock):
    import datetime as dt

    for _ in range(settings.PASSWORD_RESET_MAX_PER_ACCOUNT):
        reset("prof@example.org")
    assert reset("prof@example.org").status_code == 429
    frozen_clock.shift(dt.timedelta(minutes=settings.PASSWORD_RESET_WINDOW_MINUTES, seconds=1))
    assert reset("prof@example.org").status_code == 302
