"""Where a comparison study's frame comes from (docs/evidence.md, "Comparison studies"):
the registry (:func:`comparison_frame`: JIM-cohort against comparison-cohort trajectories of a
scope, :func:`compare_registry`) and an uploaded CSV/XLSX (:func:`read_comparison_file`: bad
rows are reported by row number and nothing is used). The analysis itself is
:func:`yim.research.evidence.comparison_study.compare_frame`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from django.utils.translation import gettext as _

from yim.research.evidence import DEFAULT_THRESHOLD
from yim.research.evidence.comparison_study import (
    MIN_GROUP,
    ComparisonError,
    ComparisonResult,
    compare_frame,
    problem_rows,
)
from yim.research.evidence.moderator_frame import intake_risk_scores
from yim.stats.meta.problems import DataError
from yim.stats.meta.reading import MAX_BYTES, load_table

#: The registry's covariates and outcomes (columns of :func:`comparison_frame`).
REGISTRY_COVARIATES = ("age", "gender", "intake_risk", "programme")
AMBULATORY, PLACED = "ambulatory_at_closure", "placement_realised"
REGISTRY_OUTCOMES = (AMBULATORY, PLACED)
#: Words accepted for yes and no in an outcome column of a file.
_YES = frozenset({"1", "1.0", "true", "yes", "ja", "y", "j"})
_NO = frozenset({"0", "0.0", "false", "no", "nee", "n"})
#: The largest uploaded file (rows); the bytes limit is the upload limit of the readers.
MAX_FILE_ROWS = 20_000


# --- from the registry ------------------------------------------------------------------


def _age(born: dt.date | None, on: dt.date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def both_cohorts(scope: Any) -> Any:
    """The JIM-cohort and comparison-cohort trajectories of a scope referred by ``as_of``
    (the filters of :func:`~yim.research.evidence.definitions.cohort`, both cohorts)."""
    from yim.trajectories.models import Trajectory

    trajectories = Trajectory.objects.filter(referred_on__lte=scope.as_of)
    for field, lookup in (
        ("team_id", "team_id"),
        ("organisation_id", "team__organisation_id"),
        ("professional_id", "professional_id"),
        ("programme_id", "programme_id"),
    ):
        value = getattr(scope, field)
        if value is not None:
            trajectories = trajectories.filter(**{lookup: value})
    if scope.referred_from is not None:
        trajectories = trajectories.filter(referred_on__gte=scope.referred_from)
    return trajectories


def comparison_frame(scope: Any) -> pd.DataFrame:
    """One row per trajectory of either cohort of the scope (a fixed few queries): ``unit``,
    ``treated`` (the JIM cohort), the covariates age at referral (years), gender, risk at
    intake (the mean domain score of the first risk assessment) and programme, and the
    outcomes ``ambulatory_at_closure`` (closed by ``as_of`` without a realised placement
    between referral and closure; missing while open) and ``placement_realised`` (a realised
    placement between referral and closure, or ``as_of`` while open)."""
    from yim.trajectories.models import Cohort
    from yim.trajectories.models import PlacementEpisode as EpisodeRecord

    trajectories = both_cohorts(scope)
    rows = list(
        trajectories.order_by("pk").values_list(
            "pk", "cohort", "referred_on", "closure__closed_on", "youth__date_of_birth",
            "youth__gender", "programme__code",
        )
    )  # fmt: skip
    starts: dict[int, list[dt.date]] = {}
    for unit, started in (
        EpisodeRecord.objects.realised()
        .filter(trajectory__in=trajectories, started_on__lte=scope.as_of)
        .order_by("trajectory_id", "started_on", "pk")
        .values_list("trajectory_id", "started_on")
    ):
        if started is not None:  # realised() guarantees it; this tells the type checker
            starts.setdefault(unit, []).append(started)
    risk = intake_risk_scores(scope, trajectories)
    records = []
    for unit, cohort, referred, closed, born, gender, programme in rows:
        closed = closed if closed is not None and closed <= scope.as_of else None
        end = closed or scope.as_of
        placed = any(referred <= s <= end for s in starts.get(unit, ()))
        records.append(
            {
                "unit": unit,
                "treated": int(cohort == Cohort.JIM),
                "age": _age(born, referred),
                "gender": gender or None,
                "intake_risk": risk.get(unit),
                "programme": programme or None,
                AMBULATORY: (0 if placed else 1) if closed else None,
                PLACED: int(placed),
            }
        )
    columns = ["unit", "treated", *REGISTRY_COVARIATES, *REGISTRY_OUTCOMES]
    frame = pd.DataFrame.from_records(records, columns=columns).set_index("unit")
    frame["age"] = pd.to_numeric(frame["age"], errors="coerce").astype(float)
    frame["intake_risk"] = pd.to_numeric(frame["intake_risk"], errors="coerce").astype(float)
    for outcome in REGISTRY_OUTCOMES:
        frame[outcome] = pd.to_numeric(frame[outcome], errors="coerce").astype(float)
    return frame


def compare_registry(
    scope: Any,
    *,
    covariates: Sequence[str] | None = None,
    trim_percentile: float | None = None,
    min_group: int = MIN_GROUP,
    threshold: int = DEFAULT_THRESHOLD,
) -> ComparisonResult:
    """The JIM cohort against the comparison cohort of a scope. The default covariates are
    all four; one with a single value in the selection is left out with a note. Shares and
    outcomes resting on a cell below ``threshold`` are withheld whole."""
    chosen = list(covariates) if covariates else list(REGISTRY_COVARIATES)
    unknown = [c for c in chosen if c not in REGISTRY_COVARIATES]
    if unknown:
        raise ComparisonError(
            _("Unknown covariates: %(names)s (choose from %(known)s).")
            % {"names": ", ".join(unknown), "known": ", ".join(REGISTRY_COVARIATES)}
        )
    frame = comparison_frame(scope)
    if frame.empty:
        raise ComparisonError(_("There are no trajectories in this selection."))
    return compare_frame(
        frame,
        covariates=chosen,
        outcomes=REGISTRY_OUTCOMES,
        min_group=min_group,
        trim_percentile=trim_percentile,
        drop_constant=not covariates,
        threshold=threshold,
        source="registry",
        as_of=scope.as_of,
    )


# --- from a file --------------------------------------------------------------------------


def _column_problems(frame: pd.DataFrame, names: Sequence[str]) -> list[str]:
    header = ", ".join(str(c) for c in frame.columns)
    return [
        _("There is no column “%(name)s” in the file; its columns are: %(header)s.")
        % {"name": name, "header": header}
        for name in names
        if name not in frame.columns
    ]


def _treated_value(values: list[str], treated: str | None) -> str:
    if treated is not None:
        if treated not in values:
            raise ComparisonError(
                _("The group column has no value “%(value)s”; its values are %(values)s.")
                % {"value": treated, "values": ", ".join(values)}
            )
        return treated
    if set(values) == {"0", "1"}:
        return "1"
    named = [v for v in values if v.lower() in ("jim", "yes", "ja", "true")]
    if len(named) == 1:
        return named[0]
    raise ComparisonError(
        _("Say which value of the group column marks the JIM group (its values: %(values)s).")
        % {"values": ", ".join(values)}
    )


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_comparison_file(
    source: str | Path | bytes,
    filename: str | None = None,
    *,
    group: str,
    outcomes: Sequence[str],
    covariates: Sequence[str],
    treated: str | None = None,
    max_bytes: int | None = MAX_BYTES,
    max_rows: int | None = MAX_FILE_ROWS,
) -> pd.DataFrame:
    """Read a CSV/XLSX of case files into the frame of :func:`compare_frame` (index: the
    spreadsheet row numbers). Every bad row is reported by number in one
    :class:`ComparisonError` and nothing is used: a group value missing or not one of two,
    an outcome that is not 1/0 (yes/no, ja/nee, true/false), a text in a numeric covariate.
    The limits are the upload's (``None``: no limit, for the command line)."""
    try:
        table = load_table(source, filename, max_bytes=max_bytes, max_rows=max_rows)
    except DataError as exc:
        raise ComparisonError(str(exc)) from None
    problems = [
        _("Row %(row)s cannot be read: %(message)s") % {"row": p.row, "message": p.message}
        for p in table.attrs.get("yim_problems", ())
    ]
    problems += _column_problems(table, [group, *outcomes, *covariates])
    if problems:
        raise ComparisonError(" ".join(problems))
    overlap = {group, *outcomes} & set(covariates) or {group} & set(outcomes)
    if overlap:
        raise ComparisonError(
            _("A column is used twice (%(columns)s): the group, the outcomes and the "
              "covariates are different columns.")
            % {"columns": ", ".join(sorted(overlap))}
        )  # fmt: skip
    frame = pd.DataFrame(index=table.index)
    labels = table[group].map(lambda v: None if pd.isna(v) else _text(v))
    values = sorted({v for v in labels.dropna() if v})
    missing = table.index[labels.isna() | (labels == "")]
    if missing.size:
        problems.append(_("Rows without a group: %(rows)s.") % {"rows": problem_rows(missing)})
    if len(values) != 2:
        raise ComparisonError(
            " ".join([
                *problems,
                _("The group column needs exactly two values; it has %(values)s.")
                % {"values": ", ".join(values) or "—"},
            ])
        )  # fmt: skip
    jim = _treated_value(values, treated)
    frame["treated"] = (labels == jim).astype(int)
    for outcome in outcomes:
        words = table[outcome].map(lambda v: None if pd.isna(v) else _text(v).lower())
        bad = table.index[words.notna() & ~words.isin(_YES | _NO)]
        if bad.size:
            problems.append(
                _("The outcome “%(column)s” is not 1/0 (yes/no) in rows %(rows)s.")
                % {"column": outcome, "rows": problem_rows(bad)}
            )
        # An empty cell is left out of the outcome. (Not ``v is None``: a column of texts
        # holds a missing value as NaN, which would count as a "no".)
        frame[outcome] = words.map(lambda v: None if pd.isna(v) else float(v in _YES))
        frame[outcome] = frame[outcome].astype(float)
    for covariate in covariates:
        column = table[covariate]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            frame[covariate] = column.astype(float)
            continue
        texts = column.map(lambda v: None if pd.isna(v) else _text(v))
        texts = texts.where(texts != "", None)
        numbers = pd.to_numeric(texts.str.replace(",", ".", regex=False), errors="coerce")
        parsed, present = int(numbers.notna().sum()), int(texts.notna().sum())
        if present and parsed == present:
            frame[covariate] = numbers.astype(float)
        elif parsed * 2 > present:
            bad = table.index[texts.notna() & numbers.isna()]
            problems.append(
                _("The covariate “%(column)s” holds numbers, but not in rows %(rows)s.")
                % {"column": covariate, "rows": problem_rows(bad)}
            )
        else:
            frame[covariate] = texts.astype(object)
    if problems:
        raise ComparisonError(
            " ".join([*problems, _("Correct these rows and upload the file again.")])
        )
    return frame


def frame_to_params(frame: pd.DataFrame) -> dict[str, Any]:
    """A file's frame as JSON for a background job's parameters."""
    data: dict[str, list[Any]] = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_numeric_dtype(values):
            data[name] = [None if pd.isna(v) else float(v) for v in values]
        else:
            data[name] = [None if pd.isna(v) else str(v) for v in values]
    return {"rows": [str(i) for i in frame.index], "data": data}


def frame_from_params(params: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(params["data"], index=pd.Index(params["rows"], name="row"))
    for name, values in params["data"].items():
        if all(v is None or isinstance(v, float | int) for v in values):
            frame[name] = pd.to_numeric(frame[name]).astype(float)
    return frame
