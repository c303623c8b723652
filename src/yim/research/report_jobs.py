"""Reports as background work (a :mod:`yim.jobs` kind): HTML or PDF, in Dutch or English.

The dashboard and every analysis result page offer "Report (PDF)" and "Report (HTML)"
(:mod:`yim.research.report_views`). A report job's parameters are the question — the scope
the policy gave, copied from the page or from the kept job result it reports on
(``source_job``) — with the report's language and format. The worker builds the report from
that result (:mod:`yim.research.report`; the dashboard's figures are calculated as the page
does when no kept result is named), renders it (:mod:`yim.research.report_render`), and keeps
the file in the data directory (``<data dir>/reports/``, a random name, mode 0600, never served
as a static file) until the job is pruned. Only the owner downloads it, while the policy still
gives them the scope (``may_view``); every download is recorded in the audit log.
"""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yim import policy
from yim.core.files import PrivateFileError, create_private_file
from yim.jobs import kinds, runner
from yim.jobs.kinds import Progress
from yim.jobs.models import Job, JobStatus
from yim.research import report as reports
from yim.research.analysis_jobs import comparison_state
from yim.research.comparison_views import EVIDENCE_COMPARISON
from yim.research.evidence.summary import EvidenceError
from yim.research.evidence_jobs import run_summary
from yim.research.evidence_views import (
    EVIDENCE_MODERATORS,
    EVIDENCE_RISK,
    EVIDENCE_SUMMARY,
    scope_label,
)
from yim.research.kept_files import KeptFiles
from yim.research.report import ReportError
from yim.research.report_render import render
from yim.research.teams_jobs import EVIDENCE_TEAMS, pooled_again

EVIDENCE_REPORT = "evidence.report"

#: The kept results a report can be made of, and the report each makes.
SOURCE_KINDS = {
    EVIDENCE_SUMMARY: "dashboard",
    EVIDENCE_RISK: "risk",
    EVIDENCE_MODERATORS: "moderators",
    EVIDENCE_COMPARISON: "comparison",
    EVIDENCE_TEAMS: "teams",
}
#: What a report job copies from its question or source job: the scope (for ``may_view``),
#: the day and filters, and whether a comparison study came from a file.
QUESTION_KEYS = (
    *policy.EVIDENCE_SCOPE_FIELDS,
    "as_of",
    "programme_id",
    "referred_from",
    "source",
)
CONTENT_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


def reports_dir() -> Path:
    return Path(settings.DATA_DIR) / "reports"


#: The files report jobs keep (``<data dir>/reports/report-…``).
REPORT_FILES = KeptFiles(reports_dir, "report-")


def report_path(result: dict[str, Any]) -> Path:
    """Where a finished report lies; refuses any name this module did not make."""
    return REPORT_FILES.path(result)


def question_params(question: dict[str, Any]) -> dict[str, Any]:
    """The scope and filters of a question or a source job's parameters, nothing else (a
    comparison study's uploaded rows stay with their own job)."""
    return {key: question[key] for key in QUESTION_KEYS if question.get(key) is not None}


def organisation_name(params: dict[str, Any], owner: Any = None) -> str:
    """The organisation a report is about: the scope's, else the owner's (for a comparison
    study of an uploaded file); a question without either covers every organisation."""
    from yim.accounts.models import Organisation, Team

    organisation_id = params.get("organisation_id")
    if organisation_id is None and params.get("team_id") is not None:
        organisation_id = (
            Team.objects.filter(pk=params["team_id"]).values_list("organisation_id", flat=True)
        ).first()
    if organisation_id is None and owner is not None:
        organisation_id = owner.organisation_id
    if organisation_id is None:
        return _("every organisation in the registry")
    name = Organisation.objects.filter(pk=organisation_id).values_list("name", flat=True).first()
    return name or "—"


def _scope(params: dict[str, Any], source: Job | None) -> str:
    if params.get("source") == "file" and source is not None:
        return _("the uploaded file %(name)s") % {"name": source.params.get("filename", "—")}
    filters = {k: params[k] for k in policy.EVIDENCE_SCOPE_FIELDS if params.get(k) is not None}
    return scope_label(filters)


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def build(params: dict[str, Any], progress: Progress) -> reports.Report:
    """The report the parameters ask for (in the active language)."""
    from yim.accounts.models import User

    owner = User.objects.get(pk=params["owner_id"])
    source = None
    if params.get("source_job") is not None:
        source = Job.objects.filter(
            pk=params["source_job"], owner=owner, status=JobStatus.SUCCEEDED
        ).first()
        if source is None or source.result is None:
            raise ReportError(
                _(
                    "The result this report was asked of is no longer kept: calculate it "
                    "again, then ask for its report."
                )
            )
    language = params["language"]
    shared = {
        "language": language,
        "organisation": organisation_name(params, owner),
        "scope": _scope(params, source),
    }
    notes = []
    if source is not None and runner.is_stale(source):
        notes.append(
            reports.Note(
                _("Out of date"),
                _("The registry has changed since this result was calculated."),
            )
        )
    kind = params["report"]
    if source is None:  # the dashboard, calculated as the page does
        progress(0.05, _("Calculating the outcome figures"))
        result = run_summary(params, lambda fraction, message: progress(fraction * 0.6, message))
        return reports.dashboard_report(
            result, calculated=_when(timezone.now()), notes=notes, **shared
        )
    calculated = _when(source.finished_at or source.created_at)
    kept: dict[str, Any] = source.result or {}  # never empty: checked above
    if kind == "dashboard":
        return reports.dashboard_report(kept, calculated=calculated, notes=notes, **shared)
    if kind == "teams":  # pooled again from the kept estimates: the report's own language
        made = reports.teams_report(
            pooled_again(kept["report"]),
            language=language,
            organisation=shared["organisation"],
            as_of=source.as_of or timezone.localdate(),
            calculated=calculated,
        )
        return dataclasses.replace(made, notes=[*notes, *made.notes])
    return reports.analysis_report(
        kind, kept, calculated=calculated, as_of=source.as_of, notes=notes, **shared
    )


def run_report(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    fmt = params["format"]
    with translation.override(params["language"]):
        report = build(params, progress)
        progress(0.7, _("Writing the report"))
        content = render(report, fmt)
    name = f"report-{secrets.token_hex(16)}.{fmt}"
    try:
        create_private_file(reports_dir() / name, content)
    except PrivateFileError as exc:
        raise ReportError(
            _("The report could not be written in the data directory: %(reason)s.")
            % {"reason": exc.reason}
        ) from None
    return {
        "file": name,
        "download_name": f"{report.filename}.{fmt}",
        "bytes": len(content),
        "format": fmt,
        "language": report.language,
        "report": report.kind,
        "title": report.title,
        "as_of": report.as_of.isoformat() if report.as_of else None,
    }


REPORT = kinds.register(
    kinds.JobKind(
        name=EVIDENCE_REPORT,
        label=gettext_lazy("Report of evidence from practice"),
        run=run_report,
        state=comparison_state,
        result_template="research/report/_job_result.html",
        user_errors=(EvidenceError, ReportError),
        # A teams report: while the owner may still compare that organisation's teams; any
        # other: a registry scope while it is still the owner's, an uploaded file's study
        # while they may see evidence at all.
        may_view=policy.may_see_evidence_report,
        discard=REPORT_FILES.discard,
    )
)
