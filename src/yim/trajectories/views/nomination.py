"""Nomination pages: rounds, candidates and their responses, 'no JIM found', and consent."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yim import policy
from yim.accounts.forms import claim_once
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.trajectories.forms import (
    CandidateForm,
    ConsentForm,
    EndJimForm,
    MinorConfirmationForm,
    NoJimForm,
    ResponseCorrectionForm,
    ResponseForm,
    RoundForm,
)
from yim.trajectories.models import (
    Candidate,
    ConsentRecord,
    NoJimOutcome,
    Response,
    Trajectory,
)
from yim.trajectories.models.base import today
from yim.trajectories.views.base import (
    audit,
    edit_page,
    get_part,
    get_trajectory,
    save_form,
    trajectory_url,
)


def _candidate(trajectory: Trajectory, pk: int) -> Candidate:
    candidate = (
        Candidate.objects.filter(trajectory=trajectory, pk=pk)
        .select_related("person", "round")
        .first()
    )
    if candidate is None:
        raise Http404
    return candidate


def _candidate_in_scope(
    request: AuthenticatedHttpRequest, pk: int, *, edit: bool
) -> tuple[Candidate, Trajectory]:
    candidate, trajectory = get_part(request, Candidate, pk, edit=edit, via="trajectory")
    return _candidate(trajectory, candidate.pk), trajectory


@login_required
@require_http_methods(["GET", "POST"])
def round_start_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = get_trajectory(request, pk, edit=True)
    form = RoundForm(request.POST or None, initial={"started_on": today()})

    def write() -> Model:
        return trajectory.start_round(on=form.cleaned_data["started_on"], by=request.user)

    return edit_page(
        request,
        form,
        trajectory=trajectory,
        write=write,
        detail="nomination round started",
        created=True,
        done=trajectory_url(trajectory, "nomination"),
        title=_("Start a nomination round"),
        intro=_("The youth names people from their own network and asks them personally."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def candidate_add_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = get_trajectory(request, pk, edit=True)
    form = CandidateForm(
        request.POST or None, youth_id=trajectory.youth_id, initial={"named_on": today()}
    )

    def write() -> Model:
        return trajectory.name_candidate(  # opens a round when none is open
            form.cleaned_data["person"],
            named_on=form.cleaned_data["named_on"],
            by=request.user,
            asked_on=form.cleaned_data["asked_on"],
        )

    return edit_page(
        request,
        form,
        trajectory=trajectory,
        write=write,
        detail="candidate named",
        created=True,
        done=trajectory_url(trajectory, "nomination"),
        title=_("Name a candidate"),
        intro=_(
            "Choose someone from the network map. A parent, step-parent or legal guardian "
            "can never be the JIM."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def candidate_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One candidate: their response, the under-18 confirmation, and stopping as JIM.

    The page holds up to four forms with fields of the same name (``reason``, ``response``);
    each form's ids carry its action, so that every label points at its own field."""
    candidate, trajectory = _candidate_in_scope(request, pk, edit=request.method == "POST")
    action = request.POST.get("action", "")
    version = {"version": candidate.version}
    posted: dict[str, Any] = {}
    forms: dict[str, Any] = {
        "response": ResponseForm(
            request.POST if action == "response" else None,
            initial={**version, "asked_on": candidate.asked_on, "response_on": today()},
            auto_id="id_response_%s",
        ),
        "minor": MinorConfirmationForm(
            request.POST if action == "minor" else None,
            initial={**version, "confirmed_on": today()},
            auto_id="id_minor_%s",
        ),
        "end": EndJimForm(
            request.POST if action == "end" else None,
            initial={**version, "ended_on": today()},
            auto_id="id_end_%s",
        ),
        # A recorded answer is corrected with the earlier version kept.
        "correct": ResponseCorrectionForm(
            request.POST if action == "correct" else None,
            initial={
                **version,
                "response": candidate.response,
                "asked_on": candidate.asked_on,
                "response_on": candidate.response_on,
                "decline_reason": candidate.decline_reason,
            },
            auto_id="id_correct_%s",
        ),
    }
    if action in forms:
        form = forms[action]
        posted = form.data

        def write() -> Model:
            data = form.cleaned_data
            candidate.version = data["version"]
            if action == "response":
                candidate.record_response(
                    data["response"],
                    data["response_on"],
                    decline_reason=data["decline_reason"],
                    asked_on=data["asked_on"],
                )
            elif action == "correct":
                candidate.correct_response(
                    data["version"],
                    response=data["response"],
                    on=data["response_on"],
                    asked_on=data["asked_on"],
                    decline_reason=data["decline_reason"],
                    by=request.user,
                    reason=data["reason"],
                )
            elif action == "minor":
                candidate.confirm_minor(
                    by=request.user, reason=data["reason"], on=data["confirmed_on"]
                )
            else:
                candidate.end_jim(on=data["ended_on"], reason=data["reason"])
            return candidate

        if save_form(
            request,
            form,
            youth=trajectory.youth,
            write=write,
            detail=f"candidate: {action}",
            created=False,
        ):
            return redirect(trajectory_url(trajectory, "nomination"))
        candidate = _candidate(trajectory, pk)  # the stored state, not the refused one
    audit(request, Action.VIEW, trajectory.youth, candidate, "candidate")
    editable = (
        policy.can_edit_trajectory(request.user, trajectory.youth) and not trajectory.is_closed
    )
    status = candidate.consent_status() if candidate.is_jim else None
    return render(
        request,
        "trajectories/candidate.html",
        {
            "trajectory": trajectory,
            "youth": trajectory.youth,
            "candidate": candidate,
            "forms": forms,
            "posted": posted,
            "can_edit": editable,
            "show_response": candidate.response == Response.PENDING,
            "show_minor": candidate.person.is_minor and candidate.minor_confirmed_on is None,
            "show_end": candidate.is_active_jim,
            "show_correct": candidate.response != Response.PENDING,
            "revisions": list(candidate.revisions.select_related("changed_by")),
            "consents": list(candidate.consents.all()),
            "consent_status": status,
            "checklist": candidate.consent_checklist() if candidate.is_jim else [],
            "no_holders": status is not None and not status.holders,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def no_jim_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = get_trajectory(request, pk, edit=True)
    form = NoJimForm(
        request.POST or None,
        instance=NoJimOutcome(trajectory=trajectory),
        initial={"recorded_on": today()},
    )

    def write() -> Model:
        data = {name: form.cleaned_data[name] for name in NoJimForm.Meta.fields}
        return trajectory.record_no_jim(**data)

    return edit_page(
        request,
        form,
        trajectory=trajectory,
        write=write,
        detail="no JIM found",
        created=True,
        done=trajectory_url(trajectory, "nomination"),
        title=_("No JIM found"),
        intro=_(
            "A legitimate outcome: record the reason and the alternatives tried. Care goes on."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_add_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    candidate, trajectory = _candidate_in_scope(request, pk, edit=True)
    form = ConsentForm(
        request.POST or None,
        instance=ConsentRecord(
            candidate=candidate, trajectory=trajectory, recorded_by=request.user
        ),
    )

    def write() -> Any:
        claim_once(form, request.user)  # a double submit records one consent
        return form.save_versioned()

    status = candidate.consent_status()
    return edit_page(
        request,
        form,
        trajectory=trajectory,
        write=write,
        detail="consent",
        created=True,
        done=trajectory_url(trajectory, "consent"),
        title=_("Consent for %(name)s as JIM") % {"name": candidate.person.display_name},
        intro=_(
            "Who consents follows the youth's age on the day: under 12 the parents, "
            "12 to 15 the youth and the parents, 16 and older the youth alone."
        ),
        extra={
            "consent_status": status,
            "candidate": candidate,
            "checklist": candidate.consent_checklist(),
            "no_holders": not status.holders,
        },
    )
