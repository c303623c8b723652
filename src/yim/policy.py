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

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest

from yim.accounts.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from yim.accounts.models import Team, User
    from yim.audit.models import AuditEvent
    from yim.research.models import MetaAnalysisRun
    from yim.trajectories.models import Youth

BREAK_GLASS_SESSION_KEY = "yim_break_glass"


def break_glass_ids(request: HttpRequest) -> frozenset[int]:
    """The youth files this session opened by break-the-glass (kept in the session, with
    the reason given; the youth page and the trajectory pages both read them here)."""
    grants = request.session.get(BREAK_GLASS_SESSION_KEY, {})
    return frozenset(int(k) for k in grants)


def _active(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _case_worker(user: User) -> bool:
    """A professional or team lead whose access to youth files is in force.

    An account an organisation admin made (or turned into a professional or team lead, or
    moved to another team) opens no youth file until a team lead confirms it
    (:func:`can_confirm_case_access`): an admin alone cannot give themselves a way into the
    files by making an account and using its set-password link (security finding 3).
    """
    return user.role in (Role.PROFESSIONAL, Role.TEAM_LEAD) and not user.case_access_pending


def youth_queryset(user: User, break_glass_ids: frozenset[int] = frozenset()) -> QuerySet[Youth]:
    """The youth this user may open, as one queryset (filter it further, never widen it)."""
    from yim.trajectories.models import Youth

    if not _active(user):
        return Youth.objects.none()
    if _case_worker(user) and user.team_id is not None:
        scope = Q(team_id=user.team_id)
        if break_glass_ids:
            scope |= Q(pk__in=break_glass_ids, organisation_id=user.organisation_id)
        return Youth.objects.filter(scope)
    if user.role == Role.JIM:
        return Youth.objects.filter(pk__in=_current_jim_links(user).values("youth_id"))
    if user.role in (Role.YOUTH, Role.PARENT):
        return Youth.objects.filter(
            portal_links__user=user, portal_links__active=True, portal_links__relation=user.role
        )
    return Youth.objects.none()


def _current_jim_links(user: User) -> QuerySet:
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
    return get_youth_or_404(user, pk, break_glass_ids)


def accounts_awaiting_confirmation(user: User) -> QuerySet[User]:
    """Accounts of the organisation that wait for this team lead's confirmation before they
    open youth files: those of the team lead's own team, and those of a team without an
    active team lead of its own. Never the team lead's own account, never one the team lead
    made or changed as an admin (there is no such role overlap today, but the rule holds)."""
    from yim.accounts.models import User as Account

    if not (
        _active(user)
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
    return _active(user) and _case_worker(user)


def can_edit_youth(user: User, youth: Youth) -> bool:
    """Staff with the youth in their team change the file; portal users never do here."""
    return _active(user) and _case_worker(user) and user.team_id == youth.team_id


def can_invite_portal_user(user: User, youth: Youth) -> bool:
    return can_edit_youth(user, youth)


def can_break_glass(user: User, youth_organisation_id: int) -> bool:
    return _active(user) and _case_worker(user) and user.organisation_id == youth_organisation_id


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


def _own_files(user: User) -> list[int]:
    """The files a youth account may read the access log of: linked, and the youth 12 or
    older today (the right of access starts at 12; before that the parents decide)."""
    return [y.pk for y in youth_queryset(user) if _age_today(y) >= OWN_FILE_FROM_AGE]


def can_see_own_access_log(user: User) -> bool:
    return _active(user) and user.role == Role.YOUTH and bool(_own_files(user))


def own_file_access_log(user: User) -> QuerySet[AuditEvent]:
    """ "Who viewed my file": what staff did with the youth's own file, for the youth only.

    The youth (12+, who has a right of access) sees every event about their file by someone
    else; JIMs and parents never see this log.
    """
    from yim.audit.models import AuditEvent

    if not _active(user) or user.role != Role.YOUTH:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(youth_id__in=_own_files(user)).exclude(actor_id=user.pk)


def can_manage_own_two_factor(user: User) -> bool:
    """New recovery codes and a new phone: staff (portal users have no second factor)."""
    return _active(user) and user.is_staff_member


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
# Members are researchers; the owner also manages members and deletes codes; the project's
# data manager (the owner unless the owner named another member) alone sees the pseudonym
# table. Anyone else — other researchers included — gets 404 for every project URL.


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


# --- trajectories -------------------------------------------------------------------------


def trajectory_queryset(user: User, break_glass_ids: frozenset[int] = frozenset()) -> QuerySet:
    """Trajectories of the youth this user may open (same scope as :func:`youth_queryset`)."""
    from yim.trajectories.models import Trajectory

    return Trajectory.objects.filter(youth__in=youth_queryset(user, break_glass_ids).values("pk"))


def can_confirm_emergency(user: User, trajectory_team_id: int) -> bool:
    """Only a team lead of the youth's team confirms an emergency placement (the model
    enforces the same rule in ``PlacementDecision.confirm_emergency``)."""
    return (
        _active(user)
        and _case_worker(user)
        and user.role == Role.TEAM_LEAD
        and user.team_id == trajectory_team_id
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


# --- monitoring and the portals (yim.monitoring) ------------------------------------------
#
# Staff (professional, team lead) see every part of the files in their scope. A youth from
# 12 sees their own file and decides, per scope, what their JIM may see. The JIM sees only
# the scopes the youth shared, and nothing while consent to the JIM is refused. A parent sees
# what the age rule allows (see ``parent_scopes``). Every check reads the database on every
# request: a withdrawn share, a refused consent or a deactivated portal link takes effect on
# the very next request.

PORTAL_SCOPES = ("meetings", "plan", "assessments", "network")

#: Youth have a right of access to their own file from this age.
OWN_FILE_FROM_AGE = 12


def _linked(user: User, youth: Youth, relation: str) -> bool:
    """An active portal link of ``relation`` between the user and the youth; for a JIM, only
    while the link's person is the youth's JIM (:func:`_current_jim_links`)."""
    from yim.accounts.models import PortalLink

    if not _active(user) or user.role != relation:
        return False
    if relation == Role.JIM:
        return _current_jim_links(user).filter(youth_id=youth.pk).exists()
    return PortalLink.objects.filter(
        user=user, youth_id=youth.pk, relation=relation, active=True
    ).exists()


def _staff_in_scope(user: User, youth: Youth) -> bool:
    return (
        _active(user)
        and _case_worker(user)
        and user.team_id is not None
        and user.team_id == youth.team_id
    )


def _age_today(youth: Youth) -> int:
    from yim.trajectories.models.base import today
    from yim.trajectories.rules import age_on

    return age_on(youth.date_of_birth, max(today(), youth.date_of_birth))


def can_see_own_file(user: User, youth: Youth) -> bool:
    """The youth's own portal: from 12 (right of access), through an active link."""
    return _linked(user, youth, Role.YOUTH) and _age_today(youth) >= OWN_FILE_FROM_AGE


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
        people = _current_jim_links(user).filter(youth_id=youth.pk).values("person_id")
        jims = Candidate.objects.filter(
            trajectory__youth_id=youth.pk,
            person_id__in=people,
            response="accepted",
            jim_ended_on__isnull=True,
        ).select_related("trajectory__youth")
        return any(jim.consent_status().refused for jim in jims)
    trajectory = Trajectory.objects.filter(youth_id=youth.pk, closed_at__isnull=True).first()
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
    age = _age_today(youth)
    if age < OWN_FILE_FROM_AGE:
        return PORTAL_SCOPES
    if age < 16:
        return ("meetings", "plan")
    return ()


def can_view_scope(user: User, youth: Youth, scope: str) -> bool:
    """May ``user`` see the ``scope`` part of ``youth``'s file? Re-read on every request."""
    from yim.monitoring.models import JimSharingScope

    if scope not in PORTAL_SCOPES or not _active(user):
        return False
    if _staff_in_scope(user, youth):
        return True
    if user.role == Role.YOUTH:
        return can_see_own_file(user, youth)
    if user.role == Role.JIM:
        return (
            _linked(user, youth, Role.JIM)
            and JimSharingScope.current(youth).get(scope, False)
            and not jim_consent_refused(youth, user)
        )
    if user.role == Role.PARENT:
        return _linked(user, youth, Role.PARENT) and scope in parent_scopes(youth)
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
    from yim.trajectories.rules import required_consent

    return (
        _linked(user, youth, Role.PARENT)
        and required_consent(youth.date_of_birth, max(today(), youth.date_of_birth)).parents
        and parent_consent_holder(user, youth) is not False
    )


def can_fill_in_questionnaires(user: User, youth: Youth) -> bool:
    """Portal users linked to the youth, and staff of the youth's team (professional rating)."""
    if _staff_in_scope(user, youth):
        return True
    if user.role == Role.YOUTH:
        return can_see_own_file(user, youth)
    if user.role == Role.JIM:
        return _linked(user, youth, Role.JIM) and not jim_consent_refused(youth, user)
    return _linked(user, youth, Role.PARENT)


def assessment_queryset(user: User) -> QuerySet:
    """Assessments this user may open: staff, those of their team's youth; portal users only
    their own, while their link to the youth is active."""
    from yim.monitoring.models import Assessment

    if not _active(user):
        return Assessment.objects.none()
    if _case_worker(user) and user.team_id is not None:
        return Assessment.objects.filter(youth__team_id=user.team_id)
    if user.role in (Role.YOUTH, Role.JIM, Role.PARENT):
        return Assessment.objects.filter(
            respondent=user, youth__in=youth_queryset(user).values("pk")
        )
    return Assessment.objects.none()


def can_edit_submitted_assessment(user: User, assessment) -> bool:
    """Staff correct a professional's assessment of their team's youth; what a youth, JIM or
    parent submitted is their own voice and is not changed by anyone."""
    return assessment.respondent_role == "professional" and _staff_in_scope(user, assessment.youth)


def can_see_feedback(user: User, youth: Youth) -> bool:
    """Feedback of youth, JIM and parent reaches the professionals of the youth's team."""
    return _staff_in_scope(user, youth)


def can_see_team_feedback(user: User) -> bool:
    return _active(user) and _case_worker(user) and bool(user.team_id)


def can_see_research_feedback(user: User) -> bool:
    """Researchers see feedback aggregated over the organisation, never per youth."""
    return can_use_research(user) and user.organisation_id is not None


def can_use_portal(user: User) -> bool:
    return _active(user) and user.role in (Role.YOUTH, Role.JIM, Role.PARENT)


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
    return _active(user) and user.role == Role.ORG_ADMIN and user.organisation_id is not None


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


# --- evidence from practice (/evidence/): aggregate outcome figures, no youth files ---


def can_see_evidence(user: User) -> bool:
    """Outcome figures: professionals (their caseload), team leads (their team), organisation
    admins and researchers (their organisation, team by team if they choose)."""
    if not _active(user) or user.organisation_id is None:
        return False
    if _case_worker(user):
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
