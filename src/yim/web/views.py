"""The pages of the UI shell: home, caseload, youth file, audit search and one's own account.

Views parse and authorise (through :mod:`yim.policy`) and leave rules to the models.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yim import policy
from yim.accounts import twofactor
from yim.accounts.forms import ApiTokenForm, LanguageForm, claim_once
from yim.accounts.mail import send_link_mail
from yim.accounts.models import ApiToken, Invitation, InvitationError, User
from yim.accounts.views import safe_next
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.trajectories.models import Candidate, NetworkPerson, Response, Trajectory, Youth
from yim.trajectories.views.base import audit as audit_case
from yim.web.forms import AuditSearchForm, BreakGlassForm, InvitationForm
from yim.web.worklist import work_list

PAGE_SIZE = 25


def _page(request: HttpRequest, queryset, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _audit(
    request: AuthenticatedHttpRequest,
    action: Any,
    youth: Youth | None = None,
    obj: Any = None,
    detail: str = "",
    **extra: Any,
) -> None:
    """One audit row for what the signed-in user does or sees on these pages."""
    record(request.user, action, request=request, youth=youth, obj=obj, detail=detail, **extra)


@require_GET
def root_view(request: HttpRequest) -> HttpResponse:
    return redirect("web:home" if request.user.is_authenticated else "accounts:login")


@login_required
@require_GET
def home_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, object] = {}
    if policy.can_list_caseload(user):
        context["caseload_count"] = policy.youth_queryset(user).count()
    context["awaiting_confirmation"] = list(policy.accounts_awaiting_confirmation(user)[:50])
    context["work"] = work_list(user)
    context["case_access_pending"] = bool(getattr(user, "case_access_pending", False))
    if user.is_portal_user:
        context["linked_youth"] = list(policy.youth_queryset(user)[:5])
    return render(request, "web/home.html", context)


@login_required
@require_GET
def youth_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _render_youth_list(request)


def _render_youth_list(
    request: AuthenticatedHttpRequest,
    *,
    break_glass_form: BreakGlassForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The caseload list; a refused break-the-glass form is shown again, open, as typed."""
    if not policy.can_list_caseload(request.user):
        raise Http404
    queryset = (
        policy.youth_queryset(request.user)
        .exclude(Youth.comparison_only())
        .select_related("team", "professional")
    )
    query = request.GET.get("q", "").strip()[:100]
    if query:
        queryset = queryset.filter(display_name__icontains=query)
    page = _page(request, queryset)
    _audit(
        request,
        Action.LIST,
        detail=f"youth list page {page.number}" + (" (search)" if query else ""),
        listed=[youth.pk for youth in page.object_list],
    )
    return render(
        request,
        "web/youth_list.html",
        {"page": page, "query": query, "break_glass_form": break_glass_form or BreakGlassForm()},
        status=status,
    )


@login_required
@require_GET
def youth_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    youth = policy.get_case_file_or_404(request.user, pk, policy.break_glass_ids(request))
    return _render_youth_detail(request, youth)


def _render_youth_detail(
    request: AuthenticatedHttpRequest,
    youth: Youth,
    *,
    invitation_form: InvitationForm | None = None,
    status: int = 200,
    detail: str = "",
) -> HttpResponse:
    """The youth page (audited as a view); a refused invitation form is shown again as typed."""
    capacity = audit_case(request, Action.VIEW, youth, youth, detail)
    can_invite = policy.can_invite_portal_user(request.user, youth)
    invitations = (
        Invitation.objects.filter(youth=youth).order_by("-created_at")[:10] if can_invite else []
    )
    context: dict[str, object] = {
        "youth": youth,
        "via_break_glass": capacity.via_break_glass,
        "can_invite": can_invite,
        "invitations": invitations,
        "now": timezone.now(),
        "portal_accounts": policy.managed_portal_links(request.user, youth).order_by(
            "relation", "user__username"
        ),
    }
    shows_trajectories = policy.can_view_trajectories(request.user, youth)
    if shows_trajectories:
        context.update(_youth_page(request.user, youth))
    if invitation_form is None:
        # A fresh form lists the people the page loaded (else it asks for them itself).
        loaded = _invitation_choices(youth) if shows_trajectories and can_invite else {}
        invitation_form = InvitationForm(youth=youth, **loaded)
    context["invitation_form"] = invitation_form
    return render(request, "web/youth_detail.html", context, status=status)


def _youth_page(user: User, youth: Youth) -> dict[str, object]:
    """The staff view of the youth page: timeline, network map, current JIM, open tasks."""
    from yim.monitoring.charts import domain_chart_svgs
    from yim.trajectories.network_drawing import inline_svg
    from yim.trajectories.timeline import load_case_records, open_tasks, timeline_for

    # The trajectories and the network once (the current trajectory, the list, the network
    # map and its size, the holders of parental authority and the invitation form read
    # them), and the records of all the trajectories once, one query per kind: the
    # timeline, the charts' JIM day and the invitation form read them all, the current
    # trajectory's tasks, JIM, consent and evaluation schedule and the map read its own.
    prefetch_related_objects(
        [youth],
        Prefetch(
            "trajectories",
            queryset=Trajectory.objects.select_related("programme", "closure", "care_plan"),
        ),
        "network",
    )
    network = list(youth.network.all())  # by name, then id (the model's order)
    _set_authority_holders(youth, network)
    trajectories = list(youth.trajectories.all())  # newest first
    load_case_records(trajectories)
    trajectory = youth.current_trajectory()
    can_edit = policy.can_edit_trajectory(user, youth)
    return {
        "show_trajectories": True,
        "trajectory": trajectory,
        "trajectories": trajectories,
        "jim": trajectory.active_jim if trajectory else None,
        "tasks": open_tasks(trajectory) if trajectory else [],
        "timeline": timeline_for(youth),
        "map_svg": inline_svg(youth),
        "network_size": len(network),
        "domain_charts": domain_chart_svgs(youth, candidates=_candidates(trajectories)),
        "can_edit_trajectory": can_edit,
        "can_start_trajectory": can_edit and not any(t.closed_at is None for t in trajectories),
    }


def _set_authority_holders(youth: Youth, network: list[NetworkPerson]) -> None:
    """The youth's holders of parental authority taken from the loaded network, as
    :func:`~yim.trajectories.models.consent.authority_holders_prefetch` would load them
    (``youth.authority_holders``, read by the consent status): the network's own order
    (by name, then id) is the order that prefetch asks for, so no second query."""
    youth.authority_holders = [  # type: ignore[attr-defined]
        person for person in network if person.has_parental_authority
    ]


def _candidates(trajectories: list[Trajectory]) -> list[Candidate]:
    """Every candidate of the youth's trajectories, as :func:`load_case_records` loaded
    them."""
    return [c for t in trajectories for c in t.candidates.all()]


def _invitation_choices(youth: Youth) -> dict[str, list[NetworkPerson]]:
    """What the invitation form lists, from the records :func:`_youth_page` loaded (see
    :class:`InvitationForm`), the same people in the same order as its querysets: the
    people of the network who are an active JIM (accepted, not stopped) in any of the
    youth's trajectories, and the holders of parental authority."""
    active = {
        c.person_id
        for c in _candidates(list(youth.trajectories.all()))
        if c.response == Response.ACCEPTED and c.jim_ended_on is None
    }
    network = youth.network.all()
    return {
        "jims": [person for person in network if person.pk in active],
        "holders": list(youth.authority_holders),  # type: ignore[attr-defined]
    }


@login_required
@require_POST
def break_glass_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = BreakGlassForm(request.POST)
    if not form.is_valid():
        return _render_youth_list(request, break_glass_form=form, status=400)
    youth = Youth.objects.filter(pk=form.cleaned_data["youth_id"]).first()
    if youth is None or not policy.can_break_glass(request.user, youth.organisation_id):
        raise Http404
    grants = dict(request.session.get(policy.BREAK_GLASS_SESSION_KEY, {}))
    grants[str(youth.pk)] = form.cleaned_data["reason"]
    request.session[policy.BREAK_GLASS_SESSION_KEY] = grants
    granted = "break-the-glass access granted for this session"
    audit_case(request, Action.VIEW, youth, youth, granted)
    return redirect("web:youth_detail", pk=youth.pk)


@never_cache
@login_required
@require_POST
def invite_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Create an invitation (the link is shown once), or withdraw an unused one."""
    youth = policy.get_youth_or_404(request.user, pk)
    if not policy.can_invite_portal_user(request.user, youth):
        raise Http404
    if "withdraw" in request.POST:
        return _withdraw_invitation(request, youth)
    form = InvitationForm(request.POST, youth=youth)
    if not form.is_valid():
        # Shown again with what was typed and the errors on their fields (no redirect:
        # a redirect would lose the input).
        return _render_youth_detail(
            request,
            youth,
            invitation_form=form,
            status=400,
            detail="invitation refused, shown again",
        )
    try:
        with transaction.atomic():
            claim_once(form, request.user)  # a double submit makes one invitation
            invitation, token = Invitation.create_for(
                youth=youth,
                role=form.cleaned_data["role"],
                display_name=form.cleaned_data["display_name"],
                email=form.cleaned_data["email"],
                created_by=request.user,
                person=form.network_person,
            )
    except ValidationError as twice:
        form.add_error(None, twice)
        return _render_youth_detail(
            request, youth, invitation_form=form, status=409, detail="invitation sent twice"
        )
    _audit(request, Action.CREATE, youth, invitation, f"invitation for {invitation.role}")
    link = settings.BASE_URL + reverse("accounts:accept_invitation", args=[token])
    return _invitation_page(request, youth, invitation, link)


def _invitation_page(
    request: AuthenticatedHttpRequest, youth: Youth, invitation: Invitation, link: str
) -> HttpResponse:
    """The link, shown once; with an e-mail address it is also mailed (the result shown)."""
    sent = None
    if invitation.email:
        sent = send_link_mail(
            to=invitation.email,
            kind="invitation",
            link=link,
            language=translation.get_language() or "",
            name=invitation.display_name,
        )
        mailed = "invitation e-mailed" if sent.ok else "invitation e-mail failed"
        _audit(request, Action.UPDATE, youth, invitation, mailed)
    return render(
        request,
        "web/invitation_created.html",
        {"youth": youth, "invitation": invitation, "link": link, "sent": sent},
    )


@never_cache
@login_required
@require_POST
def invitation_resend_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Send an open invitation's mail again (after a failed send). The link comes back from
    the page that showed it; it must be this youth's open invitation, else 404."""
    youth = policy.get_youth_or_404(request.user, pk)
    if not policy.can_invite_portal_user(request.user, youth):
        raise Http404
    link = request.POST.get("link", "")[:500]
    token = link.rstrip("/").rsplit("/", 1)[-1]
    try:
        invitation = Invitation.lookup(token)
    except InvitationError:
        raise Http404 from None
    if invitation.youth_id != youth.pk or not invitation.email:
        raise Http404
    expected = settings.BASE_URL + reverse("accounts:accept_invitation", args=[token])
    return _invitation_page(request, youth, invitation, expected)


def _withdraw_invitation(request: AuthenticatedHttpRequest, youth: Youth) -> HttpResponse:
    """An unused invitation of this youth stops working at once; a used one is left alone."""
    try:
        invitation_id = int(request.POST.get("withdraw", ""))
    except ValueError:
        raise Http404 from None
    invitation = Invitation.objects.filter(youth=youth, pk=invitation_id).first()
    if invitation is None:
        raise Http404
    with transaction.atomic():
        withdrawn = invitation.withdraw()
        if withdrawn:
            _audit(
                request,
                Action.UPDATE,
                youth,
                invitation,
                f"invitation for {invitation.role} withdrawn",
            )
    if withdrawn:
        messages.success(
            request,
            _("The invitation for %(name)s has been withdrawn: its link no longer works.")
            % {"name": invitation.display_name},
        )
    else:
        messages.error(
            request,
            _("This invitation was already used or withdrawn; nothing was changed."),
        )
    return redirect(reverse("web:youth_detail", args=[youth.pk]) + "#portal-access")


@login_required
@require_GET
def audit_search_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not policy.can_search_audit(request.user):
        raise Http404
    form = AuditSearchForm(request.GET or None)
    queryset = policy.audit_queryset(request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data.get("youth_id"):
            queryset = queryset.filter(youth_id=data["youth_id"])
        if data.get("actor"):
            queryset = queryset.filter(actor_name__icontains=data["actor"])
        if data.get("action"):
            queryset = queryset.filter(action=data["action"])
        tz = timezone.get_current_timezone()
        if data.get("date_from"):
            queryset = queryset.filter(at__gte=datetime.combine(data["date_from"], time.min, tz))
        if data.get("date_to"):
            queryset = queryset.filter(at__lte=datetime.combine(data["date_to"], time.max, tz))
    # Log the search first: the page's count and rows must then come from one snapshot.
    _audit(request, Action.SEARCH, detail="audit log search")
    page = _page(request, queryset.order_by("-id"), 50)
    return render(request, "web/audit_search.html", {"form": form, "page": page})


@login_required
@require_GET
def own_access_log_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not policy.can_see_own_access_log(request.user):
        raise Http404
    events = policy.own_file_access_log(request.user).order_by("-id")
    page = _page(request, events, 50)
    return render(request, "web/own_access_log.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def account_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    token_form = ApiTokenForm(request.POST or None) if policy.can_use_api(request.user) else None
    new_token = None
    if request.method == "POST" and token_form is not None and token_form.is_valid():
        _token, new_token = ApiToken.issue(request.user, token_form.cleaned_data["name"])
        token_form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True)
    two_factor = policy.can_manage_own_two_factor(request.user)
    return render(
        request,
        "web/account.html",
        {
            "token_form": token_form,
            "tokens": tokens,
            "new_token": new_token,
            "language_form": LanguageForm(
                initial={"language": request.user.language or translation.get_language()}
            ),
            "can_manage_two_factor": two_factor,
            "recovery_codes_left": (
                twofactor.unused_recovery_codes(request.user)
                if two_factor and request.user.has_two_factor
                else None
            ),
            "few_recovery_codes": twofactor.FEW_RECOVERY_CODES,
        },
    )


@login_required
@require_POST
def revoke_token_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    token.revoke()
    messages.success(request, _("The token has been revoked."))
    return redirect("web:account")


@require_POST
def set_language_view(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    response = redirect(safe_next(request, reverse("web:home")))
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
    return response


def error_404_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def error_403_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def error_500_view(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)


def csrf_failure_view(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "errors/403_csrf.html", status=403)
