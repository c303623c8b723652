"""``yim evidence report``: a report of the dashboard or an analysis as HTML or PDF.

    yim evidence report --kind dashboard --format pdf --lang nl --out rapport.pdf
    yim evidence report --kind risk --team "Team Noord" --format html --lang en --out risk.html
    yim evidence report --kind teams --organisation "Jeugdzorg Noord" --format pdf --out teams.pdf
    yim evidence report --kind comparison --organisation "Jeugdzorg Noord" --trim 99 --out vo.pdf

The figures are those of ``yim evidence summary``, ``risk``, ``moderators``, ``teams`` and
``compare`` (its registry source; calculated here, as the pages' background work does), the
report the pages' (module
:mod:`yim.research.report`). Exit status: 0 on success; 2 when the input cannot be answered
(the reason on stderr; no file is written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from yim.commandline import schema_is_current
from yim.research.evidence import DEFAULT_THRESHOLD

EXIT_OK = 0
EXIT_INPUT = 2
REPORT_KINDS = ("dashboard", "risk", "moderators", "teams", "comparison")


def add_report_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``report`` on the ``evidence`` actions."""
    from yim.research.comparison_cli import MIN_GROUP, _percentile
    from yim.research.evidence_cli import add_scope_arguments, whole_number_from

    report = actions.add_parser(
        "report",
        help="a report of the figures or an analysis as HTML or PDF, with its method notes",
        description=(
            "The dashboard's figures, the risk trajectories, the moderator analyses, the "
            "teams of an organisation compared or a comparison study of the registry (the JIM "
            "cohort against the comparison cohort, as 'yim evidence compare' without --file), "
            "as a self-contained HTML page or a PDF (A4, WeasyPrint), in Dutch or English, "
            "with the method notes: definitions, as_of, scope, denominators, model and the "
            "small cells withheld. The risk and moderator reports use the pages' threshold "
            "(5); teams needs --organisation; --covariates, --trim and --min-group are for "
            "the comparison study."
        ),
    )
    report.add_argument("--kind", choices=REPORT_KINDS, required=True, help="what to report")
    report.add_argument("--format", choices=("html", "pdf"), default="pdf", help="html or pdf")
    report.add_argument("--lang", choices=("nl", "en"), default="nl", help="nl or en")
    report.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    add_scope_arguments(report)
    study = report.add_argument_group("comparison study (--kind comparison)")
    study.add_argument(
        "--covariates",
        default="",
        metavar="A,B",
        help="a subset of age,gender,intake_risk,programme (default: all four)",
    )
    study.add_argument(
        "--trim",
        type=_percentile,
        metavar="P",
        help="trim the comparison weights at this percentile",
    )
    study.add_argument(
        "--min-group",
        dest="min_group",
        type=whole_number_from(2, "the minimum"),
        default=None,
        metavar="N",
        help=f"the smallest group that is analysed (default {MIN_GROUP})",
    )
    report.set_defaults(func=cmd_evidence_report)


def _refuse(message: str) -> int:
    sys.stderr.write(f"yim evidence report: {message}\n")
    return EXIT_INPUT


def _build(ns: argparse.Namespace, scope: Any) -> Any:
    """The report (in the active language); raises EvidenceError for the user."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from yim.research import report
    from yim.research.evidence.summary import EvidenceError
    from yim.research.report_jobs import organisation_name

    filters = {
        name: getattr(scope, name)
        for name in ("team_id", "organisation_id")
        if getattr(scope, name) is not None
    }
    now = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    organisation = organisation_name(filters)
    study = ns.covariates or ns.trim is not None or ns.min_group is not None
    if study and ns.kind != "comparison":
        raise EvidenceError("--covariates, --trim and --min-group are for --kind comparison")
    if ns.kind == "teams":
        from yim.research.evidence.pooling import pool_teams

        if not ns.organisation:
            raise EvidenceError("name the organisation whose teams to compare (--organisation)")
        pooled = pool_teams(ns.organisation, scope.as_of, threshold=ns.threshold)
        return report.teams_report(
            pooled,
            language=ns.lang,
            organisation=organisation,
            as_of=scope.as_of,
            calculated=now,
            threshold=ns.threshold,
        )
    from yim.research.evidence_views import scope_label

    label = scope_label(filters) if filters else _("the whole registry")
    shared = {"language": ns.lang, "organisation": organisation, "scope": label}
    if ns.kind == "comparison":
        return report.analysis_report(
            "comparison", _comparison(ns, scope), calculated=now, as_of=scope.as_of, **shared
        )
    if ns.kind == "dashboard":
        import dataclasses

        from yim.research.evidence.summary import dashboard
        from yim.research.evidence_views import chart_of

        shown = dashboard(scope, ns.threshold)
        result = {
            "figures": shown.figures,
            "chart": chart_of(scope, shown.curves),
            "feedback": [dataclasses.asdict(item) for item in shown.feedback],
        }
        return report.dashboard_report(result, calculated=now, threshold=ns.threshold, **shared)
    if ns.threshold != DEFAULT_THRESHOLD:
        raise EvidenceError(
            f"the {ns.kind} report uses the pages' threshold ({DEFAULT_THRESHOLD}); "
            "leave --threshold out"
        )
    from yim.research.analysis_jobs import run_moderators, run_risk

    run = run_risk if ns.kind == "risk" else run_moderators
    params = {**filters, "as_of": scope.as_of.isoformat()}
    result = run(params, lambda fraction, message: None)
    return report.analysis_report(ns.kind, result, calculated=now, as_of=scope.as_of, **shared)


def _comparison(ns: argparse.Namespace, scope: Any) -> dict[str, Any]:
    """The registry's comparison study as its background job keeps it (``fit`` and the
    balance plot), with the command's covariates, trimming, minimum group and threshold."""
    from yim.research.analysis_jobs import comparison_result
    from yim.research.comparison_cli import MIN_GROUP, _names
    from yim.research.evidence.comparison_sources import compare_registry

    result = compare_registry(
        scope,
        covariates=_names(ns.covariates) or None,
        trim_percentile=ns.trim,
        min_group=ns.min_group or MIN_GROUP,
        threshold=ns.threshold,
    )
    return comparison_result(result.to_json_dict())


def cmd_evidence_report(ns: argparse.Namespace) -> int:
    """Handler of ``yim evidence report``; returns the exit status."""
    if not schema_is_current("yim evidence report"):
        return EXIT_INPUT
    from django.utils import translation

    from yim.research.evidence.summary import EvidenceError, resolve_scope
    from yim.research.report import ReportError
    from yim.research.report_render import render

    try:
        # The yim command speaks English; the report speaks its own language.
        with translation.override("en"):
            scope = resolve_scope(ns.as_of, team=ns.team, organisation=ns.organisation)
        with translation.override(ns.lang):
            built = _build(ns, scope)
            content = render(built, ns.format)
    except (EvidenceError, ReportError) as exc:
        return _refuse(str(exc))
    out = Path(ns.out)
    try:
        out.write_bytes(content)
    except OSError as exc:
        return _refuse(f"cannot write {out}: {exc.strerror}")
    sys.stdout.write(
        f"Wrote {out}: {built.title} ({ns.format}, {ns.lang}, {len(content):,} bytes), "
        f"as of {built.as_of.isoformat() if built.as_of else '—'}.\n"
    )
    return EXIT_OK
