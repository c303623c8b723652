"""Closure of professional care (after a confirmation), and the follow-ups at 6, 12 and
24 months."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yim.core.forms import attach_errors
from yim.core.http import AuthenticatedHttpRequest
from yim.trajectories.forms import ClosureForm, FollowUpForm
from yim.trajectories.models import FollowUp
from yim.trajectories.models.base import today
from yim.trajectories.stepper import follow_up_plan, open_matters
from yim.trajectories.views.base import (
    edit_page,
    form_page,
    get_part,
    get_trajectory,
    trajectory_url,
)
from yim.trajectories.views.confirmation import day, days, do_confirmed, is_confirmed, stale


@login_required
@require_http_methods(["GET", "POST"])
def close_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Close the trajectory — after a confirmation that names the consequences and what is
    still open. Only a POST with ``confirmed=1`` closes; any other POST closes nothing and
    shows the page again (a stale version already refused)."""
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

    def said(closure: Any) -> str:
        planned = [due_on for _months, due_on in follow_up_plan(closure.closed_on)]
        return _("Trajectory closed on %(date)s; follow-ups planned on %(dates)s.") % {
            "date": day(closure.closed_on),
            "dates": days(planned),
        }

    closed = do_confirmed(
        request,
        form,
        youth=trajectory.youth,
        write=write,
        detail="trajectory closed",
        created=True,
        said=said,
    )
    if closed is not None:
        return redirect(trajectory_url(trajectory, "closure"))
    unconfirmed = request.method == "POST" and not is_confirmed(request)
    if unconfirmed and form.is_valid():
        refusal = stale(trajectory, form.cleaned_data["version"])
        if refusal is not None:
            attach_errors(form, refusal)
    trajectory.refresh_from_db()  # the page shows what is stored, not a refused edit
    closed_on = form.cleaned_data.get("closed_on") if form.is_bound and form.is_valid() else None
    return form_page(
        request,
        trajectory=trajectory,
        youth=trajectory.youth,
        form=form,
        title=_("Close the trajectory"),
        intro=_(
            "Closing ends professional care; the JIM stays. A closed trajectory can no longer "
            "be changed; only the follow-ups are recorded afterwards."
        ),
        submit=_("Close the trajectory"),
        extra={
            "matters": open_matters(trajectory),
            "follow_ups": follow_up_plan(closed_on or today()),
            "closing_today": closed_on is None or closed_on == today(),
            "unconfirmed": unconfirmed and not form.errors,
        },
        template="trajectories/confirm_close.html",
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
