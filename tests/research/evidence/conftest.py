"""A hand-made JIM cohort, recorded through the domain's own methods, worked out by hand.

Ten JIM-cohort trajectories of team A (T1 … T10), each with its own youth. ``AS_OF`` is
1 June 2026, before the test clock's today (17 June 2026), so a few events are recorded
*after* it and must be ignored as of that day. Days are counted from each referral:

    T    referred     search outcome (days)          later in care
    T1   2025-01-01   JIM day 10                     closed 2025-06-01, relationship continuing;
                                                     6-month follow-up: contact yes, not placed;
                                                     12-month follow-up due 2026-06-01, unanswered
    T2   2025-02-01   JIM day 20                     closed 2025-07-01, relationship ended;
                                                     6-month follow-up: contact no, placed after all
    T3   2025-06-01   no JIM, day 25                 —
    T4   2025-09-01   JIM day 30                     consent complete; positioned 2025-10-15
    T5   2025-03-01   closed day 35 without either   closed 2025-04-05 (no JIM); 6- and 12-month
                      (censored)                     follow-ups: not placed
    T6   2025-10-01   JIM day 45                     foster care decided 2026-01-09, JIM consulted
                                                     2026-01-05 (before finalising)
    T7   2025-11-01   no JIM, day 50                 residential care 2026-01-10, no-JIM reason
    T8   2025-12-01   JIM day 60                     emergency placement 2026-03-01, consulted
                                                     2026-03-06 (due 03-08: on time), confirmed
    T9   2026-01-01   JIM day 80                     decision 2026-05-31, finalised 2026-06-05
                                                     (after AS_OF: not realised as of AS_OF)
    T10  2026-01-01   still searching on AS_OF       a JIM accepts on 2026-06-10 (after AS_OF)
                      (censored at day 151)

Outside the unit: a comparison trajectory (a JIM on day 5 and a finalised residential
placement), a trajectory referred after ``AS_OF`` and one of another organisation.

Every finalised out-of-home decision above is recorded as carried out (a placement episode)
beginning on its decision day, except T9's, which began on 2026-06-05 (after ``AS_OF``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import (
    AgeBand,
    Candidate,
    ConsentDecision,
    ConsentParty,
    MeetingKind,
    NetworkPerson,
    PlacementDecision,
    Relation,
    Response,
    Trajectory,
    Youth,
)
from yim.trajectories.rules import AMSTERDAM, required_consent

AS_OF = dt.date(2026, 6, 1)
BORN = dt.date(2010, 5, 17)  # 14 to 16 in these years: consent of the youth and a parent
D = dt.date


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment on an Amsterdam calendar day."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)


@dataclass
class Registry:
    """Records trajectories through the domain methods, for the evidence tests."""

    world: object
    programme: ProgrammeModel
    trajectories: dict[str, Trajectory] = field(default_factory=dict)

    def trajectory(
        self,
        name: str,
        referred_on: dt.date,
        *,
        team: object = None,
        cohort: str = "jim",
        born: dt.date = BORN,
    ) -> Trajectory:
        w = self.world
        team = team or w.team_a  # type: ignore[attr-defined]
        professional = (
            w.professional  # type: ignore[attr-defined]
            if team == w.team_a  # type: ignore[attr-defined]
            else Youth.objects.filter(team=team).first().professional  # type: ignore[union-attr]
        )
        youth = Youth.objects.create(
            organisation=team.organisation,  # type: ignore[attr-defined]
            team=team,
            professional=professional,
            display_name=name,
            date_of_birth=born,
        )
        trajectory = Trajectory.start(
            youth=youth,
            programme=self.programme,
            professional=professional,
            referred_on=referred_on,
            referral_source="neighbourhood_team",
            referral_reason="Threatened placement.",
            at=at(referred_on),
            cohort=cohort,
        )
        self.trajectories[name] = trajectory
        return trajectory

    def jim(self, t: Trajectory, on: dt.date, named: dt.date | None = None) -> Candidate:
        person = NetworkPerson.objects.create(
            youth=t.youth,
            display_name=f"JIM of {t.youth.display_name}",
            relation=Relation.AUNT_UNCLE,
            age_band=AgeBand.AGE_40_64,
        )
        named = named or t.referred_on
        round_ = t.open_round() or t.start_round(on=named)
        candidate = round_.add_candidate(person, named_on=named)
        candidate.record_response(Response.ACCEPTED, on, asked_on=named)
        return candidate

    def no_jim(self, t: Trajectory, on: dt.date) -> None:
        t.record_no_jim(recorded_on=on, reason="all_declined", alternatives_tried="A second round.")

    def consent(self, jim: Candidate, on: dt.date) -> None:
        when = at(on)
        need = required_consent(jim.trajectory.youth.date_of_birth, when)
        if need.youth:
            jim.record_consent(
                party=ConsentParty.YOUTH, decision=ConsentDecision.YES, given_at=when
            )
        if need.parents:
            jim.record_consent(
                party=ConsentParty.PARENT,
                parent_name="Petra",
                decision=ConsentDecision.RELUCTANT_YES,
                given_at=when,
            )

    def meeting_with_jim(self, t: Trajectory, on: dt.date, kind: str = MeetingKind.EVALUATION):
        from yim.trajectories.models import Meeting

        meeting = Meeting.objects.create(trajectory=t, kind=kind, held_on=on)
        meeting.add_attendee("jim", name="The JIM")
        return meeting

    def decision(
        self,
        t: Trajectory,
        decided: dt.date,
        *,
        kind: str = "residential",
        emergency: bool = False,
        no_jim_reason: str = "",
    ) -> PlacementDecision:
        return PlacementDecision.objects.create(
            trajectory=t,
            placement_type=kind,
            decided_on=decided,
            rationale="Safety at home could not be restored.",
            youth_view="I would rather stay.",
            is_emergency=emergency,
            no_jim_reason=no_jim_reason,
        )

    def placed(self, decision: PlacementDecision, on: dt.date, ended: dt.date | None = None):
        """The professional records that the finalised decision was carried out on ``on``
        (finalising alone is no placement: see docs/evidence.md)."""
        from yim.trajectories.models import PlacementEpisode

        return PlacementEpisode.record_for_decision(
            decision, carried_out=True, started_on=on, ended_on=ended
        )

    def close(self, t: Trajectory, on: dt.date, relationship: str, reason: str = "goals_achieved"):
        t.refresh_from_db()
        return t.close(reason=reason, jim_relationship=relationship, at=at(on))

    def follow_up(
        self, t: Trajectory, months: int, done: dt.date, *, contact: bool | None, placed: bool
    ):
        follow_up = t.follow_ups.get(months=months)
        follow_up.record(
            done_on=done,
            jim_contact_continues=contact,
            contact_frequency="monthly" if contact else "",
            placement_after_all=placed,
            placement_type="foster_care" if placed else "",
        )


@pytest.fixture
def registry(world) -> Registry:  # type: ignore[no-untyped-def]
    return Registry(world=world, programme=ProgrammeModel.standard("indicated"))


@pytest.fixture
def cohort(registry: Registry, world) -> Registry:  # type: ignore[no-untyped-def]
    r = registry
    t1 = r.trajectory("T1", D(2025, 1, 1))
    r.jim(t1, D(2025, 1, 11))
    r.close(t1, D(2025, 6, 1), "continuing")
    r.follow_up(t1, 6, D(2025, 12, 5), contact=True, placed=False)

    t2 = r.trajectory("T2", D(2025, 2, 1))
    r.jim(t2, D(2025, 2, 21))
    r.close(t2, D(2025, 7, 1), "ended")
    r.follow_up(t2, 6, D(2026, 1, 3), contact=False, placed=True)

    t3 = r.trajectory("T3", D(2025, 6, 1))
    r.no_jim(t3, D(2025, 6, 26))

    t4 = r.trajectory("T4", D(2025, 9, 1))
    jim4 = r.jim(t4, D(2025, 10, 1))
    r.consent(jim4, D(2025, 10, 3))
    r.meeting_with_jim(t4, D(2025, 10, 15), MeetingKind.POSITIONING)

    t5 = r.trajectory("T5", D(2025, 3, 1))
    r.close(t5, D(2025, 4, 5), "no_jim", reason="care_elsewhere")
    # T5 never had a JIM: its follow-ups have no JIM-contact question.
    r.follow_up(t5, 6, D(2025, 10, 6), contact=None, placed=False)
    r.follow_up(t5, 12, D(2026, 4, 7), contact=None, placed=False)

    t6 = r.trajectory("T6", D(2025, 10, 1))
    r.jim(t6, D(2025, 11, 15))
    r.meeting_with_jim(t6, D(2025, 12, 1))  # a JIM at the table, but no consent recorded
    d6 = r.decision(t6, D(2026, 1, 9), kind="foster_care")
    d6.record_consultation(consulted_on=D(2026, 1, 5), advice="Stay near me.", weighing="Weighed.")
    d6.finalise(by=world.professional, at=at(D(2026, 1, 9), 15))
    r.placed(d6, D(2026, 1, 9))

    t7 = r.trajectory("T7", D(2025, 11, 1))
    r.no_jim(t7, D(2025, 12, 21))
    d7 = r.decision(t7, D(2026, 1, 10), no_jim_reason="No JIM was found.")
    d7.finalise(by=world.professional, at=at(D(2026, 1, 10), 15))
    r.placed(d7, D(2026, 1, 10))

    t8 = r.trajectory("T8", D(2025, 12, 1))
    r.jim(t8, D(2026, 1, 30))
    d8 = r.decision(t8, D(2026, 3, 1), emergency=True)
    d8.finalise(by=world.professional, at=at(D(2026, 3, 1), 23))
    d8.record_consultation(consulted_on=D(2026, 3, 6), advice="Call me.", weighing="Weighed.")
    d8.confirm_emergency(by=world.team_lead, at=at(D(2026, 3, 2), 9))
    r.placed(d8, D(2026, 3, 1))

    t9 = r.trajectory("T9", D(2026, 1, 1))
    r.jim(t9, D(2026, 3, 22))
    d9 = r.decision(t9, D(2026, 5, 31))
    d9.record_consultation(consulted_on=D(2026, 5, 29), advice="Not yet.", weighing="Weighed.")
    d9.finalise(by=world.professional, at=at(D(2026, 6, 5), 10))
    r.placed(d9, D(2026, 6, 5))

    t10 = r.trajectory("T10", D(2026, 1, 1))
    r.jim(t10, D(2026, 6, 10), named=D(2026, 5, 20))

    # Outside the unit of analysis.
    comparison = r.trajectory("C1", D(2025, 5, 1), cohort="comparison")
    r.jim(comparison, D(2025, 5, 6))
    dc = r.decision(comparison, D(2025, 5, 20))
    dc.record_consultation(consulted_on=D(2025, 5, 19), advice="Fine.", weighing="Weighed.")
    dc.finalise(by=world.professional, at=at(D(2025, 5, 20), 12))
    r.placed(dc, D(2025, 5, 20))
    late = r.trajectory("LATE", D(2026, 6, 5))
    r.jim(late, D(2026, 6, 8))
    r.trajectory("FOREIGN", D(2026, 2, 1), team=world.foreign_team)
    return r
