"""Build a :class:`~.model.Project` from a REFI-QDA project tree that fits the schema.

:class:`ProjectReader` reads users, codes, variables, memos, sources, cases and sets, and
keeps what can be kept: selections whose offsets do not fit their text, codings of codes that
are not in the codebook, values of unknown variables, references to anything left out and
sources whose file cannot be read are dropped, each with its place in the import report (with
the codings it held). PDF, audio and video sources are read by :mod:`.media`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from .errors import ProjectIntegrityError
from .media import media_source, pdf_source
from .model import (
    GUID_PATTERN,
    Case,
    Code,
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
    guid_key,
)
from .report import (
    ADJUSTED,
    IGNORED,
    NOT_KEPT,
    IssueLog,
    codings_in,
    gettext_noop,
    label,
    local,
    names,
    where,
)
from .sources import PdfExtractor, SourceFiles, decode

__all__ = ["ProjectReader", "read_codes"]


# Small readers


def _children(node: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in node if local(c) == name]


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
    return tuple(c.get(attr) for c in _children(node, name) if c.get(attr))


def _date(value: str) -> date:
    # xsd:date may carry a time zone ("2024-05-01Z", "2024-05-01+02:00"); a date has none here.
    return date.fromisoformat(re.sub(r"(Z|[+-]\d\d:\d\d)$", "", value.strip()))


def _parse_datetime(value: str) -> datetime:
    # .NET tools (NVivo, MAXQDA) write seven fractional digits; Python reads at most six.
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", value.strip()))


def _typed(kind: str, raw: str, where: str, *, strict: bool = False) -> VariableScalar:
    """A variable value of REFI type ``kind`` from its XML text (or a stored value).

    ``strict`` (used on import) also refuses a Boolean that is not true/false/1/0.
    """
    raw_s = raw.strip()
    try:
        if kind == "Text":
            return raw
        if kind == "Boolean":
            if strict and raw_s not in ("true", "1", "false", "0"):
                raise ValueError(raw_s)
            return raw_s in ("true", "1")
        if kind == "Integer":
            return int(raw_s)
        if kind == "Float":
            return Decimal(raw_s)
        if kind == "Date":
            return _date(raw_s)
        return _parse_datetime(raw_s)
    except (ValueError, InvalidOperation) as exc:
        raise ProjectIntegrityError(f"{where}: {raw_s!r} is not a valid {kind} value") from exc


# ---------------------------------------------------------------------------------------------
# Reading the project


class ProjectReader:
    """Builds a :class:`~.model.Project` from a prepared project tree, reporting as it goes."""

    def __init__(self, files: SourceFiles, log: IssueLog, extract_pdf: PdfExtractor) -> None:
        self.files = files
        self.log = log
        self.extract_pdf = extract_pdf
        self.code_keys: set[str] = set()
        self.note_keys: set[str] = set()
        self.variables: dict[str, Variable] = {}
        self.source_keys: set[str] = set()
        self.selection_keys: set[str] = set()
        #: a REFI source that became other documents (a PDF's representation, an audio
        #: source's transcripts): references to it go to these.
        self.aliases: dict[str, tuple[str, ...]] = {}
        self.rich_text: list[str] = []
        self.modified: list[str] = []

    # -- small parts ------------------------------------------------------------------------

    def when(self, node: etree._Element, attribute: str) -> datetime | None:
        value = node.get(attribute)
        if value is None:
            return None
        try:
            return _parse_datetime(value)
        except ValueError:
            self.log.add(
                where(node),
                gettext_noop(
                    "%(attribute)s=%(value)s cannot be read", attribute=attribute, value=repr(value)
                ),
                gettext_noop("the time stamp was left out"),
                ADJUSTED,
            )
            return None

    def notes(self, node: etree._Element) -> tuple[str, ...]:
        refs = _refs(node, "NoteRef")
        kept = tuple(r for r in refs if guid_key(r) in self.note_keys)
        if len(kept) != len(refs):
            self.log.add(
                where(node),
                gettext_noop(
                    "%(count)s memo reference(s) point to no imported memo",
                    count=len(refs) - len(kept),
                ),
                gettext_noop("those references were removed"),
                ADJUSTED,
            )
        return kept

    def note_metadata(self, node: etree._Element) -> None:
        if node.get("modifyingUser") or node.get("modifiedDateTime"):
            self.modified.append(label(node))

    def coding(self, node: etree._Element) -> Coding | None:
        ref = _child(node, "CodeRef")
        target = ref.get("targetGUID") if ref is not None else None
        if not target or guid_key(target) not in self.code_keys:
            self.log.add(
                where(node),
                gettext_noop("it applies code %(code)s, which is not in the codebook", code=target),
                gettext_noop("the coding was dropped"),
                codings=1,
            )
            return None
        return Coding(
            guid=node.get("guid"),
            code_guid=target,
            creating_user=node.get("creatingUser"),
            creation_datetime=self.when(node, "creationDateTime"),
            note_refs=self.notes(node),
        )

    def codings(self, node: etree._Element) -> tuple[Coding, ...]:
        found = (self.coding(c) for c in _children(node, "Coding"))
        return tuple(c for c in found if c is not None)

    def values(self, node: etree._Element) -> tuple[VariableValue, ...]:
        values = []
        seen: set[str] = set()
        for vv in _children(node, "VariableValue"):
            ref = _child(vv, "VariableRef")
            target = ref.get("targetGUID") if ref is not None else None
            variable = self.variables.get(guid_key(target)) if target else None
            typed = [c for c in vv if local(c).endswith("Value") and local(c) != "VariableValue"]
            place = gettext_noop("a variable value of %(owner)s", owner=where(node))
            if variable is None or not typed:
                self.log.add(
                    place,
                    gettext_noop(
                        "it refers to variable %(guid)s, which does not exist", guid=target
                    ),
                    gettext_noop("it was dropped"),
                )
                continue
            if variable.guid in seen:
                self.log.add(
                    place,
                    gettext_noop("a second value for variable %(name)s", name=repr(variable.name)),
                    gettext_noop("only the first was kept"),
                )
                continue
            raw = typed[0].text or ""
            try:
                value = _typed(variable.type.value, raw, str(place), strict=True)
            except ProjectIntegrityError:
                self.log.add(
                    place,
                    gettext_noop(
                        "%(value)s is not a %(type)s value for variable %(name)s",
                        value=repr(raw),
                        type=variable.type.value,
                        name=repr(variable.name),
                    ),
                    gettext_noop("the value was dropped"),
                )
                continue
            seen.add(variable.guid)
            values.append(VariableValue(variable.guid, value))
        return tuple(values)

    def selection(self, node: etree._Element, text: str) -> PlainTextSelection | None:
        start, end = int(node.get("startPosition")), int(node.get("endPosition"))
        if start < 0 or end < start or end > len(text):
            self.log.drop(
                node,
                gettext_noop(
                    "its range [%(start)s, %(end)s) does not fit the text, which has "
                    "%(length)s characters",
                    start=start,
                    end=end,
                    length=len(text),
                ),
                gettext_noop("the selection was dropped"),
            )
            return None
        return self.placed_selection(node, start, end)

    def placed_selection(self, node: etree._Element, start: int, end: int) -> PlainTextSelection:
        """The selection ``node`` describes, at [start, end) of the text that is kept."""
        self.note_metadata(node)
        return PlainTextSelection(
            guid=node.get("guid"),
            start=start,
            end=end,
            name=node.get("name"),
            description=_text(node, "Description"),
            codings=self.codings(node),
            note_refs=self.notes(node),
            creating_user=node.get("creatingUser"),
            creation_datetime=self.when(node, "creationDateTime"),
        )

    # -- text ------------------------------------------------------------------------------

    def plain_text(self, node: etree._Element) -> str | None:
        """The text of a TextSource-like element, or None (the reason is in the report)."""
        content = _text(node, "PlainTextContent")
        path = node.get("plainTextPath")
        rich = node.get("richTextPath")
        if rich:
            self.rich_text.append(f"{label(node)} ({rich})")
            self.files.exists(rich)  # counts the entry as referenced
        if content is not None:
            return content
        if not path:
            self.log.drop(
                node,
                gettext_noop("it has no plain text (neither PlainTextContent nor plainTextPath)"),
            )
            return None
        data = self.files.read(path, node, self.log)
        return None if data is None else decode(data, node, path, self.log)

    def text_document(
        self,
        node: etree._Element,
        text: str,
        *,
        guid: str | None = None,
        name: str | None = None,
        selections: Iterable[PlainTextSelection] = (),
        codings: Iterable[Coding] = (),
        owner: etree._Element | None = None,
    ) -> TextSource:
        owner = node if owner is None else owner
        self.note_metadata(owner)
        own = (self.selection(s, text) for s in _children(node, "PlainTextSelection"))
        kept = tuple(s for s in own if s is not None) + tuple(selections)
        self.selection_keys.update(guid_key(s.guid) for s in kept)
        return TextSource(
            guid=guid or owner.get("guid"),
            name=name if name is not None else owner.get("name") or "",
            text=text,
            description=_text(owner, "Description"),
            selections=kept,
            codings=self.codings(node) + tuple(codings),
            note_refs=self.notes(owner),
            variable_values=self.values(owner),
            creating_user=owner.get("creatingUser"),
            creation_datetime=self.when(owner, "creationDateTime"),
        )

    def text_source(self, node: etree._Element) -> list[TextSource]:
        text = self.plain_text(node)
        return [] if text is None else [self.text_document(node, text)]

    def note(self, node: etree._Element) -> Note | None:
        text = self.plain_text(node)
        if text is None:
            return None
        inside = _children(node, "PlainTextSelection") + _children(node, "Coding")
        if inside:
            self.log.add(
                where(node),
                gettext_noop(
                    "%(count)s selection(s) or coding(s) inside the memo", count=len(inside)
                ),
                gettext_noop(
                    "yim does not code memos; they were dropped, the memo's text was kept"
                ),
                codings=sum(codings_in(e) for e in inside),
            )
        self.note_metadata(node)
        if _children(node, "NoteRef") or _children(node, "VariableValue"):
            self.log.add(
                where(node),
                gettext_noop("memo references or variable values on the memo"),
                gettext_noop("yim does not store these for memos; they are not kept"),
                NOT_KEPT,
            )
        return Note(
            guid=node.get("guid"),
            name=node.get("name"),
            text=text,
            description=_text(node, "Description"),
            creating_user=node.get("creatingUser"),
            creation_datetime=self.when(node, "creationDateTime"),
        )

    def refs(self, node: etree._Element, name: str, known: set[str]) -> tuple[str, ...]:
        out: list[str] = []
        missing = 0
        for ref in _refs(node, name):
            for target in self.aliases.get(guid_key(ref), (ref,)):
                if guid_key(target) in known:
                    out.append(target)
                else:
                    missing += 1
        if missing:
            self.log.add(
                where(node),
                gettext_noop(
                    "%(count)s reference(s) (%(element)s) point to nothing that was imported",
                    count=missing,
                    element=name,
                ),
                gettext_noop("those references were removed"),
                ADJUSTED,
            )
        return tuple(dict.fromkeys(out))

    # -- the whole project ------------------------------------------------------------------

    def project(self, root: etree._Element) -> Project:
        users = [
            User(u.get("guid"), u.get("name"), u.get("id")) for u in _items(root, "Users", "User")
        ]
        codebook = _child(root, "CodeBook")
        codes = read_codes(codebook) if codebook is not None else ()
        self.code_keys = {guid_key(c.guid) for c, _path in _walk(codes)}
        variables = self._variables(root)
        self.note_keys = {guid_key(n.get("guid")) for n in _items(root, "Notes", "Note")}
        notes = [n for n in (self.note(n) for n in _items(root, "Notes", "Note")) if n is not None]
        self.note_keys = {guid_key(n.guid) for n in notes}
        codes = _with_code_notes(
            codes, {guid_key(c.guid): self._code_notes(c) for c, _ in _walk(codes)}
        )
        sources = self._sources(root)
        cases = [
            Case(
                guid=c.get("guid"),
                name=c.get("name"),
                description=_text(c, "Description"),
                code_refs=self.refs(c, "CodeRef", self.code_keys),
                variable_values=self.values(c),
                source_refs=self.refs(c, "SourceRef", self.source_keys),
                selection_refs=self.refs(c, "SelectionRef", self.selection_keys),
            )
            for c in _items(root, "Cases", "Case")
        ]
        sets = [
            Set(
                guid=s.get("guid"),
                name=s.get("name"),
                description=_text(s, "Description"),
                member_codes=self.refs(s, "MemberCode", self.code_keys),
                member_sources=self.refs(s, "MemberSource", self.source_keys),
                member_notes=self.refs(s, "MemberNote", self.note_keys),
            )
            for s in _items(root, "Sets", "Set")
        ]
        self._report_not_kept(root)
        project = Project(
            name=root.get("name"),
            origin=root.get("origin") or "",
            users=tuple(users),
            codes=codes,
            variables=tuple(variables),
            cases=tuple(cases),
            sources=tuple(sources),
            notes=tuple(notes),
            sets=tuple(sets),
            description=_text(root, "Description"),
            note_refs=self.notes(root),
            creating_user=root.get("creatingUserGUID"),
            creation_datetime=self.when(root, "creationDateTime"),
            modifying_user=root.get("modifyingUserGUID"),
            modified_datetime=self.when(root, "modifiedDateTime"),
        )
        return self._add_missing_users(project)

    def _variables(self, root: etree._Element) -> list[Variable]:
        variables: list[Variable] = []
        for v in _items(root, "Variables", "Variable"):
            variable = Variable(
                v.get("guid"),
                v.get("name"),
                VariableType(v.get("typeOfVariable")),
                _text(v, "Description"),
            )
            if any(w.name == variable.name for w in variables):
                self.log.add(
                    where(v),
                    gettext_noop("a second variable named %(name)s", name=repr(variable.name)),
                    gettext_noop("it was left out; its values were dropped"),
                )
                continue
            variables.append(variable)
            self.variables[guid_key(variable.guid)] = variable
        return variables

    def _sources(self, root: etree._Element) -> list[TextSource]:
        sources: list[TextSource] = []
        holder = _child(root, "Sources")
        for node in [e for e in (holder if holder is not None else ()) if local(e)]:
            kind = local(node)
            if kind == "TextSource":
                sources.extend(self.text_source(node))
            elif kind == "PDFSource":
                sources.extend(pdf_source(self, node))
            elif kind in ("AudioSource", "VideoSource"):
                sources.extend(media_source(self, node))
            else:
                self.log.drop(node, gettext_noop("yim does not import pictures"))
        self.source_keys = {guid_key(s.guid) for s in sources}
        return sources

    def _report_not_kept(self, root: etree._Element) -> None:
        for name in ("Links", "Graphs"):
            container = _child(root, name)
            if container is not None and len(container):
                self.log.add(
                    where(container),
                    gettext_noop("%(count)s links or graphs in the file", count=len(container)),
                    gettext_noop("yim does not import them"),
                    IGNORED,
                )
        if self.rich_text:
            self.log.add(
                names(self.rich_text),
                gettext_noop("formatted originals (richTextPath) in the file"),
                gettext_noop("yim keeps the plain text only; the formatted files are not kept"),
                NOT_KEPT,
            )
        if self.modified:
            self.log.add(
                names(self.modified),
                gettext_noop("who last changed it and when (modifyingUser, modifiedDateTime)"),
                gettext_noop("yim does not store this; it is not kept"),
                NOT_KEPT,
            )

    def _code_notes(self, code: Code) -> tuple[str, ...]:
        kept = tuple(r for r in code.note_refs if guid_key(r) in self.note_keys)
        if len(kept) != len(code.note_refs):
            self.log.add(
                gettext_noop("code %(name)s", name=repr(code.name)),
                gettext_noop(
                    "%(count)s memo reference(s) point to no imported memo",
                    count=len(code.note_refs) - len(kept),
                ),
                gettext_noop("those references were removed"),
                ADJUSTED,
            )
        return kept

    def _add_missing_users(self, project: Project) -> Project:
        """Coders referenced but not listed under Users are kept as unnamed users."""
        known = {guid_key(u.guid) for u in project.users}
        refs: list[str | None] = [project.creating_user, project.modifying_user]
        refs += [n.creating_user for n in project.notes]
        for source in project.sources:
            refs += [source.creating_user] + [c.creating_user for c in source.codings]
            for selection in source.selections:
                refs += [selection.creating_user] + [c.creating_user for c in selection.codings]
        added = []
        for guid in refs:
            if guid and GUID_PATTERN.match(guid) and guid_key(guid) not in known:
                known.add(guid_key(guid))
                added.append(User(guid))
                self.log.add(
                    gettext_noop("user %(guid)s", guid=guid),
                    gettext_noop("it is referenced but not listed under Users"),
                    gettext_noop("it was added without a name"),
                    ADJUSTED,
                )
        return replace(project, users=project.users + tuple(added)) if added else project


def read_codes(codebook: etree._Element) -> tuple[Code, ...]:
    return tuple(_code(c) for c in _items(codebook, "Codes", "Code"))


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


def _walk(codes: tuple[Code, ...], path: tuple[str, ...] = ()) -> Iterable[tuple[Code, tuple]]:
    for code in codes:
        yield code, (*path, code.name)
        yield from _walk(code.children, (*path, code.name))


def _with_code_notes(codes: tuple[Code, ...], notes: dict[str, tuple[str, ...]]) -> tuple:
    return tuple(
        replace(c, note_refs=notes[guid_key(c.guid)], children=_with_code_notes(c.children, notes))
        for c in codes
    )
