"""Risk trajectories and "what works for whom" as background work (:mod:`yim.jobs` kinds).

Model fits take longer than a page may wait, at any registry size, so the pages
``/evidence/risk/`` and ``/evidence/moderators/`` always start them as background jobs. The
parameters are the evidence page's question, already narrowed by the policy; the fits are
those of :mod:`yim.research.evidence.risk` and :mod:`yim.research.evidence.moderators`; the
result keeps the JSON of the fit and its plots (SVG, drawn in the worker in every language of
the interface: :func:`~yim.research.evidence_jobs.in_each_language`). Pages and reports name
outcomes, moderators, domains and levels in the reader's language from their codes.
"""

from __future__ import annotations

from typing import Any

from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from yim import policy
from yim.jobs.kinds import Progress
from yim.monitoring import instruments
from yim.research.comparison_views import (
    COVARIATE_LABELS,
    EVIDENCE_COMPARISON,
    OUTCOME_LABELS,
)
from yim.research.evidence.comparison_plot import love_plot_svg
from yim.research.evidence.comparison_sources import compare_registry, frame_from_params
from yim.research.evidence.comparison_study import compare_frame
from yim.research.evidence.moderator_frame import level_labels, moderator_frame
from yim.research.evidence.moderators import fit_moderator_frame
from yim.research.evidence.plots import forest_plot_svg, risk_plot_svg
from yim.research.evidence.risk import (
    RISK_INSTRUMENT,
    domain_error,
    fit_risk_frame,
    risk_domains,
    risk_frame,
)
from yim.research.evidence_charts import page_svg
from yim.research.evidence_jobs import (
    evidence_kind,
    in_each_language,
    localised,
    registry_state,
    scope_of,
)
from yim.research.evidence_views import EVIDENCE_MODERATORS, EVIDENCE_RISK

MODERATOR_LABELS = {
    "age_band": gettext_lazy("Age at referral"),
    "gender": gettext_lazy("Gender"),
    "programme": gettext_lazy("Programme model"),
    "jim_relation": gettext_lazy("The JIM's relation to the youth"),
    "intake_risk": gettext_lazy("Risk level at intake"),
}


def domain_labels() -> dict[str, str]:
    """The risk instrument's domains in the current language."""
    language = get_language()
    return {s.code: s.label.get(language) for s in instruments.get(RISK_INSTRUMENT).subscales}


def run_risk(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    scope = scope_of(params)
    progress(0.05, _("Reading the risk assessments"))
    frame = risk_frame(scope)
    progress(0.2, _("Fitting the models, domain by domain"))
    result = fit_risk_frame(frame, domains=risk_domains(), as_of=scope.as_of)
    progress(0.9, _("Drawing the trajectories"))
    fitted = any(d.slope_difference is not None for d in result.domains)
    return {
        "fit": result.to_json_dict(),
        **in_each_language(
            lambda: {"plot": risk_plot_svg(result, domain_labels()) if fitted else None}
        ),
    }


def risk_context(result: dict[str, Any]) -> dict[str, Any]:
    result = localised(result)
    labels = domain_labels()
    return {
        "fit": result["fit"],
        "domains": [
            (labels.get(d["domain"], d["domain"]), _worded(d)) for d in result["fit"]["domains"]
        ],
        "plot": mark_safe(page_svg(result["plot"])) if result.get("plot") else None,  # noqa: S308 - matplotlib's SVG, its texts escaped
    }


def _worded(domain: dict[str, Any]) -> dict[str, Any]:
    """A domain of a kept fit with why it has no model in the reader's language."""
    if not domain.get("reason") or not domain.get("said"):
        return domain  # a model, or a result kept before its reasons were kept
    return {**domain, "error": domain_error(domain["reason"], domain["said"])}


def run_moderators(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    scope = scope_of(params)
    progress(0.05, _("Reading the registry"))
    frame, risk = moderator_frame(scope), risk_frame(scope)
    progress(0.3, _("Fitting the models and drawing the plots, moderator by moderator"))

    def fitted() -> dict[str, Any]:
        # Fitted once per language: a fit words its messages (a subgroup's note, a test's
        # name, why a moderator was not tested) as it goes. The registry is read once; at
        # 50,000 youth the second fit costs about as much as reading did (~10 s).
        result = fit_moderator_frame(frame, as_of=scope.as_of, risk=risk)
        labels = {code: str(label) for code, label in MODERATOR_LABELS.items()}
        levels = level_labels()
        plots = {}
        for outcome in result.outcomes:
            subgroups = [s for m in outcome.moderators for s in m.subgroups]
            estimated = any(s.estimate is not None for s in subgroups)
            plots[outcome.outcome] = forest_plot_svg(outcome, labels, levels) if estimated else None
        return {"fit": result.to_json_dict(), "plots": plots}

    return localised(in_each_language(fitted))  # the worker's language also at the top


def moderators_context(result: dict[str, Any]) -> dict[str, Any]:
    result = localised(result)
    levels = level_labels()
    outcomes = []
    for outcome in result["fit"]["outcomes"]:
        plot = result["plots"].get(outcome["outcome"])
        tests = [
            (MODERATOR_LABELS.get(m["moderator"], m["moderator"]), _named(m, levels))
            for m in outcome["moderators"]
        ]
        outcomes.append((outcome, tests, mark_safe(page_svg(plot)) if plot else None))  # noqa: S308 - matplotlib's SVG
    return {"fit": result["fit"], "outcomes": outcomes}


def _named(test: dict[str, Any], levels: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A moderator's test with each subgroup's level named (``label``) in the active language."""
    named = levels.get(test["moderator"], {})
    subgroups = [{**s, "label": named.get(s["level"], s["level"])} for s in test["subgroups"]]
    return {**test, "subgroups": subgroups}


RISK = evidence_kind(
    EVIDENCE_RISK,
    gettext_lazy("Risk trajectories with and without a JIM"),
    run_risk,
    result_template="research/_risk_result.html",
    context=risk_context,
)

MODERATORS = evidence_kind(
    EVIDENCE_MODERATORS,
    gettext_lazy("What works for whom: moderator analyses"),
    run_moderators,
    result_template="research/_moderators_result.html",
    context=moderators_context,
)


def run_comparison(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """A comparison study from the registry (the scope's JIM and comparison cohorts) or from
    the checked rows of an uploaded file (kept in the parameters)."""
    trim = params.get("trim")
    if params.get("source") == "file":
        progress(0.1, _("Fitting the models"))
        result = compare_frame(
            frame_from_params(params),
            covariates=params["covariates"],
            outcomes=params["outcomes"],
            trim_percentile=trim,
        )
    else:
        scope = scope_of(params)
        progress(0.05, _("Reading the registry"))
        result = compare_registry(
            scope, covariates=params.get("covariates") or None, trim_percentile=trim
        )
    progress(0.9, _("Drawing the balance plot"))
    return comparison_result(result.to_json_dict())


def comparison_result(fit: dict[str, Any]) -> dict[str, Any]:
    """What a comparison study keeps: its fit (``ComparisonResult.to_json_dict()``) and the
    balance plot, drawn in every language; a registry's covariates and levels are named."""
    registry = fit["source"] == "registry"

    def plot() -> dict[str, Any]:
        if not fit["baseline"]:
            return {"plot": None}
        labels = {code: str(label) for code, label in COVARIATE_LABELS.items()} if registry else {}
        levels = level_labels() if registry else {}
        return {"plot": love_plot_svg(fit["baseline"], labels, levels)}

    return {"fit": fit, **in_each_language(plot)}


def comparison_context(result: dict[str, Any]) -> dict[str, Any]:
    result = localised(result)
    fit = result["fit"]
    registry = fit["source"] == "registry"
    covariates = COVARIATE_LABELS if registry else {}
    outcomes = OUTCOME_LABELS if registry else {}
    levels = level_labels() if registry else {}
    baseline = [
        {**r, "level_label": levels.get(r["covariate"], {}).get(r["level"], r["level"])}
        for r in fit["baseline"]
    ]
    return {
        "fit": fit,
        "baseline": [(covariates.get(r["covariate"], r["covariate"]), r) for r in baseline],
        "outcomes": [(outcomes.get(o["outcome"], o["outcome"]), o) for o in fit["outcomes"]],
        "plot": mark_safe(page_svg(result["plot"])) if result.get("plot") else None,  # noqa: S308 - matplotlib's SVG, its texts escaped
    }


def comparison_state(params: dict[str, Any]) -> str:
    """The registry's state; an uploaded file's rows never change (no state: never stale)."""
    return "" if params.get("source") == "file" else registry_state(params)


COMPARISON = evidence_kind(
    EVIDENCE_COMPARISON,
    gettext_lazy("Comparison study: JIM group against a comparison group"),
    run_comparison,
    result_template="research/_comparison_result.html",
    context=comparison_context,
    state=comparison_state,
    may_view=policy.may_see_comparison_study,
)
