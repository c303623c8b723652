"""The evidence summary as background work (a :mod:`yim.jobs` kind).

The page calculates the summary while it waits for a registry of ordinary size; above
``YIM_EVIDENCE_INLINE_LIMIT`` trajectories it starts this kind instead. The parameters are
the question the page was asked, already narrowed by the policy when the job was started;
the result is kept with the registry state it rests on, and the job page says when that
state has changed. Who may see the result is asked of the policy again on every view.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yim import policy
from yim.jobs import kinds
from yim.jobs.kinds import Progress
from yim.jobs.state import fingerprint
from yim.research.evidence.definitions import Scope
from yim.research.evidence.summary import EvidenceError, FeedbackItem, dashboard
from yim.research.evidence_views import EVIDENCE_SUMMARY, chart_of, figures_context

#: The apps whose records the evidence definitions read.
REGISTRY_APPS = ("trajectories", "monitoring", "programmes")


def scope_of(params: dict[str, Any]) -> Scope:
    return Scope(
        as_of=dt.date.fromisoformat(params["as_of"]),
        programme_id=params.get("programme_id"),
        referred_from=(
            dt.date.fromisoformat(params["referred_from"]) if params.get("referred_from") else None
        ),
        **{
            name: params[name]
            for name in policy.EVIDENCE_SCOPE_FIELDS
            if params.get(name) is not None
        },
    )


def run_summary(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    scope = scope_of(params)
    progress(0.05, _("Calculating the outcome figures"))
    shown = dashboard(scope)
    progress(0.8, _("Drawing the time-to-JIM chart"))
    return {
        "figures": shown.figures,
        "feedback": [dataclasses.asdict(item) for item in shown.feedback],
        **in_each_language(lambda: {"chart": chart_of(scope, shown.curves)}),
    }


def in_each_language(draw: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``{"by_language": {code: draw()}}`` for every language of the interface.

    What a worker draws (plots: their titles, axes, legends) is in the language active while
    it runs. Kept once per language, a result reads — and is reported — in the language of
    whoever opens it (:func:`localised`), not in the worker's."""
    drawn = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            drawn[code] = draw()
    return {"by_language": drawn}


def localised(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` with its parts in the active language (:func:`in_each_language`) over the
    rest; a result kept without them (before they were drawn per language) as it is."""
    by_language = result.get("by_language")
    if not by_language:
        return result
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    parts = by_language.get(language) or by_language.get(settings.LANGUAGE_CODE)
    return {**result, **(parts or next(iter(by_language.values())))}


def registry_state(params: dict[str, Any]) -> str:
    return fingerprint(*REGISTRY_APPS)


def result_context(result: dict[str, Any]) -> dict[str, Any]:
    result = localised(result)
    feedback = [FeedbackItem(**item) for item in result.get("feedback", [])]
    return figures_context(result["figures"], result.get("chart"), feedback or None)


def evidence_kind(
    name: str,
    label: Any,
    run: Callable[[dict[str, Any], Progress], dict[str, Any]],
    *,
    result_template: str,
    context: Callable[[dict[str, Any]], dict[str, Any]],
    state: Callable[[dict[str, Any]], str] = registry_state,
    may_view: Callable[[Any, dict[str, Any]], bool] = policy.still_has_evidence_scope,
) -> kinds.JobKind:
    """Register a kind of evidence analysis (figures, risk, moderators, comparison).

    What the evidence kinds share is said once here: the result rests on the registry (it
    is marked stale once the registry changes), an :class:`EvidenceError` is the message
    meant for the user, and only a researcher who still has the question's evidence scope
    sees the result. A kind that differs passes its own ``state`` or ``may_view``.
    """
    return kinds.register(
        kinds.JobKind(
            name=name,
            label=label,
            run=run,
            state=state,
            result_template=result_template,
            user_errors=(EvidenceError,),
            context=context,
            may_view=may_view,
        )
    )


SUMMARY = evidence_kind(
    EVIDENCE_SUMMARY,
    gettext_lazy("Evidence from practice: outcome figures"),
    run_summary,
    result_template="research/_evidence_figures.html",
    context=result_context,
)
