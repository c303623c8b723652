"""The portal's questions to the policy: whose file this is, who advises, who is told.

Every page starts with :func:`portal_youth_or_404` (one lookup through the policy's scope:
another youth answers 404). The functions below only combine the policy's public rules;
none of them widens what :mod:`yim.policy` allows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404

from yim import policy
from yim.accounts.models import Role
from yim.trajectories.models import Candidate, PlacementDecision, decisions_open_for_advice

if TYPE_CHECKING:
    from yim.accounts.models import User
    from yim.core.http import AuthenticatedHttpRequest
    from yim.trajectories.models import Youth

#: Parental authority ends at 18: from then on parents are no longer told of a placement.
AUTHORITY_UNTIL_AGE = 18

#: The part of the file that holds the placement decisions and the safety plan. There is no
#: scope of their own: they belong with the care plan (the plan for the youth's care and
#: safety), so the youth's choice for the care plan and the parents' age rule for it hold.
PLACEMENT_SCOPE = "plan"


def portal_youth_or_404(request: AuthenticatedHttpRequest, youth_id: int) -> Youth:
    """The youth this portal account is linked to, or 404 (staff use the staff pages)."""
    if not request.user.is_portal_user:
        raise Http404
    return policy.get_youth_or_404(request.user, youth_id)


def can_see_placements(user: User, youth: Youth) -> bool:
    """Placement decisions and the safety plan: the rules of the care plan's part."""
    return policy.can_view_scope(user, youth, PLACEMENT_SCOPE)


def advising_jims(user: User, youth: Youth) -> list[Candidate]:
    """The JIM candidacies through which this account may give advice on a placement: the
    person of the JIM's current portal link, accepted and not stopped, with consent complete
    (and not refused). Empty for anyone else."""
    if user.role != Role.JIM or policy.jim_consent_refused(youth, user):
        return []
    people = policy.current_jim_links(user).filter(youth_id=youth.pk).values("person_id")
    candidates = Candidate.objects.filter(
        trajectory__youth_id=youth.pk,
        person_id__in=people,
        response="accepted",
        jim_ended_on__isnull=True,
    ).select_related("trajectory__youth")
    return [c for c in candidates if c.consent_status().complete]


def decisions_asking_advice(user: User, youth: Youth) -> list[tuple[PlacementDecision, Candidate]]:
    """The placement decisions the JIM is asked about now, each with her candidacy."""
    asked = []
    for jim in advising_jims(user, youth):
        for decision in decisions_open_for_advice(jim.trajectory_id).order_by("decided_on", "pk"):
            asked.append((decision, jim))
    return asked


def is_told_of_placements(user: User, youth: Youth) -> bool:
    """A linked parent who holds parental authority is told when the child is placed, whatever
    the age rule for the file's parts (only the kind and the date, until the child is 18).

    Like consent: when no holder of authority is recorded on the file, a linked parent counts
    as the parents; when holders are recorded, only their accounts are told.
    """
    return (
        policy.linked(user, youth, Role.PARENT)
        and policy.parent_consent_holder(user, youth) is not False
        and policy.age_today(youth) < AUTHORITY_UNTIL_AGE
    )
