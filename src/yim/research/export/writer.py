"""Writing a research export: one file per table (CSV or Parquet), the codebook (CSV and
Markdown) and a manifest, into a new directory — written to a temporary directory beside it
and moved into place at the end, so a failed export leaves nothing half-written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from yim.research.export.codebook import (
    BOOLEAN,
    FREE_TEXT,
    INTEGER,
    NUMBER,
    Variable,
)
from yim.research.export.errors import ExportError
from yim.research.export.tables import ExportTables, Table

FORMATS = ("csv", "parquet")
CODEBOOK_COLUMNS = ("table", "variable", "type", "meaning", "allowed_values")


def write_export(tables: ExportTables, out_dir: Path | str, fmt: str) -> Path:
    """Write the export into ``out_dir`` (new, or an empty directory); returns its path.

    Everything is written into a temporary directory next to ``out_dir`` first and moved into
    place when complete; on any error the temporary directory is removed and ``out_dir`` is
    left as it was.
    """
    if fmt not in FORMATS:
        raise ExportError(_("Unknown format %(format)s: choose csv or parquet.") % {"format": fmt})
    out = Path(out_dir).expanduser().absolute()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(
            _("%(path)s already exists and is not an empty directory: choose a new directory.")
            % {"path": out}
        )
    parent = out.parent
    if not parent.is_dir():
        raise ExportError(_("The directory %(path)s does not exist.") % {"path": parent})
    try:
        temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=parent))
    except OSError as exc:
        raise ExportError(
            _("Cannot write in %(path)s (%(problem)s).") % {"path": parent, "problem": exc.strerror}
        ) from None
    try:
        _write_files(tables, temporary, fmt)
        temporary.chmod(0o700)
        if out.exists():
            out.rmdir()
        os.replace(temporary, out)
    except OSError as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        raise ExportError(
            _("Cannot write the export to %(path)s (%(problem)s); nothing was written.")
            % {"path": out, "problem": exc.strerror}
        ) from None
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return out


def export_zip(tables: ExportTables, fmt: str) -> bytes:
    """The export as one ZIP archive (for a download)."""
    with tempfile.TemporaryDirectory(prefix="yim-export-") as scratch:
        folder = write_export(tables, Path(scratch) / "export", fmt)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.iterdir()):
                archive.write(path, arcname=path.name)
        return buffer.getvalue()


def _write_files(tables: ExportTables, folder: Path, fmt: str) -> None:
    for table in tables.tables.values():
        if fmt == "csv":
            _write_csv(folder / f"{table.name}.csv", table)
        else:
            _write_parquet(folder / f"{table.name}.parquet", table)
    entries = [(name, v) for name, t in tables.tables.items() for v in t.variables]
    with (folder / "codebook.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CODEBOOK_COLUMNS)
        for name, v in entries:
            writer.writerow([name, v.name, v.type, v.meaning, v.allowed_text()])
    (folder / "codebook.md").write_text(codebook_markdown(tables), encoding="utf-8")
    manifest = {
        "as_of": tables.as_of.isoformat(),
        "format": fmt,
        "tables": {name: len(t.rows) for name, t in tables.tables.items()},
        "free_text_included": list(tables.include),
        "small_cell_threshold": tables.threshold,
        "pseudonyms": "HMAC-SHA256 under a key kept on the server (not in this export)",
        "dates": "calendar dates to the month; durations in days since the referral date",
    }
    (folder / "export.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_csv(path: Path, table: Table) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow([_cell(row[c]) for c in table.columns])


def _arrow_type(variable: Variable) -> Any:
    import pyarrow as pa

    return {INTEGER: pa.int64(), NUMBER: pa.float64(), BOOLEAN: pa.bool_()}.get(
        variable.type, pa.string()
    )


def _write_parquet(path: Path, table: Table) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(v.name, _arrow_type(v)) for v in table.variables])
    data = {c: [row[c] for row in table.rows] for c in table.columns}
    pq.write_table(pa.Table.from_pydict(data, schema=schema), path)


def codebook_markdown(tables: ExportTables) -> str:
    """The codebook for people: one section per table."""
    free = ", ".join(tables.include) or "none"
    lines = [
        "# Codebook of the research export",
        "",
        f"As of {tables.as_of.isoformat()}. Free-text columns included: {free} "
        f"(possible: {', '.join(FREE_TEXT)}). Small cells of the aggregate table (below "
        f"{tables.threshold}) are empty.",
        "",
        "Identifiers are pseudonyms (HMAC-SHA256 under a key kept on the server): the same "
        "record has the same pseudonym in every table. Calendar dates are given as their "
        "month (YYYY-MM); ages were computed from the exact dates first, and every other "
        "moment is given in days since the trajectory's referral date. An empty cell: not "
        "recorded, not (yet) happened by the as-of day, or withheld.",
    ]
    for name, table in tables.tables.items():
        lines += [
            "",
            f"## {name}",
            "",
            "| variable | type | meaning | allowed values |",
            "|---|---|---|---|",
        ]
        for v in table.variables:
            cells = [v.name, v.type, v.meaning, v.allowed_text()]
            lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"
