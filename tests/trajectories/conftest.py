"""Builders for trajectory tests: a youth of a known age with a trajectory in a given state.

Dates are fixed relative to "today" (the test's clock), so tests never drift with the
calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import (
    AgeBand,
    Candidate,
    ConsentDecision,
    ConsentParty,
    NetworkPerson,
    Phase,
    Relation,
    Response,
    Trajectory,
    Youth,
)
from yim.trajectories.rules import AMSTERDAM


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment on an Amsterdam calendar day."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)


def years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return day - dt.timedelta(days=days)


@dataclass
class Case:
    """A youth with an open trajectory started 100 days ago, and helpers to move it on."""

    youth: Youth
    trajectory: Trajectory
    world: object

    @property
    def start_day(self) -> dt.date:
        return self.trajectory.started_on

    def day(self, offset: int) -> dt.date:
        return self.start_day + dt.timedelta(days=offset)

    def person(self, name: str = "Tante Marieke", **fields: object) -> NetworkPerson:
        values = {"relation": Relation.AUNT_UNCLE, "age_band": AgeBand.AGE_40_64, **fields}
        return NetworkPerson.objects.create(youth=self.youth, display_name=name, **values)

    def explore(self, offset: int = 5) -> None:
        self.trajectory.advance_to(Phase.NETWORK_EXPLORATION, at=at(self.day(offset)))

    def jim(self, offset: int = 30, person: NetworkPerson | None = None) -> Candidate:
        """Name, ask and accept a JIM (aged 40–64) ``offset`` days after the start."""
        person = person or self.person()
        round_ = self.trajectory.open_round() or self.trajectory.start_round(
            on=self.day(offset - 10)
        )
        candidate = round_.add_candidate(person, named_on=self.day(offset - 10))
        candidate.record_response(
            Response.ACCEPTED, self.day(offset), asked_on=self.day(offset - 5)
        )
        return candidate

    def consent(self, candidate: Candidate, offset: int = 35) -> None:
        """Complete consent with whoever the age rule asks for on that day."""
        from yim.trajectories.rules import required_consent

        when = at(self.day(offset))
        need = required_consent(self.youth.date_of_birth, when)
        if need.youth:
            candidate.record_consent(
                party=ConsentParty.YOUTH, decision=ConsentDecision.YES, given_at=when
            )
        if need.parents:
            holders = list(self.youth.network.filter(has_parental_authority=True))
            for holder in holders:  # consent follows parental authority: every holder
                candidate.record_consent(
                    party=ConsentParty.PARENT,
                    holder=holder,
                    decision=ConsentDecision.YES,
                    given_at=when,
                )
            if not holders:
                candidate.record_consent(
                    party=ConsentParty.PARENT,
                    parent_name="Petra",
                    decision=ConsentDecision.YES,
                    given_at=when,
                )


@pytest.fixture
def indicated() -> ProgrammeModel:
    return ProgrammeModel.standard("indicated")


@pytest.fixture
def make_case(world, indicated):  # type: ignore[no-untyped-def]
    def make(  # type: ignore[no-untyped-def]
        age_years: int = 15, started_days_ago: int = 100, programme=None, age_exception_reason=""
    ) -> Case:
        youth = Youth.objects.create(
            organisation=world.org,
            team=world.team_a,
            professional=world.professional,
            display_name="Lina T.",
            date_of_birth=years_ago(age_years, days=200),
        )
        start = timezone.localdate() - dt.timedelta(days=started_days_ago)
        trajectory = Trajectory.start(
            youth=youth,
            programme=programme or indicated,
            professional=world.professional,
            referred_on=start,
            referral_source="neighbourhood_team",
            referral_reason="Threatened placement after school dropout.",
            requested_placement="residential",
            placement_basis="indicated",
            age_exception_reason=age_exception_reason,
            at=at(start, 9),
            by=world.professional,
        )
        return Case(youth=youth, trajectory=trajectory, world=world)

    return make


@pytest.fixture
def case(make_case) -> Case:  # type: ignore[no-untyped-def]
    return make_case()


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    """Assert on the English msgids; the Dutch catalogue is the lead's."""
    from django.utils import translation

    with translation.override("en"):
        yield


def messages(exc: BaseException, field: str = "__all__") -> str:
    """All messages of a ValidationError for ``field``, joined."""
    return " ".join(str(m) for m in exc.message_dict.get(field, []))  # type: ignore[attr-defined]
