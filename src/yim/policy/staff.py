"""Staff scopes: the youth and trajectories a professional or team lead may open (their
own team, plus break-the-glass grants), the team overview, the audit search, the API, and
the team lead's confirmation of new case access."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from yim.accounts.models import Role
from yim.policy.base import active, case_worker, current_jim_links

if TYPE_CHECKING:
    from yim.accounts.models import User
    from yim.audit.models import AuditEvent
    from yim.trajectories.models import Youth


def youth_queryset(user: User, break_glass_ids: frozenset[int] = frozenset()) -> QuerySet[Youth]:
    """The youth this user may open, as one queryset (filter it further, never widen it)."""
    from yim.trajectories.models import Youth

    if not active(user):
        return Youth.objects.none()
    if case_worker(user) and user.team_id is not None:
        scope = Q(team_id=user.team_id)
        if break_glass_ids:
            scope |= Q(pk__in=break_glass_ids, organisation_id=user.organisation_id)
        return Youth.objects.filter(scope)
    if user.role == Role.JIM:
        return Youth.objects.filter(pk__in=current_jim_links(user).values("youth_id"))
    if user.role in (Role.YOUTH, Role.PARENT):
        return Youth.objects.filter(
            portal_links__user=user, portal_links__active=True, portal_links__relation=user.role
        )
    return Youth.objects.none()


def get_youth_or_404(user: User, pk: int, break_glass_ids: frozenset[int] = frozenset()) -> Youth:
    """One query through the user's scope; anything outside it is simply not found."""
    youth = youth_queryset(user, break_glass_ids).filter(pk=pk).first()
    if youth is None:
        raise Http404
    return youth


def get_case_file_or_404(
    user: User, pk: int, break_glass_ids: frozenset[int] = frozenset()
) -> Youth:
    """The staff youth page (file number, date of birth, team, professional): only for the
    staff whose scope holds the youth. Youth, JIMs and parents have the portal, which shows
    what the youth's sharing and the age rules allow; here they get 404 like anyone else."""
    if not can_list_caseload(user):
        raise Http404
    scope = youth_queryset(user, break_glass_ids).select_related("team", "professional")
    youth = scope.filter(pk=pk).first()  # the page shows the team and the professional
    if youth is None:
        raise Http404
    return youth


def accounts_awaiting_confirmation(user: User) -> QuerySet[User]:
    """Accounts of the organisation that wait for this team lead's confirmation before they
    open youth files: those of the team lead's own team, and those of a team without an
    active team lead of its own. Never the team lead's own account, never one the team lead
    made or changed as an admin (there is no such role overlap today, but the rule holds)."""
    from yim.accounts.models import User as Account

    if not (
        active(user)
        and user.role == Role.TEAM_LEAD
        and not user.case_access_pending
        and user.team_id is not None
    ):
        return Account.objects.none()
    led = Account.objects.filter(
        role=Role.TEAM_LEAD, is_active=True, case_access_pending=False, team_id=OuterRef("team_id")
    )
    return (
        Account.objects.filter(
            organisation_id=int(user.organisation_id or 0),
            is_active=True,
            case_access_pending=True,
        )
        .filter(Q(team_id=user.team_id) | ~Exists(led))
        .exclude(pk=user.pk)
        .select_related("team")
        .order_by("team__name", "username")
    )


def can_list_caseload(user: User) -> bool:
    return active(user) and case_worker(user)


def can_edit_youth(user: User, youth: Youth) -> bool:
    """Staff with the youth in their team change the file; portal users never do here."""
    return active(user) and case_worker(user) and user.team_id == youth.team_id


def can_invite_portal_user(user: User, youth: Youth) -> bool:
    return can_edit_youth(user, youth)


def can_search_audit(user: User) -> bool:
    return active(user) and user.role in (Role.TEAM_LEAD, Role.ORG_ADMIN)


def audit_queryset(user: User) -> QuerySet[AuditEvent]:
    """Team leads see events about their team's youth; admins their organisation's events."""
    from yim.audit.models import AuditEvent
    from yim.trajectories.models import Youth

    if not can_search_audit(user):
        return AuditEvent.objects.none()
    if user.role == Role.ORG_ADMIN:
        if user.organisation_id is None:
            return AuditEvent.objects.none()
        return AuditEvent.objects.filter(organisation_id=user.organisation_id)
    if user.team_id is None:
        return AuditEvent.objects.none()
    from yim.accounts.models import User as Account

    team_youth = Youth.objects.filter(team_id=user.team_id).values("pk")
    # Failed sign-ins (wrong password, wrong second-factor code) on the team's own accounts:
    # the team lead is the one who notices a colleague being guessed at.
    members = [
        str(pk) for pk in Account.objects.filter(team_id=user.team_id).values_list("pk", flat=True)
    ]
    return AuditEvent.objects.filter(
        Q(youth_id__in=team_youth)
        | Q(action="login_failed", object_type="user", object_id__in=members)
    )


def can_manage_own_two_factor(user: User) -> bool:
    """New recovery codes and a new phone: staff (portal users have no second factor)."""
    return active(user) and user.is_staff_member


def can_use_api(user: User) -> bool:
    return active(user) and user.is_staff_member


# --- trajectories -------------------------------------------------------------------------


def trajectory_queryset(user: User, break_glass_ids: frozenset[int] = frozenset()) -> QuerySet:
    """Trajectories of the youth this user may open (same scope as :func:`youth_queryset`)."""
    from yim.trajectories.models import Trajectory

    return Trajectory.objects.filter(youth__in=youth_queryset(user, break_glass_ids).values("pk"))


def can_confirm_emergency(user: User, trajectory_team_id: int) -> bool:
    """Who confirms an emergency placement is the model's rule
    (``PlacementDecision.may_confirm_emergency``: a team lead of the trajectory's team); the
    policy adds that the account is active and its access to youth files in force."""
    from yim.trajectories.models import PlacementDecision

    return (
        active(user)
        and case_worker(user)
        and PlacementDecision.may_confirm_emergency(user, trajectory_team_id)
    )


def staff_trajectory_queryset(
    user: User, break_glass_ids: frozenset[int] = frozenset()
) -> QuerySet:
    """Trajectories behind the staff pages (caseload, trajectory pages, team overview).

    Portal users reach a youth's file through their portal link, but the professional
    record of the trajectory is not theirs to browse: their scope here is empty.
    """
    from yim.trajectories.models import Trajectory

    if not can_list_caseload(user):
        return Trajectory.objects.none()
    return trajectory_queryset(user, break_glass_ids)


def can_view_trajectories(user: User, youth: Youth) -> bool:
    """Staff who may open the youth (team, or break-the-glass) see the trajectory record."""
    return can_list_caseload(user) and (
        user.team_id == youth.team_id or user.organisation_id == youth.organisation_id
    )


def can_edit_trajectory(user: User, youth: Youth) -> bool:
    """Only the youth's own team records the trajectory; break-the-glass access reads only."""
    return can_edit_youth(user, youth)


def can_start_intake(user: User) -> bool:
    """A professional or team lead with a team registers a new youth in that team."""
    return can_list_caseload(user) and user.team_id is not None


def can_see_team_overview(user: User) -> bool:
    return can_list_caseload(user) and user.team_id is not None


def team_overview_queryset(user: User) -> QuerySet:
    """The JIM trajectories of the user's team (the caseload the team overview shows);
    comparison (care-as-usual) trajectories are no casework and stay out."""
    from yim.trajectories.models import Cohort, Trajectory

    team_id = user.team_id
    if not can_see_team_overview(user) or team_id is None:
        return Trajectory.objects.none()
    return Trajectory.objects.filter(youth__team_id=team_id, cohort=Cohort.JIM)
