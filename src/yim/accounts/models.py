"""Organisations, teams, people and how they sign in.

Professionals belong to one organisation and usually one team. Youth, JIMs and parents are
portal identities: they get an account only through a single-use invitation that links them
to one youth.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
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

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

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
        Setting two-factor up refreshes the hash of the session doing it.
        """
        return salted_hmac(
            "yim.accounts.models.User.session_auth_hash",
            f"{self.password}|{self.totp_secret}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


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
    """A failed sign-in, counted per user name to lock out password guessing."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    @classmethod
    def window_start(cls) -> datetime:
        return timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)

    @classmethod
    def is_locked(cls, username: str) -> bool:
        recent = cls.objects.filter(username__iexact=username, at__gte=cls.window_start())
        return recent.count() >= settings.LOGIN_MAX_FAILURES

    @classmethod
    def record(cls, username: str, ip: str | None) -> None:
        cls.objects.create(username=username[:150], ip=ip)

    @classmethod
    def clear(cls, username: str) -> None:
        cls.objects.filter(username__iexact=username).delete()


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
        cls, *, youth: object, role: str, display_name: str, created_by: User, email: str = ""
    ) -> tuple[Invitation, str]:
        """Create an invitation and return it with the raw token (shown once, never stored)."""
        if role not in PORTAL_ROLES:
            raise ValueError(f"invitations are for portal roles only, not {role!r}")
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            token_hash=_digest(token),
            role=role,
            youth=youth,
            display_name=display_name,
            email=email,
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
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "youth"], name="portal_link_unique")]


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the token is shown once."""

    PREFIX = "yim_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, token_hash=_digest(raw), hint=raw[-4:])
        return token, raw

    @classmethod
    def authenticate(cls, raw: str) -> User | None:
        if not raw.startswith(cls.PREFIX) or len(raw) > 100:
            return None
        token = (
            cls.objects.select_related("user")
            .filter(token_hash=_digest(raw), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if token is None:
            return None
        cls.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
