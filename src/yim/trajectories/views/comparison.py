"""Pages for comparison (care-as-usual) trajectories: the team's list, one entered by hand and
a CSV/XLSX import that records every row or — when any row or column is wrong — nothing,
with every problem listed. Comparison trajectories are marked "comparison group" wherever
they are shown and stay out of work lists and the team overview."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.forms import attach_errors
from yim.core.http import AuthenticatedHttpRequest
from yim.trajectories import comparison_file
from yim.trajectories.comparison import ComparisonCase, create_comparison, import_rows
from yim.trajectories.forms_registry import ComparisonForm, ComparisonImportForm
from yim.trajectories.models import Cohort
from yim.trajectories.views.base import audit, trajectory_url


def _may_enter(request: AuthenticatedHttpRequest) -> None:
    """Comparison trajectories are entered by staff who may register youth (intake)."""
    if not policy.can_start_intake(request.user) or request.user.team is None:
        raise Http404


@login_required
@require_GET
def comparison_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The team's comparison trajectories (paginated, one query per page)."""
    _may_enter(request)
    trajectories = (
        policy.staff_trajectory_queryset(request.user)
        .filter(cohort=Cohort.COMPARISON, team_id=request.user.team_id)
        .select_related("youth")
        .order_by("-referred_on", "-pk")
    )
    page = Paginator(trajectories, 50).get_page(request.GET.get("page"))
    record(
        request.user,
        Action.LIST,
        request=request,
        detail=f"comparison trajectories page {page.number}",
        listed=[trajectory.youth_id for trajectory in page.object_list],
    )
    return render(
        request,
        "trajectories/comparison_list.html",
        {"page": page, "title": _("Comparison group (care as usual)")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def comparison_add_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    _may_enter(request)
    user = request.user
    form = ComparisonForm(request.POST or None, organisation_id=user.organisation_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = ComparisonCase(
            referred_on=data["referred_on"],
            date_of_birth=data["date_of_birth"],
            gender=data["gender"],
            requested_placement=data["requested_placement"],
            placement_basis=data["placement_basis"],
            referral_source=data["referral_source"],
            realised_placement=data["realised_placement"],
            placement_started_on=data["placement_started_on"],
            placement_ended_on=data["placement_ended_on"],
            reference=data["reference"],
        )
        try:
            trajectory = create_comparison(
                case, team=user.team, professional=user, programme=data["programme"], by=user
            )
        except ValidationError as refused:
            attach_errors(form, _on_form(refused))
        else:
            audit(request, Action.CREATE, trajectory.youth, trajectory, "comparison trajectory")
            messages.success(request, _("The comparison trajectory is recorded."))
            return redirect(trajectory_url(trajectory))
    return render(
        request,
        "trajectories/comparison_form.html",
        {"form": form, "title": _("New comparison trajectory")},
    )


#: Model fields of a refusal → the fields of the form.
_FORM_FIELDS = {
    "display_name": "reference",
    "placement_type": "realised_placement",
    "started_on": "placement_started_on",
    "ended_on": "placement_ended_on",
    "started_at": "referred_on",
}


def _on_form(refused: ValidationError) -> ValidationError:
    if not hasattr(refused, "error_dict"):
        return refused
    return ValidationError(
        {_FORM_FIELDS.get(name, name): msgs for name, msgs in refused.message_dict.items()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def comparison_import_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Import a file: every row, or nothing and the list of problems (row, column, what)."""
    _may_enter(request)
    user = request.user
    form = ComparisonImportForm(
        request.POST or None, request.FILES or None, organisation_id=user.organisation_id
    )
    problems: list[comparison_file.Problem] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        cases, problems = comparison_file.read(upload.read(), upload.name)
        if not problems:
            result = import_rows(
                cases,
                team=user.team,
                professional=user,
                programme=form.cleaned_data["programme"],
                by=user,
            )
            problems = result.problems
            if result.clean:
                for trajectory in result.created:
                    audit(request, Action.CREATE, trajectory.youth, trajectory,
                          "comparison trajectory (import)")  # fmt: skip
                messages.success(
                    request,
                    _("%(n)s comparison trajectories imported.") % {"n": len(result.created)},
                )
                return redirect("trajectories:comparison_list")
        record(user, Action.CREATE, request=request,
               detail=f"comparison import refused: {len(problems)} problems")  # fmt: skip
    return render(
        request,
        "trajectories/comparison_import.html",
        {
            "form": form,
            "problems": problems,
            "title": _("Import comparison trajectories"),
            "columns": (*comparison_file.REQUIRED, *comparison_file.OPTIONAL),
        },
    )
