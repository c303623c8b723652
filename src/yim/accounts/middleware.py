"""Request-wide account behaviour: the user's language, and the two-factor requirement."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from yim.accounts.twofactor import SESSION_VERIFIED_KEY

Handler = Callable[[HttpRequest], HttpResponse]


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the cookie and Accept-Language."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        if user is not None and user.is_authenticated and language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


# Paths a signed-in staff member may reach before completing two-factor sign-in.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/favicon.ico")


class TwoFactorRequiredMiddleware:
    """Staff who signed in with a password must pass TOTP (or set it up) before anything else."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.needs_two_factor
            and not request.session.get(SESSION_VERIFIED_KEY)
            and not request.path.startswith(_OPEN_PREFIXES)
            and not request.path.startswith("/api/")
        ):
            target = "accounts:two_factor" if user.has_two_factor else "accounts:two_factor_setup"
            return redirect(reverse(target))
        return self.get_response(request)
