"""Reading a comparison-group file (CSV or XLSX with a header row) into comparison cases.

Every bad cell is reported with its row (the header is row 1) and column, all at once:
unknown or missing columns, unknown group labels, unknown codes, dates that cannot be read,
and dates written in more than one format in the same file (01-02-2024 and 2024-02-01 side
by side make every day-month order doubtful). Nothing is read into cases unless the whole
file is clean.

Columns (English names, or the Dutch ones in :data:`ALIASES`; case and spaces do not matter):

``group`` (required: "comparison" / "vergelijkingsgroep" / "care as usual" / "gebruikelijke
zorg"), ``referred_on`` (required), ``date_of_birth`` (required), ``gender``,
``requested_placement``, ``placement_basis``, ``referral_source``, ``placement_realised``,
``placement_started_on``, ``placement_ended_on``, ``reference``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from typing import Any

from django.utils.translation import gettext as _

from yim.trajectories.comparison import ComparisonCase, Problem
from yim.trajectories.models import Gender, PlacementBasis, PlacementType, ReferralSource

#: The largest file read (a comparison group is hundreds of rows, not millions).
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000

REQUIRED = ("group", "referred_on", "date_of_birth")
OPTIONAL = (
    "gender",
    "requested_placement",
    "placement_basis",
    "referral_source",
    "placement_realised",
    "placement_started_on",
    "placement_ended_on",
    "reference",
)
DATE_COLUMNS = ("referred_on", "date_of_birth", "placement_started_on", "placement_ended_on")

ALIASES = {
    "groep": "group",
    "aanmelddatum": "referred_on",
    "geboortedatum": "date_of_birth",
    "geslacht": "gender",
    "gevraagde_plaatsing": "requested_placement",
    "grondslag": "placement_basis",
    "verwijzer": "referral_source",
    "gerealiseerde_plaatsing": "placement_realised",
    "plaatsing_begin": "placement_started_on",
    "plaatsing_start": "placement_started_on",
    "plaatsing_einde": "placement_ended_on",
    "referentie": "reference",
}

GROUP_LABELS = {"comparison", "vergelijkingsgroep", "vergelijking", "care as usual",
                "gebruikelijke zorg", "care_as_usual"}  # fmt: skip

CODES: dict[str, dict[str, str]] = {
    "gender": {
        **{v: v for v in Gender.values},
        "meisje": "girl", "vrouw": "girl", "jongen": "boy", "man": "boy",
        "non-binair": "non_binary", "anders": "other", "onbekend": "",
    },
    "requested_placement": {
        **{v: v for v in PlacementType.values},
        "geen": "none", "pleegzorg": "foster_care", "residentieel": "residential",
        "gesloten": "semi_secure", "semi-gesloten": "semi_secure",
    },
    "placement_basis": {**{v: v for v in PlacementBasis.values},
                        "gevraagd": "requested", "geindiceerd": "indicated"},
    "referral_source": {v: v for v in ReferralSource.values},
}  # fmt: skip
CODES["placement_realised"] = CODES["requested_placement"]

#: Date formats read, each with the name used in messages.
DATE_FORMATS = {
    "YYYY-MM-DD": re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"),
    "DD-MM-YYYY": re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$"),
    "DD/MM/YYYY": re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"),
}


def read(content: bytes, filename: str) -> tuple[list[tuple[int, ComparisonCase]], list[Problem]]:
    """The file's rows as ``(row number, case)``, or the problems (then no rows)."""
    if len(content) > MAX_BYTES:
        return [], [Problem(0, "", _("The file is too large (at most 5 MB)."))]
    try:
        table = _xlsx(content) if filename.lower().endswith(".xlsx") else _csv(content)
    except ValueError as unreadable:
        return [], [Problem(0, "", str(unreadable))]
    if not table:
        return [], [Problem(1, "", _("The file is empty: it needs a header row."))]
    header, body = table[0], table[1:]
    if len(body) > MAX_ROWS:
        return [], [Problem(0, "", _("The file has too many rows (at most 10,000)."))]
    columns, problems = _columns(header)
    if problems:
        return [], problems
    if not body:
        return [], [Problem(2, "", _("The file has a header but no rows."))]
    records = []
    for offset, cells in enumerate(body):
        number = offset + 2
        if all(_blank(c) for c in cells):
            continue
        record = {name: (cells[i] if i < len(cells) else None) for name, i in columns.items()}
        records.append((number, record))
    problems.extend(_mixed_date_formats(records))
    cases = []
    for number, record in records:
        case = _case(number, record, problems)
        if case is not None:
            cases.append((number, case))
    if problems:
        return [], sorted(problems, key=lambda p: (p.row, p.column))
    return cases, []


def _csv(content: bytes) -> list[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(_("The file is not UTF-8 text: save it as CSV (UTF-8).")) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises several kinds for a file that is not a workbook
        raise ValueError(_("The file cannot be read as an Excel workbook (.xlsx).")) from None
    sheet = book.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _columns(header: list[Any]) -> tuple[dict[str, int], list[Problem]]:
    columns: dict[str, int] = {}
    problems = []
    for index, raw in enumerate(header):
        if _blank(raw):
            continue
        name = re.sub(r"\s+", "_", str(raw).strip().lower())
        name = ALIASES.get(name, name)
        if name not in REQUIRED and name not in OPTIONAL:
            problems.append(Problem(1, str(raw), _("Unknown column.")))
        elif name in columns:
            problems.append(Problem(1, str(raw), _("This column appears twice.")))
        else:
            columns[name] = index
    for name in REQUIRED:
        if name not in columns:
            problems.append(Problem(1, name, _("This column is missing.")))
    return columns, problems


def _date_format(value: Any) -> str | None:
    if isinstance(value, dt.date | dt.datetime) or _blank(value):
        return None  # a spreadsheet's own date has no written format
    text = str(value).strip()
    return next((name for name, pattern in DATE_FORMATS.items() if pattern.match(text)), None)


def _mixed_date_formats(records: list[tuple[int, dict[str, Any]]]) -> list[Problem]:
    """Every date cell written in another format than the file's most common one."""
    seen = Counter(
        fmt
        for _n, record in records
        for column in DATE_COLUMNS
        if (fmt := _date_format(record.get(column))) is not None
    )
    if len(seen) < 2:
        return []
    usual = seen.most_common(1)[0][0]
    problems = []
    for number, record in records:
        for column in DATE_COLUMNS:
            fmt = _date_format(record.get(column))
            if fmt is not None and fmt != usual:
                message = _(
                    "Mixed date formats: this date is written as %(this)s, the rest of the file "
                    "as %(usual)s. Write every date in one format."
                ) % {"this": fmt, "usual": usual}
                problems.append(Problem(number, column, message))
    return problems


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for name, pattern in DATE_FORMATS.items():
        if pattern.match(text):
            if name == "YYYY-MM-DD":
                return dt.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
            day, month, year = re.split(r"[-/]", text)
            return dt.date(int(year), int(month), int(day))
    raise ValueError


def _case(number: int, record: dict[str, Any], problems: list[Problem]) -> ComparisonCase | None:
    before = len(problems)
    values: dict[str, Any] = {}
    group = record.get("group")
    if _blank(group) or str(group).strip().lower() not in GROUP_LABELS:
        problems.append(
            Problem(
                number,
                "group",
                _("Unknown group label %(label)r: this file is for the comparison group "
                  "(write 'vergelijkingsgroep' or 'comparison').") % {"label": group or ""},
            )
        )  # fmt: skip
    for column in DATE_COLUMNS:
        value = record.get(column)
        if _blank(value):
            if column in REQUIRED:
                problems.append(Problem(number, column, _("This date is required.")))
            continue
        try:
            values[column] = _date(value)
        except ValueError:
            problems.append(Problem(number, column, _("This is not a date (write YYYY-MM-DD).")))
    for column, codes in CODES.items():
        value = record.get(column)
        if _blank(value):
            continue
        code = codes.get(str(value).strip().lower())
        if code is None:
            problems.append(
                Problem(number, column, _("Unknown value %(value)r.") % {"value": value})
            )
        else:
            values[column] = code
    if len(problems) > before:
        return None
    reference = record.get("reference")
    return ComparisonCase(
        referred_on=values["referred_on"],
        date_of_birth=values["date_of_birth"],
        gender=values.get("gender", ""),
        requested_placement=values.get("requested_placement", PlacementType.NONE),
        placement_basis=values.get("placement_basis", ""),
        referral_source=values.get("referral_source", "other"),
        realised_placement=values.get("placement_realised", PlacementType.NONE),
        placement_started_on=values.get("placement_started_on"),
        placement_ended_on=values.get("placement_ended_on"),
        reference="" if _blank(reference) else str(reference).strip(),
    )
