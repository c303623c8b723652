"""Who reaches the organisation admin's pages: admins of the organisation, nobody else."""

import re

import pytest
from django.test import Client

from tests.conftest import ALL_PERSONAS, make_user, signed_in
from yim.accounts.models import Role, Team, User
from yim.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

DENIED = [p for p in ALL_PERSONAS if p != "admin"]


def _pages(world) -> list[str]:
    return [
        "/users/",
        "/users/new/",
        f"/users/{world.professional.pk}/",
        "/users/teams/",
        f"/users/teams/{world.team_a.pk}/",
    ]


def _posts(world) -> list[tuple[str, dict[str, str]]]:
    target = world.professional.pk
    return [
        ("/users/new/", _new_account(world)),
        (f"/users/{target}/", {"first_name": "X", "email": "x@example.org", "role": "researcher"}),
        (f"/users/{target}/deactivate/", {}),
        (f"/users/{target}/reactivate/", {}),
        (f"/users/{target}/password-link/", {}),
        (f"/users/{target}/reset-2fa/", {"reason": "phone lost, identity checked"}),
        ("/users/teams/", {"name": "Team Z"}),
        (f"/users/teams/{world.team_a.pk}/", {"name": "Team Renamed"}),
    ]


def _new_account(world) -> dict[str, str]:
    return {
        "username": "nieuw",
        "first_name": "Nieuwe",
        "email": "nieuw@example.org",
        "role": "professional",
        "team": str(world.team_a.pk),
    }


def test_the_admin_opens_every_page(world, client_for):
    client = client_for("admin")
    for url in _pages(world):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", DENIED)
def test_every_other_persona_gets_404_on_every_page(world, client_for, persona):
    client = client_for(persona)
    for url in _pages(world):
        assert client.get(url).status_code == 404, f"{persona} on {url}"


@pytest.mark.parametrize("persona", DENIED)
def test_every_other_persona_changes_nothing(world, client_for, persona):
    client = client_for(persona)
    before = AuditEvent.objects.count()
    for url, data in _posts(world):
        assert client.post(url, data).status_code == 404, f"{persona} posting {url}"
    world.professional.refresh_from_db()
    world.team_a.refresh_from_db()
    assert world.professional.is_active and world.professional.role == Role.PROFESSIONAL
    assert world.team_a.name == "Team A"
    assert not User.objects.filter(username="nieuw").exists()
    assert not Team.objects.filter(name="Team Z").exists()
    assert AuditEvent.objects.count() == before


def test_anonymous_visitors_are_sent_to_sign_in(world):
    for url in _pages(world):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_an_admin_never_sees_or_changes_users_or_teams_of_another_organisation(world, client_for):
    client = client_for("admin")
    foreign_user, foreign_team = world.foreign_professional, world.foreign_team
    assert client.get(f"/users/{foreign_user.pk}/").status_code == 404
    assert client.get(f"/users/teams/{foreign_team.pk}/").status_code == 404
    for suffix, data in [
        ("", {"first_name": "X", "email": "x@example.org", "role": "researcher"}),
        ("deactivate/", {}),
        ("password-link/", {}),
        ("reset-2fa/", {"reason": "phone lost, identity checked"}),
    ]:
        assert client.post(f"/users/{foreign_user.pk}/{suffix}", data).status_code == 404
    assert client.post(f"/users/teams/{foreign_team.pk}/", {"name": "Mine"}).status_code == 404
    foreign_user.refresh_from_db()
    foreign_team.refresh_from_db()
    assert foreign_user.is_active and foreign_user.role == Role.PROFESSIONAL
    assert foreign_team.name == "Team X"


def test_a_missing_account_looks_exactly_like_a_foreign_one(world, client_for):
    client = client_for("admin")
    foreign = client.get(f"/users/{world.foreign_professional.pk}/")
    missing = client.get("/users/999999/")
    assert foreign.status_code == missing.status_code == 404

    def main_content(html: bytes) -> str:
        return re.search(r"<main.*?</main>", html.decode(), re.S).group(0)

    assert main_content(foreign.content) == main_content(missing.content)


def test_the_lists_show_only_the_admins_own_organisation(world, client_for):
    foreign_admin = make_user("admin_x", Role.ORG_ADMIN, world.other_org)
    response = client_for("admin").get("/users/")
    usernames = {u.username for u in response.context["page"].object_list}
    assert "prof" in usernames and "youth" in usernames
    assert {"prof_x", "admin_x"}.isdisjoint(usernames)
    teams = {t.name for t in client_for("admin").get("/users/teams/").context["page"]}
    assert teams == {"Team A", "Team B"}
    foreign_names = {
        u.username for u in signed_in(foreign_admin).get("/users/").context["page"].object_list
    }
    assert foreign_names == {"prof_x", "admin_x"}


def test_an_admin_without_an_organisation_is_refused(world):
    loose = User.objects.create_user(username="loose", password="x" * 20, role=Role.ORG_ADMIN)
    assert signed_in(loose).get("/users/").status_code == 404


def test_a_deactivated_admin_loses_the_pages_at_once(world, client_for):
    client = client_for("admin")
    assert client.get("/users/").status_code == 200
    User.objects.filter(pk=world.admin.pk).update(is_active=False)
    response = client.get("/users/")
    assert response.status_code == 302  # the session no longer holds a usable account


def test_the_user_list_takes_the_same_number_of_queries_for_many_rows(
    world, client_for, django_assert_max_num_queries
):
    client = client_for("admin")
    for i in range(30):
        make_user(f"extra{i}", Role.PROFESSIONAL, world.org, world.team_b if i % 2 else None)
    for i in range(30):
        Team.objects.create(organisation=world.org, name=f"Team {i:02d}")
    with django_assert_max_num_queries(12):
        assert client.get("/users/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/users/teams/").status_code == 200


def test_the_user_list_searches_and_pages(world, client_for):
    client = client_for("admin")
    for i in range(30):
        make_user(f"extra{i:02d}", Role.PROFESSIONAL, world.org, world.team_b)
    first = client.get("/users/")
    assert first.context["page"].paginator.num_pages == 2
    found = client.get("/users/", {"q": "extra0"})
    assert {u.username for u in found.context["page"]} == {f"extra{i:02d}" for i in range(10)}
    by_team = client.get("/users/", {"q": "Team A"})
    assert {u.username for u in by_team.context["page"]} == {"prof", "lead"}
    empty = client.get("/users/", {"q": "nobody-has-this"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "No accounts match this search." in empty.content.decode()


def test_the_team_list_shows_an_empty_state_without_teams(db):
    from yim.accounts.models import Organisation

    org = Organisation.objects.create(name="Nieuw")
    admin = make_user("solo", Role.ORG_ADMIN, org)
    response = signed_in(admin).get("/users/teams/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Your organisation has no teams yet." in response.content.decode()


def test_the_navigation_links_to_the_new_pages(world, client_for):
    response = client_for("admin").get("/users/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'href="/users/teams/"' in html
    assert 'href="/users/new/"' in html
    assert f'href="/users/{world.professional.pk}/"' in html
