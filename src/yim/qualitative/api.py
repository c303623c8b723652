"""Read-only REST endpoints for interview projects, guarded by :mod:`yim.policy` like the pages.

* ``GET /qualitative/projects`` — the projects the caller is a member of (paginated);
* ``GET /qualitative/projects/{id}`` — one project;
* ``GET /qualitative/projects/{id}/codebook`` — the code tree, paginated like every list
  (``{items, count}``): the items are the top-level codes, each with its sub-codes nested;
* ``GET /qualitative/projects/{id}/documents`` — transcripts' metadata (paginated); their full
  text only with ``?text=1`` (and then every transcript returned is audited as read);
* ``GET /qualitative/projects/{id}/segments`` — coded segments, ``?code=`` (a code includes
  its sub-codes, as on the page), ``?coder=``, ``?document=`` (paginated);
* ``GET /qualitative/projects/{id}/agreement`` — the agreement report, ``?document=&coder=``
  (repeatable) and ``?unit=turn|character|segment`` (without it: turns when the transcripts
  have them, else characters), computed by the same function as the agreement page
  (:func:`.analysis.agreement_in`).

Projects the caller is not a member of answer 404, exactly like projects that do not exist;
accounts that are not researchers get 403 (:mod:`yim.api.convention`). The pseudonym table is
never part of any answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from yim import policy
from yim.api.convention import Invalid, caller, field_error
from yim.api.pagination import PageIn
from yim.audit.log import record
from yim.audit.models import Action

from . import analysis
from . import models as m
from .views import code_tree

router = Router(tags=["qualitative"])


def _caller(request: HttpRequest) -> Any:
    """A staff account that is a researcher (403 otherwise)."""
    user = caller(request)
    if not policy.can_use_qualitative(user):
        raise HttpError(403, _("Interview projects are for researchers."))
    return user


# --- projects --------------------------------------------------------------------------------


class ProjectOut(Schema):
    id: int
    name: str
    description: str
    origin: str
    role: str
    n_documents: int
    n_codes: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ProjectPage(Schema):
    items: list[ProjectOut]
    count: int


def _project_out(project: m.Project) -> dict[str, Any]:
    return {
        "id": project.pk,
        "name": project.name,
        "description": project.description,
        "origin": project.origin,
        "role": project.member_role,  # type: ignore[attr-defined]
        "n_documents": project.n_documents,  # type: ignore[attr-defined]
        "n_codes": project.n_codes,  # type: ignore[attr-defined]
        "created_at": project.created_at,
        "updated_at": project.updated_at,
    }


def _projects(user: Any):
    from django.db.models import Count, F

    return (
        policy.qualitative_projects(user)
        .annotate(
            member_role=F("memberships__role"),
            n_documents=Count("documents", distinct=True),
            n_codes=Count("codes", distinct=True),
        )
        .order_by("name", "pk")
    )


@router.get(
    "/qualitative/projects", response=ProjectPage, summary="Interview projects of the caller"
)
def list_projects(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    user = _caller(request)
    projects = _projects(user)
    items = [_project_out(p) for p in projects[page.offset : page.offset + page.limit]]
    record(user, Action.LIST, request=request, detail="api interview projects")
    return {"items": items, "count": projects.count()}


def _project(user: Any, project_id: int) -> m.Project:
    """The project through the membership scope (404 outside it)."""
    return policy.get_project_or_404(user, project_id)


@router.get("/qualitative/projects/{project_id}", response=ProjectOut, summary="One project")
def get_project(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = _caller(request)
    _project(user, project_id)
    project = _projects(user).get(pk=project_id)
    record(user, Action.VIEW, request=request, obj=project, detail="api project")
    return _project_out(project)


# --- codebook --------------------------------------------------------------------------------


class CodeOut(Schema):
    id: int
    guid: str
    name: str
    description: str
    color: str
    is_codable: bool
    version: int
    n_codings: int
    children: list[CodeOut]


CodeOut.model_rebuild()


class CodebookPage(Schema):
    items: list[CodeOut] = Field(description="top-level codes, each with its sub-codes nested")
    count: int = Field(description="the number of top-level codes")


@router.get(
    "/qualitative/projects/{project_id}/codebook",
    response=CodebookPage,
    summary="The codebook as a tree (paginated by top-level code)",
)
def get_codebook(request: HttpRequest, project_id: int, page: Query[PageIn]) -> dict[str, Any]:
    user = _caller(request)
    project = _project(user, project_id)
    roots: list[dict[str, Any]] = []
    by_id: dict[int, dict[str, Any]] = {}
    for code, _depth in code_tree(project, counts=True):  # parents come before children
        node = {
            "id": code.pk,
            "guid": code.guid,
            "name": code.name,
            "description": code.description,
            "color": code.color,
            "is_codable": code.is_codable,
            "version": code.version,
            "n_codings": code.n_codings,  # type: ignore[attr-defined]
            "children": [],
        }
        by_id[code.pk] = node
        parent = by_id.get(code.parent_id) if code.parent_id is not None else None
        (parent["children"] if parent is not None else roots).append(node)
    record(user, Action.VIEW, request=request, obj=project, detail="api codebook")
    return {"items": roots[page.offset : page.offset + page.limit], "count": len(roots)}


# --- documents -------------------------------------------------------------------------------


class DocumentOut(Schema):
    id: int
    guid: str
    name: str
    description: str
    source_format: str
    created_at: dt.datetime | None
    length: int = Field(description="characters (Unicode code points) of the text")
    n_turns: int
    n_segments: int
    participants: list[str]
    text: str | None = Field(None, description="the full text, only with ?text=1")


class DocumentPage(Schema):
    items: list[DocumentOut]
    count: int


@router.get(
    "/qualitative/projects/{project_id}/documents",
    response=DocumentPage,
    summary="Transcripts (metadata; full text with ?text=1)",
)
def list_documents(
    request: HttpRequest, project_id: int, page: Query[PageIn], text: bool = False
) -> dict[str, Any]:
    from django.db.models import Count
    from django.db.models.functions import Length

    user = _caller(request)
    project = _project(user, project_id)
    documents = (
        project.documents.annotate(
            n_turns=Count("turns", distinct=True),
            n_segments=Count("segments", distinct=True),
            length=Length("text"),
        )
        .prefetch_related("participants")
        .order_by("name", "guid")
    )
    if not text:
        documents = documents.defer("text")
    chosen = list(documents[page.offset : page.offset + page.limit])
    items = [
        {
            "id": d.pk,
            "guid": d.guid,
            "name": d.name,
            "description": d.description,
            "source_format": d.source_format,
            "created_at": d.created_at,
            "length": d.length,
            "n_turns": d.n_turns,
            "n_segments": d.n_segments,
            "participants": [str(p) for p in d.participants.all()],  # type: ignore[attr-defined]
            "text": d.text if text else None,
        }
        for d in chosen
    ]
    record(user, Action.LIST, request=request, obj=project, detail="api documents")
    if text:  # reading a transcript is audited per transcript, as on the document page
        for document in chosen:
            record(user, Action.VIEW, request=request, obj=document, detail="api text")
    return {"items": items, "count": documents.count()}


# --- coded segments --------------------------------------------------------------------------


class SegmentOut(Schema):
    id: int = Field(description="the coding")
    segment_id: int | None
    document_id: int
    document: str
    code_id: int
    code: str = Field(description="the code's path in the codebook")
    coder_id: int | None
    coder: str
    start: int
    end: int
    text: str
    attributes: dict[str, str]


class SegmentPage(Schema):
    items: list[SegmentOut]
    count: int


@router.get(
    "/qualitative/projects/{project_id}/segments",
    response={200: SegmentPage, 422: Invalid},
    summary="Coded segments, by code (with sub-codes) and coder",
)
def list_segments(
    request: HttpRequest,
    project_id: int,
    page: Query[PageIn],
    code: int | None = None,
    coder: int | None = None,
    document: int | None = None,
) -> Any:
    user = _caller(request)
    project = _project(user, project_id)
    chosen_code = chosen_coder = None
    if code is not None:
        chosen_code = project.codes.filter(pk=code).first()
        if chosen_code is None:
            return field_error("code", _("This project has no code with this id."))
    if coder is not None:
        chosen_coder = project.coders.filter(pk=coder).first()
        if chosen_coder is None:
            return field_error("coder", _("This project has no coder with this id."))
    codings = analysis.codings_matching(project, code=chosen_code, coder=chosen_coder)
    if document is not None:
        codings = codings.filter(document_id=document)
    chosen = list(codings[page.offset : page.offset + page.limit])
    rows = analysis.segment_rows(project, chosen)
    items = [
        {
            "id": c.pk,
            "segment_id": c.segment_id,
            "document_id": c.document_id,
            "document": row.document,
            "code_id": c.code_id,
            "code": row.code_path,
            "coder_id": c.coder_id,
            "coder": row.coder,
            "start": row.start,
            "end": row.end,
            "text": row.text,
            "attributes": dict(row.participant),
        }
        for c, row in zip(chosen, rows, strict=True)
    ]
    record(user, Action.SEARCH, request=request, obj=project, detail="api segments")
    return Status(200, {"items": items, "count": codings.count()})


# --- agreement -------------------------------------------------------------------------------


class NamedOut(Schema):
    id: int
    name: str


class CodeAgreementOut(Schema):
    code: str
    n_units: int
    n_units_coded: int
    percent_agreement: float | None
    cohens_kappa: float | None
    krippendorff_alpha: float | None


class AgreementReportOut(Schema):
    per_code: list[CodeAgreementOut]
    overall_percent_agreement: float | None
    overall_cohens_kappa: float | None
    overall_krippendorff_alpha: float | None
    exact_set_agreement: float | None
    coefficients: list[str]


class AgreementOut(Schema):
    unit: str = Field(
        description="the unit the report counts: speaker turn, character or coded segment"
    )
    n_units: int = Field(description="how many units were compared (characters one by one)")
    documents: list[NamedOut]
    coders: list[NamedOut]
    report: AgreementReportOut | None = Field(
        description="null when fewer than two coders coded, or there are no units"
    )


#: The ``unit`` query parameter: the keys of :data:`.analysis.AGREEMENT_UNITS`.
AgreementUnit = Literal["turn", "character", "segment"]


@router.get(
    "/qualitative/projects/{project_id}/agreement",
    response=AgreementOut,
    summary="Inter-coder agreement (as on the agreement page)",
)
def get_agreement(
    request: HttpRequest,
    project_id: int,
    document: list[int] = Query([]),  # noqa: B008 (ninja's way to declare query params)
    coder: list[int] = Query([]),  # noqa: B008
    unit: AgreementUnit | None = Query(  # noqa: B008
        None,
        description="What is compared: speaker turns (`turn`), every character (`character`) "
        "or the coders' distinct coded segments (`segment`). Without it: speaker turns when "
        "a chosen transcript has them, else characters — as on the agreement page.",
    ),
) -> dict[str, Any]:
    user = _caller(request)
    project = _project(user, project_id)
    _all_documents, _all_coders, documents, coders = analysis.agreement_selection(
        project, document, coder
    )
    chosen, data = analysis.agreement_in(project, documents, coders, unit)
    report = data.report
    record(user, Action.VIEW, request=request, obj=project, detail="api agreement")
    return {
        "unit": analysis.AGREEMENT_UNITS[chosen],
        "n_units": data.n_units,
        "documents": [{"id": d.pk, "name": d.name} for d in documents],
        "coders": [{"id": c.pk, "name": str(c)} for c in coders],
        "report": None
        if report is None
        else {
            "per_code": [
                {
                    "code": c.code,
                    "n_units": c.n_units,
                    "n_units_coded": c.n_units_coded,
                    "percent_agreement": c.percent_agreement,
                    "cohens_kappa": c.cohens_kappa,
                    "krippendorff_alpha": c.krippendorff_alpha,
                }
                for c in report.per_code
            ],
            "overall_percent_agreement": report.overall_percent_agreement,
            "overall_cohens_kappa": report.overall_cohens_kappa,
            "overall_krippendorff_alpha": report.overall_krippendorff_alpha,
            "exact_set_agreement": report.exact_set_agreement,
            "coefficients": list(report.coefficients),
        },
    }
