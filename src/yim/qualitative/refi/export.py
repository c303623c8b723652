"""Serialise a :class:`~.model.Project` to REFI-QDA: ``.qde`` XML, ``.qdpx`` ZIP, ``.qdc``.

Every export is validated against the schema shipped in this package before it is returned,
so a file that leaves yim always validates (REFI-QDA §6 compliance; Taguette once shipped an
empty ``<Sets/>`` that did not).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TypeVar

from lxml import etree

from .errors import ExportLimitError, ProjectIntegrityError, SchemaValidationError
from .model import (
    Case,
    Code,
    Codebook,
    Coding,
    Note,
    PlainTextSelection,
    Project,
    Set,
    TextSource,
    VariableValue,
    guid_key,
)
from .safety import REFI_MAX_FILE_BYTES

__all__ = [
    "CODEBOOK_NS",
    "PROJECT_NS",
    "codebook_schema",
    "export_qdc",
    "export_qde",
    "export_qdpx",
    "format_value",
    "project_schema",
    "validate_qdc",
    "validate_qde",
]

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"

_Item = TypeVar("_Item")


@cache
def _schema(filename: str) -> etree.XMLSchema:
    data = resources.files(__package__).joinpath(filename).read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.fromstring(data, parser=parser))


def project_schema() -> etree.XMLSchema:
    """The official REFI-QDA Project.xsd (release 18 March 2019)."""
    return _schema("Project.xsd")


def codebook_schema() -> etree.XMLSchema:
    """The Codebook.xsd rebuilt from the specification (see the comment in the file)."""
    return _schema("Codebook.xsd")


def _validate(root: etree._Element, schema: etree.XMLSchema, what: str) -> None:
    if not schema.validate(root):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5])
        raise SchemaValidationError(f"{what} does not validate against the schema: {errors}")


def validate_qde(data: bytes | etree._Element) -> None:
    """Raise :class:`SchemaValidationError` unless ``data`` validates against Project.xsd."""
    from .safety import parse_untrusted_xml

    root = parse_untrusted_xml(data, "project.qde") if isinstance(data, bytes) else data
    _validate(root, project_schema(), "project.qde")


def validate_qdc(data: bytes | etree._Element) -> None:
    from .safety import parse_untrusted_xml

    root = parse_untrusted_xml(data, "codebook.qdc") if isinstance(data, bytes) else data
    _validate(root, codebook_schema(), "codebook.qdc")


# ---------------------------------------------------------------------------------------------
# Building blocks


def format_value(value: object) -> str:
    """XSD lexical form of a scalar (booleans ``true``/``false``, decimals without exponent)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class _Writer:
    def __init__(self, ns: str) -> None:
        self.ns = ns

    def el(self, parent: etree._Element | None, tag: str, **attrs: object) -> etree._Element:
        name = f"{{{self.ns}}}{tag}"
        clean = {k: format_value(v) for k, v in attrs.items() if v is not None}
        if parent is None:
            return etree.Element(name, clean, nsmap={None: self.ns})
        return etree.SubElement(parent, name, clean)

    def text(self, parent: etree._Element, tag: str, value: str | None) -> None:
        if value is not None:
            self.el(parent, tag).text = value

    def refs(self, parent: etree._Element, tag: str, guids: tuple[str, ...]) -> None:
        for guid in guids:
            self.el(parent, tag, targetGUID=guid)

    def each(
        self, parent: etree._Element, container: str, items: Sequence[_Item]
    ) -> Iterator[tuple[etree._Element, _Item]]:
        """Each of ``items`` with the ``container`` element made under ``parent`` to hold them.

        The schema requires at least one child in every container, so for no items none is
        made.
        """
        if items:
            holder = self.el(parent, container)
            for item in items:
                yield holder, item


def _creation(item: Coding | PlainTextSelection | TextSource | Note) -> dict[str, object]:
    """Who made ``item`` and when: the schema gives these two attributes, after the others, to
    every coding, selection, source and note alike."""
    return {"creatingUser": item.creating_user, "creationDateTime": item.creation_datetime}


def _code(w: _Writer, parent: etree._Element, code: Code, with_notes: bool) -> None:
    node = w.el(
        parent, "Code", guid=code.guid, name=code.name, isCodable=code.is_codable, color=code.color
    )
    w.text(node, "Description", code.description)
    if with_notes:
        w.refs(node, "NoteRef", code.note_refs)
    for child in code.children:
        _code(w, node, child, with_notes)


def _values(
    w: _Writer, parent: etree._Element, values: tuple[VariableValue, ...], types: dict[str, str]
) -> None:
    for value in values:
        node = w.el(parent, "VariableValue")
        w.el(node, "VariableRef", targetGUID=value.variable_guid)
        kind = types[guid_key(value.variable_guid)]
        w.el(node, f"{kind}Value").text = format_value(value.value)


def _coding(w: _Writer, parent: etree._Element, coding: Coding) -> None:
    node = w.el(parent, "Coding", guid=coding.guid, **_creation(coding))
    w.el(node, "CodeRef", targetGUID=coding.code_guid)
    w.refs(node, "NoteRef", coding.note_refs)


def _selection(w: _Writer, parent: etree._Element, sel: PlainTextSelection) -> None:
    node = w.el(
        parent,
        "PlainTextSelection",
        guid=sel.guid,
        name=sel.name,
        startPosition=sel.start,
        endPosition=sel.end,
        **_creation(sel),
    )
    w.text(node, "Description", sel.description)
    for coding in sel.codings:
        _coding(w, node, coding)
    w.refs(node, "NoteRef", sel.note_refs)


def _source(
    w: _Writer, parent: etree._Element, source: TextSource, embed: bool, types: dict[str, str]
) -> None:
    node = w.el(
        parent,
        "TextSource",
        guid=source.guid,
        name=source.name,
        plainTextPath=None if embed else f"internal://{source.guid}.txt",
        **_creation(source),
    )
    w.text(node, "Description", source.description)
    if embed:
        w.el(node, "PlainTextContent").text = source.text
    for sel in source.selections:
        _selection(w, node, sel)
    for coding in source.codings:
        _coding(w, node, coding)
    w.refs(node, "NoteRef", source.note_refs)
    _values(w, node, source.variable_values, types)


def _note(w: _Writer, parent: etree._Element, note: Note) -> None:
    node = w.el(parent, "Note", guid=note.guid, name=note.name, **_creation(note))
    w.text(node, "Description", note.description)
    w.el(node, "PlainTextContent").text = note.text


def _case(w: _Writer, parent: etree._Element, case: Case, types: dict[str, str]) -> None:
    node = w.el(parent, "Case", guid=case.guid, name=case.name)
    w.text(node, "Description", case.description)
    w.refs(node, "CodeRef", case.code_refs)
    _values(w, node, case.variable_values, types)
    w.refs(node, "SourceRef", case.source_refs)
    w.refs(node, "SelectionRef", case.selection_refs)


def _set(w: _Writer, parent: etree._Element, s: Set) -> None:
    node = w.el(parent, "Set", guid=s.guid, name=s.name)
    w.text(node, "Description", s.description)
    w.refs(node, "MemberCode", s.member_codes)
    w.refs(node, "MemberSource", s.member_sources)
    w.refs(node, "MemberNote", s.member_notes)


def _project_tree(project: Project, embed: bool) -> etree._Element:
    project.validate()
    try:
        root = _build_project(project, embed)
    except ValueError as exc:  # lxml refuses strings that XML cannot carry
        raise ProjectIntegrityError(f"project {project.name!r} cannot be written: {exc}") from exc
    _validate(root, project_schema(), "exported project.qde")
    return root


def _build_project(project: Project, embed: bool) -> etree._Element:
    w = _Writer(PROJECT_NS)
    root = w.el(
        None,
        "Project",
        name=project.name,
        origin=project.origin,
        creatingUserGUID=project.creating_user,
        creationDateTime=project.creation_datetime,
        modifyingUserGUID=project.modifying_user,
        modifiedDateTime=project.modified_datetime,
    )
    types = {guid_key(v.guid): v.type.value for v in project.variables}
    for users, user in w.each(root, "Users", project.users):
        w.el(users, "User", guid=user.guid, name=user.name, id=user.id)
    if project.codes:  # the CodeBook element, too, is left out when there are no codes
        for codes, code in w.each(w.el(root, "CodeBook"), "Codes", project.codes):
            _code(w, codes, code, with_notes=True)
    for variables, variable in w.each(root, "Variables", project.variables):
        node = w.el(
            variables,
            "Variable",
            guid=variable.guid,
            name=variable.name,
            typeOfVariable=variable.type.value,
        )
        w.text(node, "Description", variable.description)
    for cases, case in w.each(root, "Cases", project.cases):
        _case(w, cases, case, types)
    for sources, source in w.each(root, "Sources", project.sources):
        _source(w, sources, source, embed, types)
    for notes, note in w.each(root, "Notes", project.notes):
        _note(w, notes, note)
    for sets, s in w.each(root, "Sets", project.sets):
        _set(w, sets, s)
    w.text(root, "Description", project.description)
    w.refs(root, "NoteRef", project.note_refs)
    return root


def _serialise(root: etree._Element) -> bytes:
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


# ---------------------------------------------------------------------------------------------
# Public entry points


def export_qde(project: Project) -> bytes:
    """A standalone ``project.qde`` with every text embedded as ``PlainTextContent``."""
    return _serialise(_project_tree(project, embed=True))


def export_qdpx(project: Project) -> bytes:
    """A ``.qdpx`` archive: ``project.qde`` plus ``sources/<guid>.txt`` (UTF-8, no BOM)."""
    root = _project_tree(project, embed=False)
    buffer = io.BytesIO()
    # Entries carry the project's modification time, not the clock's: the same project
    # exports to the same bytes (a zip entry otherwise records the second it was written).
    stamp = _zip_timestamp(project.modified_datetime)

    def entry(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(entry("project.qde"), _serialise(root))
        for source in project.sources:
            data = source.text.encode("utf-8")
            if len(data) > REFI_MAX_FILE_BYTES:
                raise ExportLimitError(
                    f"source {source.name!r} is {len(data)} bytes; REFI-QDA allows at most "
                    f"{REFI_MAX_FILE_BYTES} bytes per internal file"
                )
            archive.writestr(entry(f"sources/{source.guid}.txt"), data)
    return buffer.getvalue()


def _zip_timestamp(moment: datetime | None) -> tuple[int, int, int, int, int, int]:
    """A zip entry's date and time (UTC; zip cannot store years before 1980)."""
    if moment is None or moment.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def export_qdc(codebook: Codebook | Project) -> bytes:
    """A ``.qdc`` codebook. Given a project, its code tree and code-only sets are exported."""
    if isinstance(codebook, Project):
        codebook = codebook.codebook()
    codebook.validate()
    w = _Writer(CODEBOOK_NS)
    root = w.el(None, "CodeBook", origin=codebook.origin)
    codes = w.el(root, "Codes")
    for code in codebook.codes:
        _code(w, codes, code, with_notes=False)
    for sets, s in w.each(root, "Sets", codebook.sets):
        node = w.el(sets, "Set", guid=s.guid, name=s.name)
        w.text(node, "Description", s.description)
        for guid in s.member_codes:
            w.el(node, "MemberCode", guid=guid)
    _validate(root, codebook_schema(), "exported codebook.qdc")
    return _serialise(root)
