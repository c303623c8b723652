"""Organisations, teams, people and how they sign in.

Professionals belong to one organisation and usually one team. Youth, JIMs and parents are
portal identities: they get an account only through a single-use invitation that links them
to one youth.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="team_name_unique_in_org")
        ]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class Role(models.TextChoices):
    PROFESSIONAL = "professional", _("Professional")
    TEAM_LEAD = "team_lead", _("Team lead")
    ORG_ADMIN = "org_admin", _("Organisation admin")
    RESEARCHER = "researcher", _("Researcher")
    YOUTH = "youth", pgettext_lazy("role", "Youth")  # one young person, not the list
    JIM = "jim", _("JIM")
    PARENT = "parent", _("Parent")


STAFF_ROLES = frozenset({Role.PROFESSIONAL, Role.TEAM_LEAD, Role.ORG_ADMIN, Role.RESEARCHER})
PORTAL_ROLES = frozenset({Role.YOUTH, Role.JIM, Role.PARENT})
# In a fixed order: choices built from the frozenset would reorder between runs and make
# makemigrations invent migrations.
PORTAL_ROLE_CHOICES = [(r.value, r.label) for r in Role if r in PORTAL_ROLES]


class User(AbstractUser):
    """Everyone who signs in: staff (with a team) and portal identities (linked to a youth)."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="members", null=True, blank=True
    )
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, blank=True, default=""
    )
    totp_secret = models.CharField(max_length=64, blank=True, default="")
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_counter = models.BigIntegerField(default=0)
    # Raised to end every session of the account (deactivation): part of the session hash.
    session_generation = models.PositiveIntegerField(default=0)
    # Set when an organisation admin makes this account a professional or team lead (or moves
    # it to another team): it opens no youth file until a team lead confirms (yim.policy).
    case_access_pending = models.BooleanField(default=False)
    case_access_confirmed_at = models.DateTimeField(null=True, blank=True)
    case_access_confirmed_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [
            # The few accounts that wait for a team lead's confirmation, found without reading
            # the organisation's every account (portal accounts of youth, JIMs and parents
            # included: 47,378 at 50,000 youth, 9 ms on the team lead's start page).
            models.Index(
                fields=["organisation"],
                name="user_case_access_pending",
                condition=models.Q(case_access_pending=True),
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_portal_user(self) -> bool:
        return self.role in PORTAL_ROLES

    @property
    def needs_two_factor(self) -> bool:
        return bool(settings.REQUIRE_2FA) and self.is_staff_member

    @property
    def has_two_factor(self) -> bool:
        return self.totp_confirmed_at is not None

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Sessions carry this hash; a session whose hash no longer matches is signed out.

        Django derives it from the password hash (a new password ends every session). yim adds
        the TOTP secret, so an admin's two-factor reset — for a lost or stolen phone — also
        ends every session of that account at its next request, not only future sign-ins.
        Setting two-factor up refreshes the hash of the session doing it. A raised
        ``session_generation`` ends every session too (:meth:`end_all_sessions`); it joins the
        hash only once raised, so sessions from before it existed stay valid.
        """
        generation = f"|{self.session_generation}" if self.session_generation else ""
        return salted_hmac(
            "yim.accounts.models.User.session_auth_hash",
            f"{self.password}|{self.totp_secret}{generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def confirm_case_access(self, by: User | None) -> bool:
        """A team lead confirms that this account may open the youth files of its team.
        Returns False when there was nothing to confirm (confirmed in the meantime)."""
        confirmed = (
            type(self)
            .objects.filter(pk=self.pk, case_access_pending=True)
            .update(
                case_access_pending=False,
                case_access_confirmed_at=timezone.now(),
                case_access_confirmed_by=by,
            )
        )
        self.refresh_from_db(
            fields=["case_access_pending", "case_access_confirmed_at", "case_access_confirmed_by"]
        )
        return bool(confirmed)

    def end_all_sessions(self) -> None:
        """Every session of this account is signed out at its next request, and stays so
        when the account is reactivated (the session hash no longer matches)."""
        type(self).objects.filter(pk=self.pk).update(
            session_generation=models.F("session_generation") + 1
        )
        self.refresh_from_db(fields=["session_generation"])

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A new password (set_password: a change, a reset, a set-password link) revokes the
        account's API tokens: a token must not outlive the credentials it was made with."""
        # Django keeps the new raw password in ``_password`` until the save.
        password_changed = getattr(self, "_password", None) is not None and self.pk is not None
        super().save(*args, **kwargs)
        if password_changed:
            ApiToken.revoke_all_of(self)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class RecoveryCode(models.Model):
    """Single-use fallback codes for two-factor sign-in, stored only as hashes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    @classmethod
    def issue(cls, user: User, count: int = 10) -> list[str]:
        cls.objects.filter(user=user).delete()
        codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(count)]
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(user=user, code_hash=_digest(c)) for c in codes]
        )
        return codes

    @classmethod
    def redeem(cls, user: User, code: str) -> bool:
        cleaned = code.strip().lower().replace(" ", "")
        updated = cls.objects.filter(
            user=user, code_hash=_digest(cleaned), used_at__isnull=True
        ).update(used_at=timezone.now())
        return updated == 1


class LoginFailure(models.Model):
    """A failed sign-in step: a wrong password, or a wrong second-factor code.

    Counted per account, per address and per account and address to lock out guessing; an
    attempt is written *before* the password or code is checked, so parallel requests cannot
    check more than the limit allows (see :mod:`yim.accounts.throttle`).
    """

    PASSWORD = "password"  # noqa: S105 - a kind of failure, not a password
    CODE = "code"

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=10, default=PASSWORD)


class PasswordResetRequest(models.Model):
    """A request for a password-reset e-mail, counted per address and per e-mail address."""

    email = models.CharField(max_length=254, db_index=True)  # as typed, lower-cased
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)


class FormSubmission(models.Model):
    """One sending of a form whose write must not happen twice (a double click, a page sent
    again after a slow answer): its one-time token is claimed in the write's transaction."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    @classmethod
    def claim(cls, token: str, user: User) -> bool:
        """True the first time ``token`` is claimed; False when it was sent before. Call it
        inside the write's transaction: when the write is refused, the claim goes too."""
        try:
            with transaction.atomic():
                cls.objects.create(token=token[:64], user=user)
        except IntegrityError:
            return False
        return True


class InvitationError(Exception):
    """An invitation link that cannot be used (unknown, used or expired)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Invitation(models.Model):
    """A single-use, expiring link through which a youth, JIM or parent creates a login."""

    token_hash = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=20, choices=PORTAL_ROLE_CHOICES)
    youth = models.ForeignKey(
        "trajectories.Youth", on_delete=models.CASCADE, related_name="invitations"
    )
    display_name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail address"), blank=True)
    # For a JIM: the person of the youth's network who is invited (becomes the link's person).
    person = models.ForeignKey(
        "trajectories.NetworkPerson",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    @property
    def is_open(self) -> bool:
        """Unused, not withdrawn and not expired: the link still works."""
        return (
            self.used_at is None and self.withdrawn_at is None and self.expires_at > timezone.now()
        )

    def withdraw(self) -> bool:
        """Withdraw an unused invitation: its link stops working at once.

        Returns False (and changes nothing) when the invitation was used or withdrawn in the
        meantime; the row is locked, so a sign-up and a withdrawal at the same moment do not
        both go through. Expired invitations may still be withdrawn (it changes nothing for
        the link, but the list then says what the professional meant).
        """
        with transaction.atomic():
            fresh = type(self).objects.select_for_update().filter(pk=self.pk).first()
            if fresh is None or fresh.used_at is not None or fresh.withdrawn_at is not None:
                return False
            fresh.withdrawn_at = timezone.now()
            fresh.save(update_fields=["withdrawn_at"])
        self.withdrawn_at = fresh.withdrawn_at
        return True

    @classmethod
    def create_for(
        cls,
        *,
        youth: object,
        role: str,
        display_name: str,
        created_by: User,
        email: str = "",
        person: object | None = None,
    ) -> tuple[Invitation, str]:
        """Create an invitation and return it with the raw token (shown once, never stored).

        A JIM is invited as a person of the youth's network (``person``); a JIM account
        without one opens nothing of the file (``yim.policy``). A parent is invited as the
        holder of parental authority they are, so their consent is that holder's."""
        if role not in PORTAL_ROLES:
            raise ValueError(f"invitations are for portal roles only, not {role!r}")
        if person is not None and role not in (Role.JIM, Role.PARENT):
            raise ValueError("only a JIM or a parent is invited as a person of the network")
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            token_hash=_digest(token),
            role=role,
            youth=youth,
            display_name=display_name,
            email=email,
            person=person,
            created_by=created_by,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
        )
        return invitation, token

    @classmethod
    def lookup(cls, token: str) -> Invitation:
        """Find a usable invitation or raise :class:`InvitationError` saying why not."""
        if not token or len(token) > 128:
            raise InvitationError("invalid", str(_("This invitation link is not valid.")))
        invitation = cls.objects.select_related("youth").filter(token_hash=_digest(token)).first()
        if invitation is None:
            raise InvitationError("invalid", str(_("This invitation link is not valid.")))
        if invitation.used_at is not None:
            raise InvitationError(
                "used", str(_("This invitation link has already been used. Sign in instead."))
            )
        if invitation.withdrawn_at is not None:
            raise InvitationError(
                "withdrawn",
                str(
                    _(
                        "This invitation link has been withdrawn. Ask your professional for a "
                        "new one."
                    )
                ),
            )
        if invitation.expires_at <= timezone.now():
            raise InvitationError(
                "expired",
                str(_("This invitation link has expired. Ask your professional for a new one.")),
            )
        return invitation


class PortalLink(models.Model):
    """Connects a portal identity (youth, JIM, parent) to the one youth whose file it concerns."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="portal_links")
    youth = models.ForeignKey(
        "trajectories.Youth", on_delete=models.CASCADE, related_name="portal_links"
    )
    relation = models.CharField(max_length=20, choices=PORTAL_ROLE_CHOICES)
    # For a JIM: the person of the youth's network this account belongs to. A JIM's portal
    # access follows that person's status as JIM and the consent to them (yim.policy); a JIM
    # link without a person opens nothing. For a parent: the holder of parental authority
    # whose consent the parent's decisions in the portal record.
    person = models.ForeignKey(
        "trajectories.NetworkPerson",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="portal_links",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "youth"], name="portal_link_unique")]

    def end(self, by: User) -> bool:
        """A professional ends this portal link: the account opens nothing of the youth's
        file from the next request on. Returns False when it had already ended."""
        with transaction.atomic():
            fresh = type(self).objects.select_for_update().filter(pk=self.pk, active=True).first()
            if fresh is None:
                return False
            fresh.active = False
            fresh.ended_at = timezone.now()
            fresh.ended_by = by
            fresh.save(update_fields=["active", "ended_at", "ended_by"])
        self.active, self.ended_at, self.ended_by = False, fresh.ended_at, by
        return True


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        """Neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the token is shown once.

    A token expires ``YIM_API_TOKEN_DAYS`` days after it was made, and is revoked when the
    account's credentials are reset: a new password, a two-factor reset, deactivation.
    """

    PREFIX = "yim_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        now = timezone.now()
        token = cls.objects.create(
            user=user,
            name=name,
            token_hash=_digest(raw),
            hint=raw[-4:],
            created_at=now,
            expires_at=now + timedelta(days=settings.API_TOKEN_DAYS),
        )
        return token, raw

    @classmethod
    def authenticate(cls, raw: str) -> User | None:
        if not raw.startswith(cls.PREFIX) or len(raw) > 100:
            return None
        token = (
            cls.objects.usable()
            .select_related("user")
            .filter(token_hash=_digest(raw), user__is_active=True)
            .first()
        )
        if token is None:
            return None
        cls.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user

    @classmethod
    def revoke_all_of(cls, user: User) -> int:
        """Revoke every token of ``user`` that is not revoked yet; returns how many."""
        return cls.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
