"""REFI-QDA import/export (.qdpx, .qdc) and coded segments as CSV, XLSX and DOCX.

Imports are all-or-nothing: the file is read and checked completely, then written in one
transaction; an unsafe file (a :class:`~.refi.errors.RefiError`) is shown on the form and
nothing changes. What the importer had to leave out or change to fit is its import report,
shown on its own page right after the import (:func:`import_report_view`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest

from . import forms as f
from . import models as m
from .analysis import codings_matching, segment_rows
from .convert import import_refi_codebook, import_refi_project, project_to_refi
from .pages import page_of, project_for
from .refi.errors import (
    ArchiveTooLargeError,
    CompressionRatioError,
    EntryTooLargeError,
    RefiError,
)
from .refi.export import export_qdc, export_qdpx
from .refi.importer import (
    ImportReport,
    ImportResult,
    import_qdc,
    import_qdpx,
    project_metadata_not_kept,
)
from .refi.report import ImportIssue, translated
from .refi.safety import ArchiveLimits
from .segments_export import SegmentRow, segments_to_csv, segments_to_docx, segments_to_xlsx


def _filename(project: m.Project, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", project.name).strip("-")[:60] or "project"
    return f"{stem}.{extension}"


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def refi_limits() -> ArchiveLimits:
    """The archive limits of the settings (``YIM_REFI_MAX_SOURCE_MB``, ``…_PROJECT_MB``)."""
    return ArchiveLimits(
        max_entry_uncompressed=settings.REFI_MAX_SOURCE_BYTES,
        max_total_uncompressed=settings.REFI_MAX_PROJECT_BYTES,
    )


def _reason(exc: Exception) -> str:
    """Why a file was refused, translated for the refusals of the archive's size limits."""
    if isinstance(exc, CompressionRatioError):
        return _(
            "the file %(entry)s in the archive expands more than %(ratio)s times over its "
            "compressed size, as a zip bomb does; reading it was stopped"
        ) % {"entry": exc.entry, "ratio": f"{exc.limit:.0f}"}
    if isinstance(exc, EntryTooLargeError):
        return _(
            "the file %(entry)s in the archive unpacks to more than %(size)s, the limit for "
            "one file; reading it was stopped"
        ) % {"entry": exc.entry, "size": filesizeformat(exc.limit)}
    if isinstance(exc, ArchiveTooLargeError):
        return _(
            "the archive unpacks to more than %(size)s, the limit for one project; reading "
            "was stopped at the file %(entry)s"
        ) % {"entry": exc.entry, "size": filesizeformat(exc.limit)}
    return str(exc)


def _refi_error(request: HttpRequest, form, exc: Exception) -> None:
    form.add_error(
        "file",
        _("The file was not imported and nothing was changed: %(reason)s")
        % {"reason": _reason(exc)},
    )


@login_required
@require_GET
def export_qdpx_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    data = export_qdpx(project_to_refi(project))
    record(request.user, Action.EXPORT, request=request, obj=project, detail="qdpx")
    return _download(data, "application/zip", _filename(project, "qdpx"))


@login_required
@require_GET
def export_qdc_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    if not project.codes.exists():
        # The codebook schema requires at least one code: an empty .qdc would not validate.
        messages.error(request, _("The codebook is empty: a .qdc file needs at least one code."))
        return redirect("qualitative:codebook", pk=project.pk)
    data = export_qdc(project_to_refi(project))
    record(request.user, Action.EXPORT, request=request, obj=project, detail="qdc")
    return _download(data, "application/xml", _filename(project, "qdc"))


def _import_failed(request: HttpRequest, project: m.Project | None, form) -> HttpResponse:
    return render(
        request,
        "qualitative/import_failed.html",
        {"project": project, "form": form},
        status=400,
    )


@login_required
@require_POST
def import_new_project_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A .qdpx becomes a new project owned by the importing researcher."""
    if not policy.can_use_qualitative(request.user):
        raise Http404
    return _import_upload(request, f.ProjectImportForm(request.POST, request.FILES), None)


def _import_upload(
    request: AuthenticatedHttpRequest, form: f.UploadForm, into: m.Project | None
) -> HttpResponse:
    """Import the uploaded .qdpx into ``into``, or into a new project owned by the importing
    researcher when None: the import report, or the form again with the reason (nothing saved)."""
    if form.is_valid():
        try:
            result = import_qdpx(form.cleaned_data["file"].read(), limits=refi_limits())
            with transaction.atomic():
                if into is None:
                    project, action = (
                        _new_project(request, form, result.project.name),
                        Action.CREATE,
                    )
                else:
                    project, action = into, Action.UPDATE
                import_refi_project(result.project, project)
                record(request.user, action, request=request, obj=project, detail="qdpx")
        except (RefiError, IntegrityError) as exc:
            _refi_error(request, form, exc)
        else:
            return _imported(request, project, result, form.cleaned_data["file"].name)
    return _import_failed(request, into, form)


def _new_project(request: AuthenticatedHttpRequest, form: f.UploadForm, name: str) -> m.Project:
    project = m.Project.objects.create(
        name=(form.cleaned_data.get("name") or name)[:200], data_manager=request.user
    )
    m.Membership.objects.create(project=project, user=request.user, role=m.MemberRole.OWNER)
    return project


#: The most issues kept for the report page (the counts above it always cover all of them).
REPORT_ISSUES_SHOWN = 1000


def _imported(
    request: HttpRequest, project: m.Project, result: ImportResult, filename: str
) -> HttpResponse:
    """Success: straight to the project, or to the import report when it has anything."""
    report: ImportReport = result.report.adding(project_metadata_not_kept(result.project))
    messages.success(request, _("The file has been imported."))
    if not report.issues:
        return redirect("qualitative:project", pk=project.pk)
    request.session[f"qualitative_import_report_{project.pk}"] = {
        "file": filename[:200],
        "sources_in_file": report.sources_in_file,
        "sources_imported": report.sources_imported,
        "codings_in_file": report.codings_in_file,
        "codings_imported": report.codings_imported,
        "dropped_codings": report.dropped_codings,
        "total": len(report.issues),
        # Messages stay translatable: they are translated when the page is shown.
        "issues": [i.to_json() for i in report.issues[:REPORT_ISSUES_SHOWN]],
    }
    return redirect("qualitative:import_report", pk=project.pk)


def _issue_line(issue: ImportIssue) -> str:
    return _("%(place)s: %(problem)s; %(action)s") % {
        "place": translated(issue.place, _),
        "problem": translated(issue.problem, _),
        "action": translated(issue.action, _),
    }


@login_required
@require_GET
def import_report_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The report of the last .qdpx import into this project in this session."""
    project = project_for(request, pk)
    report = request.session.get(f"qualitative_import_report_{project.pk}")
    if report is None:
        return redirect("qualitative:project", pk=project.pk)
    kinds = {
        "dropped": _("not imported"),
        "adjusted": _("imported, changed to fit"),
        "not kept": _("imported without it"),
        "ignored": _("ignored"),
    }
    issues = [
        {
            "place": translated(issue["place"], _),
            "problem": translated(issue["problem"], _),
            "action": translated(issue["action"], _),
            "kind_label": kinds.get(issue["kind"], issue["kind"]),
            "codings": issue["codings"],
        }
        for issue in report["issues"]
    ]
    return render(
        request,
        "qualitative/import_report.html",
        {
            "project": project,
            "report": report,
            "issues": issues,
            "hidden": report["total"] - len(issues),
        },
    )


@login_required
@require_POST
def import_into_project_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    return _import_upload(request, f.UploadForm(request.POST, request.FILES), project)


@login_required
@require_POST
def import_codebook_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    form = f.CodebookImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = import_qdc(form.cleaned_data["file"].read())
            with transaction.atomic():
                added, skipped = import_refi_codebook(result.codebook, project)
                record(request.user, Action.UPDATE, request=request, obj=project, detail="qdc")
        except (RefiError, IntegrityError) as exc:
            _refi_error(request, form, exc)
        else:
            messages.success(request, _("%(n)s codes have been added.") % {"n": added})
            issues = result.report.issues
            for issue in issues[:20]:
                messages.warning(request, _issue_line(issue))
            if len(issues) > 20:
                messages.warning(request, _("… and %(n)s more warnings.") % {"n": len(issues) - 20})
            if skipped:
                messages.warning(
                    request,
                    _("%(n)s codes were already in the project and were left unchanged.")
                    % {"n": len(skipped)},
                )
            return redirect("qualitative:codebook", pk=project.pk)
    return _import_failed(request, project, form)


# ---------------------------------------------------------------------------------------------
# Retrieval of coded segments and their export

EXPORTS: dict[str, tuple[str, Callable[[list[SegmentRow]], bytes]]] = {
    "csv": ("text/csv; charset=utf-8", segments_to_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        segments_to_xlsx,
    ),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        segments_to_docx,
    ),
}


@login_required
@require_GET
def segments_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Coded segments by code × attribute; ``?format=csv|xlsx|docx`` downloads them."""
    project = project_for(request, pk)
    form = f.RetrievalForm(request.GET or None, project=project)
    filters = form.cleaned_data if form.is_valid() else {}
    codings = codings_matching(
        project,
        code=filters.get("code"),
        variable=filters.get("variable"),
        value=filters.get("value") or "",
        coder=filters.get("coder"),
    )
    kind = request.GET.get("format", "")
    if kind in EXPORTS:
        content_type, writer = EXPORTS[kind]
        record(request.user, Action.EXPORT, request=request, obj=project, detail=f"segments {kind}")
        return _download(
            writer(segment_rows(project, codings)), content_type, _filename(project, kind)
        )
    page = page_of(request, codings)
    rows = segment_rows(project, page.object_list)
    record(request.user, Action.SEARCH, request=request, obj=project, detail="segments")
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "qualitative/segments.html",
        {
            "project": project,
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
        },
    )
