"""The research export as background work (a :mod:`yim.jobs` kind).

The export page starts this kind: a worker builds the tables (:func:`build_export`), writes
the ZIP archive into the data directory (``<data dir>/exports/``, under a random name, never
served as a static file) and records the export in the audit log in the owner's name. The job
page then offers the archive for download (owner only, and only while the owner may still use
the research tools for that scope); each download is recorded too.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yim import policy
from yim.accounts.models import User
from yim.jobs import kinds
from yim.jobs.kinds import Progress
from yim.jobs.state import fingerprint
from yim.research.export import ExportError, build_export, export_key, export_zip, record_export
from yim.research.kept_files import KeptFiles

RESEARCH_EXPORT = "research.export"


def exports_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "exports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


#: The archives export jobs keep (``<data dir>/exports/research-export-…``).
ARCHIVES = KeptFiles(exports_dir, "research-export-")


def archive_path(result: dict[str, Any]) -> Path:
    """Where a finished export's archive lies; refuses any name it did not make itself."""
    return ARCHIVES.path(result)


def run_export(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    owner = User.objects.get(pk=params["owner_id"])
    progress(0.05, _("Reading the registry"))
    tables = build_export(
        as_of=dt.date.fromisoformat(params["as_of"]),
        include=list(params.get("include") or []),
        key=export_key(),
        organisation_id=params.get("organisation_id"),
        team_id=params.get("team_id"),
    )
    progress(0.7, _("Writing the files"))
    archive = export_zip(tables, params["format"])
    name = f"research-export-{tables.as_of.isoformat()}-{secrets.token_hex(16)}.zip"
    path = exports_dir() / name
    path.write_bytes(archive)
    path.chmod(0o600)
    record_export(tables, params["format"], actor=owner)
    return {
        "file": name,
        "download_name": f"research-export-{tables.as_of.isoformat()}-{params['format']}.zip",
        "bytes": len(archive),
        "format": params["format"],
        "rows": {table.name: len(table.rows) for table in tables.tables.values()},
        "include": list(params.get("include") or []),
    }


EXPORT = kinds.register(
    kinds.JobKind(
        name=RESEARCH_EXPORT,
        label=gettext_lazy("Research export"),
        run=run_export,
        state=lambda params: fingerprint("trajectories", "monitoring"),
        result_template="research/_export_result.html",
        user_errors=(ExportError,),
        may_view=policy.may_download_research_export,
        discard=ARCHIVES.discard,
    )
)
