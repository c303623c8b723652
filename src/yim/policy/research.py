"""Research: the researcher's meta-analyses, the qualitative interview projects (open to
their members only) and the evidence-from-practice figures (aggregates, no youth files)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import F, Q, QuerySet
from django.http import Http404

from yim.accounts.models import Role
from yim.policy.base import active, case_worker

if TYPE_CHECKING:
    from yim.accounts.models import Team, User
    from yim.research.models import MetaAnalysisRun


def can_use_research(user: User) -> bool:
    return active(user) and user.role == Role.RESEARCHER


def meta_analysis_runs(user: User) -> QuerySet[MetaAnalysisRun]:
    """A researcher's own meta-analyses (the uploaded study tables hold no youth data)."""
    from yim.research.models import MetaAnalysisRun

    if not can_use_research(user):
        return MetaAnalysisRun.objects.none()
    return MetaAnalysisRun.objects.filter(owner=user)


# ---------------------------------------------------------------------------------------------
# Qualitative research (yim.qualitative): interview projects are open to their members only.
# Members are researchers; the owner also manages members and deletes codes; the project's
# data manager (the owner unless the owner named another member) alone sees the pseudonym
# table. Anyone else — other researchers included — gets 404 for every project URL.


def can_use_qualitative(user: User) -> bool:
    return active(user) and user.role == Role.RESEARCHER


def qualitative_projects(user: User):
    """The interview projects this user is a member of (filter further, never widen)."""
    from yim.qualitative.models import Project

    if not can_use_qualitative(user):
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user)


def get_project_or_404(user: User, pk: int):
    """One query through the membership scope; the user's project role is annotated."""

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
    """Members and deletion: the project's owner only (pseudonyms: see the data manager)."""
    from yim.qualitative.models import MemberRole

    return can_use_qualitative(user) and getattr(project, "member_role", None) == MemberRole.OWNER


def can_manage_qualitative_codebook(user: User, project) -> bool:
    """Deleting codes (which deletes other coders' codings too): the project's owner only.
    Every member may add, rename, move and merge codes (optimistic locking keeps that safe)."""
    return can_manage_qualitative_project(user, project)


def can_manage_qualitative_pseudonyms(user: User, project) -> bool:
    """The real-name ↔ pseudonym table: only the project's data manager sees and edits it.

    The data manager is a member named on the project; while none is named (a new project,
    or the named member left) the project's owners are. Other coders never see real names.
    ``project`` must come from :func:`get_project_or_404` (membership checked there).
    """
    from yim.qualitative.models import MemberRole

    if not can_use_qualitative(user) or getattr(project, "member_role", None) is None:
        return False
    if project.data_manager_id is not None:
        return bool(project.data_manager_id == user.pk)
    return bool(project.member_role == MemberRole.OWNER)


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


# --- evidence from practice (/evidence/): aggregate outcome figures, no youth files ---


def can_see_evidence(user: User) -> bool:
    """Outcome figures: professionals (their caseload), team leads (their team), organisation
    admins and researchers (their organisation, team by team if they choose)."""
    if not active(user) or user.organisation_id is None:
        return False
    if case_worker(user):
        return user.team_id is not None
    return user.role in (Role.ORG_ADMIN, Role.RESEARCHER)


def evidence_teams(user: User) -> QuerySet[Team]:
    """The teams a user may choose on the evidence pages; none when the scope is fixed."""
    from yim.accounts.models import Team

    organisation_id = user.organisation_id
    if not can_see_evidence(user) or user.role not in (Role.ORG_ADMIN, Role.RESEARCHER):
        return Team.objects.none()
    if organisation_id is None:
        return Team.objects.none()
    return Team.objects.filter(organisation_id=organisation_id)


def evidence_scope(user: User, team_id: int | None = None) -> dict[str, int]:
    """Which trajectories the user's figures cover, as filters of the evidence ``Scope``.

    A team is chosen through :func:`evidence_teams` (404 outside it); a team lead's and a
    professional's scope is fixed (their team, their own caseload).
    """
    if not can_see_evidence(user):
        raise Http404
    if user.role == Role.PROFESSIONAL:
        return {"team_id": int(user.team_id or 0), "professional_id": user.pk}
    if user.role == Role.TEAM_LEAD:
        return {"team_id": int(user.team_id or 0)}
    if team_id is not None:
        if not evidence_teams(user).filter(pk=team_id).exists():
            raise Http404
        return {"team_id": team_id}
    return {"organisation_id": int(user.organisation_id or 0)}


#: The filters of an evidence ``Scope`` that say whose trajectories it covers.
EVIDENCE_SCOPE_FIELDS = ("team_id", "organisation_id", "professional_id")


def still_has_evidence_scope(user: User, params: dict[str, Any]) -> bool:
    """A kept result (background work) was computed for a scope; its owner sees it only while
    that is still their scope — their role, team or organisation may have changed since."""
    try:
        filters = evidence_scope(user, params.get("team_id"))
    except Http404:  # no evidence any more, or the team is no longer theirs
        return False
    return all(params.get(name) == filters.get(name) for name in EVIDENCE_SCOPE_FIELDS)


def may_see_comparison_study(user: User, params: dict[str, Any]) -> bool:
    """A comparison study from the registry: while its scope is still the owner's; from an
    uploaded file: while the owner may still see evidence at all (the rows are theirs)."""
    if params.get("source") == "file":
        return can_see_evidence(user)
    return still_has_evidence_scope(user, params)


def can_compare_teams(user: User) -> bool:
    """The teams of one organisation compared (/evidence/teams/): a team lead (the teams of
    their own organisation, aggregate figures only), an organisation admin or a researcher
    with the evidence scope of their organisation. A professional's scope is their caseload."""
    return can_see_evidence(user) and user.role in (
        Role.TEAM_LEAD,
        Role.ORG_ADMIN,
        Role.RESEARCHER,
    )


def teams_comparison_scope(user: User) -> dict[str, int]:
    """Whose teams a comparison covers: the user's own organisation (404 for anyone who may
    not compare teams)."""
    if not can_compare_teams(user):
        raise Http404
    return {"organisation_id": int(user.organisation_id or 0)}


def may_see_teams_comparison(user: User, params: dict[str, Any]) -> bool:
    """A kept teams comparison: its owner, while they may still compare the teams of that
    organisation (a move to another organisation ends it)."""
    return can_compare_teams(user) and params.get("organisation_id") == user.organisation_id


def may_see_evidence_report(user: User, params: dict[str, Any]) -> bool:
    """A report job: a teams report under the teams comparison's rule, any other report under
    the comparison study's (a registry scope while it is still the owner's)."""
    if params.get("report") == "teams":
        return may_see_teams_comparison(user, params)
    return may_see_comparison_study(user, params)


def can_pool_evidence(user: User) -> bool:
    """Pooling the signed evidence files of several organisations (/evidence/pool/): a
    researcher with the evidence scope of an organisation. The files hold aggregates only."""
    return can_use_research(user) and can_see_evidence(user)


def may_see_evidence_pool(user: User, params: dict[str, Any]) -> bool:
    """A kept pooling result: its owner, while they may still pool evidence (the job's
    owner is checked by the jobs app)."""
    return can_pool_evidence(user)


def may_download_research_export(user: User, params: dict[str, Any]) -> bool:
    """A research export (pseudonymised rows): a researcher, still in the export's scope."""
    return can_use_research(user) and still_has_evidence_scope(user, params)


def evidence_programmes(user: User) -> QuerySet:
    """Programme models a user may narrow the evidence figures to: the standard ones and
    those of the user's organisation."""
    from yim.programmes.models import ProgrammeModel

    organisation_id = user.organisation_id
    if not can_see_evidence(user) or organisation_id is None:
        return ProgrammeModel.objects.none()
    return ProgrammeModel.objects.filter(
        Q(organisation__isnull=True) | Q(organisation_id=organisation_id)
    )
