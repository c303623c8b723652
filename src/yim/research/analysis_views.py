"""The model analyses of the evidence (risk trajectories, what works for whom): the question on
a page, the fit as background work (:mod:`yim.research.analysis_jobs`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from yim.core.http import AuthenticatedHttpRequest
from yim.jobs import runner
from yim.research.evidence_views import EVIDENCE_MODERATORS, EVIDENCE_RISK, question_of
from yim.research.job_pages import question_page_context, start_and_show

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
        return start_and_show(kind, request.user, question.params(), as_of=question.as_of)
    latest_job = None if question.errors else runner.latest(request.user, kind, question.params())
    context = {
        "analysis": analysis,
        "title": title,
        "intro": intro,
        "errors": question.errors,
        **question_page_context(request.user, question, latest_job),
    }
    return render(request, "research/analysis.html", context)
