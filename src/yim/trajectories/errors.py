"""Domain errors of the trajectory layer (the shared ones live in :mod:`yim.core.errors`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from yim.core.errors import DomainError


class GateClosed(DomainError):
    """The placement gate: no out-of-home placement without consulting the JIM."""

    default_message = _(
        "An out-of-home placement cannot be finalised before the JIM has been consulted "
        "(date, the JIM's advice and how it was weighed)."
    )


class TrajectoryClosed(DomainError):
    """A closed trajectory refuses edits."""

    default_message = _("This trajectory is closed and can no longer be changed.")
