"""The organisation admin's pages: teams, staff accounts, set-password links and 2FA resets.

Every page is for an organisation admin (:func:`yim.policy.can_manage_users`) and sees only
their own organisation: users and teams are looked up through the policy scope, so those of
another organisation answer 404. No youth is involved here; every change is still written to
the audit log, under the organisation of the admin, with action names ``user.*``/``team.*``.

Set-password links. A new colleague never receives a password typed by the admin: creating
the account (or asking for a new link) yields a link the page shows once. The link is made
with Django's password-reset token machinery (a subclass with its own salt and lifetime),
not with a staff variant of :class:`~yim.accounts.models.Invitation`, because

* it needs no table and no migration: the token is an HMAC over the user's password hash,
  last sign-in, e-mail and active flag, so it dies by itself the moment a password is set
  (single use), the account is deactivated or the e-mail address changes;
* it expires after ``YIM_INVITATION_DAYS``, the same lifetime as portal invitations;
* its salt differs from the password-reset salt, so a reset token is no set-password token
  and the other way round.

Like the password-reset e-mail, the link is built from ``YIM_BASE_URL``, never from the
request's Host header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yim import policy
from yim.accounts.forms import (
    ROLES_WITH_TEAM,
    ResetTwoFactorForm,
    StaffAccountEditForm,
    StaffAccountForm,
    TeamForm,
)
from yim.accounts.mail import send_link_mail
from yim.accounts.models import ApiToken, Organisation, RecoveryCode, Role, Team, User
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest

PAGE_SIZE = 25

# Audit actions of this module (members of the audit log's Action list, so the audit search
# offers them and shows them translated).
USER_CREATE = Action.USER_CREATE
USER_UPDATE = Action.USER_UPDATE
USER_DEACTIVATE = Action.USER_DEACTIVATE
USER_REACTIVATE = Action.USER_REACTIVATE
USER_RESET_2FA = Action.USER_RESET_2FA
USER_PASSWORD_LINK = Action.USER_PASSWORD_LINK
USER_SET_PASSWORD = Action.USER_SET_PASSWORD
TEAM_CREATE = Action.TEAM_CREATE
TEAM_RENAME = Action.TEAM_RENAME


class StaffPasswordLinkTokens(PasswordResetTokenGenerator):
    """Single-use, expiring set-password tokens for staff accounts made by an admin."""

    key_salt = "yim.accounts.admin_views.StaffPasswordLinkTokens"

    @property
    def max_age_seconds(self) -> int:
        return int(settings.INVITATION_DAYS) * 24 * 3600

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        # Deactivating the account also kills an unused link.
        return super()._make_hash_value(user, timestamp) + f"|{user.is_active}"

    def token_age(self, token: str) -> int | None:
        """Seconds since the token was made, or None when it is not a token at all."""
        ts_b36, _sep, _hash = token.partition("-")
        try:
            ts = base36_to_int(ts_b36)
        except ValueError:
            return None
        return self._num_seconds(self._now()) - ts

    def check_token(self, user: Any, token: str | None) -> bool:
        # Django's check compares against PASSWORD_RESET_TIMEOUT; this link has its own
        # lifetime, so the age is checked here and the signature with Django's own helper.
        if user is None or not token or len(token) > 100:
            return False
        age = self.token_age(token)
        if age is None or not 0 <= age <= self.max_age_seconds:
            return False
        ts = base36_to_int(token.partition("-")[0])
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


password_link_tokens = StaffPasswordLinkTokens()


class PortalPasswordLinkTokens(StaffPasswordLinkTokens):
    """The same links for a youth, JIM or parent, made by the youth's professional.

    A salt of their own: a staff link is never a portal link and the other way round.
    """

    key_salt = "yim.accounts.admin_views.PortalPasswordLinkTokens"


portal_password_link_tokens = PortalPasswordLinkTokens()


def _link_tokens(user: User) -> StaffPasswordLinkTokens:
    return portal_password_link_tokens if user.is_portal_user else password_link_tokens


def password_link(user: User) -> str:
    """The absolute set-password link for ``user``, built from YIM_BASE_URL."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = _link_tokens(user).make_token(user)
    return settings.BASE_URL + reverse("web:set_password", args=[uidb64, token])


def _link_context(user: User, *, created: bool) -> dict[str, Any]:
    """The set-password link, shown once; mailed too when the account has an address (in
    the colleague's language; the page says whether the mail went out)."""
    link = password_link(user)
    sent = None
    if user.email:
        sent = send_link_mail(
            to=user.email,
            kind="set_password",
            link=link,
            language=user.language,
            name=user.get_full_name() or user.username,
        )
    return {
        "account": user,
        "link": link,
        "link_days": settings.INVITATION_DAYS,
        "created": created,
        "sent": sent,
    }


def _organisation_or_404(request: AuthenticatedHttpRequest) -> Organisation:
    organisation = request.user.organisation
    if not policy.can_manage_users(request.user) or organisation is None:
        raise Http404
    return organisation


def _managed_user_or_404(
    request: AuthenticatedHttpRequest, pk: int, may: Callable[[User, User], bool] | None = None
) -> User:
    """An account of the admin's organisation that the admin ``may`` act on; 404 otherwise."""
    _organisation_or_404(request)
    target = policy.get_managed_user_or_404(request.user, pk)
    if may is not None and not may(request.user, target):
        raise Http404
    return target


def _query(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:100]


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- users -----------------------------------------------------------------------------------


@login_required
@require_GET
def user_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    _organisation_or_404(request)
    users = policy.managed_users(request.user).select_related("team")
    query = _query(request)
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
            | Q(team__name__icontains=query)
        )
    page = _page(request, users.order_by("-is_active", "username"))
    return render(
        request,
        "accounts/admin/user_list.html",
        {"page": page, "query": query},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def user_create_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = _organisation_or_404(request)
    form = StaffAccountForm(
        request.POST or None, organisation=organisation, instance=User(organisation=organisation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save(commit=False)
                user.organisation = organisation
                user.set_unusable_password()
                # A second person opens the youth files: a team lead confirms the account.
                user.case_access_pending = user.role in ROLES_WITH_TEAM
                user.save()
                record(
                    request.user,
                    USER_CREATE,
                    request=request,
                    obj=user,
                    detail=_describe(user),
                )
        except IntegrityError:  # the same user name, created a moment ago in another tab
            form.add_error("username", _("This user name is already taken; choose another."))
        else:
            return render(
                request,
                "accounts/admin/password_link.html",
                _link_context(user, created=True),
            )
    return render(request, "accounts/admin/user_create.html", {"form": form})


def _describe(user: User) -> str:
    team = f", team {user.team.name}" if user.team is not None else ""
    return f"{user.username}: {user.role}{team}"


def _detail_context(
    request: AuthenticatedHttpRequest, target: User, **extra: Any
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "account": target,
        "is_self": target.pk == request.user.pk,
        "can_edit": policy.can_edit_staff_account(request.user, target),
        "can_issue_link": policy.can_issue_password_link(request.user, target),
        "can_reset_2fa": policy.can_reset_two_factor(request.user, target),
        "active_tokens": ApiToken.objects.usable().filter(user=target).count(),
    }
    if context["can_edit"] and "form" not in extra:
        context["form"] = StaffAccountEditForm(
            instance=target, organisation=_organisation_or_404(request)
        )
    if context["can_reset_2fa"] and "reset_form" not in extra:
        context["reset_form"] = ResetTwoFactorForm()
    context.update(extra)
    return context


def _refusal_message(code: str) -> str:
    if code == policy.REFUSED_SELF:
        return _(
            "You cannot deactivate yourself or take away your own admin role. "
            "Ask another admin of your organisation."
        )
    return _("This is the last active admin of your organisation. Make someone else admin first.")


@login_required
@require_http_methods(["GET", "POST"])
def user_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation_or_404(request)
    target = policy.get_managed_user_or_404(request.user, pk)
    if request.method == "GET":
        return render(request, "accounts/admin/user_detail.html", _detail_context(request, target))
    if not policy.can_edit_staff_account(request.user, target):
        raise Http404
    form = StaffAccountEditForm(request.POST, instance=target, organisation=organisation)
    if form.is_valid():
        with transaction.atomic():
            before = policy.managed_users(request.user).select_for_update().get(pk=target.pk)
            stale = form.is_stale(before)
            refusal = policy.account_change_refusal(
                request.user,
                before,
                stays_active=True,
                stays_admin=form.cleaned_data["role"] == Role.ORG_ADMIN,
            )
            if refusal is None and not stale:
                changed = [f for f in form.changed_data if f in form.Meta.fields]
                if changed:
                    user = form.save(commit=False)
                    if user.role in ROLES_WITH_TEAM and {"role", "team"} & set(changed):
                        # New youth files come into reach: a team lead confirms first.
                        user.case_access_pending = True
                        changed.append("case_access_pending")
                    user.save(update_fields=changed)
                    record(
                        request.user,
                        USER_UPDATE,
                        request=request,
                        obj=user,
                        detail=_changes(before, user, changed),
                    )
        if stale:
            form.add_error(
                None,
                _(
                    "Someone else changed this record while you were editing it. Your changes "
                    "were not saved. Reload the page to see the current version, then make your "
                    "changes again."
                ),
            )
        elif refusal is not None:
            form.add_error("role", _refusal_message(refusal))
        else:
            messages.success(request, _("The account has been saved."))
            return redirect("web:user_detail", pk=target.pk)
    target.refresh_from_db()
    return render(
        request, "accounts/admin/user_detail.html", _detail_context(request, target, form=form)
    )


def _changes(before: User, after: User, fields: list[str]) -> str:
    """What changed, for the audit log: roles and teams in full, personal details by name."""
    parts = []
    for field in fields:
        if field == "role":
            parts.append(f"role {before.role} -> {after.role}")
        elif field == "team":
            old = before.team.name if before.team else "-"
            new = after.team.name if after.team else "-"
            parts.append(f"team {old} -> {new}")
        else:
            parts.append(f"{field} changed")
    return f"{after.username}: " + "; ".join(parts)


@login_required
@require_POST
def user_set_active_view(request: AuthenticatedHttpRequest, pk: int, active: bool) -> HttpResponse:
    """Deactivate (``active=False``) or reactivate an account: the URL says which."""
    target = _managed_user_or_404(request, pk)
    with transaction.atomic():
        fresh = policy.managed_users(request.user).select_for_update().get(pk=target.pk)
        refusal = policy.account_change_refusal(
            request.user, fresh, stays_active=active, stays_admin=True
        )
        if refusal is None and fresh.is_active != active:
            fresh.is_active = active
            fresh.save(update_fields=["is_active"])
            revoked = 0
            if not active:
                # An inactive user's sessions and tokens are refused anyway; ending the
                # sessions and revoking the tokens means a reactivated account does not wake
                # an old browser tab or script up: the person signs in afresh.
                fresh.end_all_sessions()
                revoked = ApiToken.revoke_all_of(fresh)
            record(
                request.user,
                USER_REACTIVATE if active else USER_DEACTIVATE,
                request=request,
                obj=fresh,
                detail=f"{fresh.username}" + (f": {revoked} API tokens revoked" if revoked else ""),
            )
    if refusal is not None:
        messages.error(request, _refusal_message(refusal))
    elif active:
        messages.success(request, _("The account is active again."))
    else:
        messages.success(
            request, _("The account has been deactivated: it can no longer sign in or use the API.")
        )
    return redirect("web:user_detail", pk=target.pk)


@never_cache
@login_required
@require_POST
def user_password_link_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A fresh set-password link, e.g. when the first one expired or the password is lost."""
    target = _managed_user_or_404(request, pk, policy.can_issue_password_link)
    record(request.user, USER_PASSWORD_LINK, request=request, obj=target, detail=target.username)
    return render(
        request,
        "accounts/admin/password_link.html",
        _link_context(target, created=False),
    )


@login_required
@require_POST
def user_reset_two_factor_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    target = _managed_user_or_404(request, pk, policy.can_reset_two_factor)
    form = ResetTwoFactorForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "accounts/admin/user_detail.html",
            _detail_context(request, target, reset_form=form),
            status=400,
        )
    reason = form.cleaned_data["reason"]
    with transaction.atomic():
        User.objects.filter(pk=target.pk).update(
            totp_secret="", totp_confirmed_at=None, totp_last_counter=0
        )
        RecoveryCode.objects.filter(user=target).delete()
        # A lost phone may have held a token too: the reset revokes them all.
        revoked = ApiToken.revoke_all_of(target)
        tokens = f" ({revoked} API tokens revoked)" if revoked else ""
        record(
            request.user,
            USER_RESET_2FA,
            request=request,
            obj=target,
            detail=f"{target.username}: {reason}"[: 300 - len(tokens)] + tokens,
        )
    messages.success(
        request,
        _("Two-factor sign-in has been reset. %(name)s sets it up again at the next sign-in.")
        % {"name": target.get_full_name() or target.username},
    )
    return redirect("web:user_detail", pk=target.pk)


# --- teams -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def team_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = _organisation_or_404(request)
    form = TeamForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                team = Team.objects.create(
                    organisation=organisation, name=form.cleaned_data["name"]
                )
                record(request.user, TEAM_CREATE, request=request, obj=team, detail=team.name)
        except IntegrityError:  # created at the same moment in another tab
            form.add_error("name", _("Your organisation already has a team with this name."))
        else:
            messages.success(request, _("The team has been created."))
            return redirect("web:team_list")
    teams = policy.managed_teams(request.user).annotate(
        n_members=Count("members", filter=Q(members__is_active=True))
    )
    query = _query(request)
    if query:
        teams = teams.filter(name__icontains=query)
    page = _page(request, teams.order_by("name"))
    return render(
        request, "accounts/admin/team_list.html", {"page": page, "query": query, "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_rename_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation_or_404(request)
    team = policy.get_managed_team_or_404(request.user, pk)
    old_name = team.name
    form = TeamForm(
        request.POST or None, organisation=organisation, team=team, initial={"name": team.name}
    )
    if request.method == "POST" and form.is_valid():
        new_name = form.cleaned_data["name"]
        if new_name != old_name:
            try:
                with transaction.atomic():
                    Team.objects.filter(pk=team.pk).update(name=new_name)
                    team.name = new_name
                    record(
                        request.user,
                        TEAM_RENAME,
                        request=request,
                        obj=team,
                        detail=f"{old_name} -> {new_name}",
                    )
            except IntegrityError:
                form.add_error("name", _("Your organisation already has a team with this name."))
        if not form.errors:
            messages.success(request, _("The team has been renamed."))
            return redirect("web:team_list")
    return render(
        request, "accounts/admin/team_form.html", {"form": form, "team": team, "old_name": old_name}
    )


# --- the set-password link (no sign-in: the new colleague has no password yet) --------------


def _link_user(uidb64: str) -> User | None:
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def _link_allowed(user: User) -> bool:
    """Staff accounts; portal accounts only while linked to a youth (a link made by the
    youth's professional dies when the portal link is switched off)."""
    if user.is_staff_member:
        return True
    return user.is_portal_user and user.portal_links.filter(active=True).exists()


@never_cache
@require_http_methods(["GET", "POST"])
def set_password_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = _link_user(uidb64)
    portal = user is not None and user.is_portal_user
    if user is None or not _link_allowed(user) or not _link_tokens(user).check_token(user, token):
        # One page for every refused link: it must not tell staff from portal accounts.
        return render(request, "accounts/admin/password_link_invalid.html", status=410)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            record(user, USER_SET_PASSWORD, request=request, obj=user, detail=user.username)
        messages.success(request, _("Your password has been set. Sign in with it now."))
        return redirect("accounts:login")
    page = "web/portal_set_password.html" if portal else "accounts/admin/set_password.html"
    return render(request, page, {"form": form, "account": user})


@login_required
@require_POST
def confirm_case_access_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A team lead confirms an account an admin made or changed: from now on it opens the
    youth files of its team. Looked up through the team lead's list (404 otherwise)."""
    target = policy.accounts_awaiting_confirmation(request.user).filter(pk=pk).first()
    if target is None:
        raise Http404
    if target.confirm_case_access(by=request.user):
        record(
            request.user,
            USER_UPDATE,
            request=request,
            obj=target,
            detail=f"access to youth files confirmed for {_describe(target)}",
        )
        messages.success(
            request,
            _("Confirmed: %(name)s can now open the youth files of their team.")
            % {"name": target.get_full_name() or target.username},
        )
    return redirect("web:home")
