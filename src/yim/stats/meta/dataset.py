"""Validating a researcher's effect-size table into arrays a meta-analysis can use.

Two steps, both usable from the command line and from the web upload page:

* :func:`~yim.stats.meta.reading.load_table` (re-exported here) reads a CSV, XLSX or Parquet
  file into a :class:`pandas.DataFrame` whose index holds each row's spreadsheet number
  (header = row 1, first data row = row 2).
* :func:`prepare` checks the columns the analysis needs and returns :class:`PreparedData`
  (effect sizes, sampling variances, labels, groupings and the moderator design matrix).
  It collects *all* problems before failing, so a researcher can fix a file in one go: a
  :class:`DataError` carries a list of :class:`Problem` (row, column, message).

Bad rows: by default any problem refuses the table. With ``drop_invalid=True`` the rows
whose cells are unusable (not a number, empty, out of range, no group label, a CSV line with
too many fields) are left out, every one of them listed in ``PreparedData.dropped`` and
counted in a note; problems of the table as a whole (a missing column, a single study, a
moderator with one level, too few rows left) still refuse it. Leaving effect sizes out
changes the analysis, so it is never done unasked.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from yim.stats._arrays import readonly
from yim.stats.meta.design import design_matrix
from yim.stats.meta.errors import DesignError
from yim.stats.meta.problems import DataError, Problem
from yim.stats.meta.reading import (
    MAX_BYTES,
    MAX_ROWS,
    MAX_XLSX_UNCOMPRESSED,
    PROBLEMS_ATTR,
    ROW_INDEX_NAME,
    load_table,
)

FloatArray = NDArray[np.float64]

MEASURES = ("ZCOR", "COR")
_IDENTIFIER = re.compile(r"[A-Za-z_.][A-Za-z0-9_.]*")


# --- validation ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PreparedData:
    """Validated input of a meta-analysis, ready for
    :func:`yim.stats.meta.fitting.fit_from_options`.

    ``yi``/``vi`` are on the analysis scale (Fisher's z for ZCOR). ``rows`` are the spreadsheet
    row numbers; ``labels`` name each effect size in plots; ``groups`` holds the grouping
    columns named in ``random`` (outer to inner); ``frame`` is the clean data (positional
    index) with the original columns plus ``yi`` and ``vi``. ``dropped`` lists the rows left
    out because of their problems (only with ``prepare(..., drop_invalid=True)``).
    """

    yi: FloatArray
    vi: FloatArray
    measure: str  # "ZCOR", "COR" or "GEN" (yi and vi given directly)
    rows: tuple[int, ...]
    study: tuple[str, ...] | None
    random: str | None
    groups: dict[str, tuple[str, ...]]
    mods: str | None
    X: FloatArray
    coef_names: tuple[str, ...]
    frame: pd.DataFrame
    columns: dict[str, str] = field(default_factory=dict)  # role -> column name
    notes: tuple[str, ...] = ()
    dropped: tuple[Problem, ...] = ()
    es_labels: tuple[str, ...] | None = None  # the es_id column's labels, when given

    @property
    def k(self) -> int:
        return int(self.yi.shape[0])

    @cached_property
    def n_studies(self) -> int | None:
        return None if self.study is None else len(set(self.study))

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """A name per effect size: "study, es_id", the study, the groups, or "Row N"."""
        if self.study is not None:
            if self.es_labels is not None:
                return tuple(f"{s}, {e}" for s, e in zip(self.study, self.es_labels, strict=True))
            return self.study
        if self.groups:
            cols = list(self.groups)
            return tuple(
                " / ".join(f"{col} {self.groups[col][i]}" for col in cols) for i in range(self.k)
            )
        return tuple(f"Row {rw}" for rw in self.rows)

    @property
    def dropped_rows(self) -> tuple[int, ...]:
        """The spreadsheet rows left out, each once, in order."""
        return tuple(sorted({p.row for p in self.dropped if p.row is not None}))


def _row_numbers(df: pd.DataFrame) -> NDArray[np.int64]:
    if df.index.name == ROW_INDEX_NAME and pd.api.types.is_integer_dtype(df.index):
        return np.asarray(df.index, dtype=np.int64)
    return np.arange(2, 2 + len(df), dtype=np.int64)


def _label(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series.dtype))


def _numeric(
    df: pd.DataFrame, column: str, rows: NDArray[np.int64], problems: list[Problem]
) -> FloatArray:
    """The column as floats; records empty, non-numeric and infinite cells as problems."""
    raw = df[column]
    if _is_numeric(raw):
        values = np.asarray(raw.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
        empty = np.isnan(values)
    else:
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


def _label_list(series: pd.Series) -> list[str]:
    """Each cell as a label: integral numbers without ".0", text stripped, "" when empty."""
    dtype = series.dtype
    if pd.api.types.is_integer_dtype(dtype) and not series.hasnans:
        return list(map(str, series.to_numpy().tolist()))
    if pd.api.types.is_float_dtype(dtype):
        arr = series.to_numpy(dtype=np.float64, na_value=np.nan)
        out = np.full(arr.shape[0], "", dtype=object)
        whole = np.isfinite(arr) & (np.abs(arr) < 2.0**53)
        whole &= arr == np.floor(np.where(whole, arr, 0.0))
        out[whole] = list(map(str, arr[whole].astype(np.int64).tolist()))
        rest = np.flatnonzero(~whole & ~np.isnan(arr))
        out[rest] = [_label(float(arr[i])) for i in rest]
        return list(out.tolist())
    if pd.api.types.is_string_dtype(dtype):
        stripped = series.str.strip()
        if isinstance(dtype, pd.StringDtype) or pd.api.types.is_string_dtype(stripped):
            return list(stripped.fillna("").tolist())
    return ["" if pd.isna(v) else _label(v) for v in series.tolist()]


def _labels(
    df: pd.DataFrame,
    column: str,
    rows: NDArray[np.int64],
    problems: list[Problem],
    cache: dict[str, tuple[str, ...]],
) -> tuple[str, ...]:
    if column not in cache:
        values = _label_list(df[column])
        for i in np.flatnonzero(np.asarray(values, dtype=object) == ""):
            problems.append(Problem(int(rows[i]), column, "empty cell; a group label is needed"))
        cache[column] = tuple(values)
    return cache[column]


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


def nesting_columns(random: str) -> list[str]:
    """The columns of a nesting, outer to inner: ``"study/es_id"`` or R's
    ``"~ 1 | study/es_id"``; a :class:`DataError` if a level is empty."""
    text = random.split("|", 1)[1] if "|" in random else random
    columns = [c.strip() for c in text.split("/")]
    if any(not c for c in columns):
        raise DataError([Problem(None, None, f"cannot read the nesting {random!r}")])
    return columns


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
    drop_invalid: bool = False,
) -> PreparedData:
    """Validate ``df`` for a meta-analysis and compute the effect sizes.

    Give either ``yi`` and ``vi`` (effect sizes and sampling variances) or ``r`` and ``n``
    (correlations and sample sizes, converted with ``measure`` "ZCOR", Fisher's z with
    v = 1/(n − 3), or "COR", raw r with v = (1 − r²)²/(n − 1)). ``study`` labels the studies;
    ``es_id`` identifies effect sizes within a study. ``random`` is the nesting of a multilevel
    model ("study/es_id"); when it is not given but ``es_id`` is, the nesting is
    ``study/es_id``. ``mods`` is a moderator formula's right-hand side ("factor(domain) + age").

    Raises :class:`DataError` listing every problem found. With ``drop_invalid`` the rows
    with a problem of their own are left out instead (see the module docstring).
    """
    options = {
        "yi": yi,
        "vi": vi,
        "r": r,
        "n": n,
        "measure": measure,
        "study": study,
        "es_id": es_id,
        "random": random,
        "mods": mods,
    }
    unreadable: tuple[Problem, ...] = tuple(df.attrs.get(PROBLEMS_ATTR, ()))
    try:
        prepared = _prepare(df, unreadable, **options)  # type: ignore[arg-type]
    except DataError as exc:
        bad = exc.cell_problems
        if not drop_invalid or not bad:
            raise
        bad_rows = {p.row for p in bad}
        keep = ~np.isin(_row_numbers(df), np.fromiter(bad_rows, dtype=np.int64))
        if not keep.any():
            nothing = Problem(None, None, "every row has a problem; no data is left")
            raise DataError([*bad, nothing]) from exc
        try:
            prepared = _prepare(df[keep], (), **options)  # type: ignore[arg-type]
        except DataError as again:
            raise DataError([*bad, *again.problems]) from again
        n_bad = len(bad_rows)
        note = (
            f"{n_bad} row{'s' if n_bad != 1 else ''} with problems in their cells "
            f"{'were' if n_bad != 1 else 'was'} left out (listed with the data); "
            f"{prepared.k} effect sizes are analysed."
        )
        return dataclasses.replace(prepared, dropped=bad, notes=(note, *prepared.notes))
    return prepared


def _prepare(
    df: pd.DataFrame,
    unreadable: tuple[Problem, ...],
    *,
    yi: str | None,
    vi: str | None,
    r: str | None,
    n: str | None,
    measure: str,
    study: str | None,
    es_id: str | None,
    random: str | None,
    mods: str | None,
) -> PreparedData:
    problems: list[Problem] = list(unreadable)
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
        random_cols = nesting_columns(random)
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
    missing = [
        Problem(None, col, f"column {col!r} ({role}) is not in the data; columns: {present}")
        for role, col in roles.items()
        if col not in df.columns
    ]
    if missing:
        raise DataError(missing)

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

    cache: dict[str, tuple[str, ...]] = {}
    study_labels = _labels(df, study, rows, problems, cache) if study is not None else None
    groups = {col: _labels(df, col, rows, problems, cache) for col in random_cols}
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
        empty = series.isna().to_numpy()
        if not _is_numeric(series):
            empty = empty | series.astype(str).str.strip().eq("").to_numpy()
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
        raise DataError(list(dict.fromkeys(problems)))

    clean = df.reset_index(drop=True).copy()
    clean.attrs = {}
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

    es_labels = None
    if study_labels is not None and es_id is not None:
        es_labels = _labels(df, es_id, rows, [], cache)
    notes: list[str] = []
    if study_labels is not None and random is None:
        n_studies = len(set(study_labels))
        if n_studies < k:
            notes.append(
                f"Some studies contribute several effect sizes ({k} effect sizes from "
                f"{n_studies} studies) but the model treats them as independent; "
                "consider a multilevel model (es_id or random)."
            )
    return PreparedData(
        yi=readonly(y),
        vi=readonly(v),
        measure=kind,
        rows=tuple(rows.tolist()),
        study=study_labels,
        random=random,
        groups=groups,
        mods=mods if mod_cols else None,
        X=readonly(X),
        coef_names=tuple(names),
        frame=clean,
        columns=roles,
        notes=tuple(notes),
        es_labels=es_labels,
    )


__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "MAX_XLSX_UNCOMPRESSED",
    "MEASURES",
    "DataError",
    "PreparedData",
    "Problem",
    "load_table",
    "moderator_columns",
    "nesting_columns",
    "prepare",
]
