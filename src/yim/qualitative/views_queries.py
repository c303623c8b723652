"""Matrices, text search and code queries of an interview project (pages and downloads).

Every page is a GET form: its answer is shown a page at a time, and ``?format=csv|xlsx``
downloads the whole answer. Segment downloads go through :func:`.analysis.segment_rows` and
:mod:`.segments_export`, exactly as the coded segments page's, so they hold what the project
stores (pseudonyms once the table was applied) and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest

from . import models as m
from . import queries as q
from .analysis import code_paths, segment_rows
from .labels import VariableChoiceField
from .matrices import (
    code_attribute_matrix,
    code_document_matrix,
    matrix_table,
    table_to_csv,
    table_to_xlsx,
)
from .pages import PAGE_SIZE, project_for
from .segments_export import SegmentRow, segments_to_csv, segments_to_xlsx

#: Codes (rows) of a matrix per page.
MATRIX_PAGE_SIZE = 50
MAX_SEARCH_LENGTH = 200
#: A text search shows and downloads at most this many occurrences (a search for "e" in a
#: large project would otherwise hold every one of them in memory).
MAX_HITS = 10_000
UNKNOWN_CODE = gettext_lazy(
    "This code is not in this project (it may have been deleted in the meantime)."
)
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEGMENT_WRITERS: dict[str, Callable[[list[SegmentRow]], bytes]] = {
    "csv": segments_to_csv,
    "xlsx": segments_to_xlsx,
}


def _download(project: m.Project, data: bytes, kind: str, stem: str) -> HttpResponse:
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", project.name).strip("-")[:60] or "project"
    response = HttpResponse(data, content_type=CSV if kind == "csv" else XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}-{stem}.{kind}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _table_download(
    project: m.Project, kind: str, stem: str, header: list, rows: list
) -> HttpResponse:
    data = (
        table_to_csv(header, rows)
        if kind == "csv"
        else table_to_xlsx(header, rows, sheet_title=stem)
    )
    return _download(project, data, kind, stem)


def _query_string(request: AuthenticatedHttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return query.urlencode()


def _page(request: AuthenticatedHttpRequest, items: list, size: int = PAGE_SIZE):
    return Paginator(items, size).get_page(request.GET.get("page"))


# ---------------------------------------------------------------------------------------------
# Matrices


class MatrixForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Columns"),
        choices=[
            ("document", gettext_lazy("transcripts")),
            ("attribute", gettext_lazy("an attribute of the participants")),
        ],
        required=False,
    )
    variable = VariableChoiceField(
        label=gettext_lazy("Attribute"), queryset=m.Variable.objects.none(), required=False
    )
    coder = forms.ModelChoiceField(
        label=gettext_lazy("Coder"),
        queryset=m.Coder.objects.none(),
        required=False,
        empty_label=gettext_lazy("all"),
    )

    def __init__(self, *args, project: m.Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["variable"].queryset = project.variables.all()  # type: ignore[attr-defined]
        self.fields["coder"].queryset = project.coders.all()  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean()
        if data.get("kind") == "attribute" and not data.get("variable"):
            self.add_error("variable", _("Choose the attribute whose values are the columns."))
        return data


@login_required
@require_GET
def matrix_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Code × transcript or code × attribute value; cells link to their segments."""
    project = project_for(request, pk)
    form = MatrixForm(request.GET or None, project=project)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if form.is_bound and valid else {}
    kind = data.get("kind") or "document"
    variable, coder = data.get("variable"), data.get("coder")
    matrix = None
    if valid:
        if kind == "attribute" and variable is not None:
            matrix = code_attribute_matrix(project, variable, coder)
        else:
            matrix = code_document_matrix(project, coder)
    download = request.GET.get("format", "")
    if matrix is not None and download in ("csv", "xlsx"):
        record(request.user, Action.EXPORT, request=request, obj=project, detail=f"matrix {kind}")
        header, body = matrix_table(matrix)
        return _table_download(project, download, "matrix", header, body)
    page = _page(request, list(matrix.rows) if matrix else [], MATRIX_PAGE_SIZE)
    rows = []
    if matrix is not None:
        base = reverse("qualitative:code_query", args=[project.pk])
        column = "value" if kind == "attribute" else "document"
        fixed: dict[str, object] = (
            {"variable": variable.pk} if variable and column == "value" else {}
        )
        if coder is not None:
            fixed["coder"] = coder.pk
        for code_id, path in page:
            cells = (
                format_html(
                    '<td><a href="{}?{}">{}</a></td>',
                    base,
                    urlencode({"a": code_id, **fixed, column: key}),
                    n,
                )
                if n
                else format_html("<td>{}</td>", "")
                for key, n in matrix.row_cells(code_id)
            )
            rows.append((path, format_html_join("", "{}", ((cell,) for cell in cells))))
    record(request.user, Action.VIEW, request=request, obj=project, detail=f"matrix {kind}")
    return render(
        request,
        "qualitative/matrix.html",
        {
            "project": project,
            "form": form,
            "kind": kind,
            "matrix": matrix,
            "page": page,
            "rows": rows,
            "query": _query_string(request),
        },
    )


# ---------------------------------------------------------------------------------------------
# Text search


class TextSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=MAX_SEARCH_LENGTH,
        strip=False,
        required=False,
        error_messages={
            "max_length": gettext_lazy("Search for at most %(limit_value)d characters.")
        },
    )

    def clean_q(self) -> str:
        text = self.cleaned_data["q"]
        if not text.strip():
            raise forms.ValidationError(_("Enter the text to search for."))
        return text


@login_required
@require_GET
def text_search_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Every occurrence of a piece of text in the transcripts, with its context."""
    project = project_for(request, pk)
    form = TextSearchForm(request.GET if "q" in request.GET else None)
    hits: list[q.TextHit] = []
    if form.is_bound and form.is_valid():
        hits = q.text_search(project, form.cleaned_data["q"], limit=MAX_HITS + 1)
        download = request.GET.get("format", "")
        if download in ("csv", "xlsx"):
            record(request.user, Action.EXPORT, request=request, obj=project, detail="text search")
            header, body = _hit_table(project, hits[:MAX_HITS])
            return _table_download(project, download, "text-search", header, body)
        record(request.user, Action.SEARCH, request=request, obj=project, detail="text search")
    return render(
        request,
        "qualitative/text_search.html",
        {
            "project": project,
            "form": form,
            "searched": form.is_bound and form.is_valid(),
            "count": min(len(hits), MAX_HITS),
            "truncated": len(hits) > MAX_HITS,
            "max_hits": MAX_HITS,
            "page": _page(request, hits[:MAX_HITS]),
            "query": _query_string(request),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _hit_table(project: m.Project, hits: list[q.TextHit]) -> tuple[list[str], list[list]]:
    from .analysis import participant_attributes

    attributes = participant_attributes(project)
    names = sorted({k for hit in hits for k in attributes.get(hit.document_id, {})})
    header = ["document", *names, "before", "text", "after", "start", "end"]
    body = [
        [
            hit.document,
            *(attributes.get(hit.document_id, {}).get(n, "") for n in names),
            hit.before,
            hit.match,
            hit.after,
            hit.start,
            hit.end,
        ]
        for hit in hits
    ]
    return header, body


# ---------------------------------------------------------------------------------------------
# Code queries


class CodeQueryForm(forms.Form):
    a = forms.IntegerField(label=gettext_lazy("Code A"), required=False)
    operator = forms.ChoiceField(
        label=gettext_lazy("Operator"),
        required=False,
        choices=[
            ("", gettext_lazy("A only")),
            ("and", gettext_lazy("A AND B")),
            ("or", gettext_lazy("A OR B")),
            ("not", gettext_lazy("A NOT B")),
            ("near", gettext_lazy("A NEAR B (within a distance)")),
        ],
        error_messages={"invalid_choice": gettext_lazy("Choose AND, OR, NOT or NEAR.")},
    )
    b = forms.IntegerField(label=gettext_lazy("Code B"), required=False)
    scope = forms.ChoiceField(
        label=gettext_lazy("On the same"),
        required=False,
        choices=[
            ("segment", gettext_lazy("segment (the codings overlap)")),
            ("document", gettext_lazy("transcript")),
        ],
    )
    distance = forms.IntegerField(
        label=gettext_lazy("Distance (characters)"),
        required=False,
        error_messages={"invalid": gettext_lazy("Enter the distance as a whole number.")},
    )
    subcodes = forms.BooleanField(label=gettext_lazy("Include sub-codes"), required=False)
    document = forms.IntegerField(required=False)
    coder = forms.IntegerField(required=False)
    variable = forms.IntegerField(required=False)
    value = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, project: m.Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        unknown: dict[str, str] = {
            "a": str(UNKNOWN_CODE),
            "b": str(UNKNOWN_CODE),
            "document": _("This transcript is not in this project."),
            "coder": _("This coder is not in this project."),
            "variable": _("This attribute is not in this project."),
        }
        for name, message in unknown.items():
            self.fields[name].error_messages["invalid"] = message

    def _in_project(self, name: str, queryset, message: str):
        pk = self.cleaned_data.get(name)
        if pk is None:
            return None
        found = queryset.filter(pk=pk).first()
        if found is None:
            self.add_error(name, message)
        return found

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        project = self.project
        unknown_code = str(UNKNOWN_CODE)
        if data.get("a") is None:
            self.add_error("a", _("Choose code A."))
        data["code_a"] = self._in_project("a", project.codes, unknown_code)
        data["code_b"] = self._in_project("b", project.codes, unknown_code)
        operator = data.get("operator") or None
        if operator and data.get("b") is None:
            self.add_error("b", _("Choose code B for AND, OR, NOT and NEAR."))
        distance = data.get("distance")
        if operator == "near":
            if distance is None:
                self.add_error("distance", _("Enter the distance for NEAR."))
            elif distance < 0:
                self.add_error("distance", _("The distance cannot be negative."))
            elif distance > q.MAX_DISTANCE:
                self.add_error(
                    "distance",
                    _("The distance can be at most %(max)s characters.") % {"max": q.MAX_DISTANCE},
                )
        data["document_obj"] = self._in_project(
            "document",
            project.documents.only("pk", "name"),
            _("This transcript is not in this project."),
        )
        data["coder_obj"] = self._in_project(
            "coder", project.coders, _("This coder is not in this project.")
        )
        data["variable_obj"] = self._in_project(
            "variable", project.variables, _("This attribute is not in this project.")
        )
        return data

    def query(self) -> q.CodeQuery:
        data = self.cleaned_data
        operator = q.Operator(data["operator"]) if data.get("operator") else None
        return q.CodeQuery(
            a=data["a"],
            b=data.get("b"),
            operator=operator,
            scope=q.Scope(data.get("scope") or "segment"),
            distance=data.get("distance") or 0,
            with_subcodes=bool(data.get("subcodes")),
        )


@login_required
@require_GET
def code_query_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Segments coded A (AND / OR / NOT / NEAR B), a page at a time; CSV or XLSX."""
    project = project_for(request, pk)
    form = CodeQueryForm(request.GET or None, project=project)
    ids: list[int] = []
    answered = form.is_bound and form.is_valid()
    if answered:
        data = form.cleaned_data
        document = data["document_obj"]
        ids = q.code_query(
            project,
            form.query(),
            document_ids=[document.pk] if document else (),
            coder=data["coder_obj"],
            variable=data["variable_obj"],
            value=data.get("value") or "",
        )
        download = request.GET.get("format", "")
        if download in SEGMENT_WRITERS:
            writer = SEGMENT_WRITERS[download]
            record(request.user, Action.EXPORT, request=request, obj=project, detail="code query")
            rows = segment_rows(project, q.codings_by_ids(ids))
            return _download(project, writer(rows), download, "code-query")
        record(request.user, Action.SEARCH, request=request, obj=project, detail="code query")
    page = _page(request, ids)
    rows = segment_rows(project, q.codings_by_ids(list(page))) if ids else []
    status = 400 if form.is_bound and not answered else 200
    return render(
        request,
        "qualitative/code_query.html",
        {
            "project": project,
            "form": form,
            "answered": answered,
            "codes": sorted(code_paths(project).items(), key=lambda item: item[1].casefold()),
            "count": len(ids),
            "page": page,
            "rows": rows,
            "query": _query_string(request),
        },
        status=status,
    )
