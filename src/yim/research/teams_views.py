"""/evidence/teams/: the teams of one organisation compared (the page of ``yim evidence teams``).

Who: :func:`yim.policy.can_compare_teams` — a team lead (the teams of their own organisation,
figures only), an organisation admin or a researcher; anyone else gets 404. The question is
the day and optionally a programme model; the organisation is always the user's own (the
policy's :func:`~yim.policy.teams_comparison_scope`). The pooling runs as background work
(:mod:`yim.research.teams_jobs`); with fewer than two teams in the selection the page says so
and offers nothing to calculate.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from yim import policy
from yim.accounts.models import Organisation
from yim.core.http import AuthenticatedHttpRequest
from yim.jobs import runner
from yim.research.evidence.definitions import Scope, cohort
from yim.research.evidence.pooling import DEFAULT_MIN_UNITS
from yim.research.evidence_views import question_of
from yim.research.teams_jobs import EVIDENCE_TEAMS


@login_required
@require_http_methods(["GET", "POST"])
def teams_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The question (GET) and, on POST, the comparison started as background work."""
    user = request.user
    filters = policy.teams_comparison_scope(user)  # 404 for anyone who may not compare teams
    data = request.POST if request.method == "POST" else request.GET
    # The day and the programme model are read (and checked) as on every evidence page;
    # whose trajectories is the organisation above, never a team or a caseload.
    question = question_of(request, {k: data[k] for k in ("as_of", "programme") if k in data})
    params = {
        **filters,
        "as_of": question.as_of.isoformat(),
        "programme_id": question.programme_id,
    }
    n_teams = 0
    if not question.errors:
        scope = Scope(
            as_of=question.as_of,
            organisation_id=filters["organisation_id"],
            programme_id=question.programme_id,
        )
        n_teams = cohort(scope).order_by().values("team_id").distinct().count()
    if request.method == "POST" and not question.errors and n_teams >= 2:
        job = runner.start(EVIDENCE_TEAMS, user, params, as_of=question.as_of)
        return redirect("jobs:job", job_id=job.pk)
    latest_job = None if question.errors else runner.latest(user, EVIDENCE_TEAMS, params)
    organisation = Organisation.objects.filter(pk=filters["organisation_id"]).first()
    context = {
        "organisation": organisation.name if organisation else "—",
        "errors": question.errors,
        "as_of": question.as_of,
        "programmes": policy.evidence_programmes(user),
        "programme_id": question.programme_id,
        "n_teams": n_teams,
        "min_units": DEFAULT_MIN_UNITS,
        "latest_job": latest_job,
        "latest_stale": latest_job is not None and runner.is_stale(latest_job),
    }
    return render(request, "research/teams.html", context)
