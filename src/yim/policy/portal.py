"""The youth, JIM and parent portals (yim.monitoring) and the staff side of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from yim.accounts.models import Role
from yim.policy.base import (
    OWN_FILE_FROM_AGE,
    PARENTS_SEE_NOTHING_FROM,
    PORTAL_SCOPES,
    active,
    age_today,
    case_worker,
    current_jim_links,
    linked,
    staff_in_scope,
)
from yim.policy.research import can_use_research
from yim.policy.staff import can_edit_youth, youth_queryset
from yim.trajectories.rules import required_consent

if TYPE_CHECKING:
    from yim.accounts.models import User
    from yim.audit.models import AuditEvent
    from yim.trajectories.models import Youth


# --- monitoring and the portals (yim.monitoring) ------------------------------------------
#
# Staff (professional, team lead) see every part of the files in their scope. A youth from
# 12 sees their own file and decides, per scope, what their JIM may see. The JIM sees only
# the scopes the youth shared, and nothing while consent to the JIM is refused. A parent sees
# what the age rule allows (see ``parent_scopes``). Every check reads the database on every
# request: a withdrawn share, a refused consent or a deactivated portal link takes effect on
# the very next request.


def own_files(user: User) -> list[int]:
    """The files a youth account may read the access log of: linked, and the youth 12 or
    older today (the right of access starts at 12; before that the parents decide)."""
    return [y.pk for y in youth_queryset(user) if age_today(y) >= OWN_FILE_FROM_AGE]


def can_see_own_access_log(user: User) -> bool:
    return active(user) and user.role == Role.YOUTH and bool(own_files(user))


def own_file_access_log(user: User) -> QuerySet[AuditEvent]:
    """ "Who viewed my file": what staff did with the youth's own file, for the youth only.

    The youth (12+, who has a right of access) sees every event about their file by someone
    else; JIMs and parents never see this log.
    """
    from yim.audit.models import AuditEvent, listed_filter

    if not active(user) or user.role != Role.YOUTH:
        return AuditEvent.objects.none()
    files = own_files(user)
    if not files:
        return AuditEvent.objects.none()
    about = Q(youth_id__in=files)
    for pk in files:  # a list or search page that showed the youth's name
        about |= listed_filter(pk)
    return AuditEvent.objects.filter(about).exclude(actor_id=user.pk)


def can_see_own_file(user: User, youth: Youth) -> bool:
    """The youth's own portal: from 12 (right of access), through an active link."""
    return linked(user, youth, Role.YOUTH) and age_today(youth) >= OWN_FILE_FROM_AGE


def can_manage_jim_sharing(user: User, youth: Youth) -> bool:
    """Only the youth (12+) decides what their JIM may see."""
    return can_see_own_file(user, youth)


def jim_consent_refused(youth: Youth, user: User | None = None) -> bool:
    """True when the latest consent of a party the age rule asks for refuses the JIM.

    With ``user`` (a JIM's portal account): that person's candidacies as JIM in every
    trajectory of the youth, open or closed. Without: the active JIM of the open trajectory.
    """
    from yim.trajectories.models import Candidate, Trajectory

    if user is not None:
        people = current_jim_links(user).filter(youth_id=youth.pk).values("person_id")
        jims = Candidate.objects.filter(
            trajectory__youth_id=youth.pk,
            person_id__in=people,
            response="accepted",
            jim_ended_on__isnull=True,
        ).select_related("trajectory__youth")
        return any(jim.consent_status().refused for jim in jims)
    trajectory = Trajectory.objects.filter(youth_id=youth.pk).open().first()
    if trajectory is None:
        return False
    active = trajectory.active_jim
    return active is not None and active.consent_status().refused


def parent_scopes(youth: Youth) -> tuple[str, ...]:
    """What a linked parent may see, by the youth's age today (Jeugdwet consent ages):
    under 12 the parents decide, so they see every part; 12–15 parents consent together with
    the youth, so they see the meetings and the care plan they are party to, not the youth's
    own questionnaires or network; from 16 the youth decides alone and parents see nothing
    of the file (they still give feedback on meetings they attended)."""
    age = age_today(youth)
    if age < OWN_FILE_FROM_AGE:
        return PORTAL_SCOPES
    if age < PARENTS_SEE_NOTHING_FROM:
        return ("meetings", "plan")
    return ()


def can_view_scope(user: User, youth: Youth, scope: str) -> bool:
    """May ``user`` see the ``scope`` part of ``youth``'s file? Re-read on every request."""
    from yim.monitoring.models import JimSharingScope

    if scope not in PORTAL_SCOPES or not active(user):
        return False
    if staff_in_scope(user, youth):
        return True
    if user.role == Role.YOUTH:
        return can_see_own_file(user, youth)
    if user.role == Role.JIM:
        return (
            linked(user, youth, Role.JIM)
            and JimSharingScope.current(youth).get(scope, False)
            and not jim_consent_refused(youth, user)
        )
    if user.role == Role.PARENT:
        return linked(user, youth, Role.PARENT) and scope in parent_scopes(youth)
    return False


def visible_scopes(user: User, youth: Youth) -> list[str]:
    return [s for s in PORTAL_SCOPES if can_view_scope(user, youth, s)]


def parent_consent_holder(user: User, youth: Youth) -> int | bool | None:
    """Whose consent a linked parent's decision is: the id of the holder of parental
    authority their link belongs to; ``None`` when no holder is recorded on the file (one
    parent's consent then counts for the parents); ``False`` when holders are recorded and
    this account is none of them (their decision would not count: they cannot give it)."""
    from yim.accounts.models import PortalLink
    from yim.trajectories.models import NetworkPerson

    holders = NetworkPerson.objects.filter(youth_id=youth.pk, has_parental_authority=True)
    if not holders.exists():
        return None
    person_id = (
        PortalLink.objects.filter(user=user, youth_id=youth.pk, relation=Role.PARENT, active=True)
        .values_list("person_id", flat=True)
        .first()
    )
    if person_id is None:
        return False
    return person_id if holders.filter(pk=person_id).exists() else False


def can_give_parent_consent(user: User, youth: Youth) -> bool:
    """A linked parent with parental authority records their consent to the JIM where the
    age rule asks parents for it (consent follows gezag, not the word "parent")."""
    from yim.trajectories.models.base import today

    return (
        linked(user, youth, Role.PARENT)
        and required_consent(youth.date_of_birth, max(today(), youth.date_of_birth)).parents
        and parent_consent_holder(user, youth) is not False
    )


def can_fill_in_questionnaires(user: User, youth: Youth) -> bool:
    """Portal users linked to the youth, and staff of the youth's team (professional rating)."""
    if staff_in_scope(user, youth):
        return True
    if user.role == Role.YOUTH:
        return can_see_own_file(user, youth)
    if user.role == Role.JIM:
        return linked(user, youth, Role.JIM) and not jim_consent_refused(youth, user)
    return linked(user, youth, Role.PARENT)


def assessment_queryset(user: User) -> QuerySet:
    """Assessments this user may open: staff, those of their team's youth; portal users only
    their own, while their link to the youth is active."""
    from yim.monitoring.models import Assessment

    if not active(user):
        return Assessment.objects.none()
    if case_worker(user) and user.team_id is not None:
        return Assessment.objects.filter(youth__team_id=user.team_id)
    if user.role in (Role.YOUTH, Role.JIM, Role.PARENT):
        return Assessment.objects.filter(
            respondent=user, youth__in=youth_queryset(user).values("pk")
        )
    return Assessment.objects.none()


def can_edit_submitted_assessment(user: User, assessment) -> bool:
    """Staff correct a professional's assessment of their team's youth; what a youth, JIM or
    parent submitted is their own voice and is not changed by anyone."""
    return assessment.respondent_role == "professional" and staff_in_scope(user, assessment.youth)


def can_see_feedback(user: User, youth: Youth) -> bool:
    """Feedback of youth, JIM and parent reaches the professionals of the youth's team."""
    return staff_in_scope(user, youth)


def can_see_team_feedback(user: User) -> bool:
    return active(user) and case_worker(user) and bool(user.team_id)


def can_see_research_feedback(user: User) -> bool:
    """Researchers see feedback aggregated over the organisation, never per youth."""
    return can_use_research(user) and user.organisation_id is not None


def can_use_portal(user: User) -> bool:
    return active(user) and user.role in (Role.YOUTH, Role.JIM, Role.PARENT)


def can_issue_portal_password_link(user: User, youth: Youth) -> bool:
    """A set-password link for a youth, JIM or parent who forgot their password and has no
    e-mail address to reset it: made by staff who may edit the youth (their own team)."""
    return can_edit_youth(user, youth)


def managed_portal_links(user: User, youth: Youth) -> QuerySet:
    """The active portal links of ``youth`` that ``user`` manages: the professionals and team
    lead of the youth's team may end any of them (a JIM who stopped, a parent who lost
    authority, an account handed to the wrong person). Look a link up through this."""
    from yim.accounts.models import PortalLink

    if not can_edit_youth(user, youth):
        return PortalLink.objects.none()
    return PortalLink.objects.filter(
        youth_id=youth.pk, active=True, user__role__in=[Role.YOUTH, Role.JIM, Role.PARENT]
    ).select_related("user", "person")


def portal_password_link_targets(user: User, youth: Youth) -> QuerySet:
    """The portal links of ``youth`` whose account may get such a link: active links of
    active accounts of the youth's own portal users (look the target up through this)."""
    if not can_issue_portal_password_link(user, youth):
        return managed_portal_links(user, youth).none()
    return managed_portal_links(user, youth).filter(user__is_active=True)
