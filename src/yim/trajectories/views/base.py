"""Shared helpers of the trajectory pages: scoped lookups, the audit, one form-handling shape.

Views parse (forms), authorise (:mod:`yim.policy`, lookups through the user's scope so
anything outside it answers 404) and call the models; every read and write of youth data
is audited. The model is the only judge of a write: its refusal (a rule, a stale version,
a closed trajectory) lands on the form, nothing is written and the form is shown again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.forms import ActionForm, attach_errors
from yim.core.http import AuthenticatedHttpRequest
from yim.core.models import VersionedModel
from yim.trajectories.models import Trajectory, Youth

PartT = TypeVar("PartT", bound=Model)


def get_trajectory(
    request: AuthenticatedHttpRequest, pk: int, *, edit: bool, related: tuple[str, ...] = ()
) -> Trajectory:
    """One trajectory through the user's scope (one query); 404 outside it.

    ``edit``: only the youth's own team writes; break-the-glass access reads only.
    ``related``: more records to join into that one query (``"care_plan"``, ``"closure"``).
    """
    grants = frozenset() if edit else policy.break_glass_ids(request)
    trajectory = (
        policy.staff_trajectory_queryset(request.user, grants)
        .select_related("youth", "youth__team", "programme", "team", "professional", *related)
        .filter(pk=pk)
        .first()
    )
    if trajectory is None or not policy.can_view_trajectories(request.user, trajectory.youth):
        raise Http404
    if edit and not policy.can_edit_trajectory(request.user, trajectory.youth):
        raise Http404
    return trajectory


def get_part(
    request: AuthenticatedHttpRequest, model: type[PartT], pk: int, *, edit: bool, via: str
) -> tuple[PartT, Trajectory]:
    """A record of a trajectory (``via`` is the path to it), looked up through the user's
    scope in one query; returns the record and its trajectory. 404 outside the scope."""
    grants = frozenset() if edit else policy.break_glass_ids(request)
    scope = policy.staff_trajectory_queryset(request.user, grants)
    part = (
        model._default_manager.filter(pk=pk, **{f"{via}__in": scope})
        .select_related(f"{via}__youth", f"{via}__programme", f"{via}__team")
        .first()
    )
    if part is None:
        raise Http404
    related: Any = part
    for step in via.split("__"):
        related = getattr(related, step)
    trajectory: Trajectory = related
    youth = trajectory.youth
    if not policy.can_view_trajectories(request.user, youth):
        raise Http404
    if edit and not policy.can_edit_trajectory(request.user, youth):
        raise Http404
    return part, trajectory


def get_youth(request: AuthenticatedHttpRequest, pk: int, *, edit: bool) -> Youth:
    grants = frozenset() if edit else policy.break_glass_ids(request)
    youth = policy.get_youth_or_404(request.user, pk, grants)
    if not policy.can_view_trajectories(request.user, youth):
        raise Http404
    if edit and not policy.can_edit_trajectory(request.user, youth):
        raise Http404
    return youth


def audit(
    request: AuthenticatedHttpRequest,
    action: Any,
    youth: Youth,
    obj: Model | None = None,
    detail: str = "",
) -> policy.Capacity:
    """One audit row for what the user does or sees in the youth's file, with the capacity
    they act in (by break-the-glass: with its reason); returns that capacity."""
    capacity = policy.capacity(request, youth)
    record(
        request.user,
        action,
        request=request,
        youth=youth,
        obj=obj,
        detail=detail,
        capacity=capacity.name,
        break_glass_reason=capacity.break_glass_reason,
    )
    return capacity


def trajectory_url(trajectory: Trajectory, anchor: str = "") -> str:
    url = reverse("trajectories:detail", args=[trajectory.pk])
    return f"{url}#{anchor}" if anchor else url


def save_form(
    request: AuthenticatedHttpRequest,
    form: Any,
    *,
    youth: Youth,
    write: Callable[[], Model],
    detail: str,
    created: bool,
    said: Callable[[Model], str] | None = None,
) -> Model | None:
    """Validate ``form``, run ``write`` (the model's save or domain action) and audit it;
    the message says what happened (``said`` of the written record; default "Saved.").

    A refusal by the model (rule, stale version, closed trajectory) lands on the form and
    nothing is written; the form keeps what the user typed.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        with transaction.atomic():
            obj = write()
    except ValidationError as exc:
        attach_errors(form, exc)
        return None
    audit(request, Action.CREATE if created else Action.UPDATE, youth, obj, detail)
    messages.success(request, said(obj) if said is not None else _("Saved."))
    return obj


def form_page(
    request: AuthenticatedHttpRequest,
    *,
    trajectory: Trajectory | None,
    youth: Youth,
    form: Any,
    title: str,
    intro: str = "",
    submit: str = "",
    extra: dict[str, Any] | None = None,
    template: str = "trajectories/form_page.html",
) -> HttpResponse:
    # Shown with the youth's data: audited, also when a refused write is shown again.
    refused = " (refused, shown again)" if request.method == "POST" else ""
    audit(request, Action.VIEW, youth, trajectory or youth, f"form: {title}{refused}"[:300])
    context = {
        "trajectory": trajectory,
        "youth": youth,
        "form": form,
        "title": title,
        "intro": intro,
        "submit": submit or _("Save"),
        "back": trajectory_url(trajectory)
        if trajectory
        else reverse("web:youth_detail", args=[youth.pk]),
        **(extra or {}),
    }
    return render(request, template, context)


def edit_page(
    request: AuthenticatedHttpRequest,
    form: Any,
    *,
    trajectory: Trajectory | None,
    youth: Youth | None = None,
    write: Callable[[], Model] | None = None,
    detail: str,
    created: bool,
    done: str | Callable[[Any], str],
    title: str,
    intro: str = "",
    submit: str = "",
    extra: dict[str, Any] | None = None,
    template: str = "trajectories/form_page.html",
    refresh: Model | None = None,
) -> HttpResponse:
    """The one shape of an edit page, for every record of a trajectory or a youth.

    A valid POST runs ``write`` (default: the form's versioned save; the model judges the
    write), audits it, says "Saved." and redirects to ``done`` (a URL, or a function of the
    saved record). Otherwise the page shows the form: on a refusal by the model (a rule, a
    stale version, a closed trajectory) with its message, with what the user typed and
    nothing written. ``refresh`` is reloaded first, so the page shows what is stored.
    """
    youth = youth if youth is not None else _youth_of(trajectory)
    obj = save_form(
        request,
        form,
        youth=youth,
        write=write or form.save_versioned,
        detail=detail,
        created=created,
    )
    if obj is not None:
        return redirect(done(obj) if callable(done) else done)
    if refresh is not None:
        refresh.refresh_from_db()
    return form_page(
        request,
        trajectory=trajectory,
        youth=youth,
        form=form,
        title=title,
        intro=intro,
        submit=submit,
        extra=extra,
        template=template,
    )


def _youth_of(trajectory: Trajectory | None) -> Youth:
    if trajectory is None:
        raise ValueError("edit_page needs the youth or the trajectory")
    return trajectory.youth


# --- removing a record entered by mistake (network, goals) ---------------------------------


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
