"""The codebook (create, rename, move, merge with optimistic locking), memos and pseudonyms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest

from . import forms as f
from . import models as m
from .codebook_delete import DeletionChangedError, delete_code, deletion_impact
from .colours import next_colour
from .pages import page_of, project_for, project_page
from .pseudonyms import PseudonymError, PseudonymTable
from .pseudonyms_apply import apply_pseudonyms, project_table
from .views import code_tree


def _selected_code(request: HttpRequest, tree: list[tuple[m.Code, int]]) -> int | None:
    """Index in ``tree`` of the code chosen with ``?code=<id>``; 404 for an id that is not a
    code of this project (a code of another project looks exactly like a missing one)."""
    raw = request.GET.get("code")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise Http404
    wanted = int(raw)
    for index, (code, _depth) in enumerate(tree):
        if code.pk == wanted:
            return index
    raise Http404


def _targets(tree: list[tuple[m.Code, int]], index: int) -> SafeString:
    r"""The ``<option>``\ s of the one move/merge list: every code outside the chosen code's
    subtree (moving or merging into it would make a cycle), indented by depth."""
    depth = tree[index][1]
    end = index + 1
    while end < len(tree) and tree[end][1] > depth:
        end += 1
    return format_html_join(
        "",
        '<option value="{}">{}{}</option>',
        ((code.pk, "\u2003" * d, code.name) for code, d in tree[:index] + tree[end:]),
    )


def _codebook_page(request: AuthenticatedHttpRequest, project: m.Project, form=None, status=200):
    """The code tree with one light row per code. The forms to change a code (rename, colour,
    description, move, merge, sub-code, delete) are rendered once, for the code chosen with
    ``?code=<id>``, and move and merge pick their target from one shared list: the page grows
    by one row per code, never by a list per code. Two queries for the codes, whatever their
    number (the tree with its coding counts; the project's colours come from the same rows)."""
    tree = code_tree(project, counts=True)
    index = _selected_code(request, tree)
    colour = next_colour(code.color for code, _depth in tree)
    context: dict = {
        "project": project,
        "rows": tree,
        "form": form or f.CodeForm(project=project, initial={"color": colour}),
        "can_delete": policy.can_manage_qualitative_codebook(request.user, project),
        "selected": None,
    }
    if index is not None:
        code = tree[index][0]
        context.update(
            selected=code,
            edit_form=f.CodeEditForm(
                initial={
                    "version": code.version,
                    "name": code.name,
                    "color": code.color,
                    "description": code.description,
                },
                prefix=f"edit{code.pk}",
            ),
            targets=_targets(tree, index),
            sub_form=f.CodeForm(
                project=project, initial={"parent": code.pk, "color": colour}, auto_id="sub_%s"
            ),
        )
    return render(request, "qualitative/codebook.html", context, status=status)


def _back(project: m.Project, code: m.Code | None = None) -> HttpResponse:
    """Back to the codebook, with ``code``'s change panel open."""
    url = reverse("qualitative:codebook", args=[project.pk])
    return redirect(f"{url}?code={code.pk}" if code is not None else url)


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
            return _back(project, code)
        return _codebook_page(request, project, form, status=400)
    record(request.user, Action.VIEW, request=request, obj=project, detail="codebook")
    return _codebook_page(request, project)


def _refused(request: HttpRequest, project: m.Project, code: m.Code, form) -> HttpResponse:
    for errors in form.errors.values():
        messages.error(request, errors.as_text())
    return _back(project, code)


def _stale(request: HttpRequest, project: m.Project, error: Exception, code=None) -> HttpResponse:
    messages.error(request, str(error))
    return _back(project, code)


def _code_for(request: AuthenticatedHttpRequest, pk: int, code_id: int) -> tuple[m.Project, m.Code]:
    project = project_for(request, pk)
    return project, get_object_or_404(project.codes, pk=code_id)


def _code_change(
    request: AuthenticatedHttpRequest,
    project: m.Project,
    code: m.Code,
    form: Any,
    change: Callable[[], tuple[m.Code, str, str]],
) -> HttpResponse:
    """One change from a code's panel. A refused form or a stale version goes back to the panel
    with the message; otherwise ``change`` makes it and returns the code to show, the audit
    detail and the message."""
    if not form.is_valid():
        return _refused(request, project, code, form)
    try:
        shown, detail, message = change()
    except m.CodebookError as exc:
        return _stale(request, project, exc, code)
    record(request.user, Action.UPDATE, request=request, obj=shown, detail=detail)
    messages.success(request, message)
    return _back(project, shown)


@login_required
@require_POST
def code_edit_view(request: AuthenticatedHttpRequest, pk: int, code_id: int) -> HttpResponse:
    project, code = _code_for(request, pk, code_id)
    form = f.CodeEditForm(request.POST, prefix=f"edit{code.pk}")

    def edit() -> tuple[m.Code, str, str]:
        data = form.cleaned_data
        code.edit(
            data["version"],
            name=data["name"].strip(),
            color=form.colour_for(code),
            description=data["description"],
        )
        return code, "code edited", _("The code has been saved.")

    return _code_change(request, project, code, form, edit)


@login_required
@require_POST
def code_move_view(request: AuthenticatedHttpRequest, pk: int, code_id: int) -> HttpResponse:
    project, code = _code_for(request, pk, code_id)
    form = f.CodeMoveForm(request.POST, project=project)

    def move() -> tuple[m.Code, str, str]:
        code.move(form.cleaned_data["version"], form.cleaned_data["target"])
        return code, "code moved", _("The code has been moved.")

    return _code_change(request, project, code, form, move)


@login_required
@require_POST
def code_merge_view(request: AuthenticatedHttpRequest, pk: int, code_id: int) -> HttpResponse:
    project, code = _code_for(request, pk, code_id)
    form = f.CodeMergeForm(request.POST, project=project)

    def merge() -> tuple[m.Code, str, str]:
        target = form.cleaned_data["target"]
        # The target's version: as seen by the user if sent, else as it is now (the merge only
        # adds codings to the target, so a concurrent rename of the target loses nothing).
        target_version = form.cleaned_data.get("target_version") or target.version
        name = code.name
        moved = code.merge_into(form.cleaned_data["version"], target, target_version)
        message = _("“%(a)s” has been merged into “%(b)s” (%(n)s codings moved).") % {
            "a": name,
            "b": target.name,
            "n": moved,
        }
        return target, f"merged {name}", message

    return _code_change(request, project, code, form, merge)


@login_required
@require_http_methods(["GET", "POST"])
def code_delete_view(request: AuthenticatedHttpRequest, pk: int, code_id: int) -> HttpResponse:
    """Confirmation page (what is affected, per coder) and the deletion itself."""
    project = project_for(request, pk)
    if not policy.can_manage_qualitative_codebook(request.user, project):
        raise Http404
    code = get_object_or_404(project.codes.select_related("parent"), pk=code_id)
    form = None
    if request.method == "POST":
        form = f.CodeDeleteForm(request.POST)
        if form.is_valid():
            mode = form.cleaned_data["children"]
            try:
                with transaction.atomic():  # the audit event commits with the deletion
                    result = delete_code(
                        code,
                        form.cleaned_data["version"],
                        mode,
                        expected_descendants=form.cleaned_data["expected_descendants"],
                        expected_codings=form.expected_for(mode),
                    )
                    record(
                        request.user,
                        Action.DELETE,
                        request=request,
                        obj=code,
                        detail=(
                            f"code deleted ({mode}): {result.name}; {result.codes_deleted} "
                            f"codes, {result.codings_deleted} codings, "
                            f"{result.children_moved} sub-codes moved up"
                        ),
                    )
            except DeletionChangedError as exc:
                messages.error(request, str(exc))
                return redirect("qualitative:code_delete", pk=project.pk, code_id=code.pk)
            except m.CodebookError as exc:
                return _stale(request, project, exc, code)
            messages.success(
                request,
                _("“%(name)s” has been deleted (%(codes)s codes, %(codings)s codings).")
                % {
                    "name": result.name,
                    "codes": result.codes_deleted,
                    "codings": result.codings_deleted,
                },
            )
            return redirect("qualitative:codebook", pk=project.pk)
    impact = deletion_impact(code)
    if form is None:
        form = f.CodeDeleteForm(
            initial={
                "version": code.version,
                "children": "delete",
                "expected_descendants": impact.descendants,
                "expected_codings": impact.total_codings,
                "expected_own_codings": impact.own_codings,
            }
        )
    record(request.user, Action.VIEW, request=request, obj=code, detail="code delete confirmation")
    return render(
        request,
        "qualitative/code_delete.html",
        {"project": project, "code": code, "impact": impact, "form": form},
        status=400 if request.method == "POST" else 200,
    )


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
    return project_page(
        request,
        project,
        "memos",
        "memos",
        {"page": page_of(request, memos.order_by("name", "guid")), "form": form},
        action=Action.LIST,
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------------------------------------
# Pseudonym table (the project's data manager only)


def _data_manager_project_for(request: AuthenticatedHttpRequest, pk: int) -> m.Project:
    """The project, if the user is its data manager; 404 for everyone else (coders never
    learn the real names, not even that a table exists)."""
    project = project_for(request, pk)
    if not policy.can_manage_qualitative_pseudonyms(request.user, project):
        raise Http404
    return project


@login_required
@require_http_methods(["GET", "POST"])
def pseudonyms_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = _data_manager_project_for(request, pk)
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
    return project_page(request, project, "pseudonyms", "pseudonyms", {"form": form})


@login_required
@require_POST
def pseudonyms_apply_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Apply the saved table to every transcript and memo already in the project (data
    manager only; an explicit button, so saving the table never rewrites coded transcripts)."""
    project = _data_manager_project_for(request, pk)
    try:
        table = project_table(project)
        with transaction.atomic():  # the audit events commit or roll back with the rewrite
            result = apply_pseudonyms(project, table)
            for changed in (*result.documents, *result.participants):
                record(
                    request.user,
                    Action.UPDATE,
                    request=request,
                    obj=changed,
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
                        f"{result.memos} memos, {result.names_replaced} names, "
                        f"{result.titles} titles, {len(result.participants)} participants, "
                        f"{result.labels} other fields"
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
            _("No name of the table occurs anywhere in the project; nothing was changed."),
        )
    elif result.documents or result.memos:
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
    if result.titles:
        messages.info(
            request,
            _("%(n)s titles of transcripts or memos contained a name and were changed.")
            % {"n": result.titles},
        )
    if result.participants:
        messages.success(
            request,
            ngettext(
                "Names were replaced in the name, description or attributes of %(n)s participant.",
                "Names were replaced in the names, descriptions or attributes of %(n)s "
                "participants.",
                len(result.participants),
            )
            % {"n": len(result.participants)},
        )
    if result.labels:
        messages.info(
            request,
            _(
                "%(n)s names or descriptions of codes, sets, segments, attributes or the "
                "project contained a name and were changed."
            )
            % {"n": result.labels},
        )
    return redirect("qualitative:pseudonyms", pk=project.pk)
