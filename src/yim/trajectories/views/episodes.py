"""Pages for placement episodes and the youth's living-situation history.

Finalising an out-of-home decision does not create a placement: on the trajectory's
placement section the professional records whether the decision was carried out and when
the placement began (later: when it ended), or records a placement afterwards. The living
situation is recorded with the day it began; the youth's current situation follows.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yim import policy
from yim.core.errors import StaleEdit
from yim.core.http import AuthenticatedHttpRequest
from yim.trajectories.forms_registry import DecisionOutcomeForm, EpisodeForm, LivingSituationForm
from yim.trajectories.models import (
    LivingSituationRecord,
    PlacementDecision,
    PlacementEpisode,
)
from yim.trajectories.models.base import today
from yim.trajectories.views.base import (
    edit_page,
    get_part,
    get_trajectory,
    get_youth,
    trajectory_url,
)


@login_required
@require_http_methods(["GET", "POST"])
def decision_outcome_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record whether a finalised out-of-home decision was carried out, and when."""
    decision, trajectory = get_part(request, PlacementDecision, pk, edit=True, via="trajectory")
    if not (decision.is_finalised and decision.is_out_of_home):
        raise Http404
    existing = PlacementEpisode.objects.filter(decision=decision).first()
    if existing is not None:
        return redirect("trajectories:episode", existing.pk)
    form = DecisionOutcomeForm(
        request.POST or None,
        initial={"started_on": decision.decided_on, "placement_type": decision.placement_type},
    )

    def write() -> Model:
        data = form.cleaned_data
        return PlacementEpisode.record_for_decision(
            decision,
            carried_out=bool(data["carried_out"]),
            started_on=data["started_on"],
            ended_on=data["ended_on"],
            placement_type=data["placement_type"],
            note=data["note"],
            by=request.user,
        )

    return edit_page(
        request,
        form,
        trajectory=trajectory,
        write=write,
        detail="placement decision: carried out or not",
        created=True,
        done=trajectory_url(trajectory, "placement"),
        title=_("Was the placement carried out?"),
        intro=_(
            "%(placement)s, decided on %(day)s. A final decision is not yet a placement: "
            "record whether it was carried out and the day it began."
        )
        % {"placement": decision.get_placement_type_display(), "day": decision.decided_on},
    )


@login_required
@require_http_methods(["GET", "POST"])
def episode_add_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A placement that began without a decision in yim, recorded afterwards with a note."""
    trajectory = get_trajectory(request, pk, edit=True)
    form = EpisodeForm(
        request.POST or None,
        instance=PlacementEpisode(
            trajectory=trajectory, source="recorded_afterwards", recorded_by=request.user
        ),
        initial={"started_on": today()},
    )
    return edit_page(
        request,
        form,
        trajectory=trajectory,
        detail="placement episode recorded afterwards",
        created=True,
        done=trajectory_url(trajectory, "placement"),
        title=_("Record a placement afterwards"),
        intro=_(
            "A placement that began without a placement decision in yim (for example "
            "arranged elsewhere). Say in the note where it is known from."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def episode_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Correct an episode or record its end."""
    episode, trajectory = get_part(request, PlacementEpisode, pk, edit=True, via="trajectory")
    form = EpisodeForm(request.POST or None, instance=episode)
    return edit_page(
        request,
        form,
        trajectory=trajectory,
        detail="placement episode changed",
        created=False,
        done=trajectory_url(trajectory, "placement"),
        title=_("Placement episode"),
        intro=_("Record the day the placement ended, or correct what was recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def living_situation_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    """The youth's living situations with the day each began, and a new one."""
    writing = request.method == "POST"
    youth = get_youth(request, youth_id, edit=writing)
    form = LivingSituationForm(
        request.POST or None, initial={"version": youth.version, "since": today()}
    )

    def write() -> Model:
        data = form.cleaned_data
        if data["version"] != youth.version:
            raise StaleEdit()
        return LivingSituationRecord.record(
            youth,
            situation=data["situation"],
            since=data["since"],
            note=data["note"],
            by=request.user,
            expected_version=data["version"],
        )

    return edit_page(
        request,
        form,
        trajectory=youth.trajectories.open().first(),
        youth=youth,
        write=write,
        detail="living situation",
        created=True,
        done=reverse("trajectories:living_situation", args=[youth.pk]),
        refresh=youth,
        title=_("Living situation"),
        intro=_("Each living situation with the day it began; the latest one is the current."),
        template="trajectories/living_situation.html",
        extra={
            "history": list(youth.living_history.order_by("-since", "-pk")),
            "can_edit": policy.can_edit_trajectory(request.user, youth),
        },
    )
