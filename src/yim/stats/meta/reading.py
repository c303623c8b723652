"""Reading a researcher's effect-size table (CSV, XLSX or Parquet) into a data frame.

:func:`load_table` reads a CSV (comma, semicolon or tab separated; UTF-8 or Windows-1252; a
semicolon file is read with decimal commas, as Excel writes it in Dutch locales), an XLSX
workbook (first sheet) or a Parquet file into a :class:`pandas.DataFrame`. Blank lines are
dropped, but every row keeps its spreadsheet number: the frame's index holds it (header =
row 1, first data row = row 2; a Parquet file is numbered the same way).

Limits: web uploads are refused above :data:`MAX_BYTES` or :data:`MAX_ROWS` before any
statistics run (the defaults); the command line passes ``max_bytes=None, max_rows=None`` and
reads files of any size. An XLSX is a zip archive, so an upload that unpacks to more than
:data:`MAX_XLSX_UNCOMPRESSED` is refused as well.

A CSV line with more fields than the header cannot be matched to the columns. Such lines are
left out of the frame and listed, row by row, in ``frame.attrs["yim_problems"]``;
:func:`yim.stats.meta.dataset.prepare` refuses the table because of them unless it is asked
to leave bad rows out.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from yim.stats.meta.problems import DataError, Problem

MAX_BYTES = 20 * 1024 * 1024
"""Largest accepted upload (20 MB)."""
MAX_ROWS = 200_000
"""Largest accepted number of data rows in an upload."""
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
"""An uploaded XLSX is a zip archive; refuse archives that unpack to more than this."""

PROBLEMS_ATTR = "yim_problems"
"""Key in ``frame.attrs`` of the rows that could not be read (a tuple of :class:`Problem`)."""

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx",)
PARQUET_SUFFIXES = (".parquet", ".pq")

_NA_VALUES = ["", "NA", "N/A", "#N/A", "NaN", "nan", "NULL", "null"]
ROW_INDEX_NAME = "row"
_EXPECTED = re.compile(r"Expected (\d+) fields")


def _too_large(size: int, limit: int) -> str:
    return (
        f"the file is {size / 1024 / 1024:.1f} MB; the limit is {limit / 1024 / 1024:.0f} MB "
        "(split the data or remove unused columns)"
    )


def _source(source: str | Path | bytes, max_bytes: int | None) -> tuple[bytes | Path, str | None]:
    """The bytes of an upload, or the path of a file on disk (read by the parsers directly)."""
    if isinstance(source, bytes):
        if max_bytes is not None and len(source) > max_bytes:
            raise DataError([Problem(None, None, _too_large(len(source), max_bytes))])
        return source, None
    path = Path(source)
    if not path.is_file():
        raise DataError([Problem(None, None, f"file {str(path)!r} does not exist")])
    size = path.stat().st_size
    if max_bytes is not None:
        if size > max_bytes:
            raise DataError([Problem(None, None, _too_large(size, max_bytes))])
        return path.read_bytes(), path.name
    return path, path.name


def _open(data: bytes | Path) -> Any:
    return io.BytesIO(data) if isinstance(data, bytes) else data


def _head(data: bytes | Path, size: int = 65536) -> bytes:
    if isinstance(data, bytes):
        return data[:size]
    with data.open("rb") as handle:
        return handle.read(size)


def _read_csv(data: bytes | Path, max_rows: int | None) -> pd.DataFrame:
    head = _head(data)
    if not head.strip():
        raise DataError([Problem(None, None, "the file is empty")])
    # Excel on Windows saves "CSV" in the ANSI code page; cp1252 covers Dutch and English
    encoding = "utf-8-sig" if _is_utf8(data) else "cp1252"
    sample = head.decode(encoding, errors="ignore")
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        sep = ","
    options: dict[str, Any] = {
        "sep": sep,
        "decimal": "," if sep == ";" else ".",
        "skip_blank_lines": False,
        "keep_default_na": False,
        "na_values": _NA_VALUES,
        "nrows": None if max_rows is None else max_rows + 1,
        "encoding": encoding,
        "encoding_errors": "replace",
        "low_memory": False,  # one type per column, not one per chunk of rows
    }
    try:
        # pandas renames repeated column names ("a", "a.1"); read the header as it is written
        header = pd.read_csv(
            _open(data),
            sep=sep,
            header=None,
            nrows=1,
            dtype=str,
            encoding=encoding,
            encoding_errors="replace",
        )
        try:
            frame = pd.read_csv(_open(data), **options)
            malformed: list[Problem] = []
        except pd.errors.ParserError as exc:
            if _EXPECTED.search(str(exc)) is None:
                raise
            malformed = _malformed_rows(data, sep, encoding, header.shape[1])
            frame = pd.read_csv(_open(data), on_bad_lines="skip", **options)
    except (pd.errors.ParserError, ValueError, UnicodeError) as exc:
        raise DataError([Problem(None, None, f"cannot read the CSV file: {exc}")]) from exc
    frame = _with_header(frame, header)
    if malformed:
        bad = {p.row for p in malformed}
        numbers = (n for n in range(2, 2 + len(frame) + len(bad)) if n not in bad)
        frame.index = pd.Index(
            np.fromiter(numbers, dtype=np.int64, count=len(frame)), name=ROW_INDEX_NAME
        )
        frame.attrs[PROBLEMS_ATTR] = tuple(malformed)
    return frame


def _is_utf8(data: bytes | Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        if isinstance(data, bytes):
            decoder.decode(data, final=True)
            return True
        with data.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _malformed_rows(data: bytes | Path, sep: str, encoding: str, expected: int) -> list[Problem]:
    """Every record with more fields than the header, by its spreadsheet row (record number,
    blank lines included, as the CSV parser counts them)."""
    if isinstance(data, bytes):
        text: Any = io.StringIO(data.decode(encoding, errors="replace"), newline="")
    else:
        text = data.open(encoding=encoding, errors="replace", newline="")
    problems = []
    with text:
        for number, record in enumerate(csv.reader(text, delimiter=sep), start=1):
            if len(record) > expected:
                problems.append(
                    Problem(
                        number,
                        None,
                        f"{len(record)} fields where the header has {expected}; the values "
                        "cannot be matched to the columns",
                    )
                )
    return problems


def _with_header(frame: pd.DataFrame, header: pd.DataFrame) -> pd.DataFrame:
    names = ["" if pd.isna(v) else str(v) for v in header.iloc[0].tolist()] if len(header) else []
    if len(names) == frame.shape[1]:
        frame.columns = pd.Index(names)
    return frame


def _read_xlsx(data: bytes | Path, max_rows: int | None, max_unpacked: int | None) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(_open(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise DataError([Problem(None, None, "the file is not a valid XLSX workbook")]) from exc
    if max_unpacked is not None and unpacked > max_unpacked:
        raise DataError(
            [
                Problem(
                    None,
                    None,
                    f"the workbook unpacks to {unpacked / 1024 / 1024:.0f} MB; too large",
                )
            ]
        )
    try:
        header = pd.read_excel(
            _open(data), engine="openpyxl", sheet_name=0, header=None, nrows=1, dtype=str
        )
        frame = pd.read_excel(
            _open(data),
            engine="openpyxl",
            sheet_name=0,
            keep_default_na=False,
            na_values=_NA_VALUES,
            nrows=None if max_rows is None else max_rows + 1,
        )
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
        raise DataError([Problem(None, None, f"cannot read the XLSX workbook: {exc}")]) from exc
    return _with_header(frame, header)


def _read_parquet(data: bytes | Path, max_rows: int | None) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(_open(data), engine="pyarrow")
    except (ValueError, OSError, ImportError) as exc:
        raise DataError([Problem(None, None, f"cannot read the Parquet file: {exc}")]) from exc
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()  # an index written with the data is a column of it
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype(object)
    if max_rows is not None:
        frame = frame.iloc[: max_rows + 1]
    return frame


def _read_frame(
    source: str | Path | bytes, filename: str | None, max_bytes: int | None, max_rows: int | None
) -> pd.DataFrame:
    """The file's table as read, its column names stripped (no checks of the content yet)."""
    data, path_name = _source(source, max_bytes)
    name = filename or path_name
    if name is None:
        raise DataError([Problem(None, None, "give the file name so the format can be told")])
    suffix = Path(name).suffix.lower()
    if suffix in CSV_SUFFIXES:
        frame = _read_csv(data, max_rows)
    elif suffix in XLSX_SUFFIXES:
        frame = _read_xlsx(data, max_rows, None if max_bytes is None else MAX_XLSX_UNCOMPRESSED)
    elif suffix in PARQUET_SUFFIXES:
        frame = _read_parquet(data, max_rows)
    else:
        raise DataError(
            [
                Problem(
                    None,
                    None,
                    f"unsupported file type {suffix or name!r}; use .csv, .xlsx or .parquet",
                )
            ]
        )
    frame.columns = pd.Index([str(c).strip() for c in frame.columns])
    return frame


def column_names(
    source: str | Path | bytes, filename: str | None = None, *, max_bytes: int | None = MAX_BYTES
) -> list[str]:
    """The names in a table file's header, read without the rows below the first (a page
    offers them to choose from); the same formats and limits as :func:`load_table`."""
    frame = _read_frame(source, filename, max_bytes, max_rows=1)
    return [c for c in frame.columns if c and not c.startswith("Unnamed: ")]


def load_table(
    source: str | Path | bytes,
    filename: str | None = None,
    *,
    max_bytes: int | None = MAX_BYTES,
    max_rows: int | None = MAX_ROWS,
) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet file (a path, or the uploaded bytes plus their ``filename``).

    The format follows the file name's extension (.csv, .tsv, .txt, .xlsx, .parquet or .pq).
    The returned frame's index is the spreadsheet row number of each data row, so messages
    from :func:`~yim.stats.meta.dataset.prepare` point at the row the researcher sees in
    Excel. ``max_bytes`` and ``max_rows`` (the upload limits by default) may be ``None``:
    no limit.
    """
    frame = _read_frame(source, filename, max_bytes, max_rows)
    problems = [
        Problem(1, str(c), "this column name occurs more than once in the header")
        for c in frame.columns[frame.columns.duplicated()].unique()
    ]
    problems += [
        Problem(1, None, f"column {i + 1} has no name in the header")
        for i, c in enumerate(frame.columns)
        if c == "" or c.startswith("Unnamed: ")
    ]
    if problems:
        raise DataError(problems)
    if frame.index.name != ROW_INDEX_NAME:
        frame.index = pd.RangeIndex(2, 2 + len(frame), name=ROW_INDEX_NAME)
    if max_rows is not None and len(frame) > max_rows:
        raise DataError(
            [Problem(None, None, f"the table has more than {max_rows:,} data rows; too large")]
        )
    malformed = frame.attrs.get(PROBLEMS_ATTR, ())
    frame = frame.dropna(how="all")
    if frame.empty and not malformed:
        raise DataError([Problem(None, None, "the table has no data rows")])
    frame.attrs[PROBLEMS_ATTR] = tuple(malformed)
    return frame


__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "MAX_XLSX_UNCOMPRESSED",
    "PROBLEMS_ATTR",
    "load_table",
]
