"""Read REFI-QDA ``.qdpx`` projects and ``.qdc`` codebooks from untrusted files.

Import is all-or-nothing: the archive is checked (names, entry count, sizes, compression
ratio), the XML is parsed safely (no DTD, no entities, no network) and validated against the
schema, every referenced source is read and decoded, and the resulting project is checked for
dangling references and out-of-range selections — and only then returned. Any failure raises a
specific :class:`~.errors.RefiError` and nothing is half-imported.

What yim does not model (PDF, picture, audio and video sources, links, graphs, selections
inside memos, external ``relative://``/``absolute://`` files) is dropped *with a warning* in
:attr:`ImportResult.warnings` (REFI-QDA §7 "data loss"), not silently and not fatally.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from .errors import (
    MissingSourceError,
    ProjectIntegrityError,
    SourceEncodingError,
    UnsafeArchiveError,
    UnsafePathError,
)
from .export import CODEBOOK_NS, PROJECT_NS, _validate, codebook_schema, project_schema
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
    User,
    Variable,
    VariableScalar,
    VariableType,
    VariableValue,
)
from .safety import (
    DEFAULT_LIMITS,
    SOURCE_FILE_NAME,
    ArchiveLimits,
    check_archive,
    parse_untrusted_xml,
    read_entry,
)

__all__ = ["CodebookImportResult", "ImportResult", "import_qdc", "import_qde", "import_qdpx"]


@dataclass(frozen=True)
class ImportResult:
    project: Project
    #: what was dropped or adjusted, one human-readable line each (REFI-QDA §7).
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CodebookImportResult:
    codebook: Codebook
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Small readers


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _children(node: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in node if _local(c) == name]


def _child(node: etree._Element, name: str) -> etree._Element | None:
    found = _children(node, name)
    return found[0] if found else None


def _items(node: etree._Element, container: str, name: str) -> list[etree._Element]:
    """The ``name`` children of ``node``'s ``container`` child (none if it is absent)."""
    holder = _child(node, container)
    return [] if holder is None else _children(holder, name)


def _text(node: etree._Element, name: str) -> str | None:
    child = _child(node, name)
    return None if child is None else (child.text or "")


def _refs(node: etree._Element, name: str, attr: str = "targetGUID") -> tuple[str, ...]:
    return tuple(c.get(attr) for c in _children(node, name))


def _datetime(value: str | None, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise ProjectIntegrityError(f"{where}: date-time {value!r} cannot be read") from exc


def _date(value: str, where: str) -> date:
    # xsd:date may carry a time zone ("2024-05-01Z", "2024-05-01+02:00"); a date has none here.
    try:
        return date.fromisoformat(re.sub(r"(Z|[+-]\d\d:\d\d)$", "", value.strip()))
    except ValueError as exc:
        raise ProjectIntegrityError(f"{where}: date {value!r} cannot be read") from exc


def _typed(kind: str, raw: str, where: str) -> VariableScalar:
    raw_s = raw.strip()
    if kind == "Text":
        return raw
    if kind == "Boolean":
        return raw_s in ("true", "1")
    if kind == "Integer":
        return int(raw_s)
    if kind == "Float":
        try:
            return Decimal(raw_s)
        except InvalidOperation as exc:
            raise ProjectIntegrityError(f"{where}: {raw_s!r} is not a decimal") from exc
    if kind == "Date":
        return _date(raw_s, where)
    value = _datetime(raw_s, where)
    assert value is not None
    return value


def _values(node: etree._Element, where: str) -> tuple[VariableValue, ...]:
    values = []
    for vv in _children(node, "VariableValue"):
        ref = _child(vv, "VariableRef")
        assert ref is not None  # required by the schema, which has been validated
        typed = [c for c in vv if _local(c).endswith("Value") and _local(c) != "VariableValue"]
        if not typed:
            raise ProjectIntegrityError(f"{where}: a VariableValue has no value element")
        kind = _local(typed[0])[: -len("Value")]
        values.append(
            VariableValue(ref.get("targetGUID"), _typed(kind, typed[0].text or "", where))
        )
    return tuple(values)


def _coding(node: etree._Element) -> Coding:
    ref = _child(node, "CodeRef")
    assert ref is not None
    return Coding(
        guid=node.get("guid"),
        code_guid=ref.get("targetGUID"),
        creating_user=node.get("creatingUser"),
        creation_datetime=_datetime(node.get("creationDateTime"), "coding"),
        note_refs=_refs(node, "NoteRef"),
    )


def _code(node: etree._Element) -> Code:
    return Code(
        guid=node.get("guid"),
        name=node.get("name"),
        is_codable=node.get("isCodable") in ("true", "1"),
        color=node.get("color"),
        description=_text(node, "Description"),
        note_refs=_refs(node, "NoteRef"),
        children=tuple(_code(c) for c in _children(node, "Code")),
    )


# ---------------------------------------------------------------------------------------------
# Sources


_INTERNAL = re.compile(r"^internal://(?P<name>[^/\\]+)$")

SourceReader = Callable[[str, str], str | None]


def _archive_reader(archive: zipfile.ZipFile, limits: ArchiveLimits) -> SourceReader:
    names = {info.filename for info in archive.infolist()}

    def read(path: str, where: str) -> str | None:
        if not path.startswith("internal://"):
            return None  # relative:// or absolute://: an external file, never read
        match = _INTERNAL.match(path)
        name = match.group("name") if match else path
        if not match or not SOURCE_FILE_NAME.match(name):
            raise UnsafePathError(
                f"{where}: internal file name {name!r} is not a GUID with an extension"
            )
        entry = f"sources/{name}"
        if entry not in names:
            raise MissingSourceError(f"{where}: {path} is referenced but not in the archive")
        return _decode(read_entry(archive, entry, limits.max_entry_uncompressed), where, path)

    return read


def _no_archive_reader(path: str, where: str) -> str | None:
    if path.startswith("internal://"):
        raise MissingSourceError(
            f"{where}: {path} is referenced, but a bare .qde has no sources folder; "
            "import the .qdpx archive instead"
        )
    return None


def _decode(data: bytes, where: str, path: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceEncodingError(
            f"{where}: {path} is not valid UTF-8 (byte {exc.start}); REFI-QDA requires UTF-8 "
            "plain text"
        ) from exc
    return text


class _Importer:
    def __init__(self, read_source: SourceReader) -> None:
        self.read_source = read_source
        self.warnings: list[str] = []
        self.dropped: set[str] = set()  # GUIDs (lower case) of objects we did not import

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def drop(self, node: etree._Element, reason: str) -> None:
        name = node.get("name") or node.get("guid")
        self.warn(f"{_local(node)} {name!r} was not imported: {reason}")
        for element in node.iter():
            guid = element.get("guid") if isinstance(element.tag, str) else None
            if guid:
                self.dropped.add(guid.strip("{}").lower())

    def plain_text(self, node: etree._Element, where: str) -> str | None:
        content = _text(node, "PlainTextContent")
        if content is not None:
            return content
        path = node.get("plainTextPath")
        if path:
            text = self.read_source(path, where)
            if text is None:
                self.drop(node, f"its text is an external file ({path.split('://')[0]}://)")
                return None
            if text.startswith("\ufeff"):
                self.warn(f"{where}: a UTF-8 byte-order mark was removed from {path}")
                text = text[1:]
            return text
        self.drop(node, "it has no plain-text representation (rich text only)")
        return None

    def source(self, node: etree._Element) -> TextSource | None:
        where = f"source {node.get('name') or node.get('guid')!r}"
        text = self.plain_text(node, where)
        if text is None:
            return None
        selections = tuple(
            PlainTextSelection(
                guid=s.get("guid"),
                start=int(s.get("startPosition")),
                end=int(s.get("endPosition")),
                name=s.get("name"),
                description=_text(s, "Description"),
                codings=tuple(_coding(c) for c in _children(s, "Coding")),
                note_refs=_refs(s, "NoteRef"),
                creating_user=s.get("creatingUser"),
                creation_datetime=_datetime(s.get("creationDateTime"), where),
            )
            for s in _children(node, "PlainTextSelection")
        )
        return TextSource(
            guid=node.get("guid"),
            name=node.get("name") or "",
            text=text,
            description=_text(node, "Description"),
            selections=selections,
            codings=tuple(_coding(c) for c in _children(node, "Coding")),
            note_refs=_refs(node, "NoteRef"),
            variable_values=_values(node, where),
            creating_user=node.get("creatingUser"),
            creation_datetime=_datetime(node.get("creationDateTime"), where),
        )

    def note(self, node: etree._Element) -> Note | None:
        where = f"note {node.get('name') or node.get('guid')!r}"
        text = self.plain_text(node, where)
        if text is None:
            return None
        dropped = len(_children(node, "PlainTextSelection")) + len(_children(node, "Coding"))
        if dropped:
            self.warn(f"{where}: {dropped} selections or codings inside the memo were dropped")
            for element in node.iter():
                if _local(element) in ("PlainTextSelection", "Coding"):
                    self.dropped.add(element.get("guid", "").strip("{}").lower())
        return Note(
            guid=node.get("guid"),
            name=node.get("name"),
            text=text,
            description=_text(node, "Description"),
            creating_user=node.get("creatingUser"),
            creation_datetime=_datetime(node.get("creationDateTime"), where),
        )

    def keep(self, refs: tuple[str, ...], where: str, kind: str) -> tuple[str, ...]:
        kept = tuple(r for r in refs if r.strip("{}").lower() not in self.dropped)
        if len(kept) != len(refs):
            self.warn(
                f"{where}: {len(refs) - len(kept)} {kind} reference(s) to dropped objects removed"
            )
        return kept

    def project(self, root: etree._Element) -> Project:
        users = [
            User(u.get("guid"), u.get("name"), u.get("id")) for u in _items(root, "Users", "User")
        ]
        codebook = _child(root, "CodeBook")
        codes = (
            tuple(_code(c) for c in _items(codebook, "Codes", "Code"))
            if codebook is not None
            else ()
        )
        variables = tuple(
            Variable(
                v.get("guid"),
                v.get("name"),
                VariableType(v.get("typeOfVariable")),
                _text(v, "Description"),
            )
            for v in _items(root, "Variables", "Variable")
        )
        sources = []
        sources_node = _child(root, "Sources")
        for node in sources_node if sources_node is not None else ():
            kind = _local(node)
            if kind == "TextSource":
                source = self.source(node)
                if source is not None:
                    sources.append(source)
            elif kind:
                self.drop(node, f"{kind} sources are not supported (text sources only)")
        notes = []
        for node in _items(root, "Notes", "Note"):
            note = self.note(node)
            if note is not None:
                notes.append(note)
        for name in ("Links", "Graphs"):
            container = _child(root, name)
            if container is not None:
                self.warn(f"{len(container)} {name.lower()} were not imported (not supported)")
        sources = [
            replace(s, note_refs=self.keep(s.note_refs, f"source {s.name!r}", "note"))
            for s in sources
        ]
        cases = []
        for c in _items(root, "Cases", "Case"):
            where = f"case {c.get('name')!r}"
            cases.append(
                Case(
                    guid=c.get("guid"),
                    name=c.get("name"),
                    description=_text(c, "Description"),
                    code_refs=_refs(c, "CodeRef"),
                    variable_values=_values(c, where),
                    source_refs=self.keep(_refs(c, "SourceRef"), where, "source"),
                    selection_refs=self.keep(_refs(c, "SelectionRef"), where, "selection"),
                )
            )
        sets = []
        for s in _items(root, "Sets", "Set"):
            where = f"set {s.get('name')!r}"
            sets.append(
                Set(
                    guid=s.get("guid"),
                    name=s.get("name"),
                    description=_text(s, "Description"),
                    member_codes=_refs(s, "MemberCode"),
                    member_sources=self.keep(_refs(s, "MemberSource"), where, "source"),
                    member_notes=self.keep(_refs(s, "MemberNote"), where, "note"),
                )
            )
        users = self._add_missing_users(users, root)
        project = Project(
            name=root.get("name"),
            origin=root.get("origin") or "",
            users=tuple(users),
            codes=codes,
            variables=variables,
            cases=tuple(cases),
            sources=tuple(sources),
            notes=tuple(notes),
            sets=tuple(sets),
            description=_text(root, "Description"),
            note_refs=_refs(root, "NoteRef"),
            creating_user=root.get("creatingUserGUID"),
            creation_datetime=_datetime(root.get("creationDateTime"), "project"),
            modifying_user=root.get("modifyingUserGUID"),
            modified_datetime=_datetime(root.get("modifiedDateTime"), "project"),
        )
        project.validate()
        return project

    def _add_missing_users(self, users: list[User], root: etree._Element) -> list[User]:
        """Coders referenced but not listed under Users are kept as unnamed users."""
        known = {u.guid.strip("{}").lower() for u in users}
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            for attr in ("creatingUser", "modifyingUser", "creatingUserGUID", "modifyingUserGUID"):
                guid = element.get(attr)
                if guid and guid.strip("{}").lower() not in known:
                    known.add(guid.strip("{}").lower())
                    users.append(User(guid))
                    self.warn(f"user {guid} is referenced but not listed; added without a name")
        return users


# ---------------------------------------------------------------------------------------------
# Entry points


def _open_archive(data: bytes, limits: ArchiveLimits) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UnsafeArchiveError(f"the file is not a readable .qdpx (ZIP) archive: {exc}") from exc
    check_archive(archive, limits)
    return archive


def import_qdpx(data: bytes, *, limits: ArchiveLimits = DEFAULT_LIMITS) -> ImportResult:
    """Import a ``.qdpx`` archive (bytes). Raises a :class:`~.errors.RefiError` on any problem."""
    with _open_archive(data, limits) as archive:
        qde = [i.filename for i in archive.infolist() if i.filename.lower() == "project.qde"]
        if len(qde) != 1:
            raise MissingSourceError(
                f"the archive must contain exactly one project.qde at its root (found {len(qde)})"
            )
        xml = read_entry(archive, qde[0], limits.max_xml_bytes)
        try:
            return _import_project_xml(xml, _archive_reader(archive, limits))
        except zipfile.BadZipFile as exc:  # CRC errors surface while reading entries
            raise UnsafeArchiveError(f"the archive is damaged: {exc}") from exc


def import_qde(data: bytes) -> ImportResult:
    """Import a bare ``project.qde`` whose texts are embedded as ``PlainTextContent``."""
    if len(data) > DEFAULT_LIMITS.max_xml_bytes:
        raise UnsafeArchiveError(f"project.qde is larger than {DEFAULT_LIMITS.max_xml_bytes} bytes")
    return _import_project_xml(data, _no_archive_reader)


def _import_project_xml(xml: bytes, reader: SourceReader) -> ImportResult:
    root = parse_untrusted_xml(xml, "project.qde")
    if etree.QName(root).namespace != PROJECT_NS or _local(root) != "Project":
        raise ProjectIntegrityError(
            f"project.qde: root element is {root.tag!r}, expected Project in {PROJECT_NS}"
        )
    _validate(root, project_schema(), "project.qde")
    importer = _Importer(reader)
    project = importer.project(root)
    return ImportResult(project, tuple(importer.warnings))


def import_qdc(data: bytes) -> CodebookImportResult:
    """Import a ``.qdc`` codebook (bytes)."""
    if len(data) > DEFAULT_LIMITS.max_xml_bytes:
        raise UnsafeArchiveError(
            f"the codebook is larger than {DEFAULT_LIMITS.max_xml_bytes} bytes"
        )
    root = parse_untrusted_xml(data, "codebook.qdc")
    if etree.QName(root).namespace != CODEBOOK_NS or _local(root) != "CodeBook":
        raise ProjectIntegrityError(
            f"codebook.qdc: root element is {root.tag!r}, expected CodeBook in {CODEBOOK_NS}"
        )
    _validate(root, codebook_schema(), "codebook.qdc")
    codes = tuple(_code(c) for c in _items(root, "Codes", "Code"))
    sets = tuple(
        Set(
            guid=s.get("guid"),
            name=s.get("name"),
            description=_text(s, "Description"),
            member_codes=_refs(s, "MemberCode", attr="guid"),
        )
        for s in _items(root, "Sets", "Set")
    )
    codebook = Codebook(codes, sets, root.get("origin") or "")
    codebook.validate()
    return CodebookImportResult(codebook)
