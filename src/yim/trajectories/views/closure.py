"""Closure of professional care, and the follow-ups at 6, 12 and 24 months."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yim.core.http import AuthenticatedHttpRequest
from yim.trajectories.forms import ClosureForm, FollowUpForm
from yim.trajectories.models import FollowUp
from yim.trajectories.models.base import today
from yim.trajectories.views.base import (
    edit_page,
    get_part,
    get_trajectory,
    trajectory_url,
)


@login_required
@require_http_methods(["GET", "POST"])
def close_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = get_trajectory(request, pk, edit=True)
    form = ClosureForm(
        request.POST or None, initial={"version": trajectory.version, "closed_on": today()}
    )

    def write() -> Model:
        data = form.cleaned_data
        trajectory.version = data["version"]
        return trajectory.close(  # the model says when a closure on that day happened
            reason=data["reason"],
            jim_relationship=data["jim_relationship"],
            on=data["closed_on"],
            by=request.user,
            note=data["note"],
        )

    return edit_page(
        request,
        form,
        trajectory=trajectory,
        write=write,
        detail="trajectory closed",
        created=True,
        done=trajectory_url(trajectory, "closure"),
        title=_("Close the trajectory"),
        intro=_(
            "Closing ends professional care; the JIM stays. Follow-ups are planned at 6, 12 "
            "and 24 months. A closed trajectory can no longer be changed."
        ),
        submit=_("Close the trajectory"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    follow_up, trajectory = get_part(request, FollowUp, pk, edit=True, via="trajectory")
    initial = {
        "version": follow_up.version,
        "done_on": follow_up.done_on or today(),
        "outcome": follow_up.outcome,
        "reported_by": follow_up.reported_by,
        "jim": follow_up.jim_id,
        "contact_frequency": follow_up.contact_frequency,
        "placement_type": follow_up.placement_type,
        "note": follow_up.note,
    }
    form = FollowUpForm(request.POST or None, initial=initial, trajectory=trajectory)

    def write() -> Model:
        data = form.cleaned_data
        follow_up.version = data["version"]
        follow_up.record(
            done_on=data["done_on"],
            outcome=data["outcome"],
            reported_by=data["reported_by"],
            jim=data.get("jim"),
            jim_contact_continues=data.get("jim_contact_continues"),
            placement_after_all=data["placement_after_all"],
            contact_frequency=data.get("contact_frequency", ""),
            placement_type=data["placement_type"],
            note=data["note"],
            by=request.user,
        )
        return follow_up

    return edit_page(
        request,
        form,
        trajectory=trajectory,
        write=write,
        detail="follow-up",
        created=False,
        done=trajectory_url(trajectory, "closure"),
        title=str(follow_up),
        intro=_("Does the JIM relationship continue? Did a placement happen after all?"),
    )
