"""An organisation admin cannot get into youth files alone (security finding 3).

Before: the admin makes a professional account, uses its set-password link and opens the
team's files. Now an account an admin makes — or turns into a professional or team lead, or
moves to another team — opens no youth file until a team lead confirms it: a second person.
"""

from __future__ import annotations

import pytest

from tests.conftest import make_user, signed_in
from yim.accounts.models import Role, User
from yim.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _create(client_for, world, team, username: str = "m.dewit", role: str = "professional"):  # type: ignore[no-untyped-def]
    response = client_for("admin").post(
        "/users/new/",
        {
            "username": username,
            "first_name": "Marit",
            "last_name": "de Wit",
            "email": f"{username}@example.org",
            "role": role,
            "team": str(team.pk),
        },
    )
    assert response.status_code == 200
    return User.objects.get(username=username)


def test_an_account_the_admin_made_opens_no_youth_file_until_a_team_lead_confirms(
    world, client_for
):
    account = _create(client_for, world, world.team_a)
    assert account.case_access_pending
    newcomer = signed_in(account)
    assert newcomer.get(f"/youth/{world.youth_file.pk}/").status_code == 404
    assert newcomer.get("/youth/").status_code == 404
    home = newcomer.get("/home/", **EN)
    assert "You can open youth files once a team lead has confirmed" in home.content.decode()

    lead = client_for("team_lead")
    page = lead.get("/home/", **EN)
    assert [a.pk for a in page.context["awaiting_confirmation"]] == [account.pk]
    response = lead.post(f"/users/{account.pk}/confirm-case-access/")
    assert response.status_code == 302
    account.refresh_from_db()
    assert not account.case_access_pending
    assert account.case_access_confirmed_by == world.team_lead
    assert newcomer.get(f"/youth/{world.youth_file.pk}/").status_code == 200
    event = AuditEvent.objects.get(action="user.update", object_id=str(account.pk))
    assert event.actor_id == world.team_lead.pk
    assert "confirmed" in event.detail
    assert list(lead.get("/home/").context["awaiting_confirmation"]) == []


@pytest.mark.parametrize(
    "persona", ["admin", "professional", "other_team_professional", "foreign_professional"]
)
def test_nobody_but_a_team_lead_confirms(world, client_for, persona):
    account = _create(client_for, world, world.team_a)
    response = client_for(persona).post(f"/users/{account.pk}/confirm-case-access/")
    assert response.status_code == 404
    account.refresh_from_db()
    assert account.case_access_pending


def test_a_team_lead_of_another_team_with_its_own_lead_cannot_confirm(world, client_for):
    make_user("lead_b", Role.TEAM_LEAD, world.org, world.team_b)
    account = _create(client_for, world, world.team_b)
    response = client_for("team_lead").post(f"/users/{account.pk}/confirm-case-access/")
    assert response.status_code == 404
    account.refresh_from_db()
    assert account.case_access_pending


def test_a_team_without_a_lead_of_its_own_is_confirmed_by_a_lead_of_the_organisation(
    world, client_for
):
    account = _create(client_for, world, world.team_b)  # team B has no team lead
    response = client_for("team_lead").post(f"/users/{account.pk}/confirm-case-access/")
    assert response.status_code == 302
    account.refresh_from_db()
    assert not account.case_access_pending


def test_a_team_lead_of_another_organisation_never_sees_the_account(world, client_for):
    make_user("lead_x", Role.TEAM_LEAD, world.other_org, world.foreign_team)
    account = _create(client_for, world, world.team_b)
    lead_x = signed_in(User.objects.get(username="lead_x"))
    assert list(lead_x.get("/home/").context["awaiting_confirmation"]) == []
    assert lead_x.post(f"/users/{account.pk}/confirm-case-access/").status_code == 404


def test_a_new_team_lead_made_by_the_admin_cannot_confirm_others_before_being_confirmed(
    world, client_for
):
    new_lead = _create(client_for, world, world.team_a, "n.lead", role="team_lead")
    other = _create(client_for, world, world.team_a, "o.prof")
    assert signed_in(new_lead).post(f"/users/{other.pk}/confirm-case-access/").status_code == 404
    other.refresh_from_db()
    assert other.case_access_pending


def test_turning_a_researcher_into_a_professional_needs_a_confirmation_again(world, client_for):
    from yim.accounts.forms import account_fingerprint

    researcher = world.researcher
    response = client_for("admin").post(
        f"/users/{researcher.pk}/",
        {
            "first_name": researcher.first_name,
            "last_name": researcher.last_name,
            "email": researcher.email,
            "role": "professional",
            "team": str(world.team_a.pk),
            "seen": account_fingerprint(researcher),
        },
    )
    assert response.status_code == 302
    researcher.refresh_from_db()
    assert (researcher.role, researcher.case_access_pending) == ("professional", True)
    assert signed_in(researcher).get(f"/youth/{world.youth_file.pk}/").status_code == 404


def test_accounts_that_existed_before_keep_their_access(world, client_for):
    assert not world.professional.case_access_pending
    assert client_for("professional").get(f"/youth/{world.youth_file.pk}/").status_code == 200


def test_the_operator_confirms_an_organisations_first_team_lead_with_a_reason(
    world, client_for, capsys
):
    from yim.cli import main

    first_lead = _create(client_for, world, world.team_b, "eerste.lead", role="team_lead")
    assert main(["confirm-access", "eerste.lead", "--reason", " "]) == 1
    first_lead.refresh_from_db()
    assert first_lead.case_access_pending
    assert main(["confirm-access", "eerste.lead", "--reason", "first lead of team B"]) == 0
    first_lead.refresh_from_db()
    assert not first_lead.case_access_pending
    event = AuditEvent.objects.get(action="user.update", object_id=str(first_lead.pk))
    assert "first lead of team B" in event.detail
    assert event.organisation_id == world.org.pk
    assert main(["confirm-access", "nobody", "--reason", "x"]) == 1
    assert "no user named" in capsys.readouterr().err
