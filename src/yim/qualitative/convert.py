"""Between the Django models and the REFI-QDA dataclasses, both directions.

* :func:`project_to_refi` reads a project in a fixed number of queries and returns a
  :class:`~.refi.model.Project`, ready for :func:`~.refi.export.export_qdpx`.
* :func:`import_refi_project` writes a REFI project into a (new or existing) project inside one
  transaction: it validates first, refuses GUIDs that already exist in the target, and rolls
  back completely on any error, so a broken file never half-changes a project.
* :func:`import_refi_codebook` adds a ``.qdc`` codebook's codes (codes whose GUID is already in
  the project are kept as they are and reported).

Orders are deterministic (by name, position and GUID), so export → import → export gives the
same project.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from . import models as m
from .offsets import OffsetIndex
from .refi import model as refi
from .refi.errors import ProjectIntegrityError
from .refi.export import format_value
from .refi.importer import _typed
from .refi.model import guid_key

__all__ = ["ConversionError", "import_refi_codebook", "import_refi_project", "project_to_refi"]


class ConversionError(ProjectIntegrityError):
    """The REFI content cannot be written into this project (e.g. a GUID already used)."""


def _create_code(into: m.Project, code: refi.Code, parent: m.Code | None) -> m.Code:
    """The project's row for a REFI code (names and colours cut to the columns' lengths)."""
    return m.Code.objects.create(
        project=into,
        guid=code.guid,
        parent=parent,
        name=code.name[:200],
        description=code.description or "",
        color=(code.color or "")[:7],
        is_codable=code.is_codable,
    )


def _create_set(into: m.Project, s: refi.Set) -> m.CodeSet:
    """The project's row for a REFI set, without its members."""
    return m.CodeSet.objects.create(
        project=into, guid=s.guid, name=s.name[:200], description=s.description or ""
    )


def _text_or_none(value: str) -> str | None:
    return value or None


# ---------------------------------------------------------------------------------------------
# Models → REFI


def project_to_refi(project: m.Project) -> refi.Project:
    """The whole project as a REFI :class:`~.refi.model.Project` (validated by the exporter)."""
    coders = {c.pk: c for c in project.coders.all()}
    coder_guid = {pk: c.guid for pk, c in coders.items()}

    links: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    project_notes: list[str] = []
    memos = list(project.memos.all())
    memo_guid = {memo.pk: memo.guid for memo in memos}
    for link in m.MemoLink.objects.filter(memo__project=project).order_by("pk"):
        guid = memo_guid[link.memo_id]
        for kind in ("document", "code", "segment", "coding"):
            target = getattr(link, f"{kind}_id")
            if target is not None:
                links[kind][target].append(guid)
                break
        else:
            project_notes.append(guid)

    codes = list(project.codes.all())
    children: dict[int | None, list[m.Code]] = defaultdict(list)
    for code in codes:
        children[code.parent_id].append(code)

    def build_code(code: m.Code) -> refi.Code:
        return refi.Code(
            guid=code.guid,
            name=code.name,
            is_codable=code.is_codable,
            color=_text_or_none(code.color),
            description=_text_or_none(code.description),
            note_refs=tuple(links["code"][code.pk]),
            children=tuple(build_code(c) for c in sorted_codes(children[code.pk])),
        )

    variables = list(project.variables.all())
    variable_by_pk = {v.pk: v for v in variables}
    values_by_participant: dict[int, list[refi.VariableValue]] = defaultdict(list)
    values_by_document: dict[int, list[refi.VariableValue]] = defaultdict(list)
    for value in m.AttributeValue.objects.filter(variable__project=project).order_by(
        "variable__name", "variable__guid"
    ):
        variable = variable_by_pk[value.variable_id]
        typed = refi.VariableValue(
            variable.guid, _typed(variable.type, value.value, f"variable {variable.name!r}")
        )
        if value.participant_id is not None:
            values_by_participant[value.participant_id].append(typed)
        elif value.document_id is not None:
            values_by_document[value.document_id].append(typed)

    def coding(c: m.Coding, code_guid: dict[int, str]) -> refi.Coding:
        return refi.Coding(
            guid=c.guid,
            code_guid=code_guid[c.code_id],
            creating_user=coder_guid.get(c.coder_id) if c.coder_id else None,
            creation_datetime=c.created_at,
            note_refs=tuple(links["coding"][c.pk]),
        )

    code_guid = {c.pk: c.guid for c in codes}
    codings_by_segment: dict[int, list[m.Coding]] = defaultdict(list)
    codings_by_document: dict[int, list[m.Coding]] = defaultdict(list)
    for c in m.Coding.objects.filter(document__project=project).order_by("guid"):
        if c.segment_id is None:
            codings_by_document[c.document_id].append(c)
        else:
            codings_by_segment[c.segment_id].append(c)
    segments_by_document: dict[int, list[m.Segment]] = defaultdict(list)
    segment_guid: dict[int, str] = {}
    for s in m.Segment.objects.filter(document__project=project).order_by("start", "end", "guid"):
        segments_by_document[s.document_id].append(s)
        segment_guid[s.pk] = s.guid

    documents = list(project.documents.all())
    document_guid = {d.pk: d.guid for d in documents}
    sources = tuple(
        refi.TextSource(
            guid=d.guid,
            name=d.name,
            text=d.text,
            description=_text_or_none(d.description),
            selections=tuple(
                refi.PlainTextSelection(
                    guid=s.guid,
                    start=s.start,
                    end=s.end,
                    name=_text_or_none(s.name),
                    description=_text_or_none(s.description),
                    codings=tuple(coding(c, code_guid) for c in codings_by_segment[s.pk]),
                    note_refs=tuple(links["segment"][s.pk]),
                    creating_user=coder_guid.get(s.coder_id) if s.coder_id else None,
                    creation_datetime=s.created_at,
                )
                for s in segments_by_document[d.pk]
            ),
            codings=tuple(coding(c, code_guid) for c in codings_by_document[d.pk]),
            note_refs=tuple(links["document"][d.pk]),
            variable_values=tuple(values_by_document[d.pk]),
            creating_user=coder_guid.get(d.creator_id) if d.creator_id else None,
            creation_datetime=d.created_at,
        )
        for d in documents
    )

    participants = list(
        project.participants.prefetch_related("documents", "codes", "segments").all()
    )
    cases = tuple(
        refi.Case(
            guid=p.guid,
            name=_text_or_none(p.name),
            description=_text_or_none(p.description),
            code_refs=tuple(sorted(code_guid[c.pk] for c in p.codes.all())),
            variable_values=tuple(values_by_participant[p.pk]),
            source_refs=tuple(sorted(document_guid[d.pk] for d in p.documents.all())),
            selection_refs=tuple(sorted(segment_guid[s.pk] for s in p.segments.all())),
        )
        for p in participants
    )

    set_documents: dict[int, set[str]] = defaultdict(set)
    for p in participants:
        if p.code_set_id is not None:
            set_documents[p.code_set_id].update(document_guid[d.pk] for d in p.documents.all())
    sets = tuple(
        refi.Set(
            guid=s.guid,
            name=s.name,
            description=_text_or_none(s.description),
            member_codes=tuple(sorted(c.guid for c in s.member_codes.all())),
            member_sources=tuple(
                sorted({d.guid for d in s.member_documents.all()} | set_documents[s.pk])
            ),
            member_notes=tuple(sorted(n.guid for n in s.member_memos.all())),
        )
        for s in project.sets.prefetch_related("member_codes", "member_documents", "member_memos")
    )

    return refi.Project(
        name=project.name,
        origin=project.origin or "yim",
        users=tuple(
            refi.User(c.guid, _text_or_none(c.name), _text_or_none(c.external_id))
            for c in sorted(coders.values(), key=lambda c: (c.name, c.guid))
        ),
        codes=tuple(build_code(c) for c in sorted_codes(children[None])),
        variables=tuple(
            refi.Variable(v.guid, v.name, refi.VariableType(v.type), _text_or_none(v.description))
            for v in variables
        ),
        cases=cases,
        sources=sources,
        notes=tuple(
            refi.Note(
                guid=n.guid,
                name=_text_or_none(n.name),
                text=n.text,
                description=_text_or_none(n.description),
                creating_user=coder_guid.get(n.coder_id) if n.coder_id else None,
                creation_datetime=n.created_at,
            )
            for n in memos
        ),
        sets=sets,
        description=_text_or_none(project.description),
        note_refs=tuple(project_notes),
    )


def sorted_codes(codes: Iterable[m.Code]) -> list[m.Code]:
    return sorted(codes, key=lambda c: (c.name.casefold(), c.name, c.guid))


# ---------------------------------------------------------------------------------------------
# REFI → models


def _existing_guids(project: m.Project) -> set[str]:
    guids: set[str] = set()
    for queryset in (
        project.coders.values_list("guid", flat=True),
        project.codes.values_list("guid", flat=True),
        project.variables.values_list("guid", flat=True),
        project.participants.values_list("guid", flat=True),
        project.documents.values_list("guid", flat=True),
        project.memos.values_list("guid", flat=True),
        project.sets.values_list("guid", flat=True),
        m.Segment.objects.filter(document__project=project).values_list("guid", flat=True),
        m.Coding.objects.filter(document__project=project).values_list("guid", flat=True),
    ):
        guids.update(guid_key(g) for g in queryset)
    return guids


def _refi_guids(source: refi.Project) -> set[str]:
    guids = {guid_key(u.guid) for u in source.users}
    guids |= {guid_key(c.guid) for c, _path in source.iter_codes()}
    guids |= {guid_key(v.guid) for v in source.variables}
    guids |= {guid_key(c.guid) for c in source.cases}
    guids |= {guid_key(n.guid) for n in source.notes}
    guids |= {guid_key(s.guid) for s in source.sets}
    for doc in source.sources:
        guids.add(guid_key(doc.guid))
        guids |= {guid_key(c.guid) for c in doc.codings}
        for sel in doc.selections:
            guids.add(guid_key(sel.guid))
            guids |= {guid_key(c.guid) for c in sel.codings}
    return guids


@transaction.atomic
def import_refi_project(source: refi.Project, into: m.Project) -> dict[str, int]:
    """Write ``source`` into ``into``; all or nothing. Returns counts of what was added.

    Variables whose name already exists in the project with the same type are reused; with a
    different type the import is refused. Every other GUID must be new to the project.
    """
    source.validate()
    existing_variables = {v.name: v for v in into.variables.all()}
    reused = {
        guid_key(v.guid)
        for v in source.variables
        if v.name in existing_variables
        and guid_key(existing_variables[v.name].guid) == guid_key(v.guid)
    }
    clash = (_refi_guids(source) - reused) & _existing_guids(into)
    if clash:
        raise ConversionError(
            f"the file contains {len(clash)} object(s) that are already in this project "
            f"(GUID {sorted(clash)[0]}); import it into a new project instead"
        )
    names = [v.name for v in source.variables]
    for name in names:
        if names.count(name) > 1:
            raise ConversionError(f"the file defines the variable {name!r} twice")
    for doc in source.sources:
        OffsetIndex(doc.text)  # refuses lone surrogates before anything is written

    coders = {}
    for user in source.users:
        coders[guid_key(user.guid)] = m.Coder.objects.create(
            project=into, guid=user.guid, name=(user.name or "")[:200], external_id=user.id or ""
        )

    def coder(guid: str | None) -> m.Coder | None:
        return coders[guid_key(guid)] if guid else None

    codes: dict[str, m.Code] = {}

    def add_code(code: refi.Code, parent: m.Code | None) -> None:
        codes[guid_key(code.guid)] = _create_code(into, code, parent)
        for child in code.children:
            add_code(child, codes[guid_key(code.guid)])

    for code in source.codes:
        add_code(code, None)

    variables: dict[str, m.Variable] = {}
    for variable in source.variables:
        current = existing_variables.get(variable.name)
        if current is not None:
            if current.type != variable.type.value:
                raise ConversionError(
                    f"variable {variable.name!r} is {variable.type.value} in the file but "
                    f"{current.type} in this project"
                )
            variables[guid_key(variable.guid)] = current
            continue
        variables[guid_key(variable.guid)] = m.Variable.objects.create(
            project=into,
            guid=variable.guid,
            name=variable.name[:200],
            type=variable.type.value,
            description=variable.description or "",
        )

    memos = {}
    for note in source.notes:
        memos[guid_key(note.guid)] = m.Memo.objects.create(
            project=into,
            guid=note.guid,
            name=(note.name or "")[:200],
            text=note.text,
            description=note.description or "",
            coder=coder(note.creating_user),
            created_at=note.creation_datetime,
        )
    memo_links: list[m.MemoLink] = [m.MemoLink(memo=memos[guid_key(g)]) for g in source.note_refs]
    for code, _path in source.iter_codes():
        memo_links += [
            m.MemoLink(memo=memos[guid_key(g)], code=codes[guid_key(code.guid)])
            for g in code.note_refs
        ]

    documents: dict[str, m.Document] = {}
    segments: dict[str, m.Segment] = {}
    attributes: list[m.AttributeValue] = []

    def add_coding(c: refi.Coding, document: m.Document, segment: m.Segment | None) -> None:
        row = m.Coding.objects.create(
            document=document,
            segment=segment,
            code=codes[guid_key(c.code_guid)],
            coder=coder(c.creating_user),
            guid=c.guid,
            created_at=c.creation_datetime,
        )
        memo_links.extend(m.MemoLink(memo=memos[guid_key(g)], coding=row) for g in c.note_refs)

    for doc in source.sources:
        document = m.Document.objects.create(
            project=into,
            guid=doc.guid,
            name=doc.name[:200] or doc.guid,
            description=doc.description or "",
            text=doc.text,
            source_format="qdpx",
            creator=coder(doc.creating_user),
            created_at=doc.creation_datetime,
        )
        documents[guid_key(doc.guid)] = document
        document.rebuild_turns()
        memo_links += [
            m.MemoLink(memo=memos[guid_key(g)], document=document) for g in doc.note_refs
        ]
        for value in doc.variable_values:
            attributes.append(
                m.AttributeValue(
                    variable=variables[guid_key(value.variable_guid)],
                    document=document,
                    value=format_value(value.value),
                )
            )
        for c in doc.codings:
            add_coding(c, document, None)
        for sel in doc.selections:
            segment = m.Segment.objects.create(
                document=document,
                guid=sel.guid,
                start=sel.start,
                end=sel.end,
                name=(sel.name or "")[:200],
                description=sel.description or "",
                coder=coder(sel.creating_user),
                created_at=sel.creation_datetime,
            )
            segments[guid_key(sel.guid)] = segment
            memo_links += [
                m.MemoLink(memo=memos[guid_key(g)], segment=segment) for g in sel.note_refs
            ]
            for c in sel.codings:
                add_coding(c, document, segment)

    sets = {}
    for s in source.sets:
        row = _create_set(into, s)
        row.member_codes.set(codes[guid_key(g)] for g in s.member_codes)
        row.member_documents.set(documents[guid_key(g)] for g in s.member_sources)
        row.member_memos.set(memos[guid_key(g)] for g in s.member_notes)
        sets[guid_key(s.guid)] = (row, {guid_key(g) for g in s.member_sources})

    for case in source.cases:
        participant = m.Participant.objects.create(
            project=into,
            guid=case.guid,
            name=(case.name or "")[:200],
            description=case.description or "",
            code_set=_set_of(case, sets),
        )
        participant.documents.set(documents[guid_key(g)] for g in case.source_refs)
        participant.codes.set(codes[guid_key(g)] for g in case.code_refs)
        participant.segments.set(segments[guid_key(g)] for g in case.selection_refs)
        for value in case.variable_values:
            attributes.append(
                m.AttributeValue(
                    variable=variables[guid_key(value.variable_guid)],
                    participant=participant,
                    value=format_value(value.value),
                )
            )
    m.AttributeValue.objects.bulk_create(attributes)
    m.MemoLink.objects.bulk_create(memo_links)
    if not into.description and source.description:
        into.description = source.description
        into.save(update_fields=["description"])
    return {
        "documents": len(documents),
        "codes": len(codes),
        "segments": len(segments),
        "participants": len(source.cases),
        "memos": len(memos),
    }


def _set_of(case: refi.Case, sets: dict[str, tuple[m.CodeSet, set[str]]]) -> m.CodeSet | None:
    """A participant belongs to a triad when all their transcripts are in exactly one set."""
    own = {guid_key(g) for g in case.source_refs}
    if not own:
        return None
    matches = [row for row, members in sets.values() if own <= members]
    return matches[0] if len(matches) == 1 else None


@transaction.atomic
def import_refi_codebook(codebook: refi.Codebook, into: m.Project) -> tuple[int, list[str]]:
    """Add the codebook's codes and code sets; existing GUIDs are left untouched.

    Returns the number of codes added and the names of the codes that were already there.
    """
    codebook.validate()
    existing = {guid_key(c.guid): c for c in into.codes.all()}
    added = 0
    skipped: list[str] = []

    def add(code: refi.Code, parent: m.Code | None) -> None:
        nonlocal added
        row = existing.get(guid_key(code.guid))
        if row is None:
            row = _create_code(into, code, parent)
            existing[guid_key(code.guid)] = row
            added += 1
        else:
            skipped.append(row.name)
        for child in code.children:
            add(child, row)

    for code in codebook.codes:
        add(code, None)
    existing_sets = {guid_key(s.guid) for s in into.sets.all()}
    for s in codebook.sets:
        if guid_key(s.guid) in existing_sets:
            continue
        row = _create_set(into, s)
        row.member_codes.set(existing[guid_key(g)] for g in s.member_codes)
    return added, skipped
