"""A JIM's portal access follows that JIM's status and consent, in every trajectory of the
youth, open or closed (security finding: a JIM kept access after stopping).

The portal fixture: youth A (16) has an open trajectory with the aunt as accepted JIM and
consent complete; ``world.jim`` is her portal account, ``world.youth_user`` the youth's.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import make_user, signed_in
from tests.monitoring.conftest import set_age
from yim import policy
from yim.accounts.models import Invitation, PortalLink, Role
from yim.audit.models import AuditEvent
from yim.monitoring.models import JimSharingScope
from yim.trajectories.models import (
    AgeBand,
    ConsentDecision,
    ConsentParty,
    JimEndReason,
    Meeting,
    MeetingKind,
    NetworkPerson,
    Relation,
    Response,
)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _plan_url(portal) -> str:  # type: ignore[no-untyped-def]
    return f"/portal/{portal.a.youth.pk}/file/plan/"


def _share_plan(portal) -> None:  # type: ignore[no-untyped-def]
    JimSharingScope.decide(portal.a.youth, {"plan": True}, by=portal.world.youth_user)


def test_a_jim_who_stopped_after_consent_was_refused_cannot_read_the_plan(portal):
    """The finding, step by step: 403 after the refusal, and no 200 after 'JIM stopped'."""
    _share_plan(portal)
    jim = signed_in(portal.world.jim)
    assert jim.get(_plan_url(portal)).status_code == 200
    portal.a.jim.record_consent(
        party=ConsentParty.YOUTH,
        decision=ConsentDecision.REFUSED,
        given_at=timezone.now(),
    )
    assert jim.get(_plan_url(portal)).status_code == 403
    portal.a.jim.end_jim(on=timezone.localdate(), reason=JimEndReason.CONSENT_REFUSED)
    assert jim.get(_plan_url(portal)).status_code == 404
    assert jim.get(f"/portal/{portal.a.youth.pk}/").status_code == 404
    assert not policy.youth_queryset(portal.world.jim).exists()


def test_a_jim_who_stops_normally_loses_the_plan_on_the_next_request(portal):
    _share_plan(portal)
    jim = signed_in(portal.world.jim)
    assert jim.get(_plan_url(portal)).status_code == 200
    portal.a.jim.end_jim(on=timezone.localdate(), reason=JimEndReason.JIM_STOPPED)
    assert jim.get(_plan_url(portal)).status_code == 404


def test_a_closed_trajectory_whose_jim_relationship_ended_closes_the_portal(portal):
    _share_plan(portal)
    jim = signed_in(portal.world.jim)
    assert jim.get(_plan_url(portal)).status_code == 200
    portal.a.trajectory.close(reason="goals_achieved", jim_relationship="ended")
    assert jim.get(_plan_url(portal)).status_code == 404


def test_a_jim_whose_relationship_continues_after_closure_keeps_what_the_youth_shared(portal):
    _share_plan(portal)
    portal.a.trajectory.close(reason="goals_achieved", jim_relationship="continuing")
    assert signed_in(portal.world.jim).get(_plan_url(portal)).status_code == 200


def test_a_new_jim_does_not_reopen_the_portal_of_the_jim_who_stopped(portal):
    """The stopped aunt's account stays closed while the youth's new JIM is active."""
    _share_plan(portal)
    world = portal.world
    portal.a.jim.end_jim(on=timezone.localdate(), reason=JimEndReason.JIM_STOPPED)
    coach = NetworkPerson.objects.create(
        youth=portal.a.youth,
        display_name="Coach Bas",
        relation=Relation.COACH,
        age_band=AgeBand.AGE_25_39,
    )
    today = timezone.localdate()
    candidate = portal.a.trajectory.start_round(on=today).add_candidate(coach, named_on=today)
    candidate.record_response(Response.ACCEPTED, today, asked_on=today)
    assert signed_in(world.jim).get(_plan_url(portal)).status_code == 404

    new_jim = make_user("jim_bas", Role.JIM, world.org)
    PortalLink.objects.create(user=new_jim, youth=portal.a.youth, relation=Role.JIM, person=coach)
    assert signed_in(new_jim).get(_plan_url(portal)).status_code == 200


def test_a_jim_link_without_a_person_opens_nothing(portal):
    PortalLink.objects.filter(user=portal.world.jim).update(person=None)
    _share_plan(portal)
    jim = signed_in(portal.world.jim)
    assert jim.get(f"/portal/{portal.a.youth.pk}/").status_code == 404
    assert jim.get(_plan_url(portal)).status_code == 404


def test_a_jim_with_refused_consent_sees_no_meetings_and_no_questionnaires_at_home(portal):
    """Finding 6: the home listed recent meetings (kind and date) whatever was shared."""
    set_age(portal.a.youth, 16)
    Meeting.objects.create(
        trajectory=portal.a.trajectory,
        kind=MeetingKind.OTHER,
        held_on=timezone.localdate() - dt.timedelta(days=2),
    )
    portal.a.jim.record_consent(
        party=ConsentParty.YOUTH, decision=ConsentDecision.REFUSED, given_at=timezone.now()
    )
    home = signed_in(portal.world.jim).get(f"/portal/{portal.a.youth.pk}/", **EN)
    assert home.status_code == 200
    assert home.context["consent_refused"] is True
    assert home.context["can_fill_in"] is False
    assert "feedback_meetings" not in home.context
    assert home.context["scopes"] == []


def test_a_jim_and_a_parent_are_offered_only_meetings_they_attended(portal):
    attended = Meeting.objects.create(
        trajectory=portal.a.trajectory,
        kind=MeetingKind.OTHER,
        held_on=timezone.localdate() - dt.timedelta(days=3),
    )
    attended.attendees.create(role="jim", name="Aunt")
    attended.attendees.create(role="parent", name="Petra")
    not_there = Meeting.objects.create(
        trajectory=portal.a.trajectory,
        kind=MeetingKind.OTHER,
        held_on=timezone.localdate() - dt.timedelta(days=1),
    )
    not_there.attendees.create(role="jim", name="Aunt", present=False)
    for persona in ("jim", "parent"):
        home = signed_in(portal.world.persona(persona)).get(f"/portal/{portal.a.youth.pk}/")
        offered = [row["meeting"] for row in home.context.get("feedback_meetings", [])]
        assert not_there not in offered, persona
        assert portal.a.evaluation not in offered, persona
        if home.context["can_fill_in"]:
            assert attended in offered, persona


def test_a_professional_ends_a_portal_link_and_the_account_loses_the_file(portal, client_for):
    _share_plan(portal)
    world = portal.world
    link = PortalLink.objects.get(user=world.jim, youth=portal.a.youth)
    jim = signed_in(world.jim)
    assert jim.get(_plan_url(portal)).status_code == 200

    page = client_for("professional").get(f"/youth/{portal.a.youth.pk}/", **EN)
    assert f"/portal-accounts/{link.pk}/end/" in page.content.decode()
    response = client_for("professional").post(
        f"/trajectories/youth/{portal.a.youth.pk}/portal-accounts/{link.pk}/end/"
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.active, link.ended_by) == (False, world.professional)
    assert link.ended_at is not None
    assert jim.get(_plan_url(portal)).status_code == 404
    assert AuditEvent.objects.filter(
        actor_id=world.professional.pk, youth_id=portal.a.youth.pk, detail__contains="ended"
    ).exists()


@pytest.mark.parametrize("persona", ["other_team_professional", "foreign_professional", "jim"])
def test_only_the_youths_own_team_can_end_a_portal_link(portal, client_for, persona):
    link = PortalLink.objects.get(user=portal.world.jim, youth=portal.a.youth)
    response = client_for(persona).post(
        f"/trajectories/youth/{portal.a.youth.pk}/portal-accounts/{link.pk}/end/"
    )
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.active


def test_a_link_of_another_youth_cannot_be_ended_through_this_youths_url(portal, client_for):
    other = PortalLink.objects.get(user=portal.jim_b)
    response = client_for("professional").post(
        f"/trajectories/youth/{portal.a.youth.pk}/portal-accounts/{other.pk}/end/"
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.active


def test_a_jim_is_invited_as_the_person_who_accepted(portal, client_for):
    professional = client_for("professional")
    url = f"/youth/{portal.a.youth.pk}/invite/"
    refused = professional.post(url, {"role": Role.JIM, "display_name": "Tante"}, **EN)
    assert refused.status_code == 400
    assert "Choose which JIM you invite." in refused.content.decode()
    created = professional.post(
        url, {"role": Role.JIM, "display_name": "Tante", "person": portal.a.person.pk}
    )
    assert created.status_code == 200
    invitation = Invitation.objects.get(youth=portal.a.youth, role=Role.JIM)
    assert invitation.person == portal.a.person


def test_a_jim_cannot_be_invited_before_a_candidate_accepted(world, client_for):
    response = client_for("professional").post(
        f"/youth/{world.youth_file.pk}/invite/",
        {"role": Role.JIM, "display_name": "Tante"},
        **EN,
    )
    assert response.status_code == 400
    assert "has no JIM yet" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_person_who_is_not_the_jim_cannot_be_chosen(portal, client_for):
    stranger = NetworkPerson.objects.create(
        youth=portal.a.youth,
        display_name="Buurman",
        relation=Relation.NEIGHBOUR,
        age_band=AgeBand.AGE_40_64,
    )
    response = client_for("professional").post(
        f"/youth/{portal.a.youth.pk}/invite/",
        {"role": Role.JIM, "display_name": "Buurman", "person": stranger.pk},
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()
