import pytest

from tests.conftest import ALL_PERSONAS

pytestmark = pytest.mark.django_db


def test_the_youth_sees_who_viewed_their_file(world, client_for):
    client_for("professional").get(f"/youth/{world.youth_file.pk}/")
    response = client_for("youth_user").get("/my-file/views/")
    assert response.status_code == 200
    events = list(response.context["page"].object_list)
    assert [(e.actor_name, e.action) for e in events] == [("prof", "view")]


def test_the_youth_does_not_see_events_about_other_files(world, client_for):
    client_for("other_team_professional").get(f"/youth/{world.other_youth_file.pk}/")
    response = client_for("youth_user").get("/my-file/views/")
    assert list(response.context["page"].object_list) == []


def test_break_the_glass_access_shows_up_for_the_youth(world, client_for):
    client_for("other_team_professional").post(
        "/youth/break-glass/",
        {"youth_id": world.youth_file.pk, "reason": "Crisis at night, own worker unreachable"},
    )
    events = client_for("youth_user").get("/my-file/views/").context["page"].object_list
    assert {e.capacity for e in events} == {"break_glass"}


@pytest.mark.parametrize("persona", [p for p in ALL_PERSONAS if p != "youth_user"])
def test_nobody_else_reaches_the_youths_access_page(world, client_for, persona):
    assert client_for(persona).get("/my-file/views/").status_code == 404


def test_a_youth_under_12_has_no_access_log_yet(world, client_for):
    """The right of access starts at 12 (before that the parents decide): no page, no menu."""
    import datetime as dt

    from django.utils import timezone

    from yim.trajectories.models import Youth

    Youth.objects.filter(pk=world.youth_file.pk).update(
        date_of_birth=timezone.localdate() - dt.timedelta(days=11 * 365)
    )
    client_for("professional").get(f"/youth/{world.youth_file.pk}/")
    client = client_for("youth_user")
    assert client.get("/my-file/views/").status_code == 404
    names = [name for name, _label in client.get("/home/").context["nav_items"]]
    assert "web:own_access_log" not in names


def test_a_caseload_list_that_showed_the_youth_appears_in_their_log(world, client_for):
    client_for("professional").get("/youth/")
    response = client_for("youth_user").get("/my-file/views/")
    events = list(response.context["page"].object_list)
    assert [(e.actor_name, e.action) for e in events] == [("prof", "list")]


def test_a_search_that_did_not_show_the_youth_stays_out_of_their_log(world, client_for):
    client_for("professional").get("/youth/", {"q": "nobody by this name"})
    client_for("other_team_professional").get("/youth/")  # another team's caseload
    assert list(client_for("youth_user").get("/my-file/views/").context["page"].object_list) == []


def test_a_search_that_showed_the_youth_appears_in_their_log(world, client_for):
    client_for("professional").get("/youth/", {"q": world.youth_file.display_name[:3]})
    events = client_for("youth_user").get("/my-file/views/").context["page"].object_list
    assert [e.action for e in events] == ["list"]


def test_the_youth_listed_are_part_of_the_audit_rows_hash(world, client_for):
    """Removing the youth from a list row behind the application's back breaks the chain."""
    from yim.audit.models import AuditEvent, verify_chain

    client_for("professional").get("/youth/")
    event = AuditEvent.objects.exclude(listed=None).latest("id")
    assert event.listed == f",{world.youth_file.pk},"
    assert verify_chain()[1] == []
    event.listed = None
    assert event.compute_hash() != event.row_hash
