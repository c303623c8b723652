"""Reports of the evidence dashboard and of the analyses, with their method notes.

A report is built from a result that already exists — the dashboard's figures (the
summary, as the page or the ``evidence.summary`` job has them), a kept job result of the risk
trajectories, the moderator analyses or a comparison study, or the teams of an organisation
pooled (:func:`~yim.research.evidence.pooling.pool_teams`) — and calculates nothing new: its
tables come from the same context builders as the pages (``figures_context``,
``risk_context``, …), so they show the same numbers. Every report carries its method notes:
the definitions used, ``as_of``, the scope, the denominators, the model, and which small
cells are withheld.

Build here (in the report's language: call inside ``translation.override``); render with
:mod:`yim.research.report_render`. Nothing here reads the database: whose figures they are
(``scope``, ``organisation``) is given by the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from yim.research.evidence import DEFAULT_THRESHOLD

#: What a report can be of, and the Dutch stem of its file name.
FILE_STEMS = {
    "dashboard": "rapport-uitkomsten",
    "risk": "rapport-risicoverloop",
    "moderators": "rapport-wat-werkt-voor-wie",
    "comparison": "rapport-vergelijkend-onderzoek",
    "teams": "rapport-teams-vergeleken",
}
LANGUAGES = ("nl", "en")
FORMATS = ("pdf", "html")


class ReportError(Exception):
    """A report that cannot be made: a message for the user."""


@dataclass(frozen=True)
class Note:
    """One method note: a heading and its text."""

    heading: str
    text: str


@dataclass(frozen=True)
class Report:
    """A report ready to render: ``body`` is the template of its figures, ``context`` what
    that template needs (the page's own context, so the same numbers), ``notes`` its
    method notes."""

    kind: str
    language: str
    title: str
    organisation: str
    scope: str
    as_of: dt.date | None
    threshold: int
    body: str
    context: dict[str, Any]
    notes: list[Note] = field(default_factory=list)

    @property
    def filename(self) -> str:
        """A clear Dutch file name, no extension: ``rapport-risicoverloop-2026-06-01-nl``."""
        day = self.as_of.isoformat() if self.as_of else "bestand"
        return f"{FILE_STEMS[self.kind]}-{day}-{self.language}"


def title_of(kind: str) -> str:
    return {
        "dashboard": _("Evidence from practice: outcome figures"),
        "risk": _("Risk trajectories with and without a JIM"),
        "moderators": _("What works for whom: moderator analyses"),
        "comparison": _("Comparison study: JIM group against a comparison group"),
        "teams": _("Teams compared"),
    }[kind]


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


# --- method notes shared by every report --------------------------------------------------------


def _common_notes(
    as_of: dt.date | None, scope: str, organisation: str, threshold: int, calculated: str
) -> list[Note]:
    notes = []
    if as_of is not None:
        notes.append(
            Note(
                _("As of"),
                _(
                    "The figures count what was recorded up to and including %(as_of)s; "
                    "anything recorded for a later day is not known yet."
                )
                % {"as_of": as_of.isoformat()},
            )
        )
    notes += [
        Note(
            _("Scope"),
            _("Whose trajectories: %(scope)s, of %(organisation)s.")
            % {"scope": scope, "organisation": organisation},
        ),
        Note(
            _("Small cells withheld"),
            _(
                "Counts from 1 to %(below)s are withheld (threshold %(threshold)s), never shown "
                "as 0. A share or an estimate is withheld whole — count, estimate and interval "
                "— when its denominator or any cell it rests on is below the threshold: an "
                "estimate, its interval and the group size would otherwise give the small "
                "cell away. A true 0 is shown as 0."
            )
            % {"below": max(threshold - 1, 0), "threshold": threshold},
        ),
        Note(
            _("Source"),
            _(
                "Calculated on %(when)s. This report repeats the figures of the page and "
                "calculates nothing new; the definitions are those of the documentation "
                "(evidence.md). 95%% intervals throughout."
            )
            % {"when": calculated},
        ),
    ]
    return notes


def _unit_note() -> Note:
    return Note(
        _("Unit"),
        _(
            "One trajectory of the JIM approach referred on or before the as-of day; a youth "
            "with two trajectories counts twice. Comparison (care-as-usual) trajectories are "
            "never counted in these figures."
        ),
    )


# --- the dashboard ----------------------------------------------------------------------------


def _dashboard_notes() -> list[Note]:
    return [
        _unit_note(),
        Note(
            _("JIM found"),
            _(
                "Of all trajectories (intention to treat: youth still searching count in the "
                "denominator) and of finished searches (a JIM found or 'no JIM found' "
                "recorded). JIM positioned: the first care meeting attended by an accepted JIM "
                "with complete consent; denominator: the trajectories with a JIM."
            ),
        ),
        Note(
            _("Time to JIM"),
            _(
                "Days from the referral date (the index date) to the first JIM who accepted. "
                "The Kaplan–Meier median treats 'no JIM found' as censored (it overstates the "
                "share with a JIM); the share with a JIM by day 30, 60 and 90 is the cumulative "
                "incidence with 'no JIM found' as a competing event; the mean has the youth "
                "who found a JIM as its denominator."
            ),
        ),
        Note(
            _("Placements and ambulatory"),
            _(
                "A placement is realised when a placement episode began by the as-of day. "
                "Ambulatory: no realised out-of-home placement between referral and closure "
                "(or the as-of day while care goes on). Denominators: every trajectory "
                "(intention to treat), the closed trajectories, those in care and not placed "
                "on day 90 (the landmark contrast) and the answered follow-ups. Out-of-home "
                "decisions whose placement is not recorded are counted apart, not as "
                "placements."
            ),
        ),
        Note(
            _("Placement gate"),
            _(
                "Out-of-home decisions finalised by the as-of day: regular decisions with the "
                "JIM consulted before finalising or a recorded reason why there was no JIM; "
                "emergencies with the JIM consulted within 7 days and confirmed by a team lead."
            ),
        ),
        Note(
            _("JIM relationship continuing"),
            _(
                "At closure: a continuing or strained relationship, of the closures of "
                "trajectories that had a JIM. After closure: contact continues, of the "
                "answered follow-ups of trajectories that had a JIM; unanswered follow-ups are "
                "counted apart, never as 'does not continue'."
            ),
        ),
        Note(
            _("Feedback after meetings"),
            _(
                "Feedback forms submitted by the as-of day, per respondent role: the number of "
                "forms and the mean score (1–5) with a Student-t interval."
            ),
        ),
    ]


def dashboard_report(
    result: dict[str, Any],
    *,
    language: str,
    organisation: str,
    scope: str,
    calculated: str,
    threshold: int = DEFAULT_THRESHOLD,
    notes: list[Note] | None = None,
) -> Report:
    """The dashboard from the summary's result (``figures``, ``chart``, ``feedback``: the shape
    the ``evidence.summary`` job keeps)."""
    from yim.research.evidence.summary import FeedbackItem
    from yim.research.evidence_jobs import localised
    from yim.research.evidence_views import figures_context

    result = localised(result)
    figures = result["figures"]
    feedback = [
        item if isinstance(item, FeedbackItem) else FeedbackItem(**item)
        for item in result.get("feedback") or []
    ]
    context = figures_context(figures, result.get("chart"), feedback or None, threshold)
    context["n_trajectories"] = figures["n_trajectories"]
    as_of = _day(figures["as_of"])
    return Report(
        "dashboard",
        language,
        title_of("dashboard"),
        organisation,
        scope,
        as_of,
        threshold,
        "research/report/_dashboard.html",
        context,
        [
            *(notes or []),
            *_common_notes(as_of, scope, organisation, threshold, calculated),
            *_dashboard_notes(),
        ],
    )


# --- the analyses kept as job results ----------------------------------------------------------


def _risk_notes(fit: dict[str, Any]) -> list[Note]:
    return [
        _unit_note(),
        Note(
            _("Model"),
            _(
                "Per domain of the risk instrument: a linear mixed model of the score on time "
                "(years since referral), JIM (1 from the day a JIM accepted: it changes over "
                "time) and their interaction, with a random intercept and slope per trajectory "
                "(REML). The slope difference is the interaction: score points per year, "
                "negative when risk falls faster with a JIM; Wald intervals. GEE with an "
                "exchangeable working correlation and bias-reduced robust standard errors as a "
                "sensitivity analysis. Formula: %(formula)s."
            )
            % {"formula": fit["model"]["formula"]},
        ),
        Note(
            _("Denominators"),
            _(
                "Every risk assessment submitted and assessed by the as-of day, youth with "
                "missing measurements kept: %(youth)s youth and %(n)s assessments in all; per "
                "domain the youth and assessments its model rests on. Observed means of fewer "
                "assessments than the threshold are not drawn."
            )
            % {"youth": fit["n_youth"], "n": fit["n_assessments"]},
        ),
    ]


def _moderator_notes(fit: dict[str, Any]) -> list[Note]:
    return [
        _unit_note(),
        Note(
            _("Model"),
            _(
                "One moderator at a time. Ambulatory at closure: logistic regression, the odds "
                "ratio of a JIM found per subgroup. Time to JIM: Cox regression, the hazard "
                "ratio against the first level ('no JIM found' and closure censored). Risk "
                "change: the risk model within each subgroup (slope difference). Interaction "
                "tests by likelihood ratio (Wald for risk change); p values corrected by Holm "
                "and by Benjamini–Hochberg over the moderators of each outcome. Associations "
                "in practice data, not proof of cause."
            ),
        ),
        Note(
            _("Denominators"),
            _(
                "Ambulatory at closure: the trajectories closed by the as-of day; time to JIM: "
                "every trajectory; risk change: the youth with risk assessments. Each outcome "
                "names its n, each subgroup its own. A level with fewer trajectories than the "
                "threshold is left out of its test."
            ),
        ),
    ]


def _comparison_notes(fit: dict[str, Any]) -> list[Note]:
    if fit.get("source") == "registry":
        unit = _(
            "The JIM-cohort trajectories of the selection against its comparison trajectories "
            "(residential care as usual), referred by the as-of day."
        )
    else:
        unit = _("The rows of an uploaded file of case files, one youth a row.")
    return [
        Note(_("Unit"), unit),
        Note(
            _("Model"),
            _(
                "Baseline: standardised mean differences (balanced when the absolute SMD is "
                "below 0.1; no significance tests). Outcomes: logistic regression adjusted for "
                "every covariate, Wald intervals. Sensitivity analysis: inverse-probability "
                "weighting for the effect on the treated, with the balance after weighting, "
                "the effective sample size and any trimming."
            ),
        ),
        Note(
            _("Denominators"),
            _(
                "JIM group: %(t)s youth; comparison group: %(c)s youth (with every covariate "
                "recorded); each outcome names its n."
            )
            % {"t": fit.get("n_treated"), "c": fit.get("n_comparison")},
        ),
    ]


def _analysis(kind: str) -> tuple[str, Callable[[dict[str, Any]], list[Note]]]:
    return {
        "risk": ("research/report/_risk.html", _risk_notes),
        "moderators": ("research/report/_moderators.html", _moderator_notes),
        "comparison": ("research/report/_comparison.html", _comparison_notes),
    }[kind]


def analysis_report(
    kind: str,
    result: dict[str, Any],
    *,
    language: str,
    organisation: str,
    scope: str,
    calculated: str,
    as_of: dt.date | None = None,
    notes: list[Note] | None = None,
) -> Report:
    """A risk, moderator or comparison report from the job's kept result (``fit`` and its
    plots); its tables come from the job page's own context builder."""
    from yim.research import analysis_jobs

    context_of = {
        "risk": analysis_jobs.risk_context,
        "moderators": analysis_jobs.moderators_context,
        "comparison": analysis_jobs.comparison_context,
    }[kind]
    fit = result["fit"]
    body, notes_of = _analysis(kind)
    as_of = _day(fit.get("as_of")) or as_of
    if kind == "comparison" and fit.get("source") != "registry":
        as_of = None  # an uploaded file's rows: no registry day applies
    threshold = int(fit.get("threshold") or DEFAULT_THRESHOLD)
    return Report(
        kind,
        language,
        title_of(kind),
        organisation,
        scope,
        as_of,
        threshold,
        body,
        context_of(result),
        [
            *(notes or []),
            *_common_notes(as_of, scope, organisation, threshold, calculated),
            *notes_of(fit),
        ],
    )


# --- the teams of an organisation pooled ---------------------------------------------------------


def teams_report(
    pooled: Any,
    *,
    language: str,
    organisation: str,
    as_of: dt.date,
    calculated: str,
    threshold: int = DEFAULT_THRESHOLD,
) -> Report:
    """The teams of one organisation compared (a :class:`~pooling.PoolReport` of teams): per
    outcome the pooled figures, the caterpillar plot and, with enough teams, the funnel plot —
    the numbers of ``yim evidence teams --format html``."""
    from yim.research.evidence.pooling_report import forest_svg, funnel_svg, pooled_rows

    outcomes = []
    for index, o in enumerate(pooled.outcomes, start=1):
        rows: list[tuple[str, str]] = []
        plots: list[SafeString] = []
        p = o.pooled
        if not o.error:
            rows = pooled_rows(o)
            # The engine's SVG: every text escaped by matplotlib.
            plots.append(mark_safe(forest_svg(o, index, caterpillar=True)))  # noqa: S308
            if p["heterogeneity_shown"]:
                plots.append(mark_safe(funnel_svg(o, index)))  # noqa: S308
        units = [(u.label, u.n) for u in o.used]
        outcomes.append(
            {
                "key": o.key,
                "title": o.title,
                "rows": rows,
                "units": units,
                "withheld": o.withheld,
                "note": o.note,
                "error": o.error,
                "plots": plots,
            }
        )
    scope = _("every team of the organisation")
    notes = [
        Note(
            _("Unit"),
            _(
                "Each team with trajectories of the JIM approach by the as-of day; its "
                "estimates are made as in an evidence file (proportions on the logit scale, "
                "the risk ratio of a placement on the log scale)."
            ),
        ),
        Note(
            _("Model"),
            _(
                "Per outcome the teams' estimates pooled with random effects (REML, z test); "
                "τ², I² and the prediction interval from %(min)s teams on. A team in a shaded "
                "band of the funnel plot differs from the pool at that level."
            )
            % {"min": pooled.min_units},
        ),
    ]
    return Report(
        "teams",
        language,
        title_of("teams"),
        organisation,
        scope,
        as_of,
        threshold,
        "research/report/_teams.html",
        {"outcomes": outcomes, "teams": [u["label"] for u in pooled.units]},
        [*_common_notes(as_of, scope, organisation, threshold, calculated), *notes],
    )
