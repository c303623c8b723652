"""Reading a researcher's effect-size table (CSV or XLSX) into validated arrays.

Two steps, both usable from the command line and from the web upload page:

* :func:`load_table` reads a CSV (comma, semicolon or tab separated; UTF-8 or Windows-1252;
  a semicolon file is read with decimal commas, as Excel writes it in Dutch locales) or an
  XLSX workbook (first sheet) into a :class:`pandas.DataFrame`. Files larger than
  :data:`MAX_BYTES` or with more than :data:`MAX_ROWS` data rows are refused before any
  statistics run. Blank lines are dropped, but every row keeps its spreadsheet number: the
  frame's index holds it (header = row 1, first data row = row 2).
* :func:`prepare` checks the columns the analysis needs and returns :class:`PreparedData`
  (effect sizes, sampling variances, labels, groupings and the moderator design matrix).
  It collects *all* problems before failing, so a researcher can fix a file in one go: a
  :class:`DataError` carries a list of :class:`Problem` (row, column, message).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from yim.stats.meta.design import design_matrix
from yim.stats.meta.errors import DesignError, MetaAnalysisError

FloatArray = NDArray[np.float64]

MAX_BYTES = 20 * 1024 * 1024
"""Largest accepted upload (20 MB)."""
MAX_ROWS = 200_000
"""Largest accepted number of data rows."""
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
"""An XLSX is a zip archive; refuse archives that unpack to more than this (zip bombs)."""

MEASURES = ("ZCOR", "COR")
_NA_VALUES = ["", "NA", "N/A", "#N/A", "NaN", "nan", "NULL", "null"]
_ROW_INDEX_NAME = "row"
_IDENTIFIER = re.compile(r"[A-Za-z_.][A-Za-z0-9_.]*")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input; ``row`` is the 1-based spreadsheet row (header = 1)."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class DataError(MetaAnalysisError):
    """The table cannot be analysed; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        shown = [str(p) for p in self.problems[:20]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more problems")
        super().__init__("; ".join(shown) if shown else "the data cannot be analysed")


# --- reading ------------------------------------------------------------------------------------


def _read_source(source: str | Path | bytes, max_bytes: int) -> tuple[bytes, str | None]:
    if isinstance(source, bytes):
        data, name = source, None
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError([Problem(None, None, f"file {str(path)!r} does not exist")])
        size = path.stat().st_size
        if size > max_bytes:
            raise DataError([Problem(None, None, _too_large(size, max_bytes))])
        data, name = path.read_bytes(), path.name
    if len(data) > max_bytes:
        raise DataError([Problem(None, None, _too_large(len(data), max_bytes))])
    return data, name


def _too_large(size: int, limit: int) -> str:
    return (
        f"the file is {size / 1024 / 1024:.1f} MB; the limit is {limit / 1024 / 1024:.0f} MB "
        "(split the data or remove unused columns)"
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in the ANSI code page; cp1252 covers Dutch and English
        return data.decode("cp1252", errors="replace")


def _read_csv(data: bytes, max_rows: int) -> pd.DataFrame:
    text = _decode(data)
    if not text.strip():
        raise DataError([Problem(None, None, "the file is empty")])
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=",;\t")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        # pandas renames repeated column names ("a", "a.1"); read the header as it is written
        header = pd.read_csv(io.StringIO(text), sep=sep, header=None, nrows=1, dtype=str)
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            decimal="," if sep == ";" else ".",
            skip_blank_lines=False,
            keep_default_na=False,
            na_values=_NA_VALUES,
            nrows=max_rows + 1,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError([Problem(None, None, f"cannot read the CSV file: {exc}")]) from exc
    return _with_header(frame, header)


def _with_header(frame: pd.DataFrame, header: pd.DataFrame) -> pd.DataFrame:
    names = ["" if pd.isna(v) else str(v) for v in header.iloc[0].tolist()] if len(header) else []
    if len(names) == frame.shape[1]:
        frame.columns = pd.Index(names)
    return frame


def _read_xlsx(data: bytes, max_rows: int) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise DataError([Problem(None, None, "the file is not a valid XLSX workbook")]) from exc
    if unpacked > MAX_XLSX_UNCOMPRESSED:
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
            io.BytesIO(data), engine="openpyxl", sheet_name=0, header=None, nrows=1, dtype=str
        )
        frame = pd.read_excel(
            io.BytesIO(data),
            engine="openpyxl",
            sheet_name=0,
            keep_default_na=False,
            na_values=_NA_VALUES,
            nrows=max_rows + 1,
        )
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
        raise DataError([Problem(None, None, f"cannot read the XLSX workbook: {exc}")]) from exc
    return _with_header(frame, header)


def load_table(
    source: str | Path | bytes,
    filename: str | None = None,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> pd.DataFrame:
    """Read a CSV or XLSX file (a path, or the uploaded bytes plus their ``filename``).

    The format follows the file name's extension (.csv, .tsv, .txt or .xlsx). The returned
    frame's index is the spreadsheet row number of each data row, so messages from
    :func:`prepare` point at the row the researcher sees in Excel.
    """
    data, path_name = _read_source(source, max_bytes)
    name = filename or path_name
    if name is None:
        raise DataError([Problem(None, None, "give the file name so the format can be told")])
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        frame = _read_csv(data, max_rows)
    elif suffix == ".xlsx":
        frame = _read_xlsx(data, max_rows)
    else:
        raise DataError(
            [Problem(None, None, f"unsupported file type {suffix or name!r}; use .csv or .xlsx")]
        )
    frame.columns = pd.Index([str(c).strip() for c in frame.columns])
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
    frame.index = pd.RangeIndex(2, 2 + len(frame), name=_ROW_INDEX_NAME)
    if len(frame) > max_rows:
        raise DataError(
            [Problem(None, None, f"the table has more than {max_rows:,} data rows; too large")]
        )
    frame = frame.dropna(how="all")
    if frame.empty:
        raise DataError([Problem(None, None, "the table has no data rows")])
    return frame


# --- validation ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PreparedData:
    """Validated input of a meta-analysis, ready for :func:`yim.stats.meta.report.fit_from_options`.

    ``yi``/``vi`` are on the analysis scale (Fisher's z for ZCOR). ``rows`` are the spreadsheet
    row numbers; ``labels`` name each effect size in plots; ``groups`` holds the grouping
    columns named in ``random`` (outer to inner); ``frame`` is the clean data (positional
    index) with the original columns plus ``yi`` and ``vi``.
    """

    yi: FloatArray
    vi: FloatArray
    measure: str  # "ZCOR", "COR" or "GEN" (yi and vi given directly)
    rows: tuple[int, ...]
    labels: tuple[str, ...]
    study: tuple[str, ...] | None
    random: str | None
    groups: dict[str, tuple[str, ...]]
    mods: str | None
    X: FloatArray
    coef_names: tuple[str, ...]
    frame: pd.DataFrame
    columns: dict[str, str] = field(default_factory=dict)  # role -> column name
    notes: tuple[str, ...] = ()

    @property
    def k(self) -> int:
        return int(self.yi.shape[0])

    @property
    def n_studies(self) -> int | None:
        return None if self.study is None else len(set(self.study))


def _row_numbers(df: pd.DataFrame) -> NDArray[np.int64]:
    if df.index.name == _ROW_INDEX_NAME and pd.api.types.is_integer_dtype(df.index):
        return np.asarray(df.index, dtype=np.int64)
    return np.arange(2, 2 + len(df), dtype=np.int64)


def _label(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _numeric(
    df: pd.DataFrame, column: str, rows: NDArray[np.int64], problems: list[Problem]
) -> FloatArray:
    """The column as floats; records empty, non-numeric and infinite cells as problems."""
    raw = df[column]
    values = np.asarray(
        pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan),
        dtype=np.float64,
    )
    empty = raw.isna().to_numpy() | raw.astype(str).str.strip().eq("").to_numpy()
    for i in np.flatnonzero(empty):
        problems.append(Problem(int(rows[i]), column, "empty cell; a number is needed"))
    for i in np.flatnonzero(~empty & np.isnan(values)):
        problems.append(Problem(int(rows[i]), column, f"{raw.iloc[i]!r} is not a number"))
    for i in np.flatnonzero(np.isinf(values)):
        problems.append(Problem(int(rows[i]), column, "the value is not a finite number"))
    return values


def _labels(
    df: pd.DataFrame, column: str, rows: NDArray[np.int64], problems: list[Problem]
) -> tuple[str, ...]:
    raw = df[column]
    out = tuple("" if pd.isna(v) else _label(v) for v in raw)
    for i, text in enumerate(out):
        if text == "":
            problems.append(Problem(int(rows[i]), column, "empty cell; a group label is needed"))
    return out


def _check_rule(
    values: FloatArray,
    bad: NDArray[np.bool_],
    column: str,
    rows: NDArray[np.int64],
    rule: str,
    problems: list[Problem],
) -> None:
    for i in np.flatnonzero(bad & np.isfinite(values)):
        problems.append(Problem(int(rows[i]), column, f"{values[i]:g}: {rule}"))


def moderator_columns(mods: str) -> list[str]:
    """Column names used in an R-like right-hand side such as ``"factor(type) + year"``."""
    names = []
    for match in _IDENTIFIER.finditer(mods):
        word = match.group(0)
        after = mods[match.end() :].lstrip()
        if word in ("factor", "C") and after.startswith("("):
            continue
        if word not in names:
            names.append(word)
    return names


def prepare(
    df: pd.DataFrame,
    *,
    yi: str | None = None,
    vi: str | None = None,
    r: str | None = None,
    n: str | None = None,
    measure: str = "ZCOR",
    study: str | None = None,
    es_id: str | None = None,
    random: str | None = None,
    mods: str | None = None,
) -> PreparedData:
    """Validate ``df`` for a meta-analysis and compute the effect sizes.

    Give either ``yi`` and ``vi`` (effect sizes and sampling variances) or ``r`` and ``n``
    (correlations and sample sizes, converted with ``measure`` "ZCOR", Fisher's z with
    v = 1/(n − 3), or "COR", raw r with v = (1 − r²)²/(n − 1)). ``study`` labels the studies;
    ``es_id`` identifies effect sizes within a study. ``random`` is the nesting of a multilevel
    model ("study/es_id"); when it is not given but ``es_id`` is, the nesting is
    ``study/es_id``. ``mods`` is a moderator formula's right-hand side ("factor(domain) + age").

    Raises :class:`DataError` listing every problem found.
    """
    problems: list[Problem] = []
    present = ", ".join(map(str, df.columns))
    direct = yi is not None or vi is not None
    from_r = r is not None or n is not None
    measure_u = measure.upper()
    if (
        direct == from_r
        or (direct and (yi is None or vi is None))
        or (from_r and (r is None or n is None))
    ):
        raise DataError(
            [Problem(None, None, "give either yi and vi, or r and n (not both, not neither)")]
        )
    if from_r and measure_u not in MEASURES:
        raise DataError(
            [Problem(None, None, f"measure {measure!r} is not supported; use ZCOR or COR")]
        )
    if random is None and es_id is not None:
        if study is None:
            raise DataError([Problem(None, None, "es_id needs study (the level above it)")])
        random = f"{study}/{es_id}"
    random_cols: list[str] = []
    if random is not None:
        text = random.split("|", 1)[1] if "|" in random else random
        random_cols = [c.strip() for c in text.split("/")]
        if any(not c for c in random_cols):
            raise DataError([Problem(None, None, f"cannot read the nesting {random!r}")])
        random = "/".join(random_cols)
    mod_cols = moderator_columns(mods) if mods and mods.strip() else []

    roles: dict[str, str] = {}
    for role, col in (
        ("yi", yi),
        ("vi", vi),
        ("r", r),
        ("n", n),
        ("study", study),
        ("es_id", es_id),
    ):
        if col is not None:
            roles[role] = col
    for i, col in enumerate(random_cols):
        roles.setdefault(f"level{i + 1}", col)
    for col in mod_cols:
        roles.setdefault(f"moderator {col}", col)
    for role, col in roles.items():
        if col not in df.columns:
            problems.append(
                Problem(
                    None, col, f"column {col!r} ({role}) is not in the data; columns: {present}"
                )
            )
    if problems:
        raise DataError(problems)

    rows = _row_numbers(df)
    k = len(df)
    if direct:
        assert yi is not None and vi is not None
        y = _numeric(df, yi, rows, problems)
        v = _numeric(df, vi, rows, problems)
        _check_rule(v, v <= 0, vi, rows, "a sampling variance must be greater than 0", problems)
        kind = "GEN"
    else:
        assert r is not None and n is not None
        rr = _numeric(df, r, rows, problems)
        nn = _numeric(df, n, rows, problems)
        _check_rule(
            rr,
            np.abs(rr) >= 1,
            r,
            rows,
            "a correlation must lie strictly between -1 and 1",
            problems,
        )
        if measure_u == "ZCOR":
            _check_rule(nn, nn <= 3, n, rows, "Fisher's z needs a sample size above 3", problems)
        else:
            _check_rule(
                nn, nn <= 1, n, rows, "the variance of r needs a sample size above 1", problems
            )
        ok = np.isfinite(rr) & np.isfinite(nn) & (np.abs(rr) < 1) & (nn > 3)
        with np.errstate(all="ignore"):
            if measure_u == "ZCOR":
                y = np.where(ok, np.arctanh(np.where(ok, rr, 0.0)), np.nan)
                v = np.where(ok, 1.0 / np.where(ok, nn - 3.0, 1.0), np.nan)
            else:
                y = rr.copy()
                v = np.where(nn > 1, (1.0 - rr**2) ** 2 / np.where(nn > 1, nn - 1.0, 1.0), np.nan)
        kind = measure_u

    study_labels = _labels(df, study, rows, problems) if study is not None else None
    groups = {col: _labels(df, col, rows, problems) for col in random_cols}
    if study_labels is not None and k > 0 and len(set(study_labels) - {""}) == 1:
        problems.append(
            Problem(
                None,
                study,
                f"every row belongs to one study ({study_labels[0]!r}); a meta-analysis needs "
                "at least two studies",
            )
        )
    if random_cols and study != random_cols[0] and len(set(groups[random_cols[0]]) - {""}) == 1:
        problems.append(
            Problem(None, random_cols[0], "the outermost level has a single group; it needs two")
        )
    if k < 2:
        problems.append(
            Problem(None, None, f"the table has {k} effect size; at least 2 are needed")
        )

    for col in mod_cols:
        series = df[col]
        empty = series.isna().to_numpy() | series.astype(str).str.strip().eq("").to_numpy()
        for pos in np.flatnonzero(empty):
            problems.append(Problem(int(rows[pos]), col, "empty cell in a moderator column"))
        levels = series[~empty].unique()
        if len(levels) == 1:
            problems.append(
                Problem(
                    None,
                    col,
                    f"the moderator has one level ({_label(levels[0])!r}) in every row; it "
                    "cannot explain differences between effect sizes",
                )
            )
    if problems:
        raise DataError(problems)

    clean = df.reset_index(drop=True).copy()
    for col in mod_cols:
        if clean[col].dtype == object or pd.api.types.is_string_dtype(clean[col]):
            clean[col] = clean[col].astype(str).str.strip()
    clean["yi"] = y
    clean["vi"] = v
    try:
        X, names = design_matrix(clean, mods, intercept=True)
    except DesignError as exc:
        raise DataError([Problem(None, None, f"moderators: {exc}")]) from exc
    if X.shape[1] >= k:
        raise DataError(
            [Problem(None, None, f"{X.shape[1]} coefficients cannot be estimated from {k} rows")]
        )

    if study_labels is not None:
        if es_id is not None:
            ids = _labels(df, es_id, rows, [])
            labels = tuple(f"{s}, {e}" for s, e in zip(study_labels, ids, strict=True))
        else:
            labels = study_labels
    elif groups:
        labels = tuple(
            " / ".join(f"{col} {groups[col][i]}" for col in random_cols) for i in range(k)
        )
    else:
        labels = tuple(f"Row {int(rw)}" for rw in rows)
    notes: list[str] = []
    if study_labels is not None and random is None and len(set(study_labels)) < k:
        notes.append(
            f"Some studies contribute several effect sizes ({k} effect sizes from "
            f"{len(set(study_labels))} studies) but the model treats them as independent; "
            "consider a multilevel model (es_id or random)."
        )
    return PreparedData(
        yi=_readonly(y),
        vi=_readonly(v),
        measure=kind,
        rows=tuple(int(rw) for rw in rows),
        labels=labels,
        study=study_labels,
        random=random,
        groups=groups,
        mods=mods if mod_cols else None,
        X=_readonly(X),
        coef_names=tuple(names),
        frame=clean,
        columns=roles,
        notes=tuple(notes),
    )


def _readonly(values: FloatArray) -> FloatArray:
    arr = np.array(values, dtype=np.float64, copy=True)
    arr.setflags(write=False)
    return arr


__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "DataError",
    "PreparedData",
    "Problem",
    "load_table",
    "moderator_columns",
    "prepare",
]
