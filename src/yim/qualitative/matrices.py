"""Code × document and code × participant-attribute matrices, counted in SQL.

Each matrix is one aggregate query (``GROUP BY code, column``) plus one query for the code
paths, however many codes and documents the project has. Cells count codings of a segment
(whole-document codings are left out, as on the other analysis pages); a code's row counts its
own codings, not those of its sub-codes. Only codes and columns with at least one coding appear.

:func:`table_to_csv` and :func:`table_to_xlsx` write any header + rows table with the
formula neutralisation of :mod:`.segments_export`; the query exports use them too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count

from . import models as m
from .analysis import code_paths
from .segments_export import _NOT_XML, neutralise_formula

__all__ = [
    "Matrix",
    "code_attribute_matrix",
    "code_document_matrix",
    "matrix_table",
    "table_to_csv",
    "table_to_xlsx",
]


@dataclass(frozen=True)
class Matrix:
    """Codes (rows) × columns; ``columns`` are ``(key, label)``, ``rows`` ``(code id, path)``.

    ``counts[(code id, column key)]`` is the number of codings (absent: 0).
    """

    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[int, str], ...]
    counts: dict[tuple[int, str], int]

    def count(self, code_id: int, column: str) -> int:
        return self.counts.get((code_id, column), 0)

    def row_cells(self, code_id: int) -> list[tuple[str, int]]:
        return [(key, self.count(code_id, key)) for key, _label in self.columns]


def _matrix(project: m.Project, triples: Iterable[tuple[int, str, str, int]]) -> Matrix:
    counts: dict[tuple[int, str], int] = {}
    labels: dict[str, str] = {}
    for code_id, key, label, n in triples:
        counts[(code_id, key)] = counts.get((code_id, key), 0) + n
        labels[key] = label
    paths = code_paths(project)
    used = sorted({code for code, _key in counts}, key=lambda pk: (paths[pk], pk))
    columns = tuple(sorted(labels.items(), key=lambda item: (item[1].casefold(), item[0])))
    return Matrix(columns, tuple((pk, paths[pk]) for pk in used), counts)


def _segment_codings(project: m.Project, coder: m.Coder | None):
    codings = m.Coding.objects.filter(document__project=project, segment__isnull=False)
    return codings.filter(coder=coder) if coder is not None else codings


def code_document_matrix(project: m.Project, coder: m.Coder | None = None) -> Matrix:
    """Codings per code and transcript (column key: the document id)."""
    rows = (
        _segment_codings(project, coder)
        .values("code_id", "document_id", "document__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return _matrix(
        project,
        ((r["code_id"], str(r["document_id"]), r["document__name"], r["n"]) for r in rows),
    )


def code_attribute_matrix(
    project: m.Project, variable: m.Variable, coder: m.Coder | None = None
) -> Matrix:
    """Codings per code and value of ``variable`` among the transcripts' participants.

    A coding counts once per value, however many participants of its transcript carry it
    (as :func:`.analysis.frequencies`); the column key is the value itself.
    """
    rows = (
        _segment_codings(project, coder)
        .filter(document__participants__attributes__variable=variable)
        .values("code_id", "document__participants__attributes__value")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    value = "document__participants__attributes__value"
    return _matrix(project, ((r["code_id"], r[value], r[value], r["n"]) for r in rows))


def matrix_table(matrix: Matrix) -> tuple[list[str], list[list[object]]]:
    """The matrix as a header and rows of plain values (for the downloads)."""
    header = ["code", *(label for _key, label in matrix.columns), "total"]
    body: list[list[object]] = []
    for code_id, path in matrix.rows:
        cells = [n for _key, n in matrix.row_cells(code_id)]
        body.append([path, *cells, sum(cells)])
    return header, body


def table_to_csv(header: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV as UTF-8 with a byte-order mark; text cells that look like formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise_formula(h) for h in header])
    writer.writerows([neutralise_formula(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def table_to_xlsx(
    header: Sequence[object], rows: Iterable[Sequence[object]], *, sheet_title: str
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    def clean(value: object) -> object:
        value = neutralise_formula(value)
        return _NOT_XML.sub("", value) if isinstance(value, str) else value

    workbook = Workbook(write_only=True)  # streams rows: fast for a 1,000 × 200 matrix
    sheet = workbook.create_sheet(sheet_title[:31])
    sheet.freeze_panes = "B2"
    bold = Font(bold=True)
    first = []
    for h in header:
        cell = WriteOnlyCell(sheet, value=clean(h))
        cell.font = bold
        first.append(cell)
    sheet.append(first)
    for row in rows:
        sheet.append([clean(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
