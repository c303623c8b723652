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
from django.views.decorators.http import require_GET, require_POST

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.jobs import runner
from yim.monitoring.models import RespondentRole
from yim.research.evidence import DEFAULT_THRESHOLD
from yim.research.evidence.definitions import Scope
from yim.research.evidence.estimators import Curves
from yim.research.evidence.summary import (
    Dashboard,
    EvidenceError,
    FeedbackItem,
    TooManyToWait,
    dashboard,
    time_to_jim_curves,
)
from yim.research.evidence_charts import Bar, shares_svg, time_to_jim_svg
from yim.research.job_pages import question_page_context

#: The job kinds of the evidence pages (yim.research.evidence_jobs, analysis_jobs).
EVIDENCE_SUMMARY = "evidence.summary"
EVIDENCE_RISK = "evidence.risk"
EVIDENCE_MODERATORS = "evidence.moderators"


@dataclass(frozen=True)
class Row:
    """One figure of a table (and a CSV line). ``share`` and its ``ci`` are proportions
    (shown as percentages); ``value`` is a number of days or a mean score, with ``ci`` on its
    own scale when ``share`` is None."""

    section: str
    label: str
    count: int | None = None
    n: int | None = None
    share: float | None = None
    ci: tuple[float, float] | None = None
    suppressed: bool = False
    value: float | None = None
    table: str = ""
    is_share: bool = False

    @property
    def percent(self) -> float | None:
        return None if self.share is None else self.share * 100

    @property
    def ci_percent(self) -> tuple[float, float] | None:
        if self.ci is None or self.share is None:
            return None
        return (self.ci[0] * 100, self.ci[1] * 100)

    @property
    def value_ci(self) -> tuple[float, float] | None:
        """The interval of a value (a mean score), on the value's own scale."""
        return self.ci if self.share is None and self.value is not None else None


#: The tables of the page, in order: key (the CSV's ``table=``) and whether a chart of
#: shares stands beside it (the time-to-JIM table has the step chart instead).
TABLES = ("jim_found", "time_to_jim", "placements", "ambulatory", "gate", "continuation")
FEEDBACK_TABLE = "feedback"


def _titles() -> dict[str, str]:
    return {
        "jim_found": _("JIM found"),
        "time_to_jim": _("Time to JIM (days from referral)"),
        "placements": _("Out-of-home placements: requested and realised"),
        "ambulatory": _("Ambulatory: no realised out-of-home placement"),
        "gate": _("Placement gate"),
        "continuation": _("JIM relationship continuing"),
        FEEDBACK_TABLE: _("Feedback after meetings"),
    }


def _share_row(table: str, label: str, entry: dict[str, Any]) -> Row:
    ci = entry.get("ci")
    return Row(
        _titles()[table],
        label,
        entry.get("count"),
        entry.get("n"),
        entry.get("share"),
        (ci[0], ci[1]) if ci else None,
        bool(entry.get("suppressed")),
        table=table,
        is_share=True,
    )


def _count_row(table: str, label: str, count: int | None) -> Row:
    """A count alone; None is a withheld small cell."""
    return Row(_titles()[table], label, count=count, suppressed=count is None, table=table)


def _placements(figures: dict[str, Any]) -> list[Row]:
    """Requested (finalised out-of-home decisions) beside realised (youth placed between
    referral and closure: the complement of the intention-to-treat ambulatory share)."""
    gate, itt = figures["gate"], figures["ambulatory"]["itt"]
    regular, emergency = gate["regular"]["n"], gate["emergency"]["n"]
    requested = None if regular is None or emergency is None else regular + emergency
    placed: dict[str, Any] = {"count": None, "n": itt["n"], "share": None, "ci": None}
    placed["suppressed"] = bool(itt["suppressed"])
    if not itt["suppressed"] and itt["share"] is not None:
        low, high = itt["ci"]
        placed.update(count=itt["n"] - itt["count"], share=1 - itt["share"], ci=[1 - high, 1 - low])
    t = "placements"
    return [
        _count_row(t, _("Out-of-home decisions finalised (requested)"), requested),
        _count_row(t, _("Of which in an emergency"), emergency),
        _share_row(t, _("Youth placed out of home between referral and closure"), placed),
        _count_row(
            t,
            _("Out-of-home decisions whose placement is not recorded (not counted as placed)"),
            figures["ambulatory"]["placements_not_recorded"],
        ),
    ]


def rows_of(figures: dict[str, Any]) -> list[Row]:
    """The summary as labelled rows, in the page's order (the CSV has the same rows)."""
    found, ttj, amb = figures["jim_found"], figures["time_to_jim"], figures["ambulatory"]
    gate, cont = figures["gate"], figures["continuation"]
    t = "jim_found"
    rows = [
        _share_row(
            t, _("With a JIM, of all trajectories (intention to treat)"), found["share_of_all"]
        ),
        _share_row(t, _("With a JIM, of finished searches"), found["share_of_finished"]),
        _share_row(t, _("JIM positioned, of youth with a JIM"), found["positioned"]),
    ]
    t = "time_to_jim"
    s = _titles()[t]
    withheld = bool(ttj["suppressed"])
    ci = ttj["km_median_ci"] or [None, None]
    n = figures["n_trajectories"]
    rows += [
        Row(
            s,
            _("Kaplan–Meier median ('no JIM found' censored)"),
            value=ttj["km_median_days"],
            suppressed=withheld,
            n=n,
            table=t,
        ),
        Row(s, _("Lower limit of its 95% interval"), value=ci[0], suppressed=withheld, table=t),
        Row(
            s,
            _("Upper limit of its 95% interval (empty: not reached)"),
            value=ci[1],
            suppressed=withheld,
            table=t,
        ),
        Row(
            s,
            _("Mean among youth who found a JIM"),
            value=ttj["mean_days_found"],
            count=ttj["n_found"],
            suppressed=withheld,
            table=t,
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
                n=n,
                table=t,
                is_share=True,
            )
        )
    rows += _placements(figures)
    t = "ambulatory"
    landmark = amb["landmark_90_days"]
    rows += [
        _share_row(t, _("All trajectories (intention to treat)"), amb["itt"]),
        _share_row(t, _("Closed trajectories"), amb["closed"]),
        _share_row(t, _("In care on day 90, with a JIM by then"), landmark["jim_by_landmark"]),
        _share_row(
            t, _("In care on day 90, without a JIM by then"), landmark["no_jim_by_landmark"]
        ),
    ]
    for months, entry in amb["after_closure"].items():
        label = _("%(months)s months after closure (answered follow-ups)") % {"months": months}
        rows.append(_share_row(t, label, entry))
    t = "gate"
    rows += [
        _share_row(
            t, _("JIM consulted before finalising, or no-JIM reason"), gate["regular"]["compliant"]
        ),
        _share_row(t, _("JIM consulted before finalising"), gate["regular"]["consulted"]),
        _share_row(
            t, _("Emergency: JIM consulted within 7 days"), gate["emergency"]["on_time_share"]
        ),
        _share_row(
            t, _("Emergency: confirmed by a team lead"), gate["emergency"]["confirmed_share"]
        ),
    ]
    t = "continuation"
    rows.append(_share_row(t, _("At closure"), cont["at_closure"]["continuing"]))
    for months, entry in cont["follow_up"].items():
        label = _("%(months)s months after closure (answered follow-ups)") % {"months": months}
        rows.append(_share_row(t, label, entry))
    return rows


def _role_label(role: str) -> str:
    return str(RespondentRole(role).label) if role in RespondentRole.values else role


def _item_label(item: str) -> str:
    labels = {"heard": _("felt heard"), "useful": _("found the meeting useful")}
    return labels.get(item, item)


def feedback_rows(figures: dict[str, Any], items: list[FeedbackItem] | None = None) -> list[Row]:
    """Feedback per respondent role: the number of forms, and the mean score (1–5) of each
    scored item with its number of answers and 95% interval (when ``items`` are given:
    the page; a kept background result has the means per role only)."""
    s, t = _titles()[FEEDBACK_TABLE], FEEDBACK_TABLE
    by_role = figures["feedback"]["by_role"]
    per_item: dict[str, list[FeedbackItem]] = {}
    for entry in items or []:
        per_item.setdefault(entry.role, []).append(entry)
    rows = []
    for role, entry in by_role.items():
        name = _role_label(role)
        withheld = bool(entry["suppressed"])
        rows.append(
            Row(
                s,
                _("%(role)s: forms, mean score of all items") % {"role": name},
                count=entry["n"],
                value=entry["mean"],
                suppressed=withheld,
                table=t,
            )
        )
        for item in per_item.get(role, []):
            rows.append(
                Row(
                    s,
                    _("%(role)s: %(item)s (mean score, 1–5)")
                    % {"role": name, "item": _item_label(item.item)},
                    n=item.answers,
                    value=item.mean,
                    ci=item.ci,
                    suppressed=item.suppressed,
                    table=t,
                )
            )
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


def chart_of(scope: Scope, curves: Curves | None = None) -> str | None:
    """The time-to-JIM chart as SVG text (every text escaped), or None when withheld."""
    curves = curves if curves is not None else time_to_jim_curves(scope)
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


@dataclass(frozen=True)
class Table:
    """One table of the page with the chart beside it (SVG text, escaped; None: no chart)."""

    key: str
    title: str
    rows: list[Row]
    chart: str | None


def _shares_chart(title: str, rows: list[Row], threshold: int) -> str | None:
    """The shares among ``rows`` as bars with their intervals; withheld ones say so."""
    bars = [Bar(r.label, r.share, r.ci, r.suppressed) for r in rows if r.is_share]
    if not bars:
        return None
    return mark_safe(  # noqa: S308 — every text is escaped in shares_svg
        shares_svg(
            bars,
            title=title,
            description=_("Shares with their 95% interval; the table beside it has the numbers."),
            suppressed=withheld_label(threshold),
        )
    )


def withheld_label(threshold: int) -> str:
    """What stands in place of a figure withheld under the small-cell ``threshold``."""
    return _("withheld (fewer than %(threshold)s)") % {"threshold": threshold}


def figures_context(
    figures: dict[str, Any],
    chart: str | None,
    feedback: list[FeedbackItem] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> dict[str, Any]:
    """What the figures part of the page needs (the page and a background result alike);
    ``threshold`` is the small-cell threshold the figures were computed with."""
    titles = _titles()
    rows = rows_of(figures)
    sections: dict[str, list[Row]] = {}
    for row in rows:
        sections.setdefault(row.section, []).append(row)
    tables = []
    for key in TABLES:
        mine = [r for r in rows if r.table == key]
        drawn: str | None
        if key == "time_to_jim":
            drawn = mark_safe(chart) if chart else None  # noqa: S308 — escaped in time_to_jim_svg
        else:
            drawn = _shares_chart(titles[key], mine, threshold)
        tables.append(Table(key, titles[key], mine, drawn))
    return {
        "figures": figures,
        "withheld": withheld_label(threshold),
        "sections": sections,
        "tables": tables,
        "feedback_table": Table(
            FEEDBACK_TABLE, titles[FEEDBACK_TABLE], feedback_rows(figures, feedback), None
        ),
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


def scope_label(filters: dict[str, int]) -> str:
    """Whose trajectories the figures cover, in words: a caseload, a team or an organisation."""
    from yim.accounts.models import Organisation, Team

    if "professional_id" in filters:
        return _("Your caseload")
    if "team_id" in filters:
        team = Team.objects.filter(pk=filters["team_id"]).values_list("name", flat=True).first()
        return _("Team %(name)s") % {"name": team or "—"}
    organisation = (
        Organisation.objects.filter(pk=filters.get("organisation_id", 0))
        .values_list("name", flat=True)
        .first()
    )
    return _("Organisation %(name)s") % {"name": organisation or "—"}


@login_required
@require_GET
def evidence_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    question = question_of(request, request.GET)
    errors = list(question.errors)
    wants_csv = request.GET.get("format") == "csv"
    table = request.GET.get("table") or None
    if wants_csv and table is not None and table not in (*TABLES, FEEDBACK_TABLE):
        raise Http404
    context: dict[str, Any] = {
        "figures": None, "sections": {}, "tables": [], "feedback": [], "chart": None,
    }  # fmt: skip
    background, latest_job, in_scope = False, None, None
    if not errors:
        scope = question.scope()
        try:
            shown = dashboard(scope, inline_limit=settings.EVIDENCE_INLINE_LIMIT)
        except TooManyToWait as exc:
            # Too large to calculate while the page waits: offer it as background work.
            background, in_scope = True, exc.n_trajectories
            latest_job = runner.latest(user, EVIDENCE_SUMMARY, question.params())
        except EvidenceError as exc:
            errors.append(str(exc))
        else:
            if wants_csv:
                return _csv_response(request, shown, scope, question.as_of, table)
            context = figures_context(shown.figures, chart_of(scope, shown.curves), shown.feedback)
            in_scope = shown.figures["n_trajectories"]
            query = {k: v for k, v in request.GET.items() if k not in ("format", "table")}
            context["csv_query"] = urlencode({**query, "format": "csv"})
    context.update(
        {
            **question_page_context(user, question, latest_job),
            "errors": errors,
            "scope_label": scope_label(question.filters),
            "background": background,
            "in_scope": in_scope,
            "can_pool": policy.can_pool_evidence(user),
            "can_compare_teams": policy.can_compare_teams(user),
        }
    )
    return render(request, "research/evidence.html", context)


def _csv_response(
    request: AuthenticatedHttpRequest,
    shown: Dashboard,
    scope: Scope,
    as_of: dt.date,
    table: str | None = None,
) -> HttpResponse:
    """Every figure as CSV, or one table's (``table``: a key of :data:`TABLES` or the
    feedback table); the export is recorded in the audit log."""
    rows = rows_of(shown.figures) + feedback_rows(shown.figures, shown.feedback)
    if table is not None:
        rows = [row for row in rows if row.table == table]
    what = f"evidence {table or 'summary'} {scope}"
    record(request.user, Action.EXPORT, request=request, detail=what)
    response = HttpResponse(_csv(rows), content_type="text/csv; charset=utf-8")
    name = f"evidence-{table}-{as_of.isoformat()}" if table else f"evidence-{as_of.isoformat()}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
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
