"""/evidence/: the outcome figures of docs/evidence.md as a page and as CSV.

The scope comes from :mod:`yim.policy` (a professional's caseload, a team lead's team, an
organisation admin's or researcher's organisation, or one of its teams); the figures from
:mod:`yim.research.evidence.summary`. Every figure is shown with its count, denominator and
interval; withheld figures say so, never 0%. A CSV export is recorded in the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.jobs import runner
from yim.monitoring.models import RespondentRole
from yim.research.evidence.definitions import Scope, cohort
from yim.research.evidence.summary import EvidenceError, summarise, time_to_jim_curves
from yim.research.evidence_charts import time_to_jim_svg

#: The job kinds of the evidence pages (yim.research.evidence_jobs, analysis_jobs).
EVIDENCE_SUMMARY = "evidence.summary"
EVIDENCE_RISK = "evidence.risk"
EVIDENCE_MODERATORS = "evidence.moderators"


@dataclass(frozen=True)
class Row:
    """One figure of a table (and a CSV line)."""

    section: str
    label: str
    count: int | None = None
    n: int | None = None
    share: float | None = None
    ci: tuple[float, float] | None = None
    suppressed: bool = False
    value: float | None = None

    @property
    def percent(self) -> float | None:
        return None if self.share is None else self.share * 100

    @property
    def ci_percent(self) -> tuple[float, float] | None:
        return None if self.ci is None else (self.ci[0] * 100, self.ci[1] * 100)


def _share_row(section: str, label: str, entry: dict[str, Any]) -> Row:
    ci = entry.get("ci")
    return Row(
        section,
        label,
        entry.get("count"),
        entry.get("n"),
        entry.get("share"),
        (ci[0], ci[1]) if ci else None,
        bool(entry.get("suppressed")),
    )


def rows_of(figures: dict[str, Any]) -> list[Row]:
    """The summary as labelled rows, in the page's order (the CSV has the same rows)."""
    found, ttj, amb = figures["jim_found"], figures["time_to_jim"], figures["ambulatory"]
    gate, cont = figures["gate"], figures["continuation"]
    s = _("JIM found")
    rows = [
        _share_row(
            s, _("With a JIM, of all trajectories (intention to treat)"), found["share_of_all"]
        ),
        _share_row(s, _("With a JIM, of finished searches"), found["share_of_finished"]),
        _share_row(s, _("JIM positioned, of youth with a JIM"), found["positioned"]),
    ]
    s = _("Time to JIM (days from referral)")
    withheld = bool(ttj["suppressed"])
    ci = ttj["km_median_ci"] or [None, None]
    rows += [
        Row(
            s,
            _("Kaplan–Meier median ('no JIM found' censored)"),
            value=ttj["km_median_days"],
            suppressed=withheld,
            n=figures["n_trajectories"],
        ),
        Row(s, _("Lower limit of its 95% interval"), value=ci[0], suppressed=withheld),
        Row(
            s,
            _("Upper limit of its 95% interval (empty: not reached)"),
            value=ci[1],
            suppressed=withheld,
        ),
        Row(
            s,
            _("Mean among youth who found a JIM"),
            value=ttj["mean_days_found"],
            count=ttj["n_found"],
            suppressed=withheld,
        ),
    ]
    for day in (30, 60, 90):
        interval = (ttj["cif_ci"] or {}).get(str(day))
        rows.append(
            Row(
                s,
                _("With a JIM by day %(day)s ('no JIM found' competing)") % {"day": day},
                share=ttj[f"cif_{day}"],
                ci=(interval[0], interval[1]) if interval else None,
                suppressed=withheld,
                n=figures["n_trajectories"],
            )
        )
    s = _("Ambulatory: no realised out-of-home placement")
    landmark = amb["landmark_90_days"]
    rows += [
        _share_row(s, _("All trajectories (intention to treat)"), amb["itt"]),
        _share_row(s, _("Closed trajectories"), amb["closed"]),
        _share_row(s, _("In care on day 90, with a JIM by then"), landmark["jim_by_landmark"]),
        _share_row(
            s, _("In care on day 90, without a JIM by then"), landmark["no_jim_by_landmark"]
        ),
    ]
    for months, entry in amb["after_closure"].items():
        label = _("%(months)s months after closure (answered follow-ups)") % {"months": months}
        rows.append(_share_row(s, label, entry))
    not_recorded = amb["placements_not_recorded"]
    rows.append(
        Row(
            s,
            _("Out-of-home decisions whose placement is not recorded (not counted as placed)"),
            count=not_recorded,
            suppressed=not_recorded is None,
        )
    )
    s = _("Placement gate")
    rows += [
        _share_row(
            s, _("JIM consulted before finalising, or no-JIM reason"), gate["regular"]["compliant"]
        ),
        _share_row(s, _("JIM consulted before finalising"), gate["regular"]["consulted"]),
        _share_row(
            s, _("Emergency: JIM consulted within 7 days"), gate["emergency"]["on_time_share"]
        ),
        _share_row(
            s, _("Emergency: confirmed by a team lead"), gate["emergency"]["confirmed_share"]
        ),
    ]
    s = _("JIM relationship continuing")
    rows.append(_share_row(s, _("At closure"), cont["at_closure"]["continuing"]))
    for months, entry in cont["follow_up"].items():
        label = _("%(months)s months after closure (answered follow-ups)") % {"months": months}
        rows.append(_share_row(s, label, entry))
    return rows


def _day(text: str | None, errors: list[str], label: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(_("%(label)s: write the day as YYYY-MM-DD.") % {"label": label})
        return None


def _int(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise Http404 from None


def _csv(rows: list[Row]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        ["section", "figure", "count", "n", "share", "ci_low", "ci_high", "value", "suppressed"]
    )
    for r in rows:
        low, high = r.ci if r.ci else (None, None)
        writer.writerow(
            [r.section, r.label, r.count, r.n, r.share, low, high, r.value, int(r.suppressed)]
        )
    return buffer.getvalue().encode("utf-8-sig")


def chart_of(scope: Scope) -> str | None:
    """The time-to-JIM chart as SVG text (every text escaped), or None when withheld."""
    curves = time_to_jim_curves(scope)
    if curves is None:
        return None
    return time_to_jim_svg(
        curves,
        title=_("Share with a JIM by day since referral"),
        description=_(
            "Solid: cumulative incidence, 'no JIM found' competing. Dashed: "
            "1 − Kaplan–Meier, 'no JIM found' censored (overstates the share)."
        ),
        cif_label=_("cumulative incidence"),
        km_label=_("1 − Kaplan–Meier"),
        days=_("days since referral"),
    )


def figures_context(figures: dict[str, Any], chart: str | None) -> dict[str, Any]:
    """What the figures part of the page needs (the page and a background result alike)."""
    sections: dict[str, list[Row]] = {}
    for row in rows_of(figures):
        sections.setdefault(row.section, []).append(row)
    return {
        "figures": figures,
        "sections": sections,
        "chart": mark_safe(chart) if chart else None,  # noqa: S308 — escaped in time_to_jim_svg
        "feedback": [
            (RespondentRole(role).label if role in RespondentRole.values else role, entry)
            for role, entry in figures["feedback"]["by_role"].items()
        ],
    }


@dataclass(frozen=True)
class Question:
    """The question the page was asked: whose trajectories, as of which day."""

    filters: dict[str, int]
    programme_id: int | None
    as_of: dt.date
    referred_from: dt.date | None
    errors: list[str]

    def scope(self) -> Scope:
        return Scope(
            as_of=self.as_of,
            programme_id=self.programme_id,
            referred_from=self.referred_from,
            **self.filters,
        )

    def params(self) -> dict[str, Any]:
        """The question as a background job's parameters (JSON)."""
        return {
            **self.filters,
            "as_of": self.as_of.isoformat(),
            "programme_id": self.programme_id,
            "referred_from": self.referred_from.isoformat() if self.referred_from else None,
        }


def question_of(request: AuthenticatedHttpRequest, data: Any) -> Question:
    """Read the filters from ``data`` (GET or POST) through the policy; 404 outside scope."""
    user = request.user
    if not policy.can_see_evidence(user):
        raise Http404
    filters = policy.evidence_scope(user, _int(data.get("team")))
    programme_id = _int(data.get("programme"))
    if (
        programme_id is not None
        and not policy.evidence_programmes(user).filter(pk=programme_id).exists()
    ):
        raise Http404
    errors: list[str] = []
    today = timezone.localdate()
    as_of = _day(data.get("as_of"), errors, _("As of")) or today
    referred_from = _day(data.get("from"), errors, _("Referred from"))
    if as_of > today:
        errors.append(_("The day %(as_of)s lies in the future.") % {"as_of": as_of.isoformat()})
    if referred_from and referred_from > as_of:
        errors.append(_("The period starts after it ends."))
    return Question(filters, programme_id, as_of, referred_from, errors)


@login_required
@require_GET
def evidence_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    question = question_of(request, request.GET)
    errors = list(question.errors)
    context: dict[str, Any] = {"figures": None, "sections": {}, "feedback": [], "chart": None}
    background, latest_job, in_scope = False, None, None
    if not errors:
        scope = question.scope()
        in_scope = cohort(scope).count()
        if in_scope > settings.EVIDENCE_INLINE_LIMIT:
            # Too large to calculate while the page waits: offer it as background work.
            background = True
            latest_job = runner.latest(user, EVIDENCE_SUMMARY, question.params())
        else:
            try:
                figures = summarise(scope)
            except EvidenceError as exc:
                errors.append(str(exc))
            else:
                if request.GET.get("format") == "csv":
                    return _csv_response(request, figures, scope, question.as_of)
                context = figures_context(figures, chart_of(scope))
    context.update(
        {
            "errors": errors,
            "as_of": question.as_of,
            "referred_from": question.referred_from,
            "teams": policy.evidence_teams(user),
            "team_id": question.filters.get("team_id"),
            "programmes": policy.evidence_programmes(user),
            "programme_id": question.programme_id,
            "background": background,
            "latest_job": latest_job,
            "latest_stale": latest_job is not None and runner.is_stale(latest_job),
            "in_scope": in_scope,
        }
    )
    return render(request, "research/evidence.html", context)


def _csv_response(
    request: AuthenticatedHttpRequest, figures: dict[str, Any], scope: Scope, as_of: dt.date
) -> HttpResponse:
    record(request.user, Action.EXPORT, request=request, detail=f"evidence summary {scope}")
    response = HttpResponse(_csv(rows_of(figures)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="evidence-{as_of.isoformat()}.csv"'
    return response


@login_required
@require_POST
def evidence_background_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start the evidence summary as background work and show its progress."""
    question = question_of(request, request.POST)
    if question.errors:  # the page says what is wrong with the days
        keys = ("as_of", "from", "team", "programme")
        query = urlencode({k: request.POST[k] for k in keys if request.POST.get(k)})
        return redirect(f"{reverse('evidence:summary')}?{query}")
    job = runner.start(EVIDENCE_SUMMARY, request.user, question.params(), as_of=question.as_of)
    return redirect("jobs:job", job_id=job.pk)


ANALYSES = {
    "risk": (
        EVIDENCE_RISK,
        gettext_lazy("Risk trajectories with and without a JIM"),
        gettext_lazy(
            "Per life domain of the risk assessment, how risk changes over the measurements "
            "for youth with and without a JIM (a youth counts as 'with a JIM' from the day a "
            "JIM accepted): a linear mixed model with a random intercept and slope per youth, "
            "and GEE with bias-reduced robust standard errors as a check. The difference in "
            "slopes says whether risk falls faster with a JIM."
        ),
    ),
    "moderators": (
        EVIDENCE_MODERATORS,
        gettext_lazy("What works for whom"),
        gettext_lazy(
            "Whether the JIM's association with staying ambulatory, finding a JIM and the "
            "change in risk differs by age, gender, programme model, the JIM's relation to "
            "the youth and risk at intake: interaction tests with Holm and Benjamini–Hochberg "
            "corrections, and the estimate per subgroup with its interval. Associations in "
            "practice data, not proof of cause."
        ),
    ),
}


@login_required
@require_http_methods(["GET", "POST"])
def analysis_view(request: AuthenticatedHttpRequest, analysis: str) -> HttpResponse:
    """The question (GET) and, on POST, the model fit started as background work."""
    kind, title, intro = ANALYSES[analysis]
    data = request.POST if request.method == "POST" else request.GET
    question = question_of(request, data)
    if request.method == "POST" and not question.errors:
        job = runner.start(kind, request.user, question.params(), as_of=question.as_of)
        return redirect("jobs:job", job_id=job.pk)
    latest_job = None if question.errors else runner.latest(request.user, kind, question.params())
    context = {
        "analysis": analysis,
        "title": title,
        "intro": intro,
        "errors": question.errors,
        "as_of": question.as_of,
        "referred_from": question.referred_from,
        "teams": policy.evidence_teams(request.user),
        "team_id": question.filters.get("team_id"),
        "programmes": policy.evidence_programmes(request.user),
        "programme_id": question.programme_id,
        "latest_job": latest_job,
        "latest_stale": latest_job is not None and runner.is_stale(latest_job),
    }
    return render(request, "research/analysis.html", context)
