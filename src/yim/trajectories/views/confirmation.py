"""Confirmation before an irreversible step: finalising a placement decision, closing a
trajectory.

The page that asks shows what the step does and what is still open
(:func:`yim.trajectories.stepper.open_matters`); only a POST with ``confirmed=1`` does the
step. The model stays the only judge of the write (its rules, the stale version); what the
step did is said in words afterwards, not only "Saved.". The API has no confirmation step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model
from django.utils.formats import date_format
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from yim.core.errors import StaleEdit
from yim.core.http import AuthenticatedHttpRequest
from yim.core.models import VersionedModel
from yim.trajectories.models import Youth
from yim.trajectories.views.base import save_form

CONFIRMED = "confirmed"


def is_confirmed(request: AuthenticatedHttpRequest) -> bool:
    return request.method == "POST" and request.POST.get(CONFIRMED) == "1"


def stale(record: VersionedModel, version: int) -> StaleEdit | None:
    """The stale-edit refusal when ``record`` changed since ``version`` (the version the
    page was shown with), so the confirmation is not asked about a record nobody has seen."""
    current = type(record)._base_manager.filter(pk=record.pk).values_list("version", flat=True)
    return StaleEdit() if current.first() != version else None


def do_confirmed(
    request: AuthenticatedHttpRequest,
    form: Any,
    *,
    youth: Youth,
    write: Callable[[], Model],
    detail: str,
    created: bool,
    said: Callable[[Model], str],
) -> Model | None:
    """Run ``write`` for a valid, confirmed form, audit it and say what happened (``said``
    of the written record). A refusal by the model lands on the form; nothing is written."""
    if not is_confirmed(request):
        return None
    return save_form(
        request, form, youth=youth, write=write, detail=detail, created=created, said=said
    )


def day(value: Any) -> str:
    return str(date_format(value, "DATE_FORMAT"))


def days(values: list[Any]) -> str:
    """ "3 June 2027, 3 December 2027 and 3 June 2028"."""
    return str(get_text_list([day(v) for v in values], _("and")))
