"""The access matrix, cell by cell: every role × relation × action of
:mod:`tests.security.access_matrix`, through the real client (a session for the pages, a token
for the API).

Each test builds one relation on the ``world`` fixture with the models' own methods (a full
youth file: trajectory, network, an accepted JIM with consent, a meeting, a care plan with a
goal), renames the file's youth to a marker, then makes every request of the action and
compares what it sees with the table:

* reads and downloads: the status code;
* lists, searches and exports: the status code, and whether the marker is in the body — a
  list that answers 200 must not contain the marker of a file outside the persona's scope;
* writes (create, update, delete): the status code and whether the row really changed — a
  refused write leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import ALL_PERSONAS, World, signed_in
from tests.security.access_matrix import (
    ACTIONS,
    MARKER,
    MATRIX,
    RELATIONS,
    ROLES,
    TARGETS,
    Target,
    cells,
    expected,
    render_markdown,
)
from tests.security.probe_world import _file
from yim.accounts.models import ApiToken, PortalLink, User
from yim.audit.log import record
from yim.audit.models import Action
from yim.monitoring.models import JimSharingScope
from yim.trajectories.models import (
    AgeBand,
    Candidate,
    ConsentDecision,
    ConsentParty,
    Goal,
    JimEndReason,
    Meeting,
    NetworkPerson,
    Relation,
    Trajectory,
    Youth,
)
from yim.trajectories.models.closure import ClosureReason, JimRelationship

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    """The file a relation is about, and the ids its URLs need."""

    youth: Youth
    trajectory: Trajectory
    goal: Goal
    removable: NetworkPerson

    def values(self) -> dict[str, Any]:
        return {
            "youth": self.youth.pk,
            "trajectory": self.trajectory.pk,
            "goal": self.goal.pk,
            "person": self.removable.pk,
            "marker": MARKER,
        }


def _full_file(youth: Youth, professional: User) -> Trajectory:
    _file(youth, professional, "ACCESSMATRIX")
    return Trajectory.objects.filter(youth=youth).latest("pk")


def _jim_of(trajectory: Trajectory) -> Candidate:
    return Candidate.objects.get(trajectory=trajectory, response="accepted", jim_ended_on=None)


def build(world: World, relation: str) -> Case:
    """Make ``relation`` true on the world; returns the file it is about."""
    if relation == "same_team":
        youth = Youth.objects.create(
            organisation=world.org,
            team=world.team_a,
            professional=world.team_lead,
            display_name="x",
            date_of_birth=dt.date(2010, 5, 17),
        )
        professional = world.team_lead
    elif relation == "other_team":
        youth, professional = world.other_youth_file, world.other_team_professional
    elif relation == "other_org":
        youth, professional = world.foreign_youth_file, world.foreign_professional
    else:  # a relation of the portal users' own file
        youth, professional = world.youth_file, world.professional
    trajectory = _full_file(youth, professional)
    Youth.objects.filter(pk=youth.pk).update(display_name=f"Mara {MARKER}")
    youth.refresh_from_db()
    removable = NetworkPerson.objects.create(
        youth=youth,
        display_name="Neighbour (entered by mistake)",
        relation=Relation.NEIGHBOUR,
        age_band=AgeBand.AGE_40_64,
    )
    if youth.pk == world.youth_file.pk:
        jim = _jim_of(trajectory)
        # The JIM's portal account is that person; the youth shares the plan with the JIM.
        PortalLink.objects.filter(user=world.jim, youth=youth).update(person=jim.person)
        JimSharingScope.decide(youth, {"plan": True, "meetings": True}, by=world.youth_user)
        if relation == "closed_file":
            trajectory.close(
                reason=ClosureReason.GOALS_ACHIEVED,
                jim_relationship=JimRelationship.CONTINUING,
                by=world.professional,
            )
        elif relation == "consent_refused":
            jim.record_consent(
                party=ConsentParty.YOUTH,
                decision=ConsentDecision.REFUSED,
                given_at=timezone.now(),
            )
        elif relation == "jim_stopped":
            jim.end_jim(on=timezone.localdate(), reason=JimEndReason.JIM_STOPPED)
        elif relation == "sharing_off":
            JimSharingScope.decide(youth, {"plan": False, "meetings": False}, by=world.youth_user)
    # An event about the file that an audit search finds (the marker is in its detail).
    record(professional, Action.VIEW, youth=youth, obj=youth, detail=f"matrix {MARKER}")
    goal = Goal.objects.filter(plan__trajectory=trajectory).latest("pk")
    trajectory.refresh_from_db()
    return Case(youth=youth, trajectory=trajectory, goal=goal, removable=removable)


# --- one request, and what it showed ----------------------------------------------------------


def _client(world: World, persona: str, surface: str) -> Client:
    if surface == "api":
        token = ApiToken.issue(world.persona(persona), "matrix")[1]
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    return signed_in(world.persona(persona))


def _state(target: Target, case: Case) -> Any:
    """What a write changes: compared before and after the request."""
    if target.action == "create":
        return Meeting.objects.filter(trajectory=case.trajectory).count()
    if target.action == "update":
        return Goal.objects.get(pk=case.goal.pk).description
    if target.action == "delete":
        return NetworkPerson.objects.filter(pk=case.removable.pk).exists()
    return None


def _body(target: Target, case: Case) -> dict[str, Any] | None:
    today = timezone.localdate().isoformat()
    if target.action == "create":
        return {"kind": "evaluation", "held_on": today, "decisions": "Matrix decision"}
    if target.action == "update":
        goal = Goal.objects.get(pk=case.goal.pk)
        return {
            "description": "Changed by the matrix",
            "status": goal.status,
            "status_note": "",
            "version": goal.version,
        }
    if target.action == "delete":
        return {"version": NetworkPerson.objects.get(pk=case.removable.pk).version}
    return None


#: The fixture's own files and the relation each is (the file of a relation is renamed to the
#: marker; the others keep their names).
FIXTURE_FILES = {
    "youth_file": "own_caseload",
    "other_youth_file": "other_team",
    "foreign_youth_file": "other_org",
}


def _out_of_scope_names(world: World, persona: str) -> list[str]:
    """Display names of the fixture's files that ``persona`` may not open (by the table):
    no list, search or export may show them."""
    names = []
    for attribute, relation in FIXTURE_FILES.items():
        youth = Youth.objects.get(pk=getattr(world, attribute).pk)
        if expected(persona, relation, "youth page") != "ok" and MARKER not in youth.display_name:
            names.append(youth.display_name)
    return names


def observe(world: World, persona: str, target: Target, case: Case) -> str:
    """One request of ``target`` as ``persona``; the outcome in the table's words."""
    client = _client(world, persona, target.surface)
    url = target.url.format(**case.values())
    before = _state(target, case)
    body = _body(target, case)
    if target.method == "GET":
        response = client.get(url)
    elif target.surface == "api":
        response = client.post(url, body, content_type="application/json")
    else:
        response = client.post(url, body)
    status = response.status_code
    if status in (401, 403, 404, 405):
        return str(status)
    assert status < 500, f"{target} answered {status}"
    if target.action in ("create", "update", "delete"):
        changed = _state(target, case) != before
        return "ok" if changed else "refused"
    assert status == 200, f"{target} answered {status}"
    if target.action in ("list", "search", "export"):
        content = b"".join(response.streaming_content) if response.streaming else response.content
        leaked = [name for name in _out_of_scope_names(world, persona) if name in content.decode()]
        assert leaked == [], f"{target} shows {persona} files outside their scope: {leaked}"
        return "ok" if MARKER.encode() in content else "hidden"
    return "ok"


# --- the matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "relation", "action"),
    [pytest.param(*cell, id="-".join(cell)) for cell in cells()],
)
def test_every_cell_of_the_access_matrix_holds(world, persona, relation, action):
    case = build(world, relation)
    seen = {t.name: observe(world, persona, t, case) for t in TARGETS[action]}
    want = {t.name: expected(persona, relation, t.name) for t in TARGETS[action]}
    assert seen == want


def test_the_matrix_covers_every_role_relation_and_action():
    assert ROLES == ALL_PERSONAS
    assert set(MATRIX) == set(cells()), "the table names every cell explicitly"
    assert len(cells()) == len(ROLES) * len(RELATIONS) * len(ACTIONS)
    assert {t.action for ts in TARGETS.values() for t in ts} == set(ACTIONS)


def test_anything_the_table_does_not_name_is_refused():
    assert expected("professional", "own_caseload", "no such target") == "404"


def test_the_access_matrix_page_is_generated_from_the_table():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "access-matrix.md"
    assert doc.read_text() == render_markdown(), (
        "docs/access-matrix.md is stale: run scripts/generate_access_matrix.py"
    )
