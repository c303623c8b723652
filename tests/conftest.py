"""Persona fixtures: everyone who may, or may not, reach a youth's file.

``youth_file`` belongs to team A of organisation 1. Its professional and team lead work in
team A; ``other_team_professional`` works in team B of the same organisation; the
``foreign_professional`` in another organisation. The youth, their JIM and a parent have
portal accounts linked to ``youth_file``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection as django_connection
from django.test import Client

from yim.accounts.models import Organisation, PortalLink, Role, Team, User
from yim.accounts.twofactor import SESSION_VERIFIED_KEY
from yim.trajectories.models import Youth
from yim.trajectories.rules import AMSTERDAM

PASSWORD = "correct-horse-battery-staple-42"

#: Every test starts at this moment (a Wednesday noon in Amsterdam, summer time), whatever
#: the machine's clock, day or time zone say; the clock then runs on from there. A test that
#: needs another moment moves the clock itself: ``frozen_clock.move_to(...)``, or
#: ``time_machine.travel(...)`` inside the test.
FROZEN_NOW = dt.datetime(2026, 6, 17, 12, 0, tzinfo=AMSTERDAM)


@pytest.fixture(autouse=True)
def frozen_clock(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The test's clock: :data:`FROZEN_NOW`, running on.

    Browser tests (and tests marked ``real_clock``) keep the machine's clock: their server runs
    in another process, which shares the machine's clock and not this process's; they build
    their dates from the server's Amsterdam day instead.
    """
    marker = request.node.get_closest_marker
    if marker("browser") or marker("real_clock"):
        yield None
        return
    with time_machine.travel(FROZEN_NOW, tick=True) as traveller:
        yield traveller


@dataclass
class World:
    org: Organisation
    other_org: Organisation
    team_a: Team
    team_b: Team
    foreign_team: Team
    professional: User
    team_lead: User
    other_team_professional: User
    foreign_professional: User
    admin: User
    researcher: User
    youth_user: User
    jim: User
    parent: User
    youth_file: Youth
    other_youth_file: Youth
    foreign_youth_file: Youth

    def persona(self, name: str) -> User:
        return getattr(self, name)


STAFF_PERSONAS = [
    "professional",
    "team_lead",
    "other_team_professional",
    "foreign_professional",
    "admin",
    "researcher",
]
PORTAL_PERSONAS = ["youth_user", "jim", "parent"]
ALL_PERSONAS = STAFF_PERSONAS + PORTAL_PERSONAS


def make_user(username: str, role: str, org: Organisation, team: Team | None = None) -> User:
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role,
        organisation=org,
        team=team,
        email=f"{username}@example.org",
        first_name=username.title(),
    )


@pytest.fixture
def world(db: None) -> World:
    org = Organisation.objects.create(name="Jeugdzorg Test")
    other_org = Organisation.objects.create(name="Andere Organisatie")
    team_a = Team.objects.create(organisation=org, name="Team A")
    team_b = Team.objects.create(organisation=org, name="Team B")
    foreign_team = Team.objects.create(organisation=other_org, name="Team X")
    professional = make_user("prof", Role.PROFESSIONAL, org, team_a)
    other_team_professional = make_user("prof_b", Role.PROFESSIONAL, org, team_b)
    foreign_professional = make_user("prof_x", Role.PROFESSIONAL, other_org, foreign_team)

    def youth(team: Team, prof: User, name: str) -> Youth:
        return Youth.objects.create(
            organisation=team.organisation,
            team=team,
            professional=prof,
            display_name=name,
            date_of_birth=dt.date(2010, 5, 17),
        )

    youth_file = youth(team_a, professional, "Sam B.")
    w = World(
        org=org,
        other_org=other_org,
        team_a=team_a,
        team_b=team_b,
        foreign_team=foreign_team,
        professional=professional,
        team_lead=make_user("lead", Role.TEAM_LEAD, org, team_a),
        other_team_professional=other_team_professional,
        foreign_professional=foreign_professional,
        admin=make_user("admin", Role.ORG_ADMIN, org),
        researcher=make_user("researcher", Role.RESEARCHER, org),
        youth_user=make_user("youth", Role.YOUTH, org),
        jim=make_user("jim", Role.JIM, org),
        parent=make_user("parent", Role.PARENT, org),
        youth_file=youth_file,
        other_youth_file=youth(team_b, other_team_professional, "Noa K."),
        foreign_youth_file=youth(foreign_team, foreign_professional, "Daan V."),
    )
    for user, relation in [(w.youth_user, Role.YOUTH), (w.jim, Role.JIM), (w.parent, Role.PARENT)]:
        PortalLink.objects.create(user=user, youth=youth_file, relation=relation)
    return w


def signed_in(user: User) -> Client:
    """A client with a full session, second factor included (as after a real sign-in)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_VERIFIED_KEY] = True
    session.save()
    return client


@pytest.fixture
def client_for(world: World):  # type: ignore[no-untyped-def]
    def make(persona: str) -> Client:
        return signed_in(world.persona(persona))

    return make


# --- the real `yim` command, in a subprocess, against a database of its own ---


@dataclass
class YimRunner:
    env: dict[str, str]
    data_dir: Path

    def __call__(self, *args: str, check: bool = True, timeout: int = 120, **extra_env: str):
        env = {**self.env, **extra_env}
        result = subprocess.run(
            [sys.executable, "-m", "yim.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"yim {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
            )
        return result


def _postgres_admin_connection():
    import psycopg

    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname="postgres",
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"],
        autocommit=True,
    )


@pytest.fixture
def yim_cmd(tmp_path):
    """A `yim` runner with a fresh, empty database of the same engine as the test run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YIM_", "DJANGO_"))}
    env.update(
        YIM_SECRET_KEY="cli-test-secret-" + "z" * 40,
        YIM_DATA_DIR=str(tmp_path / "data"),
        YIM_ALLOWED_HOSTS="localhost",
        DJANGO_SETTINGS_MODULE="yim.settings",
    )
    db = settings.DATABASES["default"]
    created: str | None = None
    if db["ENGINE"].endswith("postgresql"):
        created = f"yim_cli_{uuid.uuid4().hex[:10]}"
        with _postgres_admin_connection() as conn:
            conn.execute(f'CREATE DATABASE "{created}"')
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        env["YIM_DATABASE_URL"] = f"postgresql://{auth}@{db['HOST']}:{db['PORT']}/{created}"
    yield YimRunner(env=env, data_dir=tmp_path / "data")
    if created:
        with _postgres_admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')


@pytest.fixture
def is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


# --- qualitative research: a second researcher of the same organisation (a co-coder) ---


@pytest.fixture
def second_researcher(world: World) -> User:
    return make_user("researcher2", Role.RESEARCHER, world.org)


# --- tests whose writes are committed (threads, background workers) ----------------------

#: The PostgreSQL trigger that keeps the append-only audit table from being truncated.
TRUNCATE_GUARD = "audit_event_no_truncate"


@pytest.fixture(scope="module")
def truncate_guard_back_on(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Switch the audit table's TRUNCATE guard back on once this module's tests are done."""
    yield
    if django_connection.vendor == "postgresql":
        with django_db_blocker.unblock(), django_connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRUNCATE_GUARD}")


@pytest.fixture
def flushable(transactional_db, django_db_serialized_rollback, truncate_guard_back_on):  # type: ignore[no-untyped-def]
    """A test whose writes are committed: the database is emptied afterwards (``flush``), and
    what the migrations put in it (the standard programme models) is loaded again before each
    such test — so one flushing test does not leave the next without them.

    On PostgreSQL the audit table refuses TRUNCATE (it is append-only), so the guard is off
    for the flush that ends this test and on again when the module is done.
    """
    yield
    if django_connection.vendor == "postgresql":
        with django_connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRUNCATE_GUARD}")
