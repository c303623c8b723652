"""Correcting an invitation: withdraw an unused one; a refused form keeps what was typed."""

from __future__ import annotations

import pytest
from django.test import Client

from yim.accounts.models import Invitation, Role
from yim.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NEW_PASSWORD = "een-lang-en-uniek-wachtwoord-7"


def _invite(world, **fields):  # type: ignore[no-untyped-def]
    return Invitation.create_for(
        youth=world.youth_file,
        role=fields.pop("role", Role.JIM),
        display_name=fields.pop("display_name", "Tante Els"),
        created_by=world.professional,
        **fields,
    )


def _accept(token: str):  # type: ignore[no-untyped-def]
    return Client().post(
        f"/accounts/invitation/{token}/",
        {"username": "nieuwe.jim", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        **EN,
    )


def test_a_withdrawn_invitation_stops_working_at_once(world, client_for):
    invitation, token = _invite(world)
    assert Client().get(f"/accounts/invitation/{token}/").status_code == 200
    response = client_for("professional").post(
        f"/youth/{world.youth_file.pk}/invite/", {"withdraw": invitation.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/youth/{world.youth_file.pk}/#portal-access"
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is not None and invitation.used_at is None

    page = Client().get(f"/accounts/invitation/{token}/", **EN)
    assert page.status_code == 410
    assert "This invitation link has been withdrawn." in page.content.decode()
    refused = _accept(token)
    assert refused.status_code == 410
    assert not invitation.youth.portal_links.filter(user__username="nieuwe.jim").exists()

    event = AuditEvent.objects.get(action="update", object_type="invitation")
    assert event.object_id == str(invitation.pk)
    assert event.youth_id == world.youth_file.pk
    assert event.actor_id == world.professional.pk
    assert "withdrawn" in event.detail


def test_the_youth_page_says_withdrawn_and_offers_no_second_withdrawal(world, client_for):
    invitation, _token = _invite(world)
    client = client_for("professional")
    page = client.get(f"/youth/{world.youth_file.pk}/", **EN).content.decode()
    assert f'name="withdraw" value="{invitation.pk}"' in page
    client.post(f"/youth/{world.youth_file.pk}/invite/", {"withdraw": invitation.pk})
    page = client.get(f"/youth/{world.youth_file.pk}/", **EN).content.decode()
    assert "withdrawn" in page
    assert f'name="withdraw" value="{invitation.pk}"' not in page


def test_a_used_invitation_is_not_withdrawn(world, client_for):
    invitation, token = _invite(world)
    assert _accept(token).status_code == 302
    response = client_for("professional").post(
        f"/youth/{world.youth_file.pk}/invite/", {"withdraw": invitation.pk}, follow=True, **EN
    )
    assert "This invitation was already used or withdrawn; nothing was changed." in [
        str(m) for m in response.context["messages"]
    ]
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is None
    assert not AuditEvent.objects.filter(action="update", object_type="invitation").exists()


@pytest.mark.parametrize(
    "persona",
    [
        "other_team_professional",
        "foreign_professional",
        "admin",
        "researcher",
        "youth_user",
        "jim",
        "parent",
    ],
)
def test_only_the_youths_team_withdraws_an_invitation(world, client_for, persona):
    invitation, _token = _invite(world)
    response = client_for(persona).post(
        f"/youth/{world.youth_file.pk}/invite/", {"withdraw": invitation.pk}
    )
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is None


def test_an_invitation_of_another_youth_is_not_found_through_this_youth(world, client_for):
    other = Invitation.create_for(
        youth=world.other_youth_file,
        role=Role.PARENT,
        display_name="Moeder",
        created_by=world.other_team_professional,
    )[0]
    for value in (other.pk, "not-a-number"):
        response = client_for("professional").post(
            f"/youth/{world.youth_file.pk}/invite/", {"withdraw": value}
        )
        assert response.status_code == 404
    other.refresh_from_db()
    assert other.withdrawn_at is None


def test_a_refused_invitation_form_keeps_what_was_typed(world, client_for):
    response = client_for("professional").post(
        f"/youth/{world.youth_file.pk}/invite/",
        {"role": "parent", "display_name": "Petra de Vries", "email": "not an address"},
        **EN,
    )
    assert response.status_code == 400
    form = response.context["invitation_form"]
    assert form.errors["email"] == ["Enter a valid email address."]
    page = response.content.decode()
    assert 'value="Petra de Vries"' in page
    assert 'value="not an address"' in page
    assert '<option value="parent" selected>' in page
    assert not Invitation.objects.exists()
    # The page shows the youth's file again, so it is audited as a view.
    assert AuditEvent.objects.filter(
        action="view", youth_id=world.youth_file.pk, detail="invitation refused, shown again"
    ).exists()


def test_the_invitation_link_page_is_never_cached(world, client_for):
    response = client_for("professional").post(
        f"/youth/{world.youth_file.pk}/invite/", {"role": "parent", "display_name": "Petra B."}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_an_invitation_withdrawn_while_its_form_was_filled_in_creates_no_account(
    world, monkeypatch
):
    from yim.accounts.models import User

    invitation, token = _invite(world)
    as_read_before = Invitation.objects.get(pk=invitation.pk)
    assert invitation.withdraw()
    # The form's first lookup happened before the withdrawal; only the locked re-read sees it.
    monkeypatch.setattr(Invitation, "lookup", classmethod(lambda cls, raw: as_read_before))
    refused = _accept(token)
    assert refused.status_code == 410
    assert "withdrawn" in refused.content.decode()
    assert not User.objects.filter(username="nieuwe.jim").exists()
