"""Pooling uploaded evidence files of several organisations as background work (a
:mod:`yim.jobs` kind), the page's counterpart of ``yim evidence pool``.

The page (:mod:`yim.research.pooling_views`) verifies every file in the request and starts a
job only for a set that can be pooled; the files are then kept in ``<data dir>/uploads``
(mode 0600, :func:`yim.core.files.create_private_file`) for the worker, verified again there,
pooled, and removed whatever the outcome. The result keeps the report as JSON and as the
same HTML page the command writes (:mod:`yim.research.evidence.pooling_report`).
"""

from __future__ import annotations

import base64
import secrets
from contextlib import suppress
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yim import policy
from yim.core.files import PrivateFileError, create_private_file
from yim.jobs import kinds
from yim.jobs.kinds import Progress
from yim.research.evidence.verification import EvidenceFile, PoolingError, read_evidence_bytes
from yim.research.meta_jobs import uploads_dir

EVIDENCE_POOL = "evidence.pool"
_UPLOAD_PREFIX = "pool-"


def keep_files(files: list[tuple[str, bytes]]) -> list[dict[str, str]]:
    """Keep the checked files for the worker (mode 0600); returns the job's ``files``.
    All or nothing: when one cannot be written, those already written are removed."""
    kept: list[dict[str, str]] = []
    try:
        for filename, data in files:
            name = f"{_UPLOAD_PREFIX}{secrets.token_hex(16)}.json"
            create_private_file(uploads_dir() / name, data)
            kept.append({"upload": name, "filename": filename})
    except (PrivateFileError, OSError) as exc:
        discard_files(kept)
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
        raise PoolingError(
            _(
                "The files cannot be kept for the calculation (%(problem)s). Nothing was "
                "pooled; ask the administrator to check the data folder."
            )
            % {"problem": reason}
        ) from None
    return kept


def upload_path(name: str) -> Path:
    """Where a kept file lies; refuses any name :func:`keep_files` did not make."""
    if not name.startswith(_UPLOAD_PREFIX) or "/" in name or "\\" in name or ".." in name:
        raise PoolingError(_("This upload is not known."))
    return uploads_dir() / name


def discard_files(files: list[dict[str, str]]) -> None:
    for entry in files:
        with suppress(OSError, PoolingError):
            upload_path(entry["upload"]).unlink(missing_ok=True)


def _read_kept(entry: dict[str, str]) -> EvidenceFile:
    path = upload_path(entry["upload"])
    try:
        data = path.read_bytes()
    except OSError:
        raise PoolingError(
            _("%(file)s is no longer kept: upload the files again. Nothing was pooled.")
            % {"file": entry["filename"]}
        ) from None
    return read_evidence_bytes(data, entry["filename"])


def run_pool(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Verify the kept files again, pool them and write both reports; the files are removed
    whatever the outcome."""
    from yim.research.evidence.pooling import pool_files
    from yim.research.evidence.pooling_report import report_html, report_json

    entries: list[dict[str, str]] = params["files"]
    try:
        files = []
        for index, entry in enumerate(entries):
            progress(0.05 + 0.35 * index / len(entries), _("Verifying the signatures"))
            files.append(_read_kept(entry))
        progress(0.45, _("Pooling the outcomes"))
        listed = params.get("trusted")  # base64 key: name, when the page was given a list
        trusted = (
            {base64.b64decode(key): name for key, name in listed.items()}
            if listed is not None
            else None
        )
        report = pool_files(files, trusted=trusted, min_units=params["min_units"])
        progress(0.75, _("Drawing the forest plots"))
        html = report_html(report)
        data = report_json(report)
    finally:
        discard_files(entries)
    return {"report": data, "html": html}


def pool_context(result: dict[str, Any]) -> dict[str, Any]:
    report = result["report"]
    return {"report": report, "outcomes": report["outcomes"], "units": report["units"]}


EVIDENCE_POOL_KIND = kinds.register(
    kinds.JobKind(
        name=EVIDENCE_POOL,
        label=gettext_lazy("Evidence of several organisations pooled"),
        run=run_pool,
        state=lambda params: "",  # signed files never change: never out of date
        result_template="research/_pool_result.html",
        user_errors=(PoolingError,),
        context=pool_context,
        may_view=policy.may_see_evidence_pool,
        repeatable=False,  # the files are not kept after the run
    )
)
