from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from yim.accounts.models import Invitation, PortalLink, Role, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "een-lang-en-uniek-wachtwoord-7"


def _accept(token: str, username: str = "nieuwe.jim"):
    return Client().post(
        f"/accounts/invitation/{token}/",
        {"username": username, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def test_professional_creates_an_invitation_link_shown_once(world, client_for):
    client = client_for("professional")
    response = client.post(
        f"/youth/{world.youth_file.pk}/invite/", {"role": "parent", "display_name": "Petra B."}
    )
    assert response.status_code == 200
    link = response.context["link"]
    assert link.startswith("https://yim.example.org/accounts/invitation/")
    invitation = Invitation.objects.get()
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in invitation.token_hash  # only the digest is stored


def test_accepting_an_invitation_creates_a_linked_portal_account(world):
    aunt = world.youth_file.network.create(
        display_name="Tante Els", relation="aunt_uncle", age_band="40_64"
    )
    invitation, token = Invitation.create_for(
        youth=world.youth_file,
        role=Role.JIM,
        display_name="Tante Els",
        created_by=world.professional,
        person=aunt,
    )
    response = _accept(token)
    assert response.status_code == 302
    user = User.objects.get(username="nieuwe.jim")
    assert user.role == Role.JIM
    assert user.check_password(NEW_PASSWORD)
    link = PortalLink.objects.get(user=user, youth=world.youth_file, relation="jim")
    assert link.person == aunt  # the JIM's access follows this person's status
    invitation.refresh_from_db()
    assert invitation.used_by == user


def test_an_invitation_works_only_once(world):
    _invitation, token = Invitation.create_for(
        youth=world.youth_file,
        role=Role.PARENT,
        display_name="Petra",
        created_by=world.professional,
    )
    assert _accept(token, "ouder1").status_code == 302
    response = _accept(token, "ouder2")
    assert response.status_code == 410
    assert "al gebruikt" in response.content.decode()
    assert not User.objects.filter(username="ouder2").exists()


def test_an_expired_invitation_says_so(world):
    invitation, token = Invitation.create_for(
        youth=world.youth_file,
        role=Role.YOUTH,
        display_name="Sam",
        created_by=world.professional,
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = Client().get(f"/accounts/invitation/{token}/")
    assert response.status_code == 410
    assert "verlopen" in response.content.decode()


@pytest.mark.parametrize("token", ["nonsense", "x" * 200, "%00", "yim_abc"])
def test_an_unknown_or_malformed_invitation_token_gets_a_friendly_404(world, token):
    response = Client().get(f"/accounts/invitation/{token}/")
    assert response.status_code == 404
    assert "niet geldig" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_a_weak_password_is_refused_with_a_message_on_the_field(world):
    _invitation, token = Invitation.create_for(
        youth=world.youth_file,
        role=Role.YOUTH,
        display_name="Sam",
        created_by=world.professional,
    )
    response = Client().post(
        f"/accounts/invitation/{token}/",
        {"username": "sam", "password1": "12345", "password2": "12345"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert Invitation.objects.get().used_at is None


def test_other_teams_cannot_invite_for_a_youth_they_do_not_serve(world, client_for):
    for persona in ["other_team_professional", "foreign_professional", "admin", "researcher"]:
        response = client_for(persona).post(
            f"/youth/{world.youth_file.pk}/invite/", {"role": "jim", "display_name": "X"}
        )
        assert response.status_code == 404, persona
    assert not Invitation.objects.exists()
