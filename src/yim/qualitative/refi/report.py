"""The import report: each problem an import met, where it is, and what was done about it.

The REFI-QDA package stays free of Django, yet the report is shown in the user's language: every
sentence is a :class:`Message`, an English ``str`` that also keeps its msgid and parameters.
Messages are made with :func:`gettext_noop`, the name Django's ``makemessages`` looks for, so
their msgids land in the catalogue; the web layer translates them (:func:`translated`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree

__all__ = [
    "ADJUSTED",
    "DROPPED",
    "IGNORED",
    "NOT_KEPT",
    "ImportIssue",
    "ImportReport",
    "IssueLog",
    "Message",
    "gettext_noop",
    "translated",
]

# What happened to the thing an issue is about.
DROPPED = "dropped"  # not imported
ADJUSTED = "adjusted"  # imported, changed to fit
NOT_KEPT = "not kept"  # imported without some information yim does not store
IGNORED = "ignored"  # not meaningful to yim (unknown element, unused archive entry)


class Message(str):
    """An English sentence that remembers its msgid and parameters for translation."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, params: dict[str, Any] | None = None) -> Message:
        params = params or {}
        english = template % {k: str(v) for k, v in params.items()} if params else template
        message = super().__new__(cls, english)
        message.template = template
        message.params = params
        return message

    def to_json(self) -> dict[str, Any]:
        """``{"t": msgid, "p": {name: value}}``, nested for parameters that are messages."""
        return {
            "t": self.template,
            "p": {
                k: v.to_json() if isinstance(v, Message) else v if isinstance(v, int) else str(v)
                for k, v in self.params.items()
            },
        }


def gettext_noop(template: str, **params: Any) -> Message:
    """Mark ``template`` for translation (``makemessages`` collects it) and fill it in."""
    return Message(template, params)


def translated(value: Any, gettext: Any) -> str:
    """A message (or its :meth:`Message.to_json` form) in the language of ``gettext``."""
    if isinstance(value, Message):
        value = value.to_json()
    if not isinstance(value, dict):
        return str(value)
    params = {k: translated(v, gettext) for k, v in value["p"].items()}
    text = gettext(value["t"])
    return text % params if params else text


@dataclass(frozen=True)
class ImportIssue:
    """One problem found while importing: where it is, what it is, and what was done."""

    place: str
    problem: str
    action: str
    kind: str = DROPPED
    #: codings of the file that were not imported because of this problem.
    codings: int = 0

    def __str__(self) -> str:
        text = f"{self.place}: {self.problem}; {self.action}"
        if self.codings:
            text += f" ({self.codings} coding{'s' if self.codings != 1 else ''} dropped)"
        return text

    def to_json(self) -> dict[str, Any]:
        """For the session: the texts as translatable messages."""

        def as_json(text: str) -> Any:
            return text.to_json() if isinstance(text, Message) else text

        return {
            "place": as_json(self.place),
            "problem": as_json(self.problem),
            "action": as_json(self.action),
            "kind": self.kind,
            "codings": self.codings,
        }


@dataclass(frozen=True)
class ImportReport:
    """What an import could not keep as it was. Empty for a file yim itself exported."""

    issues: tuple[ImportIssue, ...] = ()
    sources_in_file: int = 0
    sources_imported: int = 0
    codings_in_file: int = 0
    codings_imported: int = 0

    @property
    def dropped_codings(self) -> int:
        """Every coding of the file that was not imported (each one is in some issue)."""
        return self.codings_in_file - self.codings_imported

    def lines(self) -> tuple[str, ...]:
        return tuple(str(issue) for issue in self.issues)

    def adding(self, issues: Iterable[ImportIssue]) -> ImportReport:
        return replace(self, issues=self.issues + tuple(issues))


# ---------------------------------------------------------------------------------------------
# Small XML readers shared by the importer's modules


def local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def codings_in(node: etree._Element) -> int:
    return sum(1 for e in node.iter() if local(e) == "Coding")


def label(node: etree._Element) -> str:
    """``TextSource 'Interview 3'``: the element and its name, or else its GUID."""
    name, guid = node.get("name"), node.get("guid") or node.get("targetGUID")
    return local(node) + (f" {name!r}" if name else f" {guid}" if guid else "")


def where(node: etree._Element) -> str:
    """``TextSource 'Interview 3' (line 12)``: the element, its name or GUID, its line."""
    if node.sourceline:
        return gettext_noop(
            "%(element)s (line %(line)s)", element=label(node), line=node.sourceline
        )
    return label(node)


def names(places: list[str], limit: int = 10) -> str:
    shown = ", ".join(places[:limit])
    if len(places) > limit:
        return gettext_noop("%(names)s and %(more)s more", names=shown, more=len(places) - limit)
    return shown


class IssueLog:
    """The issues of one import, in the order they were met."""

    def __init__(self) -> None:
        self.issues: list[ImportIssue] = []

    def add(
        self, place: str, problem: str, action: str, kind: str = DROPPED, codings: int = 0
    ) -> None:
        self.issues.append(ImportIssue(place, problem, action, kind, codings))

    def drop(self, node: etree._Element, problem: str, action: str = "") -> None:
        """Report ``node`` as not imported, with the codings inside it."""
        self.add(
            where(node),
            problem,
            action or gettext_noop("it was not imported"),
            codings=codings_in(node),
        )
