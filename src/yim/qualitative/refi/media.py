"""PDF, audio and video sources of a REFI-QDA project, kept as text documents.

* A **PDF** keeps its text: the text representation the file gives for it (with the
  selections and codings made on that text), or else the text extracted from the PDF. A coded
  PDF area (page and rectangle) is placed on the text where the text it quotes occurs exactly
  once; other areas are dropped and counted.
* An **audio or video** source keeps each transcript as a text document with a ``[hh:mm:ss]``
  mark at every sync point (speaker turns are still found after such a mark). Transcript
  selections, and time ranges that begin and end at sync points, keep their codings; codings
  of the whole recording go to its first transcript.

The functions take the importer (:class:`~.reader.ProjectReader`) whose helpers read
codings, memo links and time stamps.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from lxml import etree

from .model import PlainTextSelection, TextSource, guid_key
from .report import ADJUSTED, NOT_KEPT, IssueLog, gettext_noop, local, where

if TYPE_CHECKING:
    from .reader import ProjectReader

__all__ = ["media_source", "pdf_source"]


def _children(node: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in node if local(c) == name]


def _child(node: etree._Element | None, name: str) -> etree._Element | None:
    found = _children(node, name) if node is not None else []
    return found[0] if found else None


def _text(node: etree._Element | None, name: str) -> str | None:
    child = _child(node, name)
    return None if child is None else (child.text or "")


def pdf_source(imp: ProjectReader, node: etree._Element) -> list[TextSource]:
    representation = _child(node, "Representation")
    text: str | None = None
    unreadable = ""
    if representation is not None:
        probe_log = IssueLog()
        probe = type(imp)(imp.files, probe_log, imp.extract_pdf)
        text = probe.plain_text(representation)
        unreadable = "; ".join(i.problem for i in probe_log.issues)
        if text is not None:
            imp.log.issues.extend(probe_log.issues)
            imp.rich_text.extend(probe.rich_text)
    inner = representation if text is not None and representation is not None else node
    how = gettext_noop("the text representation the file gives for it")
    if text is None:
        path = node.get("path")
        if not path:
            imp.log.drop(node, gettext_noop("the PDF has neither a file nor a readable text"))
            return []
        data = imp.files.read(path, node, imp.log)
        if data is None:
            return []
        try:
            text = imp.extract_pdf(data)
        except (ValueError, OSError) as exc:  # TranscriptError is a ValueError
            imp.log.drop(
                node, gettext_noop("no text could be extracted from the PDF (%(why)s)", why=exc)
            )
            return []
        how = gettext_noop("text extracted from the PDF")
        if representation is not None:
            imp.log.drop(
                representation,
                gettext_noop(
                    "the PDF's text representation cannot be read (%(why)s)", why=unreadable
                ),
                gettext_noop(
                    "its selections were dropped; the text was extracted from the PDF instead"
                ),
            )
    if representation is not None and representation.get("guid"):
        imp.aliases[guid_key(representation.get("guid"))] = (node.get("guid"),)
    placed = [p for p in (pdf_area(imp, a, text) for a in _children(node, "PDFSelection")) if p]
    document = imp.text_document(
        inner,
        text,
        guid=node.get("guid"),
        selections=placed,
        codings=imp.codings(node) if inner is not node else (),
        owner=node,
    )
    imp.log.add(
        where(node),
        gettext_noop("yim keeps text documents, not PDF files"),
        gettext_noop(
            "imported as a text document from %(how)s; the PDF file itself is not kept", how=how
        ),
        NOT_KEPT,
    )
    return [document]


def pdf_area(imp: ProjectReader, area: etree._Element, text: str) -> PlainTextSelection | None:
    """A PDF area selection placed on the text where its own text occurs exactly once."""
    quoted = _text(_child(area, "Representation"), "PlainTextContent")
    if quoted and text.count(quoted) == 1:
        start = text.index(quoted)
        imp.log.add(
            where(area),
            gettext_noop("a PDF area (page and rectangle) has no place in the text"),
            gettext_noop(
                "it was placed on the only occurrence of its text, [%(start)s, %(end)s)",
                start=start,
                end=start + len(quoted),
            ),
            ADJUSTED,
        )
        return imp.placed_selection(area, start, start + len(quoted))
    why = (
        gettext_noop("its text occurs more than once or not at all in the document")
        if quoted
        else gettext_noop("a PDF area (page and rectangle) cannot be placed on the text")
    )
    imp.log.drop(area, why, gettext_noop("the selection was dropped"))
    return None


@dataclass
class _Timeline:
    """A transcript with time marks put in: where the sync points are in the original text,
    and how an original position moves once the marks are in."""

    text: str
    marks: list[tuple[int, int]]  # (original position, length of the mark put there)
    by_time: dict[int, int]  # time stamp (ms) -> original position
    by_guid: dict[str, int]  # sync point GUID -> original position
    document: TextSource = field(init=False)

    def shift(self, position: int, *, is_end: bool) -> int:
        """A mark at a selection's start comes before it; one at its end comes after it."""
        added = sum(
            length for at, length in self.marks if at < position or (at == position and not is_end)
        )
        return position + added


def media_source(imp: ProjectReader, node: etree._Element) -> list[TextSource]:
    audio = local(node) == "AudioSource"
    transcripts = _children(node, "Transcript")
    if not transcripts:
        imp.log.drop(
            node,
            gettext_noop("audio and video are imported through their transcripts; it has none"),
        )
        return []
    values = imp.values(node)
    timelines: list[_Timeline] = []
    for number, transcript in enumerate(transcripts, start=1):
        text = imp.plain_text(transcript)
        if text is None:
            continue
        name = transcript.get("name") or (
            f"{node.get('name') or node.get('guid')} (transcript"
            + (f" {number})" if len(transcripts) > 1 else ")")
        )
        timeline = _stamp(imp, transcript, text)
        selections = [
            s
            for s in (
                _transcript_selection(imp, part, timeline)
                for part in _children(transcript, "TranscriptSelection")
            )
            if s is not None
        ]
        document = imp.text_document(
            transcript, timeline.text, name=name, selections=selections, owner=transcript
        )
        timeline.document = replace(
            document,
            description=document.description or _text(node, "Description"),
            variable_values=document.variable_values or values,
        )
        timelines.append(timeline)
    if not timelines:
        imp.log.drop(node, gettext_noop("none of its transcripts could be read"))
        return []
    imp.aliases[guid_key(node.get("guid"))] = tuple(t.document.guid for t in timelines)
    for part in _children(node, "AudioSelection") + _children(node, "VideoSelection"):
        _media_selection(imp, part, timelines)
    whole = imp.codings(node)
    first = timelines[0]
    if whole:
        imp.log.add(
            where(node),
            gettext_noop("%(count)s coding(s) of the whole recording", count=len(whole)),
            gettext_noop(
                "kept as codings of the whole transcript %(name)s", name=repr(first.document.name)
            ),
            ADJUSTED,
        )
    first.document = replace(
        first.document,
        codings=first.document.codings + whole,
        note_refs=first.document.note_refs + imp.notes(node),
    )
    imp.log.add(
        where(node),
        gettext_noop("yim keeps text documents, not audio files")
        if audio
        else gettext_noop("yim keeps text documents, not video files"),
        gettext_noop(
            "its transcripts were imported as text documents with their time stamps; the "
            "recording itself is not kept"
        ),
        NOT_KEPT,
    )
    return [t.document for t in timelines]


def _stamp(imp: ProjectReader, transcript: etree._Element, text: str) -> _Timeline:
    """The transcript's text with a ``[hh:mm:ss]`` mark at every sync point."""
    marks: list[tuple[int, str, int, str]] = []
    unplaced = 0
    for point in _children(transcript, "SyncPoint"):
        stamp, position = point.get("timeStamp"), point.get("position")
        if stamp is None or position is None or not 0 <= int(position) <= len(text):
            unplaced += 1
            continue
        ms = int(stamp)
        seconds, millis = divmod(max(ms, 0), 1000)
        mark = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if millis:
            mark += f".{millis:03d}"
        marks.append((int(position), f"[{mark}] ", ms, guid_key(point.get("guid"))))
    if unplaced:
        imp.log.add(
            where(transcript),
            gettext_noop(
                "%(count)s sync point(s) without a time stamp or a position in the text",
                count=unplaced,
            ),
            gettext_noop("no time mark was put in the text for them"),
            ADJUSTED,
        )
    marks.sort(key=lambda m: m[0])
    pieces = []
    previous = 0
    for position, mark, _ms, _guid in marks:
        pieces.append(text[previous:position])
        pieces.append(mark)
        previous = position
    pieces.append(text[previous:])
    return _Timeline(
        text="".join(pieces),
        marks=[(position, len(mark)) for position, mark, _ms, _guid in marks],
        by_time={ms: position for position, _mark, ms, _guid in marks},
        by_guid={guid: position for position, _mark, _ms, guid in marks},
    )


def _placed(
    imp: ProjectReader, node: etree._Element, start: int, end: int, timeline: _Timeline
) -> PlainTextSelection:
    new_start = timeline.shift(start, is_end=False)
    selection = imp.placed_selection(
        node, new_start, max(new_start, timeline.shift(end, is_end=True))
    )
    imp.selection_keys.add(guid_key(selection.guid))
    return selection


def _transcript_selection(
    imp: ProjectReader, node: etree._Element, timeline: _Timeline
) -> PlainTextSelection | None:
    start = timeline.by_guid.get(guid_key(node.get("fromSyncPoint") or ""))
    end = timeline.by_guid.get(guid_key(node.get("toSyncPoint") or ""))
    if start is None or end is None or end < start:
        imp.log.drop(
            node,
            gettext_noop("its sync points are missing or have no position in the transcript"),
            gettext_noop("the selection was dropped"),
        )
        return None
    return _placed(imp, node, start, end, timeline)


def _media_selection(imp: ProjectReader, node: etree._Element, timelines: list[_Timeline]) -> None:
    """An audio or video time range, placed on the transcript text between the sync points
    at its begin and end; dropped (and counted) when there are none."""
    begin, end = int(node.get("begin")), int(node.get("end"))
    for timeline in timelines:
        start, stop = timeline.by_time.get(begin), timeline.by_time.get(end)
        if start is not None and stop is not None and start <= stop:
            selection = _placed(imp, node, start, stop, timeline)
            timeline.document = replace(
                timeline.document, selections=(*timeline.document.selections, selection)
            )
            imp.log.add(
                where(node),
                gettext_noop(
                    "a time range (%(begin)s–%(end)s ms) of the recording", begin=begin, end=end
                ),
                gettext_noop(
                    "it was placed on the transcript %(name)s between the sync points at those "
                    "times",
                    name=repr(timeline.document.name),
                ),
                ADJUSTED,
            )
            return
    imp.log.drop(
        node,
        gettext_noop(
            "its time range (%(begin)s–%(end)s ms) does not start and end at sync points of a "
            "transcript",
            begin=begin,
            end=end,
        ),
        gettext_noop("the selection was dropped"),
    )
