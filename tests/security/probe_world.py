"""The world the cross-scope probes run in: three zones of records, each with its own marker.

On top of ``tests.conftest.world`` every youth file gets records of every kind that a URL or an
API operation takes by id (trajectory, network people and ties, nomination, candidate,
consent, meetings, care plan and goal, safety plan, placement decision, assessment), and the
other organisation gets a programme, a researcher with a qualitative project (documents,
codes, segments, participants) and a meta-analysis:

* zone **A** — team A of organisation 1 (``world.youth_file`` and its portal users);
* zone **B** — team B of organisation 1 (``world.other_youth_file``), plus a qualitative
  project of a second researcher that ``world.researcher`` is no member of;
* zone **F** — the other organisation (``world.foreign_youth_file``, its staff and research).

Every record of a zone is created with a primary key in the zone's own range (the sequences
of all tables are moved before each zone is built), so an id tells its zone whatever table it
is looked up in: a probe that puts an id of a forbidden zone into a path parameter must be
refused, whichever model that parameter names. Ids below :data:`ZONE_START` are the fixture's
own rows (users, teams, the three youth files); a probe checks those through the markers only.

Every zone's free text carries its marker (names, notes, decisions, transcript text); a
response that shows a persona a marker of a zone outside its scope is a leak.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from tests.conftest import World, make_user
from yim.accounts.models import ApiToken, Role, User
from yim.monitoring import instruments
from yim.monitoring.models import Assessment, Wave
from yim.programmes.models import ProgrammeModel
from yim.qualitative import models as qm
from yim.research.models import MetaAnalysisRun
from yim.trajectories.models import (
    AgeBand,
    CarePlan,
    ConsentDecision,
    ConsentParty,
    Meeting,
    MeetingKind,
    NetworkPerson,
    NetworkTie,
    Phase,
    PlacementDecision,
    Relation,
    Response,
    SafetyPlan,
    Trajectory,
    Youth,
)
from yim.trajectories.rules import AMSTERDAM, required_consent

ZONE_START = 100_000
ZONE_RANGES = {
    "A": (100_000, 300_000),
    "B": (300_000, 500_000),
    "F": (500_000, 700_000),
}
#: After the zones are built, new rows (a probe's POST, rolled back) get ids above them all.
AFTER_ZONES = 900_000

MARKERS = {"A": "PROBEMARKA7Q", "B": "PROBEMARKB7Q", "F": "PROBEMARKF7Q"}

#: The zones outside each persona's scope: neither their markers nor their ids may get through.
FORBIDDEN = {
    "professional": {"B", "F"},
    "team_lead": {"B", "F"},
    "other_team_professional": {"A", "F"},
    "foreign_professional": {"A", "B"},
    "admin": {"A", "B", "F"},
    "researcher": {"A", "B", "F"},
    "youth_user": {"B", "F"},
    "jim": {"B", "F"},
    "parent": {"B", "F"},
}


def zone_of(value: int) -> str | None:
    for zone, (low, high) in ZONE_RANGES.items():
        if low <= value < high:
            return zone
    return None


def move_sequences(to: int, *, above_existing: bool = False) -> None:
    """Let the next row of every table with an integer key get an id above ``to`` (with
    ``above_existing``, above the table's highest id too).

    On PostgreSQL sequences do not roll back with a test's transaction: rows that the world
    made before the zones can have ids anywhere an earlier test left the sequence, above the
    zones too, and new rows after the zones must not run into them."""
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            pk = model._meta.pk
            if model._meta.proxy or not model._meta.managed:
                continue
            if not isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            column = connection.ops.quote_name(pk.column)
            start = to
            if above_existing:
                cursor.execute(f"SELECT MAX({column}) FROM {table}")  # names from the models
                start = max(to, cursor.fetchone()[0] or 0)
            if connection.vendor == "sqlite":
                cursor.execute(
                    "DELETE FROM sqlite_sequence WHERE name = %s", [model._meta.db_table]
                )
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                    [model._meta.db_table, start],
                )
            else:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s)",
                    [table, pk.column, start],
                )


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=AMSTERDAM)


@dataclass
class ZoneFile:
    youth: Youth
    trajectory: Trajectory
    ids: list[int] = field(default_factory=list)


def _file(youth: Youth, professional: User, mark: str) -> list[int]:
    """A youth file with a record of every kind; returns the ids it made."""
    start = timezone.localdate() - dt.timedelta(days=150)
    indicated = ProgrammeModel.standard("indicated")
    trajectory = Trajectory.start(
        youth=youth,
        programme=indicated,
        professional=professional,
        referred_on=start,
        referral_source="neighbourhood_team",
        referral_reason=f"Referral {mark}",
        at=_at(start, 9),
        by=professional,
    )
    trajectory.advance_to(Phase.NETWORK_EXPLORATION, at=_at(start + dt.timedelta(days=5)))
    aunt = NetworkPerson.objects.create(
        youth=youth,
        display_name=f"Aunt {mark}",
        relation=Relation.AUNT_UNCLE,
        age_band=AgeBand.AGE_40_64,
        note=f"Note {mark}",
    )
    coach = NetworkPerson.objects.create(
        youth=youth,
        display_name=f"Coach {mark}",
        relation="neighbour",
        age_band=AgeBand.AGE_40_64,
    )
    tie = NetworkTie.connect(aunt, coach)
    day = start + dt.timedelta(days=10)
    trajectory.advance_to(Phase.CANDIDATES, at=_at(day))
    round_ = trajectory.start_round(on=day)
    jim = round_.add_candidate(aunt, named_on=day)
    jim.record_response(Response.ACCEPTED, start + dt.timedelta(days=30), asked_on=day)
    when = _at(start + dt.timedelta(days=35))
    need = required_consent(youth.date_of_birth, when)
    if need.youth:
        jim.record_consent(party=ConsentParty.YOUTH, decision=ConsentDecision.YES, given_at=when)
    if need.parents:
        jim.record_consent(
            party=ConsentParty.PARENT,
            parent_name=f"Parent {mark}",
            decision=ConsentDecision.YES,
            given_at=when,
        )
    other = round_.add_candidate(coach, named_on=day)
    for phase, offset in [(Phase.CONSENT, 36), (Phase.POSITIONING, 37), (Phase.COLLABORATION, 41)]:
        trajectory.advance_to(phase, at=_at(start + dt.timedelta(days=offset)))
    meeting = Meeting.objects.create(
        trajectory=trajectory,
        kind=MeetingKind.EVALUATION,
        held_on=start + dt.timedelta(days=60),
        decisions=f"Decisions {mark}",
        notes=f"Notes {mark}",
        youth_view=f"View {mark}",
    )
    plan = CarePlan.objects.create(trajectory=trajectory, made_on=start + dt.timedelta(days=61))
    goal = plan.add_goal(f"Goal {mark}")
    safety = SafetyPlan.objects.create(
        trajectory=trajectory,
        made_on=start + dt.timedelta(days=61),
        concerns=f"Concerns {mark}",
        measures=f"Measures {mark}",
    )
    decision = PlacementDecision.objects.create(
        trajectory=trajectory,
        placement_type="residential",
        decided_on=start + dt.timedelta(days=70),
        rationale=f"Rationale {mark}",
        youth_view=f"Youth view {mark}",
    )
    assessment, _created = Assessment.start(
        youth=youth,
        trajectory=trajectory,
        instrument=instruments.get("risk_domains"),
        respondent=professional,
        wave=Wave.current(trajectory),
    )
    records = [trajectory, aunt, coach, tie, round_, jim, other, meeting, plan, safety, decision]
    return [r.pk for r in records] + [getattr(goal, "pk", 0), assessment.pk]


def _project(owner: User, mark: str) -> list[int]:
    """A qualitative project of ``owner`` with a coded transcript; returns its ids."""
    project = qm.Project.objects.create(name=f"Project {mark}", description=f"About {mark}")
    membership = qm.Membership.objects.create(project=project, user=owner, role=qm.MemberRole.OWNER)
    document = qm.Document.objects.create(
        project=project,
        name=f"Interview {mark}",
        text=f"Interviewer: hoe gaat het?\nJongere: goed, {mark} hielp mij.\n",
        source_format="txt",
    )
    document.rebuild_turns()
    code = qm.Code.objects.create(project=project, name=f"Code {mark}")
    participant = qm.Participant.objects.create(project=project, name=f"Participant {mark}")
    coder = qm.Coder.objects.create(project=project, name=f"Coder {mark}", user=owner)
    segment = qm.Segment.objects.create(document=document, start=0, end=11, name=f"Seg {mark}")
    ids = [project.pk, membership.pk, document.pk, code.pk, participant.pk, coder.pk, segment.pk]
    coding = qm.Coding.objects.create(document=document, segment=segment, code=code, coder=coder)
    return [*ids, coding.pk]


@dataclass
class ProbeWorld:
    world: World
    #: Ids of rows in each zone (any table); used to draw probe ids.
    zone_ids: dict[str, list[int]]
    #: Ids of the fixture's own rows (youth files, users, teams): checked through markers.
    fixture_ids: list[int]
    tokens: dict[str, str]
    #: The persona's own in-scope ids, for the checks that show the probes can see data.
    youth_ids: dict[str, int]


def build_probe_world(world: World) -> ProbeWorld:
    second_researcher = make_user("probe_researcher2", Role.RESEARCHER, world.org)
    for youth, zone in [
        (world.youth_file, "A"),
        (world.other_youth_file, "B"),
        (world.foreign_youth_file, "F"),
    ]:
        Youth.objects.filter(pk=youth.pk).update(
            display_name=f"{youth.display_name} {MARKERS[zone]}"
        )
        youth.refresh_from_db()
    fixture_ids = sorted(
        {
            world.youth_file.pk,
            world.other_youth_file.pk,
            world.foreign_youth_file.pk,
            world.org.pk,
            world.other_org.pk,
            world.team_a.pk,
            world.team_b.pk,
            world.foreign_team.pk,
            *(world.persona(p).pk for p in FORBIDDEN),
        }
    )
    zone_ids: dict[str, list[int]] = {}

    move_sequences(ZONE_RANGES["A"][0])
    extra_a = Youth.objects.create(
        organisation=world.org,
        team=world.team_a,
        professional=world.professional,
        display_name=f"Extra {MARKERS['A']}",
        date_of_birth=dt.date(2011, 3, 3),
    )
    zone_ids["A"] = [extra_a.pk, *_file(world.youth_file, world.professional, MARKERS["A"])]

    move_sequences(ZONE_RANGES["B"][0])
    extra_b = Youth.objects.create(
        organisation=world.org,
        team=world.team_b,
        professional=world.other_team_professional,
        display_name=f"Extra {MARKERS['B']}",
        date_of_birth=dt.date(2011, 3, 3),
    )
    zone_ids["B"] = [
        extra_b.pk,
        *_file(world.other_youth_file, world.other_team_professional, MARKERS["B"]),
        *_project(second_researcher, MARKERS["B"]),
    ]

    move_sequences(ZONE_RANGES["F"][0])
    foreign_researcher = make_user("probe_researcher_x", Role.RESEARCHER, world.other_org)
    foreign_admin = make_user("probe_admin_x", Role.ORG_ADMIN, world.other_org)
    programme = ProgrammeModel.objects.create(
        organisation=world.other_org,
        code="probe-foreign",
        name=f"Programme {MARKERS['F']}",
        prevention_level="indicated",
        description=f"About {MARKERS['F']}",
    )
    run = MetaAnalysisRun.objects.create(
        owner=foreign_researcher,
        title=f"Meta {MARKERS['F']}",
        source_filename="studies.csv",
        report_html=f"<p>{MARKERS['F']}</p>",
    )
    zone_ids["F"] = [
        foreign_researcher.pk,
        foreign_admin.pk,
        programme.pk,
        run.pk,
        *_file(world.foreign_youth_file, world.foreign_professional, MARKERS["F"]),
        *_project(foreign_researcher, MARKERS["F"]),
    ]
    move_sequences(AFTER_ZONES, above_existing=True)

    for zone, ids in zone_ids.items():
        low, high = ZONE_RANGES[zone]
        assert all(low <= i < high for i in ids if i), (zone, ids)
    tokens = {p: ApiToken.issue(world.persona(p), "probe")[1] for p in FORBIDDEN}
    return ProbeWorld(
        world=world,
        zone_ids={z: sorted({i for i in ids if i}) for z, ids in zone_ids.items()},
        fixture_ids=fixture_ids,
        tokens=tokens,
        youth_ids={"A": extra_a.pk, "B": extra_b.pk},
    )
