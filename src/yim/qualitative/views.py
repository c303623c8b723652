"""Pages of the interview projects: projects, members, participants, transcripts and coding.

Every view finds its project through :func:`yim.policy.get_project_or_404` (membership, one
query), and every object inside it through the project, so anything outside the user's
projects answers 404. Reads and writes are audited (no youth is involved: ``youth`` stays
empty; interview data are pseudonymised research data).
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Prefetch
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yim import policy
from yim.accounts.models import User
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest

from . import forms as f
from . import models as m
from .display import Span, layout
from .offsets import OffsetError, OffsetIndex
from .pages import owner_project_for, page_of, project_for, project_page
from .pseudonyms import PseudonymError
from .pseudonyms_apply import incoming_table, pseudonymise_participant
from .transcripts import TranscriptError, load_transcript

MAX_JSON_BYTES = 10_000


def code_tree(project: m.Project, counts: bool = False) -> list[tuple[m.Code, int]]:
    """Every code with its depth, depth first, siblings by name (one query)."""
    from .convert import sorted_codes

    queryset = project.codes.all()
    if counts:
        queryset = queryset.annotate(n_codings=Count("codings"))
    by_parent: dict[int | None, list[m.Code]] = {}
    for code in queryset:
        by_parent.setdefault(code.parent_id, []).append(code)
    result: list[tuple[m.Code, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for code in sorted_codes(by_parent.get(parent, [])):
            result.append((code, depth))
            walk(code.pk, depth + 1)

    walk(None, 0)
    return result


# ---------------------------------------------------------------------------------------------
# Projects and members


@login_required
@require_GET
def project_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not policy.can_use_qualitative(request.user):
        raise Http404
    projects = policy.qualitative_projects(request.user).annotate(
        n_documents=Count("documents", distinct=True)
    )
    page = page_of(request, projects.order_by("name", "pk"))
    record(request.user, Action.LIST, request=request, detail=f"interview projects {page.number}")
    return render(
        request,
        "qualitative/project_list.html",
        {"page": page, "form": f.ProjectForm(), "import_form": f.ProjectImportForm()},
    )


@login_required
@require_POST
def project_create_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not policy.can_use_qualitative(request.user):
        raise Http404
    form = f.ProjectForm(request.POST)
    if not form.is_valid():
        projects = policy.qualitative_projects(request.user).order_by("name", "pk")
        return render(
            request,
            "qualitative/project_list.html",
            {
                "page": page_of(request, projects),
                "form": form,
                "import_form": f.ProjectImportForm(),
            },
            status=400,
        )
    with transaction.atomic():
        project = form.save(commit=False)
        project.data_manager = request.user  # the creator keeps the pseudonym table
        project.save()
        m.Membership.objects.create(project=project, user=request.user, role=m.MemberRole.OWNER)
        project.add_standard_variables()
        record(request.user, Action.CREATE, request=request, obj=project, detail="project")
    return redirect("qualitative:project", pk=project.pk)


@login_required
@require_GET
def project_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    context = _project_context(request, project, f.TranscriptForm(project=project))
    return project_page(request, project, "project", "project", context)


def _project_context(
    request: AuthenticatedHttpRequest, project: m.Project, upload_form: f.TranscriptForm
) -> dict:
    """The project page: its transcripts, a page at a time, and the import forms."""
    documents = project.documents.annotate(n_segments=Count("segments")).prefetch_related(
        "participants"
    )
    return {
        "page": page_of(request, documents.order_by("name", "guid")),
        "is_owner": policy.can_manage_qualitative_project(request.user, project),
        "is_data_manager": policy.can_manage_qualitative_pseudonyms(request.user, project),
        "upload_form": upload_form,
        "import_form": f.UploadForm(),
        "codebook_form": f.CodebookImportForm(),
        "n_codes": project.codes.count(),
        "n_participants": project.participants.count(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def members_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = owner_project_for(request, pk)
    memberships = project.memberships.select_related("user").order_by("user__username")

    def page(form: f.MemberForm, manager_form: f.DataManagerForm, status: int = 200):
        return render(
            request,
            "qualitative/members.html",
            {
                "project": project,
                "memberships": memberships,
                "form": form,
                "manager_form": manager_form,
            },
            status=status,
        )

    if request.method == "POST" and request.POST.get("kind") == "data_manager":
        manager_form = f.DataManagerForm(request.POST, project=project)
        if manager_form.is_valid():
            project.data_manager = manager_form.cleaned_data["data_manager"]
            project.save(update_fields=["data_manager", "updated_at"])
            chosen = project.data_manager.username if project.data_manager else "(owners)"
            record(
                request.user,
                Action.UPDATE,
                request=request,
                obj=project,
                detail=f"data manager: {chosen}",
            )
            messages.success(request, _("The data manager has been changed."))
            return redirect("qualitative:members", pk=project.pk)
        return page(f.MemberForm(), manager_form, status=400)
    form = f.MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        candidate = User.objects.filter(
            username=form.cleaned_data["username"], is_active=True
        ).first()
        if candidate is None or not policy.can_join_qualitative_project(request.user, candidate):
            form.add_error("username", _("No researcher of your organisation has this username."))
        else:
            m.Membership.objects.update_or_create(
                project=project, user=candidate, defaults={"role": form.cleaned_data["role"]}
            )
            record(request.user, Action.UPDATE, request=request, obj=project, detail="member added")
            messages.success(request, _("The member has been added."))
            return redirect("qualitative:members", pk=project.pk)
    return page(
        form, f.DataManagerForm(initial={"data_manager": project.data_manager_id}, project=project)
    )


@login_required
@require_POST
def member_remove_view(
    request: AuthenticatedHttpRequest, pk: int, membership_id: int
) -> HttpResponse:
    project = owner_project_for(request, pk)
    membership = get_object_or_404(project.memberships, pk=membership_id)
    if membership.user_id == request.user.pk:
        messages.error(request, _("You cannot remove yourself as owner."))
    else:
        with transaction.atomic():
            membership.delete()
            if project.data_manager_id == membership.user_id:
                # The role falls back to the owners; a former member keeps no access.
                project.data_manager = None
                project.save(update_fields=["data_manager", "updated_at"])
            record(
                request.user, Action.UPDATE, request=request, obj=project, detail="member removed"
            )
    return redirect("qualitative:members", pk=project.pk)


# ---------------------------------------------------------------------------------------------
# Participants, sets and attributes


@login_required
@require_http_methods(["GET", "POST"])
def participants_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    form = f.ParticipantForm(request.POST or None, project=project)
    set_form = f.SetForm()
    variable_form = f.VariableForm(project=project)
    if request.method == "POST":
        kind = request.POST.get("kind", "participant")
        if kind == "set":
            set_form = f.SetForm(request.POST)
            if set_form.is_valid():
                return _add_to_participants(request, project, set_form, "set")
            form = f.ParticipantForm(project=project)
        elif kind == "variable":
            variable_form = f.VariableForm(request.POST, project=project)
            if variable_form.is_valid():
                return _add_to_participants(request, project, variable_form, "attr")
            form = f.ParticipantForm(project=project)
        elif form.is_valid() and _save_participant(form, project):
            record(request.user, Action.CREATE, request=request, obj=form.instance)
            return redirect("qualitative:participants", pk=project.pk)
    participants = project.participants.select_related("code_set").prefetch_related(
        Prefetch("attributes", queryset=m.AttributeValue.objects.select_related("variable")),
        "documents",
    )
    page = page_of(request, participants.order_by("name", "guid"))
    return project_page(
        request,
        project,
        "participants",
        "participants",
        {
            "page": page,
            "form": form,
            "set_form": set_form,
            "variable_form": variable_form,
            "sets": project.sets.annotate(n=Count("participants")),
            "variables": project.variables.all(),
        },
        action=Action.LIST,
        status=400 if request.method == "POST" else 200,
    )


def _add_to_participants(
    request: AuthenticatedHttpRequest, project: m.Project, form: ModelForm, detail: str
) -> HttpResponse:
    """Save a valid set or attribute form as a row of the project; back to the participants."""
    row = form.save(commit=False)
    row.project = project
    row.save()
    record(request.user, Action.CREATE, request=request, obj=row, detail=detail)
    return redirect("qualitative:participants", pk=project.pk)


PSEUDONYM_TABLE_BROKEN = gettext_lazy(
    "The project's pseudonym table cannot be applied, so nothing was saved. Ask the "
    "project's data manager to check the table."
)


def _save_participant(form: f.ParticipantForm, project: m.Project) -> bool:
    """Save a new or changed participant with the pseudonym table applied to its name,
    description and text attributes, as to a transcript on its way in. False (and an error
    on the form) if the table cannot be applied."""
    try:
        table = incoming_table(project)
    except PseudonymError:
        # The core's message may quote real names: coders never see those.
        form.add_error(None, PSEUDONYM_TABLE_BROKEN)
        return False
    with transaction.atomic():
        participant = form.save(commit=False)
        participant.project = project
        pseudonymise_participant(participant, table)
        participant.save()
        form.save_m2m()
        form.save_attributes(table)
    return True


@login_required
@require_http_methods(["GET", "POST"])
def participant_edit_view(
    request: AuthenticatedHttpRequest, pk: int, participant_id: int
) -> HttpResponse:
    project = project_for(request, pk)
    participant = get_object_or_404(project.participants, pk=participant_id)
    form = f.ParticipantForm(request.POST or None, instance=participant, project=project)
    if request.method == "POST" and form.is_valid() and _save_participant(form, project):
        record(request.user, Action.UPDATE, request=request, obj=participant)
        return redirect("qualitative:participants", pk=project.pk)
    record(request.user, Action.VIEW, request=request, obj=participant)
    return render(
        request,
        "qualitative/participant_edit.html",
        {"project": project, "participant": participant, "form": form},
    )


# ---------------------------------------------------------------------------------------------
# Transcripts


@login_required
@require_POST
def transcript_upload_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    form = f.TranscriptForm(request.POST, request.FILES, project=project)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            transcript = load_transcript(
                upload.read(), upload.name, max_bytes=f.MAX_TRANSCRIPT_BYTES
            )
            text = transcript.text
            title = form.cleaned_data["name"] or upload.name
            table = incoming_table(project)
            if table is not None:
                text = table.apply(text).text
                title = table.apply_title(title)  # file names carry real names too
            OffsetIndex(text)
        except PseudonymError:
            # The core's message may quote real names: coders never see those.
            form.add_error(
                "file",
                _(
                    "The project's pseudonym table cannot be applied, so the transcript was "
                    "not imported. Ask the project's data manager to check the table."
                ),
            )
        except (TranscriptError, OffsetError) as exc:
            form.add_error("file", str(exc))
        else:
            with transaction.atomic():
                document = m.Document.objects.create(
                    project=project,
                    name=title[:200],
                    text=text,
                    source_format=transcript.source_format,
                    creator=project.coder_for(request.user),
                )
                document.rebuild_turns()
                if form.cleaned_data["participant"]:
                    form.cleaned_data["participant"].documents.add(document)
                record(request.user, Action.CREATE, request=request, obj=document)
            messages.success(
                request,
                _("The transcript has been imported with %(n)s speaker turns.")
                % {"n": document.turns.count()},
            )
            return redirect("qualitative:document", pk=project.pk, document_id=document.pk)
    return render(
        request,
        "qualitative/project.html",
        {"project": project, **_project_context(request, project, form)},
        status=400,
    )


def _document_spans(document: m.Document, segments: list[m.Segment]) -> list[Span]:
    spans = []
    for segment in segments:
        codings = list(segment.codings.all())
        color = next((c.code.color for c in codings if c.code.color), "")
        spans.append(Span(segment.pk, segment.start, segment.end, color, segment))
    return spans


@login_required
@require_GET
def document_view(request: AuthenticatedHttpRequest, pk: int, document_id: int) -> HttpResponse:
    project = project_for(request, pk)
    document = get_object_or_404(project.documents, pk=document_id)
    show_all = request.GET.get("coders") == "all"
    me = m.Coder.objects.filter(project=project, user=request.user).first()
    segments = document.segments.select_related("coder").prefetch_related(
        Prefetch("codings", queryset=m.Coding.objects.select_related("code", "coder"))
    )
    if not show_all:
        segments = segments.filter(coder=me) if me else segments.none()
    shown = list(segments)
    index = OffsetIndex(document.text)
    for segment in shown:
        # Display-only attributes for the template (the browser works in UTF-16 offsets).
        segment.utf16_start, segment.utf16_end = index.codepoint_range_to_utf16(  # type: ignore[attr-defined]
            segment.start, segment.end
        )
        segment.quote = document.text[segment.start : segment.end]  # type: ignore[attr-defined]
        segment.mine = me is not None and segment.coder_id == me.pk  # type: ignore[attr-defined]
    turns = document.turns.values_list("start", "end", "speaker", "role")
    blocks = layout(document.text, turns, _document_spans(document, shown), index)
    record(request.user, Action.VIEW, request=request, obj=document)
    return render(
        request,
        "qualitative/document.html",
        {
            "project": project,
            "document": document,
            "blocks": blocks,
            "codes": code_tree(project),
            "show_all": show_all,
            "memos": m.Memo.objects.filter(links__document=document).distinct(),
            "memo_form": f.MemoForm(initial={"target_kind": "document", "target_id": document.pk}),
            "coding_url": reverse("qualitative:code_selection", args=[project.pk, document.pk]),
            # Each segment's and coding's URL is prefix + id + suffix: reversing one URL per
            # coding would cost the page time in proportion to its codings.
            "uncode_url": _url_around_id("qualitative:uncode", project.pk),
            "adjust_url": _url_around_id("qualitative:adjust", project.pk),
        },
    )


def _url_around_id(name: str, project_pk: int) -> tuple[str, str]:
    """``(prefix, suffix)`` of the URL ``name`` of one project, around the object's id."""
    url = reverse(name, args=[project_pk, 0])
    prefix, _sep, suffix = url.rpartition("/0/")
    return prefix + "/", "/" + suffix


# ---------------------------------------------------------------------------------------------
# Coding (JSON endpoints used by coding.js; CSRF token in the X-CSRFToken header)


def _json_body(request: HttpRequest) -> dict:
    if request.content_type != "application/json":
        raise _BadRequest(_("Send the selection as JSON (Content-Type: application/json)."), 415)
    if len(request.body) > MAX_JSON_BYTES:
        raise _BadRequest(_("The request is too large."), 413)
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _BadRequest(_("The request is not valid JSON.")) from exc
    if not isinstance(body, dict):
        raise _BadRequest(_("The request is not valid JSON."))
    return body


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _selection(body: dict, document: m.Document) -> tuple[int, int]:
    """The browser's UTF-16 ``[start, end)`` as code points, validated against the text."""
    start, end = body.get("start"), body.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
        raise _BadRequest(_("Send the selection as whole numbers 'start' and 'end'."))
    try:
        cp_start, cp_end = OffsetIndex(document.text).utf16_range_to_codepoints(start, end)
    except OffsetError as exc:
        raise _BadRequest(_("The selection does not fit the text: %(e)s") % {"e": exc}) from exc
    if cp_start == cp_end:
        raise _BadRequest(_("Select some text first."))
    return cp_start, cp_end


def _json_error(exc: _BadRequest) -> JsonResponse:
    return JsonResponse({"error": str(exc)}, status=exc.status)


def _segment_json(segment: m.Segment) -> dict:
    return {
        "segment": segment.pk,
        "start": segment.start,
        "end": segment.end,
        "text": segment.text,
        "codes": sorted(c.code.name for c in segment.codings.select_related("code")),
    }


@login_required
@require_POST
def code_selection_view(
    request: AuthenticatedHttpRequest, pk: int, document_id: int
) -> HttpResponse:
    project = project_for(request, pk)
    document = get_object_or_404(project.documents, pk=document_id)
    try:
        body = _json_body(request)
        start, end = _selection(body, document)
        code_ids = body.get("codes")
        if not isinstance(code_ids, list) or not code_ids or len(code_ids) > 50:
            raise _BadRequest(_("Choose one or more codes."))
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in code_ids):
            raise _BadRequest(_("Choose one or more codes."))
        codes = list(project.codes.filter(pk__in=code_ids, is_codable=True))
        if len(codes) != len(set(code_ids)):
            raise _BadRequest(_("One of the codes does not exist or cannot be applied."))
    except _BadRequest as exc:
        return _json_error(exc)
    with transaction.atomic():
        coder = project.coder_for(request.user)
        segment, _created = m.Segment.objects.get_or_create(
            document=document, coder=coder, start=start, end=end
        )
        for code in codes:
            m.Coding.objects.get_or_create(
                document=document, segment=segment, code=code, coder=coder
            )
        record(request.user, Action.CREATE, request=request, obj=segment, detail="coding")
    return JsonResponse(_segment_json(segment), status=201)


def _own_segment(
    request: AuthenticatedHttpRequest, project: m.Project, segment_id: int
) -> m.Segment:
    segment = get_object_or_404(
        m.Segment.objects.select_related("document", "coder"),
        pk=segment_id,
        document__project=project,
    )
    if not policy.can_change_qualitative_coding(request.user, project, segment.coder):
        raise Http404
    return segment


@login_required
@require_POST
def segment_adjust_view(
    request: AuthenticatedHttpRequest, pk: int, segment_id: int
) -> HttpResponse:
    project = project_for(request, pk)
    segment = _own_segment(request, project, segment_id)
    try:
        start, end = _selection(_json_body(request), segment.document)
    except _BadRequest as exc:
        return _json_error(exc)
    segment.start, segment.end = start, end
    segment.save(update_fields=["start", "end"])
    record(request.user, Action.UPDATE, request=request, obj=segment, detail="segment adjusted")
    return JsonResponse(_segment_json(segment))


@login_required
@require_POST
def coding_remove_view(request: AuthenticatedHttpRequest, pk: int, coding_id: int) -> HttpResponse:
    project = project_for(request, pk)
    coding = get_object_or_404(
        m.Coding.objects.select_related("coder", "segment"),
        pk=coding_id,
        document__project=project,
    )
    if not policy.can_change_qualitative_coding(request.user, project, coding.coder):
        raise Http404
    document_id, segment = coding.document_id, coding.segment
    with transaction.atomic():
        coding.delete()
        if segment is not None and not segment.codings.exists():
            segment.delete()
        record(request.user, Action.DELETE, request=request, obj=project, detail="coding removed")
    messages.success(request, _("The coding has been removed."))
    return redirect("qualitative:document", pk=project.pk, document_id=document_id)
