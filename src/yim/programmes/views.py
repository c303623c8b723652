"""The organisation admin's programme settings: list, create, copy, edit, (de)activate.

Standard programme models (no organisation) are read-only: they are listed and can be copied,
and their edit URL answers 404 for everyone. An organisation's own programmes are changed
here only by that organisation's admins (:func:`yim.policy.can_manage_programmes`); every
other persona gets 404 on every page. No youth is involved, but every change is written to
the audit log (action create/update, the detail naming the programme).

The model is the judge: the form copies the input onto the instance, ``save()`` validates it
(phases, cadence, code unique in the organisation, no phase dropped that a trajectory is in)
and the view puts the model's messages on the fields. A stale save (someone else saved the
programme since the form was opened) is refused and the form shows what the user typed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.forms import attach_errors
from yim.core.http import AuthenticatedHttpRequest
from yim.programmes.forms import ProgrammeForm, instrument_title
from yim.programmes.models import ProgrammeModel
from yim.programmes.phases import Phase

PAGE_SIZE = 50


def _require_admin(request: AuthenticatedHttpRequest) -> int:
    """The admin's organisation id; 404 for everyone else (GET and POST alike)."""
    if not policy.can_manage_programmes(request.user) or request.user.organisation_id is None:
        raise Http404
    return request.user.organisation_id


def _with_usage(queryset: QuerySet, organisation_id: int) -> QuerySet:
    """How many of the organisation's trajectories use each programme, in the same query.

    Standard programmes are shared by every organisation: only this organisation's
    trajectories are counted, so the page reveals nothing about others.
    """
    mine = Q(trajectories__team__organisation_id=organisation_id)
    return queryset.annotate(
        n_trajectories=Count("trajectories", filter=mine),
        n_running=Count("trajectories", filter=mine & Q(trajectories__closed_at__isnull=True)),
    )


def _rows(programmes: Any) -> list[dict[str, Any]]:
    """What the list shows per programme: phase labels and instrument titles, no queries."""
    language = get_language()
    return [
        {
            "programme": p,
            "phases": [Phase(code).label for code in p.phases if code in Phase.values],
            "instruments": [instrument_title(code, language) for code in p.instruments],
        }
        for p in programmes
    ]


@login_required
@require_GET
def programme_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation_id = _require_admin(request)
    visible = _with_usage(policy.visible_programmes(request.user), organisation_id)
    standard = visible.filter(organisation__isnull=True).order_by("name", "pk")
    own = visible.filter(organisation_id=organisation_id).order_by("-is_active", "name", "pk")
    page = Paginator(own, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "programmes/list.html",
        {"standard_rows": _rows(standard), "own_rows": _rows(page.object_list), "page": page},
    )


def _describe(programme: ProgrammeModel) -> str:
    return f"programme {programme.code} ({programme.name})"


def _changes(before: ProgrammeModel, after: ProgrammeModel, fields: list[str]) -> str:
    parts = []
    for field in fields:
        old, new = getattr(before, field), getattr(after, field)
        if field in ("phases", "instruments"):
            removed = [x for x in old if x not in new]
            added = [x for x in new if x not in old]
            if removed or added:
                parts.append(f"{field} +{','.join(added) or '-'} -{','.join(removed) or '-'}")
        elif field == "description":
            parts.append("description changed")
        elif old != new:
            parts.append(f"{field} {old} -> {new}")
    return _describe(after) + ": " + ("; ".join(parts) or "saved unchanged")


def _save(
    request: AuthenticatedHttpRequest, form: ProgrammeForm, *, organisation_id: int
) -> ProgrammeModel | None:
    """Save through the model; on refusal put its messages on the form and return None."""
    created = form.instance.pk is None
    before = None if created else ProgrammeModel.objects.get(pk=form.instance.pk)
    try:
        with transaction.atomic():
            programme: ProgrammeModel = form.save_versioned(organisation_id=organisation_id)
            if created:
                detail = _describe(programme) + ": created"
                if source := getattr(form, "copied_from", None):
                    detail += f" as a copy of {source.code}"
                record(request.user, Action.CREATE, request=request, obj=programme, detail=detail)
            else:
                assert before is not None
                detail = _changes(before, programme, list(ProgrammeForm.Meta.fields))
                record(request.user, Action.UPDATE, request=request, obj=programme, detail=detail)
    except ValidationError as exc:
        attach_errors(form, exc)
        return None
    except IntegrityError:  # the same code, saved a moment ago in another tab
        form.add_error(
            "code",
            _("Your organisation already has a programme with the code %(code)s.")
            % {"code": form.instance.code},
        )
        return None
    return programme


def _form_page(
    request: AuthenticatedHttpRequest, form: ProgrammeForm, **context: Any
) -> HttpResponse:
    return render(request, "programmes/form.html", {"form": form, **context})


def _create(
    request: AuthenticatedHttpRequest,
    form: ProgrammeForm,
    organisation_id: int,
    message: str,
    **context: Any,
) -> HttpResponse:
    """A new programme from the form: saved, back to the list; else the form page again."""
    if (
        request.method == "POST"
        and form.is_valid()
        and _save(request, form, organisation_id=organisation_id) is not None
    ):
        messages.success(request, message)
        return redirect("programmes:list")
    return _form_page(request, form, **context)


@login_required
@require_http_methods(["GET", "POST"])
def programme_create_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation_id = _require_admin(request)
    form = ProgrammeForm(
        request.POST or None, instance=ProgrammeModel(organisation_id=organisation_id)
    )
    return _create(
        request,
        form,
        organisation_id,
        _("The programme has been created."),
        title=_("New programme"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_copy_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A new own programme that starts from a standard or own one (nothing is linked)."""
    organisation_id = _require_admin(request)
    source = policy.get_visible_programme_or_404(request.user, pk)
    initial = {
        "code": f"{source.code}-copy"[:50],
        "name": _("%(name)s (copy)") % {"name": source.display_name},
        "prevention_level": source.prevention_level,
        "description": source.description,
        "phases": list(source.phases),
        "evaluation_interval_months": source.evaluation_interval_months,
        "instruments": list(source.instruments),
    }
    form = ProgrammeForm(
        request.POST or None,
        instance=ProgrammeModel(organisation_id=organisation_id),
        initial=initial,
    )
    form.copied_from = source  # type: ignore[attr-defined]
    return _create(
        request,
        form,
        organisation_id,
        _("The copy has been created."),
        title=_("Copy of %(name)s") % {"name": source.display_name},
        source=source,
    )


def _usage(programme: ProgrammeModel) -> dict[str, int]:
    counts = programme.trajectories.aggregate(
        total=Count("pk"), running=Count("pk", filter=Q(closed_at__isnull=True))
    )
    return {"total": counts["total"], "running": counts["running"]}


@login_required
@require_http_methods(["GET", "POST"])
def programme_edit_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation_id = _require_admin(request)
    programme = policy.get_own_programme_or_404(request.user, pk)
    usage = _usage(programme)
    form = ProgrammeForm(request.POST or None, instance=programme, running=usage["running"])
    if request.method == "POST" and form.is_valid():
        cadence_before = ProgrammeModel.objects.get(pk=pk).evaluation_interval_months
        saved = _save(request, form, organisation_id=organisation_id)
        if saved is not None:
            messages.success(request, _("The programme has been saved."))
            if usage["running"] and saved.evaluation_interval_months != cadence_before:
                messages.info(
                    request,
                    _(
                        "The evaluation interval changed: the due dates of the evaluations of "
                        "running trajectories now follow the new interval."
                    ),
                )
            return redirect("programmes:edit", pk=pk)
    if request.method == "POST":
        # The form holds what was typed; the page's title and status show what is saved.
        programme = ProgrammeModel.objects.get(pk=pk)
    return _form_page(
        request,
        form,
        title=programme.display_name,
        programme=programme,
        usage=usage,
        unknown_instruments=form.unknown_instruments(),
    )


@login_required
@require_POST
def programme_set_active_view(
    request: AuthenticatedHttpRequest, pk: int, active: bool
) -> HttpResponse:
    """Deactivate (``active=False``) or reactivate an own programme: the URL says which."""
    _require_admin(request)
    programme = policy.get_own_programme_or_404(request.user, pk)
    with transaction.atomic():
        fresh = policy.own_programmes(request.user).select_for_update().get(pk=programme.pk)
        if fresh.is_active != active:
            fresh.is_active = active
            fresh.save()
            record(
                request.user,
                Action.UPDATE,
                request=request,
                obj=fresh,
                detail=_describe(fresh) + (": reactivated" if active else ": deactivated"),
            )
    if active:
        messages.success(request, _("The programme is active again: the intake offers it."))
    else:
        messages.success(
            request,
            _(
                "The programme has been deactivated: the intake no longer offers it. "
                "Trajectories that use it keep it."
            ),
        )
    return redirect("programmes:edit", pk=programme.pk)
