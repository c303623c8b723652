"""The confirmation step for removing a record entered by mistake (network, goals).

A removal is a correction of the record, never an everyday edit: the page names what goes,
shows the model's refusal up front when there is one, and removes only on a POST that
carries the version the page showed (optimistic locking). The model method judges; the
removal and its audit row are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from yim.audit.models import Action
from yim.core.forms import ActionForm, attach_errors
from yim.core.http import AuthenticatedHttpRequest
from yim.core.models import VersionedModel
from yim.trajectories.models import Trajectory, Youth
from yim.trajectories.views import audit, form_page


def confirm_removal(
    request: AuthenticatedHttpRequest,
    *,
    trajectory: Trajectory | None,
    youth: Youth,
    record: VersionedModel,
    remove: Callable[[int], str],
    refusal: Any,
    title: str,
    intro: str,
    back: str,
    done: str,
) -> HttpResponse:
    """GET: the confirmation page. POST: ``remove(version)`` (returns the audit detail).

    ``refusal`` is the model's reason not to remove (or None): it is shown on the page and
    the remove button is left out; the model refuses a POST all the same.
    """
    form = ActionForm(request.POST or None, initial={"version": record.version})
    if request.method == "POST" and form.is_valid():
        pk = record.pk
        try:
            with transaction.atomic():
                detail = remove(form.cleaned_data["version"])
                record.pk = pk  # Django clears the key on delete; the audit row names it
                audit(request, Action.DELETE, youth, record, detail)
        except ValidationError as exc:
            record.pk = pk
            attach_errors(form, exc)
        else:
            messages.success(request, _("Removed."))
            return redirect(done)
    shown_refusal = refusal if request.method != "POST" else None  # a POST shows the model's
    return form_page(
        request,
        trajectory=trajectory,
        youth=youth,
        form=form,
        title=title,
        intro=intro,
        submit=_("Remove"),
        extra={
            "back": back,
            "refusal": shown_refusal,
            "refused": bool(shown_refusal is not None or form.errors),
        },
        template="trajectories/confirm_remove.html",
    )
