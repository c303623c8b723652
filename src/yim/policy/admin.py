"""The organisation admin: the users and teams, and the programme models, of their own
organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from yim.accounts.models import Role
from yim.policy.base import active

if TYPE_CHECKING:
    from yim.accounts.models import Team, User


def can_manage_users(user: User) -> bool:
    return active(user) and user.role == Role.ORG_ADMIN


# --- accounts: the organisation admin manages the users and teams of their organisation ----
#
# An organisation admin sees and changes only the accounts and teams of their own
# organisation; anything else is looked up through the scope and answers 404. Staff accounts
# (professional, team lead, researcher, admin) are edited here; portal accounts (youth, JIM,
# parent) come from invitations and can only be switched off and on. Two rules keep an
# organisation from locking itself out: an admin never deactivates or demotes themselves,
# and the organisation's last active admin is never deactivated or demoted.

#: Why a change to an account is refused (the view turns these into messages).
REFUSED_SELF = "self"
REFUSED_LAST_ADMIN = "last_admin"


def managed_users(user: User) -> QuerySet[User]:
    """The accounts of the admin's organisation (filter further, never widen)."""
    from yim.accounts.models import User as UserModel

    if not can_manage_users(user) or user.organisation_id is None:
        return UserModel.objects.none()
    return UserModel.objects.filter(organisation_id=user.organisation_id)


def managed_teams(user: User) -> QuerySet[Team]:
    """The teams of the admin's organisation."""
    from yim.accounts.models import Team as TeamModel

    if not can_manage_users(user) or user.organisation_id is None:
        return TeamModel.objects.none()
    return TeamModel.objects.filter(organisation_id=user.organisation_id)


def get_managed_user_or_404(user: User, pk: int) -> User:
    target = managed_users(user).select_related("team").filter(pk=pk).first()
    if target is None:
        raise Http404
    return target


def get_managed_team_or_404(user: User, pk: int) -> Team:
    team = managed_teams(user).filter(pk=pk).first()
    if team is None:
        raise Http404
    return team


def can_edit_staff_account(user: User, target: User) -> bool:
    """Name, e-mail, role and team of staff accounts of the admin's own organisation."""
    return (
        can_manage_users(user)
        and target.organisation_id == user.organisation_id
        and target.is_staff_member
    )


def can_issue_password_link(user: User, target: User) -> bool:
    """A new set-password link for an active staff account (never one's own: use reset)."""
    return can_edit_staff_account(user, target) and target.is_active and target.pk != user.pk


def can_reset_two_factor(user: User, target: User) -> bool:
    """Another person confirms who lost their phone: an admin never resets their own 2FA."""
    return (
        can_manage_users(user)
        and target.organisation_id == user.organisation_id
        and target.pk != user.pk
    )


def account_change_refusal(
    user: User, target: User, *, stays_active: bool, stays_admin: bool
) -> str | None:
    """Whether this change to ``target`` would lock the organisation (or the admin) out.

    Returns :data:`REFUSED_LAST_ADMIN` when the target is the organisation's last active
    admin and would stop being one, :data:`REFUSED_SELF` when the admin would deactivate or
    demote themselves, and None when the change may go ahead. Call it inside the
    transaction that saves the change: the admins' rows are locked, so two admins demoting
    each other at the same moment cannot both succeed.
    """
    from yim.accounts.models import User as UserModel

    deactivates = target.is_active and not stays_active
    demotes = target.role == Role.ORG_ADMIN and not stays_admin
    if not (deactivates or demotes):
        return None
    organisation_id = target.organisation_id
    if target.is_active and target.role == Role.ORG_ADMIN and organisation_id is not None:
        # Lock every active admin row, the target's included: two admins demoting each
        # other then queue on the same rows, and the second sees the first's change.
        admins = set(
            UserModel.objects.select_for_update()
            .filter(organisation_id=organisation_id, role=Role.ORG_ADMIN, is_active=True)
            .values_list("pk", flat=True)
        )
        if not admins - {target.pk}:
            return REFUSED_LAST_ADMIN
    if target.pk == user.pk:
        return REFUSED_SELF
    return None


# --- programmes: the organisation admin manages the organisation's programme models --------
#
# Standard programme models (no organisation) are read-only for everyone; an organisation
# admin lists them, copies them, and creates, edits, deactivates and reactivates the
# organisation's own. Every other persona gets 404 on every programme page, and another
# organisation's programme is looked up through the scope, so it answers 404 too.


def can_manage_programmes(user: User) -> bool:
    return active(user) and user.role == Role.ORG_ADMIN and user.organisation_id is not None


def visible_programmes(user: User) -> QuerySet:
    """The standard programmes and the admin's organisation's own (list, copy sources)."""
    from yim.programmes.models import ProgrammeModel

    if not can_manage_programmes(user):
        return ProgrammeModel.objects.none()
    return ProgrammeModel.objects.filter(
        Q(organisation__isnull=True) | Q(organisation_id=user.organisation_id)
    )


def own_programmes(user: User) -> QuerySet:
    """The programmes of the admin's organisation: the only ones that can be changed."""
    from yim.programmes.models import ProgrammeModel

    organisation_id = user.organisation_id
    if not can_manage_programmes(user) or organisation_id is None:
        return ProgrammeModel.objects.none()
    return ProgrammeModel.objects.filter(organisation_id=organisation_id)


def get_visible_programme_or_404(user: User, pk: int):
    programme = visible_programmes(user).filter(pk=pk).first()
    if programme is None:
        raise Http404
    return programme


def get_own_programme_or_404(user: User, pk: int):
    """A standard programme is not the organisation's own: it answers 404 here, for everyone."""
    programme = own_programmes(user).filter(pk=pk).first()
    if programme is None:
        raise Http404
    return programme
