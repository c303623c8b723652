"""Teams: the organisation admin lists, creates and renames them."""

import pytest

from tests.conftest import make_user
from yim.accounts.models import Role, Team
from yim.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_team_list_counts_active_members(world, client_for):
    extra = make_user("prof_a2", Role.PROFESSIONAL, world.org, world.team_a)
    extra.is_active = False
    extra.save()
    page = client_for("admin").get("/users/teams/").context["page"]
    counts = {t.name: t.n_members for t in page}
    assert counts == {"Team A": 2, "Team B": 1}  # prof + lead; prof_b; not the deactivated one


def test_an_admin_creates_a_team_and_the_creation_is_audited(world, client_for):
    response = client_for("admin").post("/users/teams/", {"name": "  Team   Noord "})
    assert response.status_code == 302
    team = Team.objects.get(name="Team Noord")
    assert team.organisation == world.org
    event = AuditEvent.objects.get(action="team.create")
    assert (event.object_type, event.object_id, event.detail) == ("team", str(team.pk), team.name)
    assert event.organisation_id == world.org.pk and event.youth_id is None


@pytest.mark.parametrize("name", ["Team A", "team a", "TEAM  A"])
def test_a_duplicate_team_name_gets_a_clear_message(world, client_for, name):
    response = client_for("admin").post("/users/teams/", {"name": name}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    errors = response.context["form"].errors["name"]
    assert "already has a team called" in str(errors)
    assert Team.objects.filter(organisation=world.org).count() == 2
    assert not AuditEvent.objects.filter(action="team.create").exists()


def test_the_same_team_name_is_fine_in_another_organisation(world, client_for):
    response = client_for("admin").post("/users/teams/", {"name": "Team X"})
    assert response.status_code == 302
    assert Team.objects.filter(name="Team X").count() == 2


def test_an_empty_team_name_is_refused(world, client_for):
    response = client_for("admin").post("/users/teams/", {"name": "   "})
    assert "name" in response.context["form"].errors
    assert Team.objects.filter(organisation=world.org).count() == 2


def test_an_admin_renames_a_team_and_the_rename_is_audited(world, client_for):
    response = client_for("admin").post(f"/users/teams/{world.team_a.pk}/", {"name": "Team Zuid"})
    assert response.status_code == 302
    world.team_a.refresh_from_db()
    assert world.team_a.name == "Team Zuid"
    event = AuditEvent.objects.get(action="team.rename")
    assert event.detail == "Team A -> Team Zuid"


def test_renaming_to_another_teams_name_is_refused(world, client_for):
    response = client_for("admin").post(
        f"/users/teams/{world.team_a.pk}/", {"name": "team b"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "already has a team called" in str(response.context["form"].errors["name"])
    world.team_a.refresh_from_db()
    assert world.team_a.name == "Team A"


def test_a_team_may_keep_its_own_name_in_other_letters(world, client_for):
    response = client_for("admin").post(f"/users/teams/{world.team_a.pk}/", {"name": "TEAM A"})
    assert response.status_code == 302
    world.team_a.refresh_from_db()
    assert world.team_a.name == "TEAM A"


def test_saving_the_same_name_writes_no_audit_row(world, client_for):
    client_for("admin").post(f"/users/teams/{world.team_a.pk}/", {"name": "Team A"})
    assert not AuditEvent.objects.filter(action="team.rename").exists()


def test_the_team_list_searches_and_pages(world, client_for):
    for i in range(30):
        Team.objects.create(organisation=world.org, name=f"Wijkteam {i:02d}")
    client = client_for("admin")
    assert client.get("/users/teams/").context["page"].paginator.num_pages == 2
    found = client.get("/users/teams/", {"q": "wijkteam 1"}).context["page"]
    assert [t.name for t in found] == [f"Wijkteam {i}" for i in range(10, 20)]


def test_the_audit_search_finds_team_changes_by_action_and_names_them(world, client_for):
    client = client_for("admin")
    client.post("/users/teams/", {"name": "Team Oost"})
    client.post(f"/users/teams/{world.team_a.pk}/", {"name": "Team Zuid"})
    response = client.get("/audit/", {"action": "team.create"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert [e.detail for e in response.context["page"].object_list] == ["Team Oost"]
    assert "created a team" in response.content.decode()
