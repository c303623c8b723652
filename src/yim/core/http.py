"""Request types for views that run only for a signed-in user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from yim.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request a ``@login_required`` view receives: ``user`` is a real account."""

    user: User
