"""The teams of one organisation compared, as background work (a :mod:`yim.jobs` kind): the
page ``/evidence/teams/`` (:mod:`yim.research.teams_views`) beside ``yim evidence teams``.

The parameters are the organisation the policy gave (``organisation_id``), the day and
optionally a programme model; the worker pools the teams' estimates
(:func:`~yim.research.evidence.pooling.pool_teams`) and keeps the report's JSON with the
plots drawn in every language (the caterpillar plot per outcome, the funnel plot from the
minimum number of teams on). The page and a report of the result pool the kept estimates
again (:func:`pooled_again`: the same numbers, the reader's own language).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yim import policy
from yim.jobs.kinds import Progress
from yim.research.evidence.file import OUTCOMES
from yim.research.evidence.pooling import PoolReport, Unit, pool_outcome, pool_teams
from yim.research.evidence.pooling_report import forest_svg, funnel_svg, pooled_rows, report_json
from yim.research.evidence_charts import page_svg
from yim.research.evidence_jobs import evidence_kind, in_each_language, localised

EVIDENCE_TEAMS = "evidence.teams"


def organisation_of(params: dict[str, Any]) -> str:
    from yim.accounts.models import Organisation

    name = (
        Organisation.objects.filter(pk=params["organisation_id"])
        .values_list("name", flat=True)
        .first()
    )
    if name is None:
        from yim.research.evidence.verification import PoolingError

        raise PoolingError(_("This organisation is no longer in the registry."))
    return str(name)


def run_teams(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    progress(0.05, _("Estimating every team's outcomes"))
    report = pool_teams(
        organisation_of(params),
        dt.date.fromisoformat(params["as_of"]),
        programme_id=params.get("programme_id"),
    )
    progress(0.7, _("Drawing the plots"))
    kept = report_json(report)

    def plots() -> dict[str, Any]:
        drawn: dict[str, list[str]] = {}
        for index, outcome in enumerate(pooled_again(kept).outcomes, start=1):
            if outcome.error:
                continue
            drawn[outcome.key] = [forest_svg(outcome, index, caterpillar=True)]
            if outcome.pooled["heterogeneity_shown"]:
                drawn[outcome.key].append(funnel_svg(outcome, index))
        return {"plots": drawn}

    return {"report": kept, **in_each_language(plots)}


def teams_context(result: dict[str, Any]) -> dict[str, Any]:
    """What ``research/report/_teams.html`` shows, from the kept result (the report's
    template serves the page too: the same table and plots), worded in the reader's
    language: the kept estimates pooled again (:func:`pooled_again`)."""
    result = localised(result)
    report = result["report"]
    worded = {o.key: o for o in pooled_again(report).outcomes}
    outcomes = []
    for o in report["outcomes"]:
        pooled = SimpleNamespace(kind=o["kind"], pooled=o["pooled"])
        rows = [] if o["error"] else pooled_rows(pooled)
        again = worded[o["key"]]
        outcomes.append(
            {
                "key": o["key"],
                "title": again.title,
                "rows": rows,
                "units": [(u["label"], u["n"]) for u in o["units"]],
                "withheld": o["withheld_units"],
                "note": again.note or None,
                "error": again.error,
                # The engine's SVG, every text escaped by matplotlib.
                "plots": [
                    mark_safe(page_svg(svg))  # noqa: S308
                    for svg in result["plots"].get(o["key"], [])
                ],
            }
        )
    return {
        "outcomes": outcomes,
        "teams": [u["label"] for u in report["units"]],
        "min_units": report["min_units_for_heterogeneity"],
    }


def pooled_again(report: dict[str, Any]) -> PoolReport:
    """The :class:`PoolReport` of a kept result: every outcome pooled again from the kept
    estimates (deterministic: the same numbers), the texts in the active language."""
    titles = {o.key: o.title for o in OUTCOMES}
    min_units = int(report["min_units_for_heterogeneity"])
    outcomes = []
    for o in report["outcomes"]:
        estimated = {u["label"]: u for u in o["units"]}
        units = []
        for team in report["units"]:
            entry = estimated.get(team["label"])
            if entry is not None:
                units.append(Unit(entry["label"], entry["estimate"], entry["variance"], entry["n"]))
            elif team["label"] in o["withheld_units"]:
                units.append(Unit(team["label"], None, None, None))
        key = o["key"]
        outcomes.append(pool_outcome(key, titles.get(key, o["title"]), o["kind"], units, min_units))
    return PoolReport("teams", report["units"], outcomes, min_units, None)


TEAMS = evidence_kind(
    EVIDENCE_TEAMS,
    gettext_lazy("Teams compared"),
    run_teams,
    result_template="research/_teams_result.html",
    context=teams_context,
    may_view=policy.may_see_teams_comparison,
)
