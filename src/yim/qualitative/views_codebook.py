"""The codebook (create, rename, move, merge with optimistic locking), memos and pseudonyms."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yim.audit.log import record
from yim.audit.models import Action
from yim.web.http import AuthenticatedHttpRequest

from . import forms as f
from . import models as m
from .pseudonyms import PseudonymError, PseudonymTable
from .pseudonyms_apply import apply_pseudonyms, project_table
from .views import code_tree, owner_project_for, page_of, project_for


def _codebook_page(request: HttpRequest, project: m.Project, form=None, status=200):
    tree = code_tree(project, counts=True)
    rows = [
        {
            "code": code,
            "depth": depth,
            "edit": f.CodeEditForm(
                initial={
                    "version": code.version,
                    "name": code.name,
                    "color": code.color,
                    "description": code.description,
                },
                prefix=f"edit{code.pk}",
            ),
            "parent_id": code.parent_id,
        }
        for code, depth in tree
    ]
    return render(
        request,
        "qualitative/codebook.html",
        {
            "project": project,
            "rows": rows,
            # One list of options for every move/merge select (a queryset per row would cost
            # a query per code).
            "options": [(code.pk, "\u2003" * depth + code.name) for code, depth in tree],
            "form": form or f.CodeForm(project=project),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def codebook_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    if request.method == "POST":
        form = f.CodeForm(request.POST, project=project)
        if form.is_valid():
            code = form.save(commit=False)
            code.project = project
            code.name = code.name.strip()
            code.save()
            record(request.user, Action.CREATE, request=request, obj=code, detail="code")
            messages.success(request, _("The code has been added."))
            return redirect("qualitative:codebook", pk=project.pk)
        return _codebook_page(request, project, form, status=400)
    record(request.user, Action.VIEW, request=request, obj=project, detail="codebook")
    return _codebook_page(request, project)


def _stale(request: HttpRequest, project: m.Project, error: Exception) -> HttpResponse:
    messages.error(request, str(error))
    return redirect("qualitative:codebook", pk=project.pk)


@login_required
@require_POST
def code_edit_view(request: AuthenticatedHttpRequest, pk: int, code_id: int) -> HttpResponse:
    project = project_for(request, pk)
    code = get_object_or_404(project.codes, pk=code_id)
    form = f.CodeEditForm(request.POST, prefix=f"edit{code.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors.as_text())
        return redirect("qualitative:codebook", pk=project.pk)
    data = form.cleaned_data
    try:
        code.edit(
            data["version"],
            name=data["name"].strip(),
            color=data["color"],
            description=data["description"],
        )
    except m.CodebookError as exc:
        return _stale(request, project, exc)
    record(request.user, Action.UPDATE, request=request, obj=code, detail="code edited")
    messages.success(request, _("The code has been saved."))
    return redirect("qualitative:codebook", pk=project.pk)


@login_required
@require_POST
def code_move_view(request: AuthenticatedHttpRequest, pk: int, code_id: int) -> HttpResponse:
    project = project_for(request, pk)
    code = get_object_or_404(project.codes, pk=code_id)
    form = f.CodeMoveForm(request.POST, project=project, prefix=f"move{code.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors.as_text())
        return redirect("qualitative:codebook", pk=project.pk)
    try:
        code.move(form.cleaned_data["version"], form.cleaned_data["parent"])
    except m.CodebookError as exc:
        return _stale(request, project, exc)
    record(request.user, Action.UPDATE, request=request, obj=code, detail="code moved")
    messages.success(request, _("The code has been moved."))
    return redirect("qualitative:codebook", pk=project.pk)


@login_required
@require_POST
def code_merge_view(request: AuthenticatedHttpRequest, pk: int, code_id: int) -> HttpResponse:
    project = project_for(request, pk)
    code = get_object_or_404(project.codes, pk=code_id)
    form = f.CodeMergeForm(request.POST, project=project, prefix=f"merge{code.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors.as_text())
        return redirect("qualitative:codebook", pk=project.pk)
    target = form.cleaned_data["target"]
    # The target's version: as seen by the user if sent, else as it is now (the merge only
    # adds codings to the target, so a concurrent rename of the target loses nothing).
    target_version = form.cleaned_data.get("target_version") or target.version
    name = code.name
    try:
        moved = code.merge_into(form.cleaned_data["version"], target, target_version)
    except m.CodebookError as exc:
        return _stale(request, project, exc)
    record(request.user, Action.UPDATE, request=request, obj=target, detail=f"merged {name}")
    messages.success(
        request,
        _("“%(a)s” has been merged into “%(b)s” (%(n)s codings moved).")
        % {"a": name, "b": target.name, "n": moved},
    )
    return redirect("qualitative:codebook", pk=project.pk)


# ---------------------------------------------------------------------------------------------
# Memos


def _memo_target(project: m.Project, kind: str, target_id: int | None) -> dict:
    """The MemoLink fields for a target inside this project (404 for anything else)."""
    if kind == "project":
        return {}
    lookups = {
        "document": (m.Document.objects.filter(project=project), "document"),
        "code": (m.Code.objects.filter(project=project), "code"),
        "segment": (m.Segment.objects.filter(document__project=project), "segment"),
    }
    queryset, field = lookups[kind]
    return {field: get_object_or_404(queryset, pk=target_id)}


@login_required
@require_http_methods(["GET", "POST"])
def memos_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    form = f.MemoForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = _memo_target(project, data["target_kind"], data["target_id"])
        with transaction.atomic():
            memo = m.Memo.objects.create(
                project=project,
                name=data["name"],
                text=data["text"],
                coder=project.coder_for(request.user),
            )
            m.MemoLink.objects.create(memo=memo, **target)
        record(request.user, Action.CREATE, request=request, obj=memo, detail="memo")
        messages.success(request, _("The memo has been saved."))
        back = request.POST.get("back", "")
        if back == "document" and "document" in target:
            return redirect(
                "qualitative:document", pk=project.pk, document_id=target["document"].pk
            )
        return redirect("qualitative:memos", pk=project.pk)
    memos = project.memos.select_related("coder").prefetch_related(
        "links__document", "links__code", "links__segment__document"
    )
    record(request.user, Action.LIST, request=request, obj=project, detail="memos")
    return render(
        request,
        "qualitative/memos.html",
        {
            "project": project,
            "page": page_of(request, memos.order_by("name", "guid")),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------------------------------------
# Pseudonym table (owner only)


@login_required
@require_http_methods(["GET", "POST"])
def pseudonyms_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = owner_project_for(request, pk)
    current = "\n".join(f"{p.real_name} = {p.pseudonym}" for p in project.pseudonyms.all())
    form = f.PseudonymForm(request.POST or None, initial={"table": current})
    if request.method == "POST" and form.is_valid():
        pairs = form.cleaned_data["table"]
        try:
            if pairs:
                PseudonymTable(pairs)
        except PseudonymError as exc:
            form.add_error("table", str(exc))
        else:
            with transaction.atomic():
                project.pseudonyms.all().delete()
                m.PseudonymEntry.objects.bulk_create(
                    m.PseudonymEntry(project=project, real_name=real, pseudonym=pseudonym)
                    for real, pseudonym in pairs.items()
                )
            record(request.user, Action.UPDATE, request=request, obj=project, detail="pseudonyms")
            messages.success(
                request, _("The pseudonym table is saved; it applies to new transcripts.")
            )
            return redirect("qualitative:pseudonyms", pk=project.pk)
    record(request.user, Action.VIEW, request=request, obj=project, detail="pseudonyms")
    return render(request, "qualitative/pseudonyms.html", {"project": project, "form": form})


@login_required
@require_POST
def pseudonyms_apply_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Apply the saved table to every transcript and memo already in the project (owner
    only; an explicit button, so saving the table never rewrites coded transcripts)."""
    project = owner_project_for(request, pk)
    try:
        table = project_table(project)
        with transaction.atomic():  # the audit events commit or roll back with the rewrite
            result = apply_pseudonyms(project, table)
            for document in result.documents:
                record(
                    request.user,
                    Action.UPDATE,
                    request=request,
                    obj=document,
                    detail="pseudonyms applied",
                )
            if result.changed:
                record(
                    request.user,
                    Action.UPDATE,
                    request=request,
                    obj=project,
                    detail=(
                        f"pseudonyms applied: {len(result.documents)} documents, "
                        f"{result.memos} memos, {result.names_replaced} names"
                    ),
                )
    except PseudonymError as exc:
        messages.error(
            request,
            _("Nothing was changed: %(error)s") % {"error": exc},
        )
        return redirect("qualitative:pseudonyms", pk=project.pk)
    if not result.changed:
        messages.info(
            request,
            _("No name of the table occurs in the transcripts or memos; nothing was changed."),
        )
    else:
        messages.success(
            request,
            _(
                "%(names)s names replaced in %(documents)s transcripts and %(memos)s memos; "
                "%(segments)s coded segments moved with the text."
            )
            % {
                "names": result.names_replaced,
                "documents": len(result.documents),
                "memos": result.memos,
                "segments": result.segments_moved,
            },
        )
    return redirect("qualitative:pseudonyms", pk=project.pk)
