"""Time-based one-time passwords (RFC 6238) for staff sign-in, via pyotp."""

from __future__ import annotations

import io
import time

import pyotp
import qrcode
import qrcode.image.svg

from yim.accounts.models import User

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
