"""Domain errors shared by every app.

They are :class:`~django.core.exceptions.ValidationError` subclasses, so a form can show them
with ``form.add_error(None, exc)`` and the API can turn them into a 422 (a stale edit: 409
with code ``stale``) with the same translated message, while code can still catch the
specific kind.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _


class DomainError(ValidationError):
    """A rule of the JIM approach refused a change. Carries a dict of field → messages."""

    default_message = _("This change is not allowed.")
    default_field = NON_FIELD_ERRORS

    def __init__(self, message: object = None, field: str | None = None, code: str = "") -> None:
        super().__init__(
            {field or self.default_field: [message or self.default_message]},
            code=code or type(self).__name__,
        )


class StaleEdit(DomainError):
    """Someone else saved the record after this edit started (optimistic locking)."""

    default_message = _(
        "Someone else changed this record while you were editing it. Your changes were not "
        "saved. Reload the page to see the current version, then make your changes again."
    )
