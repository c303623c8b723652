"""Time-based one-time passwords (RFC 6238) for staff sign-in, via pyotp."""

from __future__ import annotations

import io
import time

import pyotp
import qrcode
import qrcode.image.svg
from django.contrib.sessions.backends.base import SessionBase

from yim.accounts.models import RecoveryCode, User

ISSUER = "yim"
SESSION_VERIFIED_KEY = "yim_2fa_verified"
SESSION_SETUP_SECRET_KEY = "yim_2fa_setup_secret"  # noqa: S105 - a session key name


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG (no image request, no script)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    text = buffer.getvalue().decode()
    return text[text.index("<svg") :]


def _matching_counter(secret: str, code: str) -> int | None:
    cleaned = code.replace(" ", "").strip()
    if not (cleaned.isdigit() and len(cleaned) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time())
    for drift in (-1, 0, 1):  # allow one 30-second step of clock drift either way
        counter = now // totp.interval + drift
        if pyotp.utils.strings_equal(totp.generate_otp(counter), cleaned):
            return counter
    return None


def verify_setup(secret: str, code: str) -> int | None:
    return _matching_counter(secret, code)


def verify(user: User, code: str) -> bool:
    """Check a code and refuse a replay of a code that was already used."""
    if not user.totp_secret:
        return False
    counter = _matching_counter(user.totp_secret, code)
    if counter is None:
        return False
    # Atomic compare-and-set: a code (counter) can be used once, never an older one.
    updated = User.objects.filter(pk=user.pk, totp_last_counter__lt=counter).update(
        totp_last_counter=counter
    )
    if updated:
        user.totp_last_counter = counter
    return bool(updated)


# --- self-service: new recovery codes and a new phone -----------------------------------------

#: Set in the session when the user confirmed, with a current code or a recovery code, that
#: they want to link a new phone; the set-up page then accepts a new secret for a while.
SESSION_NEW_PHONE_KEY = "yim_2fa_new_phone_confirmed_at"
#: How long that confirmation stays valid (seconds): long enough to find and open the app.
NEW_PHONE_WINDOW_SECONDS = 10 * 60
#: At or below this many unused recovery codes, *My account* warns the user.
FEW_RECOVERY_CODES = 3


def unused_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def looks_like_recovery_code(code: str) -> bool:
    """A recovery code is two groups of 6 hex digits (``3fa9c1-07be42``); an app code is 6
    digits. Used to say *why* a recovery code is refused where only the app's code counts."""
    cleaned = code.strip().lower().replace(" ", "")
    head, dash, tail = cleaned.partition("-")
    hex_digits = set("0123456789abcdef")
    if dash:
        return len(head) == len(tail) == 6 and set(head + tail) <= hex_digits
    return len(cleaned) == 12 and set(cleaned) <= hex_digits


def mark_new_phone_confirmed(session: SessionBase) -> None:
    session[SESSION_NEW_PHONE_KEY] = int(time.time())
    # A set-up secret left over from earlier is dropped: the new phone gets a fresh one.
    session.pop(SESSION_SETUP_SECRET_KEY, None)


def new_phone_confirmed(session: SessionBase) -> bool:
    confirmed_at = session.get(SESSION_NEW_PHONE_KEY)
    if not isinstance(confirmed_at, int):
        return False
    return 0 <= time.time() - confirmed_at <= NEW_PHONE_WINDOW_SECONDS
