"""Limits on guessing: passwords, second-factor codes and password-reset e-mails.

**Check and count in one step.** An attempt is *claimed* before the password or code is
checked: under a lock per account and per address, the recent failures are counted and, when
the limit is not reached, a failure row is written at once. A correct password then removes
it again. Two workers therefore never check more passwords than the limit allows: the second
one waits for the first one's count-and-write and sees its row. The lock is a transaction-scoped
advisory lock on PostgreSQL; SQLite runs write transactions ``IMMEDIATE`` (one writer at a
time), which serialises the same step.

**Whom a lock keeps out.** Wrong passwords are counted three ways within
``YIM_LOGIN_LOCKOUT_MINUTES``:

* per account *and* address — ``YIM_LOGIN_MAX_FAILURES`` (5) lock that account *from that
  address* only, so someone who guesses a colleague's user name cannot lock them out from
  their own computer;
* per address, over all accounts — ``YIM_LOGIN_MAX_FAILURES_PER_ADDRESS`` (20) lock the
  address, whichever account it tries next;
* per account, over all addresses — ``YIM_LOGIN_MAX_FAILURES_PER_ACCOUNT`` (50) lock the
  account everywhere: a ceiling against guessing from many addresses. Reaching it takes ten
  addresses or more.

A correct password clears the account's wrong passwords. Wrong second-factor codes are
counted per account alone (``YIM_LOGIN_MAX_FAILURES``): whoever types them already knows the
password. Password-reset e-mails are limited per address and per e-mail address typed, with
the same answer whether or not an account has that address.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from yim.accounts.models import LoginFailure, PasswordResetRequest, User

#: The first key of yim's sign-in advisory locks on PostgreSQL ("yim!" as a number).
_LOCK_CLASS = 0x79696D21
#: Rows older than this are removed while claiming; no window looks back that far.
_KEEP = timedelta(days=1)

ACCOUNT = "account"
ADDRESS = "address"


class Locked(Exception):
    """The attempt is refused; ``reason`` says whether the account or the address is locked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big", signed=True)


def _serialise(*keys: str) -> None:
    """Within the current transaction, one claim at a time per key (callers always pass the
    account's key before the address's, so two claims never wait for each other in a ring)."""
    if connection.vendor != "postgresql":
        return  # SQLite: the IMMEDIATE write transaction already holds the database's write lock
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, _lock_id(key)])


def _prune(now: datetime) -> None:
    LoginFailure.objects.filter(at__lt=now - _KEEP).delete()
    PasswordResetRequest.objects.filter(at__lt=now - _KEEP).delete()


def claim_password_attempt(username: str, ip: str | None) -> LoginFailure:
    """Count one password check against the limits, before it is made; raise
    :class:`Locked` when a limit is reached. The returned row stands for a failure until
    :func:`password_accepted` removes it."""
    name = username[:150]
    with transaction.atomic():
        _serialise(f"password:{name.lower()}", f"address:{ip}")
        now = timezone.now()
        _prune(now)
        recent = LoginFailure.objects.filter(kind=LoginFailure.PASSWORD, at__gte=now - _window())
        if (
            ip is not None
            and recent.filter(ip=ip).count() >= settings.LOGIN_MAX_FAILURES_PER_ADDRESS
        ):
            raise Locked(ADDRESS)
        mine = recent.filter(username__iexact=name)
        from_here = mine.filter(ip=ip) if ip is not None else mine.filter(ip__isnull=True)
        if from_here.count() >= settings.LOGIN_MAX_FAILURES:
            raise Locked(ACCOUNT)
        if mine.count() >= settings.LOGIN_MAX_FAILURES_PER_ACCOUNT:
            raise Locked(ACCOUNT)
        return LoginFailure.objects.create(username=name, ip=ip, at=now, kind=LoginFailure.PASSWORD)


def password_accepted(username: str) -> None:
    """The password was right: the account's wrong passwords no longer count."""
    LoginFailure.objects.filter(
        username__iexact=username[:150], kind=LoginFailure.PASSWORD
    ).delete()


def claim_code_attempt(user: User, ip: str | None) -> LoginFailure:
    """Count one second-factor check against the account's limit, before it is made; raise
    :class:`Locked` when reached. Remove the returned row with :func:`code_accepted`."""
    with transaction.atomic():
        _serialise(f"code:{user.pk}")
        now = timezone.now()
        recent = LoginFailure.objects.filter(
            kind=LoginFailure.CODE, username=user.username, at__gte=now - _window()
        )
        if recent.count() >= settings.LOGIN_MAX_FAILURES:
            raise Locked(ACCOUNT)
        return LoginFailure.objects.create(
            username=user.username, ip=ip, at=now, kind=LoginFailure.CODE
        )


def code_accepted(attempt: LoginFailure) -> None:
    """The code was right: this attempt was no failure (earlier wrong codes still count)."""
    LoginFailure.objects.filter(pk=attempt.pk).delete()


def claim_password_reset(email: str, ip: str | None) -> None:
    """Count one password-reset request, or raise :class:`Locked` when the address or the
    e-mail address asked too often within ``PASSWORD_RESET_WINDOW_MINUTES``."""
    typed = email.strip().lower()[:254]
    with transaction.atomic():
        _serialise(f"reset:{typed}", f"reset-address:{ip}")
        now = timezone.now()
        _prune(now)
        window = timedelta(minutes=settings.PASSWORD_RESET_WINDOW_MINUTES)
        recent = PasswordResetRequest.objects.filter(at__gte=now - window)
        if ip is not None and recent.filter(ip=ip).count() >= (
            settings.PASSWORD_RESET_MAX_PER_ADDRESS
        ):
            raise Locked(ADDRESS)
        if recent.filter(email=typed).count() >= settings.PASSWORD_RESET_MAX_PER_ACCOUNT:
            raise Locked(ACCOUNT)
        PasswordResetRequest.objects.create(email=typed, ip=ip, at=now)


def _window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
