"""Placement decisions and the safety plan in the portals (issue 12, item 2).

The portal fixture: youth A (16) with ``world.youth_user``, ``world.jim`` (the accepted aunt,
consent complete) and ``world.parent``; youth B (team B) with ``youth_b`` and ``jim_b``. The
decisions and safety plans are read with the care plan's part of the file: the youth's sharing
for the JIM, the age rule for the parent.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from tests.conftest import signed_in
from tests.monitoring.conftest import set_age
from yim.accounts.models import PortalLink
from yim.audit.models import AuditEvent
from yim.monitoring.models import JimSharingScope
from yim.trajectories.models import (
    AgeBand,
    ConsentDecision,
    ConsentParty,
    JimEndReason,
    NetworkPerson,
    PlacementDecision,
    PlacementType,
    Relation,
    SafetyPlan,
)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def _emergency(file, professional, rationale: str = "Unsafe at home tonight."):  # type: ignore[no-untyped-def]
    decision = PlacementDecision.objects.create(
        trajectory=file.trajectory,
        placement_type=PlacementType.FOSTER_CARE,
        decided_on=_days_ago(2),
        rationale=rationale,
        youth_view="I want to stay with my aunt.",
        is_emergency=True,
    )
    decision.finalise(by=professional)
    return decision


def _safety_plan(file, measures: str = "Sleep at the aunt's house."):  # type: ignore[no-untyped-def]
    return SafetyPlan.objects.create(
        trajectory=file.trajectory,
        made_on=_days_ago(3),
        concerns="Violence at home.",
        measures=measures,
    )


def _share_plan(portal, shared: bool = True) -> None:  # type: ignore[no-untyped-def]
    JimSharingScope.decide(portal.a.youth, {"plan": shared}, by=portal.world.youth_user)


def _plan(client, youth):  # type: ignore[no-untyped-def]
    return client.get(f"/portal/{youth.pk}/file/plan/", **EN)


# --- what each of them sees -----------------------------------------------------------------


def test_the_youth_sees_the_emergency_placement_and_the_safety_plan(portal):
    _emergency(portal.a, portal.world.professional)
    _safety_plan(portal.a)
    youth = signed_in(portal.world.youth_user)
    page = _plan(youth, portal.a.youth)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Foster care" in text and "emergency placement" in text
    assert "Unsafe at home tonight." in text
    assert "Sleep at the aunt&#x27;s house." in text and "in force" in text
    assert "The JIM is still to be consulted about this emergency placement." in text
    home = youth.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    assert "Latest decision: Foster care" in home
    assert "A safety plan is in force." in home


def test_without_decisions_the_pages_say_so_and_a_draft_is_not_shown(portal):
    PlacementDecision.objects.create(
        trajectory=portal.a.trajectory,
        placement_type=PlacementType.RESIDENTIAL,
        decided_on=_days_ago(1),
        rationale="Draft rationale, still under discussion.",
        youth_view="-",
    )
    youth = signed_in(portal.world.youth_user)
    text = _plan(youth, portal.a.youth).content.decode()
    assert "There is no decision about a placement yet." in text
    assert "There is no safety plan." in text
    assert "Draft rationale" not in text
    home = youth.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    assert "There is no decision about a placement yet." in home


def test_another_youths_placement_never_shows_to_anyone_of_youth_a(portal):
    world = portal.world
    _emergency(portal.b, world.other_team_professional, rationale="Rationale of youth B.")
    _safety_plan(portal.b, measures="Measures of youth B.")
    JimSharingScope.decide(portal.b.youth, {"plan": True}, by=portal.youth_b)
    _share_plan(portal)
    set_age(portal.a.youth, 14)  # the parent sees the care plan's part too
    for persona in ("youth_user", "jim", "parent"):
        client = signed_in(world.persona(persona))
        for url in (f"/portal/{portal.a.youth.pk}/file/plan/", f"/portal/{portal.a.youth.pk}/"):
            response = client.get(url, **EN)
            assert response.status_code == 200, (persona, url)
            text = response.content.decode()
            assert "youth B" not in text and "Foster care" not in text, (persona, url)
        assert client.get(f"/portal/{portal.b.youth.pk}/file/plan/").status_code == 404
    # Youth B's own people do see it.
    assert (
        "Rationale of youth B." in _plan(signed_in(portal.youth_b), portal.b.youth).content.decode()
    )


def test_the_jim_sees_placements_only_while_the_youth_shares_the_care_plan(portal):
    _emergency(portal.a, portal.world.professional)
    jim = signed_in(portal.world.jim)
    refused = _plan(jim, portal.a.youth)
    assert refused.status_code == 403
    assert "Unsafe at home tonight." not in refused.content.decode()
    assert (
        "Placement and safety"
        not in jim.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    )
    _share_plan(portal)
    assert "Unsafe at home tonight." in _plan(jim, portal.a.youth).content.decode()
    assert "Placement and safety" in jim.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    _share_plan(portal, shared=False)
    assert _plan(jim, portal.a.youth).status_code == 403


def test_the_jim_sees_no_placement_once_consent_is_refused_or_she_stopped(portal):
    _emergency(portal.a, portal.world.professional)
    _share_plan(portal)
    jim = signed_in(portal.world.jim)
    assert _plan(jim, portal.a.youth).status_code == 200
    portal.a.jim.record_consent(
        party=ConsentParty.YOUTH, decision=ConsentDecision.REFUSED, given_at=timezone.now()
    )
    assert _plan(jim, portal.a.youth).status_code == 403
    home = jim.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    assert "Foster care" not in home
    portal.a.jim.end_jim(on=timezone.localdate(), reason=JimEndReason.CONSENT_REFUSED)
    assert _plan(jim, portal.a.youth).status_code == 404


def test_the_viewing_of_placements_is_in_the_youths_access_log(portal):
    _emergency(portal.a, portal.world.professional)
    _share_plan(portal)
    _plan(signed_in(portal.world.jim), portal.a.youth)
    assert AuditEvent.objects.filter(
        actor_id=portal.world.jim.pk, youth_id=portal.a.youth.pk, detail="portal plan"
    ).exists()


# --- the parent is told -------------------------------------------------------------------


def test_a_parent_is_told_on_the_home_page_when_the_child_is_placed(portal):
    """At 16 the parent sees no part of the file, but is told of the placement."""
    _emergency(portal.a, portal.world.professional)
    parent = signed_in(portal.world.parent)
    assert _plan(parent, portal.a.youth).status_code == 403
    home = parent.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    assert "Your child has been placed" in home
    day = date_format(_days_ago(2), "DATE_FORMAT")
    assert f"On {day} it was decided: Foster care." in home
    assert "It was an emergency placement." in home
    assert "Unsafe at home tonight." not in home  # the kind and the date, not the reasons


def test_a_parent_is_not_told_before_a_placement_or_of_a_decision_to_stay_home(portal):
    parent = signed_in(portal.world.parent)
    home = parent.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    assert "Your child has been placed" not in home
    decision = PlacementDecision.objects.create(
        trajectory=portal.a.trajectory,
        placement_type=PlacementType.NONE,
        decided_on=_days_ago(1),
        rationale="Stays at home with support.",
        youth_view="Good.",
    )
    decision.finalise(by=portal.world.professional)
    home = parent.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    assert "Your child has been placed" not in home


def test_a_parent_without_parental_authority_is_not_told(portal):
    _emergency(portal.a, portal.world.professional)
    mother = NetworkPerson.objects.create(
        youth=portal.a.youth, display_name="Mother", relation=Relation.PARENT,
        age_band=AgeBand.AGE_40_64, has_parental_authority=True,
    )  # fmt: skip
    father = NetworkPerson.objects.create(
        youth=portal.a.youth, display_name="Father", relation=Relation.PARENT,
        age_band=AgeBand.AGE_40_64,
    )  # fmt: skip
    link = PortalLink.objects.get(user=portal.world.parent, youth=portal.a.youth)
    link.person = father
    link.save()
    parent = signed_in(portal.world.parent)
    assert (
        "Your child has been placed"
        not in parent.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    )
    link.person = mother
    link.save()
    assert (
        "Your child has been placed"
        in parent.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    )


def test_parents_of_an_adult_are_no_longer_told(portal):
    _emergency(portal.a, portal.world.professional)
    set_age(portal.a.youth, 19)
    home = signed_in(portal.world.parent).get(f"/portal/{portal.a.youth.pk}/", **EN)
    assert "Your child has been placed" not in home.content.decode()


# --- the e-mail to a parent with parental authority ------------------------------------------


def _parent_mails(mailoutbox, parent):  # type: ignore[no-untyped-def]
    return [m for m in mailoutbox if parent.email in m.to]


def test_a_parent_with_authority_is_mailed_a_link_once_the_placement_is_final(
    portal, mailoutbox, django_capture_on_commit_callbacks
):
    parent = portal.world.parent
    parent.email = "ouder@example.org"
    parent.save()
    with django_capture_on_commit_callbacks(execute=True):
        _emergency(portal.a, portal.world.professional)
    mails = _parent_mails(mailoutbox, parent)
    assert len(mails) == 1
    body = mails[0].subject + mails[0].body
    assert f"/portal/{portal.a.youth.pk}/" in body
    for secret in (portal.a.youth.display_name, "Foster", "Unsafe at home", "pleeg"):
        assert secret.casefold() not in body.casefold()  # a link, never the decision


def test_no_mail_for_a_decision_to_stay_home_a_parent_without_authority_or_without_address(
    portal, mailoutbox, django_capture_on_commit_callbacks
):
    parent = portal.world.parent
    with django_capture_on_commit_callbacks(execute=True):
        _emergency(portal.a, portal.world.professional)  # no e-mail address: nothing to send
    parent.email = "ouder@example.org"
    parent.save()
    stay = PlacementDecision.objects.create(
        trajectory=portal.a.trajectory, placement_type=PlacementType.NONE,
        decided_on=_days_ago(1), rationale="Stays at home.", youth_view="Good.",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        stay.finalise(by=portal.world.professional)
    father = NetworkPerson.objects.create(
        youth=portal.a.youth, display_name="Father", relation=Relation.PARENT,
        age_band=AgeBand.AGE_40_64,
    )  # fmt: skip
    NetworkPerson.objects.create(
        youth=portal.a.youth, display_name="Mother", relation=Relation.PARENT,
        age_band=AgeBand.AGE_40_64, has_parental_authority=True,
    )  # fmt: skip
    link = PortalLink.objects.get(user=parent, youth=portal.a.youth)
    link.person = father
    link.save()
    with django_capture_on_commit_callbacks(execute=True):
        _emergency(portal.a, portal.world.professional)
    assert _parent_mails(mailoutbox, parent) == []
