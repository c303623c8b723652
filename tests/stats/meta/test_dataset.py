"""Reading and validating effect-size tables: row/column-precise problems, size limits."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from yim.stats.meta.dataset import (
    MAX_BYTES,
    DataError,
    Problem,
    load_table,
    moderator_columns,
    prepare,
)
from yim.stats.meta.effect_sizes import correlation, fisher_z

from ._reference import REFERENCE


def _csv(text: str) -> pd.DataFrame:
    return load_table(text.encode(), "data.csv")


def _problems(excinfo: pytest.ExceptionInfo[DataError]) -> set[tuple[int | None, str | None]]:
    return {(p.row, p.column) for p in excinfo.value.problems}


GOOD = "study,r,n,type\nA,0.1,50,x\nB,0.2,60,y\nC,0.3,70,x\n"


def test_rows_are_numbered_as_in_the_spreadsheet_with_the_header_as_row_one() -> None:
    frame = load_table(REFERENCE / "molloy2014.csv")
    assert list(frame.index[:3]) == [2, 3, 4]
    assert frame.index[-1] == len(frame) + 1


def test_a_blank_line_does_not_shift_the_row_numbers() -> None:
    frame = _csv("study,r,n\nA,0.1,50\n\nB,abc,60\n")
    with pytest.raises(DataError) as excinfo:
        prepare(frame, r="r", n="n", study="study")
    assert _problems(excinfo) == {(4, "r")}


def test_semicolon_files_are_read_with_decimal_commas() -> None:
    frame = _csv("study;r;n\nA;0,25;50\nB;0,5;60\n")
    prepared = prepare(frame, r="r", n="n", study="study")
    np.testing.assert_allclose(prepared.yi, np.arctanh([0.25, 0.5]))


def test_xlsx_gives_the_same_effect_sizes_as_escalc() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["study", "r", "n"])
    sheet.append(["A", 0.1, 50])
    sheet.append([None, None, None])
    sheet.append(["B", -0.4, 35])
    buf = io.BytesIO()
    book.save(buf)
    frame = load_table(buf.getvalue(), "upload.xlsx")
    assert list(frame.index) == [2, 4]
    prepared = prepare(frame, r="r", n="n", study="study")
    expected = fisher_z([0.1, -0.4], [50, 35])
    np.testing.assert_allclose(prepared.yi, expected.yi)
    np.testing.assert_allclose(prepared.vi, expected.vi)
    assert prepared.rows == (2, 4)


def test_cor_measure_uses_the_raw_correlation_variance() -> None:
    prepared = prepare(_csv(GOOD), r="r", n="n", measure="COR", study="study")
    expected = correlation([0.1, 0.2, 0.3], [50, 60, 70])
    np.testing.assert_allclose(prepared.yi, expected.yi)
    np.testing.assert_allclose(prepared.vi, expected.vi)
    assert prepared.measure == "COR"


def test_missing_columns_are_named_with_the_columns_present() -> None:
    with pytest.raises(DataError) as excinfo:
        prepare(_csv(GOOD), r="ri", n="ni", study="study")
    assert _problems(excinfo) == {(None, "ri"), (None, "ni")}
    assert "study, r, n, type" in str(excinfo.value)


def test_non_numeric_and_empty_cells_name_row_and_column() -> None:
    frame = _csv("study,r,n\nA,0.1,50\nB,,60\nC,0.3,seventy\n")
    with pytest.raises(DataError) as excinfo:
        prepare(frame, r="r", n="n", study="study")
    assert _problems(excinfo) == {(3, "r"), (4, "n")}
    messages = {str(p) for p in excinfo.value.problems}
    assert "row 3, column r: empty cell; a number is needed" in messages
    assert any(m.startswith("row 4, column n: 'seventy'") for m in messages)


def test_zero_and_negative_sampling_variances_are_refused() -> None:
    frame = _csv("yi,vi,s\n0.1,0.01,a\n0.2,0,b\n0.3,-0.02,c\n")
    with pytest.raises(DataError) as excinfo:
        prepare(frame, yi="yi", vi="vi", study="s")
    assert _problems(excinfo) == {(3, "vi"), (4, "vi")}


def test_fisher_z_needs_more_than_three_participants() -> None:
    frame = _csv("s,r,n\na,0.1,3\nb,0.2,4\nc,0.3,2\n")
    with pytest.raises(DataError) as excinfo:
        prepare(frame, r="r", n="n", study="s")
    assert _problems(excinfo) == {(2, "n"), (4, "n")}
    # the raw correlation only needs n > 1
    assert prepare(frame, r="r", n="n", measure="COR", study="s").k == 3


def test_correlations_of_one_or_more_in_absolute_value_are_refused() -> None:
    frame = _csv("s,r,n\na,1,30\nb,-1.2,40\nc,0.99,50\n")
    with pytest.raises(DataError) as excinfo:
        prepare(frame, r="r", n="n", study="s")
    assert _problems(excinfo) == {(2, "r"), (3, "r")}


def test_a_single_study_is_refused() -> None:
    frame = _csv("s,r,n\nsame,0.1,30\nsame,0.2,40\n")
    with pytest.raises(DataError) as excinfo:
        prepare(frame, r="r", n="n", study="s")
    assert _problems(excinfo) == {(None, "s")}
    assert "one study" in str(excinfo.value)


def test_a_moderator_with_one_level_is_refused() -> None:
    frame = _csv("s,r,n,kind\na,0.1,30,x\nb,0.2,40,x\nc,0.3,50,x\n")
    with pytest.raises(DataError) as excinfo:
        prepare(frame, r="r", n="n", study="s", mods="factor(kind)")
    assert _problems(excinfo) == {(None, "kind")}
    assert "one level" in str(excinfo.value)


def test_all_problems_are_collected_not_just_the_first() -> None:
    frame = _csv("s,r,n,kind\na,1.5,30,x\nb,0.2,2,\n,0.3,zz,y\n")
    with pytest.raises(DataError) as excinfo:
        prepare(frame, r="r", n="n", study="s", mods="kind")
    assert _problems(excinfo) == {(2, "r"), (3, "n"), (4, "n"), (3, "kind"), (4, "s")}


def test_yi_vi_and_r_n_cannot_be_mixed() -> None:
    with pytest.raises(DataError, match="either yi and vi, or r and n"):
        prepare(_csv(GOOD), yi="r", n="n")


def test_es_id_builds_a_study_es_id_nesting_and_labels() -> None:
    frame = _csv("s,e,yi,vi\na,1,0.1,0.01\na,2,0.2,0.02\nb,1,0.3,0.03\n")
    prepared = prepare(frame, yi="yi", vi="vi", study="s", es_id="e")
    assert prepared.random == "s/e"
    assert prepared.groups == {"s": ("a", "a", "b"), "e": ("1", "2", "1")}
    assert prepared.labels == ("a, 1", "a, 2", "b, 1")
    assert prepared.n_studies == 2


def test_repeated_studies_without_nesting_give_a_note() -> None:
    prepared = prepare(load_table(REFERENCE / "molloy2014.csv"), r="ri", n="ni", study="authors")
    assert prepared.k == 16
    assert any("independent" in note for note in prepared.notes)


def test_moderator_design_matrix_follows_the_formula() -> None:
    prepared = prepare(_csv(GOOD), r="r", n="n", study="study", mods="type")
    assert prepared.coef_names == ("intrcpt", "typey")
    np.testing.assert_array_equal(prepared.X[:, 1], [0.0, 1.0, 0.0])


def test_moderator_columns_skip_factor_calls() -> None:
    assert moderator_columns("factor(domain) + age + C(x):age") == ["domain", "age", "x"]


def test_files_beyond_the_size_limit_are_refused() -> None:
    with pytest.raises(DataError, match="limit is 20 MB"):
        load_table(b"x" * (MAX_BYTES + 1), "big.csv")


def test_files_beyond_the_row_limit_are_refused() -> None:
    text = "yi,vi\n" + "0.1,0.01\n" * 11
    with pytest.raises(DataError, match="more than 10 data rows"):
        load_table(text.encode(), "rows.csv", max_rows=10)
    assert len(load_table(text.encode(), "rows.csv", max_rows=11)) == 11


def test_unknown_file_types_and_broken_headers_are_refused() -> None:
    with pytest.raises(DataError, match="unsupported file type"):
        load_table(b"a,b\n1,2\n", "data.sav")
    with pytest.raises(DataError) as excinfo:
        load_table(b"a,a,b\n1,2,3\n", "dup.csv")
    assert _problems(excinfo) == {(1, "a")}
    with pytest.raises(DataError) as excinfo:
        load_table(b"a,,b\n1,2,3\n", "blank.csv")
    assert _problems(excinfo) == {(1, None)}
    assert "column 2 has no name" in str(excinfo.value)


def test_a_broken_xlsx_is_a_data_error() -> None:
    with pytest.raises(DataError, match="not a valid XLSX"):
        load_table(b"not a zip file", "broken.xlsx")


def test_problem_text_names_row_and_column() -> None:
    assert str(Problem(5, "ri", "too big")) == "row 5, column ri: too big"
    assert str(Problem(None, "ri", "missing")) == "column ri: missing"
    assert str(Problem(None, None, "empty")) == "empty"


# --- files of any size, Parquet, and rows with problems ---------------------------------------


def test_without_limits_files_beyond_the_upload_limits_are_read() -> None:
    pad = "p" * (MAX_BYTES // 2 + 1)
    data = f"yi,vi,notes\n0.1,0.01,{pad}\n0.2,0.02,{pad}\n".encode()
    assert len(data) > MAX_BYTES
    with pytest.raises(DataError, match="limit is 20 MB"):
        load_table(data, "big.csv")
    assert len(load_table(data, "big.csv", max_bytes=None, max_rows=None)) == 2
    many = "yi,vi\n" + "0.1,0.01\n" * 12
    assert len(load_table(many.encode(), "rows.csv", max_rows=None)) == 12


def test_a_windows_1252_file_is_recognised_after_the_first_64_kb() -> None:
    text = "study,yi,vi\n" + "A,0.1,0.01\n" * 7000 + "Café,0.2,0.02\n"
    frame = load_table(text.encode("cp1252"), "ansi.csv")
    assert frame["study"].iloc[-1] == "Café"


def test_parquet_files_are_read_with_spreadsheet_row_numbers(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {"study": ["A", "A", "B"], "es": [1, 2, 1], "yi": [0.1, 0.2, 0.3], "vi": [0.01, 0.02, 0.03]}
    )
    path = tmp_path / "effects.parquet"
    table.to_parquet(path)
    frame = load_table(path)
    assert list(frame.index) == [2, 3, 4]
    prepared = prepare(frame, yi="yi", vi="vi", study="study", es_id="es")
    assert prepared.groups == {"study": ("A", "A", "B"), "es": ("1", "2", "1")}
    np.testing.assert_array_equal(prepared.yi, table["yi"])
    assert len(load_table(path.read_bytes(), "upload.parquet")) == 3
    with pytest.raises(DataError, match="cannot read the Parquet file"):
        load_table(b"not parquet", "broken.parquet")


BAD_ROWS = "study,yi,vi\nA,0.1,0.01\nA,x,0.02\nB,0.3,-1\nB,0.2,0.02\nC,0.25,0.03\n"


def test_rows_with_problems_refuse_the_table_unless_they_may_be_left_out() -> None:
    frame = _csv(BAD_ROWS)
    with pytest.raises(DataError) as excinfo:
        prepare(frame, yi="yi", vi="vi", study="study")
    assert _problems(excinfo) == {(3, "yi"), (4, "vi")}
    prepared = prepare(frame, yi="yi", vi="vi", study="study", drop_invalid=True)
    assert prepared.rows == (2, 5, 6)
    assert prepared.dropped_rows == (3, 4)
    assert [str(p) for p in prepared.dropped] == [
        "row 3, column yi: 'x' is not a number",
        "row 4, column vi: -1: a sampling variance must be greater than 0",
    ]
    assert prepared.notes[0].startswith("2 rows with problems in their cells were left out")
    np.testing.assert_allclose(prepared.yi, [0.1, 0.2, 0.25])


def test_problems_of_the_whole_table_refuse_it_even_when_rows_may_be_left_out() -> None:
    frame = _csv("study,yi,vi\nA,0.1,0.01\nB,x,0.02\nA,0.2,0.02\n")
    with pytest.raises(DataError) as excinfo:
        prepare(frame, yi="yi", vi="vi", study="study", drop_invalid=True)
    # without row 3 only study A is left
    assert _problems(excinfo) == {(3, "yi"), (None, "study")}
    with pytest.raises(DataError) as excinfo:
        prepare(_csv(GOOD), yi="effect", vi="var", drop_invalid=True)
    assert _problems(excinfo) == {(None, "effect"), (None, "var")}


def test_a_csv_line_with_too_many_fields_is_named_and_later_rows_keep_their_numbers() -> None:
    frame = _csv("study,yi,vi\nA,0.1,0.01\nB,0.2,0.02,extra\n\nC,0.3,0.03\nD,0.4,0.04\n")
    assert list(frame.index) == [2, 5, 6]
    with pytest.raises(DataError) as excinfo:
        prepare(frame, yi="yi", vi="vi", study="study")
    assert [str(p) for p in excinfo.value.problems] == [
        "row 3: 4 fields where the header has 3; the values cannot be matched to the columns"
    ]
    prepared = prepare(frame, yi="yi", vi="vi", study="study", drop_invalid=True)
    assert prepared.rows == (2, 5, 6)
    assert prepared.dropped_rows == (3,)
