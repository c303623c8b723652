"""The probes can fail: their world shows its markers where it should, their check catches a
leak, and their lists of endpoints are the project's."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client

from tests.conftest import signed_in
from tests.security.endpoints import api_operations, web_endpoints
from tests.security.probe_world import MARKERS, ZONE_RANGES, build_probe_world, zone_of
from tests.security.test_cross_scope_probes import check
from yim.programmes.models import ProgrammeModel
from yim.qualitative.models import Project
from yim.trajectories.models import Meeting, NetworkPerson, Trajectory

pytestmark = pytest.mark.django_db


@pytest.fixture
def probe(world):  # type: ignore[no-untyped-def]
    return build_probe_world(world)


def test_each_zone_shows_its_marker_to_a_persona_of_that_zone(probe):
    world = probe.world
    own_team = signed_in(world.professional).get(f"/youth/{probe.youth_ids['A']}/")
    assert own_team.status_code == 200 and MARKERS["A"] in own_team.content.decode()
    team_b = signed_in(world.other_team_professional).get(f"/youth/{probe.youth_ids['B']}/")
    assert team_b.status_code == 200 and MARKERS["B"] in team_b.content.decode()
    foreign = Client(HTTP_AUTHORIZATION=f"Bearer {probe.tokens['foreign_professional']}")
    listed = foreign.get("/api/v1/youth")
    assert listed.status_code == 200 and MARKERS["F"] in listed.content.decode()
    meeting = Meeting.objects.get(trajectory__youth=world.foreign_youth_file)
    notes = signed_in(world.foreign_professional).get(f"/trajectories/meetings/{meeting.pk}/")
    assert notes.status_code == 200 and f"Notes {MARKERS['F']}" in notes.content.decode()


def test_every_record_of_a_zone_has_an_id_in_the_zones_range(probe):
    for zone, ids in probe.zone_ids.items():
        low, high = ZONE_RANGES[zone]
        assert ids and all(low <= i < high for i in ids)
    world = probe.world
    foreign_records = [
        Trajectory.objects.get(youth=world.foreign_youth_file),
        Meeting.objects.get(trajectory__youth=world.foreign_youth_file),
        NetworkPerson.objects.filter(youth=world.foreign_youth_file).first(),
        Project.objects.get(name=f"Project {MARKERS['F']}"),
        ProgrammeModel.objects.get(organisation=world.other_org),
    ]
    assert {zone_of(record.pk) for record in foreign_records} == {"F"}
    assert zone_of(probe.world.youth_file.pk) is None  # the fixture's own rows: markers only


def test_the_check_catches_a_marker_a_foreign_id_answered_and_a_server_error():
    leak = HttpResponse(f"<p>Notes {MARKERS['B']}</p>")
    with pytest.raises(AssertionError, match="LEAK"):
        check("professional", "GET /x/", leak, [], [])
    answered = HttpResponse("<p>nothing special</p>")
    with pytest.raises(AssertionError, match="not a refusal"):
        check("professional", "GET /youth/300001/", answered, ["300001"], [])
    redirect = HttpResponse(status=302)
    redirect["Location"] = "/trajectories/500123/"
    with pytest.raises(AssertionError, match="redirected"):
        check("professional", "POST /x/", redirect, [], ["500123"])
    with pytest.raises(AssertionError, match="answered 500"):
        check("professional", "GET /x/", HttpResponse(status=500), [], [])
    check("professional", "GET /youth/300001/", HttpResponse(status=404), ["300001"], [])
    check("other_team_professional", "GET /x/", leak, ["300001"], [])  # team B is theirs


def test_the_probes_cover_the_url_map_and_every_api_operation():
    routes = {str(e) for e in web_endpoints()}
    assert {"/youth/<int:pk>/", "/portal/<int:youth_id>/file/plan/", "/users/<int:pk>/"} <= routes
    operations = {str(op) for op in api_operations()}
    assert {"GET /api/v1/youth/{youth_id}", "POST /api/v1/candidates/{candidate_id}/stop"} <= (
        operations
    )
    assert not any(r.startswith("/api/v1/youth") for r in routes)  # probed as API operations
    assert len(routes) > 120 and len(operations) > 30
