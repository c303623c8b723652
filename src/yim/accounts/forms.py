from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yim.accounts.models import Organisation, Role, Team, User


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The 6-digit code from your authenticator app, or a recovery code."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        )


class SetPasswordForm(forms.Form):
    """Choose a user name and password when accepting an invitation."""

    username = forms.CharField(label=_("User name"), max_length=150, min_length=3)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This user name is already taken; choose another."))
        return username

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords are not the same."))
        elif p1:
            candidate = User(username=data.get("username", ""))
            try:
                password_validation.validate_password(str(p1), candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. 'monthly export script'."),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = settings.LANGUAGES


# --- organisation admin: teams and staff accounts ------------------------------------------

#: Staff roles in the order the admin's role menu shows them.
STAFF_ROLE_CHOICES = [
    (r.value, r.label) for r in (Role.PROFESSIONAL, Role.TEAM_LEAD, Role.RESEARCHER, Role.ORG_ADMIN)
]
#: Roles whose work is scoped by a team (their caseload is the team's youth).
ROLES_WITH_TEAM = frozenset({Role.PROFESSIONAL, Role.TEAM_LEAD})


class TeamForm(forms.Form):
    """Create or rename a team; names are unique within the organisation (case-insensitive)."""

    name = forms.CharField(label=_("Team name"), max_length=200)

    def __init__(
        self, *args: Any, organisation: Organisation, team: Team | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.team = team

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the team a name."))
        others = Team.objects.filter(organisation=self.organisation, name__iexact=name)
        if self.team is not None:
            others = others.exclude(pk=self.team.pk)
        if others.exists():
            raise forms.ValidationError(
                _("Your organisation already has a team called “%(name)s”."),
                params={"name": name},
            )
        return name


class _StaffAccountBaseForm(forms.ModelForm):
    """Role menu with staff roles only, the organisation's teams, and the team rule."""

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = STAFF_ROLE_CHOICES
        team = self.fields["team"]
        assert isinstance(team, forms.ModelChoiceField)
        team.queryset = Team.objects.filter(organisation=organisation).order_by("name")
        team.required = False
        team.help_text = _("Professionals and team leads work in a team; other roles have none.")
        self.fields["email"].required = True
        self.fields["first_name"].required = True

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, team = data.get("role"), data.get("team")
        if role in ROLES_WITH_TEAM and team is None:
            self.add_error("team", _("A professional or team lead needs a team."))
        elif role and role not in ROLES_WITH_TEAM and team is not None:
            self.add_error(
                "team", _("Only professionals and team leads belong to a team; leave it empty.")
            )
        return data


class StaffAccountForm(_StaffAccountBaseForm):
    """A new staff account. There is no password field: the new colleague chooses one
    through a single-use set-password link."""

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "team"]

    def clean_username(self) -> str:
        username = str(self.cleaned_data["username"]).strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This user name is already taken; choose another."))
        return username


def account_fingerprint(user: User) -> str:
    """A short digest of what the edit form shows (and of the active flag).

    The form carries the fingerprint of the account as the admin saw it; the save compares it
    with the stored account, so a second admin's save over a change made in between is refused
    instead of silently overwriting it — optimistic locking without a version column.
    """
    seen = "|".join(
        str(v)
        for v in (
            user.first_name,
            user.last_name,
            user.email,
            user.role,
            user.team_id,
            user.is_active,
        )
    )
    return hashlib.sha256(seen.encode()).hexdigest()[:20]


class StaffAccountEditForm(_StaffAccountBaseForm):
    """Name, e-mail, role and team of an existing staff account."""

    seen = forms.CharField(widget=forms.HiddenInput, required=True)

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "role", "team"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["seen"].initial = account_fingerprint(self.instance)

    def is_stale(self, stored: User) -> bool:
        """Whether the account changed since the admin opened the form."""
        return self.cleaned_data["seen"] != account_fingerprint(stored)


class ResetTwoFactorForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        min_length=10,
        max_length=250,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Why the second factor is reset, e.g. 'phone lost, identity checked in "
            "person'. It is written to the audit log."
        ),
    )


class AuthenticatorCodeForm(OneTimeCodeForm):
    """The code the authenticator app shows now — a recovery code is not accepted.

    Used where proof of the phone itself is needed (new recovery codes): a recovery code is
    refused with its own message and is not used up.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _("The 6-digit code your authenticator app shows now.")

    def clean_code(self) -> str:
        from yim.accounts.twofactor import looks_like_recovery_code

        code = str(self.cleaned_data["code"]).replace(" ", "").strip()
        if looks_like_recovery_code(code):
            raise forms.ValidationError(
                _("A recovery code does not work here. Enter the code from your authenticator app.")
            )
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("Enter the 6 digits your authenticator app shows."))
        return code


def _new_submission_token() -> str:
    return uuid.uuid4().hex


class SentOnce(forms.Form):
    """A form whose write happens once, however often it is sent (a double click, a page
    sent again): it carries a one-time token that :func:`claim_once` claims with the write."""

    submission = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64, initial=_new_submission_token
    )


def claim_once(form: forms.BaseForm, user: Any) -> None:
    """Inside the write's transaction: refuse a second sending of the same form."""
    from yim.accounts.models import FormSubmission

    token = (form.cleaned_data.get("submission") or "").strip()
    if token and not FormSubmission.claim(token, user):
        raise ValidationError(
            _(
                "This form was sent twice; it was carried out once, the first time. Check the "
                "page to see the result."
            ),
            code="duplicate",
        )
