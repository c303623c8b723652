"""Signing in and out, two-factor sign-in, invitations and password reset."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from yim import policy
from yim.accounts import throttle, twofactor
from yim.accounts.forms import (
    AuthenticatorCodeForm,
    LoginForm,
    OneTimeCodeForm,
    SetPasswordForm,
)
from yim.accounts.models import (
    Invitation,
    InvitationError,
    PortalLink,
    RecoveryCode,
    User,
)
from yim.audit.log import client_ip, record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` target only if it stays on this site; otherwise the fallback."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _lock_message(locked: throttle.Locked) -> str:
    minutes = {"minutes": settings.LOGIN_LOCKOUT_MINUTES}
    if locked.reason == throttle.ADDRESS:
        return (
            _(
                "Too many failed sign-in attempts from your network address. Try again in "
                "%(minutes)d minutes."
            )
            % minutes
        )
    return (
        _("Too many failed attempts. Sign-in for this account is blocked for %(minutes)d minutes.")
        % minutes
    )


def _record_failed_password(request: HttpRequest, username: str) -> None:
    """A wrong password, logged under the organisation of the account it named (if any), so
    that the organisation's admins find it in their audit search."""
    account = User.objects.filter(username=username).only("pk", "organisation_id").first()
    record(
        None,
        Action.LOGIN_FAILED,
        request=request,
        actor_name=username,
        obj=account,
        organisation_id=account.organisation_id if account is not None else None,
        detail="wrong password",
    )


def _signed_in(request: HttpRequest, user: User, how: str) -> None:
    """The account is fully signed in (both factors where required): now it is "signed in"."""
    record(user, Action.LOGIN, request=request, obj=user, detail=how)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(safe_next(request, reverse("web:home")))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        try:
            throttle.claim_password_attempt(username, client_ip(request))
        except throttle.Locked as locked:
            form.add_error(None, _lock_message(locked))
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                _record_failed_password(request, username)
                form.add_error(None, _("User name or password is not correct."))
            else:
                throttle.password_accepted(username)
                login(request, user)
                if user.language:
                    request.session["_language"] = user.language
                if not user.needs_two_factor:
                    _signed_in(request, user, "password")
                # Otherwise "signed in" is written once the second factor is passed.
                return redirect(safe_next(request, reverse("web:home")))
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": safe_next(request, ""), "demo": settings.DEMO_MODE},
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record(request.user, Action.LOGOUT, request=request)
    logout(request)
    messages.info(request, _("You have been signed out."))
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_two_factor:
        return redirect("accounts:two_factor_setup")
    form = OneTimeCodeForm(request.POST or None)
    passed = _second_factor(request, form, "sign-in")
    if passed is not None:
        request.session[twofactor.SESSION_VERIFIED_KEY] = True
        request.session.cycle_key()
        if passed == RECOVERY_CODE:
            # Signing in with a recovery code usually means the phone is gone: that code also
            # confirms linking a new phone for a while, so the last code is not needed twice.
            twofactor.mark_new_phone_confirmed(request.session)
        if user.needs_two_factor:  # otherwise the password step wrote it
            _signed_in(request, user, f"password and {passed}")
        return redirect(safe_next(request, reverse("web:home")))
    return render(request, "accounts/two_factor.html", {"form": form})


APP_CODE = "two-factor code"
RECOVERY_CODE = "recovery code"


def _second_factor(
    request: AuthenticatedHttpRequest, form: Form, step: str, *, recovery: bool = True
) -> str | None:
    """Check a posted second-factor code: which kind passed (``APP_CODE`` or ``RECOVERY_CODE``,
    the latter now used up), or None with the reason on the form.

    The check is counted before it is made (a locked account is not checked at all); a
    recovery code counts only where ``recovery`` allows it.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        attempt = throttle.claim_code_attempt(request.user, client_ip(request))
    except throttle.Locked:
        form.add_error(None, _("Too many failed attempts. Try again later."))
        return None
    code = form.cleaned_data["code"]
    if twofactor.verify(request.user, code):
        passed = APP_CODE
    elif recovery and RecoveryCode.redeem(request.user, code):
        passed = RECOVERY_CODE
    else:
        _code_refused(request, form, step)
        return None
    throttle.code_accepted(attempt)
    return passed


def _code_refused(request: AuthenticatedHttpRequest, form: Form, step: str) -> None:
    record(
        request.user,
        Action.LOGIN_FAILED,
        request=request,
        obj=request.user,
        detail=f"wrong two-factor code ({step})",
    )
    form.add_error("code", _("This code is not correct or was already used."))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """First set-up, or linking a new phone (``replacing``) after the user confirmed it.

    When replacing, the old secret stays in force until the new phone's code is confirmed;
    saving the new secret ends the account's other sessions (the session hash covers it).
    """
    user = request.user
    replacing = user.has_two_factor
    if replacing:
        if not request.session.get(twofactor.SESSION_VERIFIED_KEY):
            return redirect("accounts:two_factor")
        if not twofactor.new_phone_confirmed(request.session):
            return redirect("accounts:two_factor_new_phone")
    secret = request.session.get(twofactor.SESSION_SETUP_SECRET_KEY)
    if not secret:
        secret = twofactor.new_secret()
        request.session[twofactor.SESSION_SETUP_SECRET_KEY] = secret
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        counter = twofactor.verify_setup(secret, form.cleaned_data["code"])
        if counter is None:
            form.add_error("code", _("This code is not correct. Check the time on your phone."))
        else:
            with transaction.atomic():
                user.totp_secret = secret
                user.totp_confirmed_at = timezone.now()
                user.totp_last_counter = counter
                user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_counter"])
                codes = _issue_recovery_codes(
                    request,
                    "two-factor sign-in: new phone linked, old app and recovery codes "
                    "replaced, other sessions signed out"
                    if replacing
                    else "two-factor sign-in set up",
                )
            # The session hash covers the TOTP secret (see User): keep this session signed in.
            update_session_auth_hash(request, user)
            del request.session[twofactor.SESSION_SETUP_SECRET_KEY]
            request.session.pop(twofactor.SESSION_NEW_PHONE_KEY, None)
            first_sign_in = not request.session.get(twofactor.SESSION_VERIFIED_KEY)
            request.session[twofactor.SESSION_VERIFIED_KEY] = True
            if first_sign_in and user.needs_two_factor:
                _signed_in(request, user, "password and a newly set-up two-factor code")
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "replacing": replacing}
            )
    uri = twofactor.provisioning_uri(user, secret)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "secret": secret,
            "qr_svg": twofactor.qr_svg(uri),
            "replacing": replacing,
        },
    )


def _issue_recovery_codes(request: AuthenticatedHttpRequest, detail: str) -> list[str]:
    """Ten new recovery codes for the user (the old ones stop working), logged with ``detail``."""
    codes = RecoveryCode.issue(request.user)
    record(request.user, Action.UPDATE, request=request, obj=request.user, detail=detail)
    return codes


def _self_service_refusal(request: AuthenticatedHttpRequest) -> HttpResponse | None:
    """Why the two-factor self-service pages are not open to this request, if they are not.

    Portal users have none (404). Staff without two-factor set it up first; a session that has
    not passed the second factor (the demo may skip it) passes it first.
    """
    user = request.user
    if not policy.can_manage_own_two_factor(user):
        raise Http404
    if not user.has_two_factor:
        return redirect("accounts:two_factor_setup")
    if not request.session.get(twofactor.SESSION_VERIFIED_KEY):
        return redirect(f"{reverse('accounts:two_factor')}?{urlencode({'next': request.path})}")
    return None


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ten new recovery codes, after a current code from the authenticator app.

    The old codes stop working at once. A recovery code cannot confirm this (it would let one
    leaked code mint ten); the new codes are shown in this response only and never cached.
    """
    refusal = _self_service_refusal(request)
    if refusal is not None:
        return refusal
    user = request.user
    form = AuthenticatorCodeForm(request.POST or None)
    if _second_factor(request, form, "new recovery codes", recovery=False) is not None:
        with transaction.atomic():
            # One regeneration at a time per account: the last one's codes are the valid ones.
            User.objects.select_for_update().filter(pk=user.pk).first()
            codes = _issue_recovery_codes(
                request,
                "two-factor sign-in: 10 new recovery codes issued, the old ones no longer work",
            )
        return render(request, "accounts/recovery_codes.html", {"codes": codes, "renewed": True})
    return render(
        request,
        "accounts/recovery_codes_new.html",
        {"form": form, "codes_left": twofactor.unused_recovery_codes(user)},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def new_phone_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step one of linking a new phone: confirm with a current code or a recovery code.

    Then the set-up page shows a new secret; nothing changes until its code is confirmed.
    """
    refusal = _self_service_refusal(request)
    if refusal is not None:
        return refusal
    if request.method == "GET" and twofactor.new_phone_confirmed(request.session):
        return redirect("accounts:two_factor_setup")  # just signed in with a recovery code
    form = OneTimeCodeForm(request.POST or None)
    if _second_factor(request, form, "new phone") is not None:
        twofactor.mark_new_phone_confirmed(request.session)
        return redirect("accounts:two_factor_setup")
    return render(request, "accounts/new_phone.html", {"form": form})


@require_http_methods(["GET", "POST"])
def accept_invitation_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = Invitation.lookup(token)
    except InvitationError as exc:
        status = 404 if exc.code == "invalid" else 410
        return render(
            request, "accounts/invitation_invalid.html", {"message": exc.message}, status=status
        )
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Re-read under the write lock: two tabs submitting at once create one account.
            fresh = Invitation.objects.select_for_update().get(pk=invitation.pk)
            if fresh.used_at is not None:
                return render(
                    request,
                    "accounts/invitation_invalid.html",
                    {"message": _("This invitation link has already been used. Sign in instead.")},
                    status=410,
                )
            if fresh.withdrawn_at is not None:  # withdrawn while this form was being filled in
                return render(
                    request,
                    "accounts/invitation_invalid.html",
                    {
                        "message": _(
                            "This invitation link has been withdrawn. Ask your professional for a "
                            "new one."
                        )
                    },
                    status=410,
                )
            user = User.objects.create_user(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                first_name=invitation.display_name[:150],
                email=invitation.email,
                role=invitation.role,
                organisation=invitation.youth.organisation,
            )
            PortalLink.objects.create(
                user=user,
                youth=invitation.youth,
                relation=invitation.role,
                person_id=invitation.person_id,
            )
            fresh.used_at = timezone.now()
            fresh.used_by = user
            fresh.save(update_fields=["used_at", "used_by"])
            record(
                user,
                Action.CREATE,
                request=request,
                youth=invitation.youth,
                obj=fresh,
                detail="invitation accepted",
            )
        messages.success(request, _("Your account is ready. Sign in with your new password."))
        return redirect("accounts:login")
    return render(
        request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation}
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Reset links are built from YIM_BASE_URL, never from the request's Host header."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        try:
            throttle.claim_password_reset(form.cleaned_data["email"], client_ip(self.request))
        except throttle.Locked:
            form.add_error(
                None,
                _(
                    "Too many password reset requests. Wait %(minutes)d minutes, then ask "
                    "again; if an e-mail has arrived meanwhile, use the link in it."
                )
                % {"minutes": settings.PASSWORD_RESET_WINDOW_MINUTES},
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        base = settings.BASE_URL
        form.save(
            domain_override=base.split("://", 1)[1],
            use_https=base.startswith("https://"),
            request=self.request,
            from_email=settings.DEFAULT_FROM_EMAIL,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            extra_email_context={"base_url": base},
        )
        return redirect(self.success_url)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the e-mailed link: audited. The new password ends the
    account's sessions (session hash) and revokes its API tokens (User.save)."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            user = form.user
            record(
                user,
                Action.USER_SET_PASSWORD,
                request=self.request,
                obj=user,
                detail=f"{user.username}: password reset through the e-mailed link",
            )
        return response
