"""Coded-segment exports: CSV, XLSX and DOCX, with formula-injection protection."""

import csv
import io

import docx
import pytest
from openpyxl import load_workbook

from tests.qualitative.refi_fixtures import jim_project
from yim.qualitative.segments_export import (
    SegmentRow,
    neutralise_formula,
    rows_from_project,
    segments_to_csv,
    segments_to_docx,
    segments_to_xlsx,
)

ROWS = [
    SegmentRow(
        "Steun/Emotionele steun",
        "Interview jongere",
        "de JIM hielp 😟",
        45,
        57,
        "Anna",
        {"role": "youth", "triad": '=HYPERLINK("http://evil")'},
    ),
    SegmentRow("Vertrouwen", "Interview vader", "-1 + 2", 0, 6, "@bram", {"role": "parent"}),
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+31 6", "'+31 6"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("één", "één"),
        (45, 45),
    ],
)
def test_formula_like_cells_are_prefixed_and_others_left_alone(value, expected):
    assert neutralise_formula(value) == expected


def test_csv_has_one_column_per_attribute_and_neutralised_cells():
    data = segments_to_csv(ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == ["code", "document", "role", "triad", "text", "start", "end", "coder"]
    assert table[1] == [
        "Steun/Emotionele steun",
        "Interview jongere",
        "youth",
        '\'=HYPERLINK("http://evil")',
        "de JIM hielp 😟",
        "45",
        "57",
        "Anna",
    ]
    assert table[2][3] == ""
    assert table[2][4] == "'-1 + 2"
    assert table[2][7] == "'@bram"


def test_csv_can_use_the_dutch_excel_delimiter():
    data = segments_to_csv(ROWS, delimiter=";").decode("utf-8-sig")
    assert data.splitlines()[0] == "code;document;role;triad;text;start;end;coder"


def test_xlsx_cells_hold_text_not_formulas_and_numbers_stay_numbers():
    book = load_workbook(io.BytesIO(segments_to_xlsx(ROWS)))
    sheet = book.active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert sheet["D2"].value == '\'=HYPERLINK("http://evil")'
    assert sheet["F2"].value == 45
    assert sheet["E2"].value == "de JIM hielp 😟"


def test_docx_groups_segments_under_their_code():
    document = docx.Document(io.BytesIO(segments_to_docx(ROWS)))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Gecodeerde segmenten"
    assert texts.index("Steun/Emotionele steun") < texts.index("de JIM hielp 😟")
    assert "Interview vader [0–6) · codeur @bram · role: parent" in texts


def test_rows_are_built_from_a_refi_project_with_case_attributes():
    rows = rows_from_project(jim_project())
    first = rows[0]
    assert (first.code_path, first.text, first.coder) == (
        "Steun/Emotionele steun",
        "de JIM hielp",
        "Anna",
    )
    assert first.participant["case"] == "Jongere B1"
    assert first.participant["triad_id"] == "2"
    assert len(rows) == 4
    assert rows[-1].participant == {}
