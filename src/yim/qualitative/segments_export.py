"""Export coded segments to CSV, XLSX and DOCX for analysis outside yim.

Input is plain rows (:class:`SegmentRow`), built by the caller from its models or with
:func:`rows_from_project`. One column per participant attribute (the union over all rows).

Spreadsheet cells are protected against formula injection: a text cell starting with
``= + - @``, a tab or a carriage return gets a leading apostrophe, so a participant label like
``=HYPERLINK(…)`` is shown as text in Excel/LibreOffice instead of being executed. Numbers
(start, end) stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .refi.model import Project

__all__ = [
    "SegmentRow",
    "neutralise_formula",
    "rows_from_project",
    "segments_to_csv",
    "segments_to_docx",
    "segments_to_xlsx",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so XLSX/DOCX) cannot hold.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class SegmentRow:
    """One coded segment. ``start``/``end`` are code points, end exclusive."""

    code_path: str
    document: str
    text: str
    start: int
    end: int
    coder: str
    participant: Mapping[str, object] = field(default_factory=dict, hash=False)


def neutralise_formula(value: object) -> object:
    """Prefix ``'`` to strings a spreadsheet would read as a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _table(rows: Sequence[SegmentRow]) -> tuple[list[str], list[list[object]]]:
    attributes = sorted({key for row in rows for key in row.participant})
    header = ["code", "document", *attributes, "text", "start", "end", "coder"]
    body = []
    for row in rows:
        values: list[object] = [row.code_path, row.document]
        values += [row.participant.get(a, "") for a in attributes]
        values += [row.text, row.start, row.end, row.coder]
        body.append([neutralise_formula(v) for v in values])
    return [str(neutralise_formula(h)) for h in header], body


def segments_to_csv(rows: Iterable[SegmentRow], *, delimiter: str = ",") -> bytes:
    """CSV as UTF-8 with a byte-order mark (so Excel shows "één" correctly).

    Use ``delimiter=";"`` for Excel with Dutch regional settings.
    """
    header, body = _table(list(rows))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(body)
    return buffer.getvalue().encode("utf-8-sig")


def segments_to_xlsx(rows: Iterable[SegmentRow], *, sheet_title: str = "Segmenten") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, body = _table(list(rows))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append(header)
    for values in body:
        sheet.append([_NOT_XML.sub("", v) if isinstance(v, str) else v for v in values])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def segments_to_docx(rows: Iterable[SegmentRow], *, title: str = "Gecodeerde segmenten") -> bytes:
    """A readable report: one heading per code, then each segment with its source line."""
    import docx

    rows = list(rows)
    document = docx.Document()
    document.add_heading(_NOT_XML.sub("", title), level=1)
    by_code: dict[str, list[SegmentRow]] = {}
    for row in rows:
        by_code.setdefault(row.code_path, []).append(row)
    for code_path in sorted(by_code):
        document.add_heading(_NOT_XML.sub("", code_path), level=2)
        for row in by_code[code_path]:
            attributes = ", ".join(f"{k}: {v}" for k, v in sorted(row.participant.items()))
            meta = f"{row.document} [{row.start}–{row.end}) · codeur {row.coder}"
            if attributes:
                meta += f" · {attributes}"
            document.add_paragraph(_NOT_XML.sub("", meta), style="Caption")
            document.add_paragraph(_NOT_XML.sub("", row.text), style="Quote")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rows_from_project(project: Project) -> list[SegmentRow]:
    """Every coded selection of a REFI project as rows, with the attributes of the cases that
    refer to the source (``Case.source_refs``) as participant columns."""
    paths = project.code_paths()
    users = {u.guid: (u.name or u.guid) for u in project.users}
    variables = {v.guid: v.name for v in project.variables}
    attributes: dict[str, dict[str, object]] = {}
    for case in project.cases:
        values: dict[str, object] = {"case": case.name or case.guid}
        values.update({variables[v.variable_guid]: v.value for v in case.variable_values})
        for source_guid in case.source_refs:
            attributes.setdefault(source_guid, {}).update(values)
    rows = []
    for source in project.sources:
        for selection in source.selections:
            for coding in selection.codings:
                rows.append(
                    SegmentRow(
                        code_path=paths[coding.code_guid],
                        document=source.name,
                        text=source.text[selection.start : selection.end],
                        start=selection.start,
                        end=selection.end,
                        coder=users.get(coding.creating_user or "", coding.creating_user or ""),
                        participant={k: str(v) for k, v in attributes.get(source.guid, {}).items()},
                    )
                )
    return rows
