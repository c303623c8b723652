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

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.monitoring.models import RespondentRole
from yim.research.evidence.definitions import Scope
from yim.research.evidence.summary import EvidenceError, summarise, time_to_jim_curves
from yim.research.evidence_charts import time_to_jim_svg


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


@login_required
@require_GET
def evidence_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not policy.can_see_evidence(user):
        raise Http404
    filters = policy.evidence_scope(user, _int(request.GET.get("team")))
    programme_id = _int(request.GET.get("programme"))
    programmes = policy.evidence_programmes(user)
    if programme_id is not None and not programmes.filter(pk=programme_id).exists():
        raise Http404
    errors: list[str] = []
    today = timezone.localdate()
    as_of = _day(request.GET.get("as_of"), errors, _("As of")) or today
    referred_from = _day(request.GET.get("from"), errors, _("Referred from"))
    if as_of > today:
        errors.append(_("The day %(as_of)s lies in the future.") % {"as_of": as_of.isoformat()})
    if referred_from and referred_from > as_of:
        errors.append(_("The period starts after it ends."))
    figures, rows, chart = None, [], None
    if not errors:
        scope = Scope(
            as_of=as_of, programme_id=programme_id, referred_from=referred_from, **filters
        )
        try:
            figures = summarise(scope)
        except EvidenceError as exc:
            errors.append(str(exc))
    if figures is not None:
        rows = rows_of(figures)
        if request.GET.get("format") == "csv":
            record(user, Action.EXPORT, request=request, detail=f"evidence summary {scope}")
            response = HttpResponse(_csv(rows), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="evidence-{as_of.isoformat()}.csv"'
            )
            return response
        curves = time_to_jim_curves(scope)
        if curves is not None:
            chart = mark_safe(  # noqa: S308 — every text is escaped in time_to_jim_svg
                time_to_jim_svg(
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
            )
    sections: dict[str, list[Row]] = {}
    for row in rows:
        sections.setdefault(row.section, []).append(row)
    context = {
        "errors": errors,
        "figures": figures,
        "sections": sections,
        "chart": chart,
        "as_of": as_of,
        "referred_from": referred_from,
        "teams": policy.evidence_teams(user),
        "team_id": filters.get("team_id"),
        "programmes": programmes,
        "programme_id": programme_id,
        "feedback": [
            (RespondentRole(role).label if role in RespondentRole.values else role, entry)
            for role, entry in (figures["feedback"]["by_role"] if figures else {}).items()
        ],
    }
    return render(request, "research/evidence.html", context, status=200)
