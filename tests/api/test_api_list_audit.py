"""An API list that shows youth is in each listed youth's "who viewed my file" (issue 10,
finding 8): the page of the answer, and only that page, is recorded in the audit row."""

import pytest
from django.test import Client

from yim.accounts.models import ApiToken
from yim.audit.models import AuditEvent
from yim.cli import main
from yim.trajectories.models import Youth

pytestmark = pytest.mark.django_db


def _api(world) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(world.professional, 'test')[1]}")


def _own_log(client_for) -> list[tuple[str, str, str]]:
    response = client_for("youth_user").get("/my-file/views/")
    assert response.status_code == 200
    return [(e.actor_name, e.action, e.detail) for e in response.context["page"].object_list]


def _second_youth_in_the_team(world) -> Youth:
    """A youth of the professional's team sorted after ``world.youth_file`` by name."""
    return Youth.objects.create(
        organisation=world.org,
        team=world.team_a,
        professional=world.professional,
        display_name="Zz " + world.youth_file.display_name,
        date_of_birth=world.youth_file.date_of_birth,
    )


def test_an_api_youth_list_that_showed_the_youth_appears_in_their_log(world, client_for):
    response = _api(world).get("/api/v1/youth")
    assert world.youth_file.pk in [item["id"] for item in response.json()["items"]]
    assert _own_log(client_for) == [("prof", "list", "api youth list")]


def test_a_youth_on_another_page_of_the_api_list_is_not_recorded(world, client_for):
    second = _second_youth_in_the_team(world)
    response = _api(world).get("/api/v1/youth", {"limit": 1, "offset": 1})
    assert [item["id"] for item in response.json()["items"]] == [second.pk]
    assert _own_log(client_for) == []
    event = AuditEvent.objects.get(action="list", detail="api youth list (offset 1)")
    assert event.listed == f",{second.pk},"


def test_an_api_list_records_every_youth_on_its_page_in_one_row(world):
    second = _second_youth_in_the_team(world)
    _api(world).get("/api/v1/youth")
    event = AuditEvent.objects.get(action="list")
    assert event.listed == f",{world.youth_file.pk},{second.pk},"
    assert event.youth_id is None


def test_an_api_list_refused_to_a_portal_user_records_nothing(world):
    raw = ApiToken.issue(world.youth_user, "test")[1]
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/youth")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="list").exists()


def test_the_audit_chain_verifies_after_api_lists(world, capsys):
    _second_youth_in_the_team(world)
    client = _api(world)
    client.get("/api/v1/youth")
    client.get("/api/v1/youth", {"limit": 1, "offset": 1})
    assert main(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
