"""Who may do what: every permission rule of yim lives in this module.

Views, the API and commands call these ``can_*`` functions and scoped querysets; none of
them checks roles itself. Objects outside a user's scope are looked up *through* the scope,
so they answer 404 (not 403) and a URL never confirms that someone else's record exists.

Scopes in this slice:

* professional and team lead: the youth of their own team;
* break-the-glass: a professional or team lead of the same organisation who states a reason
  may open one youth outside the team for the rest of the session; the reason is logged;
* organisation admin: users and the audit log of the organisation, no youth files;
* researcher: pseudonymised research data only, no youth files;
* youth, JIM and parent: only the youth they are linked to through an active portal link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from yim.accounts.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from yim.accounts.models import User
    from yim.audit.models import AuditEvent
    from yim.research.models import MetaAnalysisRun
    from yim.trajectories.models import Youth

BREAK_GLASS_SESSION_KEY = "yim_break_glass"


def _active(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def youth_queryset(user: User, break_glass_ids: frozenset[int] = frozenset()) -> QuerySet[Youth]:
    """The youth this user may open, as one queryset (filter it further, never widen it)."""
    from yim.trajectories.models import Youth

    if not _active(user):
        return Youth.objects.none()
    if user.role in (Role.PROFESSIONAL, Role.TEAM_LEAD) and user.team_id is not None:
        scope = Q(team_id=user.team_id)
        if break_glass_ids:
            scope |= Q(pk__in=break_glass_ids, organisation_id=user.organisation_id)
        return Youth.objects.filter(scope)
    if user.role in (Role.YOUTH, Role.JIM, Role.PARENT):
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


def can_list_caseload(user: User) -> bool:
    return _active(user) and user.role in (Role.PROFESSIONAL, Role.TEAM_LEAD)


def can_edit_youth(user: User, youth: Youth) -> bool:
    """Staff with the youth in their team change the file; portal users never do here."""
    return (
        _active(user)
        and user.role in (Role.PROFESSIONAL, Role.TEAM_LEAD)
        and user.team_id == youth.team_id
    )


def can_invite_portal_user(user: User, youth: Youth) -> bool:
    return can_edit_youth(user, youth)


def can_break_glass(user: User, youth_organisation_id: int) -> bool:
    return (
        _active(user)
        and user.role in (Role.PROFESSIONAL, Role.TEAM_LEAD)
        and user.organisation_id == youth_organisation_id
    )


def can_search_audit(user: User) -> bool:
    return _active(user) and user.role in (Role.TEAM_LEAD, Role.ORG_ADMIN)


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
    team_youth = Youth.objects.filter(team_id=user.team_id).values("pk")
    return AuditEvent.objects.filter(youth_id__in=team_youth)


def can_see_own_access_log(user: User) -> bool:
    return _active(user) and user.role == Role.YOUTH


def own_file_access_log(user: User) -> QuerySet[AuditEvent]:
    """ "Who viewed my file": what staff did with the youth's own file, for the youth only.

    The youth (12+, who has a right of access) sees every event about their file by someone
    else; JIMs and parents never see this log.
    """
    from yim.audit.models import AuditEvent

    if not can_see_own_access_log(user):
        return AuditEvent.objects.none()
    own_files = youth_queryset(user).values("pk")
    return AuditEvent.objects.filter(youth_id__in=own_files).exclude(actor_id=user.pk)


def can_manage_users(user: User) -> bool:
    return _active(user) and user.role == Role.ORG_ADMIN


def can_use_research(user: User) -> bool:
    return _active(user) and user.role == Role.RESEARCHER


def meta_analysis_runs(user: User) -> QuerySet[MetaAnalysisRun]:
    """A researcher's own meta-analyses (the uploaded study tables hold no youth data)."""
    from yim.research.models import MetaAnalysisRun

    if not can_use_research(user):
        return MetaAnalysisRun.objects.none()
    return MetaAnalysisRun.objects.filter(owner=user)


def can_use_api(user: User) -> bool:
    return _active(user) and user.is_staff_member


def capacity(user: User, youth: Youth | None = None, break_glass: bool = False) -> str:
    """How the user acts, as written to the audit log."""
    if break_glass:
        return "break_glass"
    return str(user.role)


# ---------------------------------------------------------------------------------------------
# Qualitative research (yim.qualitative): interview projects are open to their members only.
# Members are researchers; the owner also manages members and the pseudonym table. Anyone
# else — other researchers included — gets 404 for every project URL.


def can_use_qualitative(user: User) -> bool:
    return _active(user) and user.role == Role.RESEARCHER


def qualitative_projects(user: User):
    """The interview projects this user is a member of (filter further, never widen)."""
    from yim.qualitative.models import Project

    if not can_use_qualitative(user):
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user)


def get_project_or_404(user: User, pk: int):
    """One query through the membership scope; the user's project role is annotated."""
    from django.db.models import F

    project = (
        qualitative_projects(user)
        .filter(pk=pk)
        .annotate(member_role=F("memberships__role"))
        .first()
    )
    if project is None:
        raise Http404
    return project


def can_manage_qualitative_project(user: User, project) -> bool:
    """Members, pseudonyms and deletion: the project's owner only."""
    from yim.qualitative.models import MemberRole

    return can_use_qualitative(user) and getattr(project, "member_role", None) == MemberRole.OWNER


def can_join_qualitative_project(user: User, candidate: User) -> bool:
    """Only active researchers of the owner's organisation can be added as members."""
    return (
        can_use_qualitative(candidate)
        and candidate.organisation_id is not None
        and candidate.organisation_id == user.organisation_id
    )


def can_change_qualitative_coding(user: User, project, coder) -> bool:
    """Coders code independently: each changes only their own codings. Codings that came in
    with an import (a coder without a yim account) may be changed by the project's owner."""
    if not can_use_qualitative(user) or coder is None:
        return can_manage_qualitative_project(user, project)
    if coder.user_id is None:
        return can_manage_qualitative_project(user, project)
    return bool(coder.user_id == user.pk)


# --- trajectories -------------------------------------------------------------------------


def trajectory_queryset(user: User, break_glass_ids: frozenset[int] = frozenset()) -> QuerySet:
    """Trajectories of the youth this user may open (same scope as :func:`youth_queryset`)."""
    from yim.trajectories.models import Trajectory

    return Trajectory.objects.filter(youth__in=youth_queryset(user, break_glass_ids).values("pk"))


def can_confirm_emergency(user: User, trajectory_team_id: int) -> bool:
    """Only a team lead of the youth's team confirms an emergency placement (the model
    enforces the same rule in ``PlacementDecision.confirm_emergency``)."""
    return _active(user) and user.role == Role.TEAM_LEAD and user.team_id == trajectory_team_id
