"""A youth with a trajectory, a JIM and meetings, and a second youth with a JIM of their own,
for the monitoring and portal tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from tests.conftest import make_user
from yim.accounts.models import PortalLink, Role, User
from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import (
    AgeBand,
    Candidate,
    ConsentDecision,
    ConsentParty,
    Meeting,
    MeetingKind,
    NetworkPerson,
    Relation,
    Response,
    Trajectory,
    Youth,
)
from yim.trajectories.rules import AMSTERDAM, required_consent


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=AMSTERDAM)


def years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = today.replace(year=today.year - years, day=28)
    return day - dt.timedelta(days=days)


@dataclass
class File:
    youth: Youth
    trajectory: Trajectory
    jim: Candidate
    evaluation: Meeting
    person: NetworkPerson


def build_file(youth: Youth, professional: User, *, started_days_ago: int = 120) -> File:
    start = timezone.localdate() - dt.timedelta(days=started_days_ago)
    trajectory = Trajectory.start(
        youth=youth,
        programme=ProgrammeModel.standard("indicated"),
        professional=professional,
        referred_on=start,
        referral_source="neighbourhood_team",
        referral_reason="Threatened placement.",
        at=at(start, 9),
        by=professional,
    )
    person = NetworkPerson.objects.create(
        youth=youth,
        display_name=f"Aunt of {youth.display_name}",
        relation=Relation.AUNT_UNCLE,
        age_band=AgeBand.AGE_40_64,
    )
    day = start + dt.timedelta(days=10)
    round_ = trajectory.start_round(on=day)
    jim = round_.add_candidate(person, named_on=day)
    jim.record_response(Response.ACCEPTED, start + dt.timedelta(days=30), asked_on=day)
    when = at(start + dt.timedelta(days=35))
    need = required_consent(youth.date_of_birth, when)
    if need.youth:
        jim.record_consent(party=ConsentParty.YOUTH, decision=ConsentDecision.YES, given_at=when)
    if need.parents:
        jim.record_consent(
            party=ConsentParty.PARENT,
            parent_name="Petra",
            decision=ConsentDecision.YES,
            given_at=when,
        )
    evaluation = Meeting.objects.create(
        trajectory=trajectory,
        kind=MeetingKind.EVALUATION,
        held_on=start + dt.timedelta(days=60),
        decisions=f"Decisions for {youth.display_name}",
        youth_view="I want to stay home.",
    )
    return File(youth, trajectory, jim, evaluation, person)


@dataclass
class Portal:
    world: object
    a: File
    b: File
    youth_b: User
    jim_b: User


@pytest.fixture
def portal(world) -> Portal:  # type: ignore[no-untyped-def]
    """Youth A (``world.youth_file``, 16, with ``world.youth_user``, ``world.jim`` and
    ``world.parent``) and youth B (``world.other_youth_file``, team B) with a youth and a JIM
    account of its own."""
    a = build_file(world.youth_file, world.professional)
    b = build_file(world.other_youth_file, world.other_team_professional)
    # The JIM accounts belong to the JIMs of the two files (their access follows them).
    PortalLink.objects.filter(user=world.jim, youth=a.youth).update(person=a.person)
    youth_b = make_user("youth_b", Role.YOUTH, world.org)
    jim_b = make_user("jim_b", Role.JIM, world.org)
    PortalLink.objects.create(user=youth_b, youth=b.youth, relation=Role.YOUTH)
    PortalLink.objects.create(user=jim_b, youth=b.youth, relation=Role.JIM, person=b.person)
    return Portal(world=world, a=a, b=b, youth_b=youth_b, jim_b=jim_b)


def set_age(youth: Youth, years: int) -> None:
    """Change the youth's age without touching anything else (consent rules by age)."""
    Youth.objects.filter(pk=youth.pk).update(date_of_birth=years_ago(years, days=30))
    youth.refresh_from_db()


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    from django.utils import translation

    with translation.override("en"):
        yield
