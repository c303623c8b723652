"""Portal isolation: a JIM of youth A never reaches youth B — by URL guessing, through the API
or with a shared link — and a youth never sees another youth. Inside the file, a JIM sees
only what the youth shared, and a withdrawal counts on the next request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import signed_in
from tests.monitoring.conftest import set_age
from yim.accounts.models import ApiToken, Invitation, PortalLink, Role
from yim.audit.models import AuditEvent
from yim.monitoring import instruments
from yim.monitoring.models import Assessment, JimSharingScope, Wave
from yim.trajectories.models import ConsentDecision, ConsentParty

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _youth_questionnaire(file, user):  # type: ignore[no-untyped-def]
    assessment, _ = Assessment.start(
        youth=file.youth,
        trajectory=file.trajectory,
        instrument=instruments.get("relationship_quality"),
        respondent=user,
        wave=Wave.current(file.trajectory),
    )
    return assessment


def _b_urls(portal):  # type: ignore[no-untyped-def]
    b = portal.b.youth.pk
    q = _youth_questionnaire(portal.b, portal.youth_b)
    jim_q = _youth_questionnaire(portal.b, portal.jim_b)
    return [
        f"/portal/{b}/",
        f"/portal/{b}/sharing/",
        f"/portal/{b}/consent/",
        *(f"/portal/{b}/file/{scope}/" for scope in ("meetings", "plan", "assessments", "network")),
        f"/monitoring/questionnaires/{q.pk}/",
        f"/monitoring/questionnaires/{q.pk}/fill/?page=1",
        f"/monitoring/questionnaires/{q.pk}/done/",
        f"/monitoring/questionnaires/{jim_q.pk}/fill/?page=1",
        f"/monitoring/assessments/{q.pk}/",
        f"/monitoring/youth/{b}/",
        f"/youth/{b}/",
    ]


@pytest.mark.parametrize("persona", ["jim", "youth_user", "parent"])
def test_portal_users_of_youth_a_get_not_found_for_every_url_of_youth_b(portal, persona):
    # Youth B shares everything with *their own* JIM: still nothing for A's people.
    JimSharingScope.decide(
        portal.b.youth, dict.fromkeys(("meetings", "plan", "assessments", "network"), True),
        by=portal.youth_b,
    )  # fmt: skip
    client = signed_in(portal.world.persona(persona))
    for url in _b_urls(portal):
        assert client.get(url).status_code == 404, url
    posted = client.post(
        f"/portal/{portal.b.youth.pk}/questionnaires/start/", {"instrument": "relationship_quality"}
    )
    assert posted.status_code == 404
    assert not Assessment.objects.filter(
        youth=portal.b.youth, respondent__username=persona
    ).exists()


def test_a_shared_questionnaire_link_of_another_respondent_is_not_found_and_not_writable(portal):
    """Youth A's own questionnaire link, sent to A's JIM, opens nothing for the JIM."""
    mine = _youth_questionnaire(portal.a, portal.world.youth_user)
    jim = signed_in(portal.world.jim)
    assert jim.get(f"/monitoring/questionnaires/{mine.pk}/fill/?page=1").status_code == 404
    response = jim.post(
        f"/monitoring/questionnaires/{mine.pk}/fill/?page=1",
        {"version": mine.version, "item_close": 1, "action": "next"},
    )
    assert response.status_code == 404
    assert mine.answers.count() == 0


def test_the_api_is_closed_to_portal_users_and_scoped_for_staff(portal):
    _youth_questionnaire(portal.b, portal.youth_b)
    _, jim_token = ApiToken.issue(portal.world.jim, "phone")
    url_b = f"/api/v1/youth/{portal.b.youth.pk}/assessments"
    as_jim = Client().get(url_b, HTTP_AUTHORIZATION=f"Bearer {jim_token}")
    assert as_jim.status_code == 403
    _, prof_token = ApiToken.issue(portal.world.professional, "laptop")
    as_prof = Client().get(url_b, HTTP_AUTHORIZATION=f"Bearer {prof_token}")
    assert as_prof.status_code == 404
    own = Client().get(
        f"/api/v1/youth/{portal.a.youth.pk}/assessments", HTTP_AUTHORIZATION=f"Bearer {prof_token}"
    )
    assert own.status_code == 200
    other_q = Assessment.objects.get(youth=portal.b.youth)
    detail = Client().get(
        f"/api/v1/assessments/{other_q.pk}", HTTP_AUTHORIZATION=f"Bearer {prof_token}"
    )
    assert detail.status_code == 404


def test_a_jim_sees_only_what_the_youth_shared_and_a_withdrawal_counts_on_the_next_request(
    portal,
):
    world = portal.world
    url = f"/portal/{portal.a.youth.pk}/file/meetings/"
    jim = signed_in(world.jim)
    refused = jim.get(url, **EN)
    assert refused.status_code == 403
    assert "has not shared this part of the file with you" in refused.content.decode()
    assert "Decisions for" not in refused.content.decode()

    youth = signed_in(world.youth_user)
    response = youth.post(f"/portal/{portal.a.youth.pk}/sharing/", {"meetings": "on"})
    assert response.status_code == 302
    shown = jim.get(url, **EN)
    assert shown.status_code == 200
    assert f"Decisions for {portal.a.youth.display_name}" in shown.content.decode()
    assert jim.get(f"/portal/{portal.a.youth.pk}/file/network/").status_code == 403

    youth.post(f"/portal/{portal.a.youth.pk}/sharing/", {})  # withdraw everything
    assert jim.get(url).status_code == 403
    history = list(
        JimSharingScope.objects.filter(youth=portal.a.youth, scope="meetings").values_list(
            "shared", flat=True
        )
    )
    assert history == [False, True]  # newest first: the withdrawal, then the share


def test_the_youth_sees_the_jims_visit_under_who_viewed_my_file(portal):
    world = portal.world
    JimSharingScope.decide(portal.a.youth, {"plan": True}, by=world.youth_user)
    signed_in(world.jim).get(f"/portal/{portal.a.youth.pk}/file/plan/")
    log = signed_in(world.youth_user).get("/my-file/views/")
    assert log.status_code == 200
    names = [e.actor_name for e in log.context["page"].object_list]
    assert "jim" in names
    assert AuditEvent.objects.filter(actor_id=world.jim.pk, detail="portal plan").exists()


def test_a_refused_consent_hides_everything_from_the_jim_on_the_next_request(portal):
    world = portal.world
    set_age(portal.a.youth, 14)  # now the parents consent too
    JimSharingScope.decide(portal.a.youth, {"meetings": True}, by=world.youth_user)
    jim = signed_in(world.jim)
    url = f"/portal/{portal.a.youth.pk}/file/meetings/"
    assert jim.get(url).status_code == 200
    parent = signed_in(world.parent)
    response = parent.post(
        f"/portal/{portal.a.youth.pk}/consent/", {"decision": ConsentDecision.REFUSED}
    )
    assert response.status_code == 302
    consent = portal.a.jim.consents.order_by("-pk").first()
    assert (consent.party, consent.recorded_by) == (ConsentParty.PARENT, world.parent)
    assert jim.get(url).status_code == 403
    parent.post(f"/portal/{portal.a.youth.pk}/consent/", {"decision": ConsentDecision.YES})
    assert jim.get(url).status_code == 200


@pytest.mark.parametrize(
    ("age", "visible"),
    [(10, {"meetings", "plan", "assessments", "network"}), (14, {"meetings", "plan"}), (16, set())],
)
def test_a_parent_sees_what_the_age_rule_allows(portal, age, visible):
    set_age(portal.a.youth, age)
    parent = signed_in(portal.world.parent)
    for scope in ("meetings", "plan", "assessments", "network"):
        status = parent.get(f"/portal/{portal.a.youth.pk}/file/{scope}/").status_code
        assert status == (200 if scope in visible else 403), scope
    consent = parent.get(f"/portal/{portal.a.youth.pk}/consent/").status_code
    assert consent == (200 if age < 16 else 404)


def test_a_youth_under_12_cannot_decide_what_the_jim_sees(portal):
    set_age(portal.a.youth, 11)
    youth = signed_in(portal.world.youth_user)
    assert youth.get(f"/portal/{portal.a.youth.pk}/sharing/").status_code == 404
    home = youth.get(f"/portal/{portal.a.youth.pk}/", **EN)
    assert home.status_code == 200
    assert home.context["under_age"] is True


def test_a_deactivated_portal_link_closes_the_portal_on_the_next_request(portal):
    jim = signed_in(portal.world.jim)
    assert jim.get(f"/portal/{portal.a.youth.pk}/").status_code == 200
    PortalLink.objects.filter(user=portal.world.jim).update(active=False)
    assert jim.get(f"/portal/{portal.a.youth.pk}/").status_code == 404


def test_an_expired_invitation_for_youth_b_gives_no_way_in(portal):
    invitation, token = Invitation.create_for(
        youth=portal.b.youth, role=Role.JIM, display_name="X", created_by=portal.world.professional
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = Client().get(f"/accounts/invitation/{token}/", **EN)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert PortalLink.objects.filter(youth=portal.b.youth).count() == 2  # youth_b and jim_b only
