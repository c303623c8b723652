"""The primitives every part of the policy builds on: is the account active, is it a case
worker whose access is in force, is it linked to the youth through the portal, and how old
is the youth today. No permission is granted here; the context modules do that."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet

from yim.accounts.models import Role
from yim.trajectories.rules import YOUTH_ALONE_FROM, YOUTH_CONSENTS_FROM

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from yim.accounts.models import User
    from yim.trajectories.models import Youth


def active(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def case_worker(user: User) -> bool:
    """A professional or team lead whose access to youth files is in force.

    An account an organisation admin made (or turned into a professional or team lead, or
    moved to another team) opens no youth file until a team lead confirms it
    (:func:`can_confirm_case_access`): an admin alone cannot give themselves a way into the
    files by making an account and using its set-password link (security finding 3).
    """
    return user.role in (Role.PROFESSIONAL, Role.TEAM_LEAD) and not user.case_access_pending


def current_jim_links(user: User) -> QuerySet:
    """The JIM's active portal links whose person is, today, the youth's JIM.

    A JIM's access follows that person's status in *every* trajectory of the youth, open or
    closed: the person accepted in some trajectory, has not stopped there, and that trajectory
    did not close with the JIM relationship ended. A JIM who stopped (for any reason, refused
    consent included) or whose link a professional ended opens nothing from the next request
    on; a link without a person opens nothing either. Refused consent is checked per request
    on top of this (:func:`jim_consent_refused`): the JIM then still sees the portal's home
    with an explanation, and nothing of the file.
    """
    from yim.accounts.models import PortalLink
    from yim.trajectories.models import Candidate

    current = Candidate.objects.filter(
        person_id=OuterRef("person_id"),
        trajectory__youth_id=OuterRef("youth_id"),
        response="accepted",
        jim_ended_on__isnull=True,
    ).exclude(trajectory__closure__jim_relationship__in=("ended", "no_jim"))
    return PortalLink.objects.filter(
        user=user, relation=Role.JIM, active=True, person__isnull=False
    ).filter(Exists(current))


#: The parts of a youth's file the portals show, one permission check each.
PORTAL_SCOPES = ("meetings", "plan", "assessments", "network")

#: Youth have a right of access to their own file from this age (the age from which they
#: consent themselves, :data:`yim.trajectories.rules.YOUTH_CONSENTS_FROM`).
OWN_FILE_FROM_AGE = YOUTH_CONSENTS_FROM

#: From this age the youth decides alone: parents see nothing of the file.
PARENTS_SEE_NOTHING_FROM = YOUTH_ALONE_FROM


def linked(user: User, youth: Youth, relation: str) -> bool:
    """An active portal link of ``relation`` between the user and the youth; for a JIM, only
    while the link's person is the youth's JIM (:func:`current_jim_links`)."""
    from yim.accounts.models import PortalLink

    if not active(user) or user.role != relation:
        return False
    if relation == Role.JIM:
        return current_jim_links(user).filter(youth_id=youth.pk).exists()
    return PortalLink.objects.filter(
        user=user, youth_id=youth.pk, relation=relation, active=True
    ).exists()


def staff_in_scope(user: User, youth: Youth) -> bool:
    return (
        active(user)
        and case_worker(user)
        and user.team_id is not None
        and user.team_id == youth.team_id
    )


def age_today(youth: Youth) -> int:
    return youth.age_on()
