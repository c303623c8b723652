"""Plain, immutable mirror of the REFI-QDA data model (Project.xsd, March 2019).

These dataclasses are the exchange format *and* the shape the Django models follow, so an
export is a serialisation step, not a translation. Text positions are 0-based Unicode code
points with an exclusive end (``[start, end)``); see :mod:`yim.qualitative.offsets`.

References between objects are GUID strings (``NoteRef``, ``CodeRef``, ``SourceRef`` … are
``tuple[str, ...]`` fields named ``note_refs``, ``code_refs`` and so on). A GUID is
``8-4-4-4-12`` hex digits, optionally in braces; :func:`new_guid` makes one.
:meth:`Project.validate` checks that every reference resolves and every selection fits its
text; the exporter and importer both call it.
"""

from __future__ import annotations

import builtins
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from .errors import DanglingReferenceError, ProjectIntegrityError, SelectionOutOfRangeError

__all__ = [
    "GUID_PATTERN",
    "Case",
    "Code",
    "Codebook",
    "Coding",
    "Note",
    "PlainTextSelection",
    "Project",
    "Set",
    "TextSource",
    "User",
    "Variable",
    "VariableType",
    "VariableValue",
    "guid_key",
    "new_guid",
]

GUID_PATTERN = re.compile(
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\})$"
)
COLOR_PATTERN = re.compile(r"^#(?:[A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$")


def new_guid() -> str:
    return str(uuid.uuid4())


class VariableType(StrEnum):
    TEXT = "Text"
    BOOLEAN = "Boolean"
    INTEGER = "Integer"
    FLOAT = "Float"
    DATE = "Date"
    DATETIME = "DateTime"


VariableScalar = str | bool | int | Decimal | date | datetime


@dataclass(frozen=True)
class User:
    guid: str
    name: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class Code:
    """A code; ``children`` make the hierarchy. Theme headers have ``is_codable=False``."""

    guid: str
    name: str
    is_codable: bool = True
    color: str | None = None
    description: str | None = None
    note_refs: tuple[str, ...] = ()
    children: tuple[Code, ...] = ()


@dataclass(frozen=True)
class Variable:
    guid: str
    name: str
    type: VariableType
    description: str | None = None


@dataclass(frozen=True)
class VariableValue:
    """A typed value: ``str``, ``bool``, ``int``, ``Decimal`` (floats are converted through
    their shortest repr), ``date`` or ``datetime``, matching the variable's type."""

    variable_guid: str
    value: VariableScalar

    def __post_init__(self) -> None:
        if isinstance(self.value, float):
            object.__setattr__(self, "value", Decimal(repr(self.value)))


@dataclass(frozen=True)
class Coding:
    """Application of one code; ``creating_user`` is the coder's User GUID."""

    guid: str
    code_guid: str
    creating_user: str | None = None
    creation_datetime: datetime | None = None
    note_refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlainTextSelection:
    """``[start, end)`` in code points of the source's plain text."""

    guid: str
    start: int
    end: int
    name: str | None = None
    description: str | None = None
    codings: tuple[Coding, ...] = ()
    note_refs: tuple[str, ...] = ()
    creating_user: str | None = None
    creation_datetime: datetime | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise SelectionOutOfRangeError(
                f"selection {self.guid}: range [{self.start}, {self.end}) is invalid "
                "(negative start or start after end)"
            )


@dataclass(frozen=True)
class TextSource:
    """A plain-text document (transcript). ``codings`` apply to the whole source."""

    guid: str
    name: str
    text: str
    description: str | None = None
    selections: tuple[PlainTextSelection, ...] = ()
    codings: tuple[Coding, ...] = ()
    note_refs: tuple[str, ...] = ()
    variable_values: tuple[VariableValue, ...] = ()
    creating_user: str | None = None
    creation_datetime: datetime | None = None


@dataclass(frozen=True)
class Note:
    """A memo (REFI ``Note``: a plain-text source held under ``Notes``)."""

    guid: str
    name: str | None = None
    text: str = ""
    description: str | None = None
    creating_user: str | None = None
    creation_datetime: datetime | None = None


@dataclass(frozen=True)
class Case:
    """A participant (or triad): typed variable values and links to sources."""

    guid: str
    name: str | None = None
    description: str | None = None
    code_refs: tuple[str, ...] = ()
    variable_values: tuple[VariableValue, ...] = ()
    source_refs: tuple[str, ...] = ()
    selection_refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Set:
    """A named group of codes, sources and notes (e.g. the three transcripts of a triad)."""

    guid: str
    name: str
    description: str | None = None
    member_codes: tuple[str, ...] = ()
    member_sources: tuple[str, ...] = ()
    member_notes: tuple[str, ...] = ()


def _without_notes(code: Code) -> Code:
    return Code(
        code.guid,
        code.name,
        code.is_codable,
        code.color,
        code.description,
        (),
        tuple(_without_notes(c) for c in code.children),
    )


def _walk(codes: tuple[Code, ...], path: tuple[str, ...]) -> Iterator[tuple[Code, tuple[str, ...]]]:
    for code in codes:
        here = (*path, code.name)
        yield code, here
        yield from _walk(code.children, here)


@dataclass(frozen=True)
class Codebook:
    """The content of a ``.qdc`` file: a code tree and code sets."""

    codes: tuple[Code, ...]
    sets: tuple[Set, ...] = ()
    origin: str = "yim"

    def iter_codes(self) -> Iterator[tuple[Code, tuple[str, ...]]]:
        """Every code with its path of names from the root, depth first."""
        return _walk(self.codes, ())

    def validate(self) -> None:
        guids: dict[str, str] = {}
        for code, path in self.iter_codes():
            _check_code(code, path, guids)
        for s in self.sets:
            _register(guids, s.guid, f"set {s.name!r}")
            if s.member_sources or s.member_notes:
                raise ProjectIntegrityError(f"codebook set {s.name!r} may only hold codes")
        kinds = _kinds(guids)
        for s in self.sets:
            _resolve_all(kinds, s.member_codes, "code", f"set {s.name!r}")


@dataclass(frozen=True)
class Project:
    name: str
    origin: str = "yim"
    users: tuple[User, ...] = ()
    codes: tuple[Code, ...] = ()
    variables: tuple[Variable, ...] = ()
    cases: tuple[Case, ...] = ()
    sources: tuple[TextSource, ...] = ()
    notes: tuple[Note, ...] = ()
    sets: tuple[Set, ...] = ()
    description: str | None = None
    note_refs: tuple[str, ...] = ()
    creating_user: str | None = None
    creation_datetime: datetime | None = None
    modifying_user: str | None = None
    modified_datetime: datetime | None = None

    def iter_codes(self) -> Iterator[tuple[Code, tuple[str, ...]]]:
        """Every code with its path of names from the root, depth first."""
        return _walk(self.codes, ())

    def code_paths(self) -> dict[str, str]:
        """GUID → ``"Theme/Sub-theme"`` for every code."""
        return {code.guid: "/".join(path) for code, path in self.iter_codes()}

    def codebook(self) -> Codebook:
        """The project's codebook: the code tree without memo links (a QDC cannot hold
        notes) and the sets that hold only codes."""
        sets = tuple(
            s for s in self.sets if s.member_codes and not (s.member_sources or s.member_notes)
        )
        return Codebook(tuple(_without_notes(c) for c in self.codes), sets, self.origin)

    def validate(self) -> None:
        """Raise a :class:`~.errors.RefiError` subclass unless the project is consistent.

        Checks GUID syntax and uniqueness, colours, that every reference resolves (codes,
        users, notes, sources, selections, variables), variable value types, and that every
        selection lies within its source text.
        """
        guids: dict[str, str] = {}
        for user in self.users:
            _register(guids, user.guid, f"user {user.name!r}")
        for code, path in self.iter_codes():
            _check_code(code, path, guids)
        variables = {}
        for variable in self.variables:
            _register(guids, variable.guid, f"variable {variable.name!r}")
            variables[guid_key(variable.guid)] = variable
        for note in self.notes:
            _register(guids, note.guid, f"note {note.name!r}")
        for source in self.sources:
            _register(guids, source.guid, f"source {source.name!r}")
            for selection in source.selections:
                _register(guids, selection.guid, f"selection in source {source.name!r}")
                for coding in selection.codings:
                    _register(guids, coding.guid, f"coding in source {source.name!r}")
            for coding in source.codings:
                _register(guids, coding.guid, f"coding of source {source.name!r}")
        for case in self.cases:
            _register(guids, case.guid, f"case {case.name!r}")
        for s in self.sets:
            _register(guids, s.guid, f"set {s.name!r}")

        kinds = _kinds(guids)
        _resolve_all(kinds, self.note_refs, "note", "project")
        for user_ref in (self.creating_user, self.modifying_user):
            _resolve_user(kinds, user_ref, "project")
        for code, path in self.iter_codes():
            _resolve_all(kinds, code.note_refs, "note", f"code {'/'.join(path)!r}")
        for note in self.notes:
            _resolve_user(kinds, note.creating_user, f"note {note.name!r}")
        for source in self.sources:
            where = f"source {source.name!r}"
            _resolve_user(kinds, source.creating_user, where)
            _check_values(source.variable_values, variables, kinds, where)
            _resolve_all(kinds, source.note_refs, "note", where)
            for coding in source.codings:
                _check_coding(coding, kinds, where)
            for selection in source.selections:
                here = f"selection {selection.guid} in {where}"
                if selection.end > len(source.text):
                    raise SelectionOutOfRangeError(
                        f"{here}: range [{selection.start}, {selection.end}) lies outside the "
                        f"text, which has {len(source.text)} characters"
                    )
                _resolve_user(kinds, selection.creating_user, here)
                _resolve_all(kinds, selection.note_refs, "note", here)
                for coding in selection.codings:
                    _check_coding(coding, kinds, here)
        for case in self.cases:
            where = f"case {case.name!r}"
            _resolve_all(kinds, case.code_refs, "code", where)
            _resolve_all(kinds, case.source_refs, "source", where)
            _resolve_all(kinds, case.selection_refs, "selection", where)
            _check_values(case.variable_values, variables, kinds, where)
        for s in self.sets:
            where = f"set {s.name!r}"
            _resolve_all(kinds, s.member_codes, "code", where)
            _resolve_all(kinds, s.member_sources, "source", where)
            _resolve_all(kinds, s.member_notes, "note", where)


def guid_key(guid: str) -> str:
    """The form in which GUIDs are compared: case-insensitively and with or without braces."""
    return guid.strip("{}").lower()


def _register(guids: dict[str, str], guid: str, what: str) -> None:
    if not isinstance(guid, str) or not GUID_PATTERN.match(guid):
        raise ProjectIntegrityError(f"{what} has an invalid GUID {guid!r}")
    key = guid_key(guid)
    if key in guids:
        raise ProjectIntegrityError(f"GUID {guid} is used twice: by {guids[key]} and by {what}")
    guids[key] = what


def _kinds(guids: dict[str, str]) -> dict[str, str]:
    # "source 'x'" -> "source", "selection in …" -> "selection", "coding of …" -> "coding"
    return {key: what.split(" ", 1)[0] for key, what in guids.items()}


def _resolve(kinds: dict[str, str], ref: str, kind: str, where: str) -> None:
    found = kinds.get(guid_key(ref)) if isinstance(ref, str) else None
    if found is None:
        raise DanglingReferenceError(f"{where} refers to {kind} {ref!r}, which does not exist")
    if found != kind:
        raise DanglingReferenceError(
            f"{where} refers to {ref!r} as a {kind}, but that GUID is a {found}"
        )


def _resolve_all(kinds: dict[str, str], refs: tuple[str, ...], kind: str, where: str) -> None:
    """Every reference in a ``…_refs`` or ``member_…`` field is checked the same way: each
    must name an existing object of ``kind``."""
    for ref in refs:
        _resolve(kinds, ref, kind, where)


def _resolve_user(kinds: dict[str, str], ref: str | None, where: str) -> None:
    """A creating (or modifying) user is optional; when named, it is a user of the project."""
    if ref is not None:
        _resolve(kinds, ref, "user", where)


def _check_code(code: Code, path: tuple[str, ...], guids: dict[str, str]) -> None:
    _register(guids, code.guid, f"code {'/'.join(path)!r}")
    if code.color is not None and not COLOR_PATTERN.match(code.color):
        raise ProjectIntegrityError(
            f"code {'/'.join(path)!r} has colour {code.color!r}; expected #RRGGBB or #RGB"
        )
    if not code.name:
        raise ProjectIntegrityError(f"code {code.guid} has an empty name")


def _check_coding(coding: Coding, kinds: dict[str, str], where: str) -> None:
    here = f"coding {coding.guid} in {where}"
    _resolve(kinds, coding.code_guid, "code", here)
    _resolve_user(kinds, coding.creating_user, here)
    _resolve_all(kinds, coding.note_refs, "note", here)


_PYTHON_TYPES: dict[VariableType, tuple[type, ...]] = {
    VariableType.TEXT: (str,),
    VariableType.BOOLEAN: (bool,),
    VariableType.INTEGER: (int,),
    VariableType.FLOAT: (Decimal,),
    VariableType.DATE: (date,),
    VariableType.DATETIME: (datetime,),
}


def _check_values(
    values: tuple[VariableValue, ...],
    variables: dict[str, Variable],
    kinds: dict[str, str],
    where: str,
) -> None:
    seen: builtins.set[str] = builtins.set()
    for value in values:
        _resolve(kinds, value.variable_guid, "variable", where)
        variable = variables[guid_key(value.variable_guid)]
        if variable.guid in seen:
            raise ProjectIntegrityError(f"{where} has two values for variable {variable.name!r}")
        seen.add(variable.guid)
        v = value.value
        ok = isinstance(v, _PYTHON_TYPES[variable.type])
        if variable.type is VariableType.INTEGER and isinstance(v, bool):
            ok = False
        if variable.type is VariableType.DATE and isinstance(v, datetime):
            ok = False
        if not ok:
            raise ProjectIntegrityError(
                f"{where}: variable {variable.name!r} is {variable.type.value} but the value "
                f"{v!r} is a {type(v).__name__}"
            )
